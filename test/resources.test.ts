// Integration: the resource manager on three real herdd + etcd processes with Debian's OCF
// agents (pacemaker/Dummy, pacemaker/Stateful) and the test fence agent that kills a herdd by
// pid. A killed or frozen node is fenced and its resources recovered elsewhere; a failing
// monitor restarts its resource and, past migration-threshold, moves it; an exec resource runs
// its command and stops it when disabled; a notify clone's instances get their post-start
// notifications; and a checker reads the agents' own action log
// (Dummy's envfile, with the fence agent's power-off lines in the same file) to prove no
// resource was ever active on two nodes at once.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster, etcdPidsOf, must, waitFor } from './harness.js';
import { repositoryRoot } from '../src/fencing/testing.js';
import { configId, emptyConfig, fenceHistoryKind, nodeHistoryKind, resourceConfigKind, type NodeHistoryRecord, type ResourceConfigRecord } from '../src/resources/records.js';
import type { Records } from '../src/store/records.js';
import { ok } from '../src/core/result.js';
import { checkAtMostOne, parseAgentLog } from './agent-log.js';
import { monitor, placement } from './resource-state.js';

describe('resource manager on three nodes', { timeout: 600_000 }, () => {
  let cluster: TestCluster;
  let records: Records;
  let agentLog: string;

  const setConfig = async (change: (c: ResourceConfigRecord) => ResourceConfigRecord): Promise<void> => {
    must(await records.update(resourceConfigKind, configId, (c) => ok(change(c ?? emptyConfig()))), 'configuration');
  };
  const histories = async (): Promise<{ id: string; value: NodeHistoryRecord }[]> => must(await records.list(nodeHistoryKind)).items;
  const where = async (rsc: string): Promise<Map<string, 'Started' | 'Promoted'>> => placement(await histories(), rsc);
  const waitPlaced = (rsc: string, pred: (p: Map<string, 'Started' | 'Promoted'>) => boolean, what: string, timeoutMs = 30_000): Promise<Map<string, 'Started' | 'Promoted'>> =>
    waitFor(what, async () => {
      const p = await where(rsc);
      return pred(p) ? p : undefined;
    }, timeoutMs, 50);
  const onlyNode = (p: Map<string, unknown>): string => {
    assert.equal(p.size, 1, `active on exactly one node: ${JSON.stringify([...p])}`);
    return [...p.keys()][0] ?? '';
  };

  before(async () => {
    cluster = await TestCluster.create({ voters: 3, nodeConfig: { fenceAgentDirs: [join(repositoryRoot(), 'test', 'agents')] } });
    records = cluster.records();
    agentLog = join(cluster.root, 'agents.log');
    writeFileSync(agentLog, '');
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('runs Dummy and a promotable Stateful, then fences a killed node and recovers its resources elsewhere', async () => {
    await setConfig(() => ({
      ...emptyConfig(),
      resources: [
        { kind: 'primitive', id: 'fence-kill', class: 'stonith', type: 'fence_herd_kill', params: { pid_dir: cluster.pidDir, log_file: agentLog, pcmk_host_list: 'v1,v2,v3' }, meta: {}, operations: [] },
        { kind: 'primitive', id: 'd1', class: 'ocf', provider: 'pacemaker', type: 'Dummy', params: { envfile: agentLog }, meta: {}, operations: [monitor(2000)] },
        {
          kind: 'clone', id: 'st-clone', meta: { promotable: 'true', 'promoted-max': '1' },
          child: { kind: 'primitive', id: 'st', class: 'ocf', provider: 'pacemaker', type: 'Stateful', params: {}, meta: {}, operations: [monitor(1000, 'Promoted'), monitor(2000, 'Unpromoted')] },
        },
      ],
    }));
    const d1 = onlyNode(await waitPlaced('d1', (p) => p.size === 1, 'd1 started'));
    const st = await waitPlaced('st', (p) => p.size === 3 && [...p.values()].filter((r) => r === 'Promoted').length === 1, 'st on three nodes, one promoted');
    assert.equal([...st.values()].filter((r) => r === 'Promoted').length, 1);

    appendFileSync(agentLog, `### crash ${d1} ###\n`);
    const killedAt = Date.now();
    await cluster.signal(d1, 'SIGKILL');
    const moved = await waitPlaced('d1', (p) => p.size === 1 && !p.has(d1), `d1 recovered away from ${d1}`, 30_000);
    const recoveryMs = Date.now() - killedAt;
    const fences = must(await records.list(fenceHistoryKind)).items.map((f) => f.value);
    assert.ok(fences.some((f) => f.target === d1 && f.state === 'done'), `${d1} was fenced before recovery: ${JSON.stringify(fences)}`);
    await waitPlaced('st', (p) => [...p.values()].filter((r) => r === 'Promoted').length === 1 && !p.has(d1), 'st promoted on a survivor');
    process.stdout.write(`# SIGKILL of ${d1} -> d1 started on ${onlyNode(moved)} after ${recoveryMs} ms (fenced by fence_herd_kill)\n`);

    cluster.reboot(d1);
    await cluster.waitForStates((s) => s.nodes.every((n) => n.state === 'online'), `${d1} back online`, 30_000);
    await waitPlaced('st', (p) => p.size === 3, 'st running on all three again');

    // Every plan's input was saved by the coordinator that made it, and replays offline.
    const saved = [...cluster.nodes.values()].flatMap((n) => {
      const dir = join(n.dataDir, 'pe-inputs');
      return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
    });
    assert.ok(saved.length > 0, 'planner inputs were saved');
    const replay = cluster.cli(['resource', 'simulate', '--input', saved[0] ?? '']);
    assert.equal(replay.status, 0, replay.stderr);
    assert.match(replay.stdout, /Transition Summary:\n {2}\* /);
    const broken = join(cluster.root, 'broken.json');
    writeFileSync(broken, JSON.stringify({ nowS: 1, input: { configuration: {}, status: {} } }));
    const refused = cluster.cli(['resource', 'simulate', '--input', broken]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /input\.input\.configuration/);
  });

  it('restarts a resource whose monitor fails, and moves it after migration-threshold failures', async () => {
    await setConfig((c) => ({ ...c, resources: c.resources.map((r) => (r.id === 'd1' ? { ...r, meta: { ...r.meta, 'migration-threshold': '2' } } : r)) }));
    const first = onlyNode(await where('d1'));
    const stateFile = join(cluster.node(first).dataDir, 'run', 'varrun', 'Dummy-d1.state');
    const failcount = async (): Promise<string | undefined> => (await histories()).find((h) => h.id === first)?.value.attributes['fail-count-d1#monitor_2000'];

    assert.ok(existsSync(stateFile), `Dummy keeps its state in the node's own run dir: ${stateFile}`);
    rmSync(stateFile);
    // One failure, below the threshold: restarted where it was.
    await waitFor('fail count 1 and d1 restarted in place', async () => {
      const p = await where('d1');
      return (await failcount()) === '1' && existsSync(stateFile) && p.size === 1 && p.has(first) ? true : undefined;
    }, 30_000);

    rmSync(stateFile);
    const moved = onlyNode(await waitPlaced('d1', (p) => p.size === 1 && !p.has(first), 'd1 moved after the second failure', 30_000));
    assert.notEqual(moved, first);
    assert.equal(await failcount(), '2');
  });

  it('never runs a resource on two nodes across repeated kills and pauses', async () => {
    for (let round = 0; round < 3; round++) {
      const holder = onlyNode(await waitPlaced('d1', (p) => p.size === 1, 'd1 placed'));
      if (round % 2 === 0) {
        appendFileSync(agentLog, `### crash ${holder} ###\n`);
        await cluster.signal(holder, 'SIGKILL');
      } else {
        // Frozen: suspect within a second, then fenced (killed) by the fence agent while stopped.
        await cluster.signal(holder, 'SIGSTOP');
      }
      await waitPlaced('d1', (p) => p.size === 1 && !p.has(holder), `round ${round}: d1 away from ${holder}`, 30_000);
      await waitFor(`${holder} gone`, () => (cluster.node(holder).process === undefined ? true : undefined), 15_000);
      await waitFor(`${holder}'s etcd gone`, () => (etcdPidsOf(cluster.node(holder).dataDir).length === 0 ? true : undefined), 15_000);
      cluster.reboot(holder);
      await cluster.waitForStates((s) => s.nodes.every((n) => n.state === 'online'), `round ${round}: ${holder} back`, 30_000);
    }
    const events = parseAgentLog(readFileSync(agentLog, 'utf8'));
    const verdict = checkAtMostOne(events);
    process.stdout.write(`# agent log: ${events.length} events, ${events.filter((e) => e.kind === 'fence').length} fences\n`);
    assert.deepEqual(verdict, [], 'no resource active on two nodes at once');
    assert.ok(events.filter((e) => e.kind === 'start').length >= 4, 'the log saw the starts');
  });

  it('keeps an exec resource running through the API and stops its process when disabled', async () => {
    must(await cluster.client.addResource({ id: 'sleeper', agent: 'exec:sleeper', params: { command: 'exec sleep 600' } }), 'add sleeper');
    const node = onlyNode(await waitPlaced('sleeper', (p) => p.size === 1, 'sleeper started'));
    const pidFile = join(cluster.node(node).dataDir, 'run', 'exec', 'exec-sleeper.pid');
    const pid = Number(readFileSync(pidFile, 'utf8').split(' ')[0]);
    assert.ok(pid > 1 && existsSync(`/proc/${pid}`), `the command runs as pid ${pid} on ${node}`);
    must(await cluster.client.setResourceEnabled('sleeper', false), 'disable sleeper');
    await waitPlaced('sleeper', (p) => p.size === 0, 'sleeper stopped');
    await waitFor(`pid ${pid} gone`, () => (existsSync(`/proc/${pid}`) ? undefined : true), 15_000);
    must(await cluster.client.deleteResource('sleeper'), 'delete sleeper');
  });

  it('notifies a notify clone\'s instances after they start, with the notify variables', async () => {
    const notifyLog = join(cluster.root, 'notify.log');
    writeFileSync(notifyLog, '');
    must(await cluster.client.addResource({ id: 'n', agent: 'ocf:pacemaker:Dummy', params: { envfile: notifyLog }, clone: true, cloneId: 'n-clone', cloneMeta: { notify: 'true' } }), 'add n-clone');
    await waitPlaced('n', (p) => p.size === 3, 'n on all three nodes');
    const posts = await waitFor('post-start notifications on all three', () => {
      const blocks = readFileSync(notifyLog, 'utf8').split('### notify @').slice(1);
      const post = blocks.filter((b) => b.includes('OCF_RESKEY_CRM_meta_notify_type=post') && b.includes('OCF_RESKEY_CRM_meta_notify_operation=start'));
      return post.length >= 3 ? post : undefined;
    }, 30_000);
    const started = /OCF_RESKEY_CRM_meta_notify_start_uname=(.*)/.exec(posts[0] ?? '')?.[1]?.split(' ').sort();
    assert.deepEqual(started, ['v1', 'v2', 'v3']);
    must(await cluster.client.deleteResource('n-clone'), 'delete n-clone');
  });
});
