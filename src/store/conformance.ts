// Owns the Store conformance suite: the behaviour every Store (etcd.ts, memory.ts) must show,
// registered as node:test cases by storeConformance(). Each case gets a fresh store from the
// factory and its own key prefix, so cases can share one etcd. Cases assume nothing else writes
// to the store while they run (node:test runs one case of a file at a time).
// The randomized comparison with a reference model lives in conformance-random.ts.

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { limits } from '../core/limits.js';
import { randomModelCase } from './conformance-random.js';
import { expectFailure, expectOk, waitUntil, withDeadline, WatchRecorder } from './testing/helpers.js';
import type { Lease, Store } from './types.js';

/** A store for one case. Its clock must be the real monotonic one (lastRenewedMs is checked). */
export interface StoreUnderTest {
  readonly store: Store;
  readonly cleanup: () => Promise<void>;
  /** Makes the lease expire as etcd's lessor would (server side), if the store can. */
  readonly expireLease?: (lease: Lease) => Promise<void>;
}

export interface ConformanceOptions {
  /** Sequences the randomized model test tries; defaults to 50. */
  readonly randomRuns?: number;
}

export interface CaseContext extends StoreUnderTest {
  /** Unique to this case; every key the case touches starts with it. */
  readonly prefix: string;
}

