// Owns EtcdLease: a Store lease on etcd, kept alive by etcd3's Lease, with Herd's own loss rule.
//
// Inputs: the etcd3 client and a TTL in ms. Outputs: a Lease whose `lost` resolves once, and
// lastRenewedMs() on the monotonic clock (performance.now()).
//
// Invariants:
//  - the TTL asked of etcd is whole seconds, rounded up, at least 1; ttlMs reports what etcd
//    granted (etcd raises TTLs below its minimum, 2 s with default timings);
//  - lastRenewedMs() is when the acknowledged keep-alive was *sent* (keep-alives and their
//    replies are ordered on one stream), so etcd's expiry is never before lastRenewedMs + ttlMs;
//    a holder that stops its work by then never overlaps the next holder;
//  - `lost` resolves when etcd says the lease is gone, when no keep-alive was acknowledged for
//    ttlMs (etcd3 alone would wait twice the TTL), after revoke(), and when the store closes.

import type { Etcd3, Lease as Etcd3Lease } from 'etcd3';
import { assert } from '../core/result.js';
import type { Lease } from './types.js';

export function leaseTtlSeconds(ttlMs: number): number {
  assert(Number.isSafeInteger(ttlMs) && ttlMs > 0, `lease TTL ${ttlMs} ms must be a positive integer`);
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

/**
 * Tracks when keep-alives were sent and acknowledged. Attached before the grant, since etcd3
 * starts its keep-alive loop as soon as the grant returns.
 */
class RenewalTracker {
  renewedMs: number;
  onRenewed: () => void = () => undefined;
  /** Send times of keep-alives not yet acknowledged, oldest first. */
  private sentMs: number[] = [];

  constructor(inner: Etcd3Lease, grantSentMs: number) {
    this.renewedMs = grantSentMs;
    inner.on('keepaliveEstablished', () => (this.sentMs = []));
    inner.on('keepaliveFailed', () => (this.sentMs = []));
    inner.on('keepaliveFired', () => {
      this.sentMs.push(performance.now());
      // Bounded: the watchdog ends the lease after ttlMs, and keep-alives go every ttlMs / 3.
      if (this.sentMs.length > 16) this.sentMs.shift();
    });
    inner.on('keepaliveSucceeded', () => {
      this.renewedMs = Math.max(this.renewedMs, this.sentMs.shift() ?? this.renewedMs);
      this.onRenewed();
    });
  }
}

export class EtcdLease implements Lease {
  readonly lost: Promise<void>;
  private resolveLost: () => void = () => undefined;
  private isLost = false;
  private watchdog: NodeJS.Timeout | undefined;

  private constructor(
    private readonly inner: Etcd3Lease,
    private readonly renewals: RenewalTracker,
    readonly id: string,
    readonly ttlMs: number,
    private readonly onEnd: (lease: EtcdLease) => void,
  ) {
    this.lost = new Promise<void>((resolve) => {
      this.resolveLost = resolve;
    });
    renewals.onRenewed = () => {
      if (!this.isLost) this.armWatchdog();
    };
    inner.on('lost', () => this.markLost());
    this.armWatchdog();
    if (inner.revoked()) this.markLost(); // etcd3 gave up on it before this object existed
  }

  /**
   * Grants a lease and reads back the TTL etcd granted. Rejects with etcd3's error if either
   * call fails; the caller maps it to a StoreFailure.
   */
  static async grant(client: Etcd3, ttlMs: number, onEnd: (lease: EtcdLease) => void): Promise<EtcdLease> {
    const grantSentMs = performance.now();
    const inner = client.lease(leaseTtlSeconds(ttlMs));
    const renewals = new RenewalTracker(inner, grantSentMs);
    inner.on('lost', () => undefined); // a failed grant also emits 'lost'; grant() rejects below
    const id = await inner.grant();
    try {
      const status = await client.leaseClient.leaseTimeToLive({ ID: id });
      const grantedSeconds = Number(status.grantedTTL);
      if (!Number.isSafeInteger(grantedSeconds) || grantedSeconds < 1 || Number(status.TTL) < 0) {
        throw new Error(`etcd reports lease ${id} gone right after its grant (TTL ${status.TTL}, granted ${status.grantedTTL})`);
      }
      return new EtcdLease(inner, renewals, id, grantedSeconds * 1000, onEnd);
    } catch (error) {
      await inner.revoke().catch(() => undefined); // best effort: otherwise it expires by its TTL
      throw error;
    }
  }

  lastRenewedMs(): number {
    return this.renewals.renewedMs;
  }

  async revoke(): Promise<void> {
    if (this.isLost) return;
    this.stopTimers();
    try {
      await this.inner.revoke();
    } catch {
      // etcd unreachable: keep-alive has stopped, so the lease expires by its TTL; it is lost
      // to this holder either way, which is all revoke() promises.
    }
    this.markLost();
  }

  /** The store is closing: stop keep-alive and let etcd expire the lease. */
  release(): void {
    this.inner.release();
    this.markLost();
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    const remainingMs = this.renewals.renewedMs + this.ttlMs - performance.now();
    this.watchdog = setTimeout(() => {
      if (performance.now() - this.renewals.renewedMs < this.ttlMs) {
        this.armWatchdog();
        return;
      }
      this.inner.release();
      // Best effort, so etcd drops the keys now rather than at its own expiry.
      this.inner.revoke().catch(() => undefined);
      this.markLost();
    }, Math.max(0, remainingMs));
  }

  private stopTimers(): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private markLost(): void {
    if (this.isLost) return;
    this.isLost = true;
    this.stopTimers();
    this.inner.release();
    this.onEnd(this);
    this.resolveLost();
  }
}
