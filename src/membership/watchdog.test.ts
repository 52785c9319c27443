// The coordinator watchdog on the in-memory store under a virtual clock: one voter's lost
// heartbeats never depose the coordinator; a majority's do, under the coordinator's token only.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory.js';
import { coordinatorKeyOf, Records } from '../store/records.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import { timingDefaults } from '../core/limits.js';
import { MembershipView } from './view.js';
import { CoordinatorWatchdog, majorityOf } from './watchdog.js';
import { nodes, type NodeRecord } from './records.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

const node = (name: string): NodeRecord => ({ name, role: 'voter', apiAddress: `${name}:1`, peerAddress: `${name}:2`, certFingerprint: 'x', labels: {}, standby: false, maintenance: false, left: false, joinedAtMs: 0 });

async function setup() {
  const clock = new VirtualClock();
  const store = new MemoryStore({ clock, timers: clock });
  const records = new Records(store, 't');
  for (const n of ['a', 'b', 'c']) await records.put(nodes, n, node(n), 'absent');
  const lease = await store.grantLease(5000);
  assert.ok(lease.ok);
  if (!lease.ok) throw new Error('lease');
  const put = await store.commit([], [{ op: 'put', key: coordinatorKeyOf(records.prefix), value: JSON.stringify({ node: 'a', peerAddress: 'a:2', apiAddress: 'a:1', sinceMs: 0 }), lease: lease.value.id }]);
  assert.ok(put.ok);
  const token = put.ok ? put.value.revision : 0;
  const watchdogs = await Promise.all(['b', 'c'].map(async (self) => {
    const view = new MembershipView(records, self, () => {});
    await view.start();
    const w = new CoordinatorWatchdog({ records, view, self, timing: { ...timingDefaults }, clock, timers: clock, leaseId: () => (lease.ok ? lease.value.id : undefined), log: () => {} });
    w.start();
    return w;
  }));
  const coordinatorPresent = async (): Promise<boolean> => {
    const r = await store.get(coordinatorKeyOf(records.prefix));
    assert.ok(r.ok);
    return r.ok && r.value !== undefined;
  };
  return { clock, watchdogs, token, coordinatorPresent };
}

describe('coordinator watchdog', () => {
  it('needs a majority of all voters', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(majorityOf), [1, 2, 2, 3, 3]);
  });

  it('does not depose on one voter\'s lost heartbeats', async () => {
    const { clock, watchdogs, token, coordinatorPresent } = await setup();
    const [b, c] = watchdogs as [CoordinatorWatchdog, CoordinatorWatchdog];
    for (let t = 0; t < 30; t++) {
      b.observe(token, false);
      c.observe(token, true);
      clock.advance(100);
      await flush();
    }
    assert.equal(await coordinatorPresent(), true);
    for (const w of watchdogs) w.stop();
  });

  it('deposes when a majority lose their heartbeats for longer than suspectAfterMs', async () => {
    const { clock, watchdogs, token, coordinatorPresent } = await setup();
    for (let t = 0; t < 6; t++) {
      for (const w of watchdogs) w.observe(token, false);
      clock.advance(100);
      await flush();
    }
    assert.equal(await coordinatorPresent(), true, 'not before suspectAfterMs');
    for (let t = 0; t < 10; t++) {
      for (const w of watchdogs) w.observe(token, false);
      clock.advance(100);
      await flush();
    }
    assert.equal(await coordinatorPresent(), false);
    for (const w of watchdogs) w.stop();
  });
});
