// Owns propagating action flags along orderings to a fixed point: a required action makes the
// actions it implies required, an unrunnable one makes what depends on it unrunnable, and a
// group's or clone's pseudo-actions relay both to and from their members (Pacemaker's
// update_action, group_update_actions, clone interleaving). Pure; bounded by a pass limit.

import { OrderFlag, hasFlag } from './order-flags.js';
import { setReason, type Action, type ActionGraph, type Edge } from './actions.js';
import { findCompatibleInstance, instanceNode } from './clone.js';
import type { Rsc, WorkingSet } from './working-set.js';

const childTask: Record<string, string> = { running: 'start', stopped: 'stop', promoted: 'promote', demoted: 'demote' };
const passesMax = 200;

function describe(action: Action, change: 'unrunnable' | 'required'): string {
  return action.rsc ? `${change} ${action.rsc.id} ${action.task}` : `${change} ${action.task}`;
}

function clearOptional(action: Action, because: Action): boolean {
  if (!action.optional) return false;
  action.optional = false;
  if (action.rsc !== because.rsc) setReason(action, describe(because, 'required'), false);
  return true;
}

function clearRunnable(action: Action, because: Action): boolean {
  if (!action.runnable) return false;
  action.runnable = false;
  if (action.rsc !== because.rsc) setReason(action, describe(because, 'unrunnable'), false);
  return true;
}

/** Flags of an action as seen by what comes after it; collectives summarise their members. */
function effective(graph: ActionGraph, action: Action): { optional: boolean; runnable: boolean } {
  const rsc = action.rsc;
  if (!rsc || rsc.variant === 'primitive' || !action.pseudo) return { optional: action.optional, runnable: action.runnable };
  const task = childTask[action.task] ?? action.task;
  const members = rsc.children.map((child) => graph.find(child, task, undefined)).filter((m): m is Action => m !== undefined);
  let optional = true;
  let runnable = true;
  if (rsc.variant === 'group') {
    for (const m of members) {
      const f = effective(graph, m);
      if (!f.optional) optional = false;
      if (task !== action.task && !f.runnable) runnable = false;
    }
    if (members.length < rsc.children.length && task !== 'stop' && task !== 'demote') runnable = false;
  } else {
    let any = false;
    for (const m of members) {
      const f = effective(graph, m);
      if (!f.optional) optional = false;
      if (f.runnable) any = true;
    }
    if (!any) runnable = false;
  }
  if (!optional) action.optional = false;
  if (!runnable) action.runnable = false;
  return { optional: optional && action.optional, runnable: runnable && action.runnable };
}

/** Applies one ordering's rules to `then` (and back to `first`); true when anything changed. */
function applyRules(first: Action, then: Action, flags: number, firstFlags: { optional: boolean; runnable: boolean }): boolean {
  let changed = false;
  if (hasFlag(flags, OrderFlag.ImpliesFirst) && !then.optional && firstFlags.optional) changed = clearOptional(first, then) || changed;
  if (hasFlag(flags, OrderFlag.PromotedImpliesFirst) && then.rsc?.role === 'Promoted' && !then.optional) changed = clearOptional(first, then) || changed;
  if ((hasFlag(flags, OrderFlag.RunnableLeft) || hasFlag(flags, OrderFlag.Asymmetrical)) && then.runnable && !firstFlags.runnable) {
    changed = clearRunnable(then, first) || changed;
  }
  if (hasFlag(flags, OrderFlag.ImpliesThen) && then.optional && !firstFlags.optional) changed = clearOptional(then, first) || changed;
  if (hasFlag(flags, OrderFlag.Restart) && then.rsc) {
    const thenRequired = !then.optional;
    const stopForUnrunnable = !then.runnable && then.rsc.managed && first.rsc === then.rsc;
    if (thenRequired || stopForUnrunnable) {
      if (first.runnable || !then.optional) changed = clearOptional(first, then) || changed;
      if (!first.optional && !first.runnable) changed = clearRunnable(then, first) || changed;
    }
  }
  return changed;
}

