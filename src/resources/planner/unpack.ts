// Owns turning a PlannerInput into a working set: cluster options, node states (online,
// unclean, standby, maintenance, shutdown), the resource tree, and each resource's current
// role and location derived from the operation history (Pacemaker's unpack_status). Failed
// operations set failure flags, bans and fencing requests exactly as Pacemaker would.

import type { OperationRecord, PlannerInput, ResourceHistory } from '../model.js';
import { INFINITY } from '../model.js';
import { addScores, parseScore } from '../score.js';
import { parseDurationMs } from '../cib.js';
import {
  buildResource, cloneOf, isPromotableChild, isTrue, newNode, onFailRank, roleRank, targetRoleOf, topParent,
  type OnFailAction, type PNode, type Rsc, type WorkingSet,
} from './working-set.js';
import { fenceNode } from './fencing.js';
import { unpackConstraints } from './constraints.js';

export function unpack(input: PlannerInput, nowS: number): WorkingSet {
  const config = input.configuration;
  const o = config.options;
  const policy = (o['no-quorum-policy'] ?? 'stop').toLowerCase();
  const set: WorkingSet = {
    options: o, nowS, nodes: [], resources: [], byId: new Map(), config,
    stonithEnabled: o['stonith-enabled'] === undefined ? true : isTrue(o['stonith-enabled']),
    haveStonithResource: false,
    haveQuorum: input.status.haveQuorum,
    noQuorumPolicy: policy === 'freeze' || policy === 'ignore' || policy === 'demote' || policy === 'suicide' ? policy : 'stop',
    symmetric: o['symmetric-cluster'] === undefined ? true : isTrue(o['symmetric-cluster']),
    startFailureIsFatal: o['start-failure-is-fatal'] === undefined ? true : isTrue(o['start-failure-is-fatal']),
    stopEverything: isTrue(o['stop-all-resources']),
    maintenanceMode: isTrue(o['maintenance-mode']),
    stonithAction: (o['stonith-action'] ?? 'reboot') === 'poweroff' ? 'off' : o['stonith-action'] ?? 'reboot',
    placementStrategy: o['placement-strategy'] ?? 'default',
    pendingRules: [], orphanColocations: [], fencing: new Map(), orders: [],
  };
  const startupFencing = o['startup-fencing'] === undefined ? true : isTrue(o['startup-fencing']);
  for (const n of config.nodes) {
    if (n.type === 'ping') continue;
    const node = newNode(n.id, n.name, n.attributes);
    node.unclean = startupFencing;
    set.nodes.push(node);
  }
  const defaults = config.resourceDefaults;
  for (const r of config.resources) set.resources.push(buildResource({ set, defaults }, r, undefined));
  set.haveStonithResource = [...set.byId.values()].some((r) => r.cls === 'stonith');
  if (set.symmetric) for (const r of set.resources) for (const n of set.nodes) locate(r, n, 0, true);
  unpackNodeStates(set, input);
  if (!set.haveQuorum && set.noQuorumPolicy === 'suicide' && input.status.quorumLost === true) {
    for (const node of set.nodes) if (node.online) fenceNode(set, node, 'cluster does not have quorum');
  }
  unpackConstraints(set);
  unpackHistories(set, input);
  for (const r of set.resources) applyTargetRoles(r);
  return set;
}

/** Pacemaker's resource_location: adds score to rsc and all its descendants on node. */
export function locate(rsc: Rsc, node: PNode, score: number, symmetricDefault = false): void {
  if (symmetricDefault && rsc.exclusiveDiscover) return;
  for (const c of rsc.children) locate(c, node, score, symmetricDefault);
  const entry = rsc.allowed.get(node.id);
  if (entry) entry.weight = addScores(entry.weight, score);
  else rsc.allowed.set(node.id, { node, weight: score });
}

export function banEverywhere(set: WorkingSet, rsc: Rsc): void {
  for (const n of set.nodes) locate(rsc, n, -INFINITY);
}

