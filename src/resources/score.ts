// Owns Pacemaker's score arithmetic: INFINITY = 1,000,000; -INFINITY wins over everything,
// then +INFINITY; finite sums are clamped to the infinities. Pure.

import { INFINITY } from './model.js';

/** Parses "100", "+INFINITY", "-inf", "INFINITY"; undefined when absent or not a score. */
export function parseScore(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim().toLowerCase();
  if (t === '') return undefined;
  if (t === 'infinity' || t === '+infinity' || t === 'inf' || t === '+inf') return INFINITY;
  if (t === '-infinity' || t === '-inf') return -INFINITY;
  if (t === 'red') return -INFINITY;
  if (t === 'green' || t === 'yellow') return 0;
  if (!/^[+-]?\d+(\.\d+)?$/.test(t)) return undefined;
  return clampScore(Math.trunc(Number(t)));
}

export function clampScore(score: number): number {
  return score >= INFINITY ? INFINITY : score <= -INFINITY ? -INFINITY : score;
}

/** Pacemaker's pcmk__add_scores. */
export function addScores(a: number, b: number): number {
  if (a <= -INFINITY || b <= -INFINITY) return -INFINITY;
  if (a >= INFINITY || b >= INFINITY) return INFINITY;
  return clampScore(a + b);
}

export function scoreText(score: number): string {
  return score >= INFINITY ? 'INFINITY' : score <= -INFINITY ? '-INFINITY' : String(score);
}
