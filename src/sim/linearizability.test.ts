// Tests for the linearizability checker: hand-made histories for each rule, then fast-check
// properties against a reference atomic register (histories it produces are accepted; a read
// corrupted to an impossible value is rejected).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkLinearizable,
  type HistoryEntry,
  type LinearizabilityResult,
  type RegisterValue,
} from './linearizability.js';

const options = { initialValue: null, stepsMax: 2_000_000 } as const;
const check = (history: readonly HistoryEntry[]): LinearizabilityResult =>
  checkLinearizable(history, options);

// Builders: client, interval, then the operation's own fields. key defaults to 'x'.
type V = RegisterValue;
const read = (clientId: number, callMs: number, returnMs: number, output: V, key = 'x'): HistoryEntry =>
  ({ op: 'read', clientId, key, callMs, returnMs, ok: true, output });
const write = (clientId: number, callMs: number, returnMs: number, input: V, key = 'x'): HistoryEntry =>
  ({ op: 'write', clientId, key, callMs, returnMs, ok: true, input });
const writeTimedOut = (clientId: number, callMs: number, input: RegisterValue, key = 'x'): HistoryEntry =>
  ({ op: 'write', clientId, key, callMs, returnMs: null, ok: false, input });
const cas = (
  clientId: number, callMs: number, returnMs: number | null,
  expected: RegisterValue, next: RegisterValue, swapped: boolean | null,
): HistoryEntry =>
  swapped === null
    ? { op: 'cas', clientId, key: 'x', callMs, returnMs, ok: false, input: [expected, next] }
    : { op: 'cas', clientId, key: 'x', callMs, returnMs, ok: true, input: [expected, next], output: swapped };

