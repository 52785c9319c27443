// Runs the Store conformance suite on EtcdStore against one real etcd process for the file,
// plus what only etcd has: compaction, restarts, a paused server, no server at all, and the
// conversion helpers (lease TTL seconds, prefix ranges).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { storeConformance } from './conformance.js';
import { EtcdStore } from './etcd.js';
import { leaseTtlSeconds } from './etcd-lease.js';
import { prefixRange } from './etcd-watch.js';
import { freePort, startTestEtcd, type TestEtcd } from './testing/etcd-process.js';
import { expectFailure, expectOk, waitUntil, withDeadline, WatchRecorder } from './testing/helpers.js';
import type { Lease } from './types.js';

let etcd: TestEtcd | undefined;
const runningEtcd = (): TestEtcd => {
  assert.ok(etcd !== undefined, 'etcd was started in before()');
  return etcd;
};

before(async () => {
  etcd = await startTestEtcd();
});

after(async () => {
  await etcd?.stop();
});

/** A plain etcd3 client, for what the Store interface does not offer (revoke by id, compact). */
async function withRawClient<T>(use: (client: Etcd3) => Promise<T>): Promise<T> {
  const client = new Etcd3({ hosts: runningEtcd().endpoint });
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

storeConformance(
  'EtcdStore',
  () => {
    const store = EtcdStore.connect({ endpoints: [runningEtcd().endpoint] });
    return Promise.resolve({
      store,
      cleanup: () => store.close(),
      // Revoked on the server behind the client's back, as etcd's lessor would expire it.
      expireLease: (lease: Lease) => withRawClient(async (client) => void (await client.leaseClient.leaseRevoke({ ID: lease.id }))),
    });
  },
  { randomRuns: 25 },
);

describe('EtcdStore specifics', () => {
  const prefix = `/etcd-specifics-${Date.now().toString(36)}/`;

  it('converts TTLs to whole seconds, rounding up, at least 1', () => {
    assert.deepEqual([1, 999, 1000, 1001, 1500, 3000].map(leaseTtlSeconds), [1, 1, 1, 2, 2, 3]);
  });

  it('builds prefix ranges like etcd clients do', () => {
    const hex = (range: { key: Buffer; range_end: Buffer }): string[] => [range.key.toString('hex'), range.range_end.toString('hex')];
    assert.deepEqual(hex(prefixRange('a')), ['61', '62']);
    assert.deepEqual(hex(prefixRange('a\u00ff')), ['61c3bf', '61c3c0']);
    assert.deepEqual(hex(prefixRange('')), ['00', '00']);
  });

  it('reports the granted TTL, which etcd raises to its minimum', async () => {
    const store = EtcdStore.connect({ endpoints: [runningEtcd().endpoint] });
    try {
      const lease = expectOk(await store.grantLease(2500), 'grant');
      assert.equal(lease.ttlMs, 3000);
      await lease.revoke();
      const short = expectOk(await store.grantLease(1), 'grant 1 ms');
      assert.ok(short.ttlMs >= 1000, `ttlMs ${short.ttlMs}`);
      await short.revoke();
    } finally {
      await store.close();
    }
  });

  it('calls onCompacted when the start revision was compacted away', async () => {
    const store = EtcdStore.connect({ endpoints: [runningEtcd().endpoint] });
    try {
      const first = expectOk(await store.commit([], [{ op: 'put', key: `${prefix}c`, value: '1' }]), 'put');
      const last = expectOk(await store.commit([], [{ op: 'put', key: `${prefix}c`, value: '2' }]), 'put');
      await withRawClient((client) => client.kv.compact({ revision: last.revision, physical: true }));
      const recorder = new WatchRecorder(prefix);
      const watch = store.watch(prefix, first.revision, recorder);
      await recorder.waitFor(() => recorder.compactions.length > 0, 'onCompacted');
      watch.cancel();
      assert.deepEqual(recorder.compactions, [last.revision]);
      assert.deepEqual(recorder.batches, []);
    } finally {
      await store.close();
    }
  });

  it('fails with unavailable, naming the endpoint, when nothing listens', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const store = EtcdStore.connect({ endpoints: [endpoint], dialTimeoutMs: 500 });
    try {
      const failure = expectFailure(await withDeadline(store.get(`${prefix}x`), 'get to fail'), 'unavailable', 'get');
      assert.match(failure.message, new RegExp(endpoint));
      expectFailure(await withDeadline(store.commit([], [{ op: 'put', key: `${prefix}x`, value: '1' }]), 'commit to fail'), 'unavailable', 'commit');
    } finally {
      await store.close();
    }
  });

  it('declares a lease lost within its TTL when keep-alives go unanswered (etcd paused)', async () => {
    const store = EtcdStore.connect({ endpoints: [runningEtcd().endpoint] });
    const pid = runningEtcd().pid;
    try {
      const lease = expectOk(await store.grantLease(2000), 'grant');
      process.kill(pid, 'SIGSTOP');
      await withDeadline(lease.lost, 'lease.lost while etcd is paused', lease.ttlMs + 3000);
      const silentMs = performance.now() - lease.lastRenewedMs();
      // Slack for a loaded test machine; etcd3 alone would wait two TTLs.
      assert.ok(silentMs >= lease.ttlMs && silentMs < lease.ttlMs + 2000, `lost ${silentMs} ms after the last renewal was sent`);
    } finally {
      process.kill(pid, 'SIGCONT');
      await store.close();
    }
  });

  it('a watch resumes after etcd restarts, without losing or repeating events', async () => {
    const store = EtcdStore.connect({ endpoints: [runningEtcd().endpoint] });
    const key = `${prefix}restart/`;
    try {
      const first = expectOk(await store.commit([], [{ op: 'put', key: `${key}a`, value: '1' }]), 'put a');
      const recorder = new WatchRecorder(key);
      const watch = store.watch(key, first.revision, recorder);
      await recorder.waitForRevision(first.revision);
      await runningEtcd().restart();
      // The outcome of a commit that fails while etcd comes back is unknown; the guard makes a
      // retry safe: a conflict means an earlier attempt landed.
      let written = false;
      await waitUntil(async () => {
        const result = await store.commit([{ key: `${key}b`, absent: true }], [{ op: 'put', key: `${key}b`, value: '1' }]);
        written = result.ok || result.error.code === 'conflict';
        return written;
      }, 'a commit after the restart', 30_000);
      const b = expectOk(await store.get(`${key}b`), 'get b');
      assert.ok(b !== undefined);
      await recorder.waitForRevision(b.modRevision, 30_000);
      watch.cancel();
      recorder.assertWellFormed();
      assert.deepEqual(recorder.summary(), [`put a=1@${first.revision}`, `put b=1@${b.modRevision}`]);
    } finally {
      await store.close();
    }
  });
});
