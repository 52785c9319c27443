// Owns the per-node executor (pacemaker-execd's job): it runs resource operations through the
// class registry, one at a time per resource (a bounded queue per resource; resources run in
// parallel), repeats recurring operations every interval, counts failures per resource in
// memory, and hands every record to `onResult` (the caller persists them).
//
// Reporting: a one-shot operation's record goes to onResult and to the caller of run(). A
// recurring operation reports its first result, every result that differs from the previous
// one, and every failure; a result that arrives after the operation was cancelled is dropped.
// Invariants: at most one operation runs per resource; a recurring operation is never queued
// twice (the next run is scheduled when the previous one ends); a hung, crashed or flooding
// agent, or a class that throws, becomes a failed record, never a stuck or crashed executor.
// onResult must not throw: an exception there is a programmer error and is not caught.

import type { Cancel, Clock, Timers } from '../../core/clock.js';
import { assert, err, failure, ok, type Failure, type Result } from '../../core/result.js';
import { failedResult, ocfRc } from './exit-codes.js';
import { executorLimits, type ExecutorLimits } from './limits.js';
import type { AgentMetadata } from './metadata.js';
import { checkOperation, sameAnswer, toRecord, type ExecutorFailure, type Operation, type OperationRecord } from './operation.js';
import type { ClassRegistry } from './registry.js';
import type { ActionResult, AgentName, ResourceClass } from './types.js';

export interface ExecutorOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly registry: ClassRegistry;
  readonly onResult: (record: OperationRecord) => void;
  /** Overrides of the executor's own limits (queue length, resources, recurring operations). */
  readonly limits?: Partial<ExecutorLimits>;
}

interface RecurringOperation {
  readonly key: string;
  readonly operation: Operation;
  cancelled: boolean;
  cancelTimer: Cancel | undefined;
  previous: OperationRecord | undefined;
}

interface Job {
  readonly operation: Operation;
  readonly recurring: RecurringOperation | undefined;
  /** Called once with the record, or with a failure when the job never ran. */
  readonly complete: (outcome: Result<OperationRecord, ExecutorFailure>) => void;
}

interface Lane {
  readonly queue: Job[];
  running: { readonly abort: AbortController; readonly done: Promise<void> } | undefined;
  failcount: number;
  readonly recurring: Map<string, RecurringOperation>;
}

const recurringKey = (resourceId: string, action: string, intervalMs: number): string => `${resourceId}\u0000${action}\u0000${intervalMs}`;

export class Executor {
  private readonly limits: ExecutorLimits;
  private readonly lanes = new Map<string, Lane>();
  private recurringCount = 0;
  private lastCallId = 0;
  private closed = false;

  constructor(private readonly options: ExecutorOptions) {
    this.limits = { ...executorLimits, ...options.limits };
  }

  /** Queues a one-shot operation; resolves with its record once it ran. */
  run(operation: Operation): Promise<Result<OperationRecord, ExecutorFailure>> {
    const lane = this.admit(operation);
    if (!lane.ok) return Promise.resolve(lane);
    return new Promise((resolve) => {
      lane.value.queue.push({
        operation,
        recurring: undefined,
        complete: (outcome) => {
          if (outcome.ok) this.options.onResult(outcome.value);
          resolve(outcome);
        },
      });
      this.pump(operation.resourceId);
    });
  }

  /** Starts running `operation` now and every `intervalMs` after each run ends; replaces a recurring operation with the same key. */
  startRecurring(operation: Operation): Result<void, ExecutorFailure> {
    if (operation.intervalMs < this.limits.recurringIntervalMsMin) {
      return err(failure('invalid_operation', `a recurring interval must be at least ${this.limits.recurringIntervalMsMin} ms`, 'intervalMs'));
    }
    const lane = this.admit(operation);
    if (!lane.ok) return lane;
    const key = recurringKey(operation.resourceId, operation.action, operation.intervalMs);
    const replaced = lane.value.recurring.get(key);
    if (replaced !== undefined) this.stopRecurring(lane.value, replaced);
    if (this.recurringCount >= this.limits.recurringOperationsMax) {
      this.releaseIfIdle(operation.resourceId);
      return err(failure('too_many_recurring', `the executor already runs ${this.recurringCount} recurring operations`));
    }
    const recurring: RecurringOperation = { key, operation, cancelled: false, cancelTimer: undefined, previous: undefined };
    lane.value.recurring.set(key, recurring);
    this.recurringCount += 1;
    this.tick(recurring);
    return ok(undefined);
  }

