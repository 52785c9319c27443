// Owns watch-fed caches (informers): a local copy of every record of one kind, loaded with a
// range and kept current by a watch that starts at the range's revision + 1. When the store
// reports that history was compacted, the feed re-lists and watches again, so a cache never
// misses or double-applies a change. Records that fail validation are reported and left out.
//
// Several caches can share one CacheFeed: one range and one watch over their common
// prefix, so every cache moves through the same revisions in lockstep and a commit that
// touches several kinds (a clean stop: put `stopped/x`, delete `alive/x`) is seen whole,
// never half-applied across kinds.

import type { Cancel } from '../core/clock.js';
import type { Records, RecordKind, Stored } from './records.js';
import type { KeyValue, Watch, WatchEvent } from './types.js';

export type CacheChange<T> =
  | { readonly type: 'put'; readonly record: Stored<T> }
  | { readonly type: 'delete'; readonly id: string; readonly revision: number };

export class RecordCache<T> {
  private readonly items = new Map<string, Stored<T>>();
  private listeners = new Set<(changes: readonly CacheChange<T>[], revision: number) => void>();
  readonly prefix: string;
  /** Store revision the cache reflects. */
  revision = 0;

  constructor(
    private readonly records: Records,
    private readonly kind: RecordKind<T>,
    private readonly onCorrupt: (message: string) => void = () => {},
  ) {
    this.prefix = records.kindPrefix(kind);
  }

  /** Replaces the contents with a listing taken at `revision`. */
  load(kvs: readonly KeyValue[], revision: number): void {
    this.items.clear();
    const changes: CacheChange<T>[] = [];
    for (const kv of kvs) {
      const decoded = this.records.decode(this.kind, kv);
      if (!decoded.ok) {
        this.onCorrupt(decoded.error.message);
        continue;
      }
      this.items.set(decoded.value.id, decoded.value);
      changes.push({ type: 'put', record: decoded.value });
    }
    this.revision = revision;
    this.emit(changes);
  }

  /** Applies watched events (already filtered to this cache's prefix) up to `revision`. */
  apply(events: readonly WatchEvent[], revision: number): void {
    const changes: CacheChange<T>[] = [];
    for (const event of events) {
      if (event.type === 'put') {
        const decoded = this.records.decode(this.kind, event.kv);
        if (!decoded.ok) {
          this.onCorrupt(decoded.error.message);
          continue;
        }
        this.items.set(decoded.value.id, decoded.value);
        changes.push({ type: 'put', record: decoded.value });
      } else {
        const id = event.key.slice(this.prefix.length);
        this.items.delete(id);
        changes.push({ type: 'delete', id, revision: event.modRevision });
      }
    }
    this.revision = Math.max(this.revision, revision);
    if (changes.length > 0) this.emit(changes);
  }

  private emit(changes: readonly CacheChange<T>[]): void {
    for (const l of this.listeners) l(changes, this.revision);
  }

  get(id: string): Stored<T> | undefined {
    return this.items.get(id);
  }

  values(): Stored<T>[] {
    return [...this.items.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  onChange(listener: (changes: readonly CacheChange<T>[], revision: number) => void): Cancel {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.listeners.clear();
  }
}

/** One range and one watch over a shared prefix, feeding several caches in lockstep. */
export class CacheFeed {
  private watch: Watch | undefined;
  private closed = false;
  private readonly listeners = new Set<(revision: number) => void>();
  /** Single keys followed exactly (not records of a kind), e.g. the coordinator key. */
  private readonly keys = new Map<string, KeyValue | undefined>();
  revision = 0;

  constructor(
    private readonly records: Records,
    /** The key prefix every cache and single key lives under; the feed ranges and watches it. */
    private readonly prefix: string,
    private readonly caches: readonly RecordCache<unknown>[],
    private readonly log: (message: string) => void,
    singleKeys: readonly string[] = [],
    private readonly retryDelayMs = 200,
  ) {
    for (const k of singleKeys) this.keys.set(k, undefined);
  }

  key(key: string): KeyValue | undefined {
    return this.keys.get(key);
  }

  /** Lists, then follows; resolves once the first listing is loaded. Retries until it succeeds. */
  async start(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const listed = await this.records.store.range(this.prefix);
      if (listed.ok) {
        const { items, revision } = listed.value;
        for (const cache of this.caches) cache.load(items.filter((kv) => kv.key.startsWith(cache.prefix)), revision);
        for (const k of this.keys.keys()) this.keys.set(k, items.find((kv) => kv.key === k));
        this.revision = revision;
        this.follow(revision + 1);
        this.emit();
        return;
      }
      this.log(`cache feed: listing failed: ${listed.error.message}`);
      await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
    }
  }

  private follow(fromRevision: number): void {
    this.watch = this.records.store.watch(this.prefix, fromRevision, {
      onEvents: (batch) => {
        for (const cache of this.caches) {
          const mine = batch.events.filter((e) => (e.type === 'put' ? e.kv.key : e.key).startsWith(cache.prefix));
          cache.apply(mine, batch.revision);
        }
        for (const e of batch.events) {
          const key = e.type === 'put' ? e.kv.key : e.key;
          if (this.keys.has(key)) this.keys.set(key, e.type === 'put' ? e.kv : undefined);
        }
        this.revision = Math.max(this.revision, batch.revision);
        this.emit();
      },
      onCompacted: () => {
        this.watch?.cancel();
        void this.start();
      },
    });
  }

  /** Called after every batch, once all caches have applied it. */
  onChange(listener: (revision: number) => void): Cancel {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const l of this.listeners) l(this.revision);
  }

  close(): void {
    this.closed = true;
    this.watch?.cancel();
    this.listeners.clear();
    for (const c of this.caches) c.close();
  }
}
