/**
 * Prototype pollution, refused at the wire. JSON.parse makes a key named `__proto__` an own
 * property, harmless until a handler copies it with assignment semantics (Object.assign, a deep
 * merge), which then replaces a prototype. No call or reply of taskwire ever carries such a key
 * (the serializer refuses to write one), so one that does is hostile and is refused whole.
 * Cheap on the hot path: the text is searched first (a memchr-speed scan), and only a text that
 * holds `__proto__` or a `\u` escape (which can spell it) has its parsed value walked.
 */
export function hasProtoKey(text: string, value: unknown): boolean {
  if (!text.includes('__proto__') && !text.includes('\\u')) return false;
  return walk(value);
}

function walk(value: unknown): boolean {
  // Iterative: a hostile payload may be nested deeper than the stack.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(v, '__proto__')) return true;
    for (const key of Object.keys(v)) stack.push((v as Record<string, unknown>)[key]);
  }
  return false;
}

export const PROTO_KEY_REASON = 'a key named "__proto__" (prototype pollution) is refused';
