// Owns VirtualClock: simulated time for the simulator and tests. It implements both Clock and
// Timers (src/core/clock.ts), so a pure core or shell given it runs without real time passing.
//
// Inputs: the starting wall and monotonic times; advance(ms) and runUntilIdle(limitMs) calls
// from the driver. Outputs: timer callbacks, fired synchronously inside those calls.
//
// Invariants:
//  - time never goes backwards, and a timer fires with the clock reading exactly its deadline;
//  - timers fire in deadline order, and timers with equal deadlines in the order they were
//    scheduled (an interval counts as rescheduled when it fires), so runs are deterministic;
//  - a timer scheduled by a firing timer fires in the same advance() if its deadline is within
//    the window (setTimeout(fn, 0) from a callback fires at the same instant, after the timers
//    already due then);
//  - bounded: at most limits.virtualClockTimersMax pending timers, and at most
//    limits.virtualClockFiresPerCallMax fires per call (more is a timer loop: an assertion).
// No node: imports, no real timers: the clock only moves when the driver moves it.

import type { Cancel, Clock, Timers } from '../core/clock.js';
import { limits } from '../core/limits.js';
import { assert } from '../core/result.js';

export interface VirtualClockOptions {
  /** Wall time at the start (Clock.nowMs). Defaults to 2024-01-01T00:00:00Z, to look real. */
  readonly startWallMs?: number;
  /** Monotonic time at the start (Clock.monotonicMs). Defaults to 0. */
  readonly startMonotonicMs?: number;
}

export interface IdleResult {
  /** True if no timer was left pending; false if the limit stopped the run. */
  readonly idle: boolean;
  readonly timersFired: number;
}

interface Timer {
  readonly fn: () => void;
  /** null for a one-shot timer. */
  readonly periodMs: number | null;
  deadlineMs: number;
  /** Scheduling order, for ties; changes when an interval is rescheduled. */
  sequence: number;
}

/** A heap entry; stale when the timer was cancelled or rescheduled since it was pushed. */
interface QueueEntry {
  readonly id: number;
  readonly deadlineMs: number;
  readonly sequence: number;
}

/** 2024-01-01T00:00:00Z. */
const defaultStartWallMs = 1_704_067_200_000;

export class VirtualClock implements Clock, Timers {
  private readonly wallOffsetMs: number;
  private elapsedMs: number;
  private readonly timers = new Map<number, Timer>();
  private readonly queue: QueueEntry[] = [];
  private nextId = 0;
  private nextSequence = 0;

  constructor(options: VirtualClockOptions = {}) {
    const startMonotonicMs = options.startMonotonicMs ?? 0;
    assert(Number.isFinite(startMonotonicMs), 'startMonotonicMs must be finite');
    this.elapsedMs = startMonotonicMs;
    this.wallOffsetMs = (options.startWallMs ?? defaultStartWallMs) - startMonotonicMs;
    assert(Number.isFinite(this.wallOffsetMs), 'startWallMs must be finite');
  }

  nowMs(): number {
    return this.wallOffsetMs + this.elapsedMs;
  }

  monotonicMs(): number {
    return this.elapsedMs;
  }

  setTimeout(fn: () => void, delayMs: number): Cancel {
    return this.schedule(fn, delayMs, null);
  }

  setInterval(fn: () => void, periodMs: number): Cancel {
    // A zero period would fire forever without time passing.
    assert(Number.isFinite(periodMs) && periodMs > 0, `interval period must be positive: ${periodMs}`);
    return this.schedule(fn, periodMs, periodMs);
  }

  /** Timers scheduled and not yet fired (intervals count until cancelled). */
  pendingCount(): number {
    return this.timers.size;
  }

  /** The monotonic deadline of the next timer, or null if none is pending. */
  nextDeadlineMs(): number | null {
    const entry = this.peekLive();
    return entry === undefined ? null : entry.deadlineMs;
  }

  /** Moves time forward by ms, firing every timer due on the way in order. */
  advance(ms: number): number {
    assert(Number.isFinite(ms) && ms >= 0, `advance takes a finite, non-negative ms: ${ms}`);
    const targetMs = this.elapsedMs + ms;
    const fired = this.fireUntil(targetMs);
    this.elapsedMs = targetMs;
    return fired;
  }

