/** Pure helpers that turn contract names into identifiers and literals of generated code. */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** 'tasks.resize_image' -> 'TasksResizeImage'. */
export function pascalCase(path: string): string {
  return path
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}

/** 'tasks.resize' -> 'tasksResize'. */
export function camelCase(path: string): string {
  const pascal = pascalCase(path);
  return pascal.slice(0, 1).toLowerCase() + pascal.slice(1);
}

/** A single-quoted TypeScript string literal (JSON escapes, quotes swapped). */
export function quote(text: string): string {
  const json = JSON.stringify(text);
  return `'${json.slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

/** A property name as it must be written in an object type or literal. */
export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : quote(name);
}

/** A JSDoc block at the given indentation, or '' without text. `*\/` inside would end it early. */
export function jsDoc(text: string | undefined, indent = ''): string {
  if (text === undefined || text.trim() === '') return '';
  const lines = text.trim().replace(/\*\//g, '*\\/').split(/\r?\n/);
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} *${line === '' ? '' : ` ${line}`}`).join('\n')}\n${indent} */\n`;
}

/**
 * Hands out unique identifiers in call order. Two paths can map to one PascalCase name
 * ('a_b' and 'aB'); the later one gets a numeric suffix, which is stable because calls
 * follow the contract's declaration order.
 */
export class NameScope {
  readonly #used = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const name of reserved) this.#used.add(name);
  }

  claim(wanted: string): string {
    let name = wanted;
    for (let n = 2; this.#used.has(name); n++) name = `${wanted}${n}`;
    this.#used.add(name);
    return name;
  }
}
