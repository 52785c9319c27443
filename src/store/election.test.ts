// Election on the in-memory store under a virtual clock: exactly one coordinator, fencing
// tokens that grow, and a deposed coordinator whose guarded writes fail in the store itself.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory.js';
import { Election, type Leadership } from './election.js';
import { VirtualClock } from '../sim/virtual-clock.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

function setup(names: string[]) {
  const clock = new VirtualClock();
  const store = new MemoryStore({ clock, timers: clock });
  const leaders = new Map<string, Leadership | undefined>();
  const elections = names.map((node) => {
    const e = new Election(store, '/herd/t/', { node, peerAddress: `${node}:1`, apiAddress: `${node}:2` }, { leaseTtlMs: 1500, clock, timers: clock, log: () => {} });
    e.onChange((l) => leaders.set(node, l));
    return e;
  });
  const current = () => [...leaders.entries()].filter(([, l]) => l !== undefined);
  return { clock, store, elections, current };
}

describe('coordinator election', () => {
  it('elects exactly one of several candidates', async () => {
    const { elections, current } = setup(['a', 'b', 'c']);
    for (const e of elections) e.start();
    await flush();
    assert.equal(current().length, 1);
    for (const e of elections) await e.stop();
  });

  it('fences a deposed coordinator: its guarded writes fail, the new one has a larger token', async () => {
    const { clock, store, elections, current } = setup(['a', 'b']);
    for (const e of elections) e.start();
    await flush();
    const [[, first]] = current() as [[string, Leadership]];
    const ok = await store.commit([first.guard], [{ op: 'put', key: '/herd/t/x', value: '1' }]);
    assert.equal(ok.ok, true);
    // The coordinator stalls: its lease is no longer kept alive and expires.
    store.pauseKeepAlive(first.lease.id);
    clock.advance(2000);
    await flush();
    clock.advance(100);
    await flush();
    const now = current();
    assert.equal(now.length, 1);
    // Whoever wins (the stalled node may campaign again once it stepped down), it holds a new token.
    const [[, second]] = now as [[string, Leadership]];
    assert.ok(second.token > first.token);
    const stale = await store.commit([first.guard], [{ op: 'put', key: '/herd/t/x', value: 'stale' }]);
    assert.equal(stale.ok, false);
    assert.equal(!stale.ok && stale.error.code, 'conflict');
    const fresh = await store.commit([second.guard], [{ op: 'put', key: '/herd/t/x', value: '2' }]);
    assert.equal(fresh.ok, true);
    for (const e of elections) await e.stop();
  });

  it('steps down on its own when keep-alives stop being acknowledged', async () => {
    const { clock, store, elections, current } = setup(['a']);
    elections[0]?.start();
    await flush();
    const [[, l]] = current() as [[string, Leadership]];
    store.pauseKeepAlive(l.lease.id);
    // The margin makes it step down before the TTL, i.e. before anyone else could be elected.
    clock.advance(1400);
    await flush();
    assert.equal(current().length === 0 || current()[0]?.[1]?.token !== l.token, true);
    await elections[0]?.stop();
  });

  it('hands over at once when the coordinator resigns', async () => {
    const { elections, current } = setup(['a', 'b']);
    for (const e of elections) e.start();
    await flush();
    const [[name]] = current() as [[string, Leadership]];
    await elections[name === 'a' ? 0 : 1]?.stop();
    await flush();
    const now = current();
    assert.equal(now.length, 1);
    assert.notEqual(now[0]?.[0], name);
    for (const e of elections) await e.stop();
  });

  it('ignores changes to other keys that share the election key as a prefix', async () => {
    const { store, elections, current } = setup(['a']);
    elections[0]?.start();
    await flush();
    const [[, l]] = current() as [[string, Leadership]];
    const neighbour = `${elections[0]?.key ?? ''}-suspicions/b`;
    await store.commit([], [{ op: 'put', key: neighbour, value: '{}' }]);
    await store.commit([], [{ op: 'delete', key: neighbour }]);
    await flush();
    assert.equal(current()[0]?.[1]?.token, l.token);
    await elections[0]?.stop();
  });
});
