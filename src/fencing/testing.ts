// Owns helpers for the fencing tests (not part of the public surface): finding the repository's
// test agents, writing temporary agents, starting and checking processes by pid, and waiting on
// conditions with deadlines instead of fixed sleeps.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock, systemTimers } from '../core/clock.js';
import { seededRandom } from '../core/random.js';
import type { FencerEnvironment } from './fencer.js';

export const waitTimeoutMs = 15_000;
export const fenceDummyPath = '/usr/sbin/fence_dummy';
export const fenceDummyMissing = existsSync(fenceDummyPath) ? false : 'fence-agents is not installed (no /usr/sbin/fence_dummy)';

function isHerdRoot(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'herd';
}

function findUp(start: string): string | undefined {
  for (let dir = start, steps = 0; steps < 64; dir = dirname(dir), steps++) {
    if (isHerdRoot(dir)) return dir;
    if (dirname(dir) === dir) return undefined;
  }
  return undefined;
}

/** The repository root: up from the compiled file (dist/), else up from the working directory. */
export function repositoryRoot(): string {
  const root = findUp(dirname(fileURLToPath(import.meta.url))) ?? findUp(process.cwd());
  assert.ok(root !== undefined, 'no directory with the herd package.json above this file or the working directory');
  return root;
}

export function herdKillAgentPath(): string {
  return join(repositoryRoot(), 'test', 'agents', 'fence_herd_kill');
}

export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `herd-fencing-${prefix}-`));
}

export function testEnvironment(overrides: Partial<FencerEnvironment> = {}): FencerEnvironment {
  return { clock: systemClock, timers: systemTimers, random: seededRandom(7), killGraceMs: 300, ...overrides };
}

export function writeExecutable(path: string, text: string): string {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

const minimalMetadata = (actions: readonly string[]) => `<?xml version="1.0" ?>
<resource-agent name="fence_test" shortdesc="test agent">
<parameters>
  <parameter name="port" required="0"><content type="string"/></parameter>
  <parameter name="log" required="0"><content type="string"/></parameter>
</parameters>
<actions>${actions.map((a) => `<action name="${a}"/>`).join('')}</actions>
</resource-agent>`;

/**
 * A bash fence agent that reads key=value input, answers `metadata` with the given actions and
 * runs `body` for everything else, with $action, $port and $log set. It appends "action port"
 * to $log when the device sets `log`.
 */
export function scriptAgent(dir: string, name: string, body: string, actions: readonly string[] = ['on', 'off', 'reboot', 'status', 'monitor', 'list', 'metadata']): string {
  return writeExecutable(join(dir, name), `#!/bin/bash
action=reboot; port=""; log=""
while IFS= read -r line; do
  case "$line" in action=*) action=\${line#*=};; port=*) port=\${line#*=};; log=*) log=\${line#*=};; esac
done
if [ "$action" = metadata ]; then
cat <<'XML'
${minimalMetadata(actions)}
XML
exit 0
fi
[ -n "$log" ] && echo "$action $port" >> "$log"
${body}
`);
}

/** Alive and not a zombie (a zombie has exited; it only waits to be reaped). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = waitTimeoutMs): Promise<void> {
  const deadlineMs = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadlineMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts `sleep` as a stand-in for a herdd; returns its pid. */
export function startSleeper(): number {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  assert.ok(child.pid !== undefined, 'sleep started');
  return child.pid;
}

/** Kills a process this test started, by pid, if it still runs. */
export function killIfAlive(pid: number | undefined): void {
  if (pid === undefined || !isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Exited between the check and the kill: nothing left to clean up.
  }
}
