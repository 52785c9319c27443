// Owns each node's read view of membership: watch-fed caches of the node registry, node states,
// alive keys and clean-stop markers, the API tokens, plus who the coordinator is. The API answers `status` and
// `nodes` from here; the coordinator's detector reads its observations from here.

import type { z } from 'zod';
import { CacheFeed, RecordCache } from '../store/cache.js';
import { coordinatorKeyOf, viewFolder, type Records } from '../store/records.js';
import { coordinatorRecord, type CoordinatorRecord } from '../store/election.js';
import { alive, nodes, nodeStatus, stopped, type AliveRecord, type NodeRecord, type NodeStatusRecord, type stoppedRecord } from './records.js';
import type { NodeView, StatusView } from '../api/types.js';
import { apiTokens, type ApiTokenRecord } from '../api/auth.js';
import { isUp, type NodeObservation, type NodeState } from './detector.js';

export class MembershipView {
  readonly nodes: RecordCache<NodeRecord>;
  readonly statuses: RecordCache<NodeStatusRecord>;
  readonly alive: RecordCache<AliveRecord>;
  readonly stopped: RecordCache<z.infer<typeof stoppedRecord>>;
  /** API tokens ride on the same feed, so requests authenticate without a store round trip. */
  readonly tokens: RecordCache<ApiTokenRecord>;
  private readonly feed: CacheFeed;
  private readonly coordinatorKey: string;
  private readonly listeners = new Set<() => void>();

  constructor(
    records: Records,
    private readonly self: string,
    log: (msg: string) => void,
  ) {
    this.nodes = new RecordCache(records, nodes, log);
    this.statuses = new RecordCache(records, nodeStatus, log);
    this.alive = new RecordCache(records, alive, log);
    this.stopped = new RecordCache(records, stopped, log);
    this.tokens = new RecordCache(records, apiTokens, log);
    this.coordinatorKey = coordinatorKeyOf(records.prefix);
    this.feed = new CacheFeed(records, `${records.prefix}${viewFolder}/`, [this.nodes, this.statuses, this.alive, this.stopped, this.tokens] as RecordCache<unknown>[], log, [this.coordinatorKey]);
  }

  async start(): Promise<void> {
    // Listeners hear once per store revision, and only when membership changed in it.
    let dirty = false;
    let coordinator = this.feed.key(this.coordinatorKey)?.modRevision;
    for (const c of [this.nodes, this.statuses, this.alive, this.stopped] as const) c.onChange(() => (dirty = true));
    this.feed.onChange(() => {
      const now = this.feed.key(this.coordinatorKey)?.modRevision;
      if (dirty || now !== coordinator) this.changed();
      dirty = false;
      coordinator = now;
    });
    await this.feed.start();
  }

  coordinator(): (CoordinatorRecord & { token: number }) | undefined {
    const kv = this.feed.key(this.coordinatorKey);
    if (kv === undefined) return undefined;
    try {
      const parsed = coordinatorRecord.safeParse(JSON.parse(kv.value));
      return parsed.success ? { ...parsed.data, token: kv.createRevision } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Store revision this view reflects (all its caches move together). */
  revision(): number {
    return this.feed.revision;
  }
  /** Called after each store revision that changed membership or the coordinator. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** Voter records of nodes that have not left. */
  voters(): NodeRecord[] {
    return this.nodes.values().map((r) => r.value).filter((n) => n.role === 'voter' && !n.left);
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
    const c = this.coordinator();
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

  /**
   * The overview. Voters are etcd's members when etcd could say (`etcdMembers`), else the voter
   * records that have not left; a voter is up when its node is not unclean or offline.
   */
  status(cluster: string, quorumReachable: boolean, etcdMembers?: readonly string[]): StatusView {
    const views = this.nodes.values().map((r) => this.nodeView(r.value));
    const voterNames = new Set(etcdMembers ?? this.voters().map((n) => n.name));
    const voters = [...voterNames].map((name) => views.find((v) => v.name === name));
    const votersUp = voters.filter((v) => v !== undefined && (isUp(v.state as NodeState) || v.state === 'suspect')).length;
    const warnings: string[] = [];
    const unknown = [...voterNames].filter((name) => !views.some((v) => v.name === name));
    if (unknown.length > 0) warnings.push(`etcd has members that are not Herd nodes: ${unknown.join(', ')} (a half-finished join or leave; remove them with herd node remove or etcdctl)`);
    if (voters.length % 2 === 0 && voters.length > 0) warnings.push(`${voters.length} voters: an even number tolerates no more failures than ${voters.length - 1}; add or remove one`);
    const c = this.coordinator();
    if (!c) warnings.push('no coordinator is elected');
    return {
      cluster,
      answeredBy: this.self,
      coordinator: c ? { node: c.node, token: c.token, sinceMs: c.sinceMs, apiAddress: c.apiAddress } : null,
      quorum: { voters: voters.length, votersUp, hasQuorum: quorumReachable },
      nodes: views,
      revision: this.feed.revision,
      warnings,
    };
  }

  close(): void {
    this.feed.close();
    this.listeners.clear();
  }
}
