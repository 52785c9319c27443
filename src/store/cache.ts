// Owns watch-fed caches (informers): a local copy of every record of one kind, loaded with a
// range and kept current by a watch that starts at the range's revision + 1. When the store
// reports that history was compacted, the cache re-lists and watches again, so it never misses
// or double-applies a change. Records that fail validation are reported and left out.

import type { Cancel } from '../core/clock.js';
import type { Records, RecordKind, Stored } from './records.js';
import type { Watch, WatchBatch } from './types.js';

export type CacheChange<T> =
  | { readonly type: 'put'; readonly record: Stored<T> }
  | { readonly type: 'delete'; readonly id: string; readonly revision: number };

export class RecordCache<T> {
  private readonly items = new Map<string, Stored<T>>();
  private watch: Watch | undefined;
  private listeners = new Set<(changes: readonly CacheChange<T>[], revision: number) => void>();
  private closed = false;
  /** Store revision the cache reflects. */
  revision = 0;

  constructor(
    private readonly records: Records,
    private readonly kind: RecordKind<T>,
    private readonly onCorrupt: (message: string) => void = () => {},
  ) {}

  /** Lists, then follows; resolves once the first list is loaded. Retries until it succeeds. */
  async start(retryDelayMs = 200): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const listed = await this.records.list(this.kind);
      if (listed.ok) {
        this.items.clear();
        for (const r of listed.value.items) this.items.set(r.id, r);
        this.revision = listed.value.revision;
        this.follow(listed.value.revision + 1);
        this.emit(listed.value.items.map((record) => ({ type: 'put' as const, record })));
        return;
      }
      this.onCorrupt(`cache ${this.kind.name}: list failed: ${listed.error.message}`);
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
    }
  }

  private follow(fromRevision: number): void {
    const prefix = this.records.kindPrefix(this.kind);
    this.watch = this.records.store.watch(prefix, fromRevision, {
      onEvents: (batch) => this.apply(batch),
      onCompacted: () => {
        this.watch?.cancel();
        void this.start();
      },
    });
  }

  private apply(batch: WatchBatch): void {
    const changes: CacheChange<T>[] = [];
    const prefix = this.records.kindPrefix(this.kind);
    for (const event of batch.events) {
      if (event.type === 'put') {
        const decoded = this.records.decode(this.kind, event.kv);
        if (!decoded.ok) {
          this.onCorrupt(decoded.error.message);
          continue;
        }
        this.items.set(decoded.value.id, decoded.value);
        changes.push({ type: 'put', record: decoded.value });
      } else {
        const id = event.key.slice(prefix.length);
        this.items.delete(id);
        changes.push({ type: 'delete', id, revision: event.modRevision });
      }
    }
    this.revision = Math.max(this.revision, batch.revision);
    this.emit(changes);
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
    this.closed = true;
    this.watch?.cancel();
    this.listeners.clear();
  }
}
