// Owns the clock and timer interfaces that pure cores and shells take as parameters, plus the
// real implementation. Pure code never calls Date.now or setTimeout itself; the simulator
// passes a VirtualClock (src/sim/virtual-clock.ts) instead.

export interface Clock {
  /** Milliseconds since the epoch (wall time, for records and logs). */
  nowMs(): number;
  /** Milliseconds on a monotonic clock, for timeouts and failure detection. */
  monotonicMs(): number;
}

export interface Timers {
  setTimeout(fn: () => void, delayMs: number): Cancel;
  setInterval(fn: () => void, periodMs: number): Cancel;
}

export type Cancel = () => void;

/** Resolves with the call's value, or with undefined once `ms` passes first (the call runs on). */
export function withDeadline<T>(call: Promise<T>, ms: number, timers: Timers): Promise<T | undefined> {
  return new Promise((resolve) => {
    const cancel = timers.setTimeout(() => resolve(undefined), ms);
    void call.then((value) => {
      cancel();
      resolve(value);
    });
  });
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};

export const systemTimers: Timers = {
  setTimeout(fn, delayMs) {
    const t = setTimeout(fn, delayMs);
    return () => clearTimeout(t);
  },
  setInterval(fn, periodMs) {
    const t = setInterval(fn, periodMs);
    return () => clearInterval(t);
  },
};
