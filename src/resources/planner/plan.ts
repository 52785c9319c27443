// Owns the planner's entry point: plan(input, now) runs the stages in Pacemaker's order —
// unpack status, apply locations, stickiness and fail counts, assign resources, create
// actions, schedule fencing, order and propagate — and returns the transition: its actions,
// orderings and summary. Pure: same input, same transition.

import type { PlannerInput } from '../model.js';
import { INFINITY } from '../model.js';
import { ActionGraph, configuredOrderings, createActions, internalOrderings, scheduleFencing, type Action } from './actions.js';
import { assignResource, sortResourcesForAssignment } from './assign.js';
import { applyDefinitionChanges } from './definition.js';
import { applyLocation } from './constraints.js';
import { propagate } from './propagate.js';
import { transitionSummary, type SummaryLine } from './summary.js';
import { unpack } from './unpack.js';
import { failcount, failcountKey, nodeFailures } from './failcount.js';
import { cloneOf, locate, topParent, type PNode, type Rsc, type WorkingSet } from './working-set.js';

export interface Transition {
  readonly actions: readonly Action[];
  readonly summary: readonly SummaryLine[];
  readonly set: WorkingSet;
}

export function plan(input: PlannerInput, nowS: number): Transition {
  const set = unpack(input, nowS);
  applyNodeCriteria(set);
  for (const rsc of sortResourcesForAssignment(set)) assignResource(set, rsc);
  const graph = new ActionGraph();
  for (const rsc of set.resources) createActions(set, graph, rsc);
  for (const rsc of set.byId.values()) if (rsc.variant === 'primitive') applyDefinitionChanges(set, graph, rsc);
  scheduleFencing(set, graph);
  for (const rsc of set.resources) internalOrderings(graph, rsc);
  configuredOrderings(set, graph);
  propagate(set, graph);
  return { actions: graph.actions, summary: transitionSummary(set, graph), set };
}

function applyNodeCriteria(set: WorkingSet): void {
  const all = (r: Rsc): Rsc[] => [r, ...r.children.flatMap(all)];
  for (const top of set.resources) for (const r of all(top)) for (const l of r.locations) applyLocation(r, l);
  applyStickinessAndFailures(set);
}

/**
 * Stickiness where a resource runs, and migration-threshold bans where it failed, node by node
 * and in resource-tree order as Pacemaker does. Only resources running on the node alone or
 * with failures recorded there can be affected on it, so only those are visited (in that order).
 */
function applyStickinessAndFailures(set: WorkingSet): void {
  const leaves: Rsc[] = [];
  const walk = (r: Rsc): void => { if (r.children.length > 0) r.children.forEach(walk); else leaves.push(r); };
  set.resources.forEach(walk);
  const position = new Map(leaves.map((r, i) => [r, i]));
  const runningAlone = new Map<PNode, Rsc[]>();
  const byExactId = new Map<string, Rsc[]>();
  const byAnyInstanceId = new Map<string, Rsc[]>();
  for (const rsc of leaves) {
    const only = rsc.runningOn.length === 1 ? rsc.runningOn[0] : undefined;
    if (only) listIn(runningAlone, only).push(rsc);
    const key = failcountKey(rsc);
    listIn(key.anyInstance ? byAnyInstanceId : byExactId, key.id).push(rsc);
  }
  for (const node of set.nodes) {
    const failures = nodeFailures(set, node);
    const affected = new Set(runningAlone.get(node));
    for (const id of failures.exact.keys()) for (const rsc of byExactId.get(id) ?? []) affected.add(rsc);
    for (const id of failures.anyInstance.keys()) for (const rsc of byAnyInstanceId.get(id) ?? []) affected.add(rsc);
    const inTreeOrder = [...affected].sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
    for (const rsc of inTreeOrder) applyStickiness(set, rsc, node);
  }
}

function listIn<K>(map: Map<K, Rsc[]>, key: K): Rsc[] {
  let list = map.get(key);
  if (!list) { list = []; map.set(key, list); }
  return list;
}

/** One resource without children on one node. */
function applyStickiness(set: WorkingSet, rsc: Rsc, node: PNode): void {
  if (rsc.managed && rsc.stickiness !== 0 && rsc.runningOn.length === 1 && rsc.runningOn[0] === node) {
    if (rsc.allowed.has(node) || set.symmetric) locate(rsc, node, rsc.stickiness);
  }
  // A fail count being cleared (its failure ran with since-changed parameters) does not count.
  if (rsc.migrationThreshold > 0 && !rsc.failureIgnored && !rsc.failcountCleared.has(node.id)) {
    const failures = failcount(set, rsc, node);
    // An anonymous clone instance's failures ban the whole clone; anything else only itself.
    const anonymous = cloneOf(rsc) !== undefined && cloneOf(rsc)?.clone?.unique !== true;
    if (failures > 0 && rsc.migrationThreshold - failures <= 0) locate(anonymous ? topParent(rsc) : rsc, node, -INFINITY);
  }
}
