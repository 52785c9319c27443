// Owns the lifecycle of the etcd member a voter runs: its flags (names, URLs, TLS files, data
// dir), start with a wrapper that ends etcd when herdd dies (it reads herdd's pipe until EOF),
// health, stop, and cluster membership changes (member add/remove/list) through etcd's API.
// Users never configure etcd: everything here is derived from the node's own configuration.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { err, ok, type Failure, type Result } from '../core/result.js';
import { etcdClientOptions } from './etcd.js';

export interface EtcdTlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface EtcdMemberConfig {
  readonly name: string;
  /** etcd's own data directory (herdd keeps it under its data dir). */
  readonly dataDir: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  /** `name=peerUrl,...` of every member, this one included. */
  readonly initialCluster: string;
  readonly initialClusterState: 'new' | 'existing';
  readonly tls: EtcdTlsFiles;
  readonly logFile: string;
  readonly binary?: string;
  readonly heartbeatIntervalMs?: number;
  readonly electionTimeoutMs?: number;
}

export const defaultEtcdBinaries = ['/usr/bin/etcd', '/usr/local/bin/etcd'];

export function findEtcdBinary(explicit?: string): Result<string, Failure<'etcd_missing'>> {
  const candidates = explicit ? [explicit] : defaultEtcdBinaries;
  for (const c of candidates) if (existsSync(c)) return ok(c);
  return err({
    code: 'etcd_missing',
    field: 'etcd.binary',
    message: `etcd is not installed (looked for ${candidates.join(', ')}): install Debian's etcd-server (npm run setup does so when run as root)`,
  });
}

export function etcdArguments(c: EtcdMemberConfig): string[] {
  return [
    `--name=${c.name}`,
    `--data-dir=${c.dataDir}`,
    `--listen-client-urls=${c.clientUrl}`,
    `--advertise-client-urls=${c.clientUrl}`,
    `--listen-peer-urls=${c.peerUrl}`,
    `--initial-advertise-peer-urls=${c.peerUrl}`,
    `--initial-cluster=${c.initialCluster}`,
    `--initial-cluster-state=${c.initialClusterState}`,
    `--initial-cluster-token=herd`,
    `--client-cert-auth`,
    `--trusted-ca-file=${c.tls.caFile}`,
    `--cert-file=${c.tls.certFile}`,
    `--key-file=${c.tls.keyFile}`,
    `--peer-client-cert-auth`,
    `--peer-trusted-ca-file=${c.tls.caFile}`,
    `--peer-cert-file=${c.tls.certFile}`,
    `--peer-key-file=${c.tls.keyFile}`,
    // A member coming back from a partition must not depose the majority's leader with the
    // terms it inflated while alone: pre-vote makes it ask before it campaigns.
    `--pre-vote=true`,
    `--heartbeat-interval=${c.heartbeatIntervalMs ?? 100}`,
    `--election-timeout=${c.electionTimeoutMs ?? 1000}`,
    `--snapshot-count=10000`,
    `--auto-compaction-mode=revision`,
    `--auto-compaction-retention=10000`,
    `--quota-backend-bytes=${2 * 1024 * 1024 * 1024}`,
    `--logger=zap`,
    `--log-outputs=stderr`,
  ];
}

// The wrapper prints etcd's pid, then waits for etcd. A guard reads herdd's pipe: when herdd
// closes it, or dies and the kernel closes it, the guard stops etcd (TERM, then KILL after
// 5 s). If etcd exits on its own, the wrapper exits with etcd's status, so herdd notices.
// Signals to the wrapper itself are passed on to etcd. A member never outlives its herdd.
// (The pipe is handed to the guard as fd 3: sh gives background jobs /dev/null as stdin.)
const wrapperScript = `
bin=$1; log=$2; shift 2
"$bin" "$@" </dev/null >>"$log" 2>&1 &
child=$!
echo "$child"
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
exec 3<&0
{ cat <&3 >/dev/null; kill -TERM "$child" 2>/dev/null
  i=0; while kill -0 "$child" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  kill -KILL "$child" 2>/dev/null; } &
guard=$!
while :; do
  wait "$child"; status=$?
  kill -0 "$child" 2>/dev/null || break
done
kill "$guard" 2>/dev/null
exit $status
`;

