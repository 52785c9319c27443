// Benchmark: state writes/s and p50/p99 latency through Herd's API (kv PUT over HTTPS to herdd, which
// reads the API token and commits one etcd Txn) versus the same number of clients writing straight to the same
// etcd cluster with the etcd3 client (one plain put each), on a 3-voter test cluster on loopback.
//
//   node --enable-source-maps dist/bench/state-writes.js [--clients 16] [--seconds 10] [--warmup 1]
//        [--max-requests 2000000] [--breakdown 1] [--slices 5]
//
// Client i talks to voter i mod 3 in both runs (Herd: that voter's API; etcd: that voter's etcd
// client URL), each client writing its own key, one request at a time, with the same value
// bytes as Herd stores ({"value": ...}). The load generator runs on the same machine as the
// cluster, so both runs share the CPU with it; figures are relative, for the ratio. The runs take
// turns in --slices slices (Herd, etcd, Herd, etcd, ...) adding up to --seconds each, so load
// from other users of the machine falls on both alike.
//
// With --breakdown 1 (default) a third run does, straight to etcd, the etcd work herdd does per
// API write (one Txn with the put; the caller's token is checked against herdd's watch-fed
// cache, with no etcd read), so the gap splits into etcd's Txn cost and herdd's own cost.

import { Buffer } from 'node:buffer';
import { Etcd3 } from 'etcd3';
import { TestCluster } from '../test/harness.js';
import {
  apiClient, cleanupCluster, cpuBusy, directEtcd, etcdEndpoint, etcdRaftTerm, loadLine, machineLine, ms, numberFlag, onCleanup, parseFlags, percentile, runBench, voterNames,
} from './common.js';

interface LoadResult {
  readonly okCount: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly elapsedMs: number;
  readonly latencies: number[];
  readonly cpuBusyPercent: number;
  /** CPU this process (the load generator) used, in % of one core. */
  readonly generatorCpuPercent: number;
}

/**
 * Runs `clients` loops, each issuing one request at a time until `seconds` have passed or the
 * request budget is spent; every request's latency is recorded.
 */
async function load(clients: number, seconds: number, maxRequests: number, op: (client: number, seq: number) => Promise<string | undefined>): Promise<LoadResult> {
  const latencies: number[] = [];
  let okCount = 0;
  let errors = 0;
  let firstError: string | undefined;
  let budget = maxRequests;
  const busy = cpuBusy();
  const ownCpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async (_, client) => {
    for (let seq = 0; performance.now() < deadline && budget > 0; seq++) {
      budget--;
      const t = performance.now();
      const failure = await op(client, seq);
      const took = performance.now() - t;
      if (failure === undefined) {
        okCount++;
        latencies.push(took);
      } else {
        errors++;
        firstError ??= failure;
      }
    }
  }));
  const elapsedMs = performance.now() - start;
  latencies.sort((a, b) => a - b);
  const own = process.cpuUsage(ownCpu);
  return { okCount, errors, firstError, elapsedMs, latencies, cpuBusyPercent: busy(), generatorCpuPercent: (100 * (own.user + own.system) / 1000) / elapsedMs };
}

/** Adds up the slices of one mode: counts, latencies, elapsed and CPU (time-weighted). */
function merge(parts: readonly LoadResult[]): LoadResult {
  const elapsedMs = parts.reduce((a, p) => a + p.elapsedMs, 0);
  const weighted = (f: (p: LoadResult) => number): number => parts.reduce((a, p) => a + f(p) * p.elapsedMs, 0) / elapsedMs;
  return {
    okCount: parts.reduce((a, p) => a + p.okCount, 0),
    errors: parts.reduce((a, p) => a + p.errors, 0),
    firstError: parts.find((p) => p.firstError !== undefined)?.firstError,
    elapsedMs,
    latencies: parts.flatMap((p) => p.latencies).sort((a, b) => a - b),
    cpuBusyPercent: weighted((p) => p.cpuBusyPercent),
    generatorCpuPercent: weighted((p) => p.generatorCpuPercent),
  };
}

function describe(r: LoadResult): { rate: number; text: string; cpu: string } {
  const rate = r.okCount / (r.elapsedMs / 1000);
  const errors = r.errors > 0 ? `, ${r.errors} errors (first: ${r.firstError})` : '';
  return {
    rate,
    text: `${rate.toFixed(0)}/s p50 ${ms(percentile(r.latencies, 50))} ms p99 ${ms(percentile(r.latencies, 99))} ms${errors}`,
    cpu: `machine CPU ${r.cpuBusyPercent.toFixed(0)}% busy, load generator ${r.generatorCpuPercent.toFixed(0)}% of a core`,
  };
}

