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
//  1. Partition by key. Registers are independent, so a history is linearizable iff each key's
//     sub-history is (linearizability is local: Herlihy & Wing). This shrinks the search
//     exponentially.
//  2. Precheck: a read of a value that no kept operation on its key wrote, and that is not the
//     initial value, can never be linearized. Rejected at once with a clear reason.
//     Also dropped: indeterminate writes and CAS whose value nothing observes (no read returns
//     it, no CAS expects it, no CAS on the key failed its comparison). Such an operation can
//     always move to the end instead, and each one kept would double the search.
//  3. Per key, turn operations into call and return events sorted by time (calls before
//     returns at equal times: touching intervals count as concurrent), with indeterminate
//     returns at +infinity, in a doubly linked list.
//  4. Depth-first search with an explicit stack. Walk the list from its head: at a call event,
//     try to linearize that operation now (apply it to the model state); if legal and the pair
//     (set of linearized operations as a bitset, new state) has not been seen, push, *lift* the
//     call and its return out of the list (dancing links) and restart from the head. Reaching a
//     return event means that operation had to be linearized before this point and was not:
//     pop the last choice, unlift it and try the next call after it. An empty stack at a return
//     means no linearization exists.
//  5. Success once every determinate operation is linearized: the indeterminate ones left can
//     all go at the end (their returns are at +infinity and a write or CAS with an unknown
//     outcome is always legal), where nothing observes them.
// The memo set (Lowe) cuts the search from orderings to distinct (bitset, state) pairs. Every
// loop iteration costs one step of the shared budget (stepsMax), so the check always halts;
// the memo set grows by at most one entry per step and stops growing (the search goes on,
// unpruned) at limits.linearizabilityMemoBytesMax.
//
// Invariants: entries are validated (assertions; a malformed history is a recorder bug); the
// list is restored exactly on unlift because lifts and unlifts are strictly LIFO.

import { assert } from '../core/result.js';
import { limits } from '../core/limits.js';

export type RegisterValue = string | null;

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

/** What linearizing one operation does to the register: the model's transition. */
type Step =
  | { readonly kind: 'read'; readonly value: RegisterValue }
  | { readonly kind: 'write'; readonly value: RegisterValue }
  | { readonly kind: 'cas_swapped'; readonly expected: RegisterValue; readonly next: RegisterValue }
  | { readonly kind: 'cas_unchanged'; readonly expected: RegisterValue }
  | { readonly kind: 'cas_unknown'; readonly expected: RegisterValue; readonly next: RegisterValue };

interface Operation {
  readonly entry: HistoryEntry;
  readonly step: Step;
  readonly callMs: number;
  /** +Infinity for indeterminate operations. */
  readonly returnMs: number;
  readonly determinate: boolean;
}

/** Rough cost of one memo set entry besides its key's characters (JS Set and string headers). */
const memoEntryBytesEstimate = 64;

/** No node: the end of the event list, or no blocking operation. */
const NONE = -1;

interface Budget {
  used: number;
  readonly max: number;
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
        reason: `${describe(impossible)} returned a value no operation on key ${JSON.stringify(key)} wrote and that is not the initial value`,
        blocking: impossible,
      };
    }
    const result = searchKey(key, prepare(ops), options.initialValue, budget);
    if (result.ok !== true) return result;
  }
  return { ok: true };
}

function validate(entry: HistoryEntry): void {
  assert(Number.isFinite(entry.callMs), `callMs must be finite: ${describe(entry)}`);
  assert(
    entry.returnMs === null || (Number.isFinite(entry.returnMs) && entry.returnMs >= entry.callMs),
    `returnMs must be null or a finite time not before callMs: ${describe(entry)}`,
  );
  assert(!entry.ok || entry.returnMs !== null, `an ok operation must have returned: ${describe(entry)}`);
  if (entry.ok && entry.op === 'read') {
    assert(entry.output !== undefined, `an ok read needs an output: ${describe(entry)}`);
  }
  if (entry.ok && entry.op === 'cas') {
    assert(typeof entry.output === 'boolean', `an ok cas needs a boolean output: ${describe(entry)}`);
  }
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
      return { entry, step: { kind: 'read', value: entry.output }, callMs, returnMs, determinate };
    }
    case 'write':
      return { entry, step: { kind: 'write', value: entry.input }, callMs, returnMs, determinate };
    case 'cas': {
      const [expected, next] = entry.input;
      const step: Step = indeterminate
        ? { kind: 'cas_unknown', expected, next }
        : entry.output === true
          ? { kind: 'cas_swapped', expected, next }
          : { kind: 'cas_unchanged', expected };
      return { entry, step, callMs, returnMs, determinate };
    }
  }
}

