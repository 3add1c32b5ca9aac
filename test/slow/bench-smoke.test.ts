import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IN_FLIGHT, WORKER_PROCESSES } from '../../bench/options.js';
import type { Results } from '../../bench/results.js';
import { SYSTEMS } from '../../bench/systems/index.js';

// The bench starts its own private Redis; this test only checks that a tiny run yields
// well-formed results. Timings are never asserted: they gate nothing in `npm test`.
describe('npm run bench --smoke', () => {
  const out = mkdtempSync(join(tmpdir(), 'taskwire-bench-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('measures every system in every configuration and writes results.json and results.svg', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out], {
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('key/BullMQ');

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.meta.mode).toBe('smoke');
    for (const system of SYSTEMS) {
      for (const workers of WORKER_PROCESSES) {
        for (const inFlight of IN_FLIGHT) {
          const m = results.measurements.find((x) => x.system === system.name && x.workers === workers && x.inFlight === inFlight && !x.cpuBound);
          expect(m, `${system.name} ${workers} worker(s) ${inFlight} in flight`).toBeDefined();
          expect(m?.errors).toBe(0);
          expect(m?.callsPerSec).toBeGreaterThan(0);
          expect(Number.isFinite(m?.p50Ms)).toBe(true);
          expect(Number.isFinite(m?.p99Ms)).toBe(true);
        }
        expect(results.measurements.some((x) => x.system === system.name && x.workers === workers && x.cpuBound)).toBe(true);
      }
      const sweep = results.measurements.filter((x) => x.system === system.name && x.workers === 1 && x.inFlight === results.meta.settings.sweepInFlight && !x.cpuBound);
      expect(sweep.map((x) => x.payloadBytes).sort((a, b) => a - b)).toEqual([100, 10_000, 1_000_000]);
      expect(results.redisMemory.find((r) => r.system === system.name)?.bytesPerCall).toBeGreaterThan(0);
    }
    expect(results.clientMemory.map((c) => c.replyMode)).toEqual(['key', 'pubsub']);
    for (const c of results.clientMemory) {
      expect(c.inFlightRssMb).toBeGreaterThan(0);
      expect(c.heapAtCheckpointMb).toBeGreaterThan(0);
      expect(Number.isFinite(c.heapGrowth)).toBe(true);
    }
    // Scheduling: every policy measured, waits per priority, a fairness index in (0, 1].
    const sched = results.scheduling;
    expect(sched?.policies.map((p) => p.policy)).toEqual(['plain FIFO', 'priority 1-5', 'delayMs 1', '10 fair groups', 'rate limit (not binding)', 'concurrency limit (not binding)']);
    for (const p of sched?.policies ?? []) expect(p.callsPerSec).toBeGreaterThan(0);
    expect(sched?.priorityWait.every((w) => w.calls > 0)).toBe(true);
    expect(sched?.fairness.jain).toBeGreaterThan(0.5);
    expect(sched?.fairness.jain).toBeLessThanOrEqual(1);
    expect(results.targets.length).toBeGreaterThan(0);
    for (const t of results.targets) expect(typeof t.met).toBe('boolean');

    const svg = readFileSync(join(out, 'results.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('</svg>');
    for (const system of SYSTEMS) expect(svg).toContain(system.label);
  }, 180_000);
});
