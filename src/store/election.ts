// Owns coordinator election through the store. A candidate holds a lease and creates the
// single coordinator key bound to it, only if the key is absent. The key's create revision is
// the candidate's fencing token: every coordinator write carries the guard
// `createRevision(coordinatorKey) == token`, so once the key expires or another coordinator
// creates it, a deposed coordinator's writes fail in the store itself, whatever it believes.
//
// A coordinator also steps down on its own when its lease keep-alive has not been acknowledged
// for longer than the lease TTL minus a margin, so on a minority side it stops coordinating
// before a new coordinator can be elected on the majority side.

import { z } from 'zod';
import type { Cancel, Clock, Timers } from '../core/clock.js';
import type { Guard, Lease, Store, Watch } from './types.js';
import { coordinatorKeyOf } from './records.js';

export const coordinatorRecord = z.strictObject({
  node: z.string(),
  peerAddress: z.string(),
  apiAddress: z.string(),
  sinceMs: z.number(),
});
export type CoordinatorRecord = z.infer<typeof coordinatorRecord>;

export interface Leadership {
  readonly token: number;
  readonly lease: Lease;
  /** The guard every write of this coordinator must carry. */
  readonly guard: Guard;
}

export type ElectionListener = (leadership: Leadership | undefined) => void;

export class Election {
  readonly key: string;
  private leadership: Leadership | undefined;
  private listeners = new Set<ElectionListener>();
  private watch: Watch | undefined;
  private cancelCheck: Cancel | undefined;
  private stopped = false;
  private campaigning = false;

  constructor(
    private readonly store: Store,
    clusterPrefix: string,
    private readonly candidate: Omit<CoordinatorRecord, 'sinceMs'>,
    private readonly options: { leaseTtlMs: number; clock: Clock; timers: Timers; log: (msg: string) => void },
  ) {
    this.key = coordinatorKeyOf(clusterPrefix);
  }

  current(): Leadership | undefined {
    return this.leadership;
  }

  onChange(listener: ElectionListener): Cancel {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Campaigns until stopped; re-campaigns whenever the coordinator key disappears. */
  start(): void {
    void this.follow();
    const checkEveryMs = Math.max(20, Math.floor(this.options.leaseTtlMs / 10));
    this.cancelCheck = this.options.timers.setInterval(() => this.checkLease(), checkEveryMs);
  }

  private async follow(): Promise<void> {
    let fromRevision: number | undefined;
    while (fromRevision === undefined && !this.stopped) {
      const r = await this.store.range(this.key);
      if (r.ok) fromRevision = r.value.revision + 1;
      else await new Promise<void>((resolve) => this.options.timers.setTimeout(resolve, 200));
    }
    if (fromRevision === undefined) return;
    this.watch = this.store.watch(this.key, fromRevision, {
      onEvents: (batch) => {
        // A watch follows a prefix: keys that merely start with this one are not the election.
        for (const e of batch.events) {
          if (e.type === 'delete') {
            if (e.key === this.key) this.onKeyGone();
          } else if (e.kv.key === this.key && this.leadership && e.kv.createRevision !== this.leadership.token) {
            this.stepDown('another coordinator holds the key');
          }
        }
      },
      onCompacted: () => {
        // Only the key's current state matters for an election: re-watch from now.
        this.watch?.cancel();
        void this.follow();
      },
    });
    void this.campaign();
  }

  private onKeyGone(): void {
    if (this.leadership) this.stepDown('coordinator key deleted');
    void this.campaign();
  }

  private checkLease(): void {
    const l = this.leadership;
    if (l === undefined) {
      if (!this.campaigning) void this.campaign();
      return;
    }
    const marginMs = Math.max(100, this.options.leaseTtlMs / 5);
    const silentMs = this.options.clock.monotonicMs() - l.lease.lastRenewedMs();
    if (silentMs > l.lease.ttlMs - marginMs) this.stepDown(`lease not renewed for ${Math.round(silentMs)} ms`);
  }

  private async campaign(): Promise<void> {
    if (this.stopped || this.campaigning || this.leadership) return;
    this.campaigning = true;
    try {
      const existing = await this.store.get(this.key);
      if (!existing.ok || existing.value !== undefined) return;
      const lease = await this.store.grantLease(this.options.leaseTtlMs);
      if (!lease.ok) return;
      const record: CoordinatorRecord = { ...this.candidate, sinceMs: this.options.clock.nowMs() };
      const r = await this.store.commit([{ key: this.key, absent: true }], [
        { op: 'put', key: this.key, value: JSON.stringify(record), lease: lease.value.id },
      ]);
      if (!r.ok || this.stopped) {
        await lease.value.revoke();
        return;
      }
      const token = r.value.revision;
      this.leadership = { token, lease: lease.value, guard: { key: this.key, createRevision: token } };
      void lease.value.lost.then(() => {
        if (this.leadership?.token === token) this.stepDown('lease lost');
      });
      this.options.log(`elected coordinator with fencing token ${token}`);
      this.emit();
    } finally {
      this.campaigning = false;
    }
  }

  private stepDown(reason: string): void {
    const l = this.leadership;
    if (!l) return;
    this.leadership = undefined;
    this.options.log(`stepped down as coordinator (token ${l.token}): ${reason}`);
    void l.lease.revoke().catch(() => {});
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.leadership);
  }

  /** Resign (on shutdown), releasing the key at once so another node takes over quickly. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelCheck?.();
    this.watch?.cancel();
    const l = this.leadership;
    this.leadership = undefined;
    if (l) {
      this.emit();
      await l.lease.revoke().catch(() => {});
    }
  }
}
