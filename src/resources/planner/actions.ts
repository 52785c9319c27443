// Owns the transition's actions and their orderings: creating start/stop/promote/demote for
// each primitive from its current and next role (and migration actions, via migration.ts),
// pseudo-actions for groups and clones, fencing and the stops it implies, internal and
// configured orderings, including one-or-more gates for clone-min and require-all=false
// (Pacemaker's pcmk__primitive_create_actions and pcmk__apply_orderings). Flags are then
// propagated by propagate.ts. Pure.

import { OrderFlag } from './order-flags.js';
import { canFence } from './fencing.js';
import { activeNode, canMigrate, continuesPartialMigration, createMigrationActions } from './migration.js';
import { isPromotableChild, leaves, roleRank, type PNode, type Role, type Rsc, type WorkingSet } from './working-set.js';

export interface Action {
  readonly id: number;
  readonly rsc: Rsc | undefined;
  readonly task: string;
  readonly node: PNode | undefined;
  optional: boolean;
  runnable: boolean;
  pseudo: boolean;
  reason: string | undefined;
  readonly before: Edge[];
  readonly after: Edge[];
  /** Fencing only: the fence action's kind (reboot, off). */
  fenceAction?: string;
  /** One-or-more gates: how many `first` actions must be runnable. */
  required?: number;
  /** Part of a live migration that can still go ahead (Pacemaker's migrate_runnable). */
  migratable?: boolean;
}

export interface Edge { readonly first: Action; readonly then: Action; flags: number }

export class ActionGraph {
  readonly actions: Action[] = [];
  private readonly byRsc = new Map<Rsc, Action[]>();

  find(rsc: Rsc, task: string, node: PNode | undefined): Action | undefined {
    return (this.byRsc.get(rsc) ?? []).find((a) => a.task === task && (node === undefined || a.node === undefined || a.node === node));
  }

  findAll(rsc: Rsc, task: string): Action[] {
    return (this.byRsc.get(rsc) ?? []).filter((a) => a.task === task);
  }

  /** Pacemaker's custom_action: one action per (resource, task, node); required wins. */
  ensure(set: WorkingSet, rsc: Rsc | undefined, task: string, node: PNode | undefined, optional: boolean, pseudo = false): Action {
    const existing = rsc ? (this.byRsc.get(rsc) ?? []).find((a) => a.task === task && a.node === node) : undefined;
    if (existing) {
      if (!optional) existing.optional = false;
      return existing;
    }
    const action: Action = { id: this.actions.length, rsc, task, node, optional, runnable: true, pseudo, reason: undefined, before: [], after: [] };
    this.actions.push(action);
    if (rsc) {
      const list = this.byRsc.get(rsc) ?? [];
      list.push(action);
      this.byRsc.set(rsc, list);
      if (!pseudo) updateRunnable(set, action);
    }
    return action;
  }

  order(first: Action | undefined, then: Action | undefined, flags: number): void {
    if (!first || !then || first === then) return;
    // Every edge is in both lists: search the shorter (a clone's pseudo-actions have one per instance).
    const existing = first.after.length < then.before.length
      ? first.after.find((e) => e.then === then)
      : then.before.find((e) => e.first === first);
    if (existing) { existing.flags |= flags; return; }
    const edge: Edge = { first, then, flags };
    then.before.push(edge);
    first.after.push(edge);
  }
}

/** Whether a resource action can run at all (Pacemaker's update_resource_action_runnable). */
function updateRunnable(set: WorkingSet, action: Action): void {
  const rsc = action.rsc;
  if (!rsc) return;
  if (!rsc.managed && action.task !== 'monitor') { action.optional = true; }
  if (!action.node) { action.runnable = false; return; }
  if (!action.node.online) { action.runnable = false; return; }
  if (action.node.pending) { action.runnable = false; return; }
  const needs = ['start', 'promote', 'migrate_to', 'migrate_from'].includes(action.task) ? rsc.requires : 'nothing';
  if (needs === 'nothing') { action.runnable = true; return; }
  switch (quorumPolicy(set, rsc)) {
    case 'stop': action.runnable = false; setReason(action, 'no quorum', true); break;
    case 'freeze':
      if (rsc.runningOn.length === 0 || roleRank[rsc.nextRole] > roleRank[rsc.role]) {
        action.runnable = false;
        setReason(action, 'quorum freeze', true);
      }
      break;
    default: action.runnable = true;
  }
}