export class EtcdMember {
  private wrapper: ChildProcess | undefined;
  etcdPid: number | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly config: EtcdMemberConfig) {}

  /** Starts etcd; resolves once its pid is known (not once it is healthy: see waitHealthy). */
  async start(onExit: (code: number | null) => void): Promise<Result<void, Failure>> {
    const binary = findEtcdBinary(this.config.binary);
    if (!binary.ok) return binary;
    mkdirSync(this.config.dataDir, { recursive: true, mode: 0o700 });
    closeSync(openSync(this.config.logFile, 'a'));
    const child = spawn('sh', ['-c', wrapperScript, 'herd-etcd', binary.value, this.config.logFile, ...etcdArguments(this.config)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.wrapper = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      onExit(code);
      resolve();
    }));
    const pid = await new Promise<number | undefined>((resolve) => {
      let text = '';
      child.stdout?.on('data', (d: Buffer) => {
        text += d.toString();
        const line = text.split('\n')[0];
        if (text.includes('\n') && line) resolve(Number(line));
      });
      child.once('exit', () => resolve(undefined));
    });
    if (pid === undefined || !Number.isInteger(pid)) return err({ code: 'etcd_start_failed', message: `etcd did not start; see ${this.config.logFile}` });
    this.etcdPid = pid;
    return ok(undefined);
  }

  /** Stops etcd gracefully (the wrapper escalates to SIGKILL after 5 s). */
  async stop(): Promise<void> {
    if (!this.wrapper) return;
    this.wrapper.stdin?.end();
    await this.exited;
    this.wrapper = undefined;
  }
}

/** A client for member changes, configured like the store's own (etcd.ts). */
export function etcdClient(endpoints: readonly string[], tls: { caPem: string; certPem: string; keyPem: string }): Etcd3 {
  return new Etcd3(etcdClientOptions({ endpoints: [...endpoints], tls }));
}

export interface MemberInfo {
  readonly id: string;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
}

export async function listMembers(client: Etcd3): Promise<Result<MemberInfo[], Failure>> {
  try {
    const r = await client.cluster.memberList({});
    return ok(r.members.map((m) => ({ id: m.ID, name: m.name, peerUrls: m.peerURLs, clientUrls: m.clientURLs })));
  } catch (e) {
    return err({ code: 'unavailable', message: `etcd member list failed: ${(e as Error).message}` });
  }
}

/**
 * Runs a member change, retrying while etcd refuses it to protect quorum ("unhealthy cluster":
 * its strict reconfiguration check wants every member connected for a few seconds) or while no
 * endpoint could be reached, until the deadline.
 */
async function changeMembers<T>(what: string, change: () => Promise<T>, waitMs: number): Promise<Result<T, Failure>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return ok(await change());
    } catch (e) {
      const message = (e as Error).message;
      if (!/unhealthy cluster|not enough started members|circuit breaker|No connection established/i.test(message) || Date.now() > deadline) {
        return err({ code: 'unavailable', message: `etcd member ${what} failed: ${message}` });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Adds a member (before it starts); returns the `initial-cluster` string it must start with. */
export async function addMember(client: Etcd3, name: string, peerUrl: string, waitMs = 20_000): Promise<Result<{ id: string; initialCluster: string }, Failure>> {
  return changeMembers('add', async () => {
    const r = await client.cluster.memberAdd({ peerURLs: [peerUrl] });
    const parts = r.members.map((m) => `${m.name === '' ? name : m.name}=${m.peerURLs[0] ?? ''}`);
    return { id: r.member.ID, initialCluster: parts.join(',') };
  }, waitMs);
}

/** Removes a member by name; nothing to do once it is not a member (also after a retry). */
export async function removeMember(client: Etcd3, name: string, waitMs = 20_000): Promise<Result<void, Failure>> {
  return changeMembers('remove', async () => {
    const r = await client.cluster.memberList({});
    const m = r.members.find((x) => x.name === name);
    if (m) await client.cluster.memberRemove({ ID: m.ID });
  }, waitMs);
}
