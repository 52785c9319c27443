// Benchmark: coordinator failover after SIGKILL (goal under 2 s with the default timings), on a
// 3-voter test cluster on loopback.
//
//   node --enable-source-maps dist/bench/failover.js [--runs 5] [--etcd-runs 5] [--poll-ms 20]
//        [--etcd-leader alternate|same|other|as-found]
//
// Each round: find the coordinator from status, SIGKILL its herdd (its etcd member is then
// stopped by its wrapper, SIGTERM, as on a real node whose herdd dies), and measure from the
// kill (a) the time until status from a surviving voter names another coordinator (polled every
// --poll-ms), and (b) the time until a kv write through another surviving voter's API is
// acknowledged (a new attempt every 20 ms, overlapping, at most 50 pending, 1 s timeout each).
// The killed node is restarted; the next round starts once every node is online and every etcd
// member answers with the same raft leader.
//
// Where etcd's raft leader sits can matter: a member that stops hands its leadership over, and
// etcd's new leader renews every lease when it takes office, which stretches any failover that
// waits for the dead coordinator's lease. With --etcd-leader alternate (default) odd rounds
// first move the raft leadership onto the coordinator's node and even rounds away from it (etcd
// MoveLeader), and the summary gives both cases; "same", "other" or "as-found" fix one placement.
//
// Reference (--etcd-runs rounds, 0 to skip): SIGKILL of the etcd *leader process* itself (raft
// must elect a new leader), then the time until a write straight to etcd through the surviving
// members is acknowledged, the time until a kv write through a surviving node's Herd API is,
// and the time until a surviving member reports a new raft leader. That node's herdd, left
// without its member, is then restarted.

import type { Etcd3 } from 'etcd3';
import { TestCluster } from '../test/harness.js';
import type { StatusView } from '../src/api/types.js';
import {
  apiClient, cleanupCluster, directEtcd, etcdEndpoint, etcdLeader, etcdServerPids, firstAck, loadLine, moveEtcdLeader, machineLine, max, median, ms, numberFlag, parseFlags, pollUntil, runBench, voterNames, waitEtcdGone, waitEtcdHealthy,
} from './common.js';

const roundTimeoutMs = 30_000;
const recoverTimeoutMs = 60_000;
const writeTimeoutMs = 1000;
/** Write attempts start every 20 ms, overlapping (at most 50 pending), so a hung one does not blur the figure. */
const attemptEveryMs = 20;
const attemptsInFlightMax = 50;

function summary(label: string, values: readonly number[], goal: string): string {
  const runs = values.length;
  const done = values.filter((v) => !Number.isNaN(v));
  const missed = runs - done.length;
  return `${label}: median ${ms(median(done))} ms, max ${ms(max(done))} ms over ${done.length} runs${goal}` +
    (missed > 0 ? ` (${missed} runs gave no answer within ${roundTimeoutMs} ms)` : '');
}

const allOnline = (voters: number) => (s: StatusView): boolean =>
  s.nodes.length === voters && s.nodes.every((n) => n.state === 'online') && s.coordinator !== null;

