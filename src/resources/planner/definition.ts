// Owns noticing that a resource's definition changed since its active operations ran
// (Pacemaker's check_actions_for, check_action_definition and rsc_action_digest_cmp). Each
// recorded operation carries digests of the parameters it ran with; they are recomputed from the
// configuration. A changed parameter that forces a restart (or an operation's own extra
// parameters) means a restart; other changes reload the agent when it records which
// parameters need a restart; otherwise the resource restarts too. A changed definition (or a
// recorded failure whose parameters changed since) clears the fail count. Inputs: the recorded
// operations of a resource on a node it is active on. Output: the resource's definition
// changes, applied when actions are created (applyDefinitionChanges). Pure.

import type { Attributes, OperationRecord } from '../model.js';
import { OrderFlag } from './order-flags.js';
import { setReason, type ActionGraph } from './actions.js';
import { md5Hex } from './md5.js';
import type { PNode, Rsc, WorkingSet } from './working-set.js';

/** restart: the resource starts again; reload: the agent reloads its parameters in place. */
export interface DefinitionChange { readonly kind: 'restart' | 'reload'; readonly task: string; readonly node: PNode }

const escape = (v: string): string => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Pacemaker's operation digest: MD5 of the parameters as one sorted, unformatted XML element. */
export function operationDigest(params: Attributes): string {
  const names = Object.keys(params).sort();
  const body = names.map((n) => ` ${n}="${escape(params[n] ?? '')}"`).join('');
  return md5Hex(` <parameters${body}/>\n`);
}

const words = (list: string | undefined): string[] => (list ?? '').split(/\s+/).filter((w) => w !== '');

/** Fence-device parameters Pacemaker itself handles (older controllers left them out of digests). */
const isFencingParam = (name: string): boolean => name === 'provides' || name === 'stonith-timeout' || name.startsWith('pcmk_');

function versionBefore(version: string | undefined, than: number[]): boolean {
  const parts = (version ?? '0').split('.').map((p) => Number(p) || 0);
  for (let i = 0; i < than.length; i++) {
    const a = parts[i] ?? 0;
    const b = than[i] ?? 0;
    if (a !== b) return a < b;
  }
  return false;
}

/** Pacemaker's secure digest: the parameters without the secret ones. */
function secureDigest(rsc: Rsc, op: OperationRecord, all: Attributes): string {
  const old = versionBefore(op.featureSet, [3, 16, 0]);
  const secret = new Set(words(op.secureParams));
  const kept = Object.entries(old ? rsc.params : all)
    .filter(([name]) => !secret.has(name) && !(old && rsc.cls === 'stonith' && isFencingParam(name)));
  return operationDigest(Object.fromEntries(kept));
}

/** Operations since the resource last started on the node (Pacemaker's calculate_active_ops). */
function activeOperations(sorted: readonly OperationRecord[]): readonly OperationRecord[] {
  let start = -1;
  let stop = -1;
  let impliedByMonitor = -1;
  let impliedByRole = -1;
  sorted.forEach((op, i) => {
    if (op.operation === 'stop' && op.opStatus === 0) stop = i;
    else if (op.operation === 'start' || op.operation === 'migrate_from') start = i;
    else if (impliedByMonitor <= stop && op.operation === 'monitor') { if (op.rc === 0 || op.rc === 8) impliedByMonitor = i; }
    else if (op.operation === 'promote' || op.operation === 'demote') impliedByRole = i;
  });
  if (start === -1) start = impliedByRole !== -1 ? impliedByRole : impliedByMonitor;
  if (start < stop) return [];
  return sorted.slice(Math.max(0, start));
}

const checkedTasks = new Set(['monitor', 'start', 'promote', 'migrate_from']);

type Verdict = 'match' | 'restart' | 'all' | 'unknown';

/** Compares an operation's recorded digests with the configuration (rsc_action_digest_cmp). */
function digestVerdict(rsc: Rsc, op: OperationRecord): { verdict: Verdict; all: Attributes } {
  const config = rsc.operations.find((o) => o.name === op.operation && o.intervalMs === 0);
  const extra = config?.params ?? {};
  const all = { ...rsc.params, ...extra };
  const restartCalc = op.restartDigest === undefined ? undefined
    : operationDigest(Object.fromEntries(Object.entries(all).filter(([name]) => words(op.forceRestart).includes(name))));
  if (op.restartDigest !== undefined && restartCalc !== op.restartDigest) return { verdict: 'restart', all };
  if (op.digest === undefined) return { verdict: 'unknown', all };
  // Extra parameters of the operation itself can only be applied by running it again.
  if (op.digest !== operationDigest(all)) return { verdict: Object.keys(extra).length > 0 ? 'restart' : 'all', all };
  return { verdict: 'match', all };
}

/**
 * Whether a recorded failure (a start or probe) ran with parameters that have changed since:
 * then its fail count is cleared and no longer counts against migration-threshold
 * (Pacemaker's should_clear_for_param_change).
 */
export function failureDefinitionChanged(rsc: Rsc, op: OperationRecord): boolean {
  if (!op.id.endsWith('_last_failure_0') || op.intervalMs > 0) return false;
  if (op.operation !== 'start' && op.operation !== 'monitor') return false;
  const { verdict } = digestVerdict(rsc, op);
  return verdict === 'restart' || verdict === 'all';
}

/** Records what changed in rsc's definition since the operations recorded on `node` ran. */
export function checkDefinition(rsc: Rsc, node: PNode, sorted: readonly OperationRecord[]): void {
  if (rsc.orphan || !rsc.runningOn.includes(node)) return;
  for (const op of activeOperations(sorted)) {
    // Recurring operations are only rescheduled on a change, which the summary does not show.
    if (op.intervalMs > 0 || !checkedTasks.has(op.operation)) continue;
    const { verdict, all } = digestVerdict(rsc, op);
    if (verdict === 'match') continue;
    // Only "private" parameters (passwords, scrubbed from saved inputs) changed: not a change.
    if (op.secureDigest !== undefined && secureDigest(rsc, op, all) === op.secureDigest) continue;
    // A probe, migrate_from or promote is redone as a start. Without a record of which
    // parameters need a restart, the agent cannot reload: restart.
    const kind = verdict !== 'restart' && op.restartDigest !== undefined ? 'reload' : 'restart';
    rsc.definitionChanges.push({ kind, task: 'start', node });
    // A changed definition gets a fresh start: its fail count there is cleared.
    rsc.failcountCleared.add(node.id);
  }
}

/** Turns recorded definition changes into actions, once rsc's own actions exist. */
export function applyDefinitionChanges(set: WorkingSet, graph: ActionGraph, rsc: Rsc): void {
  for (const change of rsc.definitionChanges) {
    if (change.kind !== 'reload') {
      const node = rsc.assignedTo;
      const action = graph.find(rsc, change.task, node) ?? graph.ensure(set, rsc, change.task, node, false);
      action.optional = false;
      setReason(action, 'resource definition change', true);
      continue;
    }
    if (!rsc.managed) continue;
    if (rsc.failed || rsc.startPending) { graph.ensure(set, rsc, 'stop', change.node, false); continue; }
    rsc.reload = true;
    const reload = graph.ensure(set, rsc, 'reload-agent', change.node, false);
    setReason(reload, 'resource definition change', false);
    for (const task of ['stop', 'demote']) {
      for (const then of graph.findAll(rsc, task)) graph.order(reload, then, OrderFlag.Optional | OrderFlag.ThenCancelsFirst);
    }
  }
}
