// Integration (root only): a 3-voter cluster, each herdd + etcd in its own network namespace
// (test/netns.ts), reached from the test process through the bridge. It isolates the current
// coordinator with nftables while a register workload (one client bound to each node's API,
// test/workload.ts) runs, and checks that the majority elects another coordinator, that the
// isolated node stops coordinating and knows it is out of the cluster, that the majority keeps
// serving writes, that the node comes back after the heal, and that the recorded history is
// linearizable (src/sim/linearizability.ts); then that a node cut off while running a resource
// stops it itself before its lease expires, and the majority starts it only after the lease and
// a margin (no fence device), checked on the agent's own action log. Every process, namespace,
// bridge and temp dir it creates is removed in after(), also on failure.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HerdClient } from '../src/api/client.js';
import type { StatusView } from '../src/api/types.js';
import { initNode, joinNode } from '../src/cli/provision.js';
import { waitForApi } from '../src/cli/start.js';
import { checkLinearizable } from '../src/sim/linearizability.js';
import { must, waitFor } from './harness.js';
import { TestNet, requireRoot } from './netns.js';
import { RegisterWorkload } from './workload.js';
import { checkAtMostOne, parseAgentLog } from './agent-log.js';

/** Longest the majority may take to elect another coordinator, and the victim to stop coordinating. */
const faultDeadlineMs = 10_000;

interface NsNode {
  readonly name: string;
  readonly index: number;
  readonly dataDir: string;
  readonly api: string;
  process: ChildProcess | undefined;
}

