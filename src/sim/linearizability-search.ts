// Owns the search at the heart of the linearizability checker (src/sim/linearizability.ts):
// Wing & Gong's depth-first search over one register's operations with Lowe's memoization, in
// porcupine's form (a doubly linked list of call and return events, lifted and unlifted).
//
// Input: one key's operations (model transition, call time, return time or +Infinity), the
// initial value and a step budget shared across keys. Output: linearizable, budget exhausted,
// or not linearizable with the longest linearization found (as operation indices) and the
// operation that blocked it. Pure.
//
// The search: walk the event list from its head. At a call event, try to linearize that
// operation now; if legal and the pair (linearized set, new state) is new, push, lift the
// operation's two events out of the list and restart from the head. At a return event, that
// operation had to be linearized by now: if it is *droppable* (see below), first try leaving it
// out (a no-op placed here, standing for "placed at the very end"), else backtrack: pop the last
// choice, unlift it and go on after its call event. Popping a drop backtracks once more, since a
// drop is the last alternative at its return event. An empty stack there: not linearizable.
// Success as soon as every determinate operation is linearized: the indeterminate ones left
// can all go at the end, where nothing observes them.
//
// A droppable operation is an indeterminate one whose effect can only matter before its return
// time here, which the caller computed from its observers; see prepare() in the checker.
//
// Invariants: lifts and unlifts are strictly LIFO, so unlift restores the list exactly; the
// memo set grows by at most one entry per step and stops growing at
// limits.linearizabilityMemoBytesMax (it only prunes, so the search stays correct without it).

import { assert } from '../core/result.js';
import { limits } from '../core/limits.js';

export type RegisterValue = string | null;

/** What linearizing one operation does to the register: the model's transition. */
export type Step =
  | { readonly kind: 'read'; readonly value: RegisterValue }
  | { readonly kind: 'write'; readonly value: RegisterValue }
  | { readonly kind: 'cas_swapped'; readonly expected: RegisterValue; readonly next: RegisterValue }
  | { readonly kind: 'cas_unchanged'; readonly expected: RegisterValue }
  | { readonly kind: 'cas_unknown'; readonly expected: RegisterValue; readonly next: RegisterValue };

export interface SearchOperation {
  readonly step: Step;
  readonly callMs: number;
  /** +Infinity for an indeterminate operation that must be kept until the end. */
  readonly returnMs: number;
  readonly determinate: boolean;
  /** May be left out at its return event (indeterminate; nothing observes it after returnMs). */
  readonly droppable: boolean;
}

export interface Budget {
  used: number;
  readonly max: number;
}

export type SearchResult =
  | { readonly kind: 'linearizable' }
  | { readonly kind: 'steps_exceeded' }
  | {
      readonly kind: 'not_linearizable';
      /** Indices of the longest linearization found, in order, without dropped operations. */
      readonly longest: readonly number[];
      /** Index of the operation whose return came before it could be linearized after it. */
      readonly blocking: number;
    };

/** The register after the step, or undefined if the step is illegal in this state. */
export function apply(state: RegisterValue, step: Step): RegisterValue | undefined {
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

/** Rough cost of one memo set entry besides its key's characters (JS Set and string headers). */
const memoEntryBytesEstimate = 64;

/** No node: the end of the event list. */
const NONE = -1;

export function searchLinearization(
  ops: readonly SearchOperation[],
  initialValue: RegisterValue,
  budget: Budget,
): SearchResult {
  const determinateCount = ops.filter((o) => o.determinate).length;
  const list = new EventList(ops);
  const linearized = new Bitset(ops.length);
  const seen = new Set<string>();
  let seenBytes = 0;
  // The stack of choices: operation, state before it, whether it was dropped.
  const stackOps: number[] = [];
  const stackStates: RegisterValue[] = [];
  const stackDropped: boolean[] = [];
  let state = initialValue;
  let determinateDone = 0;
  let longest: number[] = [];
  let blocking = NONE;
  let cursor = list.first();

  /** Pushes op with the state it leads to, unless that pair was explored already. */
  const tryPush = (op: number, next: RegisterValue, dropped: boolean): boolean => {
    linearized.set(op);
    const memoKey = `${linearized.key()}|${next === null ? 'n' : `s${next}`}`;
    if (seen.has(memoKey)) {
      linearized.clear(op);
      return false;
    }
    if (seenBytes < limits.linearizabilityMemoBytesMax) {
      seen.add(memoKey);
      seenBytes += memoEntryBytesEstimate + 2 * memoKey.length;
    }
    stackOps.push(op);
    stackStates.push(state);
    stackDropped.push(dropped);
    state = next;
    list.lift(op);
    if (ops[op]?.determinate === true) determinateDone += 1;
    cursor = list.first();
    return true;
  };

  while (determinateDone < determinateCount) {
    budget.used += 1;
    if (budget.used > budget.max) return { kind: 'steps_exceeded' };
    assert(cursor !== NONE, 'the event list ran out before a return event');
    const op = list.operationOf(cursor);
    const operation = ops[op];
    assert(operation !== undefined, 'event without an operation');
    if (list.isCall(cursor)) {
      const next = apply(state, operation.step);
      if (next === undefined || !tryPush(op, next, false)) cursor = list.next(cursor);
      continue;
    }
    if (operation.droppable && tryPush(op, state, true)) continue;
    // A return event with no alternative left: backtrack.
    if (stackOps.length > longest.length || blocking === NONE) {
      longest = stackOps.filter((_, i) => stackDropped[i] !== true);
      blocking = op;
    }
    for (;;) {
      const popped = stackOps.pop();
      const previous = stackStates.pop();
      const dropped = stackDropped.pop();
      if (popped === undefined || previous === undefined || dropped === undefined) {
        return { kind: 'not_linearizable', longest, blocking };
      }
      state = previous;
      linearized.clear(popped);
      list.unlift(popped);
      if (ops[popped]?.determinate === true) determinateDone -= 1;
      if (!dropped) {
        cursor = list.next(popped);
        break;
      }
    }
  }
  return { kind: 'linearizable' };
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

  constructor(ops: readonly SearchOperation[]) {
    this.n = ops.length;
    this.head = 2 * this.n;
    this.nextOf = new Int32Array(2 * this.n + 1).fill(NONE);
    this.prevOf = new Int32Array(2 * this.n + 1).fill(NONE);
    const events: { node: number; timeMs: number; isReturn: boolean; op: number }[] = [];
    ops.forEach((o, op) => {
      assert(o.returnMs >= o.callMs, 'an operation returns after its call');
      events.push({ node: op, timeMs: o.callMs, isReturn: false, op });
      events.push({ node: this.n + op, timeMs: o.returnMs, isReturn: true, op });
    });
    // Time order; at equal times calls before returns (touching intervals are concurrent),
    // then operation order, so the search order is deterministic.
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
