// Owns the linearizability checker for histories of operations on named read/write registers
// with compare-and-set (the shape of Herd's etcd-backed state as clients see it).
//
// Input: a history (HistoryEntry[]) recorded by clients of the system under test, the
// registers' initial value and a step budget. Output: linearizable, not linearizable (with the
// key, a reason, the longest linearizable prefix found and the operation that blocked it), or
// unknown when the budget ran out. Pure: no I/O, no clock, no randomness; same input, same answer.
//
// Vocabulary. An *operation* has an invocation (callMs) and a response (returnMs). It is
// *determinate* if it returned (ok:true) and *indeterminate* if it never returned (returnMs:
// null, e.g. timed out): it may or may not have taken effect, so it is treated as concurrent
// with everything after its call. Failed reads tell nothing and are dropped; writes and CAS that
// definitely failed (ok:false with a returnMs) never took effect and are dropped. A
// *linearization* is a total order of the operations that respects real time (if A returned
// before B was called, A comes first) and in which every operation is legal for a register.
//
// Algorithm: Wing & Gong's search with Lowe's memoization, as in porcupine.
//  1. Partition by key. Registers are independent and linearizability is local (Herlihy &
//     Wing): a history is linearizable iff each key's sub-history is. This shrinks the search
//     exponentially.
//  2. Precheck: a read of a value that no kept operation on its key wrote, and that is not the
//     initial value, can never be linearized: rejected at once with a clear reason.
//  3. Bound indeterminate writes and CAS by their observers (prepare() below): one proven by a
//     read of the value only it writes must be placed before that read returns; one nothing
//     observes after its call is dropped; the others get a deadline, the return time of their
//     last observer, at which the search may drop them. Otherwise each timed-out operation
//     would stay pending to the end and double the search space.
//  4. Search each key (linearizability-search.ts): call and return events sorted by time
//     (calls first at equal times: touching intervals count as concurrent) in a doubly linked
//     list; depth-first with an explicit stack, linearizing at each point any operation whose
//     call comes before the first pending return, lifting it out of the list, and backtracking
//     at a return event; (linearized set as a bitset, register value) pairs already explored
//     are skipped (Lowe's memo). Success once every determinate operation is placed.
// Every search step costs one unit of the budget shared across keys (stepsMax), so the check
// always halts; the memo set is capped at limits.linearizabilityMemoBytesMax.
//
// Invariants: entries are validated (assertions: a malformed history is a recorder bug);
// operations dropped or bounded in step 3 never change the verdict (argued at prepare()).

import { assert, AssertionError } from '../core/result.js';
import { limits } from '../core/limits.js';
import {
  searchLinearization,
  type Budget,
  type RegisterValue,
  type SearchOperation,
  type Step,
} from './linearizability-search.js';

export type { RegisterValue } from './linearizability-search.js';

interface EntryCommon {
  readonly clientId: number;
  readonly key: string;
  readonly callMs: number;
  /** null: never returned (timed out, connection lost); may or may not have taken effect. */
  readonly returnMs: number | null;
  /** true: completed. false: failed; definitely if returnMs is a number, maybe if null. */
  readonly ok: boolean;
}

export interface ReadEntry extends EntryCommon {
  readonly op: 'read';
  /** The value read; required when ok. */
  readonly output?: RegisterValue;
}

export interface WriteEntry extends EntryCommon {
  readonly op: 'write';
  readonly input: RegisterValue;
}

export interface CasEntry extends EntryCommon {
  readonly op: 'cas';
  readonly input: readonly [expected: RegisterValue, next: RegisterValue];
  /** Required when ok: true if the value matched and was swapped, false if it did not match. */
  readonly output?: boolean;
}

export type HistoryEntry = ReadEntry | WriteEntry | CasEntry;

export interface CheckOptions {
  readonly initialValue: RegisterValue;
  /** Search budget across all keys; at most limits.linearizabilityStepsMax. */
  readonly stepsMax: number;
}

export type LinearizabilityResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly key: string;
      readonly reason: string;
      /** The longest linearizable prefix the search found for this key, in order. */
      readonly partialLinearization?: readonly HistoryEntry[];
      /** The operation that could not be linearized after that prefix before it returned. */
      readonly blocking?: HistoryEntry;
    }
  | { readonly ok: 'unknown'; readonly reason: 'steps_exceeded' | 'history_too_large' };

/** One kept operation: its entry and what the search needs. */
interface Operation extends SearchOperation {
  readonly entry: HistoryEntry;
}

