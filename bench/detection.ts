// Benchmark: node failure detection time (goal under 1 s) and false suspicions while every core
// is saturated by CPU hogs (goal zero), on 3 voters + 1 worker on loopback.
//
//   node --enable-source-maps dist/bench/detection.js [--rounds 5] [--poll-ms 10]
//        [--hog-seconds 60] [--hogs 2]
//
// (a) Each round: SIGSTOP the worker's herdd and poll status through the API every --poll-ms
//     until the worker is no longer online (expected: suspect); that time is the detection time
//     (it includes up to one poll and one status request). Then SIGCONT and wait until online.
// (b) Start --hogs busy-loop node processes (default 2: both cores of this machine), and for
//     --hog-seconds watch the cluster (the API watch stream, live, and the event log, counted
//     at the end, which is the figure) for node_state events turning any node suspect or
//     unclean, and for coordinator changes. Every node keeps running: each such event is a
//     false suspicion. The hogs are killed by pid at the end (and end on their own shortly
//     after, should this process die first).

import { spawn, type ChildProcess } from 'node:child_process';
import { TestCluster } from '../test/harness.js';
import type { EventView, StatusView } from '../src/api/types.js';
import {
  apiClient, cleanupCluster, cpuBusy, loadLine, machineLine, max, median, ms, numberFlag, onCleanup, parseFlags, pollUntil, runBench, sleep,
} from './common.js';

const roundTimeoutMs = 20_000;
const recoverTimeoutMs = 60_000;
const graceAfterHogMs = 2000;

const everyOnline = (count: number) => (s: StatusView): boolean =>
  s.nodes.length === count && s.nodes.every((n) => n.state === 'online') && s.coordinator !== null;

