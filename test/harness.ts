// Owns the integration-test harness: real clusters of herdd + etcd processes on loopback, each
// node in its own temporary data dir with its own ports, built through the same init/join path
// operators use. Every process started here is stopped here, by pid; waits are conditions with
// deadlines, never fixed sleeps.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HerdClient } from '../src/api/client.js';
import { initNode, joinNode } from '../src/cli/provision.js';
import { herddMain, spawnHerdd, waitForApi } from '../src/cli/start.js';
import { saveContext, type CliContext } from '../src/cli/context.js';
import type { Failure, Result } from '../src/core/result.js';
import type { StatusView } from '../src/api/types.js';
import { etcdClient, listMembers } from '../src/store/etcd-member.js';
import { EtcdStore } from '../src/store/etcd.js';
import { Records } from '../src/store/records.js';

export const cliMain = herddMain.replace(/daemon\/main\.js$/, 'cli/main.js');

export function must<T>(r: Result<T, Failure>, what = 'operation'): T {
  if (!r.ok) throw new Error(`${what}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** Waits until check() returns a value (not undefined), or throws with the last state seen. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, pollMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** A block of `count` consecutive free ports on host. */
export async function freePortBlock(count: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    // Below the kernel's ephemeral range (32768-60999 here): a port checked free there could be
    // taken by an outgoing connection before etcd or herdd binds it.
    const base = 20_000 + Math.floor(Math.random() * (32_000 - 20_000 - count));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p, host);
    if (ok) return base;
  }
  throw new Error('no free port block found');
}

export interface TestNode {
  readonly name: string;
  readonly dataDir: string;
  readonly api: string;
  readonly role: 'voter' | 'worker';
  process: ChildProcess | undefined;
}

export class TestCluster {
  readonly nodes = new Map<string, TestNode>();
  context!: CliContext;
  contextPath!: string;
  client!: HerdClient;

  /** Every node's herdd pid as `<pidDir>/<name>.pid`, the layout test/agents/fence_herd_kill reads. */
  readonly pidDir: string;
  private stores: EtcdStore[] = [];

  private constructor(readonly root: string, readonly basePort: number, readonly host: string, private readonly nodeConfig: Record<string, unknown>) {
    this.pidDir = join(root, 'pids');
    mkdirSync(this.pidDir, { recursive: true });
  }

  /**
   * Creates a cluster with `voters` voters (the first via init, the rest via join) and `workers`
   * workers; `nodeConfig` is merged into every node.json before its first start.
   */
  static async create(options: { voters: number; workers?: number; host?: string; nodeConfig?: Record<string, unknown> }): Promise<TestCluster> {
    const host = options.host ?? '127.0.0.1';
    const total = options.voters + (options.workers ?? 0);
    const base = await freePortBlock((total + 2) * 10, host); // room for two nodes joined later
    const c = new TestCluster(mkdtempSync(join(tmpdir(), 'herd-test-')), base, host, options.nodeConfig ?? {});
    try {
      await c.build(options.voters, options.workers ?? 0);
    } catch (e) {
      await c.destroy();
      throw e;
    }
    return c;
  }

  private apiOf(i: number): string {
    return `${this.host}:${this.basePort + 10 * i}`;
  }

  private async build(voters: number, workers: number): Promise<void> {
    const first = must(await initNode({ dataDir: join(this.root, 'v1'), name: 'v1', cluster: 'test', listen: this.apiOf(0) }), 'init');
    this.nodes.set('v1', { name: 'v1', dataDir: join(this.root, 'v1'), api: this.apiOf(0), role: 'voter', process: undefined });
    this.context = { cluster: 'test', apiAddresses: [this.apiOf(0)], caPem: first.caPem, token: first.adminToken };
    this.contextPath = join(this.root, 'context.json');
    this.start('v1');
    this.client = new HerdClient({ addresses: [this.apiOf(0)], caPem: first.caPem, token: first.adminToken, timeoutMs: 5000 });
    must(await waitForApi(this.client, Date.now() + 30_000, () => this.nodes.get('v1')?.process === undefined), 'v1 up');
    for (let i = 1; i < voters + workers; i++) {
      const voter = i < voters;
      const name = voter ? `v${i + 1}` : `w${i - voters + 1}`;
      await this.join(name, voter, this.apiOf(i));
    }
    this.context = { ...this.context, apiAddresses: [...this.nodes.values()].filter((n) => n.role === 'voter').map((n) => n.api) };
    saveContext(this.contextPath, this.context);
    this.client = new HerdClient({ addresses: this.context.apiAddresses, caPem: this.context.caPem, token: this.context.token, timeoutMs: 5000 });
    await this.waitForStates((s) => s.nodes.length === voters + workers && s.nodes.every((n) => n.state === 'online') && s.coordinator !== null, 'all nodes online', 40_000);
  }

  async join(name: string, voter: boolean, api: string): Promise<void> {
    const token = must(await this.client.createJoinToken({ singleUse: true }), 'join token');
    const dataDir = join(this.root, name);
    must(await joinNode({ dataDir, address: this.apiOf(0), token: token.token, name, listen: api, voter }), `join ${name}`);
    this.nodes.set(name, { name, dataDir, api, role: voter ? 'voter' : 'worker', process: undefined });
    this.start(name);
    const client = new HerdClient({ addresses: [api], caPem: this.context.caPem, token: this.context.token, timeoutMs: 5000 });
    must(await waitForApi(client, Date.now() + 30_000, () => this.nodes.get(name)?.process === undefined), `${name} up`);
  }

  start(name: string): void {
    const node = this.node(name);
    const config = join(node.dataDir, 'node.json');
    if (Object.keys(this.nodeConfig).length > 0) writeFileSync(config, JSON.stringify({ ...(JSON.parse(readFileSync(config, 'utf8')) as object), ...this.nodeConfig }, null, 2));
    const child = spawnHerdd(node.dataDir, { detached: false });
    node.process = child;
    writeFileSync(join(this.pidDir, `${name}.pid`), `${child.pid ?? ''}\n`);
    child.once('exit', () => {
      if (node.process === child) node.process = undefined;
    });
  }

  /** Starts a node as after a power cycle: its run directory (a machine's /run) is gone. */
  reboot(name: string): void {
    rmSync(join(this.node(name).dataDir, 'run'), { recursive: true, force: true });
    this.start(name);
  }

  /** Typed records straight on the store (through v1's etcd member), for tests that set state up directly. */
  records(): Records {
    const v1 = this.node('v1').dataDir;
    const read = (f: string): string => readFileSync(join(v1, f), 'utf8');
    const endpoints = [...this.nodes.values()].filter((n) => n.role === 'voter').map((_, i) => `https://${this.host}:${this.basePort + 10 * i + 2}`);
    const store = EtcdStore.connect({ endpoints, tls: { caPem: read('ca.crt'), certPem: read('node.crt'), keyPem: read('node.key') } });
    this.stores.push(store);
    return new Records(store, 'test');
  }

  node(name: string): TestNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no test node ${name}`);
    return n;
  }

  pid(name: string): number {
    const p = this.node(name).process?.pid;
    if (p === undefined) throw new Error(`${name} is not running`);
    return p;
  }

  clientFor(name: string): HerdClient {
    return new HerdClient({ addresses: [this.node(name).api], caPem: this.context.caPem, token: this.context.token, timeoutMs: 3000 });
  }

  async status(): Promise<StatusView | undefined> {
    const r = await this.client.status();
    return r.ok ? r.value : undefined;
  }

  async waitForStates(pred: (s: StatusView) => boolean, what: string, timeoutMs = 20_000): Promise<StatusView> {
    let last: StatusView | undefined;
    try {
      return await waitFor(what, async () => {
        last = await this.status();
        return last && pred(last) ? last : undefined;
      }, timeoutMs, 50);
    } catch (e) {
      const logs = [...this.nodes.keys()].map((n) => `--- ${n} (last lines of herdd.log)\n${this.log(n).trimEnd().split('\n').slice(-12).join('\n')}`).join('\n');
      throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last?.nodes.map((n) => [n.name, n.state]))} coordinator ${last?.coordinator?.node}\n${logs}`);
    }
  }

  stateOf(s: StatusView, name: string): string | undefined {
    return s.nodes.find((n) => n.name === name)?.state;
  }

  /** Sends a signal by pid; for SIGKILL/SIGTERM waits until the process has exited. */
  async signal(name: string, signal: NodeJS.Signals): Promise<void> {
    const node = this.node(name);
    const child = node.process;
    if (!child || child.pid === undefined) throw new Error(`${name} is not running`);
    const ends = signal === 'SIGKILL' || signal === 'SIGTERM';
    const exited = ends ? new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()))) : undefined;
    process.kill(child.pid, signal);
    if (exited) {
      await exited;
      node.process = undefined;
      // The etcd member of a killed voter ends when its wrapper sees the pipe close.
      await waitFor(`${name}'s etcd to stop`, () => (etcdPidsOf(node.dataDir).length === 0 ? true : undefined), 15_000);
    }
  }

  async stopAll(): Promise<void> {
    const running = [...this.nodes.values()].filter((n) => n.process !== undefined);
    for (const n of running) if (n.process?.pid !== undefined) process.kill(n.process.pid, 'SIGCONT');
    await Promise.all(running.map((n) => this.signal(n.name, 'SIGTERM').catch(() => {})));
  }

  /** Runs the real herd CLI against this cluster. */
  cli(args: readonly string[], options: { context?: string } = {}): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [cliMain, '--context', options.context ?? this.contextPath, ...args], { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  async destroy(): Promise<void> {
    const stores = this.stores;
    this.stores = [];
    await Promise.all(stores.map((st) => st.close()));
    await this.stopAll();
    for (const n of this.nodes.values()) for (const pid of etcdPidsOf(n.dataDir)) process.kill(pid, 'SIGKILL');
    if (process.env['HERD_TEST_KEEP']) process.stderr.write(`# kept ${this.root}\n`);
    else rmSync(this.root, { recursive: true, force: true });
  }

  /** etcd's member names, sorted, as v1's etcd reports them. */
  async etcdMembers(): Promise<string[]> {
    const v1 = this.node('v1').dataDir;
    const read = (f: string): string => readFileSync(join(v1, f), 'utf8');
    const etcd = etcdClient([`https://${this.host}:${this.basePort + 2}`], { caPem: read('ca.crt'), certPem: read('node.crt'), keyPem: read('node.key') });
    try {
      return must(await listMembers(etcd)).map((m) => m.name).sort();
    } finally {
      etcd.close();
    }
  }

  log(name: string): string {
    const p = join(this.node(name).dataDir, 'logs', 'herdd.log');
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }
}

/** Pids of etcd processes whose command line names this data dir (stray-process check). */
export function etcdPidsOf(dataDir: string): number[] {
  const r = spawnSync('pgrep', ['-f', '--', `--data-dir=${join(dataDir, 'etcd')}`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map(Number);
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliMain, ...args], { encoding: 'utf8', timeout: 60_000, env });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export { spawn };