describe('a 3-voter cluster in network namespaces, one node isolated', { timeout: 300_000 }, () => {
  let net: TestNet | undefined;
  let root: string | undefined;
  const nodes: NsNode[] = [];
  let caPem = '';
  let token = '';

  const clientOf = (names: readonly string[], timeoutMs = 2000): HerdClient =>
    new HerdClient({ addresses: nodes.filter((n) => names.includes(n.name)).map((n) => n.api), caPem, token, timeoutMs });
  const logOf = (n: NsNode): string => {
    const p = join(n.dataDir, 'logs', 'herdd.log');
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  };

  function start(n: NsNode): void {
    if (!net) throw new Error('no test network');
    const child = net.spawnHerdd(n.index, n.dataDir);
    n.process = child;
    child.once('exit', () => {
      if (n.process === child) n.process = undefined;
    });
  }

  async function waitUp(n: NsNode): Promise<void> {
    must(await waitForApi(clientOf([n.name], 5000), Date.now() + 30_000, () => n.process === undefined), `${n.name} up`);
  }

  /** Polls `via` until pred holds for its status; the error names the last status seen. */
  async function waitForStatus(via: readonly string[], pred: (s: StatusView) => boolean, what: string, timeoutMs: number): Promise<StatusView> {
    const client = clientOf(via);
    let last: StatusView | undefined;
    try {
      return await waitFor(what, async () => {
        const r = await client.status();
        last = r.ok ? r.value : last;
        return r.ok && pred(r.value) ? r.value : undefined;
      }, timeoutMs, 100);
    } catch (e) {
      throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last?.nodes.map((n) => [n.name, n.state]))}, coordinator ${last?.coordinator?.node}`);
    }
  }
  /** The daemons' own account of a failure, printed before after() removes their data dirs. */
  function dumpLogs(): void {
    for (const n of nodes) for (const file of ['herdd.log', 'etcd.log']) {
      const p = join(n.dataDir, 'logs', file);
      const tail = existsSync(p) ? readFileSync(p, 'utf8').split('\n').slice(file === 'herdd.log' ? -40 : -15).join('\n') : '';
      console.log(`--- ${n.name} ${file} (tail) ---\n${tail}`);
    }
  }
  const allOnline = (s: StatusView): boolean => s.quorum.hasQuorum && s.nodes.length === 3 && s.nodes.every((n) => n.state === 'online') && s.coordinator !== null;

  /**
   * Polls every node's own status until each has quorum, sees all 3 online and names the same
   * coordinator. (A node cut off from quorum still answers from its last view, which may look
   * healthy: hasQuorum is what tells.)
   */
  async function waitForAgreement(what: string, timeoutMs: number): Promise<StatusView> {
    let last: string[] = [];
    try {
      return await waitFor(what, async () => {
        const views = await Promise.all(nodes.map(async (n) => ({ n, r: await clientOf([n.name]).status() })));
        last = views.map(({ n, r }) => (r.ok ? `${n.name}: quorum ${r.value.quorum.hasQuorum}, coordinator ${r.value.coordinator?.node}, ${r.value.nodes.map((x) => `${x.name} ${x.state}`).join(' ')}` : `${n.name}: ${r.error.message}`));
        const ok = views.flatMap(({ r }) => (r.ok && allOnline(r.value) ? [r.value] : []));
        return ok.length === nodes.length && new Set(ok.map((v) => v.coordinator?.node)).size === 1 ? ok[0] : undefined;
      }, timeoutMs, 100);
    } catch (e) {
      throw new Error(`${(e as Error).message}; last views: ${last.join('; ')}`);
    }
  }

  before(async () => {
    requireRoot();
    net = TestNet.create(3);
    root = mkdtempSync(join(tmpdir(), 'herd-partition-'));
    for (let i = 1; i <= 3; i++) nodes.push({ name: `v${i}`, index: i, dataDir: join(root, `v${i}`), api: `${net.address(i)}:7100`, process: undefined });
    const [v1, ...others] = nodes as [NsNode, ...NsNode[]];
    try {
      const init = must(await initNode({ dataDir: v1.dataDir, name: v1.name, cluster: 'test', listen: v1.api }), 'init v1');
      caPem = init.caPem;
      token = init.adminToken;
      start(v1);
      await waitUp(v1);
      for (const n of others) {
        const joinToken = must(await clientOf(['v1'], 10_000).createJoinToken({ singleUse: true }), 'join token');
        must(await joinNode({ dataDir: n.dataDir, address: v1.api, token: joinToken.token, name: n.name, listen: n.api, voter: true }), `join ${n.name}`);
        start(n);
        await waitUp(n);
      }
      await waitForAgreement('all 3 voters online with one coordinator', 60_000);
    } catch (e) {
      dumpLogs();
      throw e;
    }
  });

  after(async () => {
    await net?.stopProcesses(10_000);
    net?.destroySync();
    // HERD_KEEP_TEST_DIRS=1 keeps the data dirs and logs for a post-mortem.
    if (root && process.env['HERD_KEEP_TEST_DIRS'] === '1') console.log(`kept ${root}`);
    else if (root) rmSync(root, { recursive: true, force: true });
  });

  it('moves coordination to the majority, stops it on the minority, and stays linearizable', async () => {
    const clients = nodes.map((n) => clientOf([n.name], 2000));
    const workload = new RegisterWorkload(clients, { keys: ['r0', 'r1', 'r2'], seed: Date.now() % 100_000 });
    const okWritesBy = (clientId: number, from: number, to: number): number =>
      workload.history.filter((e) => e.op === 'write' && e.ok && e.clientId === clientId && e.callMs >= from && (e.returnMs ?? Infinity) <= to).length;
    workload.start();
    try {
      await waitFor('successful writes through every node', () => (clients.every((_, c) => okWritesBy(c, 0, Infinity) >= 3) ? true : undefined), 30_000);

      const prior = await waitForAgreement('one coordinator before the fault', 20_000);
      const victim = nodes.find((n) => n.name === prior.coordinator?.node);
      assert.ok(victim, `the coordinator ${prior.coordinator?.node} is one of the test nodes`);
      const majority = nodes.filter((n) => n !== victim);
      const majorityIds = majority.map((n) => n.index - 1);
      const offsets = new Map(nodes.map((n) => [n, logOf(n).length]));
      const linesSince = (n: NsNode, pattern: RegExp): string[] => logOf(n).slice(offsets.get(n)).split('\n').filter((l) => pattern.test(l));
      const isolatedWallMs = Date.now();
      const isolatedAt = performance.now();
      net?.isolate(victim.index);
      console.log(`isolated ${victim.name} (coordinator, token ${prior.coordinator?.token}) at ${new Date(isolatedWallMs).toISOString()}`);

      // Polls may see an event late (a status call to a slow node takes up to 2 s), so the
      // deadline is asserted on when things happened, by the daemons' log timestamps (same clock).
      const lines = [/stepped down as coordinator/, /out of the cluster/];
      const [elected, stopped] = await Promise.allSettled([
        waitForStatus(majority.map((n) => n.name), (s) => s.quorum.hasQuorum && s.coordinator !== null && s.coordinator.node !== victim.name, 'the majority to elect another coordinator', faultDeadlineMs + 5000),
        waitFor(`${victim.name}'s log to say it stepped down and is out of the cluster`, () => (lines.every((l) => linesSince(victim, l).length > 0) ? true : undefined), faultDeadlineMs + 5000, 100),
      ]);
      if (elected.status === 'rejected') throw elected.reason;
      if (stopped.status === 'rejected') throw stopped.reason;
      const next = elected.value;
      const winner = nodes.find((n) => n.name === next.coordinator?.node);
      const electedLine = winner ? linesSince(winner, new RegExp(`elected coordinator with fencing token ${next.coordinator?.token}$`))[0] : undefined;
      const electedMs = Date.parse(electedLine?.split(' ')[0] ?? '') - isolatedWallMs;
      const minorityMs = lines.map((l) => Date.parse(linesSince(victim, l)[0]?.split(' ')[0] ?? '') - isolatedWallMs);
      console.log(`majority elected ${next.coordinator?.node} (token ${next.coordinator?.token}) ${electedMs} ms after the isolation (seen after ${(performance.now() - isolatedAt).toFixed(0)} ms); ${victim.name} stepped down after ${minorityMs[0]} ms, out of the cluster after ${minorityMs[1]} ms`);
      // The isolated node learns nothing from the majority, so it may still think it coordinates
      // after another was elected (fencing tokens keep its writes out); shown, not asserted.
      const overlapMs = (minorityMs[0] ?? NaN) - electedMs;
      if (overlapMs > 0) console.log(`NOTE: ${next.coordinator?.node} was elected ${overlapMs} ms before ${victim.name} stepped down`);
      assert.ok(electedMs <= faultDeadlineMs, `the majority elected a coordinator within ${faultDeadlineMs} ms (took ${electedMs} ms)`);
      assert.ok(minorityMs.every((ms) => ms <= faultDeadlineMs), `${victim.name} stopped coordinating within ${faultDeadlineMs} ms (${minorityMs.join(', ')} ms)`);

      // The majority keeps serving for ~3 s more, with successful writes through its nodes.
      const servingFrom = performance.now();
      await waitFor('3 s of majority writes while partitioned', () =>
        performance.now() - servingFrom >= 3000 && majorityIds.every((c) => okWritesBy(c, isolatedAt, Infinity) >= 1) ? true : undefined, 20_000, 100);
      const healAt = performance.now();
      net?.heal(victim.index);
      const healed = await waitForAgreement('every node to see all 3 online again after the heal', 60_000);
      const healedMs = performance.now() - healAt;
      for (const n of nodes) for (const l of linesSince(n, /stepped down|out of the cluster|elected coordinator|deposed|suspecting/)) console.log(`  ${l}`);
      await workload.stop();

      const history = workload.history;
      const indeterminate = history.filter((e) => !e.ok && e.returnMs === null).length;
      const duringWrites = majorityIds.map((c) => okWritesBy(c, isolatedAt, healAt));
      console.log(`heal -> all online in ${healedMs.toFixed(0)} ms (coordinator ${healed.coordinator?.node}); history ${history.length} entries: ${workload.okReads} ok reads, ${workload.okWrites} ok writes, ${workload.failed} failed (${indeterminate} indeterminate writes); majority writes while partitioned: ${duringWrites.join(', ')}`);
      for (const c of majorityIds) {
        assert.ok(okWritesBy(c, 0, isolatedAt) >= 1, `client ${c} (${nodes[c]?.name}) had successful writes before the isolation`);
      }
      assert.ok(duringWrites.every((w) => w >= 1), `every majority client had successful writes during the isolation: ${duringWrites.join(', ')}`);

      const checkStart = performance.now();
      const verdict = checkLinearizable(history, { initialValue: null, stepsMax: 20_000_000 });
      console.log(`linearizability: ${JSON.stringify(verdict.ok)} in ${(performance.now() - checkStart).toFixed(0)} ms`);
      assert.equal(verdict.ok, true, JSON.stringify(verdict, null, 1).slice(0, 4000));
    } catch (e) {
      dumpLogs();
      throw e;
    } finally {
      await workload.stop();
    }
  });

  it('a node cut off stops its resources itself; without a fence device they start on the majority only after its lease', async () => {
    const log = join(root ?? tmpdir(), 'agents.log');
    writeFileSync(log, '');
    const client = clientOf(nodes.map((n) => n.name), 5000);
    must(await client.addResource({ id: 'pd1', agent: 'ocf:pacemaker:Dummy', params: { envfile: log }, operations: [{ name: 'monitor', intervalMs: 2000, timeoutMs: 10_000, enabled: true, meta: {} }] }), 'add pd1');
    const activeOn = async (via: readonly string[]): Promise<string[] | undefined> => {
      const r = await clientOf(via, 3000).resource('pd1');
      return r.ok && r.value.state ? r.value.state.active.map((a) => a.node) : undefined;
    };
    const holderName = (await waitFor('pd1 started', async () => {
      const on = await activeOn(nodes.map((n) => n.name));
      return on?.length === 1 ? on[0] : undefined;
    }, 30_000, 100));
    const holder = nodes.find((n) => n.name === holderName);
    assert.ok(holder);
    const majority = nodes.filter((n) => n !== holder).map((n) => n.name);
    const isolatedAt = Date.now();
    net?.isolate(holder.index);
    try {
      const moved = await waitFor('pd1 started on the majority', async () => {
        const on = await activeOn(majority);
        return on?.length === 1 && on[0] !== holder.name ? on[0] : undefined;
      }, 30_000, 100);
      const movedMs = Date.now() - isolatedAt;
      const events = parseAgentLog(readFileSync(log, 'utf8'));
      const stopOnHolder = events.findIndex((e) => e.kind === 'stop' && 'rsc' in e && e.node === holder.name);
      const startElsewhere = events.findIndex((e) => e.kind === 'start' && 'rsc' in e && e.node === moved);
      console.log(`isolated ${holder.name} holding pd1: it stopped pd1 itself (log event ${stopOnHolder}); pd1 started on ${moved} (event ${startElsewhere}) ${movedMs} ms after the isolation (lease 5000 ms since its last renewal, + margin)`);
      assert.ok(stopOnHolder >= 0 && stopOnHolder < startElsewhere, 'the cut-off node stopped pd1 before it started elsewhere');
      // The lease cannot expire before its TTL has passed since the last renewal, which came at
      // most one keep-alive interval (TTL/5) before the isolation.
      assert.ok(movedMs >= 5000 - 1000, `not started elsewhere before the lease could expire (${movedMs} ms)`);
      assert.deepEqual(checkAtMostOne(events), [], 'pd1 never active on two nodes');
    } catch (e) {
      dumpLogs();
      throw e;
    } finally {
      net?.heal(holder.index);
    }
    await waitForAgreement('all online after the heal', 60_000);
    const after = await waitFor('pd1 on one node after the heal', async () => {
      const on = await activeOn(nodes.map((n) => n.name));
      return on?.length === 1 ? on : undefined;
    }, 30_000, 100);
    assert.equal(after.length, 1);
    assert.deepEqual(checkAtMostOne(parseAgentLog(readFileSync(log, 'utf8'))), []);
  });
});
