// Owns what the benchmarks share: flag parsing, statistics (median, percentiles), machine-load
// sampling (/proc/stat, load average), direct etcd3 clients on a test cluster's voters, and
// runBench, which runs a benchmark with every registered clean-up (cluster, child processes,
// clients) done in reverse order on success, on error and on SIGINT/SIGTERM.
// Benchmarks print figures; they never assert.

import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Etcd3 } from 'etcd3';
import { HerdClient } from '../src/api/client.js';
import { etcdClientOptions } from '../src/store/etcd.js';
import { etcdPidsOf, waitFor, type TestCluster } from '../test/harness.js';

// ---------------------------------------------------------------- flags

export function parseFlags(names: readonly string[]): Map<string, string> {
  const options: Record<string, { type: 'string' }> = {};
  for (const n of names) options[n] = { type: 'string' };
  const { values } = parseArgs({ options, strict: true, allowPositionals: false });
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(values)) if (typeof v === 'string') out.set(k, v);
  return out;
}

/** A numeric flag with a default and bounds; a bad value stops the benchmark with a message. */
export function numberFlag(flags: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const text = flags.get(name);
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v < min || v > max) throw new Error(`--${name} ${text}: must be a number from ${min} to ${max}`);
  return v;
}

// ---------------------------------------------------------------- statistics

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.max(...values);
}

export const ms = (v: number): string => (Number.isNaN(v) ? 'n/a' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));

// ---------------------------------------------------------------- machine load

interface CpuTimes { busy: number; total: number }

function cpuTimes(): CpuTimes {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** Starts measuring machine-wide CPU use; the returned function gives busy % since the start. */
export function cpuBusy(): () => number {
  const start = cpuTimes();
  return () => {
    const end = cpuTimes();
    const total = end.total - start.total;
    return total > 0 ? (100 * (end.busy - start.busy)) / total : NaN;
  };
}

export const sleep = (msDelay: number): Promise<void> => new Promise((r) => setTimeout(r, msDelay));

/** One line on the machine before anything is started: what other users' processes already take. */
export async function machineLine(): Promise<string> {
  const busy = cpuBusy();
  await sleep(1000);
  return `machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ` +
    `${busy().toFixed(0)}% CPU busy over 1 s before the benchmark started anything (other users' load)`;
}

export function loadLine(): string {
  return `load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

// ---------------------------------------------------------------- clean-up

type Cleanup = { what: string; run: () => Promise<void> | void };
const cleanups: Cleanup[] = [];

/** Registers a clean-up; they run in reverse order when the benchmark ends, however it ends. */
export function onCleanup(what: string, run: () => Promise<void> | void): void {
  cleanups.push({ what, run });
}

let cleaning: Promise<void> | undefined;
/** Set when the benchmark ends with an error: clean-ups may then print what they know. */
let failed = false;

function runCleanups(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const c = cleanups.pop();
      if (!c) break;
      try {
        await c.run();
      } catch (e) {
        process.stderr.write(`clean-up "${c.what}" failed: ${(e as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}

/** Runs a benchmark; exit status 0 when it ran to the end (whatever the figures), 1 on error. */
export function runBench(name: string, main: () => Promise<void>): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`${name}: ${signal}, stopping every process started\n`);
    void runCleanups().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  void (async () => {
    let status = 0;
    try {
      await main();
    } catch (e) {
      process.stderr.write(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      status = 1;
      failed = true;
    } finally {
      await runCleanups();
    }
    process.exit(status);
  })();
}

// ---------------------------------------------------------------- etcd processes of a test cluster

/** The pid of the etcd process itself (not its sh wrapper, whose command line names the same dir). */
export function etcdServerPids(dataDir: string): number[] {
  return etcdPidsOf(dataDir).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'etcd';
    } catch {
      return false; // already gone
    }
  });
}

