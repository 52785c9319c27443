// Owns reading a resource's operation history on one node (Pacemaker's unpack_rsc_op and
// process_rsc_state): the role it is in, whether it failed and how to recover (on-fail), the
// bans and fencing requests failures call for, and where it is running (fail counts:
// failcount.ts).
// Migrations are read by migration-history.ts; once every node is read, definition.ts compares
// recorded parameter digests. Pure.

import type { OperationRecord, PlannerInput, ResourceHistory } from '../model.js';
import { INFINITY } from '../model.js';
import {
  banEverywhere, cloneOf, isPromotableChild, locate, nodeLookup, onFailRank, roleRank, topParent,
  type OnFailAction, type PNode, type Rsc, type WorkingSet,
} from './working-set.js';
import { canFence, fenceNode } from './fencing.js';
import { resolveHistory } from './resolve.js';
import { migrateToSucceeded, migrationFailed } from './migration-history.js';
import { checkDefinition, failureDefinitionChanged } from './definition.js';
import { failcount } from './failcount.js';

// Fail counts live in failcount.ts; kept importable from here for the operator side (state.ts).
export { failcount };

/** Online nodes first; offline ones only when fencing is enabled (their resources may still run). */
export function unpackHistories(set: WorkingSet, input: PlannerInput): void {
  const done = new Set<string>();
  const definitionChecks: DefinitionCheck[] = [];
  const clones = set.resources.filter((r) => r.variant === 'clone');
  const nodes = nodeLookup(set);
  const pass = (fence: boolean): void => {
    for (const state of input.status.nodes) {
      const node = nodes.find(state);
      if (!node || done.has(node.id)) continue;
      if (!fence && !node.online) continue;
      done.add(node.id);
      for (const history of state.resources) unpackResourceHistory(set, clones, node, history, definitionChecks);
    }
  };
  pass(false);
  if (set.stonithEnabled) pass(true);
  // Definitions are compared once every node's history is known (where resources are active).
  for (const { rsc, node, sorted } of definitionChecks) checkDefinition(rsc, node, sorted);
}

interface DefinitionCheck { readonly rsc: Rsc; readonly node: PNode; readonly sorted: readonly OperationRecord[] }

function unpackResourceHistory(set: WorkingSet, clones: readonly Rsc[], node: PNode, h: ResourceHistory, definitionChecks: DefinitionCheck[]): void {
  const rsc = resolveHistory(set, clones, node, h);
  if (!rsc) return;

  const ops = [...h.operations].sort((a, b) => (a.callId < 0 ? Infinity : a.callId) - (b.callId < 0 ? Infinity : b.callId));
  const saved = rsc.role;
  rsc.role = 'Unknown';
  const state: HistoryState = { onFail: 'ignore', lastFailure: undefined };
  for (const op of ops) {
    unpackOperation(set, rsc, node, op, state);
    if (failureDefinitionChanged(rsc, op)) rsc.failcountCleared.add(node.id);
  }
  processState(set, rsc, node, state);
  // The name the node's history knows an active anonymous clone instance by (clone_name).
  if (h.id !== rsc.id && rsc.runningOn.includes(node)) rsc.cloneName = h.id;
  definitionChecks.push({ rsc, node, sorted: ops });
  if (roleRank[saved] > roleRank[rsc.role]) rsc.role = saved;
  if (rsc.role === 'Unknown') rsc.role = 'Stopped';
}

interface HistoryState {
  onFail: OnFailAction;
  lastFailure: OperationRecord | undefined;
}

function setActive(rsc: Rsc): void {
  rsc.role = isPromotableChild(rsc) ? 'Unpromoted' : 'Started';
}

function setNextRole(rsc: Rsc, role: Rsc['nextRole']): void {
  rsc.nextRole = role;
}

/** The on-fail policy and failure role of an operation, from its configuration and defaults. */
export function onFailFor(set: WorkingSet, rsc: Rsc, task: string, intervalMs: number): { onFail: OnFailAction; failRole: Rsc['role'] } {
  const config = rsc.operations.find((o) => o.name === task && o.intervalMs === intervalMs && o.enabled)
    ?? (task === 'monitor' && intervalMs === 0 ? undefined : undefined);
  let value = config?.onFail ?? config?.meta['on-fail'] ?? set.config.operationDefaults['on-fail'];
  let failRole: Rsc['role'] = 'Unknown';
  let onFail: OnFailAction;
  if (value === 'fence' && !set.stonithEnabled) value = 'stop';
  switch (value ?? '') {
    case 'block': onFail = 'block'; break;
    case 'fence': onFail = 'fence'; break;
    case 'standby': onFail = 'standby'; break;
    case 'ignore': case 'nothing': onFail = 'ignore'; break;
    case 'migrate': onFail = 'migrate'; break;
    case 'stop': onFail = 'stop'; failRole = 'Stopped'; break;
    case 'restart': onFail = 'restart'; break;
    case 'demote': onFail = 'demote'; break;
    default:
      if (task === 'stop') onFail = set.stonithEnabled ? 'fence' : 'block';
      else onFail = 'restart';
  }
  if (failRole === 'Unknown') failRole = task === 'promote' ? 'Unpromoted' : 'Started';
  return { onFail, failRole };
}

