// Owns propagating action flags along orderings to a fixed point: a required action makes the
// actions it implies required, an unrunnable one makes what depends on it unrunnable, a
// migration survives only while its start and stop stay migratable, and a group's or clone's
// pseudo-actions relay both to and from their members (Pacemaker's update_action,
// pcmk__update_ordered_actions, clone interleaving). When a start or promote cannot happen,
// resources mandatorily colocated with it are blocked too (pcmk__block_colocated_starts).
// Which action changed a flag first becomes the summary's reason, so rules apply in
// Pacemaker's order. Pure; bounded by a pass limit and a step budget.

import { OrderFlag, hasFlag } from './order-flags.js';
import { setReason, type Action, type ActionGraph, type Edge } from './actions.js';
import { currentRoleOf, findCompatibleInstance, instanceNode } from './clone.js';
import { leaves, roleRank, topParent, type PNode, type Rsc, type WorkingSet } from './working-set.js';
import { INFINITY } from '../model.js';

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

/** Takes migration away from an action; Pacemaker reports it as "unrunnable", replacing any reason. */
function clearMigratable(action: Action, because: Action): boolean {
  if (action.migratable !== true) return false;
  action.migratable = false;
  if (action.rsc !== because.rsc) setReason(action, describe(because, 'unrunnable'), true);
  return true;
}

function clearRunnable(action: Action, because: Action): boolean {
  if (!action.runnable) return false;
  action.runnable = false;
  if (action.rsc !== because.rsc) setReason(action, describe(because, 'unrunnable'), false);
  return true;
}

interface Flags { optional: boolean; runnable: boolean; migratable: boolean }

/**
 * Flags of an action as seen by what comes after it; collectives summarise their members, and
 * with `node`, only the members' actions on that node.
 */
function effective(graph: ActionGraph, action: Action, node?: PNode): Flags {
  const rsc = action.rsc;
  if (!rsc || !summarises(action)) return { optional: action.optional, runnable: action.runnable, migratable: action.migratable === true };
  const task = childTask[action.task] ?? action.task;
  let optional = true;
  let runnable = true;
  let members = 0;
  let anyRunnable = false;
  for (const child of rsc.children) {
    const m = graph.find(child, task, child.variant === 'primitive' ? node : undefined);
    if (m === undefined || (node !== undefined && m.node !== undefined && m.node !== node)) continue;
    members++;
    // A member's own flags, or (a collective) its summary.
    const f: { readonly optional: boolean; readonly runnable: boolean } = summarises(m) ? effective(graph, m, node) : m;
    if (!f.optional) optional = false;
    if (f.runnable) anyRunnable = true;
    else if (rsc.variant === 'group' && task !== action.task) runnable = false;
  }
  if (rsc.variant === 'group') {
    if (members < rsc.children.length && task !== 'stop' && task !== 'demote') runnable = false;
  } else if (!anyRunnable) runnable = false;
  if (node === undefined && !optional) action.optional = false;
  if (node === undefined && !runnable) action.runnable = false;
  // Like Pacemaker, the summary comes from the members alone, not the pseudo-action's own flags.
  return { optional, runnable, migratable: false };
}

/** Whether an action's flags, as seen by what follows it, are its collective's members' summary. */
function summarises(action: Action): boolean {
  return action.rsc !== undefined && action.rsc.variant !== 'primitive' && action.pseudo;
}

