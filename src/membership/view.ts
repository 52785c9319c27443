// Owns each node's read view of membership: watch-fed caches of the node registry, node states,
// alive keys and clean-stop markers, plus who the coordinator is. The API answers `status` and
// `nodes` from here; the coordinator's detector reads its observations from here.

import { RecordCache } from '../store/cache.js';
import type { Records } from '../store/records.js';
import { coordinatorRecord, type CoordinatorRecord } from '../store/election.js';
import { alive, nodes, nodeStatus, stopped, type NodeRecord } from './records.js';
import type { NodeView, StatusView } from '../api/types.js';
import { isUp, type NodeObservation, type NodeState } from './detector.js';

export class MembershipView {
  readonly nodes: RecordCache<NodeRecord>;
  readonly statuses;
  readonly alive;
  readonly stopped;
  private coordinatorValue: (CoordinatorRecord & { token: number }) | undefined;
  private coordinatorWatch: { cancel(): void } | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly records: Records,
    private readonly self: string,
    log: (msg: string) => void,
  ) {
    this.nodes = new RecordCache(records, nodes, log);
    this.statuses = new RecordCache(records, nodeStatus, log);
    this.alive = new RecordCache(records, alive, log);
    this.stopped = new RecordCache(records, stopped, log);
  }

  async start(): Promise<void> {
    await Promise.all([this.nodes.start(), this.statuses.start(), this.alive.start(), this.stopped.start(), this.followCoordinator()]);
    for (const c of [this.nodes, this.statuses, this.alive, this.stopped] as const) c.onChange(() => this.changed());
  }

  private async followCoordinator(): Promise<void> {
    const key = `${this.records.prefix}coordinator`;
    for (;;) {
      const r = await this.records.store.range(key);
      if (!r.ok) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      this.setCoordinator(r.value.items.find((kv) => kv.key === key));
      this.coordinatorWatch = this.records.store.watch(key, r.value.revision + 1, {
        onEvents: (batch) => {
          for (const e of batch.events) {
            if (e.type === 'put' && e.kv.key === key) this.setCoordinator(e.kv);
            else if (e.type === 'delete' && e.key === key) this.setCoordinator(undefined);
          }
          this.changed();
        },
        onCompacted: () => {
          this.coordinatorWatch?.cancel();
          void this.followCoordinator();
        },
      });
      return;
    }
  }

  private setCoordinator(kv: { value: string; createRevision: number } | undefined): void {
    if (kv === undefined) {
      this.coordinatorValue = undefined;
      return;
    }
    try {
      const parsed = coordinatorRecord.safeParse(JSON.parse(kv.value));
      this.coordinatorValue = parsed.success ? { ...parsed.data, token: kv.createRevision } : undefined;
    } catch {
      this.coordinatorValue = undefined;
    }
  }

  coordinator(): (CoordinatorRecord & { token: number }) | undefined {
    return this.coordinatorValue;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** What the detector needs, for every registered node. */
  observations(lastHeartbeatMs: (name: string) => number | undefined): NodeObservation[] {
    return this.nodes.values().map(({ value: n }) => {
      const aliveRecord = this.alive.get(n.name);
      const stop = this.stopped.get(n.name);
      return {
        name: n.name,
        standby: n.standby,
        maintenance: n.maintenance,
        left: n.left,
        alive: aliveRecord !== undefined,
        stoppedCleanly: aliveRecord === undefined && stop !== undefined,
        lastHeartbeatMs: lastHeartbeatMs(n.name),
        previousState: this.statuses.get(n.name)?.value.state,
      };
    });
  }

  nodeView(n: NodeRecord): NodeView {
    const s = this.statuses.get(n.name)?.value;
    const c = this.coordinatorValue;
    return {
      name: n.name,
      role: n.role,
      state: s?.state ?? 'unknown',
      reason: s?.reason ?? 'no coordinator has judged this node yet',
      stateSinceMs: s?.sinceMs ?? null,
      apiAddress: n.apiAddress,
      peerAddress: n.peerAddress,
      labels: n.labels,
      standby: n.standby,
      maintenance: n.maintenance,
      coordinator: c?.node === n.name,
      joinedAtMs: n.joinedAtMs,
      herddStartedAtMs: this.alive.get(n.name)?.value.startedAtMs ?? null,
    };
  }

  status(cluster: string, quorumReachable: boolean): StatusView {
    const views = this.nodes.values().map((r) => this.nodeView(r.value));
    const voterNames = new Set(this.nodes.values().filter((r) => r.value.role === 'voter' && !r.value.left).map((r) => r.id));
    const voters = views.filter((v) => voterNames.has(v.name));
    const votersUp = voters.filter((v) => isUp(v.state as NodeState) || v.state === 'suspect').length;
    const warnings: string[] = [];
    if (voters.length % 2 === 0 && voters.length > 0) warnings.push(`${voters.length} voters: an even number tolerates no more failures than ${voters.length - 1}; add or remove one`);
    if (!this.coordinatorValue) warnings.push('no coordinator is elected');
    const c = this.coordinatorValue;
    return {
      cluster,
      answeredBy: this.self,
      coordinator: c ? { node: c.node, token: c.token, sinceMs: c.sinceMs, apiAddress: c.apiAddress } : null,
      quorum: { voters: voters.length, votersUp, hasQuorum: quorumReachable },
      nodes: views,
      revision: Math.max(this.nodes.revision, this.statuses.revision),
      warnings,
    };
  }

  close(): void {
    for (const c of [this.nodes, this.statuses, this.alive, this.stopped] as const) c.close();
    this.coordinatorWatch?.cancel();
    this.listeners.clear();
  }
}
