// Owns assignment: choosing a node for every primitive and group member from its allowed-node
// scores, after folding in colocations both ways (Pacemaker's native_assign, merge_weights and
// colocation_match), with node ordering by score, assigned count and name. Clone instances
// are assigned through clone.ts, which calls back into assignPrimitive. Pure.

import { INFINITY } from '../model.js';
import { addScores } from '../score.js';
import {
  locate, roleRank, type AttributeClasses, type Colocation, type NodeScore, type NodeScores, type PNode, type Rsc, type WorkingSet,
} from './working-set.js';
import { assignClone, cloneColocationAsPrimary } from './clone.js';
import { banInsufficientCapacity, compareCapacities, consumeCapacity, releaseCapacity } from './utilization.js';

export const nodeCanRun = (n: PNode): boolean =>
  n.online && !n.shutdown && !n.unclean && !n.standby && !n.maintenance;

export const anyNodeAvailable = (nodes: NodeScores): boolean =>
  nodes.some((node, weight) => weight >= 0 && nodeCanRun(node));

/** Pacemaker's sort_node_weight: usable first, then weight, then fewest assigned, current, name. */
function compareNodes(a: PNode, weightA: number, b: PNode, weightB: number, current: PNode | undefined, set: WorkingSet): number {
  const wa = nodeCanRun(a) ? weightA : -INFINITY;
  const wb = nodeCanRun(b) ? weightB : -INFINITY;
  if (wa !== wb) return wb - wa;
  // "minimal" packs nodes: only the score and then the name decide.
  if (set.placementStrategy !== 'minimal') {
    if (set.placementStrategy === 'balanced') {
      const byCapacity = compareCapacities(a, b);
      if (byCapacity !== 0) return byCapacity;
    }
    if (a.assignedCount !== b.assignedCount) return a.assignedCount - b.assignedCount;
    if (current && a === current) return -1;
    if (current && b === current) return 1;
  }
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function sortNodes(scores: NodeScore[], current: PNode | undefined, set: WorkingSet): NodeScore[] {
  return [...scores].sort((a, b) => compareNodes(a.node, a.weight, b.node, b.weight, current, set));
}

/**
 * The first node sortNodes would give, found in one pass. Comparing capacities ("balanced")
 * need not be transitive, so there the first node is whatever the sort makes it: sort then.
 */
function bestNode(scores: NodeScores, current: PNode | undefined, set: WorkingSet): NodeScore | undefined {
  if (set.placementStrategy === 'balanced') return sortNodes(scores.values(), current, set)[0];
  // The usable score comes first in the comparison.
  return scores.first((node, weight) => (nodeCanRun(node) ? weight : -INFINITY),
    (node, weight, leader, leaderWeight) => compareNodes(node, weight, leader, leaderWeight, current, set));
}

export function currentNode(rsc: Rsc): PNode | undefined {
  return rsc.runningOn[0];
}

/** Assigns any resource: groups assign their members, clones their instances. */
export function assignResource(set: WorkingSet, rsc: Rsc, prefer?: PNode): PNode | undefined {
  switch (rsc.variant) {
    case 'primitive': return assignPrimitive(set, rsc, prefer);
    case 'group': return assignGroup(set, rsc, prefer);
    case 'clone': assignClone(set, rsc); return undefined;
  }
}

function assignGroup(set: WorkingSet, rsc: Rsc, prefer?: PNode): PNode | undefined {
  if (!rsc.provisional) return rsc.assignedTo;
  if (rsc.assigning) return undefined;
  const first = rsc.children[0];
  if (!first) { rsc.provisional = false; return undefined; }
  rsc.assigning = true;
  rsc.role = first.role;
  let groupNode: PNode | undefined;
  for (const child of rsc.children) {
    const node = assignPrimitive(set, child, prefer);
    groupNode ??= node;
  }
  rsc.nextRole = first.nextRole;
  rsc.assigning = false;
  rsc.provisional = false;
  rsc.assignedTo = groupNode;
  return groupNode;
}

export function assignPrimitive(set: WorkingSet, rsc: Rsc, prefer?: PNode): PNode | undefined {
  if (rsc.parent && !rsc.parent.assigning) assignResource(set, rsc.parent, prefer);
  if (!rsc.provisional) return rsc.assignedTo;
  if (rsc.assigning) return undefined;
  rsc.assigning = true;
  for (const c of rsc.colocations) {
    const keep = roleRank[c.dependentRole] >= roleRank.Promoted || (c.score < 0 && c.score > -INFINITY);
    const archive = keep ? rsc.allowed.copy() : undefined;
    assignResource(set, c.primary);
    applyColocation(set, rsc, c.primary, c);
    if (archive && !anyNodeAvailable(rsc.allowed)) rsc.allowed = archive;
  }
  for (const c of rsc.colocatedWithThis) {
    if (!hasInfluence(c)) continue;
    rsc.allowed = mergeWeights(set, c.dependent, rsc.allowed, c.nodeAttribute, c.score / INFINITY, { rollback: true });
  }
  if (rsc.nextRole === 'Stopped') {
    for (const n of set.nodes) locate(rsc, n, -INFINITY);
  } else if (roleRank[rsc.nextRole] > roleRank[rsc.role] && !set.haveQuorum && set.noQuorumPolicy === 'freeze') {
    rsc.nextRole = rsc.role;
  }
  if (!rsc.managed) {
    rsc.nextRole = rsc.role;
    finalize(set, rsc, currentNode(rsc), true);
  } else if (set.stopEverything) {
    finalize(set, rsc, undefined, true);
  } else if (rsc.provisional) {
    const mostCapable = banInsufficientCapacity(set, rsc, nodeCanRun);
    chooseNode(set, rsc, prefer ?? mostCapable);
  }
  rsc.assigning = false;
  return rsc.assignedTo;
}

export const hasInfluence = (c: Colocation): boolean => c.influence || c.primary.runningOn.length === 0;

function chooseNode(set: WorkingSet, rsc: Rsc, prefer: PNode | undefined): void {
  const best = bestNode(rsc.allowed, currentNode(rsc), set);
  let chosen: NodeScore | undefined;
  if (prefer && best) {
    const p = rsc.allowed.weight(prefer);
    if (p !== undefined && p >= best.weight && nodeCanRun(prefer)) chosen = { node: prefer, weight: p };
  }
  if (!chosen && best) {
    chosen = best;
    const uniqueInstance = rsc.parent?.variant === 'clone' && rsc.parent.clone?.unique === true;
    const running = currentNode(rsc);
    if (!uniqueInstance && chosen.weight > 0 && nodeCanRun(chosen.node) && running && nodeCanRun(running)) {
      // Pacemaker walks the sorted nodes while they tie with the best, taking the current
      // one if it meets it: usable nodes come first by score, so that is the current node
      // exactly when it is usable and scores the same.
      if (rsc.allowed.weight(running) === chosen.weight) chosen = { node: running, weight: chosen.weight };
    }
  }
  finalize(set, rsc, chosen?.node, false, chosen?.weight);
}

/** Records the assignment (Pacemaker's pcmk__finalize_assignment). */
export function finalize(set: WorkingSet, rsc: Rsc, node: PNode | undefined, force: boolean, weight?: number): boolean {
  let chosen = node;
  if (!force && chosen) {
    const w = weight ?? rsc.allowed.weight(chosen) ?? -INFINITY;
    if (w < 0 || !nodeCanRun(chosen)) {
      rsc.nextRole = 'Stopped';
      chosen = undefined;
    }
  }
  deassign(set, rsc);
  rsc.provisional = false;
  if (!chosen) {
    rsc.nextRole = 'Stopped';
    return false;
  }
  rsc.assignedTo = chosen;
  chosen.assignedCount++;
  consumeCapacity(set, chosen, rsc);
  return true;
}

export function deassign(set: WorkingSet, rsc: Rsc): void {
  if (rsc.assignedTo) {
    releaseCapacity(set, rsc.assignedTo, rsc);
    rsc.assignedTo.assignedCount--;
    rsc.assignedTo = undefined;
  }
}

/** Applies colocation `c` of dependent with primary once primary is placed. */
export function applyColocation(set: WorkingSet, dependent: Rsc, primary: Rsc, c: Colocation): void {
  if (primary.variant === 'clone') { cloneColocationAsPrimary(set, dependent, primary, c); return; }
  if (primary.variant === 'group') {
    const member = c.score >= INFINITY ? primary.children[primary.children.length - 1] : primary.children[0];
    if (member) applyColocation(set, dependent, member, c);
    return;
  }
  const filter = filterColocation(dependent, primary, c, false);
  if (filter === 'location') colocationMatch(dependent, primary, c);
}

export function filterColocation(dependent: Rsc, primary: Rsc, c: Colocation, preview: boolean): 'nothing' | 'location' | 'priority' {
  if (!preview && primary.provisional) return 'nothing';
  if (roleRank[c.dependentRole] >= roleRank.Unpromoted && dependent.parent?.clone?.promotable && !dependent.provisional) return 'priority';
  if (!preview && !dependent.provisional) return 'nothing';
  if (c.score > 0 && c.dependentRole !== 'Unknown' && c.dependentRole !== dependent.nextRole) return 'nothing';
  if (c.score > 0 && c.primaryRole !== 'Unknown' && c.primaryRole !== primary.nextRole) return 'nothing';
  if (c.score < 0 && c.dependentRole !== 'Unknown' && c.dependentRole === dependent.nextRole) return 'nothing';
  if (c.score < 0 && c.primaryRole !== 'Unknown' && c.primaryRole === primary.nextRole) return 'nothing';
  return 'location';
}

function colocationMatch(dependent: Rsc, primary: Rsc, c: Colocation): void {
  const attribute = c.nodeAttribute ?? '#id';
  const value = primary.assignedTo?.attributes.get(attribute);
  if (!primary.assignedTo && c.score < 0) return;
  // A mandatory colocation always applies, so it changes the scores in place; an advisory one
  // only if some node stays available, so it works on a copy.
  const mandatory = c.score <= -INFINITY || c.score >= INFINITY;
  const work = mandatory ? dependent.allowed : dependent.allowed.copy();
  work.update((node, weight) => {
    if (!primary.assignedTo) return addScores(-c.score, weight);
    if (node.attributes.get(attribute) === value) return c.score < INFINITY ? addScores(c.score, weight) : weight;
    return c.score >= INFINITY ? addScores(-c.score, weight) : weight;
  });
  if (mandatory || anyNodeAvailable(work)) dependent.allowed = work;
}

const INFINITY_HACK = INFINITY * -100;

/** Folds rsc's (and, transitively, its dependents') preferences into `nodes` (merge_weights). */
export function mergeWeights(set: WorkingSet, rsc: Rsc, nodes: NodeScores | undefined, attribute: string | undefined, factor: number,
  flags: { init?: boolean; rollback?: boolean; positive?: boolean; forward?: boolean }): NodeScores {
  if (rsc.merging) return nodes ?? rsc.allowed.cleared();
  rsc.merging = true;
  let work: NodeScores;
  const lastMember = rsc.variant === 'group' ? rsc.children[rsc.children.length - 1] : undefined;
  if (flags.init || !nodes) {
    work = lastMember ? mergeWeights(set, lastMember, undefined, attribute, factor, { ...flags, init: true }) : rsc.allowed.copy();
  } else if (lastMember) {
    work = mergeWeights(set, lastMember, nodes, attribute, factor, flags);
  } else {
    work = nodes.copy();
    addScoresMatchingAttribute(set, work, rsc, attribute, factor, flags.positive === true);
  }
  if (anyNodeAvailable(work)) {
    const multiplier = factor < 0 ? -1 : 1;
    const list = flags.forward ? rsc.colocations : (lastMember ?? rsc).colocatedWithThis;
    for (const c of list) {
      let other: Rsc;
      if (flags.forward) other = c.primary;
      else if (!hasInfluence(c)) continue;
      else other = c.dependent;
      work = mergeWeights(set, other, work, c.nodeAttribute, multiplier * c.score / INFINITY, { ...flags, init: false, rollback: true });
    }
  } else if (flags.rollback) {
    rsc.merging = false;
    return nodes ?? work;
  }
  if (flags.positive) work.update((_node, weight) => (weight === INFINITY_HACK ? 1 : weight));
  rsc.merging = false;
  return work;
}

function addScoresMatchingAttribute(set: WorkingSet, nodes: NodeScores, rsc: Rsc, attribute: string | undefined, factor: number, onlyPositive: boolean): void {
  const classes = attributeClasses(set, attribute ?? '#uname');
  const best = bestScoresByValue(rsc, classes);
  nodes.update((node, current) => {
    const score = best[classes.classOf[node.index] ?? 0] ?? -INFINITY;
    if (factor < 0 && score < 0) return current;
    if (current === INFINITY_HACK) return current;
    const product = factor * score;
    let weight = Math.trunc(product < 0 ? product - 0.5 : product + 0.5);
    if (weight === 0 && score !== 0) weight = factor > 0 ? 1 : factor < 0 ? -1 : 0;
    const next = addScores(weight, current);
    if (onlyPositive && next < 0 && current > 0) return INFINITY_HACK;
    if (onlyPositive && next < 0 && current === 0) return current;
    return next;
  });
}

/**
 * rsc's best score on a usable node, per class of nodes sharing the attribute's value
 * (-INFINITY where it has none). Computed once per merge rather than once per node.
 */
function bestScoresByValue(rsc: Rsc, classes: AttributeClasses): Float64Array {
  const best = new Float64Array(classes.count).fill(-INFINITY);
  rsc.allowed.forEach((node, weight) => {
    if (!nodeCanRun(node)) return;
    const c = classes.classOf[node.index] ?? 0;
    if (weight > (best[c] ?? -INFINITY)) best[c] = weight;
  });
  return best;
}

/**
 * The working set's nodes grouped by their value of `attribute` (nodes without it form one
 * group): classOf[node.index] is the node's group. Node attributes do not change once node
 * states are unpacked, so each attribute's grouping is computed once and kept in the set.
 */
function attributeClasses(set: WorkingSet, attribute: string): AttributeClasses {
  let classes = set.attributeClasses.get(attribute);
  if (!classes) {
    const byValue = new Map<string | undefined, number>();
    const classOf = new Int32Array(set.nodes.length);
    for (const node of set.nodes) {
      const value = node.attributes.get(attribute);
      let c = byValue.get(value);
      if (c === undefined) { c = byValue.size; byValue.set(value, c); }
      classOf[node.index] = c;
    }
    classes = { classOf, count: byValue.size };
    set.attributeClasses.set(attribute, classes);
  }
  return classes;
}

/**
 * The order resources are assigned in. Pacemaker keeps its resource list sorted by priority
 * (a stable sort at unpack); only with a placement strategy other than `default` does it also
 * sort by colocation-merged scores (cmp_resources: priority, then score on the current node,
 * then on any node).
 */
export function sortResourcesForAssignment(set: WorkingSet): Rsc[] {
  if (set.placementStrategy === 'default') {
    return set.resources.map((r, i) => ({ r, i })).sort((x, y) => y.r.priority - x.r.priority || x.i - y.i).map((x) => x.r);
  }
  const nodes = sortNodes(set.nodes.map((node) => ({ node, weight: 0 })), undefined, set).map((s) => s.node);
  const merged = new Map<Rsc, NodeScores>();
  const scoresOf = (r: Rsc): NodeScores => {
    let m = merged.get(r);
    if (!m) { m = mergeWeights(set, r, undefined, undefined, 1, { init: true }); merged.set(r, m); }
    return m;
  };
  const indexed = set.resources.map((r, i) => ({ r, i }));
  indexed.sort((x, y) => {
    const a = x.r;
    const b = y.r;
    if (a.priority !== b.priority) return b.priority - a.priority;
    const sa = scoresOf(a);
    const sb = scoresOf(b);
    const ca = a.runningOn[0] ? sa.weight(a.runningOn[0]) ?? -INFINITY : -INFINITY;
    const cb = b.runningOn[0] ? sb.weight(b.runningOn[0]) ?? -INFINITY : -INFINITY;
    if (ca !== cb) return cb - ca;
    for (const n of nodes) {
      const wa = sa.weight(n) ?? -INFINITY;
      const wb = sb.weight(n) ?? -INFINITY;
      if (wa !== wb) return wb - wa;
    }
    return x.i - y.i;
  });
  return indexed.map((x) => x.r);
}
