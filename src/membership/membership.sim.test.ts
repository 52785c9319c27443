// The membership pipeline under simulated time: node agents, the coordinator's detector and
// the watch-fed view, all on the in-memory store and one virtual clock, with heartbeats
// delivered in memory. A paused node turns suspect after suspectAfterMs and unclean once its
// lease expires, and comes back online when it resumes; a clean stop shows offline.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory.js';
import { Records } from '../store/records.js';
import { Election, type Leadership } from '../store/election.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import { ok, err } from '../core/result.js';
import { timingDefaults } from '../core/limits.js';
import { MembershipView } from './view.js';
import { MembershipCoordinator } from './coordinator.js';
import { NodeAgent } from './agent.js';
import { nodes, type NodeRecord } from './records.js';
import type { Timers } from '../core/clock.js';
import type { Store } from '../store/types.js';

/** A node's view of the store: while it is frozen its calls wait (they resume after the thaw). */
function freezableStore(store: Store, clock: VirtualClock, frozen: () => boolean): Store {
  const thawed = (): Promise<void> => new Promise((resolve) => {
    const check = (): void => (frozen() ? void clock.setTimeout(check, 50) : resolve());
    check();
  });
  return {
    get: async (key) => (await thawed(), store.get(key)),
    range: async (prefix) => (await thawed(), store.range(prefix)),
    commit: async (guards, writes) => (await thawed(), store.commit(guards, writes)),
    watch: (prefix, from, handlers) => store.watch(prefix, from, handlers),
    grantLease: async (ttlMs) => (await thawed(), store.grantLease(ttlMs)),
    close: () => store.close(),
  };
}

/** A node's own timers: while the node is frozen (SIGSTOP), nothing of it runs. */
function freezable(clock: VirtualClock, frozen: () => boolean): Timers {
  const later = (fn: () => void): void => {
    if (!frozen()) fn();
    else clock.setTimeout(() => later(fn), 50);
  };
  return {
    setTimeout: (fn, delayMs) => clock.setTimeout(() => later(fn), delayMs),
    setInterval: (fn, periodMs) => clock.setInterval(() => {
      if (!frozen()) fn();
    }, periodMs),
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 30; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

const record = (name: string): NodeRecord => ({ name, role: 'voter', apiAddress: `${name}:1`, peerAddress: `${name}:2`, certFingerprint: 'x', labels: {}, standby: false, maintenance: false, left: false, joinedAtMs: 0 });

async function simulate(names: string[]) {
  const clock = new VirtualClock();
  const store = new MemoryStore({ clock, timers: clock });
  const records = new Records(store, 'sim');
  for (const n of names) await records.put(nodes, n, record(n), 'absent');
  const timing = { ...timingDefaults };
  const paused = new Set<string>();
  let coordinator: MembershipCoordinator | undefined;
  const views = new Map<string, MembershipView>();
  const agents = new Map<string, NodeAgent>();
  for (const name of names) {
    const view = new MembershipView(records, name, () => {});
    await view.start();
    views.set(name, view);
    const agent = new NodeAgent({
      records: new Records(freezableStore(store, clock, () => paused.has(name)), 'sim'), view, self: name, version: 'sim', timing, clock, timers: freezable(clock, () => paused.has(name)), log: () => {},
      // Heartbeats travel in memory; a paused node sends none.
      sendHeartbeat: async (_address, message) => {
        if (paused.has(message.node) || !coordinator) return err({ code: 'unavailable', message: 'no answer' });
        coordinator.heartbeat(message.node);
        return ok({});
      },
    });
    agents.set(name, agent);
  }
  for (const a of agents.values()) await a.start();
  const election = new Election(store, records.prefix, { node: names[0] ?? '', peerAddress: 'x:2', apiAddress: 'x:1' }, { leaseTtlMs: timing.electionLeaseTtlMs, clock, timers: clock, log: () => {} });
  const leader = new Promise<Leadership>((resolve) => election.onChange((l) => l && resolve(l)));
  election.start();
  await flush();
  const view = views.get(names[0] ?? '') as MembershipView;
  coordinator = new MembershipCoordinator({ records, view, leadership: await leader, timing, clock, timers: clock, self: names[0] ?? '', log: () => {} });
  coordinator.start();
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await flush();
    }
  };
  const state = (name: string): string | undefined => view.statuses.get(name)?.value.state;
  return { clock, store, agents, paused, run, state, stop: async () => {
    coordinator?.stop();
    await election.stop();
    for (const v of views.values()) v.close();
  } };
}

describe('membership under simulated time', () => {
  it('suspects a paused node within suspectAfterMs, calls it unclean when its lease expires, and takes it back', async () => {
    const sim = await simulate(['n1', 'n2', 'n3']);
    await sim.run(500);
    assert.deepEqual(['n1', 'n2', 'n3'].map(sim.state), ['online', 'online', 'online']);
    // n3 freezes: no heartbeats, and its lease is no longer kept alive.
    sim.paused.add('n3');
    const lease = sim.agents.get('n3')?.leaseId();
    assert.ok(lease);
    sim.store.pauseKeepAlive(lease);
    await sim.run(timingDefaults.suspectAfterMs + 300);
    assert.equal(sim.state('n3'), 'suspect');
    assert.equal(sim.state('n2'), 'online', 'the others are not disturbed');
    await sim.run(timingDefaults.nodeLeaseTtlMs);
    assert.equal(sim.state('n3'), 'unclean');
    // n3 resumes: it finds its lease gone, registers again and heartbeats.
    sim.paused.delete('n3');
    await sim.run(timingDefaults.nodeLeaseTtlMs + 3000);
    assert.equal(sim.state('n3'), 'online');
    await sim.stop();
  });

  it('shows a cleanly stopped node offline, never unclean', async () => {
    const sim = await simulate(['n1', 'n2']);
    await sim.run(500);
    const seen = new Set<string>();
    await sim.agents.get('n2')?.stop();
    sim.paused.add('n2');
    for (let t = 0; t < timingDefaults.nodeLeaseTtlMs + 1000; t += 50) {
      await sim.run(50);
      seen.add(sim.state('n2') ?? '');
    }
    assert.equal(sim.state('n2'), 'offline');
    assert.ok(!seen.has('unclean'), `states seen: ${[...seen].join(', ')}`);
    await sim.stop();
  });
});