function unpackNodeStates(set: WorkingSet, input: PlannerInput): void {
  for (const state of input.status.nodes) {
    const node = set.nodes.find((n) => n.id === state.id) ?? set.nodes.find((n) => n.name === state.name);
    if (!node) continue;
    for (const [k, v] of Object.entries(state.attributes)) node.attributes.set(k, v);
    node.unclean = false;
    node.unseen = false;
    node.expectedUp = state.expected === 'member';
    const shutdown = node.attributes.get('shutdown');
    if (shutdown !== undefined && shutdown !== '0') node.shutdown = true;
    if (set.stonithEnabled) onlineWithFencing(set, node, state);
    else onlineWithoutFencing(set, node, state);
  }
  for (const node of set.nodes) {
    if (isTrue(node.attributes.get('standby'))) node.standby = true;
    if (isTrue(node.attributes.get('maintenance'))) node.maintenance = true;
    if (node.unclean && node.unseen && set.stonithEnabled) node.online = false;
  }
}

const memberOf = (value: string | undefined): boolean => value !== undefined && (isTrue(value) || /^\d+$/.test(value) && value !== '0');

function onlineWithFencing(set: WorkingSet, node: PNode, s: PlannerInput['status']['nodes'][number]): void {
  const inCluster = s.inCluster === undefined ? undefined : memberOf(s.inCluster);
  const controllerOnline = s.controller === 'online' || (s.controller !== undefined && /^\d+$/.test(s.controller) && s.controller !== '0');
  const terminate = isTrue(node.attributes.get('terminate'));
  node.online = inCluster === true && controllerOnline && s.join === 'member';
  if (inCluster === undefined) {
    fenceNode(set, node, 'peer has not been seen by the cluster');
  } else if (s.join === 'nack') {
    fenceNode(set, node, 'peer failed Pacemaker membership criteria');
  } else if (!terminate && s.expected === 'down') {
    if (inCluster || controllerOnline) { node.standby = true; node.pending = true; node.online = inCluster && controllerOnline; }
  } else if (terminate && s.join === 'down' && !inCluster && !controllerOnline) {
    node.online = false;
  } else if (!inCluster) {
    fenceNode(set, node, 'peer is no longer part of the cluster');
  } else if (!controllerOnline) {
    fenceNode(set, node, 'peer process is no longer available');
  } else if (terminate) {
    fenceNode(set, node, 'termination was requested');
  } else if (s.join === 'member') {
    // active
  } else if (s.join === 'pending' || s.join === 'down') {
    node.standby = true;
    node.pending = true;
    node.online = true;
  } else {
    fenceNode(set, node, 'peer was in an unknown state');
  }
}

function onlineWithoutFencing(set: WorkingSet, node: PNode, s: PlannerInput['status']['nodes'][number]): void {
  const inCluster = memberOf(s.inCluster);
  const controllerOnline = s.controller === 'online' || (s.controller !== undefined && /^\d+$/.test(s.controller) && s.controller !== '0');
  if (!inCluster) return;
  if (controllerOnline) {
    if (s.join === 'member') node.online = true;
    return;
  }
  if (node.expectedUp) fenceNode(set, node, 'peer is unexpectedly down');
}

function unpackHistories(set: WorkingSet, input: PlannerInput): void {
  const done = new Set<string>();
  const pass = (fence: boolean): void => {
    for (const state of input.status.nodes) {
      const node = set.nodes.find((n) => n.id === state.id) ?? set.nodes.find((n) => n.name === state.name);
      if (!node || done.has(node.id)) continue;
      if (!fence && !node.online) continue;
      done.add(node.id);
      for (const history of state.resources) unpackResourceHistory(set, node, history);
    }
  };
  pass(false);
  if (set.stonithEnabled) pass(true);
}

/** Finds the resource (or clone instance) a history entry describes, creating an orphan if none. */
function resolveHistory(set: WorkingSet, node: PNode, h: ResourceHistory): Rsc | undefined {
  const exact = set.byId.get(h.id);
  if (exact && exact.variant === 'primitive' && !cloneOf(exact)) return exact;
  const base = h.id.replace(/:\d+$/, '');
  const clone = set.resources.find((r) => r.variant === 'clone' && r.children.some((c) => containsBase(c, base)));
  if (clone?.clone) {
    if (clone.clone.unique) {
      if (exact && exact.variant === 'primitive') return exact;
      return orphan(set, h, node);
    }
    return anonymousInstance(set, clone, base, node, h);
  }
  if (exact && exact.variant === 'primitive') return exact;
  return orphan(set, h, node);
}

