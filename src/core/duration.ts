// Owns Pacemaker's time values, shared by the CIB reader, agent meta-data and fence devices:
// a number with an optional unit (ms, msec, s, sec, m, min, h, hr; seconds when none), or an
// ISO 8601 duration such as PT5M. Pure.

export const pacemakerDurationForm = 'a duration such as 60, 30s, 500ms or 2min (a bare number is seconds)';

const unitMs: Readonly<Record<string, number>> = { ms: 1, msec: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000 };

/** Milliseconds, or undefined when the text is not a Pacemaker duration. */
export function parsePacemakerDurationMs(text: string): number | undefined {
  const value = text.trim();
  const iso = /^PT?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/i.exec(value);
  if (iso && value.length > 2) {
    return ((Number(iso[1] ?? 0) * 60 + Number(iso[2] ?? 0)) * 60 + Number(iso[3] ?? 0)) * 1000;
  }
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value);
  if (!match) return undefined;
  const factor = unitMs[(match[2] ?? '').toLowerCase() || 's'];
  if (factor === undefined) return undefined;
  const ms = Math.round(Number(match[1]) * factor);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
