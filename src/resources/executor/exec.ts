// Owns the `exec` resource class: a command kept running, monitored by pid. start runs
// `/bin/sh -c <command>` in its own process group (output appended to the `log` parameter's
// file, or /dev/null) and records `<pid> <start time>` in a pid file under the class's state
// directory; monitor answers 0 while that very process runs (same pid and start time, so a
// reused pid is not mistaken for it) and 7 otherwise; stop sends SIGTERM to the group, waits,
// then SIGKILL. Answers are OCF return codes: 0, 7, 1 (error), 2 (bad path on this node),
// 6 (bad parameters).
//
// Invariant: a process group is signalled only after its leader was identified as the
// process this class started.

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Timers } from '../../core/clock.js';
import { err, failure, ok, type Failure, type Result } from '../../core/result.js';
import { completedResult, failedResult, ocfRc } from './exit-codes.js';
import { executorLimits } from './limits.js';
import { validateParameters, type AgentMetadata } from './metadata.js';
import { agentSearchPath } from './ocf.js';
import { signalGroup } from './process.js';
import { identify, isRunning, type ProcessIdentity } from './process-identity.js';
import type { ActionName, ActionRequest, ActionResult, ResourceClass } from './types.js';

export interface ExecClassOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  /** Where pid files live; created on first start. */
  readonly stateDirectory: string;
}

const parameter = (name: string, required: boolean, shortDescription: string): AgentMetadata['parameters'][number] => ({
  name,
  required,
  unique: false,
  contentType: 'string',
  declaredType: 'string',
  options: [],
  shortDescription,
  deprecated: false,
});

export const execMetadata: AgentMetadata = {
  name: 'exec',
  shortDescription: 'A command kept running, monitored by pid',
  parameters: [
    parameter('command', true, 'Command line, run by /bin/sh -c; it must stay in the foreground'),
    parameter('cwd', false, 'Working directory'),
    parameter('log', false, 'File that stdout and stderr are appended to (default /dev/null)'),
  ],
  actions: [
    { name: 'start', timeoutMs: 20_000 },
    { name: 'stop', timeoutMs: 20_000 },
    { name: 'monitor', timeoutMs: 20_000, intervalMs: 10_000 },
    { name: 'validate-all', timeoutMs: 20_000 },
  ],
};

interface Answer {
  readonly rc: number;
  readonly exitReason?: string;
}

const answer = (rc: number, exitReason?: string): Answer => (exitReason === undefined ? { rc } : { rc, exitReason });

export class ExecClass implements ResourceClass {
  readonly name = 'exec';
  private readonly handlers: Partial<Record<ActionName, (request: ActionRequest) => Promise<Answer>>> = {
    start: (request) => this.start(request),
    stop: (request) => this.stop(request),
    monitor: (request) => Promise.resolve(this.monitor(request)),
    'validate-all': (request) => Promise.resolve(this.validate(request) ?? answer(ocfRc.success)),
  };

  constructor(private readonly options: ExecClassOptions) {}

  async run(request: ActionRequest): Promise<ActionResult> {
    const startedMs = this.options.clock.monotonicMs();
    const handler = this.handlers[request.action];
    if (handler === undefined) {
      return failedResult('not_supported', ocfRc.unimplemented, `exec resources have no ${request.action} action`, 0);
    }
    const { rc, exitReason } = await handler(request);
    return completedResult(rc, exitReason, Math.max(0, this.options.clock.monotonicMs() - startedMs));
  }

  metadata(): Promise<Result<AgentMetadata, Failure>> {
    return Promise.resolve(ok(execMetadata));
  }

  pidFile(resourceId: string): string {
    return join(this.options.stateDirectory, `exec-${encodeURIComponent(resourceId)}.pid`);
  }

  private validate(request: ActionRequest): Answer | undefined {
    const checked = validateParameters(execMetadata, request.params);
    if (!checked.ok) return answer(ocfRc.notConfigured, checked.error.map((problem) => problem.message).join('; '));
    const cwd = request.params['cwd'];
    if (cwd !== undefined && !isDirectory(cwd)) return answer(ocfRc.errorArguments, `cwd ${cwd} is not a directory on this node`);
    return undefined;
  }

  private monitor(request: ActionRequest): Answer {
    const identity = this.readPidFile(request.resourceId);
    return identity !== undefined && isRunning(identity) ? answer(ocfRc.success) : answer(ocfRc.notRunning);
  }

