// Owns clone assignment: ordering instances, keeping active ones where they are, spreading the
// rest within clone-max and clone-node-max, colocations with clones (interleaved or not), and
// for promotable clones choosing which instances are promoted (Pacemaker's distribute_children
// and pcmk__set_instance_roles). Pure.

import { INFINITY } from '../model.js';
import { addScores, parseScore } from '../score.js';
import {
  assignResource, deassign, filterColocation, finalize, hasInfluence, mergeWeights, nodeCanRun,
  sortNodes, applyColocation,
} from './assign.js';
import { promotionNeedsTicket } from './tickets.js';
import { cloneOf, leaves, locate, roleRank, type Colocation, type NodeScores, type PNode, type Role, type Rsc, type WorkingSet } from './working-set.js';

/** Where an instance is assigned (a group instance: its first member's node). */
export function instanceNode(rsc: Rsc): PNode | undefined {
  if (rsc.variant === 'primitive') return rsc.assignedTo;
  return rsc.children[0] ? instanceNode(rsc.children[0]) : undefined;
}

function instanceCurrent(rsc: Rsc): { node: PNode | undefined; count: number } {
  const nodes = new Set<PNode>();
  const walk = (r: Rsc): void => { if (r.variant === 'primitive') r.runningOn.forEach((n) => nodes.add(n)); r.children.forEach(walk); };
  walk(rsc);
  const first = rsc.variant === 'primitive' ? rsc.runningOn[0] : [...nodes][0];
  return { node: first, count: nodes.size };
}

function instanceFailed(rsc: Rsc): boolean {
  return rsc.failed || rsc.children.some(instanceFailed);
}

export function nextRoleOf(rsc: Rsc): Role {
  if (rsc.variant === 'primitive') return rsc.nextRole;
  let best: Role = 'Unknown';
  for (const c of rsc.children) { const r = nextRoleOf(c); if (roleRank[r] > roleRank[best]) best = r; }
  return best;
}

export function currentRoleOf(rsc: Rsc): Role {
  if (rsc.variant === 'primitive') return rsc.role;
  let best: Role = 'Stopped';
  for (const c of rsc.children) { const r = currentRoleOf(c); if (roleRank[r] > roleRank[best]) best = r; }
  return best;
}

function addToInstance(rsc: Rsc, node: PNode, score: number): void {
  const weight = rsc.allowed.weight(node);
  if (weight !== undefined) rsc.allowed.set(node, addScores(weight, score));
  for (const c of rsc.children) addToInstance(c, node, score);
}

function compareInstances(clone: Rsc): (a: Rsc, b: Rsc) => number {
  return (a, b) => {
    const ca = instanceCurrent(a);
    const cb = instanceCurrent(b);
    if (ca.count > 0 && cb.count > 0 && ca.count !== cb.count) return ca.count - cb.count;
    const usableA = ca.node !== undefined && nodeCanRun(ca.node);
    const usableB = cb.node !== undefined && nodeCanRun(cb.node);
    if (usableA !== usableB) return usableA ? -1 : 1;
    if (a.priority !== b.priority) return b.priority - a.priority;
    if ((ca.node !== undefined) !== (cb.node !== undefined)) return ca.node ? -1 : 1;
    const fa = instanceFailed(a);
    const fb = instanceFailed(b);
    if (fa !== fb) return fa ? 1 : -1;
    if (ca.node && cb.node) {
      const wa = clone.allowed.weight(ca.node) ?? -INFINITY;
      const wb = clone.allowed.weight(cb.node) ?? -INFINITY;
      if (wa !== wb) return wb - wa;
    }
    return a.sortIndex - b.sortIndex;
  };
}

export function assignClone(set: WorkingSet, clone: Rsc): void {
  const settings = clone.clone;
  if (!settings || !clone.provisional || clone.assigning) return;
  if (settings.promotable) addPromotionScores(clone);
  clone.assigning = true;
  for (const c of clone.colocations) assignResource(set, c.primary);
  for (const c of clone.colocatedWithThis) {
    if (hasInfluence(c)) clone.allowed = mergeWeights(set, c.dependent, clone.allowed, c.nodeAttribute, c.score / INFINITY, { rollback: true, positive: true });
  }
  clone.children.forEach((c, i) => { c.sortIndex = i; });
  const instances = [...clone.children].sort(compareInstances(clone));
  distribute(set, clone, instances);
  if (settings.promotable) setInstanceRoles(set, clone);
  clone.provisional = false;
  clone.assigning = false;
}