/** Applies one ordering's rules to `then` (and back to `first`); true when anything changed. */
function applyRules(first: Action, then: Action, flags: number, firstFlags: Flags): boolean {
  // Pacemaker applies an ordering's kinds in this order: implies-then, restart, implies-first,
  // promoted-implies-first, runnable-left. The order decides which reason an action keeps.
  let changed = false;
  if (hasFlag(flags, OrderFlag.ThenCancelsFirst) && !then.optional && !first.optional) {
    first.optional = true;
    if (first.rsc && first.task === 'reload-agent') first.rsc.reload = false;
    changed = true;
  }
  // A start that is part of a migration does not make what follows it required.
  if (hasFlag(flags, OrderFlag.ImpliesThen) && then.optional && !firstFlags.optional && first.migratable !== true) changed = clearOptional(then, first) || changed;
  if (hasFlag(flags, OrderFlag.Restart) && then.rsc) {
    const thenRequired = !then.optional;
    const stopForUnrunnable = !then.runnable && then.rsc.managed && first.rsc === then.rsc;
    if (thenRequired || stopForUnrunnable) {
      if (first.runnable || !then.optional) changed = clearOptional(first, then) || changed;
      if (then.migratable !== true) changed = clearMigratable(first, then) || changed;
      if (!first.optional && !first.runnable) changed = clearRunnable(then, first) || changed;
    }
  }
  if (hasFlag(flags, OrderFlag.ImpliesFirst) && !then.optional) {
    // Only a collective's summary can make its own (optional) pseudo-action required this way.
    if (!firstFlags.optional && first.optional) changed = clearOptional(first, then) || changed;
    if (firstFlags.migratable && then.migratable !== true) changed = clearMigratable(first, then) || changed;
  }
  if (hasFlag(flags, OrderFlag.PromotedImpliesFirst) && then.rsc?.role === 'Promoted' && !then.optional) {
    changed = clearOptional(first, then) || changed;
    if (then.migratable !== true) changed = clearMigratable(first, then) || changed;
  }
  if (hasFlag(flags, OrderFlag.ImpliesFirstMigratable)) {
    if (then.migratable !== true || !then.runnable) changed = clearRunnable(first, then) || changed;
    if (!then.optional) changed = clearOptional(first, then) || changed;
  }
  if (hasFlag(flags, OrderFlag.PseudoLeft) && !first.runnable) {
    changed = clearMigratable(then, first) || changed;
    if (then.pseudo) { then.pseudo = false; changed = true; }
  }
  if (hasFlag(flags, OrderFlag.RunnableLeft) && then.runnable && !firstFlags.runnable) {
    changed = clearRunnable(then, first) || changed;
    changed = clearMigratable(then, first) || changed;
  }
  if (hasFlag(flags, OrderFlag.Asymmetrical) && then.runnable && !firstFlags.runnable && asymmetricApplies(then)) {
    changed = clearOptional(then, first) || changed;
    changed = clearRunnable(then, first) || changed;
  }
  // A blocked stop of an unmanaged resource holds back whatever must follow it.
  if ((flags & (OrderFlag.ImpliesThen | OrderFlag.ImpliesFirst | OrderFlag.Restart)) !== 0 && first.rsc && first.task === 'stop'
    && !first.rsc.managed && first.rsc.blocked && !first.runnable && then.runnable) {
    then.runnable = false;
    changed = true;
  }
  return changed;
}

/** Called when a member's action changed while relaying: Pacemaker re-processes it at once. */
type OnMemberChanged = (action: Action) => void;

/**
 * An asymmetrical ordering is moot when `then` already is where it would go: a stop of a
 * stopped resource, or an optional start where the resource already runs (Pacemaker's
 * handle_asymmetric_ordering).
 */
function asymmetricApplies(then: Action): boolean {
  const rsc = then.rsc;
  if (!rsc) return false;
  const role = currentRoleOf(rsc);
  if (role === 'Stopped' && then.task === 'stop') return false;
  const already = roleRank[role] >= roleRank.Started && then.task === 'start' && then.optional
    && then.node !== undefined && rsc.runningOn.length === 1 && rsc.runningOn[0] === then.node;
  return !already;
}

function relay(set: WorkingSet, graph: ActionGraph, first: Action, then: Action, flags: number, firstFlags: Flags,
  onMemberChanged?: OnMemberChanged): boolean {
  const rsc = then.rsc;
  const collective = rsc !== undefined && rsc.variant !== 'primitive' && then.pseudo && childTask[then.task] === undefined;
  // Interleaved clones are ordered instance by instance only, never clone against clone.
  if (collective && interleaves(first, then)) return interleave(set, graph, first, then, flags, onMemberChanged);
  let changed = applyRules(first, then, flags, firstFlags);
  if (!rsc || !collective) return changed;
  // Implies-first is the first resource's rule: a primitive `first` is only held against the
  // collective action itself, never against each member.
  const memberFlags = first.rsc?.variant === 'primitive' ? flags & ~OrderFlag.ImpliesFirst : flags;
  if (memberFlags === OrderFlag.None) return changed;
  for (const child of rsc.children) {
    const childAction = graph.find(child, then.task, undefined);
    if (!childAction) continue;
    if (rsc.variant === 'clone' && !childAction.runnable) continue;
    const before = flagsOf(childAction);
    changed = relay(set, graph, first, childAction, memberFlags, firstFlags, onMemberChanged) || changed;
    if (flagsOf(childAction) !== before) onMemberChanged?.(childAction);
  }
  return changed;
}