function quorumPolicy(set: WorkingSet, rsc: Rsc): string {
  if (set.haveQuorum) return 'ignore';
  if (set.noQuorumPolicy === 'demote') return isPromotableChild(rsc) ? 'demote' : 'stop';
  if (set.noQuorumPolicy === 'suicide') return 'stop';
  return set.noQuorumPolicy;
}

export function setReason(action: Action, reason: string, overwrite: boolean): void {
  if (action.reason === undefined || overwrite) action.reason = reason;
}

// ---- per-primitive actions -------------------------------------------------------------------

const nextStep: Record<Role, Record<Role, Role>> = {
  Unknown: { Unknown: 'Unknown', Stopped: 'Stopped', Started: 'Stopped', Unpromoted: 'Stopped', Promoted: 'Stopped' },
  Stopped: { Unknown: 'Stopped', Stopped: 'Stopped', Started: 'Started', Unpromoted: 'Unpromoted', Promoted: 'Unpromoted' },
  Started: { Unknown: 'Stopped', Stopped: 'Stopped', Started: 'Started', Unpromoted: 'Unpromoted', Promoted: 'Promoted' },
  Unpromoted: { Unknown: 'Stopped', Stopped: 'Stopped', Started: 'Stopped', Unpromoted: 'Unpromoted', Promoted: 'Promoted' },
  Promoted: { Unknown: 'Stopped', Stopped: 'Unpromoted', Started: 'Unpromoted', Unpromoted: 'Unpromoted', Promoted: 'Promoted' },
};

type Step = 'start' | 'stop' | 'promote' | 'demote' | 'none';
const stepAction = (from: Role, to: Role): Step => {
  if (from === to) return 'none';
  if (to === 'Stopped') return from === 'Promoted' ? 'demote' : 'stop';
  if (from === 'Stopped') return 'start';
  if (from === 'Promoted') return 'demote';
  if (to === 'Promoted') return 'promote';
  if (from === 'Unpromoted' && to === 'Started') return 'stop';
  return 'none';
};

/** `multiplyActive`: the step restarts a resource that is active where it should not be. */
function runStep(set: WorkingSet, graph: ActionGraph, rsc: Rsc, step: Step, node: PNode | undefined, optional: boolean, multiplyActive = false): boolean {
  switch (step) {
    case 'none': return true;
    case 'start': {
      const start = graph.ensure(set, rsc, 'start', node, true);
      if (start.runnable && !optional) start.optional = false;
      return true;
    }
    case 'stop': stopResource(set, graph, rsc, optional, multiplyActive); return true;
    case 'demote':
      for (const n of rsc.runningOn) graph.ensure(set, rsc, 'demote', n, optional);
      return true;
    case 'promote': {
      if (!node) return false;
      const starts = graph.findAll(rsc, 'start').filter((a) => a.node === node || a.node === undefined);
      const runnable = starts.every((a) => a.runnable);
      const promote = graph.ensure(set, rsc, 'promote', node, optional);
      if (!runnable) promote.runnable = false;
      return true;
    }
  }
}

function stopResource(set: WorkingSet, graph: ActionGraph, rsc: Rsc, optional: boolean, multiplyActive: boolean): void {
  for (const node of rsc.runningOn) {
    let stopOptional = optional;
    if (rsc.partialMigrationTarget === node) {
      // A migration under way to where the resource is headed keeps it there.
      if (rsc.assignedTo === node) continue;
      stopOptional = false;
    }
    const stop = graph.ensure(set, rsc, 'stop', node, stopOptional);
    if (!rsc.assignedTo) setReason(stop, 'node availability', true);
    else if (multiplyActive) setReason(stop, 'being multiply active', true);
    if (!rsc.managed) stop.runnable = false;
  }
}

