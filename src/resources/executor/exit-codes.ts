// Owns the meaning of OCF return codes and the turning of a finished process into an
// ActionResult, following Pacemaker ("Pacemaker Explained", OCF return codes):
//   0 success; 1 generic error (soft); 2 bad arguments, 3 unimplemented, 4 insufficient
//   privileges, 5 not installed (hard); 6 not configured (fatal); 7 not running; 8 running
//   promoted; 9 failed promoted (soft); 190 degraded and 191 degraded promoted (successes).
// Any other code, a death by signal and a timeout are soft failures with rc 1. Whether an
// answer is what an action expected (rc 7 from a recurring monitor is a failure, from a probe
// it is not) is also decided here, in `meetsExpectation`. Pure: no I/O.

import type { ProcessResult } from './process.js';
import type { ActionName, ActionResult, OperationStatus, Outcome, Severity } from './types.js';
import { executorLimits } from './limits.js';
import { keptText, outputExcerpt } from './output.js';

export const ocfRc = {
  success: 0,
  errorGeneric: 1,
  errorArguments: 2,
  unimplemented: 3,
  insufficientPrivileges: 4,
  notInstalled: 5,
  notConfigured: 6,
  notRunning: 7,
  runningPromoted: 8,
  failedPromoted: 9,
  degraded: 190,
  degradedPromoted: 191,
} as const;

export interface RcMeaning {
  readonly outcome: Outcome;
  readonly severity?: Severity;
  /** False for codes the OCF API does not define. */
  readonly defined: boolean;
}

const meanings: ReadonlyMap<number, RcMeaning> = new Map<number, RcMeaning>([
  [ocfRc.success, { outcome: 'ok', defined: true }],
  [ocfRc.errorGeneric, { outcome: 'failed', severity: 'soft', defined: true }],
  [ocfRc.errorArguments, { outcome: 'failed', severity: 'hard', defined: true }],
  [ocfRc.unimplemented, { outcome: 'failed', severity: 'hard', defined: true }],
  [ocfRc.insufficientPrivileges, { outcome: 'failed', severity: 'hard', defined: true }],
  [ocfRc.notInstalled, { outcome: 'failed', severity: 'hard', defined: true }],
  [ocfRc.notConfigured, { outcome: 'failed', severity: 'fatal', defined: true }],
  [ocfRc.notRunning, { outcome: 'not_running', defined: true }],
  [ocfRc.runningPromoted, { outcome: 'running_promoted', defined: true }],
  [ocfRc.failedPromoted, { outcome: 'failed', severity: 'soft', defined: true }],
  [ocfRc.degraded, { outcome: 'ok', defined: true }],
  [ocfRc.degradedPromoted, { outcome: 'running_promoted', defined: true }],
]);

export function meaningOf(rc: number): RcMeaning {
  return meanings.get(rc) ?? { outcome: 'failed', severity: 'soft', defined: false };
}

/** A failure the executor itself decided (the agent gave no exit code to interpret). */
export function failedResult(status: OperationStatus, rc: number, exitReason: string, durationMs: number, output = ''): ActionResult {
  const severity = meaningOf(rc).severity ?? 'soft';
  return { rc, status, outcome: 'failed', severity, exitReason, durationMs, output };
}

/** The result of an agent that ran to completion and answered `rc`. */
export function completedResult(rc: number, exitReason: string | undefined, durationMs: number, output = ''): ActionResult {
  const meaning = meaningOf(rc);
  return {
    rc,
    status: 'done',
    outcome: meaning.outcome,
    ...(meaning.severity === undefined ? {} : { severity: meaning.severity }),
    ...(exitReason === undefined ? {} : { exitReason }),
    durationMs,
    output,
  };
}

/** The last `ocf-exit-reason:` line an agent wrote to stderr, trimmed and bounded. */
export function parseExitReason(stderr: string): string | undefined {
  const prefix = 'ocf-exit-reason:';
  let reason: string | undefined;
  for (const line of stderr.split('\n')) {
    const at = line.indexOf(prefix);
    if (at >= 0) reason = line.slice(at + prefix.length).trim();
  }
  if (reason === undefined || reason.length === 0) return undefined;
  return reason.slice(0, executorLimits.exitReasonCharsMax);
}

const spawnErrorRc: Readonly<Record<string, number>> = {
  ENOENT: ocfRc.notInstalled,
  EACCES: ocfRc.insufficientPrivileges,
  EPERM: ocfRc.insufficientPrivileges,
};

/** Turns a finished agent process into the result of the action it ran. */
export function interpretProcess(result: ProcessResult, agent: string, timeoutMs: number): ActionResult {
  const output = outputExcerpt(result.stdout, result.stderr, executorLimits.outputExcerptCharsMax);
  const { durationMs } = result;
  if (result.spawnError !== undefined) {
    const rc = spawnErrorRc[result.spawnError.code] ?? ocfRc.errorGeneric;
    return failedResult('error', rc, `cannot run ${agent}: ${result.spawnError.message}`, durationMs, output);
  }
  if (result.cancelled) {
    return { rc: ocfRc.errorGeneric, status: 'cancelled', outcome: 'failed', exitReason: 'cancelled', durationMs, output };
  }
  if (result.timedOut) {
    return failedResult('timeout', ocfRc.errorGeneric, `${agent} timed out after ${timeoutMs} ms`, durationMs, output);
  }
  const agentReason = parseExitReason(keptText(result.stderr));
  if (result.exitCode === null) {
    const reason = agentReason ?? `${agent} was killed by signal ${result.signal ?? 'unknown'}`;
    return failedResult('error', ocfRc.errorGeneric, reason, durationMs, output);
  }
  const rc = result.exitCode;
  const meaning = meaningOf(rc);
  const exitReason = agentReason ?? (meaning.defined ? undefined : `${agent} exited with undefined code ${rc}`);
  return completedResult(rc, exitReason, durationMs, output);
}

/**
 * Whether an answer is the one the action expected. Cancelled operations never count; a
 * failed outcome always does. A probe (monitor, interval 0) expects nothing in particular; a
 * recurring monitor expects `expected` (default ok: running, unpromoted); stop accepts "not
 * running" (already stopped is stopped); every other action expects ok.
 */
export function meetsExpectation(action: ActionName, intervalMs: number, result: ActionResult, expected?: Outcome): boolean {
  if (result.status === 'cancelled') return true;
  if (result.outcome === 'failed') return false;
  if (expected !== undefined) return result.outcome === expected;
  if (action === 'monitor') return intervalMs === 0 || result.outcome === 'ok';
  if (action === 'stop') return result.outcome === 'ok' || result.outcome === 'not_running';
  return result.outcome === 'ok';
}