function relay(set: WorkingSet, graph: ActionGraph, first: Action, then: Action, flags: number, firstFlags: { optional: boolean; runnable: boolean }): boolean {
  let changed = applyRules(first, then, flags, firstFlags);
  const rsc = then.rsc;
  if (!rsc || rsc.variant === 'primitive' || !then.pseudo || childTask[then.task] !== undefined) return changed;
  if (interleaves(first, then)) return interleave(set, graph, first, then, flags) || changed;
  for (const child of rsc.children) {
    const childAction = graph.find(child, then.task, undefined);
    if (!childAction) continue;
    if (rsc.variant === 'clone' && !childAction.runnable) continue;
    changed = relay(set, graph, first, childAction, flags, firstFlags) || changed;
  }
  return changed;
}

function interleaves(first: Action, then: Action): boolean {
  if (!first.rsc || !then.rsc || first.rsc === then.rsc) return false;
  if (first.rsc.variant !== 'clone' || then.rsc.variant !== 'clone') return false;
  const owner = then.task === 'stop' || then.task === 'demote' ? first.rsc : then.rsc;
  return owner.clone?.interleave === true;
}

function interleave(set: WorkingSet, graph: ActionGraph, first: Action, then: Action, flags: number): boolean {
  const firstRsc = first.rsc as Rsc;
  const thenRsc = then.rsc as Rsc;
  const firstTask = childTask[first.task] ?? first.task;
  let changed = false;
  for (const thenChild of thenRsc.children) {
    const partner = findCompatibleInstance(set, thenChild, firstRsc, 'Unknown');
    if (!partner) {
      if ((hasFlag(flags, OrderFlag.RunnableLeft) || hasFlag(flags, OrderFlag.ImpliesThen)) && instanceNode(thenChild)) {
        for (const a of graph.findAll(thenChild, 'start')) changed = clearRunnable(a, first) || changed;
      }
      continue;
    }
    const firstAction = graph.find(partner, firstTask, undefined);
    const thenAction = graph.find(thenChild, then.task, undefined);
    if (!firstAction || !thenAction) continue;
    graph.order(firstAction, thenAction, flags);
    changed = relay(set, graph, firstAction, thenAction, flags, effective(graph, firstAction)) || changed;
  }
  return changed;
}

function applyEdge(set: WorkingSet, graph: ActionGraph, edge: Edge): boolean {
  if (edge.flags === OrderFlag.None) return false;
  if (hasFlag(edge.flags, OrderFlag.OneOrMore)) return oneOrMore(edge.then);
  return relay(set, graph, edge.first, edge.then, edge.flags, effective(graph, edge.first));
}

function oneOrMore(gate: Action): boolean {
  const runnable = gate.before.filter((e) => hasFlag(e.flags, OrderFlag.OneOrMore) && e.first.runnable).length;
  if (runnable < (gate.required ?? 1) && gate.runnable) { gate.runnable = false; return true; }
  return false;
}

interface Budget { steps: number }

/**
 * Pacemaker's update_action: applies the orderings before `then` (newest first, as Pacemaker
 * prepends them), and re-processes whatever comes after an action that changed.
 */
function updateAction(set: WorkingSet, graph: ActionGraph, then: Action, budget: Budget, depth: number): void {
  if (budget.steps-- <= 0 || depth > depthMax) return;
  for (let i = then.before.length - 1; i >= 0; i--) {
    const edge = then.before[i];
    if (!edge) continue;
    const first = edge.first;
    const before = { then: flagsOf(then), first: flagsOf(first) };
    applyEdge(set, graph, edge);
    if (flagsOf(then) !== before.then) {
      for (const after of [...then.after]) updateAction(set, graph, after.then, budget, depth + 1);
    }
    if (flagsOf(first) !== before.first) {
      for (const after of [...first.after]) updateAction(set, graph, after.then, budget, depth + 1);
      updateAction(set, graph, first, budget, depth + 1);
    }
  }
}

const flagsOf = (a: Action): number => (a.optional ? 1 : 0) | (a.runnable ? 2 : 0);
const depthMax = 64;
const stepsMax = 2_000_000;

/** Runs every ordering until nothing changes (bounded; cycles cannot loop forever). */
export function propagate(set: WorkingSet, graph: ActionGraph): void {
  const budget: Budget = { steps: stepsMax };
  for (let pass = 0; pass < passesMax; pass++) {
    const snapshot = graph.actions.map(flagsOf).join('');
    for (let i = graph.actions.length - 1; i >= 0; i--) {
      const action = graph.actions[i];
      if (action) updateAction(set, graph, action, budget, 0);
    }
    if (graph.actions.map(flagsOf).join('') === snapshot) return;
  }
}
