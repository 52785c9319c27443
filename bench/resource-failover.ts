// Benchmark: node SIGKILL to resource started elsewhere, on a 3-voter test cluster on loopback
// (goals: under 2 s with a fence device; under lease + 1 s without one).
//
//   node --enable-source-maps dist/bench/resource-failover.js [--runs 5] [--modes fence,lease] [--poll-ms 20]
//
// The cluster runs one ocf:pacemaker:Dummy resource (monitor every 2 s). Each round finds the
// node whose history shows it active, SIGKILLs that node's herdd (the "machine" dies: its run
// directory, the node's /run, is gone when it is rebooted), and polls the resource's state
// through the API (`GET /v1/resources/d1`) every --poll-ms until another node has started it. Mode `fence` configures the test fence
// agent (test/agents/fence_herd_kill), so the coordinator fences the lost node as soon as it is
// suspect; mode `lease` has no fence device, so the coordinator waits until the node's lease
// (nodeLeaseTtlMs) has expired plus resourceLeaseMarginMs. The killed node is then rebooted and
// the next round starts once every node is online and the resource runs on exactly one node.
//
// Reference: Corosync's defaults alone take about 7-8 s to declare a node dead (token 3000 ms
// (+ 650 ms per node above 2) and consensus 1.2 x token, before Pacemaker starts fencing); that
// figure is printed beside the ratio. No Corosync/Pacemaker cluster runs here: this machine has
// no second host and Pacemaker's daemons cannot share one host, so the reference is the
// documented timeout sum, not a measurement.

import { join } from 'node:path';
import { ok } from '../src/core/result.js';
import { timingDefaults } from '../src/core/limits.js';
import { configId, emptyConfig, resourceConfigKind, type ResourceConfigRecord } from '../src/resources/records.js';
import type { HerdClient } from '../src/api/client.js';
import { repositoryRoot } from '../src/fencing/testing.js';
import { TestCluster, must } from '../test/harness.js';
import { monitor } from '../test/resource-state.js';
import { cleanupCluster, loadLine, machineLine, max, median, ms, numberFlag, parseFlags, pollUntil, runBench } from './common.js';

const roundTimeoutMs = 30_000;
/** Corosync 3 with its defaults on a 3-node cluster: token 3000 + 650 ms, consensus 1.2 x token, then the DC's reaction. */
const corosyncDeclareDeadMs = 7500;

/** Where d1 is active, as the API of any reachable node reports it (the client moves on from a dead node at once). */
async function activeNodes(client: HerdClient): Promise<string[]> {
  const r = await client.resource('d1');
  return r.ok && r.value.state ? r.value.state.active.map((a) => a.node) : [];
}

async function runMode(mode: 'fence' | 'lease', runs: number, pollMs: number): Promise<number[]> {
  const cluster = await TestCluster.create({ voters: 3, nodeConfig: { fenceAgentDirs: [join(repositoryRoot(), 'test', 'agents')] } });
  cleanupCluster(cluster);
  const records = cluster.records();
  const config: ResourceConfigRecord = {
    ...emptyConfig(),
    resources: [
      ...(mode === 'fence' ? [{ kind: 'primitive' as const, id: 'fence-kill', class: 'stonith', type: 'fence_herd_kill', params: { pid_dir: cluster.pidDir, pcmk_host_list: 'v1,v2,v3' }, meta: {}, operations: [] }] : []),
      { kind: 'primitive', id: 'd1', class: 'ocf', provider: 'pacemaker', type: 'Dummy', params: {}, meta: {}, operations: [monitor(2000)] },
    ],
  };
  must(await records.update(resourceConfigKind, configId, () => ok(config)), 'configuration');
  const times: number[] = [];
  try {
    for (let round = 0; round < runs; round++) {
      const placed = await pollUntil(performance.now(), 50, roundTimeoutMs, async () => {
        const on = await activeNodes(cluster.client);
        return on.length === 1 ? on[0] : undefined;
      });
      if (!placed) throw new Error(`round ${round}: d1 is not running on exactly one node`);
      const victim = placed.value;
      const t0 = performance.now();
      await cluster.signal(victim, 'SIGKILL');
      const moved = await pollUntil(t0, pollMs, roundTimeoutMs, async () => {
        const on = await activeNodes(cluster.client);
        return on.length === 1 && on[0] !== victim ? on[0] : undefined;
      });
      const elapsed = moved ? moved.atMs : Number.NaN;
      times.push(elapsed);
      console.log(`  ${mode} round ${round + 1}: SIGKILL ${victim} -> d1 started on ${moved?.value ?? 'nowhere'} after ${ms(elapsed)} ms`);
      cluster.reboot(victim);
      await cluster.waitForStates((s) => s.nodes.every((n) => n.state === 'online'), `${victim} back online`, 60_000);
    }
  } finally {
    await cluster.destroy();
  }
  return times;
}

runBench('resource-failover', async () => {
  const flags = parseFlags(['runs', 'modes', 'poll-ms']);
  const runs = numberFlag(flags, 'runs', 5, 1, 50);
  const pollMs = numberFlag(flags, 'poll-ms', 20, 1, 1000);
  const modes = (flags.get('modes') ?? 'fence,lease').split(',');
  for (const m of modes) if (m !== 'fence' && m !== 'lease') throw new Error(`--modes: ${m} is not fence or lease`);
  console.log(await machineLine());
  const leaseGoalMs = timingDefaults.nodeLeaseTtlMs + 1000;
  for (const mode of modes as ('fence' | 'lease')[]) {
    const times = await runMode(mode, runs, pollMs);
    const done = times.filter((t) => !Number.isNaN(t));
    const goal = mode === 'fence' ? 2000 : leaseGoalMs;
    console.log(`resource failover, ${mode === 'fence' ? 'with a fence device' : 'without a fence device (lease expiry)'}: median ${ms(median(done))} ms, max ${ms(max(done))} ms over ${done.length} runs ` +
      `(goal < ${goal} ms); Corosync's defaults alone ~${corosyncDeclareDeadMs} ms to declare the node dead: ratio ${(median(done) / corosyncDeclareDeadMs).toFixed(2)}x`);
  }
  console.log(loadLine());
});
