// Owns the executor's operation vocabulary: the Operation a caller asks for, the
// OperationRecord every run produces (the caller persists records; the executor keeps none),
// and the checks an operation must pass before it is queued. Pure: no I/O.

import { err, failure, ok, type Failure, type Result } from '../../core/result.js';
import { meetsExpectation } from './exit-codes.js';
import type { ExecutorLimits } from './limits.js';
import { isActionName, type ActionName, type ActionRequest, type ActionResult, type OperationStatus, type Outcome, type Severity } from './types.js';

/** An action request plus what the executor needs to queue it; intervalMs > 0 recurs. */
export interface Operation extends Omit<ActionRequest, 'signal'> {
  /** The resource class: `ocf`, `exec`, `systemd`. */
  readonly class: string;
  /** The outcome a recurring monitor expects: ok (the default) or running_promoted. */
  readonly expectedOutcome?: Outcome;
}

export interface OperationRecord {
  /** Increases with every operation the executor runs. */
  readonly callId: number;
  readonly resourceId: string;
  readonly action: ActionName;
  readonly intervalMs: number;
  readonly rc: number;
  readonly status: OperationStatus;
  readonly outcome: Outcome;
  /** Present when `failed`: the recovery the failure calls for. */
  readonly severity?: Severity;
  readonly exitReason?: string;
  /** The answer is not what the action expected; it was counted in the resource's failcount. */
  readonly failed: boolean;
  /** Wall time the agent was started (not queued). */
  readonly startedAtMs: number;
  readonly durationMs: number;
  readonly output: string;
}

export type ExecutorFailureCode =
  | 'invalid_operation'
  | 'unknown_class'
  | 'queue_full'
  | 'too_many_resources'
  | 'too_many_recurring'
  | 'executor_closed';

export type ExecutorFailure = Failure<ExecutorFailureCode>;

type CheckedLimits = Pick<ExecutorLimits, 'resourceIdCharsMax' | 'operationTimeoutMsMax' | 'operationParametersMax' | 'parameterValueCharsMax'>;

export function checkOperation(operation: Operation, limits: CheckedLimits): Result<Operation, ExecutorFailure> {
  const invalid = (message: string, field: string): Result<Operation, ExecutorFailure> => err(failure('invalid_operation', message, field));
  const { resourceId, intervalMs, timeoutMs } = operation;
  if (resourceId.length === 0 || resourceId.length > limits.resourceIdCharsMax || resourceId.includes('\0')) {
    return invalid(`resource id must be 1 to ${limits.resourceIdCharsMax} characters without NUL`, 'resourceId');
  }
  if (!isActionName(operation.action)) return invalid(`unknown action ${JSON.stringify(operation.action)}`, 'action');
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 0) return invalid(`interval must be a whole number of ms >= 0, got ${intervalMs}`, 'intervalMs');
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > limits.operationTimeoutMsMax) {
    return invalid(`timeout must be a whole number of ms in 1..${limits.operationTimeoutMsMax}, got ${timeoutMs}`, 'timeoutMs');
  }
  for (const [group, values] of [['params', operation.params], ['meta', operation.meta], ['extraMeta', operation.extraMeta ?? {}]] as const) {
    const entries = Object.entries(values);
    if (entries.length > limits.operationParametersMax) return invalid(`more than ${limits.operationParametersMax} ${group}`, group);
    for (const [name, value] of entries) {
      if (value.length > limits.parameterValueCharsMax || value.includes('\0') || name.includes('\0')) {
        return invalid(`${group}.${name} must be at most ${limits.parameterValueCharsMax} characters without NUL`, `${group}.${name}`);
      }
    }
  }
  return ok(operation);
}

export function toRecord(operation: Operation, result: ActionResult, callId: number, startedAtMs: number): OperationRecord {
  const failed = !meetsExpectation(operation.action, operation.intervalMs, result, operation.expectedOutcome);
  // An answer that is valid but unexpected (rc 7 from a recurring monitor) is a soft failure.
  const severity = result.severity ?? (failed ? 'soft' : undefined);
  return {
    callId,
    resourceId: operation.resourceId,
    action: operation.action,
    intervalMs: operation.intervalMs,
    rc: result.rc,
    status: result.status,
    outcome: result.outcome,
    ...(severity === undefined ? {} : { severity }),
    ...(result.exitReason === undefined ? {} : { exitReason: result.exitReason }),
    failed,
    startedAtMs,
    durationMs: result.durationMs,
    output: result.output,
  };
}

/** Whether two results of the same recurring operation say the same thing. */
export function sameAnswer(a: OperationRecord, b: OperationRecord): boolean {
  return a.rc === b.rc && a.status === b.status && a.outcome === b.outcome && a.exitReason === b.exitReason;
}
