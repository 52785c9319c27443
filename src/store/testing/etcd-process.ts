// Owns startTestEtcd: a real single-member etcd (/usr/bin/etcd) on loopback for tests, with a
// fresh data directory and free ports, plain http.
//
// Inputs: none (ETCD_BINARY overrides the binary). Outputs: the client endpoint URL, the pid,
// the data directory, stop() (SIGTERM, then SIGKILL past a deadline, then the data directory is
// removed) and restart() (same ports and data, new pid), for tests that need etcd to go away.
// Invariants: start waits on /health with a deadline (polling, no fixed sleeps) and fails with
// etcd's last stderr lines if it exits or never becomes healthy; the process never outlives the
// test process (killed on exit).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface TestEtcd {
  readonly endpoint: string;
  /** Pid of the current etcd process (changes on restart). */
  readonly pid: number;
  readonly dataDir: string;
  stop(): Promise<void>;
  /** Stops etcd (SIGTERM) and starts it again on the same ports and data. */
  restart(): Promise<void>;
}

const healthDeadlineMs = 20_000;
const healthPollMs = 50;
const stopDeadlineMs = 5000;
const stderrTailBytesMax = 8 * 1024;

/** A port that was free a moment ago (etcd cannot bind port 0 and report it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

class EtcdProcess {
  private child: ChildProcess | undefined;
  private stderrTail = '';
  private exited: Promise<void> = Promise.resolve();
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  constructor(
    readonly dataDir: string,
    private readonly clientPort: number,
    private readonly peerPort: number,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  async start(): Promise<void> {
    const peerUrl = `http://127.0.0.1:${this.peerPort}`;
    const args = [
      '--name', 'test',
      '--data-dir', this.dataDir,
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `test=${peerUrl}`,
      '--initial-cluster-state', 'new',
      '--logger', 'zap',
      '--log-level', 'warn',
    ];
    const child = spawn(process.env['ETCD_BINARY'] ?? '/usr/bin/etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.stderrTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-stderrTailBytesMax);
    });
    let exitCode: number | string | null | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitCode = code ?? signal;
        resolve();
      });
      child.once('error', (error) => {
        exitCode = error.message;
        resolve();
      });
    });
    process.on('exit', this.killOnExit);
    const deadline = performance.now() + healthDeadlineMs;
    while (!(await this.healthy())) {
      if (exitCode !== undefined) throw new Error(`etcd exited (${exitCode}) before it was healthy:\n${this.stderrTail}`);
      if (performance.now() > deadline) {
        await this.kill();
        throw new Error(`etcd was not healthy within ${healthDeadlineMs} ms:\n${this.stderrTail}`);
      }
      await delay(healthPollMs);
    }
  }

  private async healthy(): Promise<boolean> {
    try {
      const response = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await response.json()) as { health?: unknown };
      return response.ok && body.health === 'true';
    } catch {
      return false; // not listening yet: keep polling until the deadline
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), stopDeadlineMs);
      });
      const stopped = await Promise.race([this.exited.then(() => true), deadline]);
      clearTimeout(timer);
      if (!stopped) {
        child.kill('SIGKILL');
        await this.exited;
      }
    }
    process.off('exit', this.killOnExit);
    this.child = undefined;
  }
}

export async function startTestEtcd(): Promise<TestEtcd> {
  const dataDir = await mkdtemp(join(tmpdir(), 'herd-etcd-'));
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const etcd = new EtcdProcess(join(dataDir, 'member'), clientPort, peerPort);
  try {
    await etcd.start();
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint: etcd.endpoint,
    get pid() {
      return etcd.pid;
    },
    dataDir,
    async stop() {
      await etcd.kill();
      await rm(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await etcd.kill();
      await etcd.start();
    },
  };
}
