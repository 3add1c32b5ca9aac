/** Plain-text figures for terminals: tables, ages, times. Pure functions, tested alone. */

export interface Column {
  readonly title: string;
  /** Numbers read best right-aligned. */
  readonly right?: boolean;
}

/** A table with two spaces between columns and no trailing spaces. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (columns[i]?.right ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)].join('\n') + '\n';
}

/** `850ms`, `12.3s`, `4m05s`, `2h07m`, `3d04h`. */
export function age(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const two = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${two((ms % 60_000) / 1_000)}s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h${two((ms % 3_600_000) / 60_000)}m`;
  return `${Math.floor(ms / 86_400_000)}d${two((ms % 86_400_000) / 3_600_000)}h`;
}

/** `2026-05-01 12:00:01` in UTC, so output reads the same on every host. */
export function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A rate with at most two decimals, `0` for none. */
export function rate(perSecond: number): string {
  return perSecond === 0 ? '0' : String(Math.round(perSecond * 100) / 100);
}

/** Cuts text to `max` characters with an ellipsis, on one line. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
