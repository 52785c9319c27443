// Owns how one operation result changes a node's history record, in Pacemaker's shape: per
// resource a `<id>_last_0` entry for the last one-shot operation, `<id>_last_failure_0` for the
// last failure, one `<id>_monitor_<interval>` entry per recurring monitor, and the transient
// attributes fail-count-<id>#<op>_<interval> and last-failure-<id>#<op>_<interval>. The planner
// reads exactly this back (planner/history.ts); cleanup is config-edit.ts's cleanupHistory.
// Pure: the record and `nowS` come in.

import { INFINITY, type OperationRecord } from './model.js';
import type { NodeHistoryRecord } from './records.js';
import { addScores, parseScore, scoreText } from './score.js';

export interface AgentIdentity {
  readonly id: string;
  readonly class: string;
  readonly provider?: string;
  readonly type: string;
}

export interface OperationResult {
  readonly action: string;
  readonly intervalMs: number;
  readonly rc: number;
  /** The executor's status: done, timeout, error, cancelled, not_supported. */
  readonly status: string;
  readonly callId: number;
  /** The rc the action was expected to give (0; 7 for a probe; 8 for a promoted monitor). */
  readonly expectedRc: number;
  /** The answer is not what the action expected. */
  readonly failed: boolean;
  readonly exitReason?: string;
  /** The digest of the parameters it ran with, to notice a definition change later. */
  readonly digest?: string;
}

const opStatusOf: Record<string, number> = { done: 0, cancelled: 1, timeout: 2, not_supported: 3, error: 4 };

type Resources = NodeHistoryRecord['resources'];

function withEntry(ops: readonly OperationRecord[], entry: OperationRecord): OperationRecord[] {
  return [...ops.filter((o) => o.id !== entry.id), entry];
}

/** The history after one operation; a failure also counts in the fail count (INFINITY for a start when start failures are fatal). */
export function recordResult(h: NodeHistoryRecord, agent: AgentIdentity, r: OperationResult, nowS: number, startFailureIsFatal: boolean): NodeHistoryRecord {
  const recurring = r.action === 'monitor' && r.intervalMs > 0;
  const key = recurring ? `${agent.id}_monitor_${r.intervalMs}` : `${agent.id}_last_0`;
  const entry: OperationRecord = {
    id: key, operation: r.action, intervalMs: r.intervalMs, callId: r.callId, rc: r.rc,
    opStatus: opStatusOf[r.status] ?? 4, expectedRc: r.expectedRc, lastRcChange: nowS, lastRun: nowS,
    ...(r.exitReason === undefined ? {} : { exitReason: r.exitReason.slice(0, 1024) }),
    ...(r.digest === undefined ? {} : { digest: r.digest }),
  };
  const existing = h.resources.find((x) => x.id === agent.id);
  let ops = withEntry(existing?.operations ?? [], entry);
  const stoppedNow = !r.failed && r.action === 'stop';
  if (stoppedNow) ops = ops.filter((o) => !(o.operation === 'monitor' && o.intervalMs > 0));
  const probe = r.action === 'monitor' && r.intervalMs === 0;
  const failure = r.failed && !(probe && r.rc === 7);
  if (failure) ops = withEntry(ops, { ...entry, id: `${agent.id}_last_failure_0` });
  const resources: Resources = [
    ...h.resources.filter((x) => x.id !== agent.id),
    { id: agent.id, class: agent.class, ...(agent.provider === undefined ? {} : { provider: agent.provider }), type: agent.type, operations: ops },
  ];
  let attributes = h.attributes;
  if (failure) {
    const suffix = `${agent.id}#${r.action}_${r.intervalMs}`;
    const previous = parseScore(attributes[`fail-count-${suffix}`]) ?? 0;
    const count = r.action === 'start' && startFailureIsFatal ? INFINITY : addScores(previous, 1);
    attributes = { ...attributes, [`fail-count-${suffix}`]: scoreText(count), [`last-failure-${suffix}`]: String(nowS) };
  }
  return { ...h, resources, attributes };
}

/** Replaces the promotion scores (master-<id>) an agent published, leaving other attributes alone. */
export function withPromotionScores(h: NodeHistoryRecord, scores: Readonly<Record<string, string>>): NodeHistoryRecord {
  const kept = Object.entries(h.attributes).filter(([k]) => !k.startsWith('master-'));
  const next = { ...Object.fromEntries(kept), ...scores };
  return JSON.stringify(next) === JSON.stringify(h.attributes) ? h : { ...h, attributes: next };
}
