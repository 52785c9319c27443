// Owns EtcdLease: a Store lease on etcd, with Herd's own keep-alive and loss rule.
//
// Inputs: the etcd3 client and a TTL in ms. Outputs: a Lease whose `lost` resolves once, and
// lastRenewedMs() on the monotonic clock (performance.now()).
//
// Why not etcd3's Lease: it keeps one keep-alive stream for the lease's life. etcd serves a
// stream's requests one at a time, and a follower forwards each renewal to the leader; when
// the leader is cut off, the renewal in flight blocks the stream for etcd's request timeout
// (about 7 s) even after the majority has elected a new leader, so a healthy node on the
// majority side would lose its lease. Here a stream whose answer is overdue (one keep-alive
// interval, TTL/5) is dropped and the next keep-alive goes on a fresh stream, which the
// follower forwards to the current leader.
//
// Invariants:
//  - the TTL asked of etcd is whole seconds, rounded up, at least 1; ttlMs reports what etcd
//    granted (etcd raises TTLs below its minimum);
//  - lastRenewedMs() is when an acknowledged keep-alive was *sent*, so etcd's expiry is never
//    before lastRenewedMs + ttlMs; a holder that stops its work by then never overlaps the next;
//  - `lost` resolves when etcd says the lease is gone, when no keep-alive was acknowledged for
//    ttlMs, after revoke(), and when the store closes.

import type { Etcd3, IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';
import { assert } from '../core/result.js';
import type { Lease } from './types.js';

export function leaseTtlSeconds(ttlMs: number): number {
  assert(Number.isSafeInteger(ttlMs) && ttlMs > 0, `lease TTL ${ttlMs} ms must be a positive integer`);
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

/** One keep-alive stream and the send times of its unanswered keep-alives, oldest first. */
interface StreamState {
  readonly stream: KeepAliveStream;
  readonly sentMs: number[];
}

export class EtcdLease implements Lease {
  readonly lost: Promise<void>;
  private resolveLost: () => void = () => undefined;
  private isLost = false;
  private renewedMs: number;
  private current: StreamState | undefined;
  private opening = false;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  private constructor(
    private readonly client: Etcd3,
    readonly id: string,
    readonly ttlMs: number,
    grantSentMs: number,
    private readonly onEnd: (lease: EtcdLease) => void,
  ) {
    this.renewedMs = grantSentMs;
    this.lost = new Promise<void>((resolve) => {
      this.resolveLost = resolve;
    });
    this.keepAliveTimer = setInterval(() => this.keepAlive(), this.intervalMs());
    this.armWatchdog();
  }

  /** Grants a lease. Rejects with etcd3's error if the grant fails; the caller maps it. */
  static async grant(client: Etcd3, ttlMs: number, onEnd: (lease: EtcdLease) => void): Promise<EtcdLease> {
    const grantSentMs = performance.now();
    const granted = await client.leaseClient.leaseGrant({ TTL: leaseTtlSeconds(ttlMs), ID: 0 });
    const seconds = Number(granted.TTL);
    if (!Number.isSafeInteger(seconds) || seconds < 1) {
      throw new Error(`etcd granted lease ${granted.ID} with TTL ${granted.TTL}`);
    }
    return new EtcdLease(client, granted.ID, seconds * 1000, grantSentMs, onEnd);
  }

  lastRenewedMs(): number {
    return this.renewedMs;
  }

  /** Keep-alives go five times per TTL, so a stream stuck through a leader change is replaced fast. */
  private intervalMs(): number {
    return Math.max(100, Math.floor(this.ttlMs / 5));
  }

  private keepAlive(): void {
    if (this.isLost) return;
    const now = performance.now();
    const intervalMs = this.intervalMs();
    const s = this.current;
    const oldest = s?.sentMs[0];
    if (s !== undefined && oldest !== undefined && now - oldest > intervalMs) {
      // Overdue: this stream is stuck behind a renewal etcd cannot answer yet. Start afresh.
      this.dropStream(s);
    }
    if (this.current === undefined) {
      void this.openStream();
      return;
    }
    this.current.sentMs.push(now);
    if (this.current.sentMs.length > 16) this.current.sentMs.shift();
    this.current.stream.write({ ID: this.id });
  }

  private async openStream(): Promise<void> {
    if (this.opening || this.isLost) return;
    this.opening = true;
    try {
      const stream = await this.client.leaseClient.leaseKeepAlive();
      if (this.isLost) {
        stream.cancel();
        return;
      }
      const state: StreamState = { stream, sentMs: [] };
      stream.on('data', (res) => this.onAnswer(state, res));
      stream.on('error', () => this.dropStream(state));
      stream.on('end', () => this.dropStream(state));
      this.current = state;
      state.sentMs.push(performance.now());
      stream.write({ ID: this.id });
    } catch {
      // No connection now: the next keep-alive tick tries again; the watchdog bounds the wait.
    } finally {
      this.opening = false;
    }
  }

  private onAnswer(state: StreamState, res: ILeaseKeepAliveResponse): void {
    const sent = state.sentMs.shift();
    if (this.isLost) return;
    if (Number(res.TTL) <= 0) {
      this.markLost(); // etcd says the lease is gone
      return;
    }
    if (sent !== undefined) this.renewedMs = Math.max(this.renewedMs, sent);
    this.armWatchdog();
  }

  private dropStream(state: StreamState): void {
    if (this.current === state) this.current = undefined;
    try {
      state.stream.cancel();
    } catch {
      // Already closed.
    }
  }

  async revoke(): Promise<void> {
    if (this.isLost) return;
    this.stopTimers();
    try {
      await this.client.leaseClient.leaseRevoke({ ID: this.id });
    } catch {
      // etcd unreachable: keep-alive has stopped, so the lease expires by its TTL; it is lost
      // to this holder either way, which is all revoke() promises.
    }
    this.markLost();
  }

  /** The store is closing: stop keep-alive and let etcd expire the lease. */
  release(): void {
    this.markLost();
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    const remainingMs = this.renewedMs + this.ttlMs - performance.now();
    this.watchdog = setTimeout(() => {
      if (performance.now() - this.renewedMs < this.ttlMs) {
        this.armWatchdog();
        return;
      }
      // Best effort, so etcd drops the keys now rather than at its own expiry.
      this.client.leaseClient.leaseRevoke({ ID: this.id }).catch(() => undefined);
      this.markLost();
    }, Math.max(0, remainingMs));
  }

  private stopTimers(): void {
    clearTimeout(this.watchdog);
    clearInterval(this.keepAliveTimer);
    this.watchdog = undefined;
    this.keepAliveTimer = undefined;
  }

  private markLost(): void {
    if (this.isLost) return;
    this.isLost = true;
    this.stopTimers();
    if (this.current) this.dropStream(this.current);
    this.onEnd(this);
    this.resolveLost();
  }
}
