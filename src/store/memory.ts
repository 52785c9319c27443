// Owns MemoryStore: the in-memory Store for simulation and unit tests, with etcd's semantics.
//
// Inputs: the Store calls, a Clock and Timers (virtual ones under the simulator), and the
// simulation hooks expireLease / pauseKeepAlive / resumeKeepAlive. Outputs: Store results and
// asynchronous watch batches.
//
// Invariants (the same as etcd's, checked by conformance.ts against a real etcd):
//  - an empty store is at revision 1; a commit that changes something makes exactly one new
//    revision; a commit that changes nothing (no writes, or deletes of missing keys) does not;
//  - createRevision is the revision that created the key since its last deletion, modRevision the
//    last change, version the number of puts since creation; a guard on a missing key compares
//    against zeros, so { modRevision: 0 } and { createRevision: 0 } hold for it;
//  - guards, lease checks and limits are all checked before anything is written;
//  - watch batches are delivered in a microtask, never inside commit(), in revision order; the
//    last limits.memoryStoreHistoryMax revisions are kept for watches that start in the past;
//  - a lease is renewed continuously (lastRenewedMs() reads now) until revoked, expired by the
//    simulation, paused past its TTL, or the store is closed; its keys go in one revision,
//    deleted in key order like etcd's lessor does.

import type { Cancel, Clock, Timers } from '../core/clock.js';
import { limits } from '../core/limits.js';
import { assert, err, ok, type Result } from '../core/result.js';
import { checkCommit, compareKeys, describeGuard, guardHolds } from './commit-rules.js';
import type {
  CommitResult, Guard, KeyValue, Lease, RangeResult, Store, StoreFailure, Watch, WatchEvent, WatchHandlers, Write,
} from './types.js';

export interface MemoryStoreOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  /** Revisions of history kept for watches; defaults to limits.memoryStoreHistoryMax. */
  readonly historyMax?: number;
}

interface HistoryEntry {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

interface MemoryWatcher {
  readonly prefix: string;
  readonly fromRevision: number;
  readonly handlers: WatchHandlers;
  pending: WatchEvent[];
  scheduled: boolean;
  cancelled: boolean;
}

interface LeaseState {
  readonly id: string;
  readonly ttlMs: number;
  readonly keys: Set<string>;
  readonly resolveLost: () => void;
  /** Set once keep-alive stops (paused or lost): the time of the last renewal. */
  frozenRenewedMs: number | undefined;
  cancelExpiry: Cancel | undefined;
}

const unavailable = (): StoreFailure => ({ code: 'unavailable', message: 'the memory store is closed' });

export class MemoryStore implements Store {
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly historyMax: number;
  private readonly items = new Map<string, KeyValue>();
  private readonly history: HistoryEntry[] = [];
  private readonly watchers = new Set<MemoryWatcher>();
  private readonly leases = new Map<string, LeaseState>();
  private revision = 1;
  /** Watches may start at this revision or later; older history is gone. */
  private compactedRevision = 1;
  private nextLeaseNumber = 1;
  private closed = false;

  constructor(options: MemoryStoreOptions) {
    this.clock = options.clock;
    this.timers = options.timers;
    this.historyMax = options.historyMax ?? limits.memoryStoreHistoryMax;
    assert(Number.isSafeInteger(this.historyMax) && this.historyMax >= 1, `historyMax ${this.historyMax} must be >= 1`);
  }

  /** The current revision, for simulation checks. */
  currentRevision(): number {
    return this.revision;
  }

  get(key: string): Promise<Result<KeyValue | undefined, StoreFailure>> {
    if (this.closed) return Promise.resolve(err(unavailable()));
    return Promise.resolve(ok(this.items.get(key)));
  }

  range(prefix: string): Promise<Result<RangeResult, StoreFailure>> {
    if (this.closed) return Promise.resolve(err(unavailable()));
    const items = this.sortedKeys(prefix).map((key) => this.items.get(key)).filter((kv) => kv !== undefined);
    return Promise.resolve(ok({ items, revision: this.revision }));
  }