export function createPrimitiveActions(set: WorkingSet, graph: ActionGraph, rsc: Rsc): void {
  const chosen = rsc.assignedTo;
  if (rsc.nextRole === 'Unknown') rsc.nextRole = chosen ? 'Started' : 'Stopped';
  if (rsc.nextRole === 'Started' && isPromotableChild(rsc)) rsc.nextRole = 'Unpromoted';
  const current = activeNode(rsc);
  const clean = rsc.runningOn.filter((n) => n.online && !n.unclean).length;
  for (const source of rsc.danglingMigrations) graph.ensure(set, rsc, 'stop', source, false);
  const moving = current !== undefined && chosen !== undefined && current !== chosen && roleRank[rsc.nextRole] >= roleRank.Started;
  let migrate = moving && canMigrate(rsc, current);
  let needStop = false;
  let multiplyActive = false;
  if (continuesPartialMigration(rsc, current, rsc.runningOn.length, migrate)) {
    // the migration goes on where it stopped
  } else if (rsc.partialMigrationSource || rsc.partialMigrationTarget) {
    needStop = true;
    rsc.partialMigrationSource = undefined;
    rsc.partialMigrationTarget = undefined;
    migrate = false;
  } else multiplyActive = rsc.requires !== 'fencing' ? clean > 1 : rsc.runningOn.length > 1;
  if (multiplyActive && (rsc.multipleActive === 'stop_start' || rsc.multipleActive === 'stop_unexpected')) needStop = true;
  if (rsc.startPending) graph.ensure(set, rsc, 'start', chosen, true);
  if (current && chosen && current !== chosen) needStop = true;
  else if (rsc.failed) { if (rsc.stopFlag) needStop = true; }
  else if (rsc.blocked) needStop = true;
  else if (roleRank[rsc.role] > roleRank.Started && current && chosen) {
    const start = graph.ensure(set, rsc, 'start', chosen, true);
    if (!start.optional) needStop = true;
  }
  const stopUnexpected = multiplyActive && rsc.multipleActive === 'stop_unexpected';
  let role: Role = rsc.role;
  while (role !== 'Stopped') {
    const next = nextStep[role].Stopped;
    if (!runStep(set, graph, rsc, stepAction(role, next), current, !needStop, stopUnexpected)) break;
    role = next;
  }
  while (roleRank[rsc.role] <= roleRank[rsc.nextRole] && role !== rsc.role && !rsc.blocked) {
    const next = nextStep[role][rsc.role];
    if (!runStep(set, graph, rsc, stepAction(role, next), chosen, !needStop)) break;
    role = next;
  }
  role = rsc.role;
  while (role !== rsc.nextRole) {
    const next = nextStep[role][rsc.nextRole];
    if (next === role) break;
    if (!runStep(set, graph, rsc, stepAction(role, next), chosen, false)) break;
    role = next;
  }
  if (!rsc.blocked && (rsc.nextRole !== 'Stopped' || !rsc.managed)) graph.ensure(set, rsc, 'start', chosen, true);
  if (migrate && current) createMigrationActions(set, graph, rsc, current);
}

/** Actions for groups and clones: pseudo-actions summarising their members. */
export function createCollectiveActions(set: WorkingSet, graph: ActionGraph, rsc: Rsc): void {
  for (const task of ['start', 'running', 'stop', 'stopped']) graph.ensure(set, rsc, task, undefined, true, true);
  if (rsc.variant === 'clone') {
    // Resources ordered after a clone may still migrate unless an instance restarts.
    const restarting = rsc.children.some((instance) => {
      const required = (task: string): boolean => leaves(instance).some((leaf) => graph.findAll(leaf, task)
        .some((a) => !a.optional && (a.runnable || a.pseudo)));
      return required('stop') && leaves(instance).some((leaf) => graph.findAll(leaf, 'start').some((a) => !a.optional && a.runnable));
    });
    const stop = graph.find(rsc, 'stop', undefined);
    if (stop && !restarting) stop.migratable = true;
  }
  if (rsc.clone?.promotable || (rsc.variant === 'group' && isPromotableChild(rsc))) {
    for (const task of ['promote', 'promoted', 'demote', 'demoted']) graph.ensure(set, rsc, task, undefined, true, true);
  }
}

export function createActions(set: WorkingSet, graph: ActionGraph, rsc: Rsc): void {
  for (const c of rsc.children) createActions(set, graph, c);
  if (rsc.variant === 'primitive') createPrimitiveActions(set, graph, rsc);
  else createCollectiveActions(set, graph, rsc);
}

// ---- fencing ---------------------------------------------------------------------------------

