import { canonicalJson } from './canonical-json.js';
import type { JsonSchema } from './json-schema.js';

/**
 * "Does every value one side sends pass the other side's check?", asked of two JSON Schemas as
 * zod writes them (json-schema.ts). This is the question the runtime answers call by call (the
 * worker parses input, a client re-parses output from a worker with another fingerprint), asked
 * once for all values. Where the answer is not certain it says no: a wrong "fits" would let a
 * breaking change through, a wrong "does not fit" only asks a person to look.
 */

export interface SchemaIssue {
  /** Where, from the task's point of view: `input.user.email`, `output.items[]`. */
  readonly field: string;
  readonly reason: string;
  /** `breaks`: some value sent fails the check; `note`: passes, but means something else now (a default). */
  readonly severity: 'breaks' | 'note';
}

export interface SubsetOptions {
  /** Compare `x-refine` texts (both sides described with refinements). */
  readonly refinements: boolean;
}

type Node = JsonSchema | boolean;

/** Keys that say nothing about which values pass. */
const ANNOTATIONS = new Set(['$schema', '$defs', 'definitions', 'description', 'title', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly', 'id', '$id']);

const isObj = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

class Doc {
  constructor(readonly root: JsonSchema) {}

  /** Follows `$ref`s into `$defs` (zod's `cycles: 'ref'`), `#` being the root. */
  resolve(node: Node): Node {
    let n = node;
    for (let hops = 0; isObj(n) && typeof n['$ref'] === 'string' && hops < 32; hops++) {
      const ref = n['$ref'];
      if (ref === '#') n = this.root;
      else {
        const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref)?.[1];
        const defs = (this.root['$defs'] ?? this.root['definitions']) as Record<string, Node> | undefined;
        const target = name === undefined ? undefined : defs?.[decodeURIComponent(name)];
        if (target === undefined) return {};
        // Siblings of a $ref (zod puts none that constrain) are kept.
        const { $ref: _ref, ...rest } = n;
        n = isObj(target) ? { ...target, ...rest } : target;
      }
    }
    return n;
  }
}

function constraining(n: JsonSchema, refinements: boolean): string[] {
  return Object.keys(n).filter((k) => !ANNOTATIONS.has(k) && (refinements || k !== 'x-refine'));
}

const isNever = (n: Node): boolean => n === false || (isObj(n) && isObj(n['not']) && Object.keys(n['not']).length === 0);

function types(n: JsonSchema): string[] | undefined {
  const t = n['type'];
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string');
  return undefined;
}

function literals(n: JsonSchema): unknown[] | undefined {
  if ('const' in n) return [n['const']];
  if (Array.isArray(n['enum'])) return n['enum'] as unknown[];
  return undefined;
}

function typeOfValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const typeFits = (sent: string, accepted: readonly string[]): boolean => accepted.includes(sent) || (sent === 'integer' && accepted.includes('number'));

/** Whether a literal value passes a schema (enough of JSON Schema for what zod writes). */
function validates(value: unknown, node: Node, doc: Doc, depth = 0): boolean {
  const n = doc.resolve(node);
  if (n === true) return true;
  if (n === false || depth > 32) return false;
  if (isNever(n)) return false;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = n[key];
    if (Array.isArray(branches) && !branches.some((b) => validates(value, b as Node, doc, depth + 1))) return false;
  }
  if (Array.isArray(n['allOf']) && !(n['allOf'] as Node[]).every((b) => validates(value, b, doc, depth + 1))) return false;
  const lits = literals(n);
  if (lits && !lits.some((l) => canonicalJson(l) === canonicalJson(value))) return false;
  const ts = types(n);
  if (ts && !typeFits(typeOfValue(value), ts)) return false;
  if (typeof value === 'string') {
    if (typeof n['minLength'] === 'number' && value.length < n['minLength']) return false;
    if (typeof n['maxLength'] === 'number' && value.length > n['maxLength']) return false;
    if (typeof n['pattern'] === 'string' && !new RegExp(n['pattern'], 'u').test(value)) return false;
  }
  if (typeof value === 'number') {
    if (typeof n['minimum'] === 'number' && value < n['minimum']) return false;
    if (typeof n['maximum'] === 'number' && value > n['maximum']) return false;
    if (typeof n['exclusiveMinimum'] === 'number' && value <= n['exclusiveMinimum']) return false;
    if (typeof n['exclusiveMaximum'] === 'number' && value >= n['exclusiveMaximum']) return false;
  }
  if (isObj(value) && isObj(n['properties'])) {
    const props = n['properties'] as Record<string, Node>;
    const required = (n['required'] as string[] | undefined) ?? [];
    if (required.some((k) => !(k in value))) return false;
    for (const [k, v] of Object.entries(value)) {
      const p = props[k];
      if (p !== undefined ? !validates(v, p, doc, depth + 1) : n['additionalProperties'] === false) return false;
    }
  }
  if (Array.isArray(value) && n['items'] !== undefined && !Array.isArray(n['prefixItems'])) {
    if (!value.every((v) => validates(v, n['items'] as Node, doc, depth + 1))) return false;
  }
  return true;
}