describe('checkLinearizable: hand-made histories', () => {
  it('accepts the empty history', () => {
    assert.deepEqual(check([]), { ok: true });
  });

  it('accepts a sequential history', () => {
    const h = [read(1, 0, 1, null), write(1, 2, 3, 'a'), read(2, 4, 5, 'a'), write(2, 6, 7, 'b'), read(1, 8, 9, 'b')];
    assert.deepEqual(check(h), { ok: true });
  });

  it('accepts concurrent reads seeing the old or new value of a concurrent write', () => {
    const h = [write(1, 0, 10, 'a'), read(2, 1, 3, null), read(3, 2, 12, 'a'), read(2, 4, 6, 'a')];
    assert.deepEqual(check(h), { ok: true });
  });

  it('rejects reads that flip back to the old value during a concurrent write', () => {
    const h = [write(1, 0, 10, 'a'), read(2, 1, 3, 'a'), read(2, 4, 6, null)];
    assert.equal(check(h).ok, false);
  });

  it('rejects a stale read after a completed write, naming the read', () => {
    const stale = read(3, 4, 5, 'a');
    const result = check([write(1, 0, 1, 'a'), write(2, 2, 3, 'b'), stale]);
    assert.equal(result.ok, false);
    if (result.ok !== false) return;
    assert.equal(result.key, 'x');
    assert.equal(result.blocking, stale);
    assert.equal(result.partialLinearization?.length, 2);
    assert.match(result.reason, /no linearization/);
  });

  it('rejects a read of a value never written', () => {
    const bogus = read(2, 2, 3, 'zzz');
    const result = check([write(1, 0, 1, 'a'), bogus]);
    assert.equal(result.ok, false);
    if (result.ok !== false) return;
    assert.equal(result.blocking, bogus);
    assert.match(result.reason, /no operation on key "x" wrote/);
  });

  it('rejects a read that precedes the only write of its value', () => {
    assert.equal(check([read(1, 0, 1, 'a'), write(2, 2, 3, 'a')]).ok, false);
  });

  it('treats touching intervals as concurrent', () => {
    assert.deepEqual(check([write(1, 0, 5, 'a'), read(2, 5, 6, null)]), { ok: true });
  });

  it('accepts an indeterminate write that takes effect later', () => {
    const h = [writeTimedOut(1, 0, 'a'), read(2, 5, 6, null), read(2, 100, 101, 'a')];
    assert.deepEqual(check(h), { ok: true });
  });

  it('accepts an indeterminate write that never appears', () => {
    const h = [writeTimedOut(1, 0, 'a'), read(2, 100, 101, null), write(2, 102, 103, 'b'), read(3, 104, 105, 'b')];
    assert.deepEqual(check(h), { ok: true });
  });

  it('rejects an indeterminate write that appears and then vanishes', () => {
    const h = [writeTimedOut(1, 0, 'a'), read(2, 10, 11, 'a'), read(2, 12, 13, null)];
    assert.equal(check(h).ok, false);
  });

  it('keeps an indeterminate write observed by a read that returned as it was called', () => {
    assert.deepEqual(check([read(2, 0, 5, 'a'), writeTimedOut(1, 5, 'a')]), { ok: true });
  });

  it('keeps an indeterminate write observed only through an indeterminate compare-and-set', () => {
    const h = [writeTimedOut(1, 0, 'a'), cas(2, 1, null, 'a', 'b', null), read(3, 10, 11, 'b')];
    assert.deepEqual(check(h), { ok: true });
  });

  it('keeps an indeterminate write a failed compare-and-set depends on', () => {
    // Only the timed-out write can make the register differ from null before the CAS.
    const h = [writeTimedOut(1, 0, 'a'), cas(2, 1, 2, null, 'b', false)];
    assert.deepEqual(check(h), { ok: true });
    assert.equal(check([cas(2, 1, 2, null, 'b', false)]).ok, false);
  });

  it('drops definitely failed writes and failed reads', () => {
    const failedWrite: HistoryEntry = { op: 'write', clientId: 1, key: 'x', callMs: 0, returnMs: 1, ok: false, input: 'a' };
    const failedRead: HistoryEntry = { op: 'read', clientId: 2, key: 'x', callMs: 2, returnMs: 3, ok: false };
    assert.deepEqual(check([failedWrite, failedRead, read(2, 4, 5, null)]), { ok: true });
    assert.equal(check([failedWrite, read(2, 4, 5, 'a')]).ok, false);
  });

  it('checks compare-and-set', () => {
    assert.deepEqual(check([write(1, 0, 1, 'a'), cas(2, 2, 3, 'a', 'b', true), read(1, 4, 5, 'b')]), { ok: true });
    assert.deepEqual(check([write(1, 0, 1, 'c'), cas(2, 2, 3, 'a', 'b', false), read(1, 4, 5, 'c')]), { ok: true });
    assert.equal(check([write(1, 0, 1, 'c'), cas(2, 2, 3, 'a', 'b', true)]).ok, false);
    assert.equal(check([write(1, 0, 1, 'a'), cas(2, 2, 3, 'a', 'b', false)]).ok, false);
    assert.deepEqual(check([cas(1, 0, 1, null, 'a', true), read(1, 2, 3, 'a')]), { ok: true });
  });

  it('allows only one of two concurrent compare-and-sets on the same value to win', () => {
    assert.equal(check([write(1, 0, 1, 'a'), cas(2, 2, 5, 'a', 'b', true), cas(3, 2, 5, 'a', 'c', true)]).ok, false);
    const oneWins = [write(1, 0, 1, 'a'), cas(2, 2, 5, 'a', 'b', true), cas(3, 2, 5, 'a', 'c', false), read(1, 6, 7, 'b')];
    assert.deepEqual(check(oneWins), { ok: true });
  });

  it('accepts an indeterminate compare-and-set that takes effect, only if it could match', () => {
    assert.deepEqual(check([write(1, 0, 1, 'a'), cas(2, 2, null, 'a', 'b', null), read(1, 9, 10, 'b')]), { ok: true });
    assert.equal(check([write(1, 0, 1, 'c'), cas(2, 2, null, 'a', 'b', null), read(1, 9, 10, 'b')]).ok, false);
  });

  it('checks keys independently and reports the failing key', () => {
    const good = [write(1, 0, 10, 'a', 'x'), read(2, 1, 2, 'b', 'y'), write(3, 0, 3, 'b', 'y'), read(2, 11, 12, 'a', 'x')];
    assert.deepEqual(check(good), { ok: true });
    const bad = [...good, read(4, 20, 21, null, 'y')];
    const result = check(bad);
    assert.equal(result.ok, false);
    assert.equal(result.ok === false ? result.key : '', 'y');
  });

  it('gives up with steps_exceeded when the budget is too small', () => {
    const h = [write(1, 0, 10, 'a'), write(2, 0, 10, 'b'), read(3, 11, 12, 'a')];
    assert.deepEqual(checkLinearizable(h, { initialValue: null, stepsMax: 2 }), { ok: 'unknown', reason: 'steps_exceeded' });
  });

  it('memoizes: refutes many concurrent writes within a small budget', () => {
    // 12 concurrent writes, then reads seeing v0 and later v1: impossible, since each write
    // happens once. Without memoization that is 12! orderings; with it, at most 2^12 * 13 states.
    const writes = Array.from({ length: 12 }, (_, i) => write(i, 0, 100, `v${i}`));
    const h = [...writes, read(20, 200, 201, 'v0'), read(20, 202, 203, 'v1')];
    const result = checkLinearizable(h, { initialValue: null, stepsMax: 1_000_000 });
    assert.equal(result.ok, false);
  });

  it('uses the initial value', () => {
    assert.deepEqual(checkLinearizable([read(1, 0, 1, 'init')], { initialValue: 'init', stepsMax: 100 }), { ok: true });
    assert.equal(check([read(1, 0, 1, 'init')]).ok, false);
  });

  it('asserts on malformed entries', () => {
    assert.throws(() => check([read(1, 5, 4, null)]), /returnMs/);
    const noOutput: HistoryEntry = { op: 'read', clientId: 1, key: 'x', callMs: 0, returnMs: 1, ok: true };
    assert.throws(() => check([noOutput]), /output/);
  });
});

