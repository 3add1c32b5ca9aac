import type { Logger } from '../../../src/logger.js';

export interface LogLine {
  level: 'warn' | 'error';
  message: string;
  detail: Record<string, unknown> | undefined;
}

/** A logger that keeps what it is told, for tests that count or read log lines. */
export function recordingLogger(): Logger & { readonly lines: LogLine[]; matching(text: string): LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    warn: (message, detail) => void lines.push({ level: 'warn', message, detail }),
    error: (message, detail) => void lines.push({ level: 'error', message, detail }),
    matching: (text) => lines.filter((l) => l.message.includes(text)),
  };
}
