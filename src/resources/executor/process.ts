// Owns running one agent process: spawn it in its own process group with the environment
// given, feed it optional stdin text, capture bounded stdout and stderr, and end it on timeout
// or cancellation (SIGTERM to the whole group, SIGKILL `killGraceMs` later).
//
// Input: a ProcessRequest. Output: a ProcessResult, always; runProcess never rejects. An agent
// that cannot be spawned (ENOENT, EACCES, a NUL in its environment) is a result with
// `spawnError`; a flooding agent is drained and counted but only its head and tail are kept.
// Invariant: after a timeout or cancellation the result is not delivered until the group got
// SIGKILL or is gone, so no grandchild outlives the operation that started it.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Cancel, Clock, Timers } from '../../core/clock.js';
import { assert } from '../../core/result.js';
import { executorLimits } from './limits.js';
import { OutputCapture, type CapturedOutput } from './output.js';
import { groupHasLiveMembers } from './process-identity.js';

export interface ProcessRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly stdinText?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface SpawnError {
  /** The errno code (ENOENT, EACCES...) or ERR_INVALID_ARG_VALUE for a bad environment. */
  readonly code: string;
  readonly message: string;
}

export interface ProcessResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  readonly spawnError?: SpawnError;
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;
  readonly durationMs: number;
}

export interface ProcessRuntime {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly killGraceMs?: number;
  readonly outputHeadBytesMax?: number;
}

export function runProcess(request: ProcessRequest, runtime: ProcessRuntime): Promise<ProcessResult> {
  assert(request.timeoutMs > 0, `process timeout must be positive, got ${request.timeoutMs}`);
  return new Promise((resolve) => new ProcessRun(request, runtime, resolve).start());
}

/**
 * Sends a signal (0: none, only a check) to a whole process group. False when the group is
 * gone; true when it exists, even if it refused the signal (EPERM: a member changed user).
 */
export function signalGroup(groupId: number, signal: NodeJS.Signals | 0): boolean {
  assert(Number.isInteger(groupId) && groupId > 1, `refusing to signal process group ${groupId}`);
  try {
    process.kill(-groupId, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return true;
    throw error;
  }
}

type Ending = 'running' | 'terminating' | 'killed';

class ProcessRun {
  private readonly startedMs: number;
  private readonly stdout: OutputCapture;
  private readonly stderr: OutputCapture;
  private readonly cancels: Cancel[] = [];
  private child: ChildProcess | undefined;
  private ending: Ending = 'running';
  private timedOut = false;
  private cancelled = false;
  private exit: { code: number | null; signal: string | null } | undefined;
  private pipesClosed = false;
  private pipesGiveUp = false;
  private settled = false;

  constructor(
    private readonly request: ProcessRequest,
    private readonly runtime: ProcessRuntime,
    private readonly resolve: (result: ProcessResult) => void,
  ) {
    this.startedMs = runtime.clock.monotonicMs();
    const headBytesMax = runtime.outputHeadBytesMax ?? executorLimits.outputHeadBytesMax;
    this.stdout = new OutputCapture(headBytesMax, executorLimits.outputTailBytesMax);
    this.stderr = new OutputCapture(headBytesMax, executorLimits.outputTailBytesMax);
  }

  start(): void {
    if (this.request.signal?.aborted === true) {
      this.cancelled = true;
      this.settle();
      return;
    }
    const child = this.spawnChild();
    if (child === undefined) return;
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => this.onError(error));
    child.on('exit', (code, signal) => this.onExit(code, signal));
    child.on('close', () => {
      this.pipesClosed = true;
      this.maybeSettle();
    });
    this.writeStdin(child);
    this.cancels.push(this.runtime.timers.setTimeout(() => this.onTimeout(), this.request.timeoutMs));
    const signal = this.request.signal;
    if (signal !== undefined) {
      const onAbort = (): void => this.onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.cancels.push(() => signal.removeEventListener('abort', onAbort));
    }
  }

  private spawnChild(): ChildProcess | undefined {
    try {
      return spawn(this.request.command, [...this.request.args], {
        detached: true,
        env: { ...this.request.environment },
        stdio: [this.request.stdinText === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        ...(this.request.cwd === undefined ? {} : { cwd: this.request.cwd }),
      });
    } catch (error) {
      // Node throws synchronously for arguments it refuses (a NUL byte in the environment).
      const e = error as NodeJS.ErrnoException;
      this.settle({ code: e.code ?? 'EINVAL', message: e.message });
      return undefined;
    }
  }

  private writeStdin(child: ChildProcess): void {
    if (this.request.stdinText === undefined || child.stdin === null) return;
    // An agent that exits without reading its input makes the write fail with EPIPE: harmless.
    child.stdin.on('error', () => undefined);
    child.stdin.end(this.request.stdinText);
  }

  private onError(error: NodeJS.ErrnoException): void {
    // Before the process exists this is a spawn failure; afterwards only a failed kill, which
    // the ending logic already covers.
    if (this.child?.pid !== undefined) return;
    this.settle({ code: error.code ?? 'UNKNOWN', message: error.message });
  }

  private onTimeout(): void {
    if (this.exit !== undefined) return;
    this.timedOut = true;
    this.terminate();
  }

  private onAbort(): void {
    if (this.exit !== undefined || this.ending !== 'running') return;
    this.cancelled = true;
    this.terminate();
  }

  private terminate(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.ending !== 'running') return;
    this.ending = 'terminating';
    signalGroup(pid, 'SIGTERM');
    const graceMs = this.runtime.killGraceMs ?? executorLimits.killGraceMs;
    this.cancels.push(this.runtime.timers.setTimeout(() => this.kill(pid), graceMs));
  }

  private kill(pid: number): void {
    signalGroup(pid, 'SIGKILL');
    this.ending = 'killed';
    // A process in uninterruptible sleep may never be reaped; do not wait for it forever.
    this.cancels.push(this.runtime.timers.setTimeout(() => this.giveUp(), executorLimits.reapAfterKillWaitMs));
    this.maybeSettle();
  }

  private giveUp(): void {
    this.exit ??= { code: null, signal: null };
    this.pipesGiveUp = true;
    this.maybeSettle();
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = { code, signal };
    this.cancels.push(
      this.runtime.timers.setTimeout(() => {
        this.pipesGiveUp = true;
        this.maybeSettle();
      }, executorLimits.pipeCloseGraceMs),
    );
    this.maybeSettle();
  }

  private groupSettled(): boolean {
    if (this.ending === 'running' || this.ending === 'killed') return true;
    const pid = this.child?.pid;
    return pid === undefined || !signalGroup(pid, 0) || !groupHasLiveMembers(pid);
  }

  private maybeSettle(): void {
    if (this.settled || this.exit === undefined) return;
    if (!this.pipesClosed && !this.pipesGiveUp) return;
    if (!this.groupSettled()) return;
    this.settle();
  }

  private settle(spawnError?: SpawnError): void {
    if (this.settled) return;
    this.settled = true;
    for (const cancel of this.cancels) cancel();
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
    this.resolve({
      exitCode: this.exit?.code ?? null,
      signal: this.exit?.signal ?? null,
      timedOut: this.timedOut,
      cancelled: this.cancelled,
      ...(spawnError === undefined ? {} : { spawnError }),
      stdout: this.stdout.result(),
      stderr: this.stderr.result(),
      durationMs: Math.max(0, this.runtime.clock.monotonicMs() - this.startedMs),
    });
  }
}