type Bound = 'minimum' | 'exclusiveMinimum' | 'minLength' | 'minItems';
type Cap = 'maximum' | 'exclusiveMaximum' | 'maxLength' | 'maxItems';

class Comparison {
  readonly issues: SchemaIssue[] = [];
  readonly #seen = new Set<string>();

  constructor(
    readonly sentDoc: Doc,
    readonly acceptedDoc: Doc,
    readonly options: SubsetOptions,
  ) {}

  breaks(field: string, reason: string): void {
    this.issues.push({ field, reason, severity: 'breaks' });
  }

  /** Issues of `sent` against `accepted`, collected apart (for trying union branches). */
  trial(sent: Node, accepted: Node, field: string): SchemaIssue[] {
    const probe = new Comparison(this.sentDoc, this.acceptedDoc, this.options);
    for (const k of this.#seen) probe.#seen.add(k);
    probe.compare(sent, accepted, field);
    return probe.issues;
  }

  compare(sentNode: Node, acceptedNode: Node, field: string): void {
    // Recursive schemas (always through a $ref): a pair of refs met again is assumed to fit
    // (coinduction); any misfit shows on the first visit.
    const ref = (n: Node) => (isObj(n) && typeof n['$ref'] === 'string' ? n['$ref'] : undefined);
    if (ref(sentNode) !== undefined || ref(acceptedNode) !== undefined) {
      const key = `${ref(sentNode) ?? canonicalJson(sentNode)}\u0000${ref(acceptedNode) ?? canonicalJson(acceptedNode)}`;
      if (this.#seen.has(key)) return;
      this.#seen.add(key);
    }
    const sent = this.sentDoc.resolve(sentNode);
    const accepted = this.acceptedDoc.resolve(acceptedNode);
    if (accepted === true || sent === false || isNever(sent)) return;
    if (accepted === false || isNever(accepted)) return this.breaks(field, 'no value is accepted any more');
    if (sent === true) return this.breaks(field, 'anything may be sent; the other side checks it');

    if ('default' in sent && 'default' in accepted && canonicalJson(sent['default']) !== canonicalJson(accepted['default'])) {
      this.issues.push({ field, severity: 'note', reason: `default ${shown(accepted['default'])} where it was ${shown(sent['default'])}: callers that omit it get another value` });
    }
    if (constraining(accepted, this.options.refinements).length === 0) return;

    // Every branch of what is sent must be accepted.
    for (const key of ['anyOf', 'oneOf'] as const) {
      const branches = sent[key];
      if (Array.isArray(branches)) {
        const { [key]: _b, ...rest } = sent;
        for (const b of branches as Node[]) this.compare(isObj(b) ? { ...rest, ...b } : b, accepted, field);
        return;
      }
    }
    const sentTypes = types(sent);
    if (sentTypes && sentTypes.length > 1) {
      for (const t of sentTypes) this.compare({ ...sent, type: t }, accepted, field);
      return;
    }
    const lits = literals(sent);
    if (lits) {
      for (const v of lits) if (!validates(v, accepted, this.acceptedDoc)) this.breaks(field, `${shown(v)} may be sent and is no longer accepted`);
      return;
    }
    if (Array.isArray(sent['allOf'])) {
      const parts = sent['allOf'] as Node[];
      const fits = parts.map((p) => this.trial(p, accepted, field));
      if (fits.some((f) => !f.some((i) => i.severity === 'breaks'))) return;
      this.issues.push(...(fits[0] ?? []));
      return;
    }
    // What is accepted: one of its branches must take all of what is sent.
    for (const key of ['anyOf', 'oneOf'] as const) {
      const branches = accepted[key];
      if (Array.isArray(branches)) {
        const { [key]: _b, ...rest } = accepted;
        const trials = (branches as Node[]).map((b) => this.trial(sent, isObj(b) ? { ...rest, ...b } : b, field));
        if (trials.some((t) => !t.some((i) => i.severity === 'breaks'))) return;
        const closest = trials.reduce((best, t) => (t.length < best.length ? t : best));
        this.issues.push(...closest);
        return;
      }
    }
    if (Array.isArray(accepted['allOf'])) {
      for (const part of accepted['allOf'] as Node[]) this.compare(sent, part, field);
      return;
    }
    const acceptedTypes = types(accepted);
    if (acceptedTypes && acceptedTypes.length > 1) {
      const trials = acceptedTypes.map((t) => this.trial(sent, { ...accepted, type: t }, field));
      if (trials.some((t) => !t.some((i) => i.severity === 'breaks'))) return;
      this.issues.push(...(trials[0] ?? []));
      return;
    }
    this.single(sent, accepted, field);
  }

  /** Both sides one type (or untyped: zod's any/unknown, Date, Map ... tagged `x-zod`). */
  single(sent: JsonSchema, accepted: JsonSchema, field: string): void {
    const sentTag = sent['x-zod'];
    const acceptedTag = accepted['x-zod'];
    // Date, bigint, Map, Set travel as superjson tags: one is never another, nor a plain JSON value.
    if (sentTag !== acceptedTag) {
      const what = (tag: unknown, n: JsonSchema) => (tag === undefined ? types(n)?.[0] ?? 'any value' : `a ${String(tag)}`);
      return this.breaks(field, `${what(sentTag, sent)} where ${what(acceptedTag, accepted)} is required`);
    }
    const acceptedLits = literals(accepted);
    const sentType = types(sent)?.[0];
    const acceptedType = types(accepted)?.[0];
    if (sentType === undefined && sentTag === undefined) return this.breaks(field, `any value may be sent; the other side requires ${acceptedType ?? shown(accepted)}`);
    if (acceptedLits) return this.breaks(field, `any ${sentType ?? String(sentTag)} may be sent; only ${acceptedLits.map(shown).join(', ')} accepted`);
    if (sentType !== undefined && acceptedType !== undefined && !typeFits(sentType, [acceptedType])) {
      return this.breaks(field, `${sentType} where ${acceptedType} is required`);
    }
    this.bounds(sent, accepted, field, ['minimum', 'exclusiveMinimum', 'minLength', 'minItems'], ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems']);
    for (const k of ['pattern', 'format', 'multipleOf'] as const) {
      if (accepted[k] !== undefined && accepted[k] !== sent[k]) this.breaks(field, `${k} ${shown(accepted[k])} is required${sent[k] === undefined ? '' : ` (was ${shown(sent[k])})`}`);
    }
    if (this.options.refinements && Array.isArray(accepted['x-refine'])) {
      const had = new Set((sent['x-refine'] as string[] | undefined) ?? []);
      for (const text of accepted['x-refine'] as string[]) if (!had.has(text)) this.breaks(field, `a refinement the other side does not have: ${shown(text)}`);
    }
    if (acceptedType === 'object' || sentType === 'object') this.object(sent, accepted, field);
    if (acceptedType === 'array' || sentType === 'array') this.array(sent, accepted, field);
  }

  bounds(sent: JsonSchema, accepted: JsonSchema, field: string, lows: Bound[], highs: Cap[]): void {
    for (const k of lows) {
      const a = accepted[k];
      const s = sent[k];
      if (typeof a === 'number' && !(typeof s === 'number' && s >= a)) this.breaks(field, `${k} ${a}${typeof s === 'number' ? ` (was ${s})` : ''}`);
    }
    for (const k of highs) {
      const a = accepted[k];
      const s = sent[k];
      if (typeof a === 'number' && !(typeof s === 'number' && s <= a)) this.breaks(field, `${k} ${a}${typeof s === 'number' ? ` (was ${s})` : ''}`);
    }
  }

  object(sent: JsonSchema, accepted: JsonSchema, field: string): void {
    const sp = (sent['properties'] ?? {}) as Record<string, Node>;
    const ap = (accepted['properties'] ?? {}) as Record<string, Node>;
    const sr = new Set((sent['required'] as string[] | undefined) ?? []);
    const ar = new Set((accepted['required'] as string[] | undefined) ?? []);
    const extraAccepted = accepted['additionalProperties'];
    for (const [k, a] of Object.entries(ap)) {
      const s = sp[k];
      const f = `${field}.${k}`;
      // A key the sending side does not declare is never sent: callers send what their types say.
      if (s === undefined) {
        if (ar.has(k)) this.breaks(f, 'required, and never sent by the other side');
        continue;
      }
      if (ar.has(k) && !sr.has(k)) this.breaks(f, 'required, and may be left out by the other side');
      this.compare(s, a, f);
    }
    for (const [k, s] of Object.entries(sp)) {
      if (k in ap) continue;
      const f = `${field}.${k}`;
      if (extraAccepted === false) this.breaks(f, 'sent, and refused as an unknown key (strict object)');
      else if (isObj(extraAccepted)) this.compare(s, extraAccepted, f);
    }
    // Records and catchalls: what the sending side allows beyond its named keys.
    const extraSent = sent['additionalProperties'];
    if (isObj(extraSent) && extraAccepted !== undefined) this.compare(extraSent, extraAccepted as Node, `${field}.*`);
    if (isObj(accepted['propertyNames'])) this.compare((sent['propertyNames'] as Node | undefined) ?? { type: 'string' }, accepted['propertyNames'], `${field}.(key)`);
  }

  array(sent: JsonSchema, accepted: JsonSchema, field: string): void {
    const sTuple = sent['prefixItems'] as Node[] | undefined;
    const aTuple = accepted['prefixItems'] as Node[] | undefined;
    if (aTuple) {
      aTuple.forEach((a, i) => {
        const s = sTuple?.[i] ?? (sent['items'] as Node | undefined) ?? true;
        this.compare(s, a, `${field}[${i}]`);
      });
      if (accepted['items'] !== undefined) this.compare((sent['items'] as Node | undefined) ?? true, accepted['items'] as Node, `${field}[]`);
      return;
    }
    if (accepted['items'] === undefined) return;
    if (sTuple) sTuple.forEach((s, i) => this.compare(s, accepted['items'] as Node, `${field}[${i}]`));
    if (sent['items'] !== false) this.compare((sent['items'] as Node | undefined) ?? true, accepted['items'] as Node, `${field}[]`);
  }
}

/**
 * The issues of sending values of `sent` to a side that checks them with `accepted`: none with
 * severity `breaks` means every value fits. `field` names the root (`input`, `output`).
 */
export function subsetIssues(sent: JsonSchema, accepted: JsonSchema, field: string, options: SubsetOptions): SchemaIssue[] {
  const c = new Comparison(new Doc(sent), new Doc(accepted), options);
  c.compare(sent, accepted, field);
  const seen = new Set<string>();
  return c.issues.filter((i) => {
    const k = `${i.severity}\u0000${i.field}\u0000${i.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