/** The register after the step, or undefined if the step is illegal in this state. */
function apply(state: RegisterValue, step: Step): RegisterValue | undefined {
  switch (step.kind) {
    case 'read':
      return state === step.value ? state : undefined;
    case 'write':
      return step.value;
    case 'cas_swapped':
      return state === step.expected ? step.next : undefined;
    case 'cas_unchanged':
      return state !== step.expected ? state : undefined;
    case 'cas_unknown':
      return state === step.expected ? step.next : state;
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

/**
 * The operations worth searching, in call order (so the linearized set is mostly a prefix and
 * its memo key short). Drops indeterminate operations nothing can observe: one whose value no
 * read returns and no CAS expects, on a key with no unchanged CAS, can always be placed at the
 * end instead, so it cannot make or break a linearization. Each one kept doubles the search.
 */
function prepare(ops: readonly Operation[]): Operation[] {
  const observed = new Set<RegisterValue>();
  let unchangedCas = false;
  for (const { step } of ops) {
    if (step.kind === 'read') observed.add(step.value);
    if (step.kind !== 'read' && step.kind !== 'write') observed.add(step.expected);
    if (step.kind === 'cas_unchanged') unchangedCas = true;
  }
  const kept = ops.filter((o) => {
    if (o.determinate || unchangedCas) return true;
    return o.step.kind === 'write' ? observed.has(o.step.value) : o.step.kind === 'cas_unknown' && observed.has(o.step.next);
  });
  return kept
    .map((operation, order) => ({ operation, order }))
    .sort((a, b) => a.operation.callMs - b.operation.callMs || a.order - b.order)
    .map((x) => x.operation);
}

function searchKey(
  key: string,
  ops: readonly Operation[],
  initialValue: RegisterValue,
  budget: Budget,
): LinearizabilityResult {
  const n = ops.length;
  const determinateCount = ops.filter((o) => o.determinate).length;
  const list = new EventList(ops);
  const linearized = new Bitset(n);
  const seen = new Set<string>();
  let seenBytes = 0;
  const stackOps: number[] = [];
  const stackStates: RegisterValue[] = [];
  let state = initialValue;
  let determinateDone = 0;
  let longest: number[] = [];
  let blocking = NONE;
  let cursor = list.first();
  while (determinateDone < determinateCount) {
    budget.used += 1;
    if (budget.used > budget.max) return { ok: 'unknown', reason: 'steps_exceeded' };
    assert(cursor !== NONE, 'the event list ran out before a return event');
    if (list.isCall(cursor)) {
      const op = cursor;
      const operation = ops[op];
      assert(operation !== undefined, 'call event without an operation');
      const next = apply(state, operation.step);
      if (next !== undefined) {
        linearized.set(op);
        const memoKey = `${linearized.key()}|${next === null ? 'n' : `s${next}`}`;
        if (!seen.has(memoKey)) {
          // The memo set only prunes, so when full the search goes on without adding to it.
          if (seenBytes < limits.linearizabilityMemoBytesMax) {
            seen.add(memoKey);
            seenBytes += memoEntryBytesEstimate + 2 * memoKey.length;
          }
          stackOps.push(op);
          stackStates.push(state);
          state = next;
          list.lift(op);
          if (operation.determinate) determinateDone += 1;
          cursor = list.first();
          continue;
        }
        linearized.clear(op);
      }
      cursor = list.next(cursor);
      continue;
    }
    // A return event: its operation should have been linearized by now. Backtrack.
    if (stackOps.length > longest.length || blocking === NONE) {
      longest = stackOps.slice();
      blocking = list.operationOf(cursor);
    }
    const op = stackOps.pop();
    const previous = stackStates.pop();
    if (op === undefined || previous === undefined) {
      return notLinearizable(key, ops, longest, blocking);
    }
    state = previous;
    linearized.clear(op);
    list.unlift(op);
    if (ops[op]?.determinate === true) determinateDone -= 1;
    cursor = list.next(op);
  }
  return { ok: true };
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
  const reason =
    `no linearization of ${ops.length} operations on key ${JSON.stringify(key)}; the longest ` +
    `linearizable prefix has ${prefix.length}` +
    (blocked === undefined ? '' : `, after which ${describe(blocked)} cannot be placed`);
  return blocked === undefined
    ? { ok: false, key, reason, partialLinearization: prefix }
    : { ok: false, key, reason, partialLinearization: prefix, blocking: blocked };
}

/** A one-line description of an entry for failure reasons. */
export function describe(entry: HistoryEntry): string {
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
  return `${body}${outcome} by client ${entry.clientId} on ${JSON.stringify(entry.key)} during ${interval}`;
}


/**
 * The call and return events of one key's operations in time order, as a doubly linked list
 * over arrays. Node i < n is the call of operation i, node n + i its return, node 2n the head
 * sentinel. Indices are in range by construction, hence the non-null assertions.
 */
class EventList {
  private readonly n: number;
  private readonly head: number;
  private readonly nextOf: Int32Array;
  private readonly prevOf: Int32Array;

  constructor(ops: readonly Operation[]) {
    this.n = ops.length;
    this.head = 2 * this.n;
    this.nextOf = new Int32Array(2 * this.n + 1).fill(NONE);
    this.prevOf = new Int32Array(2 * this.n + 1).fill(NONE);
    const events: { node: number; timeMs: number; isReturn: boolean; op: number }[] = [];
    ops.forEach((o, op) => {
      events.push({ node: op, timeMs: o.callMs, isReturn: false, op });
      events.push({ node: this.n + op, timeMs: o.returnMs, isReturn: true, op });
    });
    // Time order; at equal times calls before returns (touching intervals are concurrent),
    // then history order, so the search order is deterministic.
    events.sort((a, b) => {
      if (a.timeMs !== b.timeMs) return a.timeMs < b.timeMs ? -1 : 1;
      if (a.isReturn !== b.isReturn) return a.isReturn ? 1 : -1;
      return a.op - b.op;
    });
    let previous = this.head;
    for (const event of events) {
      this.nextOf[previous] = event.node;
      this.prevOf[event.node] = previous;
      previous = event.node;
    }
  }

  first(): number {
    return this.nextOf[this.head]!;
  }
  next(node: number): number {
    return this.nextOf[node]!;
  }
  isCall(node: number): boolean {
    return node < this.n;
  }
  operationOf(node: number): number {
    return node < this.n ? node : node - this.n;
  }

  /** Removes operation op's call and return events. */
  lift(op: number): void {
    this.unlink(op);
    this.unlink(this.n + op);
  }

  /** Undoes lift(op); must be called in the reverse order of lifts. */
  unlift(op: number): void {
    this.relink(this.n + op);
    this.relink(op);
  }

  private unlink(node: number): void {
    const prev = this.prevOf[node]!;
    const next = this.nextOf[node]!;
    this.nextOf[prev] = next;
    if (next !== NONE) this.prevOf[next] = prev;
  }

  private relink(node: number): void {
    const prev = this.prevOf[node]!;
    const next = this.nextOf[node]!;
    this.nextOf[prev] = node;
    if (next !== NONE) this.prevOf[next] = node;
  }
}

/**
 * A fixed-size set of operation indices, with a string key for the memo set. The key is short
 * for the usual shape, a prefix of whole words set and a few bits after it: the count of
 * leading all-ones words, then the words up to the last nonzero one.
 */
class Bitset {
  private readonly words: Uint32Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }
  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }
  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }
  key(): string {
    const words = this.words;
    let start = 0;
    while (start < words.length && words[start] === 0xffffffff) start += 1;
    let end = words.length;
    while (end > start && words[end - 1] === 0) end -= 1;
    let out = `${start}:`;
    for (let i = start; i < end; i += 1) out += `${words[i]!.toString(36)},`;
    return out;
  }
}
