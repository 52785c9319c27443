// Owns the `systemd` resource class: `systemd:<unit>` resources driven by `systemctl start`,
// `stop` and `is-active`, answers mapped to OCF return codes (start/stop: 0 or 1, 5 when the
// unit does not exist; monitor: 0 while active, reloading or activating, 7 otherwise). Where
// systemd is not the init system (no /run/systemd/system) every action answers
// `not_supported` with rc 5, never a misleading "not running".

import { existsSync } from 'node:fs';
import type { Clock, Timers } from '../../core/clock.js';
import { ok, type Failure, type Result } from '../../core/result.js';
import { failedResult, interpretProcess, meaningOf, ocfRc } from './exit-codes.js';
import { executorLimits } from './limits.js';
import type { AgentMetadata } from './metadata.js';
import { agentSearchPath } from './ocf.js';
import { outputExcerpt } from './output.js';
import { runProcess, type ProcessResult } from './process.js';
import type { ActionName, ActionRequest, ActionResult, ResourceClass } from './types.js';

export interface SystemdClassOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly systemctl?: string;
  /** Exists exactly when systemd runs as init (sd_booted(3)). */
  readonly runtimeDirectory?: string;
}

export const systemdMetadata: AgentMetadata = {
  name: 'systemd',
  shortDescription: 'A systemd unit',
  parameters: [],
  actions: [
    { name: 'start', timeoutMs: 100_000 },
    { name: 'stop', timeoutMs: 100_000 },
    { name: 'monitor', timeoutMs: 100_000, intervalMs: 60_000 },
  ],
};

const verbs: Partial<Record<ActionName, string>> = { start: 'start', stop: 'stop', monitor: 'is-active' };
const activeStates = new Set(['active', 'reloading', 'activating', 'refreshing']);
/** systemctl's exit code for "unit not loaded" (LSB "program is not installed"). */
const unitNotFoundExitCode = 5;
const unitPattern = /^[A-Za-z0-9_.@:\\][A-Za-z0-9_.@:\\-]*$/;
const unitSuffixPattern = /\.(service|socket|target|mount|automount|timer|path|slice|scope|swap|device)$/;

export class SystemdClass implements ResourceClass {
  readonly name = 'systemd';
  private readonly systemctl: string;
  private readonly runtimeDirectory: string;

  constructor(private readonly options: SystemdClassOptions) {
    this.systemctl = options.systemctl ?? '/usr/bin/systemctl';
    this.runtimeDirectory = options.runtimeDirectory ?? '/run/systemd/system';
  }

  async run(request: ActionRequest): Promise<ActionResult> {
    if (!existsSync(this.runtimeDirectory)) {
      return failedResult('not_supported', ocfRc.notInstalled, `systemd is not running on this node (no ${this.runtimeDirectory})`, 0);
    }
    const verb = verbs[request.action];
    if (verb === undefined) return failedResult('not_supported', ocfRc.unimplemented, `systemd resources have no ${request.action} action`, 0);
    if (!unitPattern.test(request.type)) return failedResult('error', ocfRc.notConfigured, `invalid systemd unit name ${JSON.stringify(request.type)}`, 0);
    const unit = unitSuffixPattern.test(request.type) ? request.type : `${request.type}.service`;
    const result = await runProcess(
      {
        command: this.systemctl,
        args: ['--no-ask-password', verb, unit],
        environment: { PATH: agentSearchPath },
        timeoutMs: request.timeoutMs,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      },
      { clock: this.options.clock, timers: this.options.timers },
    );
    const what = `systemctl ${verb} ${unit}`;
    if (result.exitCode === null || result.spawnError !== undefined || result.timedOut || result.cancelled) {
      return interpretProcess(result, what, request.timeoutMs);
    }
    return answerFor(request.action, result, what);
  }

  metadata(): Promise<Result<AgentMetadata, Failure>> {
    return Promise.resolve(ok(systemdMetadata));
  }
}

function rcFor(action: ActionName, result: ProcessResult): number {
  if (action === 'monitor') return activeStates.has(result.stdout.text.trim().split('\n')[0] ?? '') ? ocfRc.success : ocfRc.notRunning;
  if (result.exitCode === 0) return ocfRc.success;
  if (result.exitCode === unitNotFoundExitCode) return action === 'stop' ? ocfRc.success : ocfRc.notInstalled;
  return ocfRc.errorGeneric;
}

function answerFor(action: ActionName, result: ProcessResult, what: string): ActionResult {
  const rc = rcFor(action, result);
  const meaning = meaningOf(rc);
  const firstError = result.stderr.text.trim().split('\n')[0] ?? '';
  const exitReason = meaning.outcome === 'failed' ? firstError || `${what} exited with ${result.exitCode}` : undefined;
  return {
    rc,
    status: 'done',
    outcome: meaning.outcome,
    ...(meaning.severity === undefined ? {} : { severity: meaning.severity }),
    ...(exitReason === undefined ? {} : { exitReason: exitReason.slice(0, executorLimits.exitReasonCharsMax) }),
    durationMs: result.durationMs,
    output: outputExcerpt(result.stdout, result.stderr, executorLimits.outputExcerptCharsMax),
  };
}