runBench('state-writes', async () => {
  const flags = parseFlags(['clients', 'seconds', 'warmup', 'max-requests', 'breakdown', 'slices']);
  const clients = numberFlag(flags, 'clients', 16, 1, 1000);
  const seconds = numberFlag(flags, 'seconds', 10, 0.5, 600);
  const warmup = numberFlag(flags, 'warmup', 1, 0, 60);
  const maxRequests = numberFlag(flags, 'max-requests', 2_000_000, 1, 10_000_000);
  const breakdown = numberFlag(flags, 'breakdown', 1, 0, 1) === 1;
  const slices = Math.round(numberFlag(flags, 'slices', 5, 1, 100));

  console.log(await machineLine());
  console.log('starting a 3-voter cluster on 127.0.0.1 ...');
  const cluster = await TestCluster.create({ voters: 3 });
  cleanupCluster(cluster);
  const voters = voterNames(cluster);
  const value = 'x'.repeat(100);

  // Herd: client i -> API of voter i mod 3; each its own key.
  const herd = Array.from({ length: clients }, (_, i) => apiClient(cluster, voters[i % voters.length] ?? 'v1', 5000));
  const herdPut = async (client: number, seq: number): Promise<string | undefined> => {
    const r = await herd[client]?.kvPut(`bench-c${client}`, `${value}-${seq}`);
    return r?.ok ? undefined : `${r?.error.code}: ${r?.error.message}`;
  };

  // etcd: client i -> etcd client URL of voter i mod 3; keys under a separate prefix.
  const etcd: Etcd3[] = Array.from({ length: clients }, (_, i) => directEtcd(cluster, [etcdEndpoint(cluster, voters[i % voters.length] ?? 'v1')], 7000));
  onCleanup('close the etcd clients', () => {
    for (const c of etcd) c.close();
  });
  const stored = (seq: number): string => JSON.stringify({ value: `${value}-${seq}` });
  const etcdPut = async (client: number, seq: number): Promise<string | undefined> => {
    try {
      await etcd[client]?.put(`/herd-bench-direct/c${client}`).value(stored(seq));
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };

  // For the breakdown only: the etcd work herdd does per API write (one Txn with the put),
  // straight from the clients. What separates it from the Herd line is herdd's own cost
  // (HTTPS, routing, validation, JSON).
  const herdLike = async (client: number, seq: number): Promise<string | undefined> => {
    try {
      const c = etcd[client];
      if (!c) return 'no client';
      // The same raw call as herdd's EtcdStore.commit (no guards).
      await c.kv.txn({ compare: [], success: [{ request_put: { key: Buffer.from(`/herd-bench-direct/c${client}`), value: Buffer.from(stored(seq)) } }], failure: [] });
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };

  const modes = [
    { name: 'herd', op: herdPut },
    { name: 'etcd', op: etcdPut },
    ...(breakdown ? [{ name: 'txn', op: herdLike }] : []),
  ];
  if (warmup > 0) {
    console.log(`warm-up: ${warmup} s each, not counted`);
    for (const m of modes) await load(clients, warmup, maxRequests, m.op);
  }

  // The modes take turns in --slices slices of seconds/slices each, so load from anything else
  // on the machine falls on all of them alike. The raft term before and after shows whether
  // etcd held elections meanwhile (a starved machine makes etcd's leader miss heartbeats).
  const results = new Map<string, LoadResult[]>(modes.map((m) => [m.name, []]));
  const term0 = await etcdRaftTerm(cluster, voters);
  for (let slice = 0; slice < slices; slice++) {
    for (const m of modes) results.get(m.name)?.push(await load(clients, seconds / slices, Math.ceil(maxRequests / slices), m.op));
  }
  const term1 = await etcdRaftTerm(cluster, voters);
  const [viaHerd, direct, like] = modes.map((m) => merge(results.get(m.name) ?? []));
  if (!viaHerd || !direct) throw new Error('no results');
  const h = describe(viaHerd);
  const d = describe(direct);
  console.log(`state writes via Herd API: ${h.text} (${clients} clients, ${seconds} s; ${h.cpu})`);
  console.log(`state writes direct to etcd: ${d.text} (${clients} clients, ${seconds} s; ${d.cpu})`);
  console.log(`ratio Herd/etcd throughput: ${(h.rate / d.rate).toFixed(2)}x (goal >= 0.5x)`);
  console.log(`ratio Herd/etcd p50 latency: ${(percentile(viaHerd.latencies, 50) / percentile(direct.latencies, 50)).toFixed(2)}x, p99: ${(percentile(viaHerd.latencies, 99) / percentile(direct.latencies, 99)).toFixed(2)}x`);
  if (like) {
    const l = describe(like);
    console.log(`breakdown: direct to etcd, one txn per write (herdd's etcd work per API write): ${l.text} (${l.cpu})`);
    console.log(`breakdown: ratio Herd/txn throughput: ${(h.rate / l.rate).toFixed(2)}x; txn/plain put: ${(l.rate / d.rate).toFixed(2)}x`);
  }
  console.log(`modes interleaved in ${slices} slices; etcd raft term +${term1 - term0} over the measurement (elections)`);
  console.log(loadLine());
});
