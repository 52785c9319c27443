// Tests for VirtualClock: time only moves when driven, timers fire in (deadline, scheduling)
// order with the clock reading their deadline, cascades within a window fire, cancellation,
// intervals, runUntilIdle's limit, and a fast-check property against a naive reference.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualClock } from './virtual-clock.js';

describe('VirtualClock', () => {
  it('starts at the given times and moves only when advanced', () => {
    const clock = new VirtualClock({ startWallMs: 1_000_000, startMonotonicMs: 50 });
    assert.equal(clock.nowMs(), 1_000_000);
    assert.equal(clock.monotonicMs(), 50);
    clock.advance(25);
    assert.equal(clock.nowMs(), 1_000_025);
    assert.equal(clock.monotonicMs(), 75);
  });

  it('fires due timers in deadline order with the clock at each deadline', () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.monotonicMs()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.monotonicMs()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.monotonicMs()}`), 30);
    assert.equal(clock.advance(25), 2);
    assert.deepEqual(seen, ['a@10', 'b@20']);
    assert.equal(clock.monotonicMs(), 25);
    clock.advance(5);
    assert.deepEqual(seen, ['a@10', 'b@20', 'c@30']);
  });

  it('fires timers with equal deadlines in scheduling order', () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    for (let i = 0; i < 10; i += 1) clock.setTimeout(() => seen.push(i), 5);
    clock.advance(5);
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('fires timers scheduled by firing timers within the same window', () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.setTimeout(() => {
      seen.push(`outer@${clock.monotonicMs()}`);
      clock.setTimeout(() => seen.push(`zero@${clock.monotonicMs()}`), 0);
      clock.setTimeout(() => seen.push(`inner@${clock.monotonicMs()}`), 15);
      clock.setTimeout(() => seen.push(`late@${clock.monotonicMs()}`), 100);
    }, 10);
    clock.setTimeout(() => seen.push(`same@${clock.monotonicMs()}`), 10);
    clock.advance(30);
    assert.deepEqual(seen, ['outer@10', 'same@10', 'zero@10', 'inner@25']);
    assert.equal(clock.pendingCount(), 1);
    assert.equal(clock.nextDeadlineMs(), 110);
  });

  it('does not fire cancelled timers', () => {
    const clock = new VirtualClock();
    let fired = 0;
    const cancel = clock.setTimeout(() => (fired += 1), 10);
    cancel();
    cancel(); // idempotent
    clock.advance(20);
    assert.equal(fired, 0);
    assert.equal(clock.pendingCount(), 0);
    assert.equal(clock.nextDeadlineMs(), null);
  });

  it('lets a timer cancel another due at the same time', () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    let cancelB = (): void => {};
    clock.setTimeout(() => {
      seen.push('a');
      cancelB();
    }, 5);
    cancelB = clock.setTimeout(() => seen.push('b'), 5);
    clock.advance(5);
    assert.deepEqual(seen, ['a']);
  });

  it('repeats intervals at each period until cancelled, even from their own callback', () => {
    const clock = new VirtualClock();
    const times: number[] = [];
    const cancel = clock.setInterval(() => {
      times.push(clock.monotonicMs());
      if (times.length === 3) cancel();
    }, 10);
    clock.advance(100);
    assert.deepEqual(times, [10, 20, 30]);
    assert.equal(clock.pendingCount(), 0);
  });

  it('orders an interval at equal deadlines by when it was last rescheduled', () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.setInterval(() => seen.push(`tick@${clock.monotonicMs()}`), 10);
    clock.advance(5);
    clock.setTimeout(() => seen.push(`before@${clock.monotonicMs()}`), 15); // before the tick at 10
    clock.advance(5);
    clock.setTimeout(() => seen.push(`after@${clock.monotonicMs()}`), 10); // after it
    clock.advance(10);
    assert.deepEqual(seen, ['tick@10', 'before@20', 'tick@20', 'after@20']);
  });

  it('treats negative delays as zero and rejects bad arguments', () => {
    const clock = new VirtualClock();
    let fired = false;
    clock.setTimeout(() => (fired = true), -5);
    clock.advance(0);
    assert.equal(fired, true);
    assert.throws(() => clock.setInterval(() => {}, 0), /positive/);
    assert.throws(() => clock.advance(-1), /non-negative/);
    assert.throws(() => clock.setTimeout(() => {}, Number.NaN), /finite/);
  });

  it('runUntilIdle stops at the last timer when idle', () => {
    const clock = new VirtualClock();
    clock.setTimeout(() => clock.setTimeout(() => {}, 40), 30);
    assert.deepEqual(clock.runUntilIdle(1000), { idle: true, timersFired: 2 });
    assert.equal(clock.monotonicMs(), 70);
  });

  it('runUntilIdle stops at the limit while an interval keeps it busy', () => {
    const clock = new VirtualClock();
    clock.setInterval(() => {}, 10);
    assert.deepEqual(clock.runUntilIdle(95), { idle: false, timersFired: 9 });
    assert.equal(clock.monotonicMs(), 95);
  });

  it('asserts on a timer loop that never lets time pass', () => {
    const clock = new VirtualClock();
    const loop = (): void => {
      clock.setTimeout(loop, 0);
    };
    clock.setTimeout(loop, 0);
    assert.throws(() => clock.advance(1), /without end/);
  });

  it('stays bounded when timers are scheduled and cancelled without advancing', () => {
    const clock = new VirtualClock();
    for (let i = 0; i < 10_000; i += 1) clock.setTimeout(() => {}, i)();
    assert.equal(clock.pendingCount(), 0);
    assert.equal(clock.nextDeadlineMs(), null);
  });

  it('keeps live timers when it compacts away cancelled ones', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const cancels = Array.from({ length: 200 }, (_, i) => clock.setTimeout(() => fired.push(i), 200 - i));
    cancels.forEach((cancel, i) => {
      if (i % 10 !== 0) cancel();
    });
    assert.equal(clock.pendingCount(), 20);
    clock.advance(1000);
    assert.deepEqual(fired, Array.from({ length: 20 }, (_, k) => 190 - 10 * k));
  });

  it('matches a naive reference on random schedules', () => {
    // Each action schedules a timeout (maybe cancelling an earlier one) or advances time. The
    // reference keeps a plain list and fires the minimum (deadline, scheduling order) each time.
    const action = fc.oneof(
      fc.record({
        kind: fc.constant('timeout' as const),
        delayMs: fc.integer({ min: 0, max: 50 }),
        cancelPick: fc.option(fc.nat()),
      }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
        const clock = new VirtualClock();
        const fired: string[] = [];
        const cancels: (() => void)[] = [];
        type Ref = { deadlineMs: number; order: number; label: string; cancelled: boolean };
        const ref: Ref[] = [];
        const refFired: string[] = [];
        let refNowMs = 0;
        actions.forEach((a, i) => {
          if (a.kind === 'timeout') {
            const label = `t${i}`;
            cancels.push(clock.setTimeout(() => fired.push(`${label}@${clock.monotonicMs()}`), a.delayMs));
            ref.push({ deadlineMs: refNowMs + a.delayMs, order: i, label, cancelled: false });
            if (a.cancelPick !== null && cancels.length > 0) {
              const k = a.cancelPick % cancels.length;
              cancels[k]?.();
              const target = ref[k];
              if (target !== undefined) target.cancelled = true;
            }
            return;
          }
          clock.advance(a.ms);
          const targetMs = refNowMs + a.ms;
          const due = ref
            .filter((r) => !r.cancelled && r.deadlineMs <= targetMs)
            .sort((x, y) => x.deadlineMs - y.deadlineMs || x.order - y.order);
          for (const r of due) {
            r.cancelled = true;
            refFired.push(`${r.label}@${r.deadlineMs}`);
          }
          refNowMs = targetMs;
        });
        assert.deepEqual(fired, refFired);
        assert.equal(clock.monotonicMs(), refNowMs);
      }),
    );
  });
});
