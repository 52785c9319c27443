// Owns this node's membership duties: holding its etcd lease with the lease-bound alive key,
// heartbeating the coordinator, noticing when it has lost the control plane for longer than
// its lease (it is then out of the cluster and says so), re-registering when it is back, and
// marking a clean stop before it releases its lease on shutdown.

import { randomBytes } from 'node:crypto';
import type { Cancel, Clock, Timers } from '../core/clock.js';
import type { Timing } from '../core/limits.js';
import type { Failure, Result } from '../core/result.js';
import type { Records } from '../store/records.js';
import type { Lease } from '../store/types.js';
import { recordEvent } from '../store/events.js';
import { alive, stopped } from './records.js';
import type { MembershipView } from './view.js';

export type HeartbeatSender = (peerAddress: string, message: { node: string; incarnation: string }) => Promise<Result<unknown, Failure>>;

export class NodeAgent {
  readonly incarnation = randomBytes(8).toString('hex');
  private lease: Lease | undefined;
  private cancels: Cancel[] = [];
  private stopping = false;
  private registering = false;
  /** False from the moment the lease is known lost until the node has registered again. */
  inCluster = false;
  /** The store revision of this node's latest registration (its alive record): names one stay in the cluster. */
  registeredRevision = 0;
  private readonly outListeners = new Set<(out: boolean) => void>();

  constructor(
    private readonly deps: {
      records: Records;
      view: MembershipView;
      self: string;
      version: string;
      timing: Timing;
      clock: Clock;
      timers: Timers;
      sendHeartbeat: HeartbeatSender;
      /** Told the outcome of every heartbeat to the coordinator holding `token`. */
      observeHeartbeat?: (token: number, ok: boolean) => void;
      log: (msg: string) => void;
    },
  ) {}

  /** The lease this node holds now, if it is in the cluster. */
  leaseId(): string | undefined {
    return this.inCluster ? this.lease?.id : undefined;
  }

  /** Milliseconds since the lease was last renewed; undefined while the node holds no lease. */
  msSinceLeaseRenewal(): number | undefined {
    const l = this.lease;
    return l === undefined || !this.inCluster ? undefined : this.deps.clock.monotonicMs() - l.lastRenewedMs();
  }

  onMembershipChange(listener: (inCluster: boolean) => void): Cancel {
    this.outListeners.add(listener);
    return () => this.outListeners.delete(listener);
  }

  async start(): Promise<void> {
    await this.register();
    this.cancels.push(this.deps.timers.setInterval(() => void this.heartbeat(), this.deps.timing.heartbeatIntervalMs));
    this.cancels.push(this.deps.timers.setInterval(() => this.checkLease(), Math.max(50, this.deps.timing.nodeLeaseTtlMs / 10)));
  }

  private async register(): Promise<void> {
    if (this.registering) return;
    this.registering = true;
    const { records, self, timing, clock } = this.deps;
    try {
      for (let attempt = 0; !this.stopping; attempt++) {
        const lease = await records.store.grantLease(timing.nodeLeaseTtlMs);
        if (lease.ok) {
          const r = await records.put(
            alive,
            self,
            { incarnation: this.incarnation, pid: process.pid, startedAtMs: clock.nowMs(), version: this.deps.version },
            'any',
            { lease: lease.value.id, writes: [{ op: 'delete', key: records.keyOf(stopped, self) }] },
          );
          if (r.ok) {
            this.lease = lease.value;
            this.registeredRevision = r.value.revision;
            void lease.value.lost.then(() => this.onLeaseLost(lease.value));
            this.setInCluster(true);
            return;
          }
          await lease.value.revoke().catch(() => {});
        }
        await new Promise<void>((resolve) => this.deps.timers.setTimeout(resolve, Math.min(2000, 100 * 2 ** Math.min(attempt, 5))));
      }
    } finally {
      this.registering = false;
    }
  }

  /** Out of the cluster once the lease has gone unrenewed for its whole TTL. */
  private checkLease(): void {
    const l = this.lease;
    if (!l || !this.inCluster) return;
    if (this.deps.clock.monotonicMs() - l.lastRenewedMs() > l.ttlMs) this.onLeaseLost(l);
  }

  private onLeaseLost(l: Lease): void {
    if (this.lease !== l || this.stopping) return;
    this.lease = undefined;
    this.deps.log(`lost the control plane for longer than the ${l.ttlMs} ms lease: this node is out of the cluster`);
    this.setInCluster(false);
    void l.revoke().catch(() => {});
    void this.register().then(() => {
      if (this.inCluster) void recordEvent(this.deps.records, { atMs: this.deps.clock.nowMs(), node: this.deps.self, kind: 'node_rejoined', severity: 'info', subject: this.deps.self, message: `node ${this.deps.self} is back in the cluster after losing its lease` });
    });
  }

  private setInCluster(value: boolean): void {
    if (this.inCluster === value) return;
    this.inCluster = value;
    if (value) this.deps.log('registered: this node is in the cluster');
    for (const l of this.outListeners) l(value);
  }

  private async heartbeat(): Promise<void> {
    const c = this.deps.view.coordinator();
    if (!c || !this.inCluster) return;
    const r = await this.deps.sendHeartbeat(c.peerAddress, { node: this.deps.self, incarnation: this.incarnation });
    this.deps.observeHeartbeat?.(c.token, r.ok);
  }

  /** Marks a clean stop, then releases the lease so the node shows offline, not unclean. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const c of this.cancels) c();
    const l = this.lease;
    this.lease = undefined;
    if (!l) return;
    const { records, self, clock } = this.deps;
    // One commit, so no observer ever sees the alive key gone without the clean-stop marker.
    await records.put(stopped, self, { incarnation: this.incarnation, atMs: clock.nowMs() }, 'any', { writes: [{ op: 'delete', key: records.keyOf(alive, self) }] });
    await l.revoke().catch(() => {});
  }
}