export function scheduleFencing(set: WorkingSet, graph: ActionGraph): void {
  const haveManaged = [...set.byId.values()].some((r) => r.managed);
  for (const node of set.nodes) {
    if (!node.unclean || !haveManaged || !canFence(set, node)) continue;
    const reason = set.fencing.get(node.id)?.reason ?? 'node is unclean';
    const fence = graph.ensure(set, undefined, 'stonith', node, false, false);
    fence.fenceAction = set.stonithAction;
    setReason(fence, reason, false);
    node.fenced = true;
    for (const rsc of set.byId.values()) {
      if (rsc.variant !== 'primitive') continue;
      for (const stop of graph.findAll(rsc, 'stop').filter((a) => a.node === node)) {
        stop.pseudo = true;
        stop.runnable = true;
        if (rsc.requires === 'fencing') graph.order(fence, stop, OrderFlag.Optional);
      }
      for (const demote of graph.findAll(rsc, 'demote').filter((a) => a.node === node)) {
        demote.pseudo = true;
        demote.runnable = true;
      }
    }
  }
}

// ---- orderings ---------------------------------------------------------------------------------

function orderTasks(graph: ActionGraph, first: Rsc, firstTask: string, then: Rsc, thenTask: string, flags: number): void {
  const firsts = graph.findAll(first, firstTask);
  const thens = graph.findAll(then, thenTask);
  for (const f of firsts) for (const t of thens) graph.order(f, t, flags);
}

export function internalOrderings(graph: ActionGraph, rsc: Rsc): void {
  for (const c of rsc.children) internalOrderings(graph, c);
  const promotable = isPromotableChild(rsc) || rsc.clone?.promotable === true;
  if (rsc.variant === 'primitive') {
    orderTasks(graph, rsc, 'stop', rsc, 'start', OrderFlag.Optional | OrderFlag.ImpliesThen | OrderFlag.Restart);
    if (promotable || roleRank[rsc.role] > roleRank.Unpromoted) {
      orderTasks(graph, rsc, 'demote', rsc, 'stop', OrderFlag.PromotedImpliesFirst);
      orderTasks(graph, rsc, 'start', rsc, 'promote', OrderFlag.RunnableLeft);
    }
    return;
  }
  orderTasks(graph, rsc, 'stopped', rsc, 'start', OrderFlag.Optional);
  orderTasks(graph, rsc, 'start', rsc, 'running', OrderFlag.RunnableLeft);
  orderTasks(graph, rsc, 'stop', rsc, 'stopped', OrderFlag.RunnableLeft);
  if (rsc.variant === 'clone') cloneOrderings(graph, rsc);
  else groupOrderings(graph, rsc, promotable);
}

function cloneOrderings(graph: ActionGraph, rsc: Rsc): void {
  if (rsc.clone?.promotable) {
    orderTasks(graph, rsc, 'demoted', rsc, 'stop', OrderFlag.Optional);
    orderTasks(graph, rsc, 'running', rsc, 'promote', OrderFlag.RunnableLeft);
    orderTasks(graph, rsc, 'promote', rsc, 'promoted', OrderFlag.RunnableLeft);
    orderTasks(graph, rsc, 'demote', rsc, 'demoted', OrderFlag.RunnableLeft);
    orderTasks(graph, rsc, 'demoted', rsc, 'promote', OrderFlag.Optional);
  }
  for (const child of rsc.children) {
    orderTasks(graph, rsc, 'start', child, 'start', OrderFlag.RunnableLeft);
    orderTasks(graph, child, 'start', rsc, 'running', OrderFlag.None);
    orderTasks(graph, rsc, 'stop', child, 'stop', OrderFlag.None);
    orderTasks(graph, child, 'stop', rsc, 'stopped', OrderFlag.None);
    if (rsc.clone?.promotable) {
      orderTasks(graph, rsc, 'promote', child, 'promote', OrderFlag.RunnableLeft);
      orderTasks(graph, child, 'promote', rsc, 'promoted', OrderFlag.None);
      orderTasks(graph, rsc, 'demote', child, 'demote', OrderFlag.None);
      orderTasks(graph, child, 'demote', rsc, 'demoted', OrderFlag.None);
    }
  }
}