const containsBase = (r: Rsc, base: string): boolean => r.variant === 'primitive' ? r.baseId === base : r.children.some((c) => containsBase(c, base));
const findBase = (r: Rsc, base: string): Rsc | undefined => r.variant === 'primitive' ? (r.baseId === base ? r : undefined)
  : r.children.map((c) => findBase(c, base)).find((x) => x !== undefined);

function anonymousInstance(set: WorkingSet, clone: Rsc, base: string, node: PNode, h: ResourceHistory): Rsc | undefined {
  let inactive: Rsc | undefined;
  let skipInactive = false;
  for (const instance of clone.children) {
    const where = instanceLocations(instance);
    if (where.length > 0) {
      if (where.includes(node)) {
        const member = findBase(instance, base);
        if (member) {
          if (member.runningOn.length > 0) { skipInactive = true; continue; }
          return member;
        }
      }
    } else if (!skipInactive && !inactive && !instance.blocked) {
      inactive = findBase(instance, base);
    }
  }
  if (!skipInactive && inactive) {
    if (inactive.requires !== 'fencing' && (!node.online || node.unclean)) return orphanInstance(set, clone, base, node, h);
    return inactive;
  }
  return orphanInstance(set, clone, base, node, h);
}

function instanceLocations(instance: Rsc): PNode[] {
  const out = new Set<PNode>();
  const walk = (r: Rsc): void => {
    for (const n of r.runningOn) out.add(n);
    if (r.pendingTask !== undefined) for (const k of r.knownOn) { const n = [...r.runningOn].find((x) => x.id === k); if (n) out.add(n); }
    r.children.forEach(walk);
  };
  walk(instance);
  return [...out];
}

function orphanInstance(set: WorkingSet, clone: Rsc, base: string, node: PNode, h: ResourceHistory): Rsc | undefined {
  void node;
  const template = clone.children[0];
  const index = clone.children.length;
  const configChild = set.config.resources.find((r) => r.id === clone.baseId);
  if (!template || !configChild || configChild.kind !== 'clone') return orphan(set, h, node);
  const instance = buildResource({ set, defaults: set.config.resourceDefaults }, configChild.child, clone, String(index));
  markOrphan(instance);
  clone.children.push(instance);
  for (const [id, s] of clone.allowed) instance.allowed.set(id, { node: s.node, weight: s.weight });
  return findBase(instance, base);
}

function markOrphan(r: Rsc): void {
  r.orphan = true;
  r.children.forEach(markOrphan);
}

function orphan(set: WorkingSet, h: ResourceHistory, node: PNode): Rsc | undefined {
  void node;
  const stopOrphans = set.options['stop-orphan-resources'] === undefined ? true : isTrue(set.options['stop-orphan-resources']);
  const config = { kind: 'primitive' as const, id: h.id, class: h.class, type: h.type, params: {}, meta: {}, operations: [], ...(h.provider === undefined ? {} : { provider: h.provider }) };
  const existing = set.byId.get(h.id);
  if (existing) return existing.variant === 'primitive' ? existing : undefined;
  const rsc = buildResource({ set, defaults: {} }, config, undefined);
  rsc.orphan = true;
  if (!stopOrphans) rsc.managed = false;
  set.resources.push(rsc);
  banEverywhere(set, rsc);
  return rsc;
}

