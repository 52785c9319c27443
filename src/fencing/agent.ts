// Owns running fence agents (shell). runAgent spawns one agent in its own process group, writes
// its input on stdin and waits for it with a deadline; past the deadline the whole group gets
// SIGTERM, then SIGKILL after a grace. Output is captured with bounds (stdout's head, stderr's
// tail); the rest is read and dropped so a flooding agent neither blocks nor grows memory.
// The action functions below interpret exit codes per the fence-agents API: 0 success, 1
// failure; for `status` 0 is on, 2 is off, anything else unreachable.
//
// Invariants: nothing here throws on agent misbehaviour (missing, not executable, crash, hang,
// garbage output); every such case is a failure value carrying the exit code when there was one.
// Every process group started is killed or has exited before the promise resolves.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Clock, Timers, Cancel } from '../core/clock.js';
import { assert, err, ok, type Failure, type Result } from '../core/result.js';
import { actionTimeoutMs, agentInput, targetArgumentOf, type AgentAction, type FenceDevice } from './device.js';
import { fencingLimits } from './limits.js';
import { parseListOutput, parseMetadata, type AgentMetadata, type ListEntry } from './metadata.js';

export type AgentFailureCode =
  | 'agent_not_found' | 'agent_not_executable' | 'agent_spawn_failed' | 'agent_timeout' | 'agent_killed'
  | 'agent_failed' | 'target_unreachable' | 'input_too_large' | 'output_too_large' | 'bad_metadata' | 'bad_list_output';

export interface AgentFailure extends Failure<AgentFailureCode> {
  /** The agent's exit code; null when it never exited on its own (not started, timed out, killed). */
  readonly rc: number | null;
}

export interface AgentExit {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly durationMs: number;
}

export interface AgentEnvironment {
  readonly clock: Clock;
  readonly timers: Timers;
  /** Defaults to fencingLimits.killGraceMs. */
  readonly killGraceMs?: number;
  /** Timeout of an action the device sets none for; defaults to fencingLimits.actionTimeoutMsDefault. */
  readonly actionTimeoutMsDefault?: number;
}

/** Keeps at most bytesMax of a stream: the first bytes ('head') or the last ones ('tail'). */
class BoundedCapture {
  private chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;
  constructor(private readonly bytesMax: number, private readonly keep: 'head' | 'tail') {}

  push(chunk: Buffer): void {
    if (this.keep === 'head') {
      const room = this.bytesMax - this.bytes;
      if (chunk.length > room) this.truncated = true;
      if (room <= 0) return;
      this.chunks.push(room >= chunk.length ? chunk : chunk.subarray(0, room));
      this.bytes += Math.min(room, chunk.length);
      return;
    }
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes > this.bytesMax) {
      this.truncated = true;
      const first = this.chunks[0];
      assert(first !== undefined, 'bytes over the bound means at least one chunk');
      const excess = this.bytes - this.bytesMax;
      if (first.length <= excess) this.chunks.shift();
      else this.chunks[0] = first.subarray(excess);
      this.bytes -= Math.min(first.length, excess);
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Signals a process group; false when it is gone already (ESRCH) or not ours to signal. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  assert(pid > 1, `refusing to signal process group ${pid}`);
  try {
    process.kill(-pid, signal);
    return true;
  } catch (cause) {
    // ESRCH: every process of the group has exited, which is what we want. EPERM cannot happen
    // for a group we started; if it does, the deadline still resolves the run.
    assert((cause as NodeJS.ErrnoException).code !== undefined, `kill failed without an errno: ${String(cause)}`);
    return false;
  }
}

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length <= fencingLimits.reasonStderrCharsMax ? trimmed : `...${trimmed.slice(-fencingLimits.reasonStderrCharsMax)}`;
}

function agentFailure(code: AgentFailureCode, message: string, rc: number | null): AgentFailure {
  return { code, message, rc };
}

/** One agent process from spawn to the closing of its pipes. */
class AgentProcess {
  private readonly stdout = new BoundedCapture(fencingLimits.stdoutBytesMax, 'head');
  private readonly stderr = new BoundedCapture(fencingLimits.stderrBytesMax, 'tail');
  private readonly cancels: Cancel[] = [];
  private readonly startedMs: number;
  private child: ChildProcess | undefined;
  private spawnError: NodeJS.ErrnoException | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private timedOut = false;
  private finished = false;

