// Runs the Store conformance suite on MemoryStore, plus what only the memory store has: its
// starting revision, bounded history, asynchronous delivery and the simulation lease hooks.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock, systemTimers, type Cancel, type Clock, type Timers } from '../core/clock.js';
import { storeConformance } from './conformance.js';
import { MemoryStore } from './memory.js';
import { expectFailure, expectOk, WatchRecorder } from './testing/helpers.js';
import type { Lease } from './types.js';

storeConformance(
  'MemoryStore',
  () => {
    const store = new MemoryStore({ clock: systemClock, timers: systemTimers });
    const expireLease = (lease: Lease): Promise<void> => Promise.resolve(store.expireLease(lease.id));
    return Promise.resolve({ store, cleanup: () => store.close(), expireLease });
  },
  { randomRuns: 200 },
);

/** Time that moves only when the test says so. */
class ManualTime implements Clock, Timers {
  private now = 0;
  private readonly pending: { atMs: number; fn: () => void; cancelled: boolean }[] = [];
  nowMs(): number {
    return this.now;
  }
  monotonicMs(): number {
    return this.now;
  }
  setTimeout(fn: () => void, delayMs: number): Cancel {
    const timer = { atMs: this.now + delayMs, fn, cancelled: false };
    this.pending.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }
  setInterval(): Cancel {
    assert.fail('MemoryStore does not use intervals');
  }
  advance(ms: number): void {
    this.now += ms;
    const due = this.pending.filter((timer) => timer.atMs <= this.now && !timer.cancelled).sort((a, b) => a.atMs - b.atMs);
    for (const timer of due) {
      timer.cancelled = true;
      timer.fn();
    }
  }
}

describe('MemoryStore specifics', () => {
  const makeStore = (historyMax?: number): { store: MemoryStore; time: ManualTime } => {
    const time = new ManualTime();
    const options = historyMax === undefined ? { clock: time, timers: time } : { clock: time, timers: time, historyMax };
    return { store: new MemoryStore(options), time };
  };

  it('starts at revision 1, like an empty etcd; the first commit makes revision 2', async () => {
    const { store } = makeStore();
    assert.equal(expectOk(await store.range(''), 'range').revision, 1);
    assert.equal(expectOk(await store.commit([], [{ op: 'put', key: 'a', value: '1' }]), 'put').revision, 2);
    assert.equal(store.currentRevision(), 2);
  });

  it('delivers watch events after commit returns, never inside it', async () => {
    const { store } = makeStore();
    const recorder = new WatchRecorder();
    store.watch('', 1, recorder);
    const pending = store.commit([], [{ op: 'put', key: 'a', value: '1' }]);
    assert.equal(recorder.batches.length, 0, 'nothing delivered synchronously');
    await pending;
    await recorder.waitForRevision(2);
    assert.deepEqual(recorder.summary(), ['put a=1@2']);
  });

  it('reports compaction when the start revision is older than the kept history', async () => {
    const { store } = makeStore(3);
    for (const value of ['1', '2', '3', '4', '5']) expectOk(await store.commit([], [{ op: 'put', key: 'k', value }]), 'put');
    // Revisions 2..6 were made; 4, 5 and 6 are kept.
    const compacted = new WatchRecorder();
    store.watch('', 3, compacted);
    await compacted.waitFor(() => compacted.compactions.length === 1, 'onCompacted');
    assert.deepEqual(compacted.compactions, [4]);
    const kept = new WatchRecorder();
    store.watch('', 4, kept);
    await kept.waitForRevision(6);
    assert.deepEqual(kept.summary(), ['put k=3@4', 'put k=4@5', 'put k=5@6']);
    expectOk(await store.commit([], [{ op: 'put', key: 'k', value: '6' }]), 'put');
    await kept.waitForRevision(7);
    assert.deepEqual(compacted.batches, [], 'a compacted watch delivers nothing');
  });

  it('pauseKeepAlive: the lease expires ttlMs later on the given timers', async () => {
    const { store, time } = makeStore();
    const lease = expectOk(await store.grantLease(3000), 'grant');
    expectOk(await store.commit([], [{ op: 'put', key: 'k', value: '1', lease: lease.id }]), 'put');
    time.advance(1000);
    assert.equal(lease.lastRenewedMs(), 1000, 'renewed continuously while kept alive');
    store.pauseKeepAlive(lease.id);
    time.advance(2999);
    assert.equal(lease.lastRenewedMs(), 1000, 'frozen while paused');
    assert.notEqual(expectOk(await store.get('k'), 'get'), undefined, 'still alive just before the TTL');
    time.advance(1);
    await lease.lost;
    assert.equal(expectOk(await store.get('k'), 'get'), undefined);
    expectFailure(await store.commit([], [{ op: 'put', key: 'k', value: '2', lease: lease.id }]), 'lease_not_found', 'put');
  });

  it('resumeKeepAlive before the TTL keeps the lease', async () => {
    const { store, time } = makeStore();
    const lease = expectOk(await store.grantLease(3000), 'grant');
    store.pauseKeepAlive(lease.id);
    time.advance(2000);
    store.resumeKeepAlive(lease.id);
    time.advance(5000);
    assert.equal(lease.lastRenewedMs(), 7000);
    expectOk(await store.commit([], [{ op: 'put', key: 'k', value: '1', lease: lease.id }]), 'put on a live lease');
  });

  it('expireLease deletes all the lease keys in one revision and resolves lost', async () => {
    const { store } = makeStore();
    const lease = expectOk(await store.grantLease(3000), 'grant');
    expectOk(await store.commit([], [{ op: 'put', key: 'b', value: '1', lease: lease.id }, { op: 'put', key: 'a', value: '1', lease: lease.id }]), 'put');
    const recorder = new WatchRecorder();
    store.watch('', 3, recorder);
    store.expireLease(lease.id);
    await lease.lost;
    await recorder.waitForRevision(3);
    assert.deepEqual(recorder.summary(), ['delete a@3', 'delete b@3']);
    store.expireLease(lease.id); // already gone: nothing happens
    assert.equal(store.currentRevision(), 3);
  });

  it('treats caller bugs as assertions: a key written twice in one commit', async () => {
    const { store } = makeStore();
    await assert.rejects(store.commit([], [{ op: 'put', key: 'a', value: '1' }, { op: 'delete', key: 'a' }]), /puts and deletes a/);
    await assert.rejects(store.commit([], [{ op: 'put', key: '', value: '1' }]), /must not be empty/);
  });
});