  /** Stops a recurring operation; a run in progress finishes but is not reported. False when there was none. */
  cancelRecurring(resourceId: string, action: string, intervalMs: number): boolean {
    const lane = this.lanes.get(resourceId);
    const recurring = lane?.recurring.get(recurringKey(resourceId, action, intervalMs));
    if (lane === undefined || recurring === undefined) return false;
    this.stopRecurring(lane, recurring);
    this.releaseIfIdle(resourceId);
    return true;
  }

  /** Stops every recurring operation of a resource (queued one-shot operations still run); returns how many. */
  cancelAll(resourceId: string): number {
    const lane = this.lanes.get(resourceId);
    if (lane === undefined) return 0;
    const all = [...lane.recurring.values()];
    for (const { operation } of all) this.cancelRecurring(resourceId, operation.action, operation.intervalMs);
    return all.length;
  }

  failcount(resourceId: string): number {
    return this.lanes.get(resourceId)?.failcount ?? 0;
  }

  clearFailures(resourceId: string): void {
    const lane = this.lanes.get(resourceId);
    if (lane === undefined) return;
    lane.failcount = 0;
    this.releaseIfIdle(resourceId);
  }

  /** An agent's meta-data, read through its class (not serialized with the resource's operations). */
  metadata(className: string, agent: AgentName): Promise<Result<AgentMetadata, Failure>> {
    const resourceClass = this.options.registry.get(className);
    if (resourceClass === undefined) return Promise.resolve(err(this.unknownClass(className)));
    return resourceClass.metadata(agent);
  }

  /** Cancels every recurring operation, drops queued ones, cancels running ones and waits for them. */
  async close(): Promise<void> {
    this.closed = true;
    const running: Promise<void>[] = [];
    for (const [resourceId, lane] of this.lanes) {
      this.cancelAll(resourceId);
      for (const job of lane.queue.splice(0)) job.complete(err(failure('executor_closed', 'the executor closed before the operation ran')));
      if (lane.running !== undefined) {
        lane.running.abort.abort();
        running.push(lane.running.done);
      }
    }
    await Promise.all(running);
  }

  /** Cancels a recurring operation's timer and queued run; leaves the lane in place. */
  private stopRecurring(lane: Lane, recurring: RecurringOperation): void {
    assert(lane.recurring.get(recurring.key) === recurring, 'stopping a recurring operation of another lane');
    recurring.cancelled = true;
    recurring.cancelTimer?.();
    lane.recurring.delete(recurring.key);
    this.recurringCount -= 1;
    const queued = lane.queue.findIndex((job) => job.recurring === recurring);
    if (queued >= 0) lane.queue.splice(queued, 1);
  }

  /** Checks an operation and finds (or makes) its resource's lane, with room in its queue. */
  private admit(operation: Operation): Result<Lane, ExecutorFailure> {
    if (this.closed) return err(failure('executor_closed', 'the executor is closed'));
    const checked = checkOperation(operation, this.limits);
    if (!checked.ok) return checked;
    if (this.options.registry.get(operation.class) === undefined) return err(this.unknownClass(operation.class));
    let lane = this.lanes.get(operation.resourceId);
    if (lane === undefined) {
      if (this.lanes.size >= this.limits.resourcesMax) {
        return err(failure('too_many_resources', `the executor already tracks ${this.lanes.size} resources`));
      }
      lane = { queue: [], running: undefined, failcount: 0, recurring: new Map() };
      this.lanes.set(operation.resourceId, lane);
    }
    if (lane.queue.length >= this.limits.queuedOperationsPerResourceMax) {
      return err(failure('queue_full', `${lane.queue.length} operations already wait on resource ${operation.resourceId}`, 'resourceId'));
    }
    return ok(lane);
  }