function interleaves(first: Action, then: Action): boolean {
  if (!first.rsc || !then.rsc || first.rsc === then.rsc) return false;
  if (first.rsc.variant !== 'clone' || then.rsc.variant !== 'clone') return false;
  const owner = then.task === 'stop' || then.task === 'demote' ? first.rsc : then.rsc;
  return owner.clone?.interleave === true;
}

function interleave(set: WorkingSet, graph: ActionGraph, first: Action, then: Action, flags: number, onMemberChanged?: OnMemberChanged): boolean {
  const firstRsc = first.rsc as Rsc;
  const thenRsc = then.rsc as Rsc;
  const firstTask = childTask[first.task] ?? first.task;
  let changed = false;
  // After a clone's stop or demote, instances are matched by where they run now.
  const current = first.task === 'stopped' || first.task === 'demoted';
  for (const thenChild of thenRsc.children) {
    const partner = findCompatibleInstance(set, thenChild, firstRsc, 'Unknown', current);
    if (!partner && current) continue;
    if (!partner) {
      // Nothing of `first` will be on this instance's node: it may not be active at all.
      if ((hasFlag(flags, OrderFlag.RunnableLeft) || hasFlag(flags, OrderFlag.ImpliesThen)) && instanceNode(thenChild)) {
        changed = inhibit(graph, thenChild) || changed;
      }
      continue;
    }
    const firstAction = graph.find(partner, firstTask, undefined);
    const thenAction = graph.find(thenChild, then.task, undefined);
    if (!firstAction || !thenAction) continue;
    graph.order(firstAction, thenAction, flags);
    const before = flagsOf(thenAction);
    changed = relay(set, graph, firstAction, thenAction, flags, effective(graph, firstAction), onMemberChanged) || changed;
    if (flagsOf(thenAction) !== before) onMemberChanged?.(thenAction);
  }
  return changed;
}

/**
 * Takes an instance's assignment away after actions exist (Pacemaker's assignment to no node):
 * it will be stopped, its stops become required and its starts unrunnable, with no reason.
 */
function inhibit(graph: ActionGraph, instance: Rsc): boolean {
  let changed = false;
  for (const member of leaves(instance)) {
    if (member.assignedTo) { member.assignedTo.assignedCount--; member.assignedTo = undefined; changed = true; }
    member.nextRole = 'Stopped';
    for (const a of graph.findAll(member, 'stop')) if (a.optional) { a.optional = false; changed = true; }
    for (const a of graph.findAll(member, 'start')) if (a.runnable) { a.runnable = false; changed = true; }
  }
  instance.nextRole = 'Stopped';
  return changed;
}

/**
 * A `first` action's flags for an ordering (Pacemaker's action_flags_for_ordering): a clone's
 * action counts as required only if its instances on `then`'s node are, while it is runnable
 * if any instance anywhere is.
 */
function orderingFlags(graph: ActionGraph, first: Action, then: Action): Flags {
  const flags = effective(graph, first);
  if (first.rsc?.variant !== 'clone' || !first.pseudo || then.node === undefined) return flags;
  return { ...flags, optional: effective(graph, first, then.node).optional };
}

function applyEdge(set: WorkingSet, graph: ActionGraph, edge: Edge, onMemberChanged?: OnMemberChanged): boolean {
  if (edge.flags === OrderFlag.None) return false;
  if (hasFlag(edge.flags, OrderFlag.OneOrMore)) return oneOrMore(graph, edge.then);
  return relay(set, graph, edge.first, edge.then, edge.flags, orderingFlags(graph, edge.first, edge.then), onMemberChanged);
}

function oneOrMore(graph: ActionGraph, gate: Action): boolean {
  const runnable = gate.before.filter((e) => hasFlag(e.flags, OrderFlag.OneOrMore) && effective(graph, e.first).runnable).length;
  if (runnable < (gate.required ?? 1) && gate.runnable) { gate.runnable = false; return true; }
  return false;
}

/** One propagation run: its step budget, and how to block colocated dependents. */
interface Budget { steps: number; block?: (action: Action) => void }

