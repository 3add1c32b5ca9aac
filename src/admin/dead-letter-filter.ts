import { ERROR_CODES, TaskwireError } from '../errors.js';
import { readableJson, type Json } from './readable-json.js';

/**
 * A condition on one field of a dead letter's decoded input, as people write it:
 * `user.id=42` (equal), `email~example.com` (contains, ignoring case). The path walks objects by
 * key and arrays by index through the input as `readableJson` shows it, so a Date matches its
 * ISO text and a number matches its decimal text.
 */
export interface InputCondition {
  readonly path: string;
  readonly op: '=' | '~';
  readonly value: string;
}

/** Which dead letters an operation applies to; every given part must hold. */
export interface DeadLetterFilter {
  reason?: string;
  task?: string;
  /** Set aside at or after this time, ms since epoch (Redis clock). */
  since?: number;
  /** Conditions on fields of the decoded input (bull-board#476 asks for this search). */
  where?: readonly InputCondition[];
}

/** What a filter looks at: the decoded letter's fields it matches on. */
export interface Filterable {
  readonly reason: string;
  readonly task: string | undefined;
  readonly at: number;
  readonly input: unknown;
  readonly inputProblem: string | undefined;
}

function invalid(message: string): TaskwireError<'VALIDATION', undefined> {
  return new TaskwireError(ERROR_CODES.VALIDATION, message);
}

/** Parses `path=value` or `path~value`; the path is dotted (`items.0.sku`). */
export function parseInputCondition(text: string): InputCondition {
  const m = /^([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)([=~])(.*)$/s.exec(text);
  if (!m) throw invalid(`bad input condition ${JSON.stringify(text)}: write field=value or field~text, e.g. user.id=42`);
  return { path: m[1] as string, op: m[2] as '=' | '~', value: m[3] as string };
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `15m`, `2h`, `7d` (that long before `now`), or a date (`2026-05-01`, ISO time) as ms since epoch. */
export function parseSince(text: string, now: number): number {
  const d = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  if (d) return now - Number(d[1]) * (UNITS[d[2] as string] ?? 0);
  const t = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(t)) return t;
  throw invalid(`bad time ${JSON.stringify(text)}: write a duration (30s, 15m, 2h, 7d) or a date (2026-05-01, 2026-05-01T12:00:00Z)`);
}

function fieldAt(value: Json | undefined, path: string): Json | undefined {
  let node = value;
  for (const part of path.split('.')) {
    if (Array.isArray(node)) node = /^\d+$/.test(part) ? node[Number(part)] : undefined;
    else if (node !== null && typeof node === 'object') node = Object.hasOwn(node, part) ? node[part] : undefined;
    else return undefined;
  }
  return node;
}

function holds(input: Json | undefined, c: InputCondition): boolean {
  const field = fieldAt(input, c.path);
  if (field === undefined) return false;
  const text = typeof field === 'string' ? field : JSON.stringify(field);
  return c.op === '=' ? text === c.value : text.toLowerCase().includes(c.value.toLowerCase());
}

export function matchesFilter(d: Filterable, filter: DeadLetterFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.reason !== undefined && d.reason !== filter.reason) return false;
  if (filter.task !== undefined && d.task !== filter.task) return false;
  if (filter.since !== undefined && d.at < filter.since) return false;
  if (filter.where && filter.where.length > 0) {
    if (d.inputProblem !== undefined) return false;
    const input = readableJson(d.input);
    if (!filter.where.every((c) => holds(input, c))) return false;
  }
  return true;
}

/** True when the filter narrows nothing: "every dead letter". */
export function isEmptyFilter(filter: DeadLetterFilter | undefined): boolean {
  return !filter || (filter.reason === undefined && filter.task === undefined && filter.since === undefined && !filter.where?.length);
}