  /** Caller bugs (assertions) reject the promise, as in the etcd store, rather than throw. */
  commit(guards: readonly Guard[], writes: readonly Write[]): Promise<Result<CommitResult, StoreFailure>> {
    return new Promise((resolve) => resolve(this.commitNow(guards, writes)));
  }

  private commitNow(guards: readonly Guard[], writes: readonly Write[]): Result<CommitResult, StoreFailure> {
    if (this.closed) return err(unavailable());
    const shape = checkCommit(guards, writes);
    if (!shape.ok) return shape;
    const failed = guards.find((guard) => !guardHolds(guard, this.items.get(guard.key)));
    if (failed !== undefined) {
      const current = this.items.get(failed.key);
      const found = current === undefined ? 'it is absent' : `it is at modRevision ${current.modRevision}, createRevision ${current.createRevision}`;
      return err({ code: 'conflict', key: failed.key, message: `guard failed: expected ${describeGuard(failed)}, but ${found}` });
    }
    for (const write of writes) {
      if (write.op === 'put' && write.lease !== undefined && !this.leases.has(write.lease)) {
        return err({ code: 'lease_not_found', message: `put ${write.key}: lease ${write.lease} does not exist (expired or revoked)` });
      }
    }
    const newRevision = this.revision + 1;
    const events: WatchEvent[] = [];
    for (const write of writes) {
      if (write.op === 'put') events.push(this.applyPut(write.key, write.value, write.lease, newRevision));
      else if (write.op === 'delete') this.applyDelete(write.key, newRevision, events);
      else for (const key of this.sortedKeys(write.prefix)) this.applyDelete(key, newRevision, events);
    }
    this.record(events);
    return ok({ revision: this.revision });
  }

  private applyPut(key: string, value: string, lease: string | undefined, revision: number): WatchEvent {
    const previous = this.items.get(key);
    if (previous?.lease !== undefined) this.leases.get(previous.lease)?.keys.delete(key);
    const base = {
      key,
      value,
      createRevision: previous?.createRevision ?? revision,
      modRevision: revision,
      version: (previous?.version ?? 0) + 1,
    };
    const kv: KeyValue = lease === undefined ? base : { ...base, lease };
    if (lease !== undefined) this.leases.get(lease)?.keys.add(key);
    this.items.set(key, kv);
    return { type: 'put', kv };
  }

  private applyDelete(key: string, revision: number, events: WatchEvent[]): void {
    const previous = this.items.get(key);
    if (previous === undefined) return;
    if (previous.lease !== undefined) this.leases.get(previous.lease)?.keys.delete(key);
    this.items.delete(key);
    events.push({ type: 'delete', key, modRevision: revision });
  }

  /** Makes the events one new revision (if there are any), keeps history, feeds watchers. */
  private record(events: readonly WatchEvent[]): void {
    if (events.length === 0) return;
    this.revision += 1;
    this.history.push({ revision: this.revision, events });
    if (this.history.length > this.historyMax) {
      const dropped = this.history.shift();
      assert(dropped !== undefined, 'history cannot be empty here');
      this.compactedRevision = dropped.revision + 1;
    }
    for (const watcher of this.watchers) this.enqueue(watcher, events);
  }

