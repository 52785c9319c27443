// Owns a node's watch-fed copy of the resource manager's records (configuration, every node's
// operation history, the fencing history), kept current by one feed over `resources/`, and the
// snapshot the planner input is built from (combined with the membership view).

import type { Cancel } from '../core/clock.js';
import { CacheFeed, RecordCache } from '../store/cache.js';
import type { Records } from '../store/records.js';
import type { MembershipView } from '../membership/view.js';
import type { FenceHistoryRecord } from '../fencing/fencer.js';
import {
  configId, emptyConfig, fenceHistoryKind, nodeHistoryKind, resourceConfigKind,
  type NodeHistoryRecord, type ResourceConfigRecord,
} from './records.js';
import type { ClusterSnapshot } from './input.js';

export class ResourceView {
  readonly config: RecordCache<ResourceConfigRecord>;
  readonly histories: RecordCache<NodeHistoryRecord>;
  readonly fencing: RecordCache<FenceHistoryRecord>;
  private readonly feed: CacheFeed;

  constructor(records: Records, log: (msg: string) => void) {
    this.config = new RecordCache(records, resourceConfigKind, log);
    this.histories = new RecordCache(records, nodeHistoryKind, log);
    this.fencing = new RecordCache(records, fenceHistoryKind, log);
    this.feed = new CacheFeed(records, `${records.prefix}resources/`, [this.config, this.histories, this.fencing] as RecordCache<unknown>[], log);
  }

  start(): Promise<void> {
    return this.feed.start();
  }

  /** Called after each store revision that touched resource records. */
  onChange(listener: () => void): Cancel {
    return this.feed.onChange(() => listener());
  }

  /** Store revision this view reflects. */
  revision(): number {
    return this.feed.revision;
  }

  currentConfig(): ResourceConfigRecord {
    return this.config.get(configId)?.value ?? emptyConfig();
  }

  /** Everything the planner input is built from, as this node sees it now. */
  snapshot(membership: MembershipView, nowMs: number, leaseMarginMs: number): ClusterSnapshot {
    const fencedAtMs = new Map<string, number>();
    for (const { value: f } of this.fencing.values()) {
      if (f.state === 'done' && f.action !== 'on' && f.completedAtMs > (fencedAtMs.get(f.target) ?? -1)) fencedAtMs.set(f.target, f.completedAtMs);
    }
    return {
      config: this.currentConfig(),
      nodes: membership.nodes.values().map((r) => r.value),
      states: new Map(membership.statuses.values().map((r) => [r.id, { state: r.value.state, sinceMs: r.value.sinceMs }])),
      // A node's stay in the cluster: its herdd incarnation and the revision it registered at.
      incarnations: new Map(membership.alive.values().map((r) => [r.id, `${r.value.incarnation}@${r.modRevision}`])),
      registeredAtMs: new Map(membership.alive.values().map((r) => [r.id, r.value.startedAtMs])),
      histories: new Map(this.histories.values().map((r) => [r.id, r.value])),
      fencedAtMs,
      nowMs,
      leaseMarginMs,
    };
  }

  close(): void {
    this.feed.close();
  }
}
