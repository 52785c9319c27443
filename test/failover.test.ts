// Integration: coordinator failover and whole-cluster restart on real herdd + etcd processes.
// A register workload through every node's API runs during the faults and its history must be
// linearizable; acknowledged state (records, kv registers) must survive SIGKILL of the
// coordinator and a crash-restart of every node.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, must } from './harness.js';
import { RegisterWorkload } from './workload.js';
import { checkLinearizable } from '../src/sim/linearizability.js';
import type { StatusView } from '../src/api/types.js';

describe('coordinator failover and cluster restart', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.create({ voters: 3, workers: 1 });
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('elects another coordinator after SIGKILL, keeps the state, and stays linearizable', async () => {
    must(await cluster.client.setLabels('w1', { zone: 'blue' }, []));
    must(await cluster.client.kvPut('config', 'v1'));
    const workload = new RegisterWorkload(['v1', 'v2', 'v3', 'w1'].map((n) => cluster.clientFor(n)), { keys: ['r0', 'r1', 'r2'], seed: 7 });
    workload.start();
    try {
      await cluster.waitForStates(() => workload.okWrites >= 20, 'workload running');
      const before = must(await cluster.client.status());
      const old = before.coordinator?.node;
      assert.ok(old);
      const killedAt = Date.now();
      await cluster.signal(old, 'SIGKILL');
      const after = await cluster.waitForStates((s) => s.coordinator !== null && s.coordinator.node !== old, 'a new coordinator', 15_000);
      const failoverMs = Date.now() - killedAt;
      assert.ok(after.coordinator && after.coordinator.token > (before.coordinator?.token ?? 0), 'the new fencing token is larger');
      await cluster.waitForStates((s) => cluster.stateOf(s, old) === 'unclean', `${old} unclean`, 15_000);
      assert.deepEqual(must(await cluster.client.node('w1')).labels, { zone: 'blue' });
      assert.equal(must(await cluster.client.kvGet('config')).value, 'v1');
      const writesBefore = workload.okWrites;
      await cluster.waitForStates(() => workload.okWrites >= writesBefore + 20, 'writes after failover');
      cluster.start(old);
      await cluster.waitForStates((s) => s.nodes.every((n) => n.state === 'online'), 'all online again', 30_000);
      process.stdout.write(`# failover after SIGKILL of ${old}: ${failoverMs} ms to a new coordinator\n`);
    } finally {
      await workload.stop();
    }
    const result = checkLinearizable(workload.history, { initialValue: null, stepsMax: 5_000_000 });
    process.stdout.write(`# history: ${workload.history.length} operations (${workload.okReads} reads, ${workload.okWrites} writes ok, ${workload.failed} failed)\n`);
    assert.equal(result.ok, true, JSON.stringify(result).slice(0, 2000));
  });

  it('keeps every acknowledged record through a crash of every node', async () => {
    for (const k of ['a', 'b', 'c']) must(await cluster.client.kvPut(k, `value-${k}`));
    must(await cluster.client.setStandby('v2', true));
    const eventsBefore = must(await cluster.client.events(undefined, 1000)).events.length;
    for (const n of ['w1', 'v3', 'v2', 'v1']) await cluster.signal(n, 'SIGKILL');
    const restartedAt = Date.now();
    for (const n of ['v1', 'v2', 'v3', 'w1']) cluster.start(n);
    const fresh = (st: StatusView): boolean => st.nodes.every((n) => (n.herddStartedAtMs ?? 0) >= restartedAt);
    // The standby flag was acknowledged before the crash, so it must come back (the state shown
    // may be judged a moment after the nodes are up again).
    const s = await cluster.waitForStates((st) => st.coordinator !== null && fresh(st) && st.nodes.every((n) => n.state === (n.name === 'v2' ? 'standby' : 'online')), 'cluster back after crash, v2 in standby', 60_000);
    assert.equal(cluster.stateOf(s, 'v2'), 'standby');
    for (const k of ['a', 'b', 'c']) assert.equal(must(await cluster.client.kvGet(k)).value, `value-${k}`);
    assert.equal(must(await cluster.client.kvGet('config')).value, 'v1');
    assert.deepEqual(must(await cluster.client.node('w1')).labels, { zone: 'blue' });
    assert.ok(must(await cluster.client.events(undefined, 1000)).events.length >= eventsBefore);
  });

  it('comes back after a clean stop of the whole cluster, with stopped nodes shown offline meanwhile', async () => {
    must(await cluster.client.setStandby('v2', false));
    await cluster.signal('w1', 'SIGTERM');
    await cluster.waitForStates((s) => cluster.stateOf(s, 'w1') === 'offline', 'w1 offline after a clean stop', 15_000);
    await cluster.stopAll();
    const restartedAt = Date.now();
    for (const n of ['v1', 'v2', 'v3', 'w1']) cluster.start(n);
    await cluster.waitForStates((s) => s.coordinator !== null && s.nodes.every((n) => n.state === 'online' && (n.herddStartedAtMs ?? 0) >= restartedAt), 'all online after restart', 60_000);
    assert.equal(must(await cluster.client.kvGet('a')).value, 'value-a');
  });
});