function distribute(set: WorkingSet, clone: Rsc, instances: Rsc[]): void {
  const settings = clone.clone;
  if (!settings) return;
  const counts = new Map<string, number>();
  let available = 0;
  clone.allowed.forEach((node) => { if (nodeCanRun(node)) available++; });
  const allColocations = settings.max < available;
  const optimal = Math.max(1, available > 0 ? Math.floor(settings.max / available) : 1);
  let assigned = 0;
  for (const instance of instances) {
    if (assigned >= settings.max) break;
    const current = instanceCurrent(instance);
    if (!current.node || !instance.provisional || instanceFailed(instance)) continue;
    const parentScore = clone.allowed.weight(current.node);
    if (!nodeCanRun(current.node) || (parentScore ?? -INFINITY) < 0) continue;
    if (parentScore !== undefined && (counts.get(current.node.id) ?? 0) >= optimal) continue;
    if (assignInstance(set, clone, instance, current.node, allColocations, settings.nodeMax, counts)) assigned++;
  }
  for (const instance of instances) {
    if (!instance.provisional) continue;
    if (assigned >= settings.max) {
      for (const n of set.nodes) addToInstanceBan(instance, n);
      stopInstance(set, instance);
      continue;
    }
    if (assignInstance(set, clone, instance, undefined, allColocations, settings.nodeMax, counts)) assigned++;
  }
}

function addToInstanceBan(rsc: Rsc, node: PNode): void {
  rsc.allowed.set(node, -INFINITY);
  rsc.children.forEach((c) => addToInstanceBan(c, node));
}

function stopInstance(set: WorkingSet, rsc: Rsc): void {
  if (rsc.variant === 'primitive') { if (rsc.provisional) finalize(set, rsc, undefined, true); return; }
  rsc.children.forEach((c) => stopInstance(set, c));
  rsc.provisional = false;
  rsc.nextRole = 'Stopped';
}

/** Gives an instance its clone's colocations (Pacemaker's append_parent_colocation). */
function appendParentColocations(clone: Rsc, instance: Rsc, all: boolean): void {
  const targets = instance.variant === 'group' ? instance.children.slice(0, 1) : [instance];
  const lastTargets = instance.variant === 'group' ? instance.children.slice(-1) : [instance];
  for (const t of targets) {
    if (t.parentColocationsAdded) continue;
    for (const c of clone.colocations) if (all || c.score < 0 || c.score === INFINITY) t.colocations.unshift(c);
  }
  for (const t of lastTargets) {
    if (t.parentColocationsAdded) continue;
    for (const c of clone.colocatedWithThis) if (hasInfluence(c) && (all || c.score < 0)) t.colocatedWithThis.unshift(c);
  }
  for (const t of [...targets, ...lastTargets]) t.parentColocationsAdded = true;
}

function assignInstance(set: WorkingSet, clone: Rsc, instance: Rsc, prefer: PNode | undefined, all: boolean, limit: number, counts: Map<string, number>): boolean {
  if (!instance.provisional) return instanceNode(instance) !== undefined;
  appendParentColocations(clone, instance, all);
  if (prefer) {
    const local = instance.allowed.weight(prefer) ?? instance.children[0]?.allowed.weight(prefer);
    if (local === undefined || local < 0) return false;
  }
  for (const node of instance.allowed.nodesWithEntries()) {
    const parent = clone.allowed.weight(node);
    const full = (counts.get(node.id) ?? 0) >= limit;
    if (!nodeCanRun(node) || instance.orphan || parent === undefined) addToInstance(instance, node, -INFINITY);
    else if (parent < 0) addToInstance(instance, node, parent);
    else if (full) addToInstance(instance, node, -INFINITY);
  }
  // Only an assignment to a preferred node is taken back.
  const backup = prefer ? snapshot(instance) : undefined;
  clone.assigning = true;
  const chosen = assignResource(set, instance, prefer);
  if (chosen && prefer && chosen !== prefer) {
    if (backup) restore(set, backup);
    return false;
  }
  if (chosen) counts.set(chosen.id, (counts.get(chosen.id) ?? 0) + 1);
  return chosen !== undefined;
}