function groupOrderings(graph: ActionGraph, rsc: Rsc, promotable: boolean): void {
  let last: Rsc | undefined;
  const ordered = rsc.meta.get('ordered') !== 'false';
  for (const child of rsc.children) {
    orderTasks(graph, rsc, 'start', child, 'start', OrderFlag.None);
    orderTasks(graph, rsc, 'stop', child, 'stop', last === undefined && ordered ? OrderFlag.Optional : OrderFlag.None);
    orderTasks(graph, child, 'stop', rsc, 'stopped', last === undefined && ordered ? OrderFlag.ImpliesThen : OrderFlag.None);
    orderTasks(graph, child, 'start', rsc, 'running', OrderFlag.RunnableLeft | OrderFlag.ImpliesThen);
    if (promotable) {
      orderTasks(graph, rsc, 'demote', child, 'demote', OrderFlag.None);
      orderTasks(graph, child, 'demote', rsc, 'demoted', OrderFlag.None);
      orderTasks(graph, child, 'promote', rsc, 'promoted', OrderFlag.RunnableLeft | OrderFlag.ImpliesThen);
      orderTasks(graph, rsc, 'promote', child, 'promote', OrderFlag.None);
    }
    if (!ordered) {
      orderTasks(graph, rsc, 'start', child, 'start', OrderFlag.ImpliesThen | OrderFlag.RunnableLeft);
    } else if (last) {
      orderTasks(graph, last, 'start', child, 'start', OrderFlag.ImpliesThen | OrderFlag.RunnableLeft);
      orderTasks(graph, child, 'stop', last, 'stop', OrderFlag.Optional | OrderFlag.Restart);
      if (promotable) {
        orderTasks(graph, last, 'promote', child, 'promote', OrderFlag.ImpliesThen | OrderFlag.RunnableLeft);
        orderTasks(graph, child, 'demote', last, 'demote', OrderFlag.Optional);
      }
    }
    last = child;
  }
  if (ordered && last) {
    orderTasks(graph, rsc, 'stop', last, 'stop', OrderFlag.ImpliesThen);
    orderTasks(graph, last, 'stop', rsc, 'stopped', OrderFlag.Optional);
  }
}

const completion: Record<string, string> = { start: 'running', stop: 'stopped', promote: 'promoted', demote: 'demoted' };

/**
 * The actions an ordering starts from (Pacemaker's rsc_order_first): when the resource has none,
 * an unrunnable one is created, except a stop of a stopped resource (nothing to order).
 */
function orderingFirsts(set: WorkingSet, graph: ActionGraph, rsc: Rsc, task: string): Action[] {
  const found = graph.findAll(rsc, task);
  if (found.length > 0) return found;
  if (task === 'stop' && rsc.role === 'Stopped') return [];
  const created = graph.ensure(set, rsc, task, undefined, true, rsc.variant !== 'primitive');
  if (rsc.variant !== 'primitive') return [created];
  created.runnable = false;
  // Pacemaker applies orderings in creation order, so the resource's own stop-then-start
  // (created later) applies to this start too: a required stop makes it required.
  if (task === 'start') orderTasks(graph, rsc, 'stop', rsc, 'start', OrderFlag.Optional | OrderFlag.ImpliesThen | OrderFlag.Restart);
  return [created];
}

/** Configured orderings, with a collective's start/stop remapped to its completion. */
export function configuredOrderings(set: WorkingSet, graph: ActionGraph): void {
  const gates = new Map<string, Action>();
  for (const o of set.orders) {
    // Pacemaker ignores an ordering whose `then` action does not exist.
    const thens = graph.findAll(o.then, o.thenAction);
    if (o.gate) {
      let gate = gates.get(o.gate.name);
      if (!gate) {
        gate = graph.ensure(set, undefined, o.gate.name, undefined, true, true);
        gate.required = o.gate.required;
        gates.set(o.gate.name, gate);
      }
      // Every member's action counts, including ones that cannot happen.
      for (const member of o.gate.members) {
        for (const a of orderingFirsts(set, graph, member, o.firstAction)) graph.order(a, gate, OrderFlag.OneOrMore);
      }
      for (const t of thens) graph.order(gate, t, o.flags);
      continue;
    }
    const firstTask = o.first.variant === 'primitive' ? o.firstAction : completion[o.firstAction] ?? o.firstAction;
    const firsts = orderingFirsts(set, graph, o.first, firstTask);
    if (thens.length === 0) continue;
    for (const f of firsts) for (const t of thens) graph.order(f, t, o.flags);
  }
}