// ---- Property tests against a reference atomic register ----

type Fate = 'ok' | 'failed' | 'timeout_applied' | 'timeout_lost';

const plannedOp = fc.record({
  kind: fc.constantFrom('read', 'write', 'cas'),
  key: fc.constantFrom('x', 'y'),
  value: fc.constantFrom('a', 'b', 'c'),
  expected: fc.constantFrom(null, 'a', 'b'),
  /** With unique values, the CAS expects the value of an earlier planned write picked by this. */
  expectedPick: fc.nat(),
  gapMs: fc.integer({ min: 0, max: 5 }),
  durationMs: fc.integer({ min: 0, max: 10 }),
  pointFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  fate: fc.oneof(
    { weight: 8, arbitrary: fc.constant<Fate>('ok') },
    { weight: 3, arbitrary: fc.constantFrom<Fate>('failed', 'timeout_applied', 'timeout_lost') },
  ),
});
type PlannedOp = typeof plannedOp extends fc.Arbitrary<infer T> ? T : never;
/** Unique values (as a simulator would write) let the checker bound timed-out writes. */
const plannedHistory = fc.record({
  clients: fc.array(fc.array(plannedOp, { maxLength: 10 }), { minLength: 1, maxLength: 5 }),
  uniqueValues: fc.boolean(),
});
type Plan = typeof plannedHistory extends fc.Arbitrary<infer T> ? T : never;

/**
 * Runs each client's planned operations, one after another per client, against one atomic
 * register per key: each operation that takes effect does so at a point inside its interval
 * (an applied timeout: anywhere after its call). Returns the recorded history.
 */