interface Snapshot { rsc: Rsc; allowed: NodeScores; provisional: boolean; nextRole: Role }

function snapshot(rsc: Rsc): Snapshot[] {
  const out: Snapshot[] = [];
  const walk = (r: Rsc): void => { out.push({ rsc: r, allowed: r.allowed.copy(), provisional: r.provisional, nextRole: r.nextRole }); r.children.forEach(walk); };
  walk(rsc);
  return out;
}

function restore(set: WorkingSet, saved: Snapshot[]): void {
  for (const s of saved) {
    deassign(set, s.rsc);
    s.rsc.allowed = s.allowed;
    s.rsc.provisional = s.provisional;
    s.rsc.nextRole = s.nextRole;
    s.rsc.assigning = false;
  }
}

/** Colocation of a (non-clone) dependent with a clone, once the clone is placed. */
export function cloneColocationAsPrimary(set: WorkingSet, dependent: Rsc, primary: Rsc, c: Colocation): void {
  const settings = primary.clone;
  if (!settings || primary.provisional) return;
  if (settings.promotable && c.primaryRole !== 'Unknown') {
    if (dependent.provisional) { dependentWithPromotable(dependent, primary, c); return; }
    if (c.dependentRole === 'Promoted') { promotableDependentPriority(set, dependent, primary, c); return; }
  }
  const dependentClone = c.dependent.variant === 'clone' ? c.dependent : undefined;
  if (dependentClone?.clone?.interleave && dependentClone.clone.nodeMax === settings.nodeMax) {
    const partner = findCompatibleInstance(set, dependent, primary, 'Unknown');
    if (partner) applyColocation(set, dependent, partner, c);
    else if (c.score >= INFINITY) finalize(set, dependent, undefined, true);
    return;
  }
  if (c.score >= INFINITY) {
    const nodes = new Set<string>();
    for (const instance of primary.children) {
      const n = instanceNode(instance);
      if (n && !instance.blocked) nodes.add(n.id);
    }
    dependent.allowed.update((node, weight) => (nodes.has(node.id) ? weight : -INFINITY));
    return;
  }
  for (const instance of primary.children) applyColocation(set, dependent, instance, c);
}

/**
 * The instance of `primary` on the same node as `local` (Pacemaker's find_compatible_child):
 * by where instances will be, or with `current`, by where they are now.
 */
export function findCompatibleInstance(set: WorkingSet, local: Rsc, primary: Rsc, role: Role, current = false): Rsc | undefined {
  const where = (r: Rsc): PNode | undefined => (current ? instanceCurrent(r).node : instanceNode(r));
  const roleOf = (r: Rsc): Role => (current ? currentRoleOf(r) : nextRoleOf(r));
  const byNode = (node: PNode): Rsc | undefined => primary.children.find((i) => where(i) === node
    && (role === 'Unknown' || roleOf(i) === role));
  const here = where(local);
  if (here) return byNode(here);
  for (const s of sortNodes(local.allowed.values(), undefined, set)) {
    const pair = byNode(s.node);
    if (pair) return pair;
  }
  return undefined;
}

function dependentWithPromotable(dependent: Rsc, primary: Rsc, c: Colocation): void {
  const affected = new Set<string>();
  const attribute = c.nodeAttribute ?? '#id';
  for (const instance of primary.children) {
    const node = instanceNode(instance);
    if (!node || nextRoleOf(instance) !== c.primaryRole) continue;
    if (c.score < INFINITY) {
      const value = node.attributes.get(attribute);
      dependent.allowed.update((n, weight) => (n.attributes.get(attribute) === value ? addScores(weight, c.score) : weight));
    }
    affected.add(node.id);
  }
  if (c.score >= INFINITY && (c.dependentRole !== 'Promoted' || c.primaryRole !== 'Promoted')) {
    dependent.allowed.update((node, weight) => (affected.has(node.id) ? weight : -INFINITY));
  }
}

function promotableDependentPriority(set: WorkingSet, dependent: Rsc, primary: Rsc, c: Colocation): void {
  const partner = findCompatibleInstance(set, dependent, primary, c.primaryRole);
  if (partner) dependent.priority = addScores(dependent.priority, c.score);
  else if (c.score >= INFINITY) dependent.priority = -INFINITY;
}

