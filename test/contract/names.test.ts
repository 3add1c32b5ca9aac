import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { router, task } from '../../src/contract/index.js';
import { assertQueueName, queueKeys } from '../../src/wire/keys.js';

const t = () => task({ input: z.string(), output: z.string() });

const NAME_RULE = 'a name starts with a letter or _ and holds only letters, digits and _';
const QUEUE_RULE = '1-128 characters of A-Z a-z 0-9 _ . : - #';

describe('task and router names', () => {
  it.each(['bad-name', '1st', 'with space', 'ünicode', ''])('router() rejects %j and says what a valid name is', (name) => {
    expect(() => router({ [name]: t() })).toThrow(`router(): ${JSON.stringify(name)} is not a valid task or router name: ${NAME_RULE}`);
  });

  it("rejects a dotted key such as 'emails.send' with the nested-router hint", () => {
    expect(() => router({ 'emails.send': t() })).toThrow(
      `router(): "emails.send" is not a valid task or router name: ${NAME_RULE}; for a dotted path use nested routers: router({ emails: router({ send: task(...) }) })`,
    );
  });

  it('keeps $-names reserved for client methods, and says so', () => {
    expect(() => router({ $close: t() })).toThrow(/^router\(\): "\$close" is not a valid task or router name: names starting with \$ are reserved for client methods such as \$close and \$pending; a name starts with/);
  });

  it('accepts identifiers, underscores and digits after the first character', () => {
    expect(() => router({ resize: t(), _private: t(), v2_resize: t(), Emails: router({ send: t() }) })).not.toThrow();
  });
});

describe('queue names', () => {
  it('task() rejects a queue name that breaks the {queue} hash tag, and says what is valid', () => {
    expect(() => task({ input: z.string(), output: z.string(), queue: 'bad name{x}' })).toThrow(
      `task(): queue "bad name{x}" is not a valid queue name: use ${QUEUE_RULE} (" " at position 4 is not allowed)`,
    );
    expect(() => task({ input: z.string(), output: z.string(), queue: 'a{b}' })).toThrow(/"\{" at position 2 is not allowed: braces would break the \{queue\} hash tag/);
  });

  it('task() rejects an empty or over-long queue name, and a queue that is not a string', () => {
    expect(() => task({ input: z.string(), output: z.string(), queue: '' })).toThrow(`use ${QUEUE_RULE} (it is empty)`);
    expect(() => task({ input: z.string(), output: z.string(), queue: 'q'.repeat(129) })).toThrow(`use ${QUEUE_RULE} (it is 129 characters long)`);
    expect(() => task({ input: z.string(), output: z.string(), queue: 7 as unknown as string })).toThrow(/^task\(\): queue must be a string/);
  });

  it('accepts partition-style names such as images#0, and the others the key builder always took', () => {
    for (const queue of ['images#0', 'images', 'a.b:c-d_e', 'q'.repeat(128)]) {
      expect(() => task({ input: z.string(), output: z.string(), queue })).not.toThrow();
    }
  });

  it('the key builder applies the same rule: images#0 gets keys, bad name{x} is refused with the rule', () => {
    expect(queueKeys('tw', 'images#0').wait).toBe('tw:{images#0}:wait');
    expect(() => queueKeys('tw', 'bad name{x}')).toThrow(`invalid queue name "bad name{x}": use ${QUEUE_RULE}`);
    expect(() => assertQueueName('')).toThrow(`use ${QUEUE_RULE} (it is empty)`);
  });
});

describe('the contract stays pure data', () => {
  it('imports neither the wire layer, the client, the worker, the transport nor ioredis', () => {
    const dir = join(import.meta.dirname, '../../src/contract');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const imports = [...readFileSync(join(dir, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      expect(imports.filter((i) => /ioredis|\/(wire|client|worker|transport)\//.test(i ?? '')), file).toEqual([]);
    }
  });
});
