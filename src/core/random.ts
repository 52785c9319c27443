// Owns the random source interface and a seeded generator (mulberry32) for simulation and
// property tests. Shells pass a crypto-backed source; pure code takes one as a parameter.

export interface Random {
  /** A float in [0, 1). */
  next(): number;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export const systemRandom: Random = { next: () => Math.random() };

/** Jittered exponential backoff: attempt 0 -> about baseMs, capped at maxMs. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: Random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(exp / 2 + (random.next() * exp) / 2);
}