// ---- promotion -------------------------------------------------------------------------------

function promotionScore(rsc: Rsc, node: PNode, notSet: number): number {
  if (rsc.variant !== 'primitive') {
    let score = notSet;
    for (const c of rsc.children) {
      const s = promotionScore(c, node, notSet);
      score = score === notSet ? s : score + s;
    }
    return score;
  }
  const unique = cloneOf(rsc)?.clone?.unique === true;
  if (!(!unique && anonymousInstanceCounts(rsc, node)) && (rsc.runningOn.length > 0 || rsc.knownOn.size > 0)) {
    if (!rsc.runningOn.includes(node) && !rsc.knownOn.has(node.id)) return notSet;
  }
  const allowed = rsc.allowed.weight(node);
  if (allowed === undefined || allowed < 0) return notSet;
  // The name the node's history uses for the instance, else (anonymous) the configured name.
  let value = node.attributes.get(`master-${rsc.cloneName ?? rsc.id}`);
  if (value === undefined && !unique && rsc.baseId !== rsc.id) value = node.attributes.get(`master-${rsc.baseId}`);
  if (value === undefined || value === '') return notSet;
  return parseScore(value) ?? notSet;
}

/**
 * Whether an anonymous instance's promotion score on node counts (Pacemaker's
 * filter_anonymous_instance): the instance active there, else any instance probed there.
 */
function anonymousInstanceCounts(rsc: Rsc, node: PNode): boolean {
  const clone = cloneOf(rsc);
  if (!clone) return false;
  const same = (instance: Rsc): Rsc | undefined => leaves(instance).find((m) => m.baseId === rsc.baseId);
  for (const instance of clone.children) {
    const member = same(instance);
    if (member && member.runningOn.includes(node)) return member === rsc;
  }
  return clone.children.some((instance) => same(instance)?.knownOn.has(node.id) === true);
}

function addPromotionScores(clone: Rsc): void {
  if ((clone.clone?.promotedMax ?? 0) === 0) return;
  for (const instance of clone.children) {
    for (const node of instance.allowed.nodesWithEntries()) {
      if (!nodeCanRun(node)) continue;
      const score = promotionScore(instance, node, 0);
      if (score > 0) instance.allowed.add(node, score);
      instance.priority = Math.max(instance.priority, score);
    }
  }
}

function setNextRoleTree(rsc: Rsc, role: Role): void {
  rsc.nextRole = role;
  rsc.children.forEach((c) => setNextRoleTree(c, role));
}

function setCurrentUnpromoted(rsc: Rsc): void {
  if (rsc.role === 'Started') rsc.role = 'Unpromoted';
  rsc.children.forEach(setCurrentUnpromoted);
}

function canBePromoted(clone: Rsc, rsc: Rsc, promotedOnNode: Map<string, number>): PNode | undefined {
  for (const c of rsc.children) if (!canBePromoted(clone, c, promotedOnNode)) return undefined;
  const node = instanceNode(rsc);
  if (!node) return undefined;
  if (!allManaged(rsc)) {
    if (currentRoleOf(rsc) !== 'Promoted') return undefined;
  } else if (rsc.priority < 0 || !nodeCanRun(node)) return undefined;
  if (!clone.allowed.has(node)) return undefined;
  if ((promotedOnNode.get(node.id) ?? 0) < (clone.clone?.promotedNodeMax ?? 1) || !allManaged(rsc)) return node;
  return undefined;
}

const allManaged = (rsc: Rsc): boolean => rsc.managed && rsc.children.every(allManaged);