  private async start(request: ActionRequest): Promise<Answer> {
    const invalid = this.validate(request);
    if (invalid !== undefined) return invalid;
    const running = this.readPidFile(request.resourceId);
    if (running !== undefined && isRunning(running)) return answer(ocfRc.success);
    const logFile = request.params['log'] ?? '/dev/null';
    let logFd: number;
    try {
      logFd = openSync(logFile, 'a');
    } catch (error) {
      return answer(ocfRc.errorArguments, `cannot open log ${logFile}: ${(error as Error).message}`);
    }
    try {
      return await this.launch(request, logFd);
    } finally {
      closeSync(logFd);
    }
  }

  private async launch(request: ActionRequest, logFd: number): Promise<Answer> {
    const spawned = await spawnDetached(request, logFd);
    if (!spawned.ok) return answer(ocfRc.errorGeneric, spawned.error.message);
    const identity = identify(spawned.value);
    if (identity === undefined) return answer(ocfRc.errorGeneric, 'command exited right after it started');
    try {
      this.writePidFile(request.resourceId, identity);
    } catch (error) {
      // Without its pid file the process could never be monitored or stopped: do not leave it.
      signalGroup(identity.pid, 'SIGKILL');
      return answer(ocfRc.errorGeneric, `cannot write pid file: ${(error as Error).message}`);
    }
    return answer(ocfRc.success);
  }

  private async stop(request: ActionRequest): Promise<Answer> {
    const identity = this.readPidFile(request.resourceId);
    if (identity === undefined || !isRunning(identity)) {
      rmSync(this.pidFile(request.resourceId), { force: true });
      return answer(ocfRc.success);
    }
    const reserveMs = Math.min(executorLimits.execStopKillReserveMs, request.timeoutMs / 4);
    signalGroup(identity.pid, 'SIGTERM');
    let stopped = await this.waitUntilGone(identity, request.timeoutMs - reserveMs);
    // Also after a clean exit of the leader: children it left in its group must not outlive it.
    signalGroup(identity.pid, 'SIGKILL');
    if (!stopped) stopped = await this.waitUntilGone(identity, reserveMs);
    if (!stopped) return answer(ocfRc.errorGeneric, `process ${identity.pid} survived SIGKILL`);
    rmSync(this.pidFile(request.resourceId), { force: true });
    return answer(ocfRc.success);
  }

  private async waitUntilGone(identity: ProcessIdentity, timeoutMs: number): Promise<boolean> {
    const { clock, timers } = this.options;
    const deadlineMs = clock.monotonicMs() + timeoutMs;
    while (isRunning(identity)) {
      if (clock.monotonicMs() >= deadlineMs) return false;
      await new Promise<void>((resolve) => timers.setTimeout(resolve, executorLimits.execStopPollIntervalMs));
    }
    return true;
  }

  private readPidFile(resourceId: string): ProcessIdentity | undefined {
    let text: string;
    try {
      text = readFileSync(this.pidFile(resourceId), 'utf8');
    } catch {
      return undefined;
    }
    const [pidText, startTime] = text.trim().split(' ');
    const pid = Number(pidText);
    if (!Number.isSafeInteger(pid) || pid <= 1 || startTime === undefined) return undefined;
    return { pid, startTime };
  }

  private writePidFile(resourceId: string, identity: ProcessIdentity): void {
    mkdirSync(this.options.stateDirectory, { recursive: true });
    const file = this.pidFile(resourceId);
    writeFileSync(`${file}.new`, `${identity.pid} ${identity.startTime}\n`);
    renameSync(`${file}.new`, file);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Starts the command in its own process group, detached from the executor; resolves with its pid. */
function spawnDetached(request: ActionRequest, logFd: number): Promise<Result<number, Failure<'spawn_failed'>>> {
  const command = request.params['command'] ?? '';
  const cwd = request.params['cwd'];
  const failed = (message: string): Result<number, Failure<'spawn_failed'>> => err(failure('spawn_failed', `cannot start /bin/sh: ${message}`));
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('/bin/sh', ['-c', command], {
        detached: true,
        stdio: ['ignore', logFd, logFd],
        env: { PATH: agentSearchPath, HERD_RESOURCE_ID: request.resourceId },
        ...(cwd === undefined ? {} : { cwd }),
      });
    } catch (error) {
      // Node refuses some arguments synchronously (a NUL byte in the command).
      resolve(failed((error as Error).message));
      return;
    }
    child.once('error', (error) => resolve(failed(error.message)));
    child.once('spawn', () => {
      // The executor must neither wait for this process nor keep its event loop alive for it;
      // node still reaps it when it exits.
      child.unref();
      resolve(child.pid === undefined ? failed('no pid') : ok(child.pid));
    });
  });
}
