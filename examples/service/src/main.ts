/**
 * A service in "another repo": it calls the worker only through the generated client and
 * depends on `taskwire` alone — nothing from @example/contracts, nothing of the worker's.
 * Regenerate the client with:
 *   npx taskwire codegen examples/contracts/src/index.ts --out examples/service/src/generated/tasks-client.ts
 */
import { isTaskwireError } from 'taskwire';
import { createClient, isDeclaredError } from './generated/tasks-client.js';

const client = createClient({
  redis: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  prefix: process.env['TASKWIRE_PREFIX'] ?? 'tw',
});

function show(label: string, value: unknown): void {
  console.log(`  ${label.padEnd(34)} ${value instanceof Error ? `${value.name} ${(value as { code?: string }).code}: ${value.message}` : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? Object.fromEntries(v) : v))}`);
}

try {
  // 1. A typed call: the result's `at` is a real Date.
  const resized = await client.images.resize({ url: 'https://img.example/cat.png', width: 320 });
  show('images.resize', resized);
  show('  at instanceof Date', resized.at instanceof Date);

  // 2. Rich types both ways: Dates in, a tuple of Dates and a Map of BigInt out.
  const report = await client.reports.totals({ from: new Date('2026-01-01'), to: new Date('2026-02-01'), customers: ['acme', 'globex'] });
  show('reports.totals', report);
  show('  totals.get("acme")', report.totals.get('acme'));

  // 3. A declared error, narrowed to its typed data.
  try {
    await client.images.resize({ url: 'https://img.example/missing.png', width: 100 });
  } catch (err) {
    if (isDeclaredError(err, 'images.resize', 'NOT_FOUND')) show('images.resize → NOT_FOUND', { url: err.data.url });
    else throw err;
  }

  // 4. A validation error: rejected locally by the generated schema, nothing is sent.
  try {
    await client.images.resize({ url: 'not a url', width: -5 });
  } catch (err) {
    if (isTaskwireError(err) && err.code === 'VALIDATION') show('images.resize(bad args) → VALIDATION', err);
    else throw err;
  }

  // 5. Many calls at once over the same two connections.
  const started = Date.now();
  const many = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.images.resize({ url: `https://img.example/${i}.png`, width: 64 })));
  show('1,000 concurrent calls', `${many.length} results in ${Date.now() - started} ms`);

  // 6. A workflow: the album task fans out to images.resize sub-tasks and reports progress.
  const urls = Array.from({ length: 24 }, (_, i) => `https://img.example/album/${i}.png`);
  const album = await client.albums.process({ album: 'holidays', urls, width: 200 }, { onProgress: (p) => show('  progress', `${p.done}/${p.total}`) });
  show('albums.process', { album: album.album, images: album.images.length, bytes: album.bytes });

  // 7. A detached call with a follow-up: it runs even if this process exits; both ids are known now.
  const sent = await client.albums.process.send({ album: 'trip', urls: urls.slice(0, 4), width: 100 }, { then: 'albums.publish' });
  show('albums.process.send → then', await client.albums.publish.result(sent.followUps.then ?? ''));
} finally {
  await client.$close();
}