function setInstanceRoles(set: WorkingSet, clone: Rsc): void {
  const settings = clone.clone;
  if (!settings) return;
  for (const instance of clone.children) {
    if (currentRoleOf(instance) === 'Started') setCurrentUnpromoted(instance);
    const chosen = instanceNode(instance);
    if (!chosen) continue;
    const next = nextRoleOf(instance);
    switch (next) {
      case 'Started': case 'Unknown': instance.priority = promotionScore(instance, chosen, -1); break;
      case 'Unpromoted': case 'Stopped': instance.priority = -INFINITY; break;
      case 'Promoted': instance.priority = INFINITY; break;
    }
    for (const target of [instance, clone]) {
      for (const l of target.locations) {
        if (l.role !== 'Promoted') continue;
        const match = l.nodes.find((x) => x.node === chosen);
        if (match) instance.priority = addScores(instance.priority, match.weight);
      }
    }
    for (const leaf of instance.variant === 'group' ? instance.children : [instance]) {
      for (const c of leaf.colocations) {
        if (c.primary.variant === 'clone') cloneColocationAsPrimary(set, instance, c.primary, c);
        else if (filterColocation(instance, c.primary, c, false) === 'priority') influencePriority(instance, c.primary, c);
      }
    }
    instance.sortIndex = next === 'Promoted' ? INFINITY : instance.priority;
  }
  promotionOrder(set, clone);
  const promotedOnNode = new Map<string, number>();
  let promoted = 0;
  for (const instance of clone.children) {
    const eligible = instance.sortIndex >= 0 && (promoted < settings.promotedMax || !clone.managed);
    const chosen = eligible ? canBePromoted(clone, instance, promotedOnNode) : undefined;
    if (!chosen || (roleRank[currentRoleOf(instance)] < roleRank.Promoted && !set.haveQuorum && set.noQuorumPolicy === 'freeze')) {
      setNextRoleTree(instance, instanceNode(instance) ? 'Unpromoted' : 'Stopped');
      continue;
    }
    promotedOnNode.set(chosen.id, (promotedOnNode.get(chosen.id) ?? 0) + 1);
    setNextRoleTree(instance, 'Promoted');
    promoted++;
  }
}

function influencePriority(dependent: Rsc, primary: Rsc, c: Colocation): void {
  const d = instanceNode(dependent);
  const p = primary.variant === 'primitive' ? primary.assignedTo : instanceNode(primary);
  if (!d || !p) return;
  const attribute = c.nodeAttribute ?? '#id';
  if (d.attributes.get(attribute) !== p.attributes.get(attribute)) {
    if (c.score >= INFINITY && c.dependentRole === 'Promoted') dependent.priority = -INFINITY;
    return;
  }
  if (c.primaryRole !== 'Unknown' && c.primaryRole !== primary.nextRole) return;
  const multiplier = c.dependentRole === 'Unpromoted' ? -1 : 1;
  dependent.priority = addScores(multiplier * c.score, dependent.priority);
}

function promotionOrder(set: WorkingSet, clone: Rsc): void {
  for (const instance of clone.children) {
    const chosen = instanceNode(instance);
    if (!chosen || instance.sortIndex < 0) continue;
    const weight = clone.allowed.weight(chosen);
    if (weight !== undefined) clone.allowed.set(chosen, addScores(instance.sortIndex, weight));
  }
  clone.merging = true;
  for (const c of clone.colocations) {
    if (c.dependentRole !== 'Promoted') continue;
    clone.merging = false;
    clone.allowed = mergeWeights(set, c.primary, clone.allowed, c.nodeAttribute, c.score / INFINITY, c.score === INFINITY ? {} : { rollback: true });
    clone.merging = true;
  }
  for (const c of clone.colocatedWithThis) {
    if (!hasInfluence(c) || c.primaryRole !== 'Promoted') continue;
    clone.merging = false;
    clone.allowed = mergeWeights(set, c.dependent, clone.allowed, c.nodeAttribute, c.score / INFINITY, { rollback: true, positive: true });
    clone.merging = true;
  }
  clone.merging = false;
  if (promotionNeedsTicket(clone)) for (const n of set.nodes) locate(clone, n, -INFINITY);
  for (const instance of clone.children) {
    const chosen = instanceNode(instance);
    if (!allManaged(instance) && nextRoleOf(instance) === 'Promoted') instance.sortIndex = INFINITY;
    else if (chosen && instance.sortIndex >= 0) instance.sortIndex = clone.allowed.weight(chosen) ?? instance.sortIndex;
  }
  const original = new Map(clone.children.map((c, i) => [c, i]));
  const byInstance = compareInstances(clone);
  clone.children.sort((a, b) => {
    if (a.sortIndex !== b.sortIndex) return b.sortIndex - a.sortIndex;
    const ra = roleRank[currentRoleOf(a)];
    const rb = roleRank[currentRoleOf(b)];
    if (ra !== rb) return rb - ra;
    return byInstance(a, b) || (original.get(a) ?? 0) - (original.get(b) ?? 0);
  });
}