export function storeConformance(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
  options: ConformanceOptions = {},
): void {
  const runId = `conformance-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
  let caseNumber = 0;
  const test = (title: string, body: (context: CaseContext) => Promise<void>): void => {
    it(title, async () => {
      const underTest = await makeStore();
      try {
        await body({ ...underTest, prefix: `/${runId}/${++caseNumber}/` });
      } finally {
        await underTest.cleanup();
      }
    });
  };

  describe(`Store conformance: ${name}`, () => {
    describe('keys and revisions', () => {
      test('get of a missing key is ok and undefined', async ({ store, prefix }) => {
        assert.equal(expectOk(await store.get(`${prefix}missing`), 'get'), undefined);
      });

      test('put then get: revisions and version like etcd', async ({ store, prefix }) => {
        const key = `${prefix}a`;
        const first = expectOk(await store.commit([], [{ op: 'put', key, value: 'one' }]), 'first put');
        assert.deepEqual(expectOk(await store.get(key), 'get'), { key, value: 'one', createRevision: first.revision, modRevision: first.revision, version: 1 });
        const second = expectOk(await store.commit([], [{ op: 'put', key, value: 'two' }]), 'second put');
        assert.equal(second.revision, first.revision + 1, 'each change is one new revision');
        assert.deepEqual(expectOk(await store.get(key), 'get'), { key, value: 'two', createRevision: first.revision, modRevision: second.revision, version: 2 });
        expectOk(await store.commit([], [{ op: 'delete', key }]), 'delete');
        const again = expectOk(await store.commit([], [{ op: 'put', key, value: 'three' }]), 'put after delete');
        assert.deepEqual(expectOk(await store.get(key), 'get'), { key, value: 'three', createRevision: again.revision, modRevision: again.revision, version: 1 });
      });

      test('a commit that changes nothing does not make a revision', async ({ store, prefix }) => {
        const before = expectOk(await store.range(prefix), 'range').revision;
        const noWrites = expectOk(await store.commit([{ key: `${prefix}x`, absent: true }], []), 'guards only');
        const deleteMissing = expectOk(await store.commit([], [{ op: 'delete', key: `${prefix}x` }, { op: 'deletePrefix', prefix: `${prefix}y/` }]), 'delete missing');
        assert.deepEqual([noWrites.revision, deleteMissing.revision], [before, before]);
        assert.equal(expectOk(await store.range(prefix), 'range').revision, before);
      });

      test('range: sorted by key in UTF-8 byte order, with the store revision', async ({ store, prefix }) => {
        const names = ['b', 'a/2', 'a', 'a/10', '\u{1F600}', '\uFFFD', 'é', 'Z'];
        const written = expectOk(await store.commit([], names.map((n) => ({ op: 'put' as const, key: prefix + n, value: n }))), 'put all');
        expectOk(await store.commit([], [{ op: 'put', key: `${prefix.slice(0, -1)}-sibling`, value: 'outside' }]), 'sibling');
        const result = expectOk(await store.range(prefix), 'range');
        const bytewise = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        assert.deepEqual(result.items.map((kv) => kv.key.slice(prefix.length)), bytewise);
        assert.equal(result.revision, written.revision + 1);
        assert.ok(result.items.every((kv) => kv.modRevision === written.revision && kv.version === 1));
        assert.deepEqual(expectOk(await store.range(`${prefix}nothing/`), 'empty range').items, []);
      });
    });

    describe('guarded commits', () => {
      test('absent: holds for a missing key, fails once it exists', async ({ store, prefix }) => {
        const key = `${prefix}k`;
        const created = expectOk(await store.commit([{ key, absent: true }], [{ op: 'put', key, value: '1' }]), 'create');
        const failure = expectFailure(await store.commit([{ key, absent: true }], [{ op: 'put', key, value: '2' }]), 'conflict', 'second create');
        assert.equal(failure.code === 'conflict' && failure.key, key);
        assert.equal(expectOk(await store.get(key), 'get')?.modRevision, created.revision);
      });

      test('modRevision: holds at the current one, fails on a stale one; 0 holds for a missing key', async ({ store, prefix }) => {
        const key = `${prefix}k`;
        const first = expectOk(await store.commit([{ key, modRevision: 0 }], [{ op: 'put', key, value: '1' }]), 'create with 0');
        const second = expectOk(await store.commit([{ key, modRevision: first.revision }], [{ op: 'put', key, value: '2' }]), 'update');
        expectFailure(await store.commit([{ key, modRevision: first.revision }], [{ op: 'put', key, value: '3' }]), 'conflict', 'stale');
        expectFailure(await store.commit([{ key, modRevision: 0 }], [{ op: 'put', key, value: '3' }]), 'conflict', '0 on a present key');
        assert.equal(expectOk(await store.get(key), 'get')?.value, '2');
        assert.equal(expectOk(await store.get(key), 'get')?.modRevision, second.revision);
      });

      test('createRevision: survives updates, fails after delete and re-create', async ({ store, prefix }) => {
        const key = `${prefix}k`;
        expectOk(await store.commit([{ key, createRevision: 0 }], [{ op: 'put', key, value: '1' }]), 'create with 0');
        const created = expectOk(await store.get(key), 'get')?.createRevision ?? -1;
        expectOk(await store.commit([], [{ op: 'put', key, value: '2' }]), 'update');
        expectOk(await store.commit([{ key, createRevision: created }], [{ op: 'put', key, value: '3' }]), 'guard after update');
        expectOk(await store.commit([], [{ op: 'delete', key }]), 'delete');
        expectOk(await store.commit([], [{ op: 'put', key, value: '4' }]), 're-create');
        expectFailure(await store.commit([{ key, createRevision: created }], [{ op: 'put', key, value: '5' }]), 'conflict', 'old incarnation');
        assert.equal(expectOk(await store.get(key), 'get')?.value, '4');
      });

      test('a failed commit writes nothing, keeps the revision and names the first failing guard', async ({ store, prefix }) => {
        const [a, b, c] = [`${prefix}a`, `${prefix}b`, `${prefix}c`];
        const base = expectOk(await store.commit([], [{ op: 'put', key: a, value: '1' }, { op: 'put', key: b, value: '1' }]), 'setup');
        const before = expectOk(await store.range(prefix), 'range before');
        const failure = expectFailure(await store.commit(
          [{ key: a, modRevision: base.revision }, { key: b, absent: true }, { key: c, modRevision: 12345 }],
          [{ op: 'put', key: a, value: '2' }, { op: 'delete', key: b }, { op: 'put', key: c, value: '2' }],
        ), 'conflict', 'commit');
        assert.equal(failure.code === 'conflict' && failure.key, b, 'the first guard that failed, in order');
        assert.deepEqual(expectOk(await store.range(prefix), 'range after'), before);
      });

      test('all writes of a commit land in one revision', async ({ store, prefix }) => {
        expectOk(await store.commit([], [{ op: 'put', key: `${prefix}old`, value: 'x' }]), 'setup');
        const result = expectOk(await store.commit([{ key: `${prefix}a`, absent: true }], [
          { op: 'put', key: `${prefix}a`, value: '1' },
          { op: 'put', key: `${prefix}b`, value: '2' },
          { op: 'delete', key: `${prefix}old` },
        ]), 'commit');
        const items = expectOk(await store.range(prefix), 'range').items;
        assert.deepEqual(items.map((kv) => [kv.key.slice(prefix.length), kv.value, kv.modRevision]), [['a', '1', result.revision], ['b', '2', result.revision]]);
      });

      test('delete and deletePrefix remove exactly their keys', async ({ store, prefix }) => {
        const names = ['a', 'ab', 'a/1', 'a/2', 'b'];
        expectOk(await store.commit([], names.map((n) => ({ op: 'put' as const, key: prefix + n, value: n }))), 'setup');
        expectOk(await store.commit([], [{ op: 'deletePrefix', prefix: `${prefix}a/` }, { op: 'delete', key: `${prefix}b` }]), 'delete');
        const left = expectOk(await store.range(prefix), 'range').items.map((kv) => kv.key.slice(prefix.length));
        assert.deepEqual(left, ['a', 'ab']);
      });

      test('too_large: a value past recordBytesMax fails, naming the key; at the max it fits', async ({ store, prefix }) => {
        const key = `${prefix}big`;
        const failure = expectFailure(await store.commit([], [{ op: 'put', key: `${prefix}small`, value: 'x' }, { op: 'put', key, value: 'x'.repeat(limits.recordBytesMax + 1) }]), 'too_large', 'over');
        assert.equal(failure.code === 'too_large' && failure.key, key);
        assert.deepEqual(expectOk(await store.range(prefix), 'range').items, [], 'nothing written');
        expectFailure(await store.commit([], [{ op: 'put', key, value: 'é'.repeat(limits.recordBytesMax / 2 + 1) }]), 'too_large', 'counted in UTF-8 bytes');
        expectOk(await store.commit([], [{ op: 'put', key, value: 'x'.repeat(limits.recordBytesMax) }]), 'at the max');
        assert.equal(expectOk(await store.get(key), 'get')?.value.length, limits.recordBytesMax);
      });
    });

    describe('watch', () => {
      test('from a past revision: replays, then follows live, in revision order', async ({ store, prefix }) => {
        const first = expectOk(await store.commit([], [{ op: 'put', key: `${prefix}a`, value: '1' }]), 'a');
        const second = expectOk(await store.commit([], [{ op: 'put', key: `${prefix}b`, value: '1' }, { op: 'delete', key: `${prefix}a` }]), 'b');
        const recorder = new WatchRecorder(prefix);
        const watch = store.watch(prefix, first.revision, recorder);
        await recorder.waitForRevision(second.revision);
        const third = expectOk(await store.commit([], [{ op: 'put', key: `${prefix}a`, value: '2' }]), 'a again');
        await recorder.waitForRevision(third.revision);
        watch.cancel();
        recorder.assertWellFormed();
        assert.deepEqual(recorder.summary(), [`put a=1@${first.revision}`, `put b=1@${second.revision}`, `delete a@${second.revision}`, `put a=2@${third.revision}`]);
        const lastPut = recorder.events.at(-1);
        assert.deepEqual(lastPut?.type === 'put' && lastPut.kv, { key: `${prefix}a`, value: '2', createRevision: third.revision, modRevision: third.revision, version: 1 });
        assert.deepEqual(recorder.compactions, []);
      });

      test('sees only keys under its prefix; events of one commit come in write order', async ({ store, prefix }) => {
        const start = expectOk(await store.range(prefix), 'range').revision + 1;
        const recorder = new WatchRecorder(`${prefix}w/`);
        const watch = store.watch(`${prefix}w/`, start, recorder);
        expectOk(await store.commit([], [{ op: 'put', key: `${prefix}w/c`, value: '1' }, { op: 'put', key: `${prefix}w/a`, value: '1' }]), 'puts');
        expectOk(await store.commit([], [{ op: 'put', key: `${prefix}other`, value: '1' }, { op: 'put', key: `${prefix}w`, value: '1' }]), 'outside');
        const swap = expectOk(await store.commit([], [{ op: 'delete', key: `${prefix}w/c` }, { op: 'put', key: `${prefix}w/d`, value: '1' }]), 'swap');
        const last = expectOk(await store.commit([], [{ op: 'deletePrefix', prefix: `${prefix}w/` }, { op: 'put', key: `${prefix}x`, value: '1' }]), 'delete all');
        await recorder.waitForRevision(last.revision);
        watch.cancel();
        recorder.assertWellFormed();
        const [r, s] = [swap.revision, last.revision];
        assert.deepEqual(recorder.summary(), [`put c=1@${r - 2}`, `put a=1@${r - 2}`, `delete c@${r}`, `put d=1@${r}`, `delete a@${s}`, `delete d@${s}`]);
      });

      test('range at r, then watch from r + 1, sees exactly the later changes', async ({ store, prefix }) => {
        expectOk(await store.commit([], [{ op: 'put', key: `${prefix}a`, value: 'before' }]), 'before');
        const listed = expectOk(await store.range(prefix), 'range');
        const recorder = new WatchRecorder(prefix);
        const watch = store.watch(prefix, listed.revision + 1, recorder);
        const after = expectOk(await store.commit([], [{ op: 'put', key: `${prefix}a`, value: 'after' }]), 'after');
        await recorder.waitForRevision(after.revision);
        watch.cancel();
        assert.deepEqual(recorder.summary(), [`put a=after@${after.revision}`]);
      });

      test('cancel stops delivery', async ({ store, prefix }) => {
        const start = expectOk(await store.range(prefix), 'range').revision + 1;
        const cancelled = new WatchRecorder(prefix);
        const barrier = new WatchRecorder(prefix);
        const watch = store.watch(prefix, start, cancelled);
        const barrierWatch = store.watch(prefix, start, barrier);
        const first = expectOk(await store.commit([], [{ op: 'put', key: `${prefix}a`, value: '1' }]), 'first');
        await cancelled.waitForRevision(first.revision);
        watch.cancel();
        const second = expectOk(await store.commit([], [{ op: 'put', key: `${prefix}a`, value: '2' }]), 'second');
        await barrier.waitForRevision(second.revision); // the later change has been delivered elsewhere
        barrierWatch.cancel();
        assert.deepEqual(cancelled.summary(), [`put a=1@${first.revision}`]);
      });
    });

    describe('leases', () => {
      test('keys bound to a lease carry its id, vanish on revoke, and a watch sees the delete', async ({ store, prefix }) => {
        const lease = expectOk(await store.grantLease(2000), 'grant');
        assert.ok(lease.id.length > 0 && lease.ttlMs >= 2000, `ttlMs ${lease.ttlMs}`);
        assert.ok(Math.abs(performance.now() - lease.lastRenewedMs()) < lease.ttlMs, 'renewed recently');
        const put = expectOk(await store.commit([], [{ op: 'put', key: `${prefix}b`, value: '1', lease: lease.id }, { op: 'put', key: `${prefix}a`, value: '1', lease: lease.id }, { op: 'put', key: `${prefix}free`, value: '1' }]), 'put');
        assert.equal(expectOk(await store.get(`${prefix}a`), 'get')?.lease, lease.id);
        assert.equal(expectOk(await store.get(`${prefix}free`), 'get')?.lease, undefined);
        const recorder = new WatchRecorder(prefix);
        const watch = store.watch(prefix, put.revision + 1, recorder);
        await lease.revoke();
        await withDeadline(lease.lost, 'lease.lost after revoke');
        await recorder.waitFor(() => recorder.events.length >= 2, 'the deletes');
        watch.cancel();
        const deleted = recorder.events.map((e) => (e.type === 'delete' ? `${e.key.slice(prefix.length)}@${e.modRevision - put.revision}` : 'put'));
        assert.deepEqual(deleted, ['a@1', 'b@1'], 'both keys in one revision, in key order');
        assert.deepEqual(expectOk(await store.range(prefix), 'range').items.map((kv) => kv.key.slice(prefix.length)), ['free']);
      });

      test('a write bound to a revoked lease fails with lease_not_found and writes nothing', async ({ store, prefix }) => {
        const lease = expectOk(await store.grantLease(2000), 'grant');
        await lease.revoke();
        expectFailure(await store.commit([], [{ op: 'put', key: `${prefix}plain`, value: '1' }, { op: 'put', key: `${prefix}k`, value: '1', lease: lease.id }]), 'lease_not_found', 'put');
        assert.deepEqual(expectOk(await store.range(prefix), 'range').items, []);
      });

      test('a put without a lease detaches the key from its lease', async ({ store, prefix }) => {
        const lease = expectOk(await store.grantLease(2000), 'grant');
        expectOk(await store.commit([], [{ op: 'put', key: `${prefix}k`, value: '1', lease: lease.id }]), 'bound');
        expectOk(await store.commit([], [{ op: 'put', key: `${prefix}k`, value: '2' }]), 'unbound');
        await lease.revoke();
        assert.equal(expectOk(await store.get(`${prefix}k`), 'get')?.value, '2');
      });

      test('an expired lease: its keys vanish and lost resolves', async ({ store, prefix, expireLease }) => {
        if (expireLease === undefined) return;
        const lease = expectOk(await store.grantLease(2000), 'grant');
        expectOk(await store.commit([], [{ op: 'put', key: `${prefix}k`, value: '1', lease: lease.id }]), 'bound');
        await expireLease(lease);
        await withDeadline(lease.lost, 'lease.lost after expiry');
        await waitUntil(async () => expectOk(await store.get(`${prefix}k`), 'get') === undefined, 'the key to vanish');
        expectFailure(await store.commit([], [{ op: 'put', key: `${prefix}k`, value: '1', lease: lease.id }]), 'lease_not_found', 'put on expired');
      });
    });

    describe('close', () => {
      test('after close every call fails with unavailable and leases are lost', async ({ store, prefix }) => {
        const lease = expectOk(await store.grantLease(2000), 'grant');
        await store.close();
        await withDeadline(lease.lost, 'lease.lost after close');
        expectFailure(await store.get(`${prefix}k`), 'unavailable', 'get');
        expectFailure(await store.range(prefix), 'unavailable', 'range');
        expectFailure(await store.commit([], [{ op: 'put', key: `${prefix}k`, value: '1' }]), 'unavailable', 'commit');
        expectFailure(await store.grantLease(2000), 'unavailable', 'grantLease');
        await store.close(); // twice is fine
      });
    });

    describe('randomized against a reference model', () => {
      test('random guarded commits have the same outcomes as the model', (context) => randomModelCase(context, options.randomRuns ?? 50));
    });
  });
}