  constructor(
    private readonly agentPath: string,
    private readonly timeoutMs: number,
    private readonly environment: AgentEnvironment,
    private readonly resolve: (result: Result<AgentExit, AgentFailure>) => void,
  ) {
    this.startedMs = environment.clock.monotonicMs();
  }

  start(input: string): void {
    try {
      this.child = spawn(this.agentPath, [], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (cause) {
      this.spawnError = cause as NodeJS.ErrnoException;
      this.finish();
      return;
    }
    const child = this.child;
    child.on('error', (error: NodeJS.ErrnoException) => this.onError(error));
    child.on('exit', (code, signal) => this.onExit(code, signal));
    child.on('close', () => this.finish());
    child.stdout?.on('data', (chunk: Buffer) => this.stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    // An agent may exit without reading its input (EPIPE); its exit code tells what happened.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
    this.cancels.push(this.environment.timers.setTimeout(() => this.onTimeout(), this.timeoutMs));
  }

  private onError(error: NodeJS.ErrnoException): void {
    if (this.child?.pid === undefined) {
      this.spawnError = error;
      this.finish();
    }
  }

  private onTimeout(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.exit !== undefined || this.finished) return;
    this.timedOut = true;
    signalGroup(pid, 'SIGTERM');
    const killGraceMs = this.environment.killGraceMs ?? fencingLimits.killGraceMs;
    this.cancels.push(this.environment.timers.setTimeout(() => this.onKillGraceOver(), killGraceMs));
  }

  private onKillGraceOver(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.finished) return;
    signalGroup(pid, 'SIGKILL');
    this.awaitPipesClosing(pid);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.finished) return;
    this.exit ??= { code, signal };
    this.awaitPipesClosing(pid);
  }

  /** After the agent exits, a child of it may still hold the pipes: kill the group and close them. */
  private awaitPipesClosing(pid: number): void {
    this.cancels.push(this.environment.timers.setTimeout(() => {
      if (this.finished) return;
      signalGroup(pid, 'SIGKILL');
      this.child?.stdout?.destroy();
      this.child?.stderr?.destroy();
      this.finish();
    }, fencingLimits.pipeCloseGraceMs));
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const cancel of this.cancels) cancel();
    this.resolve(this.result());
  }

  private result(): Result<AgentExit, AgentFailure> {
    const stderr = tail(this.stderr.text());
    if (this.spawnError !== undefined) return err(spawnFailure(this.agentPath, this.spawnError));
    if (this.timedOut) {
      return err(agentFailure('agent_timeout', `${this.agentPath} timed out after ${this.timeoutMs} ms; its process group was killed${stderr ? `: ${stderr}` : ''}`, null));
    }
    const exit = this.exit;
    if (exit === undefined || exit.code === null) {
      return err(agentFailure('agent_killed', `${this.agentPath} was killed by ${exit?.signal ?? 'a signal'}${stderr ? `: ${stderr}` : ''}`, null));
    }
    return ok({
      rc: exit.code,
      stdout: this.stdout.text(),
      stderr: this.stderr.text(),
      stdoutTruncated: this.stdout.truncated,
      durationMs: this.environment.clock.monotonicMs() - this.startedMs,
    });
  }
}

function spawnFailure(agentPath: string, error: NodeJS.ErrnoException): AgentFailure {
  if (error.code === 'ENOENT') return agentFailure('agent_not_found', `no fence agent at ${agentPath}`, null);
  if (error.code === 'EACCES') return agentFailure('agent_not_executable', `${agentPath} is not executable`, null);
  return agentFailure('agent_spawn_failed', `could not start ${agentPath}: ${error.message}`, null);
}

/** Runs one agent with `input` on stdin; resolves (never rejects) once its process group is done. */
export function runAgent(agentPath: string, input: string, timeoutMs: number, environment: AgentEnvironment): Promise<Result<AgentExit, AgentFailure>> {
  assert(timeoutMs > 0 && Number.isFinite(timeoutMs), `agent timeout must be positive, got ${timeoutMs}`);
  if (Buffer.byteLength(input) > fencingLimits.agentInputBytesMax) {
    return Promise.resolve(err(agentFailure('input_too_large', `agent input is over ${fencingLimits.agentInputBytesMax} bytes`, null)));
  }
  return new Promise((resolve) => new AgentProcess(agentPath, timeoutMs, environment, resolve).start(input));
}