/** Waits until the node's etcd member has exited (its wrapper stops it when herdd dies). */
export async function waitEtcdGone(cluster: TestCluster, name: string, timeoutMs = 15_000): Promise<void> {
  const dir = cluster.node(name).dataDir;
  await waitFor(`${name}'s etcd to stop`, () => (etcdPidsOf(dir).length === 0 ? true : undefined), timeoutMs, 20);
}

/** Registers the clean-up of a test cluster: destroy (SIGTERM each herdd by pid), then SIGKILL any etcd left. */
export function cleanupCluster(cluster: TestCluster): void {
  onCleanup('stop the test cluster', async () => {
    const dirs = [...cluster.nodes.values()].map((n) => n.dataDir);
    if (failed) {
      for (const n of cluster.nodes.values()) {
        const lines = cluster.log(n.name).trim().split('\n').slice(-12);
        process.stderr.write(`--- last lines of ${n.name}'s herdd.log (running: ${n.process !== undefined}, etcd pids ${etcdPidsOf(n.dataDir).join(',') || 'none'})\n${lines.join('\n')}\n`);
        const etcdLog = join(n.dataDir, 'logs', 'etcd.log');
        const problems = existsSync(etcdLog) ? readFileSync(etcdLog, 'utf8').split('\n').filter((l) => /"level":"(error|fatal|panic)"/.test(l)).slice(-4) : [];
        if (problems.length > 0) process.stderr.write(`--- last errors in ${n.name}'s etcd.log\n${problems.map((l) => l.slice(0, 600)).join('\n')}\n`);
      }
    }
    await cluster.destroy();
    for (const dir of dirs) for (const pid of etcdPidsOf(dir)) process.kill(pid, 'SIGKILL');
  });
}

// ---------------------------------------------------------------- clients on a test cluster

export const voterNames = (cluster: TestCluster): string[] => [...cluster.nodes.values()].filter((n) => n.role === 'voter').map((n) => n.name);

export function apiClient(cluster: TestCluster, name: string, timeoutMs: number): HerdClient {
  return new HerdClient({ addresses: [cluster.node(name).api], caPem: cluster.context.caPem, token: cluster.context.token, timeoutMs });
}

/** A voter's etcd client URL: the harness gives each node API port P, and etcd client P+2. */
export function etcdEndpoint(cluster: TestCluster, name: string): string {
  const api = cluster.node(name).api;
  const port = Number(api.slice(api.lastIndexOf(':') + 1));
  return `https://127.0.0.1:${port + 2}`;
}

/** The node TLS files of a voter (its etcd accepts them as a client certificate, as herdd does). */
export function nodeTls(cluster: TestCluster, name: string): { caPem: string; certPem: string; keyPem: string } {
  const dir = cluster.node(name).dataDir;
  return {
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    certPem: readFileSync(join(dir, 'node.crt'), 'utf8'),
    keyPem: readFileSync(join(dir, 'node.key'), 'utf8'),
  };
}

/**
 * An etcd3 client with the options herdd's own store uses (TLS, keep-alive, no retries, short
 * per-endpoint breakers), except for the per-request deadline, which the benchmark chooses.
 */
export function directEtcd(cluster: TestCluster, endpoints: readonly string[], requestDeadlineMs: number): Etcd3 {
  const base = etcdClientOptions({ endpoints, tls: nodeTls(cluster, 'v1') });
  return new Etcd3({ ...base, defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + requestDeadlineMs }) });
}

/** The node (and etcd member id) whose etcd member is the raft leader, asking the named voters in turn. */
export async function etcdLeader(cluster: TestCluster, askNames: readonly string[]): Promise<{ name: string; id: string } | undefined> {
  for (const name of askNames) {
    if (cluster.node(name).process === undefined) continue;
    const client = directEtcd(cluster, [etcdEndpoint(cluster, name)], 2000);
    try {
      const status = await client.maintenance.status();
      if (status.leader === '0') continue;
      const list = await client.cluster.memberList({ linearizable: false });
      const leader = list.members.find((m) => m.ID === status.leader);
      if (leader?.name) return { name: leader.name, id: leader.ID };
    } catch {
      // This member does not answer: ask the next one.
    } finally {
      client.close();
    }
  }
  return undefined;
}