/** The state a node_state event reports: "node w1 is suspect (was online): ..." */
function stateIn(e: EventView): string | undefined {
  return /^node \S+ is (\S+) \(was/.exec(e.message)?.[1];
}

runBench('detection', async () => {
  const flags = parseFlags(['rounds', 'poll-ms', 'hog-seconds', 'hogs']);
  const rounds = numberFlag(flags, 'rounds', 5, 0, 100);
  const pollMs = numberFlag(flags, 'poll-ms', 10, 1, 1000);
  const hogSeconds = numberFlag(flags, 'hog-seconds', 60, 0, 3600);
  const hogCount = numberFlag(flags, 'hogs', 2, 1, 64);

  console.log(await machineLine());
  console.log('starting 3 voters + 1 worker on 127.0.0.1 ...');
  const cluster = await TestCluster.create({ voters: 3, workers: 1 });
  cleanupCluster(cluster);
  const total = cluster.nodes.size;
  const worker = 'w1';

  // ---- (a) detection time of a paused (SIGSTOP) node
  const detected: number[] = [];
  const client = apiClient(cluster, 'v1', 1000);
  for (let round = 1; round <= rounds; round++) {
    await cluster.waitForStates(everyOnline(total), 'every node online', recoverTimeoutMs);
    // Signals by pid directly: the harness's signal() adds an exit listener per call.
    const pid = cluster.pid(worker);
    const t0 = performance.now();
    process.kill(pid, 'SIGSTOP');
    let seen: { value: string; atMs: number } | undefined;
    try {
      seen = await pollUntil(t0, pollMs, roundTimeoutMs, async () => {
        const r = await client.status();
        const state = r.ok ? cluster.stateOf(r.value, worker) : undefined;
        return state !== undefined && state !== 'online' ? state : undefined;
      });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const back = await pollUntil(performance.now(), 50, recoverTimeoutMs, async () => {
      const r = await client.status();
      return r.ok && everyOnline(total)(r.value) ? true : undefined;
    });
    detected.push(seen?.atMs ?? NaN);
    console.log(`round ${round}: SIGSTOP ${worker} -> ${seen ? `${seen.value} after ${ms(seen.atMs)} ms` : `still online after ${roundTimeoutMs} ms`}; ` +
      `SIGCONT -> online again after ${back ? `${ms(back.atMs)} ms` : `> ${recoverTimeoutMs} ms`}`);
  }
  if (rounds > 0) {
    const done = detected.filter((v) => !Number.isNaN(v));
    console.log(`node failure detection (SIGSTOP to suspect in status): median ${ms(median(done))} ms, max ${ms(max(done))} ms over ${done.length} runs (goal < 1000 ms)` +
      (done.length < rounds ? ` (${rounds - done.length} runs not detected within ${roundTimeoutMs} ms)` : ''));
  }

  // ---- (b) false suspicions with every core saturated
  if (hogSeconds > 0) {
    await cluster.waitForStates(everyOnline(total), 'every node online', recoverTimeoutMs);
    const before = await client.events(undefined, 1);
    if (!before.ok) throw new Error(`events: ${before.error.message}`);
    const lastId = before.value.events.at(-1)?.id;

    const live: string[] = [];
    let watchEnded: string | undefined;
    let watchHello = false;
    let watchEvents = 0;
    const stopWatch = apiClient(cluster, 'v2', 5000).watch((m) => {
      if (m.type === 'hello') watchHello = true;
      if (m.type !== 'event') return;
      watchEvents++;
      const state = m.event.kind === 'node_state' ? stateIn(m.event) : undefined;
      if (state === 'suspect' || state === 'unclean' || m.event.kind === 'coordinator') {
        const line = `  [watch] ${new Date(m.event.atMs).toISOString()} ${m.event.message}`;
        live.push(line);
        console.log(line);
      }
    }, (f) => {
      watchEnded = f ? f.message : 'ended';
    });
    onCleanup('stop the watch stream', stopWatch);

    const hogs: ChildProcess[] = [];
    const killHogs = (): void => {
      for (const h of hogs) if (h.pid !== undefined && h.exitCode === null && h.signalCode === null) process.kill(h.pid, 'SIGKILL');
    };
    onCleanup('kill the CPU hogs', killHogs);
    // Each hog also ends on its own 30 s after the window, should this process die without clean-up.
    const hogScript = `const end = Date.now() + ${Math.round(hogSeconds * 1000) + 30_000}; while (Date.now() < end) {}`;
    const busy = cpuBusy();
    const startMs = Date.now();
    for (let i = 0; i < hogCount; i++) hogs.push(spawn(process.execPath, ['-e', hogScript], { stdio: 'ignore' }));
    console.log(`${hogCount} CPU hogs running (pids ${hogs.map((h) => h.pid).join(', ')}) for ${hogSeconds} s ...`);

    // Status every second meanwhile: a second, independent look at node states.
    let statusSamples = 0;
    let statusFailures = 0;
    let firstStatusFailure: string | undefined;
    let notOnlineSamples = 0;
    const endAt = performance.now() + hogSeconds * 1000;
    while (performance.now() < endAt) {
      const r = await client.status();
      statusSamples++;
      if (!r.ok) {
        statusFailures++;
        firstStatusFailure ??= `${r.error.code}: ${r.error.message}`;
      }
      else if (r.value.nodes.some((n) => n.state !== 'online')) {
        notOnlineSamples++;
        console.log(`  [status] ${r.value.nodes.filter((n) => n.state !== 'online').map((n) => `${n.name} ${n.state}`).join(', ')}`);
      }
      await sleep(Math.min(1000, Math.max(0, endAt - performance.now())));
    }
    const cpuPercent = busy();
    killHogs();
    await sleep(graceAfterHogMs); // a suspicion decided just before the end is recorded just after it
    stopWatch();

    // The figure: node_state events in the event log from the start of the window (+ grace).
    // GET /v1/events returns the newest `limit` events after the id: one page of 1000 holds any
    // plausible count here; a full page is flagged as possibly cut.
    const r = await client.events(lastId, 1000);
    if (!r.ok) throw new Error(`events: ${r.error.message}`);
    const found = r.value.events;
    if (found.length >= 1000) console.log('  (1000 events or more in the window: the counts below may miss older ones)');
    const inWindow = found.filter((e) => e.atMs >= startMs - 1000);
    const suspicions = inWindow.filter((e) => e.kind === 'node_state' && ['suspect', 'unclean'].includes(stateIn(e) ?? ''));
    const coordinatorChanges = inWindow.filter((e) => e.kind === 'coordinator');
    for (const e of suspicions) console.log(`  [event log] ${new Date(e.atMs).toISOString()} ${e.message}`);
    console.log(`false suspicions with both cores saturated for ${hogSeconds} s: ${suspicions.length} (goal 0)` +
      ` [${hogCount} hogs, machine CPU ${cpuPercent.toFixed(0)}% busy; coordinator changes ${coordinatorChanges.length}; ` +
      `status samples ${statusSamples}, ${notOnlineSamples} showing a node not online, ${statusFailures} failed; ` +
      `watch stream ${watchHello ? 'connected' : 'never connected'}${watchEnded ? ` and ended early (${watchEnded})` : ''}, ` +
      `saw ${watchEvents} events, ${live.length} of them suspicions or coordinator changes]`);
    if (firstStatusFailure) console.log(`  first failed status request: ${firstStatusFailure}`);
  }
  console.log(loadLine());
});
