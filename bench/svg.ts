import { IN_FLIGHT, WORKER_PROCESSES } from './options.js';
import { find } from './report.js';
import type { Results } from './results.js';
import { SYSTEMS } from './systems/index.js';
import type { SystemName } from './systems/system.js';

/**
 * Throughput vs calls in flight, one panel per worker-process count, both axes logarithmic
 * (BullMQ and the ceiling are a factor of ~30 apart). Hand-written SVG: no chart dependency,
 * and the file diffs readably when the README's picture changes.
 */
const STYLE: Record<SystemName, { color: string; dash: string }> = {
  'taskwire-key': { color: '#1d4ed8', dash: '' },
  'taskwire-pubsub': { color: '#7c3aed', dash: '' },
  bullmq: { color: '#dc2626', dash: '' },
  ceiling: { color: '#6b7280', dash: '6 4' },
};

const W = 920;
const H = 420;
const PANEL_W = 340;
const PANEL_H = 260;
const TOP = 70;
const LEFT = [80, 530];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function compact(n: number): string {
  if (n >= 1_000_000) return `${Math.round(n / 100_000) / 10}M`;
  if (n >= 1000) return `${Math.round(n / 100) / 10}k`;
  return String(Math.round(n));
}

export function renderChart(results: Results): string {
  const ms = results.measurements.filter((m) => !m.cpuBound && m.payloadBytes === results.meta.settings.basePayloadBytes);
  const values = ms.map((m) => m.callsPerSec).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 100)));
  // The top is the next 1-2-5 step above the largest value, so a curve ending at 110k does not
  // leave a whole empty decade above it.
  const top = Math.max(...values, 1000);
  const decade = 10 ** Math.floor(Math.log10(top));
  const hi = [1, 2, 5, 10].map((m) => m * decade).find((v) => v >= top) ?? 10 * decade;
  const xMin = Math.log10(IN_FLIGHT[0]);
  const xMax = Math.log10(IN_FLIGHT[IN_FLIGHT.length - 1] ?? 1000);
  const x = (left: number, inFlight: number) => left + ((Math.log10(inFlight) - xMin) / (xMax - xMin)) * PANEL_W;
  const y = (v: number) => TOP + PANEL_H - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PANEL_H;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="600">Round-trip throughput vs calls in flight (calls/s, log scale)</text>`);
  const m = results.meta;
  out.push(
    `<text x="${W / 2}" y="44" text-anchor="middle" fill="#555">${esc(`${m.cpus} cores (${m.cpuModel}), one Redis ${m.redis}; ${m.settings.basePayloadBytes} B payload, trivial handler; median of ${m.settings.reps}; ${m.mode} run ${m.startedAt.slice(0, 10)}`)}</text>`,
  );

  WORKER_PROCESSES.forEach((workers, i) => {
    const left = LEFT[i] ?? 0;
    out.push(`<text x="${left + PANEL_W / 2}" y="${TOP - 8}" text-anchor="middle" font-weight="600">${workers} worker process${workers > 1 ? 'es' : ''}</text>`);
    const ticks: number[] = [];
    for (let d = lo; d <= hi * 1.0001; d *= 10) ticks.push(d);
    if (hi !== ticks[ticks.length - 1]) ticks.push(hi);
    for (const d of ticks) {
      out.push(`<line x1="${left}" x2="${left + PANEL_W}" y1="${y(d)}" y2="${y(d)}" stroke="#e5e7eb"/>`);
      out.push(`<text x="${left - 6}" y="${y(d) + 4}" text-anchor="end" fill="#555">${compact(d)}</text>`);
    }
    for (const f of IN_FLIGHT) {
      out.push(`<line x1="${x(left, f)}" x2="${x(left, f)}" y1="${TOP}" y2="${TOP + PANEL_H}" stroke="#f3f4f6"/>`);
      out.push(`<text x="${x(left, f)}" y="${TOP + PANEL_H + 16}" text-anchor="middle" fill="#555">${f}</text>`);
    }
    out.push(`<text x="${left + PANEL_W / 2}" y="${TOP + PANEL_H + 34}" text-anchor="middle" fill="#555">calls in flight</text>`);
    out.push(`<rect x="${left}" y="${TOP}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#9ca3af"/>`);
    const labels: Array<{ y: number; text: string; color: string }> = [];
    for (const system of SYSTEMS) {
      const st = STYLE[system.name];
      const points = IN_FLIGHT.flatMap((f) => {
        const v = find(ms, system.name, { workers, inFlight: f })?.callsPerSec;
        return v && v > 0 ? [{ f, v }] : [];
      });
      if (points.length === 0) continue;
      const path = points.map((p) => `${x(left, p.f).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${path}" fill="none" stroke="${st.color}" stroke-width="2"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>`);
      for (const p of points) out.push(`<circle cx="${x(left, p.f).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="3.5" fill="${st.color}"/>`);
      const last = points[points.length - 1];
      if (last) labels.push({ y: y(last.v) + 4, text: compact(last.v), color: st.color });
    }
    // End labels of close curves would print over each other: push them apart, keeping order.
    labels.sort((a, b) => a.y - b.y);
    for (let j = 1; j < labels.length; j++) {
      const prev = labels[j - 1];
      const cur = labels[j];
      if (prev && cur && cur.y - prev.y < 13) cur.y = prev.y + 13;
    }
    for (const l of labels) out.push(`<text x="${left + PANEL_W + 6}" y="${l.y.toFixed(1)}" fill="${l.color}">${l.text}</text>`);
  });

  SYSTEMS.forEach((system, i) => {
    const st = STYLE[system.name];
    const lx = 80 + i * 200;
    const ly = H - 22;
    out.push(`<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${st.color}" stroke-width="2"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>`);
    out.push(`<text x="${lx + 34}" y="${ly + 4}">${esc(system.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
