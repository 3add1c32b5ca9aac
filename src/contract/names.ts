/**
 * The naming rules of a contract, in one place: task and router names (the segments of a dotted
 * task path) and queue names. Each rule comes with the sentence that says what is valid, so every
 * message that rejects a name tells the user what to write instead. The wire layer's key builder
 * applies the same queue rule (src/wire/keys.ts); this file must stay free of Redis imports.
 */

// Task paths travel as dotted strings and become property names of the client and of generated
// code, so a name is an identifier without `$`: the client reserves `$`-names (`client.$close()`)
// so they never shadow a task.
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What a valid task or router name is, as said in every message that rejects one. */
export const NAME_RULE = 'a name starts with a letter or _ and holds only letters, digits and _';

/** Why `name` is not a valid task or router name, or undefined when it is one. */
export function nameProblem(name: string): string | undefined {
  if (NAME.test(name)) return undefined;
  if (name.startsWith('$')) return `names starting with $ are reserved for client methods such as $close and $pending; ${NAME_RULE}`;
  const segments = name.split('.');
  if (segments.length > 1 && segments.every((s) => NAME.test(s))) {
    // Someone wrote the call path as a key; the path comes from nesting instead.
    const nested = segments.reduceRight((inner, s) => `router({ ${s}: ${inner} })`, 'task(...)');
    return `${NAME_RULE}; for a dotted path use nested routers: ${nested}`;
  }
  return NAME_RULE;
}

// Braces would break the `{queue}` hash tag that keeps a queue's keys in one Cluster slot; spaces
// and control bytes make keys unreadable in redis-cli. `#` is allowed for partitions (`images#0`).
const QUEUE_NAME = /^[A-Za-z0-9_.:#-]{1,128}$/;
const QUEUE_CHAR = /[A-Za-z0-9_.:#-]/;
export const QUEUE_NAME_MAX = 128;

/** What a valid queue name is, as said in every message that rejects one. */
export const QUEUE_NAME_RULE = `1-${QUEUE_NAME_MAX} characters of A-Z a-z 0-9 _ . : - #`;

export function isQueueName(queue: string): boolean {
  return QUEUE_NAME.test(queue);
}

/**
 * Why `queue` is not a valid queue name, or undefined when it is one. The text names the rule and
 * the first thing that breaks it: "use 1-128 characters of … (" " at position 4 is not allowed)".
 */
export function queueNameProblem(queue: string): string | undefined {
  if (QUEUE_NAME.test(queue)) return undefined;
  return `use ${QUEUE_NAME_RULE} (${queueNameDetail(queue)})`;
}

function queueNameDetail(queue: string): string {
  if (queue.length === 0) return 'it is empty';
  // Code points, so a character outside the BMP is reported whole and positions match what people count.
  const chars = [...queue];
  const at = chars.findIndex((c) => !QUEUE_CHAR.test(c));
  if (at === -1) return `it is ${chars.length} characters long`;
  const char = chars[at] ?? '';
  const why = char === '{' || char === '}' ? ': braces would break the {queue} hash tag' : '';
  return `${JSON.stringify(char)} at position ${at + 1} is not allowed${why}`;
}
