// Owns the test network for fault tests that need real partitions (root only): one Linux
// bridge in the root namespace (hb<random>, 10.213.<n>.1/24) and one network namespace per
// node (herdt-<random>-v<i>, 10.213.<n>.(10+i)/24 on a veth to the bridge, loopback up);
// running herdd inside a namespace (by pid: `ip netns exec` execs node, so its pid is node's);
// isolating a namespace with an nftables table `inet herdtest` that drops everything but
// loopback, and healing it. It only ever touches the bridge, veths, namespaces, addresses and
// processes (by pid, `ip netns pids`) of its own; destroy() removes all of them and is safe to
// call twice or after a partial create(). Exit and SIGINT/SIGTERM hooks do the same if the
// runner dies before after().

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { herddMain } from '../src/cli/start.js';

function run(args: readonly string[], input?: string): { status: number; out: string } {
  const r = spawnSync(args[0] ?? 'false', args.slice(1), { encoding: 'utf8', timeout: 15_000, ...(input !== undefined ? { input } : {}) });
  return { status: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function must(args: readonly string[], input?: string): string {
  const r = run(args, input);
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.out.trim()}`);
  return r.out;
}

/** True if any root-namespace interface holds an address in 10.213.<n>.0/24. */
function subnetInUse(n: number): boolean {
  return must(['ip', '-o', '-4', 'addr', 'show']).split('\n').some((l) => l.includes(` 10.213.${n}.`));
}

export function requireRoot(): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error('this test needs root (network namespaces, veth, bridge and nftables): run it as root, as CI does');
  }
}

const isolateRules = `table inet herdtest {
  chain input { type filter hook input priority -200; policy drop; iif "lo" accept; }
  chain output { type filter hook output priority -200; policy drop; oif "lo" accept; }
}
`;

export class TestNet {
  readonly bridge: string;
  readonly namespaces: string[] = [];
  private created: { bridge: boolean; veths: string[] } = { bridge: false, veths: [] };
  private readonly processes = new Set<ChildProcess>();
  private readonly onExit = (): void => this.destroySync();
  /** Cleans up, then lets the signal take its default course. */
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.destroySync();
    process.kill(process.pid, signal);
  };

  private constructor(readonly id: string, readonly subnet: number, readonly size: number) {
    this.bridge = `hb${id}`;
    process.once('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Creates the bridge and `size` namespaces on a free random 10.213.<n>.0/24. */
  static create(size: number): TestNet {
    requireRoot();
    for (let attempt = 0; attempt < 20; attempt++) {
      const n = randomInt(1, 251);
      if (subnetInUse(n)) continue;
      const net = new TestNet(randomBytes(3).toString('hex'), n, size);
      try {
        net.build();
        // Someone else may have taken the subnet between the check and our address: retry.
        const holders = must(['ip', '-o', '-4', 'addr', 'show']).split('\n').filter((l) => l.includes(` 10.213.${n}.`));
        if (holders.length === 1) return net;
      } catch (e) {
        net.destroySync();
        throw e;
      }
      net.destroySync();
    }
    throw new Error('no free 10.213.<n>.0/24 subnet found for the test network');
  }

  private build(): void {
    must(['ip', 'link', 'add', this.bridge, 'type', 'bridge']);
    this.created.bridge = true;
    must(['ip', 'addr', 'add', `10.213.${this.subnet}.1/24`, 'dev', this.bridge]);
    must(['ip', 'link', 'set', this.bridge, 'up']);
    for (let i = 1; i <= this.size; i++) {
      const ns = `herdt-${this.id}-v${i}`;
      must(['ip', 'netns', 'add', ns]);
      this.namespaces.push(ns);
      const veth = `${this.bridge}v${i}`;
      must(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      this.created.veths.push(veth);
      must(['ip', 'link', 'set', veth, 'master', this.bridge]);
      must(['ip', 'link', 'set', veth, 'up']);
      must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      must(['ip', '-n', ns, 'addr', 'add', `${this.address(i)}/24`, 'dev', 'eth0']);
      must(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    }
  }

  /** The address of node i (1-based) inside its namespace. */
  address(i: number): string {
    return `10.213.${this.subnet}.${10 + i}`;
  }

  ns(i: number): string {
    const ns = this.namespaces[i - 1];
    if (ns === undefined) throw new Error(`no namespace for node ${i}`);
    return ns;
  }

  /** Starts herdd for dataDir inside node i's namespace; stdout and stderr go to DIR/logs/herdd.log. */
  spawnHerdd(i: number, dataDir: string): ChildProcess {
    mkdirSync(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
    const log = openSync(join(dataDir, 'logs', 'herdd.log'), 'a');
    const child = spawn('ip', ['netns', 'exec', this.ns(i), process.execPath, '--enable-source-maps', herddMain, '--data-dir', dataDir], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.processes.add(child);
    child.once('exit', () => this.processes.delete(child));
    return child;
  }

  /** Drops every packet into and out of node i's namespace except on loopback. */
  isolate(i: number): void {
    must(['ip', 'netns', 'exec', this.ns(i), 'nft', '-f', '-'], isolateRules);
  }

  heal(i: number): void {
    must(['ip', 'netns', 'exec', this.ns(i), 'nft', 'delete', 'table', 'inet', 'herdtest']);
  }

  /** Pids of every process inside our namespaces (herdd, its etcd wrapper, etcd). */
  pidsInside(): number[] {
    return this.namespaces.flatMap((ns) => run(['ip', 'netns', 'pids', ns]).out.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number));
  }

  /**
   * SIGTERM, then SIGKILL after graceMs, for every herdd started here; then waits until no
   * etcd or node runs in our namespaces (herdd's etcd stops when herdd's pipe closes) and
   * SIGKILLs what is left after graceMs more (such as the etcd wrapper's `sleep 5` guard).
   */
  async stopProcesses(graceMs = 10_000): Promise<void> {
    await Promise.all([...this.processes].map((child) => stopChild(child, graceMs)));
    const deadline = Date.now() + graceMs;
    const running = (): number[] => this.pidsInside().filter((pid) => ['etcd', 'node'].includes(commOf(pid)));
    while (running().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const pid of this.pidsInside()) killQuietly(pid, 'SIGKILL');
  }

  /** Deletes namespaces, veths and bridge (kills any process still running first). */
  destroySync(): void {
    for (const child of this.processes) if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) killQuietly(child.pid, 'SIGKILL');
    for (const pid of this.pidsInside()) killQuietly(pid, 'SIGKILL');
    for (const ns of this.namespaces.splice(0)) run(['ip', 'netns', 'del', ns]);
    for (const veth of this.created.veths.splice(0)) run(['ip', 'link', 'del', veth]);
    if (this.created.bridge) run(['ip', 'link', 'del', this.bridge]);
    this.created.bridge = false;
    process.removeListener('exit', this.onExit);
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }

  async destroy(): Promise<void> {
    await this.stopProcesses();
    this.destroySync();
  }
}

/** Stops one child by pid: SIGTERM, then SIGKILL once graceMs has passed; resolves on exit. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killQuietly(child.pid, 'SIGCONT');
  killQuietly(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) killQuietly(child.pid, 'SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return ''; // already gone
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