function unpackResourceHistory(set: WorkingSet, node: PNode, h: ResourceHistory): void {
  const rsc = resolveHistory(set, node, h);
  if (!rsc) return;
  const ops = [...h.operations].sort((a, b) => (a.callId < 0 ? Infinity : a.callId) - (b.callId < 0 ? Infinity : b.callId));
  rsc.history.set(node.id, ops.map((o) => ({ callId: o.callId, operation: o.operation, intervalMs: o.intervalMs, rc: o.rc, opStatus: o.opStatus, digest: o.digest })));
  const saved = rsc.role;
  rsc.role = 'Unknown';
  const state: HistoryState = { onFail: 'ignore', lastFailure: undefined, migrateOp: undefined };
  for (const op of ops) unpackOperation(set, rsc, node, op, state);
  processState(set, rsc, node, state);
  if (roleRank[saved] > roleRank[rsc.role]) rsc.role = saved;
  if (rsc.role === 'Unknown') rsc.role = 'Stopped';
}

interface HistoryState {
  onFail: OnFailAction;
  lastFailure: OperationRecord | undefined;
  migrateOp: OperationRecord | undefined;
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
      if (rsc.pendingTask === undefined && !isProbe) rsc.pendingTask = task;
      break;
    case 0: updateState(rsc, node, op, task, op.rc, state); break;
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
        updateState(rsc, node, op, task, expected, state);
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

export function canFence(set: WorkingSet, node: PNode | undefined): boolean {
  if (!set.stonithEnabled || !set.haveStonithResource) return false;
  if (set.haveQuorum || set.noQuorumPolicy === 'ignore') return true;
  return node !== undefined && node.online;
}

function updateState(rsc: Rsc, node: PNode, op: OperationRecord, task: string, rc: number, state: HistoryState): void {
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
  else if (task === 'migrate_from') { rsc.role = 'Started'; clear = true; rsc.partialMigrationTarget = undefined; }
  else if (task === 'migrate_to') { state.migrateOp = op; migrateToSucceeded(rsc, node, op); }
  else if (roleRank[rsc.role] < roleRank.Started) setActive(rsc);
  if (clear && ['ignore', 'demote', 'restart', 'block'].includes(state.onFail)) {
    state.onFail = 'ignore';
    setNextRole(rsc, 'Unknown');
  }
  if (task === 'start' && rsc.role === 'Unpromoted' && !isPromotableChild(rsc)) rsc.role = 'Started';
}

/** A successful migrate_to: the resource is partially migrated unless the target finished. */
function migrateToSucceeded(rsc: Rsc, node: PNode, op: OperationRecord): void {
  void node;
  void op;
  rsc.role = 'Started';
}

function operationFailed(set: WorkingSet, rsc: Rsc, node: PNode, op: OperationRecord, state: HistoryState): void {
  const task = op.operation;
  state.lastFailure = op;
  const { onFail, failRole } = onFailFor(set, rsc, task, op.intervalMs);
  state.onFail = maxOnFail(state.onFail, onFail);
  if (task === 'stop') locate(rsc, node, -INFINITY);
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
    for (const n of set.nodes) { const e = target.allowed.get(n.id); if (e) e.weight = -INFINITY; else target.allowed.set(n.id, { node: n, weight: -INFINITY }); }
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
  const saved = onFail;
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
  void saved;
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

function applyTargetRoles(rsc: Rsc): void {
  for (const c of rsc.children) applyTargetRoles(c);
  const target = targetRoleOf(rsc);
  if (target === undefined) return;
  if (rsc.nextRole === 'Unknown' || roleRank[target] < roleRank[rsc.nextRole]) rsc.nextRole = target;
}

/** Fail count of rsc on node from transient attributes, honouring failure-timeout. */
export function failcount(set: WorkingSet, rsc: Rsc, node: PNode): number {
  const clone = cloneOf(rsc);
  const id = clone && !clone.clone?.unique ? rsc.baseId : rsc.id;
  let total = 0;
  let last = 0;
  for (const [name, value] of node.attributes) {
    if (name === `fail-count-${id}` || name.startsWith(`fail-count-${id}#`)) total = addScores(total, parseScore(value) ?? 0);
    if (name === `last-failure-${id}` || name.startsWith(`last-failure-${id}#`)) last = Math.max(last, Number(value) || 0);
  }
  if (total > 0 && rsc.failureTimeoutMs > 0 && last > 0 && last + rsc.failureTimeoutMs / 1000 <= set.nowS) return 0;
  return total;
}

export { parseDurationMs };