runBench('failover', async () => {
  const flags = parseFlags(['runs', 'etcd-runs', 'poll-ms', 'etcd-leader']);
  const placement = flags.get('etcd-leader') ?? 'alternate';
  if (!['alternate', 'same', 'other', 'as-found'].includes(placement)) throw new Error(`--etcd-leader ${placement}: must be alternate, same, other or as-found`);
  const runs = numberFlag(flags, 'runs', 5, 1, 100);
  const etcdRuns = numberFlag(flags, 'etcd-runs', runs, 0, 100);
  const pollMs = numberFlag(flags, 'poll-ms', 20, 1, 1000);

  console.log(await machineLine());
  console.log('starting a 3-voter cluster on 127.0.0.1 ...');
  const cluster = await TestCluster.create({ voters: 3 });
  cleanupCluster(cluster);
  const voters = voterNames(cluster);

  const failover: number[] = [];
  const firstWrite: number[] = [];
  const sameNode: number[] = [];
  const otherNode: number[] = [];
  for (let round = 1; round <= runs; round++) {
    const before = await cluster.waitForStates(allOnline(voters.length), 'every node online with a coordinator', recoverTimeoutMs);
    await waitEtcdHealthy(cluster, voters, recoverTimeoutMs);
    const victim = before.coordinator?.node ?? '';
    const [watcher = '', writer = ''] = voters.filter((n) => n !== victim);
    const want = placement === 'alternate' ? (round % 2 === 1 ? 'same' : 'other') : placement;
    const found = await etcdLeader(cluster, voters);
    if (found && want === 'same' && found.name !== victim) await moveEtcdLeader(cluster, found.name, victim);
    if (found && want === 'other' && found.name === victim) await moveEtcdLeader(cluster, found.name, watcher);
    if (want !== 'as-found') await waitEtcdHealthy(cluster, voters, recoverTimeoutMs);
    const leader = await etcdLeader(cluster, voters);
    const statusClient = apiClient(cluster, watcher, writeTimeoutMs);
    const writeClient = apiClient(cluster, writer, writeTimeoutMs);
    await writeClient.kvPut('bench-failover', `warm-${round}`); // opens the connection before the clock starts

    const t0 = performance.now();
    const killed = cluster.signal(victim, 'SIGKILL');
    let seq = 0;
    const [coordinator, write] = await Promise.all([
      pollUntil(t0, pollMs, roundTimeoutMs, async () => {
        const r = await statusClient.status();
        return r.ok && r.value.coordinator !== null && r.value.coordinator.node !== victim ? r.value.coordinator.node : undefined;
      }),
      firstAck(t0, attemptEveryMs, roundTimeoutMs, attemptsInFlightMax, async () => (await writeClient.kvPut('bench-failover', `round-${round}-${seq++}`)).ok),
    ]);
    await killed;
    (leader?.name === victim ? sameNode : otherNode).push(coordinator?.atMs ?? NaN);
    failover.push(coordinator?.atMs ?? NaN);
    firstWrite.push(write ?? NaN);
    console.log(`round ${round}: SIGKILL herdd of ${victim} (coordinator; etcd leader was ${leader?.name ?? '?'}) -> ` +
      `${coordinator ? `${coordinator.value} coordinator after ${ms(coordinator.atMs)} ms` : `no new coordinator within ${roundTimeoutMs} ms`} (status from ${watcher}); ` +
      `first write acked via ${writer} after ${write !== undefined ? `${ms(write)} ms` : `> ${roundTimeoutMs} ms`}`);

    await waitEtcdGone(cluster, victim); // the restarted member needs its ports back
    cluster.start(victim);
    await cluster.waitForStates(allOnline(voters.length), `${victim} back online`, recoverTimeoutMs);
  }

  const etcdWrite: number[] = [];
  const herdWrite: number[] = [];
  const newLeader: number[] = [];
  for (let round = 1; round <= etcdRuns; round++) {
    await cluster.waitForStates(allOnline(voters.length), 'every node online with a coordinator', recoverTimeoutMs);
    await waitEtcdHealthy(cluster, voters, recoverTimeoutMs);
    const leader = await etcdLeader(cluster, voters);
    const pids = leader ? etcdServerPids(cluster.node(leader.name).dataDir) : [];
    const pid = pids[0];
    if (!leader || pid === undefined || pids.length !== 1) {
      console.log(`etcd round ${round}: skipped, no single etcd leader process found (leader ${leader?.name ?? '?'}, pids ${pids.join(',')})`);
      continue;
    }
    const survivors = voters.filter((n) => n !== leader.name);
    const [herdVia = ''] = survivors;
    const etcd = directEtcd(cluster, survivors.map((n) => etcdEndpoint(cluster, n)), writeTimeoutMs);
    const perMember: Etcd3[] = survivors.map((n) => directEtcd(cluster, [etcdEndpoint(cluster, n)], writeTimeoutMs));
    try {
      const herd = apiClient(cluster, herdVia, writeTimeoutMs);
      await herd.kvPut('bench-failover', `warm-etcd-${round}`);
      await etcd.put('/herd-bench-direct/failover').value(`warm-${round}`).catch(() => undefined);
      await Promise.all(perMember.map((c) => c.maintenance.status().catch(() => undefined)));

      const t0 = performance.now();
      process.kill(pid, 'SIGKILL');
      let seq = 0;
      const [direct, viaHerd, raft] = await Promise.all([
        firstAck(t0, attemptEveryMs, roundTimeoutMs, attemptsInFlightMax, async () => {
          await etcd.put('/herd-bench-direct/failover').value(`round-${round}-${seq++}`);
          return true;
        }),
        firstAck(t0, attemptEveryMs, roundTimeoutMs, attemptsInFlightMax, async () => (await herd.kvPut('bench-failover', `etcd-round-${round}-${seq++}`)).ok),
        pollUntil(t0, pollMs, roundTimeoutMs, async () => {
          const all = await Promise.all(perMember.map((c) => c.maintenance.status().then((s) => s.leader, () => '0')));
          return all.find((l) => l !== '0' && l !== leader.id);
        }),
      ]);
      etcdWrite.push(direct ?? NaN);
      herdWrite.push(viaHerd ?? NaN);
      newLeader.push(raft?.atMs ?? NaN);
      const fmt = (atMs: number | undefined): string => (atMs !== undefined ? `${ms(atMs)} ms` : `> ${roundTimeoutMs} ms`);
      console.log(`etcd round ${round}: SIGKILL etcd leader process of ${leader.name} (pid ${pid}) -> new raft leader after ${fmt(raft?.atMs)}; ` +
        `first write acked direct to etcd after ${fmt(direct)}, via Herd API on ${herdVia} after ${fmt(viaHerd)}`);
    } finally {
      etcd.close();
      for (const c of perMember) c.close();
    }
    // Restart that node's herdd, which restarts the member. (Depending on the etcd wrapper,
    // herdd either runs on without its member or exits by itself because it ended.)
    if (cluster.node(leader.name).process !== undefined) {
      await cluster.signal(leader.name, 'SIGKILL').catch(() => undefined); // it may have exited meanwhile
    }
    await waitEtcdGone(cluster, leader.name);
    cluster.start(leader.name);
    await cluster.waitForStates(allOnline(voters.length), `${leader.name} back online`, recoverTimeoutMs);
  }

  console.log(summary('coordinator failover after SIGKILL', failover, ' (goal < 2000 ms)'));
  if (sameNode.length > 0) console.log(summary('  of which the killed node also held the etcd raft leadership', sameNode, ''));
  if (otherNode.length > 0) console.log(summary('  of which the etcd raft leader was another node', otherNode, ''));
  console.log(summary('first acknowledged write after SIGKILL', firstWrite, ' (Herd API on a surviving node)'));
  if (etcdRuns > 0) {
    console.log(summary('etcd reference, SIGKILL of the etcd leader process: new raft leader', newLeader, ''));
    console.log(summary('etcd reference, SIGKILL of the etcd leader process: first write acked direct to etcd', etcdWrite, ''));
    console.log(summary('etcd reference, SIGKILL of the etcd leader process: first write acked via Herd API', herdWrite, ''));
  }
  console.log(loadLine());
});