export function checkLinearizable(
  history: readonly HistoryEntry[],
  options: CheckOptions,
): LinearizabilityResult {
  assert(
    Number.isInteger(options.stepsMax) &&
      options.stepsMax > 0 &&
      options.stepsMax <= limits.linearizabilityStepsMax,
    `stepsMax must be an integer in 1..${limits.linearizabilityStepsMax}`,
  );
  if (history.length > limits.linearizabilityHistoryEntriesMax) {
    return { ok: 'unknown', reason: 'history_too_large' };
  }
  const byKey = new Map<string, Operation[]>();
  for (const entry of history) {
    validate(entry);
    const operation = toOperation(entry);
    if (operation === null) continue;
    const ops = byKey.get(entry.key);
    if (ops === undefined) byKey.set(entry.key, [operation]);
    else ops.push(operation);
  }
  const budget: Budget = { used: 0, max: options.stepsMax };
  // Sorted so the first failing key reported does not depend on the history's order.
  for (const key of [...byKey.keys()].sort()) {
    const ops = byKey.get(key) ?? [];
    const impossible = findImpossibleRead(ops, options.initialValue);
    if (impossible !== null) {
      return {
        ok: false,
        key,
        reason:
          `${describeEntry(impossible)} returned a value that no operation on key ` +
          `${JSON.stringify(key)} wrote and that is not the initial value`,
        blocking: impossible,
      };
    }
    const candidates = prepare(ops, options.initialValue);
    const result = searchLinearization(candidates, options.initialValue, budget);
    if (result.kind === 'steps_exceeded') return { ok: 'unknown', reason: 'steps_exceeded' };
    if (result.kind === 'not_linearizable') {
      return notLinearizable(key, candidates, result.longest, result.blocking);
    }
  }
  return { ok: true };
}

/** Throws on a malformed entry (a recorder bug), naming it. */
function validate(entry: HistoryEntry): void {
  const problem = entryProblem(entry);
  // Not assert(): the message is built only when needed, histories can be long.
  if (problem !== null) throw new AssertionError(`${problem}: ${describeEntry(entry)}`);
}

function entryProblem(entry: HistoryEntry): string | null {
  if (!Number.isFinite(entry.callMs)) return 'callMs must be finite';
  if (entry.returnMs !== null && !(Number.isFinite(entry.returnMs) && entry.returnMs >= entry.callMs)) {
    return 'returnMs must be null or a finite time not before callMs';
  }
  if (entry.ok && entry.returnMs === null) return 'an ok operation must have returned';
  if (entry.ok && entry.op === 'read' && entry.output === undefined) return 'an ok read needs an output';
  if (entry.ok && entry.op === 'cas' && typeof entry.output !== 'boolean') {
    return 'an ok cas needs a boolean output';
  }
  return null;
}

/** The operation to check, or null for one that is dropped (see the header). */
function toOperation(entry: HistoryEntry): Operation | null {
  const indeterminate = !entry.ok && entry.returnMs === null;
  if (!entry.ok && !indeterminate) return null;
  const callMs = entry.callMs;
  const returnMs = entry.returnMs ?? Number.POSITIVE_INFINITY;
  const determinate = !indeterminate;
  switch (entry.op) {
    case 'read': {
      if (indeterminate || entry.output === undefined) return null;
      const step: Step = { kind: 'read', value: entry.output };
      return { entry, step, callMs, returnMs, determinate, droppable: false };
    }
    case 'write': {
      const step: Step = { kind: 'write', value: entry.input };
      return { entry, step, callMs, returnMs, determinate, droppable: false };
    }
    case 'cas': {
      const [expected, next] = entry.input;
      const step: Step = indeterminate
        ? { kind: 'cas_unknown', expected, next }
        : entry.output === true
          ? { kind: 'cas_swapped', expected, next }
          : { kind: 'cas_unchanged', expected };
      return { entry, step, callMs, returnMs, determinate, droppable: false };
    }
  }
}

function findImpossibleRead(ops: readonly Operation[], initialValue: RegisterValue): HistoryEntry | null {
  const written = new Set<RegisterValue>([initialValue]);
  for (const { step } of ops) {
    if (step.kind === 'write') written.add(step.value);
    if (step.kind === 'cas_swapped' || step.kind === 'cas_unknown') written.add(step.next);
  }
  for (const { step, entry } of ops) {
    if (step.kind === 'read' && !written.has(step.value)) return entry;
  }
  return null;
}

/** The value an indeterminate operation may have written, or undefined for other operations. */
function valueWritten(operation: Operation): RegisterValue | undefined {
  if (operation.determinate) return undefined;
  if (operation.step.kind === 'write') return operation.step.value;
  if (operation.step.kind === 'cas_unknown') return operation.step.next;
  return undefined;
}

/** What the operations on one key tell about each value, for prepare(). */
interface ValueFacts {
  /** Operations that may write each value (plus one for the initial value). */
  readonly writers: Map<RegisterValue, number>;
  /** Latest return of an observer of each value: a read of it, a CAS expecting it. */
  readonly observedUntilMs: Map<RegisterValue, number>;
  /** Earliest return of a determinate read of each value or swapped CAS expecting it. */
  readonly provenByMs: Map<RegisterValue, number>;
  /** Latest return of a CAS that failed its comparison (it observes every value). */
  readonly failedCasUntilMs: number;
}

