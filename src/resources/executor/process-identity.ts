// Owns telling whether a process is still the one we started: a pid alone can be reused, so a
// process is named by its pid and its start time (field 22 of /proc/<pid>/stat, in clock
// ticks since boot). A zombie (exited, not yet reaped) counts as gone. Also owns asking
// whether a process group still has live members. Linux only.

import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: string;
}

interface ProcessStat {
  readonly state: string;
  readonly groupId: number;
  readonly startTime: string;
}

function readStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const groupId = Number(fields[2]);
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return undefined;
  return { state, groupId, startTime };
}

const isLive = (stat: ProcessStat): boolean => stat.state !== 'Z' && stat.state !== 'X';

/** The identity of a live process, or undefined when it is gone or a zombie. */
export function identify(pid: number): ProcessIdentity | undefined {
  const stat = readStat(pid);
  if (stat === undefined || !isLive(stat)) return undefined;
  return { pid, startTime: stat.startTime };
}

/** Whether the very process named by `identity` still runs. */
export function isRunning(identity: ProcessIdentity): boolean {
  return identify(identity.pid)?.startTime === identity.startTime;
}

/** Whether any process with this pid still runs (tests use it to check that no child outlived its operation). */
export function isPidRunning(pid: number): boolean {
  return identify(pid) !== undefined;
}

/**
 * Whether any live (not zombie) process is in the process group. Scans /proc, so it is only
 * for the rare paths that end an agent: where init does not reap orphans promptly, a killed
 * grandchild lingers as a zombie and kill(-group, 0) would still find it.
 */
export function groupHasLiveMembers(groupId: number): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat !== undefined && stat.groupId === groupId && isLive(stat)) return true;
  }
  return false;
}
