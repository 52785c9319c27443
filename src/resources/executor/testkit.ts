// Owns what the executor's tests share: temporary directories and OCF roots with small test
// agents, a condition-and-deadline wait (tests never sleep a fixed time), timers the test
// fires by hand, and killing the processes a test started, by pid. Not part of the public
// surface (index.ts does not export it).

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, systemTimers, type Cancel, type Timers } from '../../core/clock.js';
import { isPidRunning } from './process-identity.js';
import type { Operation } from './operation.js';

export const runtime = { clock: systemClock, timers: systemTimers };

/** Where the Debian resource-agents and pacemaker-resource-agents packages install agents. */
export const systemOcfRoot = '/usr/lib/ocf';

export function temporaryDirectory(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `herd-executor-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes an executable test agent `<ocfRoot>/resource.d/<provider>/<type>`; returns its path. */
export function writeAgent(ocfRoot: string, provider: string, type: string, script: string, mode = 0o755): string {
  const directory = join(ocfRoot, 'resource.d', provider);
  mkdirSync(directory, { recursive: true });
  const file = join(directory, type);
  writeFileSync(file, script);
  chmodSync(file, mode);
  return file;
}

/** Polls `condition` every few milliseconds until it holds; fails the test at the deadline. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadlineMs = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadlineMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Reads a pid a test agent wrote to a file, or undefined when it has not written it (yet). */
export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Kills a process the test started, if it still runs. */
export function killPid(pid: number | undefined): void {
  if (pid === undefined || !isPidRunning(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // It exited between the check and the kill.
  }
}

/** Timers that fire only when the test says so, for deterministic recurring schedules. */
export class ManualTimers implements Timers {
  private readonly pending = new Map<number, () => void>();
  private lastId = 0;

  setTimeout(fn: () => void, _delayMs: number): Cancel {
    this.lastId += 1;
    const id = this.lastId;
    this.pending.set(id, fn);
    return () => this.pending.delete(id);
  }

  setInterval(): Cancel {
    throw new Error('ManualTimers has no setInterval: the executor schedules each run after the previous one');
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Fires every timer pending now (not the ones they schedule). */
  fireAll(): number {
    const due = [...this.pending.entries()];
    this.pending.clear();
    for (const [, fn] of due) fn();
    return due.length;
  }
}

/**
 * Ends a hung agent by hand, once it is known to have started: fires its timeout (SIGTERM to
 * its group), then its kill grace (SIGKILL). Its later timers (pipe grace, reaping) are left
 * unfired, so the result must come from the process really ending.
 */
export function fireTimeoutThenKill(timers: ManualTimers): void {
  for (const step of ['timeout', 'kill grace']) {
    const fired = timers.fireAll();
    if (fired !== 1) throw new Error(`expected one pending ${step} timer, fired ${fired}`);
  }
}

export function ocfOperation(fields: Partial<Operation> & Pick<Operation, 'resourceId' | 'type' | 'action'>): Operation {
  return { class: 'ocf', provider: 'pacemaker', intervalMs: 0, timeoutMs: 20_000, params: {}, meta: {}, ...fields };
}

/** A test agent that answers every action with the rc in `$OCF_RESKEY_rcfile` and counts its runs in `$OCF_RESKEY_countfile`. */
export const scriptedAgent = `#!/bin/sh
[ "$1" = meta-data ] && { echo '<resource-agent name="scripted"><parameters/><actions/></resource-agent>'; exit 0; }
echo run >> "$OCF_RESKEY_countfile"
rc=$(cat "$OCF_RESKEY_rcfile" 2>/dev/null || echo 0)
[ "$rc" = 0 ] || echo "ocf-exit-reason:scripted rc $rc" >&2
exit "$rc"
`;

export function lineCount(file: string): number {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0).length;
  } catch {
    return 0;
  }
}