  private sortedKeys(prefix: string): string[] {
    const keys: string[] = [];
    for (const key of this.items.keys()) if (key.startsWith(prefix)) keys.push(key);
    return keys.sort(compareKeys);
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watch {
    assert(Number.isSafeInteger(fromRevision) && fromRevision >= 1, `watch from revision ${fromRevision}: must be >= 1`);
    const watcher: MemoryWatcher = { prefix, fromRevision, handlers, pending: [], scheduled: false, cancelled: false };
    const cancel = (): void => {
      watcher.cancelled = true;
      this.watchers.delete(watcher);
    };
    if (this.closed) return { cancel };
    if (fromRevision < this.compactedRevision) {
      const compactRevision = this.compactedRevision;
      queueMicrotask(() => {
        if (!watcher.cancelled) handlers.onCompacted(compactRevision);
        watcher.cancelled = true;
      });
      return { cancel };
    }
    // The replay is taken and the watcher registered in one synchronous step: no gap, no overlap.
    const first = this.history[0];
    const startIndex = first === undefined ? 0 : Math.max(0, fromRevision - first.revision);
    for (let index = startIndex; index < this.history.length; index++) {
      const entry = this.history[index];
      assert(entry !== undefined && entry.revision >= fromRevision, 'history holds consecutive revisions');
      this.enqueue(watcher, entry.events);
    }
    this.watchers.add(watcher);
    return { cancel };
  }

  private enqueue(watcher: MemoryWatcher, events: readonly WatchEvent[]): void {
    for (const event of events) {
      const key = event.type === 'put' ? event.kv.key : event.key;
      const revision = event.type === 'put' ? event.kv.modRevision : event.modRevision;
      if (revision >= watcher.fromRevision && key.startsWith(watcher.prefix)) watcher.pending.push(event);
    }
    if (watcher.pending.length === 0 || watcher.scheduled) return;
    watcher.scheduled = true;
    queueMicrotask(() => {
      watcher.scheduled = false;
      const events = watcher.pending;
      watcher.pending = [];
      const last = events[events.length - 1];
      if (watcher.cancelled || last === undefined) return;
      const revision = last.type === 'put' ? last.kv.modRevision : last.modRevision;
      watcher.handlers.onEvents({ events, revision });
    });
  }

  grantLease(ttlMs: number): Promise<Result<Lease, StoreFailure>> {
    return new Promise((resolve) => resolve(this.grantLeaseNow(ttlMs)));
  }

  private grantLeaseNow(ttlMs: number): Result<Lease, StoreFailure> {
    assert(Number.isSafeInteger(ttlMs) && ttlMs > 0, `lease TTL ${ttlMs} ms must be a positive integer`);
    if (this.closed) return err(unavailable());
    const id = String(this.nextLeaseNumber++);
    let resolveLost: () => void = () => undefined;
    const lost = new Promise<void>((resolve) => {
      resolveLost = resolve;
    });
    const state: LeaseState = { id, ttlMs, keys: new Set(), resolveLost, frozenRenewedMs: undefined, cancelExpiry: undefined };
    this.leases.set(id, state);
    const lease: Lease = {
      id,
      ttlMs,
      lost,
      revoke: () => {
        this.endLease(id);
        return Promise.resolve();
      },
      lastRenewedMs: () => state.frozenRenewedMs ?? this.clock.monotonicMs(),
    };
    return ok(lease);
  }

  /** Simulation: the lease expires now, as if etcd's lessor had timed it out. */
  expireLease(id: string): void {
    this.endLease(id);
  }

  /** Simulation: keep-alive stops (a paused or partitioned holder); the lease expires in ttlMs. */
  pauseKeepAlive(id: string): void {
    const state = this.leases.get(id);
    if (state === undefined || state.cancelExpiry !== undefined) return;
    state.frozenRenewedMs = this.clock.monotonicMs();
    state.cancelExpiry = this.timers.setTimeout(() => this.endLease(id), state.ttlMs);
  }

  /** Simulation: keep-alive resumes before the lease expired (the holder came back in time). */
  resumeKeepAlive(id: string): void {
    const state = this.leases.get(id);
    if (state?.cancelExpiry === undefined) return;
    state.cancelExpiry();
    state.cancelExpiry = undefined;
    state.frozenRenewedMs = undefined;
  }

  /** Revoke or expiry: the lease's keys are deleted in one revision, then `lost` resolves. */
  private endLease(id: string): void {
    const state = this.leases.get(id);
    if (state === undefined) return;
    this.leases.delete(id);
    state.cancelExpiry?.();
    state.cancelExpiry = undefined;
    state.frozenRenewedMs ??= this.clock.monotonicMs();
    if (!this.closed) {
      const events: WatchEvent[] = [];
      for (const key of [...state.keys].sort(compareKeys)) this.applyDelete(key, this.revision + 1, events);
      this.record(events);
    }
    state.resolveLost();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const watcher of this.watchers) watcher.cancelled = true;
    this.watchers.clear();
    // The holder can no longer keep its leases alive: for it they are lost.
    for (const id of [...this.leases.keys()]) this.endLease(id);
    return Promise.resolve();
  }
}