/** Moves the etcd raft leadership from one voter's member to another's (etcd's MoveLeader). */
export async function moveEtcdLeader(cluster: TestCluster, from: string, to: string): Promise<void> {
  const client = directEtcd(cluster, [etcdEndpoint(cluster, from)], 5000);
  try {
    const members = await client.cluster.memberList({ linearizable: false });
    const target = members.members.find((m) => m.name === to);
    if (!target) throw new Error(`no etcd member named ${to}`);
    await client.maintenance.moveLeader({ targetID: target.ID });
  } finally {
    client.close();
  }
}

/**
 * Waits until every named voter's etcd member answers a linearizable read and all of them name
 * the same raft leader: "online" in Herd's status is about herdd heartbeats, not about a
 * restarted etcd member having caught up, and a fault round must start with a full quorum.
 */
export async function waitEtcdHealthy(cluster: TestCluster, names: readonly string[], timeoutMs = 60_000): Promise<void> {
  const clients = names.map((n) => directEtcd(cluster, [etcdEndpoint(cluster, n)], 1000));
  try {
    await waitFor(`every etcd member (${names.join(', ')}) healthy with one leader`, async () => {
      const leaders = await Promise.all(clients.map(async (c) => {
        const status = await c.maintenance.status();
        await c.get('/herd-bench-health').exec();
        return status.leader;
      }));
      return leaders.every((l) => l !== '0' && l === leaders[0]) ? true : undefined;
    }, timeoutMs, 100);
  } finally {
    for (const c of clients) c.close();
  }
}

/** The highest raft term any named voter reports: it grows by one or more with every etcd election. */
export async function etcdRaftTerm(cluster: TestCluster, askNames: readonly string[]): Promise<number> {
  let term = NaN;
  for (const name of askNames) {
    if (cluster.node(name).process === undefined) continue;
    const client = directEtcd(cluster, [etcdEndpoint(cluster, name)], 2000);
    try {
      const t = Number((await client.maintenance.status()).raftTerm);
      if (Number.isNaN(term) || t > term) term = t;
    } catch {
      // Not answering: the others decide.
    } finally {
      client.close();
    }
  }
  return term;
}

/**
 * Starts an attempt every intervalMs (at most inFlightMax pending at once, each bounded by its
 * own request timeout) until one succeeds or timeoutMs have passed; returns the time since t0
 * (performance.now() milliseconds) of the first acknowledgement. Overlapping attempts keep the
 * resolution at intervalMs even while requests hang until their deadline, as writes do while a
 * raft leader is being elected. Waits for every attempt it started before returning.
 */
export async function firstAck(t0: number, intervalMs: number, timeoutMs: number, inFlightMax: number, attempt: () => Promise<boolean>): Promise<number | undefined> {
  const deadline = t0 + timeoutMs;
  let ackedAtMs: number | undefined;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  while (ackedAtMs === undefined && performance.now() < deadline) {
    if (inFlight < inFlightMax) {
      inFlight++;
      const p: Promise<void> = attempt()
        .catch(() => false)
        .then((acked) => {
          if (acked) ackedAtMs = Math.min(ackedAtMs ?? Infinity, performance.now() - t0);
        })
        .finally(() => {
          inFlight--;
          pending.delete(p);
        });
      pending.add(p);
    }
    await sleep(intervalMs);
  }
  await Promise.all([...pending]);
  return ackedAtMs;
}

/**
 * Polls check() every pollMs until it returns a value, or until timeoutMs have passed; returns
 * the value and the time since t0 (performance.now() milliseconds) when it was first seen.
 */
export async function pollUntil<T>(t0: number, pollMs: number, timeoutMs: number, check: () => Promise<T | undefined>): Promise<{ value: T; atMs: number } | undefined> {
  const deadline = t0 + timeoutMs;
  while (performance.now() < deadline) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return { value: v, atMs: performance.now() - t0 };
    await sleep(pollMs);
  }
  return undefined;
}