function unpackOperation(set: WorkingSet, rsc: Rsc, node: PNode, op: OperationRecord, state: HistoryState): void {
  const task = op.operation;
  if (task === 'notify' || task === 'meta-data') return;
  const isProbe = task === 'monitor' && op.intervalMs === 0;
  const expected = op.expectedRc ?? 0;
  let status = op.opStatus;
  if (failureExpired(set, rsc, node, op)) {
    if (op.rc !== 0 && op.rc !== 7 && op.rc !== 8) return;
  }
  if (status === 0 || status === 4) status = determineStatus(set, rsc, node, op, expected, isProbe, state);
  switch (status) {
    case 1: break;
    case -1:
      if (task === 'start') { rsc.startPending = true; setActive(rsc); }
      else if (task === 'promote') rsc.role = 'Promoted';
      break;
    case 0:
      if (task === 'migrate_to') migrateToSucceeded(set, rsc, node, rsc.id, op, { addRunning: (n) => addRunning(set, rsc, n) });
      else updateState(rsc, op, task, op.rc, state);
      break;
    case 7: {
      const { onFail } = onFailFor(set, rsc, task, op.intervalMs);
      if (onFail === 'ignore') state.onFail = maxOnFail(state.onFail, 'migrate');
      banHere(topOrSelf(rsc), node);
      operationFailed(set, rsc, node, op, state);
      break;
    }
    default: {
      const { onFail } = onFailFor(set, rsc, task, op.intervalMs);
      if (onFail === 'ignore') {
        updateState(rsc, op, task, expected, state);
        rsc.failureIgnored = true;
      } else {
        operationFailed(set, rsc, node, op, state);
        if (status === 5) banHere(topOrSelf(rsc), node);
        else if (status === 6) { const target = topOrSelf(rsc); for (const n of set.nodes) locate(target, n, -INFINITY); }
      }
    }
  }
}

const topOrSelf = (rsc: Rsc): Rsc => (rsc.parent && !(cloneOf(rsc)?.clone?.unique ?? false) ? topParent(rsc) : rsc);
const banHere = (rsc: Rsc, node: PNode): void => locate(rsc, node, -INFINITY);
const maxOnFail = (a: OnFailAction, b: OnFailAction): OnFailAction => (onFailRank[b] > onFailRank[a] ? b : a);

function failureExpired(set: WorkingSet, rsc: Rsc, node: PNode, op: OperationRecord): boolean {
  if (rsc.failureTimeoutMs <= 0) return false;
  const last = op.lastRcChange ?? op.lastRun;
  if (last === undefined) return false;
  if (last + rsc.failureTimeoutMs / 1000 > set.nowS) return false;
  // Expired only if the failcount on this node has expired too.
  return failcount(set, rsc, node) === 0;
}

/** Maps an operation's rc against its expected rc to an execution status (Pacemaker's remapping). */
function determineStatus(set: WorkingSet, rsc: Rsc, node: PNode, op: OperationRecord, expected: number, isProbe: boolean, state: HistoryState): number {
  const rc = op.rc;
  switch (rc) {
    case 0:
      if (isProbe && expected === 7) return 0;
      return expected !== rc ? 4 : 0;
    case 7:
      if (isProbe || expected === rc || !rsc.managed) {
        rsc.role = 'Stopped';
        state.onFail = 'ignore';
        setNextRole(rsc, 'Unknown');
        return 0;
      }
      return 4;
    case 8:
      rsc.role = 'Promoted';
      if (isProbe && rc !== expected) return 0;
      return expected !== rc ? 4 : 0;
    case 9: case 191:
      rsc.role = 'Promoted';
      return 4;
    case 190:
      return 0;
    case 6: return 6;
    case 3: case 5: case 2: case 4:
      if (rc === 3 && op.intervalMs > 0) return 3;
      if (op.operation === 'stop' && !canFence(set, node)) { rsc.managed = false; rsc.blocked = true; }
      return 5;
    default: return 4;
  }
}

function updateState(rsc: Rsc, op: OperationRecord, task: string, rc: number, state: HistoryState): void {
  let clear = false;
  if (rc === 7) clear = true;
  else if (rc === 5) rsc.role = 'Stopped';
  else if (task === 'monitor') {
    if (state.lastFailure && state.lastFailure.operation === op.operation && state.lastFailure.intervalMs === op.intervalMs) clear = true;
    if (roleRank[rsc.role] < roleRank.Started) setActive(rsc);
  } else if (task === 'start') { rsc.role = isPromotableChild(rsc) ? 'Unpromoted' : 'Started'; clear = true; }
  else if (task === 'stop') { rsc.role = 'Stopped'; clear = true; }
  else if (task === 'promote') { rsc.role = 'Promoted'; clear = true; }
  else if (task === 'demote') { if (state.onFail === 'demote') clear = true; rsc.role = 'Unpromoted'; }
  else if (task === 'migrate_from') { rsc.role = 'Started'; clear = true; }
  else if (roleRank[rsc.role] < roleRank.Started) setActive(rsc);
  if (clear && ['ignore', 'demote', 'restart', 'block'].includes(state.onFail)) {
    state.onFail = 'ignore';
    setNextRole(rsc, 'Unknown');
  }
  if (task === 'start' && rsc.role === 'Unpromoted' && !isPromotableChild(rsc)) rsc.role = 'Started';
}