/** Reads an agent's metadata (needs no device parameters). */
export async function readMetadata(agentPath: string, environment: AgentEnvironment): Promise<Result<AgentMetadata, AgentFailure>> {
  const run = await runAgent(agentPath, 'action=metadata\n', fencingLimits.metadataTimeoutMs, environment);
  if (!run.ok) return run;
  if (run.value.rc !== 0) return err(exitFailure(agentPath, 'metadata', run.value));
  if (run.value.stdoutTruncated) return err(agentFailure('output_too_large', `metadata of ${agentPath} is over ${fencingLimits.stdoutBytesMax} bytes`, 0));
  const metadata = parseMetadata(run.value.stdout);
  return metadata.ok ? metadata : err(agentFailure('bad_metadata', `${agentPath}: ${metadata.error.message}`, 0));
}

function exitFailure(agentPath: string, action: string, exit: AgentExit): AgentFailure {
  const stderr = tail(exit.stderr);
  return agentFailure('agent_failed', `${agentPath} ${action} exited with ${exit.rc}${stderr ? `: ${stderr}` : ''}`, exit.rc);
}

/** Runs one action of a device's agent, with the device's timeout and argument conventions. */
export function runDeviceAction(
  device: FenceDevice,
  action: AgentAction,
  target: string | undefined,
  metadata: AgentMetadata | undefined,
  environment: AgentEnvironment,
): Promise<Result<AgentExit, AgentFailure>> {
  const targetArgument = targetArgumentOf(device.settings, metadata?.parameters.map((p) => p.name));
  const input = agentInput(device, {
    action,
    ...(target === undefined ? {} : { target }),
    ...(targetArgument === undefined ? {} : { targetArgument }),
  });
  const timeoutMs = actionTimeoutMs(device.settings, action, environment.actionTimeoutMsDefault ?? fencingLimits.actionTimeoutMsDefault);
  return runAgent(device.agent, input, timeoutMs, environment);
}

/** off, on or reboot of a target through one device: exit code 0 is success. */
export async function fenceThroughDevice(
  device: FenceDevice,
  action: 'off' | 'on' | 'reboot',
  target: string,
  metadata: AgentMetadata | undefined,
  environment: AgentEnvironment,
): Promise<Result<AgentExit, AgentFailure>> {
  const run = await runDeviceAction(device, action, target, metadata, environment);
  if (!run.ok || run.value.rc === 0) return run;
  return err(exitFailure(device.agent, action, run.value));
}

/** The power state of a target as the device sees it: 0 on, 2 off, anything else unreachable. */
export async function targetPowerStatus(
  device: FenceDevice,
  target: string,
  metadata: AgentMetadata | undefined,
  environment: AgentEnvironment,
): Promise<Result<'on' | 'off', AgentFailure>> {
  const run = await runDeviceAction(device, 'status', target, metadata, environment);
  if (!run.ok) return run;
  if (run.value.rc === 0) return ok('on');
  if (run.value.rc === 2) return ok('off');
  const stderr = tail(run.value.stderr);
  return err(agentFailure('target_unreachable', `${device.agent} status of ${target} exited with ${run.value.rc}${stderr ? `: ${stderr}` : ''}`, run.value.rc));
}

/** Whether the device itself works (`monitor`). */
export async function monitorDevice(device: FenceDevice, metadata: AgentMetadata | undefined, environment: AgentEnvironment): Promise<Result<void, AgentFailure>> {
  const run = await runDeviceAction(device, 'monitor', undefined, metadata, environment);
  if (!run.ok) return run;
  return run.value.rc === 0 ? ok(undefined) : err(exitFailure(device.agent, 'monitor', run.value));
}

/** The targets (ports and aliases) the device reports with `list`. */
export async function listDevice(device: FenceDevice, metadata: AgentMetadata | undefined, environment: AgentEnvironment): Promise<Result<readonly ListEntry[], AgentFailure>> {
  const run = await runDeviceAction(device, 'list', undefined, metadata, environment);
  if (!run.ok) return run;
  if (run.value.rc !== 0) return err(exitFailure(device.agent, 'list', run.value));
  if (run.value.stdoutTruncated) return err(agentFailure('output_too_large', `list output of ${device.agent} is over ${fencingLimits.stdoutBytesMax} bytes`, 0));
  const entries = parseListOutput(run.value.stdout);
  return entries.ok ? entries : err(agentFailure('bad_list_output', `${device.agent}: ${entries.error.message}`, 0));
}
