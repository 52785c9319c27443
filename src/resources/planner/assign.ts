// Owns assignment: choosing a node for every primitive and group member from its allowed-node
// scores, after folding in colocations both ways (Pacemaker's native_assign, merge_weights and
// colocation_match), with node ordering by score, assigned count and name. Clone instances
// are assigned through clone.ts, which calls back into assignPrimitive. Pure.

import { INFINITY } from '../model.js';
import { addScores } from '../score.js';
import {
  locate, roleRank, type Colocation, type NodeScore, type PNode, type Rsc, type WorkingSet,
} from './working-set.js';
import { assignClone, cloneColocationAsPrimary } from './clone.js';
import { banInsufficientCapacity, compareCapacities, consumeCapacity, releaseCapacity } from './utilization.js';

export const nodeCanRun = (n: PNode): boolean =>
  n.online && !n.shutdown && !n.unclean && !n.standby && !n.maintenance;

export const anyNodeAvailable = (nodes: Map<string, NodeScore>): boolean =>
  [...nodes.values()].some((s) => s.weight >= 0 && nodeCanRun(s.node));

export function copyScores(nodes: Map<string, NodeScore>): Map<string, NodeScore> {
  return new Map([...nodes].map(([id, s]) => [id, { node: s.node, weight: s.weight }]));
}

/** Pacemaker's sort_node_weight: usable first, then weight, then fewest assigned, current, name. */
export function sortNodes(scores: NodeScore[], current: PNode | undefined, set: WorkingSet): NodeScore[] {
  return [...scores].sort((a, b) => {
    const wa = nodeCanRun(a.node) ? a.weight : -INFINITY;
    const wb = nodeCanRun(b.node) ? b.weight : -INFINITY;
    if (wa !== wb) return wb - wa;
    // "minimal" packs nodes: only the score and then the name decide.
    if (set.placementStrategy !== 'minimal') {
      if (set.placementStrategy === 'balanced') {
        const byCapacity = compareCapacities(a.node, b.node);
        if (byCapacity !== 0) return byCapacity;
      }
      if (a.node.assignedCount !== b.node.assignedCount) return a.node.assignedCount - b.node.assignedCount;
      if (current && a.node === current) return -1;
      if (current && b.node === current) return 1;
    }
    return a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0;
  });
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
    const archive = keep ? copyScores(rsc.allowed) : undefined;
    assignResource(set, c.primary);
    applyColocation(set, rsc, c.primary, c);
    if (archive && !anyNodeAvailable(rsc.allowed)) rsc.allowed = archive;
  }
  for (const c of rsc.colocatedWithThis) {
    if (!hasInfluence(c)) continue;
    rsc.allowed = mergeWeights(c.dependent, rsc.allowed, c.nodeAttribute, c.score / INFINITY, { rollback: true });
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
  const nodes = sortNodes([...rsc.allowed.values()], currentNode(rsc), set);
  const best = nodes[0];
  let chosen: NodeScore | undefined;
  if (prefer && best) {
    const p = rsc.allowed.get(prefer.id);
    if (p && p.weight >= best.weight && nodeCanRun(p.node)) chosen = p;
  }
  if (!chosen && best) {
    chosen = best;
    const uniqueInstance = rsc.parent?.variant === 'clone' && rsc.parent.clone?.unique === true;
    const running = currentNode(rsc);
    if (!uniqueInstance && chosen.weight > 0 && nodeCanRun(chosen.node) && running && nodeCanRun(running)) {
      for (const candidate of nodes.slice(1)) {
        if (candidate.weight !== chosen.weight) break;
        if (candidate.node === running) chosen = candidate;
      }
    }
  }
  finalize(set, rsc, chosen?.node, false, chosen?.weight);
}

