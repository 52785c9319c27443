// Owns fast detection of a dead coordinator. Waiting for the coordinator's election lease to
// expire takes its TTL plus etcd's own lease extension after a leader change (2-4 s). Instead,
// every voter watches its own heartbeats to the coordinator: when they have failed for longer
// than suspectAfterMs, it records a suspicion for the coordinator's fencing token (bound to its
// own lease). When a majority of all voters suspect the same token, the voter that completes
// the majority deletes the coordinator key, guarded by that token, and the election runs again.
//
// Safety does not depend on this: a deposed coordinator that is still alive cannot write
// (fencing token) and steps down when it sees its key gone. A majority is required so that one
// voter with a bad link to the coordinator cannot cause churn.

import { z } from 'zod';
import { withDeadline, type Cancel, type Clock, type Timers } from '../core/clock.js';
import type { Timing } from '../core/limits.js';
import { coordinatorKeyOf, defineRecordKind, viewFolder, type Records } from '../store/records.js';
import { recordEvent } from '../store/events.js';
import type { MembershipView } from './view.js';

export const suspicions = defineRecordKind(`${viewFolder}/coordinator-suspicions`, z.strictObject({ token: z.number(), atMs: z.number() }));

/** Pure: deposal needs suspicions of the current token from a majority of all voters. */
export function majorityOf(votersTotal: number): number {
  return Math.floor(votersTotal / 2) + 1;
}

export class CoordinatorWatchdog {
  private token = 0;
  private lastOkMs = 0;
  private suspecting = false;
  private busy = false;
  private cancel: Cancel | undefined;

  constructor(
    private readonly deps: {
      records: Records;
      view: MembershipView;
      self: string;
      timing: Timing;
      clock: Clock;
      timers: Timers;
      leaseId: () => string | undefined;
      log: (msg: string) => void;
    },
  ) {}

  start(): void {
    this.cancel = this.deps.timers.setInterval(() => void this.tick(), this.deps.timing.detectorTickMs);
  }

  /** The agent reports each heartbeat it sent to the coordinator holding `token`. */
  observe(token: number, ok: boolean): void {
    const now = this.deps.clock.monotonicMs();
    if (token !== this.token) {
      this.token = token;
      this.lastOkMs = now;
      this.suspecting = false;
    }
    if (ok) this.lastOkMs = now;
  }

  private async tick(): Promise<void> {
    const c = this.deps.view.coordinator();
    if (this.busy || !c || c.node === this.deps.self || c.token !== this.token) return;
    const silentMs = this.deps.clock.monotonicMs() - this.lastOkMs;
    if (silentMs <= this.deps.timing.suspectAfterMs) {
      if (this.suspecting) {
        this.suspecting = false;
        await this.deps.records.delete(suspicions, this.deps.self, 'any');
      }
      return;
    }
    const lease = this.deps.leaseId();
    if (lease === undefined) return; // Out of the cluster ourselves: our view counts for nothing.
    this.busy = true;
    try {
      if (!this.suspecting) {
        const r = await this.bounded(this.deps.records.put(suspicions, this.deps.self, { token: c.token, atMs: this.deps.clock.nowMs() }, 'any', { lease }));
        if (!r?.ok) return;
        this.suspecting = true;
        this.deps.log(`no heartbeat answer from coordinator ${c.node} for ${Math.round(silentMs)} ms: suspecting it`);
      }
      await this.deposeIfMajority(c.node, c.token);
    } finally {
      this.busy = false;
    }
  }

  private async deposeIfMajority(node: string, token: number): Promise<void> {
    const { records, view } = this.deps;
    const all = await this.bounded(records.list(suspicions));
    if (!all?.ok) return;
    const voters = view.voters().map((n) => n.name);
    const agreeing = all.value.items.filter((s) => s.value.token === token && voters.includes(s.id) && s.id !== node);
    if (agreeing.length < majorityOf(voters.length)) return;
    const key = coordinatorKeyOf(records.prefix);
    const r = await this.bounded(records.store.commit([{ key, createRevision: token }], [{ op: 'delete', key }]));
    if (!r?.ok) return;
    this.deps.log(`deposed unresponsive coordinator ${node} (token ${token}): ${agreeing.map((s) => s.id).join(', ')} lost its heartbeats`);
    await recordEvent(records, { atMs: this.deps.clock.nowMs(), node: this.deps.self, kind: 'coordinator', severity: 'warning', subject: node, message: `coordinator ${node} stopped answering heartbeats of ${agreeing.map((s) => s.id).join(', ')}; a new coordinator is being elected` });
  }

  /**
   * A store call issued while etcd has no leader is forwarded to the lost one and hangs until
   * etcd's request timeout (about 7 s). The watchdog does not wait for that: past a
   * suspectAfterMs it gives up on the answer (the call is idempotent or guarded, so it may still
   * land) and tries again on a later tick, which reaches the new leader once there is one.
   */
  private bounded<T>(call: Promise<T>): Promise<T | undefined> {
    return withDeadline(call, this.deps.timing.suspectAfterMs, this.deps.timers);
  }

  stop(): void {
    this.cancel?.();
  }
}
