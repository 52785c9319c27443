// Owns the Store interface: the contract that both the etcd-backed store (etcd.ts) and the
// in-memory store (memory.ts) implement and that the conformance suite (conformance.ts)
// checks. It is the subset of etcd's model Herd needs: keys with revisions, atomic guarded
// commits, prefix ranges, watches that resume from a revision, and leases.
//
// Invariants: revisions are cluster-wide and strictly increase with every successful commit;
// a failed guard changes nothing; a watch delivers every change after its start revision, in
// revision order, exactly once, or reports `compacted` when that history is gone.

import type { Result } from '../core/result.js';

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Revision of the commit that created this key (since its last deletion). */
  readonly createRevision: number;
  /** Revision of the commit that last changed it. */
  readonly modRevision: number;
  /** Number of changes since creation (1 after create). */
  readonly version: number;
  /** Lease id the key is bound to, or undefined. */
  readonly lease?: string;
}

/** A condition every commit may carry; all must hold or nothing is written. */
export type Guard =
  | { readonly key: string; readonly absent: true }
  | { readonly key: string; readonly modRevision: number }
  | { readonly key: string; readonly createRevision: number };

export type Write =
  | { readonly op: 'put'; readonly key: string; readonly value: string; readonly lease?: string }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'deletePrefix'; readonly prefix: string };

export type StoreFailure =
  | { readonly code: 'conflict'; readonly message: string; readonly key: string }
  | { readonly code: 'unavailable'; readonly message: string }
  | { readonly code: 'lease_not_found'; readonly message: string }
  | { readonly code: 'too_large'; readonly message: string; readonly key: string };

export interface CommitResult {
  readonly revision: number;
}

export interface RangeResult {
  readonly items: readonly KeyValue[];
  /** Store revision at which the range was read; watch from revision + 1 to follow it. */
  readonly revision: number;
}

export type WatchEvent =
  | { readonly type: 'put'; readonly kv: KeyValue }
  | { readonly type: 'delete'; readonly key: string; readonly modRevision: number };

export interface WatchBatch {
  /** Events of one or more commits, in revision order. */
  readonly events: readonly WatchEvent[];
  readonly revision: number;
}

export interface WatchHandlers {
  onEvents(batch: WatchBatch): void;
  /** The history from the start revision is gone: re-list, then watch again. */
  onCompacted(compactRevision: number): void;
}

export interface Watch {
  cancel(): void;
}

export interface Lease {
  readonly id: string;
  readonly ttlMs: number;
  /** Stop keeping it alive and revoke it (keys bound to it are deleted). */
  revoke(): Promise<void>;
  /** Resolves when the lease is known lost (expired or revoked, or keep-alive failed past its TTL). */
  readonly lost: Promise<void>;
  /** Monotonic time (ms) of the last keep-alive the store acknowledged. */
  lastRenewedMs(): number;
}

export interface Store {
  get(key: string): Promise<Result<KeyValue | undefined, StoreFailure>>;
  /** All keys starting with prefix, sorted by key. */
  range(prefix: string): Promise<Result<RangeResult, StoreFailure>>;
  /** Apply all writes atomically if every guard holds. */
  commit(guards: readonly Guard[], writes: readonly Write[]): Promise<Result<CommitResult, StoreFailure>>;
  /** Follow changes under prefix from fromRevision (inclusive). */
  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watch;
  /** Grant a lease and keep it alive until revoked or the store is closed. */
  grantLease(ttlMs: number): Promise<Result<Lease, StoreFailure>>;
  close(): Promise<void>;
}
