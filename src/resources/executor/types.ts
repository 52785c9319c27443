// Owns the executor's vocabulary: the actions an agent runs, the request a resource class gets,
// the result it answers with, and the `ResourceClass` interface each class (ocf, exec,
// systemd) implements. Shared code never branches on a class name; each class declares its own
// answer through this interface, and only the registry (registry.ts) names them.
//
// Invariant: a ResourceClass never rejects for agent misbehaviour. A missing, hung, crashed or
// flooding agent is an ActionResult with a failed outcome.

import type { Failure, Result } from '../../core/result.js';
import type { AgentMetadata } from './metadata.js';

/** Actions of the OCF resource agent API (plus Pacemaker's), in the agents' own spelling. */
export const actionNames = [
  'start',
  'stop',
  'monitor',
  'promote',
  'demote',
  'notify',
  'reload',
  'reload-agent',
  'migrate_to',
  'migrate_from',
  'meta-data',
  'validate-all',
] as const;
export type ActionName = (typeof actionNames)[number];

export function isActionName(name: string): name is ActionName {
  return (actionNames as readonly string[]).includes(name);
}

/**
 * How an operation ended, as pacemaker-execd words it: `done` (the agent answered with an exit
 * code), `timeout`, `error` (it could not run, or died by a signal), `cancelled`, or
 * `not_supported` (the class cannot run here, or the agent lacks the action).
 */
export type OperationStatus = 'done' | 'timeout' | 'error' | 'cancelled' | 'not_supported';

/** What the answer says about the resource. Degraded answers (190, 191) count as ok and promoted. */
export type Outcome = 'ok' | 'not_running' | 'running_promoted' | 'failed';

/**
 * Recovery a failure calls for: `soft` (restart here or move), `hard` (never again on this
 * node), `fatal` (the configuration is wrong everywhere; stop it on every node).
 */
export type Severity = 'soft' | 'hard' | 'fatal';

/** An agent of a class: `ocf:<provider>:<type>`, `exec:<anything>`, `systemd:<unit>`. */
export interface AgentName {
  readonly provider?: string;
  readonly type: string;
}

export type StringRecord = Readonly<Record<string, string>>;

/** One action for one resource, as a class runs it. */
export interface ActionRequest extends AgentName {
  readonly resourceId: string;
  readonly action: ActionName;
  /** 0 for a one-shot action (a probe, when the action is monitor). */
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Instance parameters (OCF_RESKEY_<name>). */
  readonly params: StringRecord;
  /** Meta attributes of the resource (OCF_RESKEY_CRM_meta_<name>). */
  readonly meta: StringRecord;
  /** Meta of this call only: clone and notify variables (notify_type, notify_start_uname...). */
  readonly extraMeta?: StringRecord;
  readonly signal?: AbortSignal;
}

export interface ActionResult {
  /** The OCF return code (or the one the class mapped its answer to). */
  readonly rc: number;
  readonly status: OperationStatus;
  readonly outcome: Outcome;
  /** Present exactly when the answer itself is a failure. */
  readonly severity?: Severity;
  /** The agent's `ocf-exit-reason:` line, or the executor's reason when the agent gave none. */
  readonly exitReason?: string;
  readonly durationMs: number;
  /** Bounded excerpt of what the agent wrote, for operators. */
  readonly output: string;
}

export interface ResourceClass {
  /** The class as spelled in resource definitions: `ocf`, `exec`, `systemd`. */
  readonly name: string;
  run(request: ActionRequest): Promise<ActionResult>;
  metadata(agent: AgentName, signal?: AbortSignal): Promise<Result<AgentMetadata, Failure>>;
}