  private unknownClass(className: string): ExecutorFailure {
    return failure('unknown_class', `unknown resource class ${JSON.stringify(className)} (known: ${this.options.registry.names().join(', ')})`, 'class');
  }

  private tick(recurring: RecurringOperation): void {
    const { resourceId } = recurring.operation;
    const lane = this.lanes.get(resourceId);
    if (recurring.cancelled || this.closed || lane === undefined) return;
    if (lane.queue.length >= this.limits.queuedOperationsPerResourceMax) {
      // Backpressure: this run is skipped, the next is still scheduled.
      recurring.cancelTimer = this.options.timers.setTimeout(() => this.tick(recurring), recurring.operation.intervalMs);
      return;
    }
    lane.queue.push({ operation: recurring.operation, recurring, complete: (outcome) => this.recurringDone(recurring, outcome) });
    this.pump(resourceId);
  }

  private recurringDone(recurring: RecurringOperation, outcome: Result<OperationRecord, ExecutorFailure>): void {
    if (recurring.cancelled || !outcome.ok) return;
    const record = outcome.value;
    const previous = recurring.previous;
    recurring.previous = record;
    recurring.cancelTimer = this.options.timers.setTimeout(() => this.tick(recurring), recurring.operation.intervalMs);
    if (previous === undefined || record.failed || !sameAnswer(previous, record)) this.options.onResult(record);
  }

  private pump(resourceId: string): void {
    const lane = this.lanes.get(resourceId);
    assert(lane !== undefined, `no lane for resource ${resourceId}`);
    if (lane.running !== undefined) return;
    const job = lane.queue.shift();
    if (job === undefined) {
      this.releaseIfIdle(resourceId);
      return;
    }
    const abort = new AbortController();
    lane.running = { abort, done: this.execute(lane, job, abort.signal) };
  }

  private async execute(lane: Lane, job: Job, signal: AbortSignal): Promise<void> {
    const { operation } = job;
    const resourceClass = this.options.registry.get(operation.class);
    assert(resourceClass !== undefined, `class ${operation.class} vanished from the registry`);
    this.lastCallId += 1;
    const callId = this.lastCallId;
    const startedAtMs = this.options.clock.nowMs();
    const result = await runClass(resourceClass, operation, signal);
    const record = toRecord(operation, result, callId, startedAtMs);
    if (record.failed && job.recurring?.cancelled !== true) lane.failcount += 1;
    lane.running = undefined;
    try {
      job.complete(ok(record));
    } finally {
      this.pump(operation.resourceId);
    }
  }

  private releaseIfIdle(resourceId: string): void {
    const lane = this.lanes.get(resourceId);
    if (lane === undefined) return;
    if (lane.queue.length === 0 && lane.running === undefined && lane.recurring.size === 0 && lane.failcount === 0) {
      this.lanes.delete(resourceId);
    }
  }
}

/** Runs one operation through its class; a class that throws is a failed result, not a crash. */
async function runClass(resourceClass: ResourceClass, operation: Operation, signal: AbortSignal): Promise<ActionResult> {
  try {
    return await resourceClass.run({
      resourceId: operation.resourceId,
      ...(operation.provider === undefined ? {} : { provider: operation.provider }),
      type: operation.type,
      action: operation.action,
      intervalMs: operation.intervalMs,
      timeoutMs: operation.timeoutMs,
      params: operation.params,
      meta: operation.meta,
      ...(operation.extraMeta === undefined ? {} : { extraMeta: operation.extraMeta }),
      signal,
    });
  } catch (error) {
    // A bug in one class must not stop the executor for every other resource; it is reported
    // as an error record with the exception's message.
    const message = error instanceof Error ? error.message : String(error);
    return failedResult('error', ocfRc.errorGeneric, `resource class ${resourceClass.name} threw: ${message}`, 0);
  }
}
