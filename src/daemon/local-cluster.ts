// Owns `npm start`: a local three-voter cluster on loopback, for trying Herd on one machine.
// The first run creates it with the real init/join path (CA, tokens, certificates, etcd member
// add); later runs start the same data dirs again, so the state survives. Ctrl-C stops every
// process it started, by pid, and waits for them.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { HerdClient } from '../api/client.js';
import { initNode, joinNode } from '../cli/provision.js';
import { spawnHerdd, waitForApi } from '../cli/start.js';
import { defaultContextPath, loadContext, saveContext, type CliContext } from '../cli/context.js';
import { renderStatus } from '../cli/commands/status.js';
import type { Failure, Result } from '../core/result.js';

const baseDir = resolve(process.env['HERD_LOCAL_DIR'] ?? '.herd-local');
const basePort = Number(process.env['HERD_LOCAL_PORT'] ?? 7100);
const names = ['n1', 'n2', 'n3'] as const;
const apiOf = (i: number): string => `127.0.0.1:${basePort + 10 * i}`;
const dirOf = (name: string): string => join(baseDir, name);
const contextPath = join(baseDir, 'context.json');
const children = new Map<string, ChildProcess>();
let stopping = false;

function say(msg: string): void {
  process.stdout.write(`[herd local] ${msg}\n`);
}

class SetupFailed extends Error {}

function must<T>(r: Result<T, Failure>, what: string): T {
  if (!r.ok) throw new SetupFailed(`${what} failed: ${r.error.message}`);
  return r.value;
}

function start(name: string): void {
  const child = spawnHerdd(dirOf(name), { detached: false });
  children.set(name, child);
  child.once('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) say(`herdd ${name} (pid ${child.pid}) exited (${signal ?? `status ${code}`}); see ${dirOf(name)}/logs/herdd.log`);
  });
  say(`started herdd ${name} (pid ${child.pid}), API https://${apiOf(names.indexOf(name as 'n1'))}`);
}

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping...');
  const waits = [...children.entries()].map(([name, c]) => new Promise<void>((done) => {
    const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
    c.once('exit', () => {
      clearTimeout(timer);
      say(`herdd ${name} stopped`);
      done();
    });
    c.kill('SIGTERM');
  }));
  await Promise.all(waits);
  process.exit(code);
}

async function create(): Promise<CliContext> {
  say(`creating a 3-voter cluster in ${baseDir}`);
  const init = must(await initNode({ dataDir: dirOf('n1'), name: 'n1', cluster: 'local', listen: apiOf(0) }), 'init');
  const context: CliContext = { cluster: 'local', apiAddresses: names.map((_, i) => apiOf(i)), caPem: init.caPem, token: init.adminToken };
  saveContext(contextPath, context);
  start('n1');
  const client = new HerdClient({ addresses: [apiOf(0)], caPem: init.caPem, token: init.adminToken, timeoutMs: 3000 });
  must(await waitForApi(client, Date.now() + 60_000), 'starting n1');
  for (const [i, name] of names.entries()) {
    if (i === 0) continue;
    const token = must(await client.createJoinToken({ singleUse: true, role: 'voter', ttlMs: 600_000 }), 'join token');
    must(await joinNode({ dataDir: dirOf(name), address: apiOf(0), token: token.token, name, listen: apiOf(i), voter: true }), `join ${name}`);
    start(name);
    must(await waitForApi(new HerdClient({ addresses: [apiOf(i)], caPem: init.caPem, token: init.adminToken, timeoutMs: 3000 }), Date.now() + 60_000), `starting ${name}`);
  }
  return context;
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  let context: CliContext;
  if (existsSync(join(dirOf('n1'), 'node.json'))) {
    say(`starting the cluster kept in ${baseDir}`);
    context = must(loadContext(contextPath), 'reading the context');
    for (const name of names) if (existsSync(join(dirOf(name), 'node.json'))) start(name);
  } else {
    context = await create();
  }
  const client = new HerdClient({ addresses: context.apiAddresses, caPem: context.caPem, token: context.token, timeoutMs: 3000 });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = await client.status();
    if (s.ok && s.value.coordinator && s.value.nodes.every((n) => n.state === 'online')) {
      process.stdout.write(`\n${renderStatus(s.value)}\n\n`);
      break;
    }
    if (Date.now() > deadline) {
      say(`the cluster is not fully up after 60 s: ${s.ok ? 'some nodes are not online' : s.error.message}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const userContext = defaultContextPath();
  // The user's context may be replaced if it names this local cluster's addresses (an earlier
  // incarnation of it); a context for any other cluster is left alone.
  const existing = existsSync(userContext) ? loadContext(userContext) : undefined;
  const sameCluster = existing?.ok === true && JSON.stringify(existing.value.apiAddresses) === JSON.stringify(context.apiAddresses);
  const installed = !existsSync(userContext) || sameCluster;
  if (installed) saveContext(userContext, context);
  say(`API: https://${apiOf(0)}/v1/status (OpenAPI: https://${apiOf(0)}/v1/openapi.json)`);
  say(`CLI: ${installed ? '' : `HERD_CONTEXT=${contextPath} `}./bin/herd status`);
  say('press Ctrl-C to stop every node');
}

try {
  await main();
} catch (e) {
  say(e instanceof SetupFailed ? e.message : `unexpected error: ${(e as Error).stack ?? String(e)}`);
  await stopAll(1);
}
