// Owns CLI output conventions: tables for people, JSON with --json, errors to stderr with a
// non-zero exit status, and short human forms of times and durations.

import type { Failure, Result } from '../core/result.js';

export class CliExit extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

export function fail(f: Failure, status = 1): never {
  process.stderr.write(`herd: error: ${f.message}${f.field && !f.message.includes(f.field) ? ` (${f.field})` : ''} [${f.code}]\n`);
  throw new CliExit(status);
}

export function must<T>(r: Result<T, Failure>): T {
  if (!r.ok) fail(r.error);
  return r.value;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function ago(ms: number | null, nowMs = Date.now()): string {
  if (ms === null) return '-';
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** Parses durations like 30s, 15m, 2h, 7d, or plain milliseconds. */
export function parseDurationMs(text: string, field: string): Result<number, Failure> {
  const m = /^([0-9]+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return { ok: false, error: { code: 'invalid', field, message: `${field} "${text}" must be a duration like 30s, 15m, 2h or 7d` } };
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return { ok: true, value: n * unit };
}
