/** Small checks the hot path's hand-written envelope checks are built from (envelope.ts, follow-up-step.ts). */
export type Fields = Record<string, unknown>;
export const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isString = (v: unknown, min: number, max: number): v is string => typeof v === 'string' && v.length >= min && v.length <= max;
export const optional = (v: unknown, check: (v: unknown) => boolean): boolean => v === undefined || check(v);