function valueFacts(ops: readonly Operation[], initialValue: RegisterValue): ValueFacts {
  const writers = new Map<RegisterValue, number>([[initialValue, 1]]);
  const observedUntilMs = new Map<RegisterValue, number>();
  const provenByMs = new Map<RegisterValue, number>();
  let failedCasUntilMs = -Infinity;
  const observe = (value: RegisterValue, returnMs: number, proves: boolean): void => {
    observedUntilMs.set(value, Math.max(observedUntilMs.get(value) ?? -Infinity, returnMs));
    if (proves) provenByMs.set(value, Math.min(provenByMs.get(value) ?? Infinity, returnMs));
  };
  for (const { step, returnMs } of ops) {
    if (step.kind === 'read') observe(step.value, returnMs, true);
    if (step.kind === 'cas_swapped') observe(step.expected, returnMs, true);
    if (step.kind === 'cas_unknown') observe(step.expected, returnMs, false);
    if (step.kind === 'cas_unchanged') failedCasUntilMs = Math.max(failedCasUntilMs, returnMs);
    const writes = step.kind === 'write' || step.kind === 'cas_swapped' || step.kind === 'cas_unknown';
    if (writes) {
      const written = step.kind === 'write' ? step.value : step.next;
      writers.set(written, (writers.get(written) ?? 0) + 1);
    }
  }
  return { writers, observedUntilMs, provenByMs, failedCasUntilMs };
}

/**
 * The operations to search, in call order (so the linearized set is mostly a prefix and its
 * memo key short), with indeterminate writes and CAS bounded. Each indeterminate operation
 * left pending to the end would double the search, so for one writing v:
 *  - If it is v's only writer and a determinate read returned v (or a CAS swapped from v), it
 *    took effect before the first such return: searched as determinate with that return time.
 *  - Else its observers bound it: the reads of v, the CAS expecting v and every CAS that failed
 *    its comparison. Linearized after all of them it can move to the end (in between the
 *    register holds v and only writes and no-op CAS can happen, so removing it breaks
 *    nothing). So it takes effect before its last observer returns (its deadline) or can be
 *    dropped: searched with its deadline as return time, droppable there; dropped at once if
 *    no observer returns after its call. A CAS of v to v never changes anything: dropped.
 */
function prepare(ops: readonly Operation[], initialValue: RegisterValue): Operation[] {
  const live = ops.filter((o) => !(o.step.kind === 'cas_unknown' && o.step.expected === o.step.next));
  const facts = valueFacts(live, initialValue);
  const kept: Operation[] = [];
  for (const operation of live) {
    const value = valueWritten(operation);
    if (value === undefined) {
      kept.push(operation);
      continue;
    }
    const provenByMs = facts.provenByMs.get(value);
    const onlyWriter = facts.writers.get(value) === 1;
    if (onlyWriter && provenByMs !== undefined && provenByMs >= operation.callMs) {
      kept.push({ ...operation, returnMs: provenByMs, determinate: true });
      continue;
    }
    const deadlineMs = Math.max(facts.observedUntilMs.get(value) ?? -Infinity, facts.failedCasUntilMs);
    if (deadlineMs < operation.callMs) continue;
    if (deadlineMs === Infinity) kept.push(operation);
    else kept.push({ ...operation, returnMs: deadlineMs, droppable: true });
  }
  return kept
    .map((operation, order) => ({ operation, order }))
    .sort((a, b) => a.operation.callMs - b.operation.callMs || a.order - b.order)
    .map((x) => x.operation);
}

function notLinearizable(
  key: string,
  ops: readonly Operation[],
  longest: readonly number[],
  blocking: number,
): LinearizabilityResult {
  const prefix = longest.map((i) => {
    const operation = ops[i];
    assert(operation !== undefined, 'linearized index out of range');
    return operation.entry;
  });
  const blocked = ops[blocking]?.entry;
  assert(blocked !== undefined, 'a failed search names the blocking operation');
  const reason =
    `no linearization of ${ops.length} operations on key ${JSON.stringify(key)}; the longest ` +
    `found places ${prefix.length}, after which ${describeEntry(blocked)} cannot be placed`;
  return { ok: false, key, reason, partialLinearization: prefix, blocking: blocked };
}

/** A one-line description of an entry for failure reasons. */
export function describeEntry(entry: HistoryEntry): string {
  const show = (v: RegisterValue | boolean | undefined): string =>
    v === undefined ? '?' : JSON.stringify(v);
  const interval = `[${entry.callMs}, ${entry.returnMs ?? '∞'}] ms`;
  const body =
    entry.op === 'read'
      ? `read -> ${show(entry.output)}`
      : entry.op === 'write'
        ? `write ${show(entry.input)}`
        : `cas ${show(entry.input[0])} => ${show(entry.input[1])} -> ${show(entry.output)}`;
  const outcome = entry.ok ? '' : ' (indeterminate)';
  const where = `on ${JSON.stringify(entry.key)} during ${interval}`;
  return `${body}${outcome} by client ${entry.clientId} ${where}`;
}