/** Records the assignment (Pacemaker's pcmk__finalize_assignment). */
export function finalize(set: WorkingSet, rsc: Rsc, node: PNode | undefined, force: boolean, weight?: number): boolean {
  let chosen = node;
  if (!force && chosen) {
    const w = weight ?? rsc.allowed.get(chosen.id)?.weight ?? -INFINITY;
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
  const work = copyScores(dependent.allowed);
  for (const s of work.values()) {
    if (!primary.assignedTo) s.weight = addScores(-c.score, s.weight);
    else if (s.node.attributes.get(attribute) === value) {
      if (c.score < INFINITY) s.weight = addScores(c.score, s.weight);
    } else if (c.score >= INFINITY) s.weight = addScores(-c.score, s.weight);
  }
  if (c.score <= -INFINITY || c.score >= INFINITY || anyNodeAvailable(work)) dependent.allowed = work;
}

const INFINITY_HACK = INFINITY * -100;

/** Folds rsc's (and, transitively, its dependents') preferences into `nodes` (merge_weights). */
export function mergeWeights(rsc: Rsc, nodes: Map<string, NodeScore> | undefined, attribute: string | undefined, factor: number,
  flags: { init?: boolean; rollback?: boolean; positive?: boolean; forward?: boolean }): Map<string, NodeScore> {
  if (rsc.merging) return nodes ?? new Map();
  rsc.merging = true;
  let work: Map<string, NodeScore>;
  const lastMember = rsc.variant === 'group' ? rsc.children[rsc.children.length - 1] : undefined;
  if (flags.init || !nodes) {
    work = lastMember ? mergeWeights(lastMember, undefined, attribute, factor, { ...flags, init: true }) : copyScores(rsc.allowed);
  } else if (lastMember) {
    work = mergeWeights(lastMember, nodes, attribute, factor, flags);
  } else {
    work = copyScores(nodes);
    addScoresMatchingAttribute(work, rsc, attribute, factor, flags.positive === true);
  }
  if (anyNodeAvailable(work)) {
    const multiplier = factor < 0 ? -1 : 1;
    const list = flags.forward ? rsc.colocations : (lastMember ?? rsc).colocatedWithThis;
    for (const c of list) {
      let other: Rsc;
      if (flags.forward) other = c.primary;
      else if (!hasInfluence(c)) continue;
      else other = c.dependent;
      work = mergeWeights(other, work, c.nodeAttribute, multiplier * c.score / INFINITY, { ...flags, init: false, rollback: true });
    }
  } else if (flags.rollback) {
    rsc.merging = false;
    return nodes ?? work;
  }
  if (flags.positive) for (const s of work.values()) if (s.weight === INFINITY_HACK) s.weight = 1;
  rsc.merging = false;
  return work;
}

function addScoresMatchingAttribute(nodes: Map<string, NodeScore>, rsc: Rsc, attribute: string | undefined, factor: number, onlyPositive: boolean): void {
  const attr = attribute ?? '#uname';
  for (const s of nodes.values()) {
    const score = bestScoreMatching(rsc, attr, s.node.attributes.get(attr));
    if (factor < 0 && score < 0) continue;
    if (s.weight === INFINITY_HACK) continue;
    const product = factor * score;
    let weight = Math.trunc(product < 0 ? product - 0.5 : product + 0.5);
    if (weight === 0 && score !== 0) weight = factor > 0 ? 1 : factor < 0 ? -1 : 0;
    const next = addScores(weight, s.weight);
    if (onlyPositive && next < 0 && s.weight > 0) { s.weight = INFINITY_HACK; continue; }
    if (onlyPositive && next < 0 && s.weight === 0) continue;
    s.weight = next;
  }
}

function bestScoreMatching(rsc: Rsc, attribute: string, value: string | undefined): number {
  let best = -INFINITY;
  for (const s of rsc.allowed.values()) {
    if (s.weight > best && nodeCanRun(s.node) && s.node.attributes.get(attribute) === value) best = s.weight;
  }
  return best;
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
  const merged = new Map<Rsc, Map<string, NodeScore>>();
  const scoresOf = (r: Rsc): Map<string, NodeScore> => {
    let m = merged.get(r);
    if (!m) { m = mergeWeights(r, undefined, undefined, 1, { init: true }); merged.set(r, m); }
    return m;
  };
  const indexed = set.resources.map((r, i) => ({ r, i }));
  indexed.sort((x, y) => {
    const a = x.r;
    const b = y.r;
    if (a.priority !== b.priority) return b.priority - a.priority;
    const sa = scoresOf(a);
    const sb = scoresOf(b);
    const ca = a.runningOn[0] ? sa.get(a.runningOn[0].id)?.weight ?? -INFINITY : -INFINITY;
    const cb = b.runningOn[0] ? sb.get(b.runningOn[0].id)?.weight ?? -INFINITY : -INFINITY;
    if (ca !== cb) return cb - ca;
    for (const n of nodes) {
      const wa = sa.get(n.id)?.weight ?? -INFINITY;
      const wb = sb.get(n.id)?.weight ?? -INFINITY;
      if (wa !== wb) return wb - wa;
    }
    return x.i - y.i;
  });
  return indexed.map((x) => x.r);
}