  /**
   * Fires timers until none is pending or the next one is due more than limitMs from now.
   * Time stops at the last timer fired if idle, else at now + limitMs.
   */
  runUntilIdle(limitMs: number): IdleResult {
    assert(Number.isFinite(limitMs) && limitMs >= 0, `runUntilIdle takes a finite limit: ${limitMs}`);
    const targetMs = this.elapsedMs + limitMs;
    const timersFired = this.fireUntil(targetMs);
    const idle = this.timers.size === 0;
    if (!idle) this.elapsedMs = targetMs;
    return { idle, timersFired };
  }

  private schedule(fn: () => void, delayMs: number, periodMs: number | null): Cancel {
    assert(Number.isFinite(delayMs), `timer delay must be finite: ${delayMs}`);
    assert(this.timers.size < limits.virtualClockTimersMax, 'too many pending virtual timers');
    const id = this.nextId++;
    // Like Node, a negative delay means "as soon as possible".
    const timer: Timer = { fn, periodMs, deadlineMs: this.elapsedMs + Math.max(0, delayMs), sequence: 0 };
    this.timers.set(id, timer);
    this.enqueue(id, timer);
    return () => {
      this.timers.delete(id);
      this.compactIfStale();
    };
  }

  private fireUntil(targetMs: number): number {
    let fired = 0;
    for (;;) {
      const entry = this.peekLive();
      if (entry === undefined || entry.deadlineMs > targetMs) return fired;
      this.pop();
      const timer = this.timers.get(entry.id);
      assert(timer !== undefined, 'a live queue entry has its timer');
      assert(entry.deadlineMs >= this.elapsedMs, 'virtual time went backwards');
      this.elapsedMs = entry.deadlineMs;
      if (timer.periodMs === null) {
        this.timers.delete(entry.id);
      } else {
        // Rescheduled before the callback runs, so the callback can cancel it.
        timer.deadlineMs += timer.periodMs;
        this.enqueue(entry.id, timer);
      }
      fired += 1;
      assert(fired <= limits.virtualClockFiresPerCallMax, 'virtual timers fired without end');
      timer.fn();
    }
  }

  private enqueue(id: number, timer: Timer): void {
    timer.sequence = this.nextSequence++;
    this.push({ id, deadlineMs: timer.deadlineMs, sequence: timer.sequence });
  }

  private isLive(entry: QueueEntry): boolean {
    return this.timers.get(entry.id)?.sequence === entry.sequence;
  }

  /** The earliest live entry, dropping stale ones from the top of the heap. */
  private peekLive(): QueueEntry | undefined {
    for (;;) {
      const top = this.queue[0];
      if (top === undefined || this.isLive(top)) return top;
      this.pop();
    }
  }

  /** Cancelled timers stay in the heap until popped; rebuild it when they are most of it. */
  private compactIfStale(): void {
    if (this.queue.length <= 64 || this.queue.length <= 2 * this.timers.size) return;
    const live = this.queue.filter((e) => this.isLive(e));
    this.queue.length = 0;
    for (const entry of live) this.push(entry);
  }

  // Binary min-heap on (deadlineMs, sequence).

  private push(entry: QueueEntry): void {
    const q = this.queue;
    q.push(entry);
    let i = q.length - 1;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (!before(q[i]!, q[parent]!)) break;
      [q[i], q[parent]] = [q[parent]!, q[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const q = this.queue;
    const last = q.pop();
    if (last === undefined || q.length === 0) return;
    q[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < q.length && before(q[left]!, q[smallest]!)) smallest = left;
      if (right < q.length && before(q[right]!, q[smallest]!)) smallest = right;
      if (smallest === i) return;
      [q[i], q[smallest]] = [q[smallest]!, q[i]!];
      i = smallest;
    }
  }
}

function before(a: QueueEntry, b: QueueEntry): boolean {
  return a.deadlineMs !== b.deadlineMs ? a.deadlineMs < b.deadlineMs : a.sequence < b.sequence;
}