function operationFailed(set: WorkingSet, rsc: Rsc, node: PNode, op: OperationRecord, state: HistoryState): void {
  const task = op.operation;
  state.lastFailure = op;
  const { onFail, failRole } = onFailFor(set, rsc, task, op.intervalMs);
  state.onFail = maxOnFail(state.onFail, onFail);
  if (task === 'stop') locate(rsc, node, -INFINITY);
  else if (task === 'migrate_to' || task === 'migrate_from') migrationFailed(set, rsc, node, rsc.id, op, { addRunning: (n) => addRunning(set, rsc, n) });
  else if (task === 'promote') rsc.role = 'Promoted';
  else if (task === 'demote') {
    if (onFail === 'block') { rsc.role = 'Promoted'; setNextRole(rsc, 'Stopped'); }
    else if (op.rc === 7) rsc.role = 'Stopped';
    else rsc.role = 'Unpromoted';
  }
  if (task === 'monitor' && op.intervalMs === 0 && op.rc === 5) rsc.role = 'Stopped';
  else if (roleRank[rsc.role] < roleRank.Started) setActive(rsc);
  if (failRole !== 'Started' && roleRank[rsc.nextRole] < roleRank[failRole]) setNextRole(rsc, failRole);
  if (failRole === 'Stopped') {
    const clone = cloneOf(rsc);
    const target = clone && !clone.clone?.unique ? clone : rsc;
    for (const n of set.nodes) target.allowed.set(n, -INFINITY);
    for (const n of set.nodes) locate(target, n, 0);
  }
}

function processState(set: WorkingSet, rsc: Rsc, node: PNode, state: HistoryState): void {
  let onFail = state.onFail;
  if (rsc.role !== 'Unknown') {
    for (let r: Rsc | undefined = rsc; r; r = r.parent) { r.knownOn.add(node.id); if (cloneOf(r)?.clone?.unique && r.variant !== 'clone') break; }
  }
  if (roleRank[rsc.role] > roleRank.Stopped && !node.online && !node.maintenance && rsc.managed && set.stonithEnabled) {
    fenceNode(set, node, `${rsc.id} is thought to be active there`);
  }
  if (node.unclean) onFail = 'ignore';
  switch (onFail) {
    case 'ignore': break;
    case 'demote': rsc.failed = true; break;
    case 'fence': fenceNode(set, node, `${rsc.id} failed there`); break;
    case 'standby': node.standby = true; node.standbyOnFail = true; break;
    case 'block': rsc.managed = false; rsc.blocked = true; break;
    case 'migrate': locate(rsc, node, -INFINITY); break;
    case 'stop': setNextRole(rsc, 'Stopped'); break;
    case 'restart':
      if (rsc.role !== 'Stopped' && rsc.role !== 'Unknown') { rsc.failed = true; rsc.stopFlag = true; }
      break;
  }
  if (rsc.role !== 'Stopped' && rsc.role !== 'Unknown') {
    addRunning(set, rsc, node);
    if (onFail === 'demote' || onFail === 'block') rsc.failed = true;
    else if (onFail !== 'ignore') { rsc.failed = true; rsc.stopFlag = true; }
  }
}

function addRunning(set: WorkingSet, rsc: Rsc, node: PNode): void {
  if (!rsc.runningOn.includes(node)) rsc.runningOn.push(node);
  if (rsc.variant === 'primitive' && !node.running.includes(rsc)) node.running.push(rsc);
  if (rsc.variant === 'primitive' && node.maintenance) { rsc.managed = false; rsc.maintenance = true; }
  if (!rsc.managed) {
    locate(rsc, node, INFINITY);
    for (let p = rsc.parent; p && node.online; p = p.parent) if (!p.runningOn.includes(node)) p.runningOn.push(node);
    return;
  }
  if (rsc.runningOn.length > 1 && rsc.variant === 'primitive') {
    if (rsc.multipleActive === 'stop_only') banEverywhere(set, rsc);
    else if (rsc.multipleActive === 'block') { rsc.managed = false; rsc.blocked = true; }
  }
  if (rsc.parent) addRunningParent(rsc.parent, node);
}

function addRunningParent(rsc: Rsc, node: PNode): void {
  if (!rsc.runningOn.includes(node)) rsc.runningOn.push(node);
  if (rsc.parent) addRunningParent(rsc.parent, node);
}