/**
 * Pacemaker's update_action: applies the orderings before `then` (newest first, as Pacemaker
 * prepends them), and re-processes whatever comes after an action that changed.
 */
function updateAction(set: WorkingSet, graph: ActionGraph, then: Action, budget: Budget, depth: number): void {
  if (budget.steps-- <= 0 || depth > depthMax) return;
  const initial = flagsOf(then);
  for (let i = then.before.length - 1; i >= 0; i--) {
    const edge = then.before[i];
    if (!edge) continue;
    const first = edge.first;
    // A collective's pseudo-action changes when its summary does; what follows it is revisited.
    const firstBefore = flagsOf(first);
    applyEdge(set, graph, edge, (member) => updateAction(set, graph, member, budget, depth + 1));
    if (flagsOf(first) !== firstBefore) {
      for (const after of [...first.after]) updateAction(set, graph, after.then, budget, depth + 1);
      updateAction(set, graph, first, budget, depth + 1);
    }
  }
  // Like Pacemaker, what follows a changed action is revisited once all its orderings applied.
  if (flagsOf(then) !== initial) {
    if ((initial & 2) !== 0 && !then.runnable) budget.block?.(then);
    updateAction(set, graph, then, budget, depth + 1);
    for (const after of [...then.after]) updateAction(set, graph, after.then, budget, depth + 1);
  }
}

const flagsOf = (a: Action): number => (a.optional ? 1 : 0) | (a.runnable ? 2 : 0) | (a.migratable === true ? 4 : 0) | (a.pseudo ? 8 : 0);
const depthMax = 64;
const stepsMax = 2_000_000;

/** Runs every ordering until nothing changes (bounded; cycles cannot loop forever). */
export function propagate(set: WorkingSet, graph: ActionGraph): void {
  const budget: Budget = { steps: stepsMax };
  const block = (action: Action): void => blockColocatedStarts(graph, action, (a) => updateAction(set, graph, a, budget, 1), 0);
  budget.block = block;
  for (let i = graph.actions.length - 1; i >= 0; i--) {
    const action = graph.actions[i];
    if (action) block(action);
  }
  for (let pass = 0; pass < passesMax; pass++) {
    const snapshot = graph.actions.map(flagsOf).join('');
    for (let i = graph.actions.length - 1; i >= 0; i--) {
      const action = graph.actions[i];
      if (action) updateAction(set, graph, action, budget, 0);
    }
    if (graph.actions.map(flagsOf).join('') === snapshot) return;
  }
}

// ---- colocation blocking ---------------------------------------------------------------------

/**
 * Pacemaker's pcmk__block_colocated_starts: when a resource (every instance of a collective)
 * cannot start, or cannot be promoted, resources mandatorily colocated with it cannot reach
 * their colocated role either ("due to colocation with X").
 */
function blockColocatedStarts(graph: ActionGraph, action: Action, update: (a: Action) => void, depth: number): void {
  if (action.runnable || !action.rsc || depth > depthMax) return;
  const isStart = action.task === 'start';
  if (!isStart && action.task !== 'promote') return;
  const top = topParent(action.rsc);
  for (const child of top.children) {
    const childAction = graph.find(child, action.task, undefined);
    if (!childAction || childAction.runnable) return;
  }
  const members = new Set(leaves(top));
  const colocations = top.variant === 'group'
    ? top.children.flatMap((m) => m.colocatedWithThis).filter((c) => !members.has(c.dependent))
    : top.colocatedWithThis;
  for (const c of colocations) {
    if (c.score < INFINITY) continue;
    if (!isStart && c.primaryRole !== 'Promoted') continue;
    markBlocked(graph, c.dependent, c.dependentRole === 'Promoted' ? 'promote' : 'start', action.rsc, update, depth + 1);
  }
}

function markBlocked(graph: ActionGraph, rsc: Rsc, task: string, reason: Rsc, update: (a: Action) => void, depth: number): void {
  for (const a of graph.findAll(rsc, task)) {
    if (!a.runnable) continue;
    a.runnable = false;
    setReason(a, `colocation with ${reason.id}`, false);
    blockColocatedStarts(graph, a, update, depth + 1);
    update(a);
  }
  for (const child of rsc.children) markBlocked(graph, child, task, reason, update, depth + 1);
}