function execute(plan: Plan): HistoryEntry[] {
  type Pending = { entry: Record<string, unknown>; pointMs: number; order: number; key: string };
  const pending: Pending[] = [];
  const entries: Record<string, unknown>[] = [];
  const planned: RegisterValue[] = [null];
  plan.clients.forEach((ops: readonly PlannedOp[], clientId) => {
    let timeMs = 0;
    for (const p of ops) {
      const value = plan.uniqueValues ? `${p.value}${clientId}.${entries.length}` : p.value;
      const expected = plan.uniqueValues ? (planned[p.expectedPick % planned.length] ?? null) : p.expected;
      if (p.kind !== 'read') planned.push(value);
      const callMs = timeMs + p.gapMs;
      const endMs = callMs + p.durationMs;
      timeMs = endMs; // a timed-out client moves on after its timeout
      const indeterminate = p.fate === 'timeout_applied' || p.fate === 'timeout_lost';
      const entry: Record<string, unknown> = {
        op: p.kind, clientId, key: p.key, callMs,
        returnMs: indeterminate ? null : endMs, ok: p.fate === 'ok',
      };
      if (p.kind === 'write') entry['input'] = value;
      if (p.kind === 'cas') entry['input'] = [expected, value];
      entries.push(entry);
      if (p.fate === 'ok' || (p.fate === 'timeout_applied' && p.kind !== 'read')) {
        const spanMs = p.fate === 'ok' ? p.durationMs : p.durationMs + 30;
        const pointMs = callMs + Math.floor(p.pointFraction * spanMs);
        pending.push({ entry, pointMs, order: pending.length, key: p.key });
      }
    }
  });
  pending.sort((a, b) => a.pointMs - b.pointMs || a.order - b.order);
  const registers = new Map<string, RegisterValue>();
  for (const { entry, key } of pending) {
    const current = registers.get(key) ?? null;
    if (entry['op'] === 'read') entry['output'] = current;
    if (entry['op'] === 'write') registers.set(key, entry['input'] as RegisterValue);
    if (entry['op'] === 'cas') {
      const [expected, next] = entry['input'] as [RegisterValue, RegisterValue];
      if (current === expected) registers.set(key, next);
      if (entry['ok'] === true) entry['output'] = current === expected;
    }
  }
  return entries as unknown as HistoryEntry[];
}

/** The history with entry index, which must be a read, returning output instead. */
function withReadOutput(history: readonly HistoryEntry[], index: number, output: string): HistoryEntry[] {
  return history.map((e, i) => {
    if (i !== index) return e;
    assert.equal(e.op, 'read');
    return { ...e, op: 'read', output };
  });
}

const okReadIndices = (h: readonly HistoryEntry[]): number[] =>
  h.flatMap((e, i) => (e.op === 'read' && e.ok ? [i] : []));

describe('checkLinearizable: properties', () => {
  it('accepts every history of a real atomic register', () => {
    fc.assert(
      fc.property(plannedHistory, (plan) => {
        const result = check(execute(plan));
        assert.deepEqual(result, { ok: true });
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a history where one read returns a value never written', () => {
    fc.assert(
      fc.property(plannedHistory, fc.nat(), (plan, pick) => {
        const history = execute(plan);
        const reads = okReadIndices(history);
        fc.pre(reads.length > 0);
        const index = reads[pick % reads.length]!;
        const mutated = withReadOutput(history, index, 'never-written');
        assert.equal(check(mutated).ok, false);
      }),
    );
  });

  it('rejects a history where one read returns a value written only after it returned', () => {
    // Passes the never-written precheck, so the search itself must refute every ordering.
    fc.assert(
      fc.property(plannedHistory, fc.nat(), (plan, pick) => {
        const history = execute(plan);
        const reads = okReadIndices(history);
        fc.pre(reads.length > 0);
        const index = reads[pick % reads.length]!;
        const read = history[index]!;
        const endMs = Math.max(...history.map((e) => e.returnMs ?? e.callMs));
        const mutated = withReadOutput(history, index, 'future');
        mutated.push(write(99, endMs + 1, endMs + 2, 'future', read.key));
        const result = check(mutated);
        assert.equal(result.ok, false, JSON.stringify(result));
      }),
    );
  });
});
