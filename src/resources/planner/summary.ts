// Owns the transition summary: one line per resource whose state changes (Start, Stop, Move,
// Recover, Restart, Promote, Demote, Migrate, Reload) and one per fencing, in crm_simulate's
// line format, with the reason when an action is required or blocked by another. Pure.

import type { Action, ActionGraph } from './actions.js';
import { activeNode } from './migration.js';
import { roleRank, type PNode, type Role, type Rsc, type WorkingSet } from './working-set.js';

export interface SummaryLine { readonly kind: string; readonly resource?: string; readonly text: string }

const roleText = (role: Role): string => (role === 'Unknown' ? 'Unknown' : role);

function item(change: string, rsc: Rsc, origin: PNode | undefined, destination: PNode | undefined, action: Action, source: Action | undefined): SummaryLine {
  const src = source ?? action;
  const needRole = roleRank[rsc.role] > roleRank.Started || roleRank[rsc.nextRole] > roleRank.Unpromoted;
  const sameHost = origin !== undefined && destination !== undefined && origin === destination;
  const sameRole = rsc.role === rsc.nextRole;
  let details: string;
  if (needRole && !origin) details = `${roleText(rsc.role)} -> ${roleText(rsc.nextRole)} ${destination?.name ?? ''}`;
  else if (!origin) details = destination?.name ?? '';
  else if (needRole && !destination) details = `${roleText(rsc.role)} ${origin.name}`;
  else if (!destination) details = origin.name;
  else if (needRole && sameRole && sameHost) details = `${roleText(rsc.role)} ${origin.name}`;
  else if (sameRole && sameHost) details = origin.name;
  else if (needRole && sameRole) details = `${origin.name} -> ${roleText(rsc.nextRole)} ${destination.name}`;
  else if (sameRole) details = `${origin.name} -> ${destination.name}`;
  else if (sameHost) details = `${roleText(rsc.role)} -> ${roleText(rsc.nextRole)} ${origin.name}`;
  else details = `${roleText(rsc.role)} ${origin.name} -> ${roleText(rsc.nextRole)} ${destination.name}`;
  let reason = '';
  if (src.reason !== undefined && !action.runnable) reason = `  due to ${src.reason} (blocked)`;
  else if (src.reason !== undefined) reason = `  due to ${src.reason}`;
  else if (!action.runnable) reason = '  blocked';
  return { kind: change, resource: rsc.id, text: `${change.padEnd(8)}   ${rsc.id}   ( ${details} )${reason}` };
}

function logResource(set: WorkingSet, graph: ActionGraph, rsc: Rsc, out: SummaryLine[]): void {
  if (rsc.variant !== 'primitive') { rsc.children.forEach((c) => logResource(set, graph, c, out)); return; }
  const next = rsc.assignedTo;
  let current: PNode | undefined;
  if (rsc.runningOn.length > 0) {
    current = activeNode(rsc);
    if (rsc.role === 'Stopped') rsc.role = 'Started';
  }
  if (!current && rsc.orphan) return;
  if (!rsc.managed || (!current && !next)) return;
  const moving = current !== undefined && next !== undefined && current !== next;
  const start = graph.find(rsc, 'start', next);
  const startNode = start && start.runnable ? current : undefined;
  const stop = startNode ? graph.find(rsc, 'stop', startNode) : graph.findAll(rsc, 'stop')[0];
  const promote = graph.find(rsc, 'promote', next);
  const demote = graph.find(rsc, 'demote', next);
  if (rsc.role === rsc.nextRole) {
    if (!next) return;
    const migrateFrom = graph.find(rsc, 'migrate_from', next);
    const reload = graph.find(rsc, 'reload-agent', undefined);
    if (migrateFrom && migrateFrom.runnable && current && start) out.push(item('Migrate', rsc, current, next, start, undefined));
    else if (rsc.reload && (start ?? reload)) out.push(item('Reload', rsc, current, next, start ?? reload as Action, undefined));
    else if (!start || start.optional) {
      if (demote && promote && !demote.optional && !promote.optional) out.push(item('Re-promote', rsc, current, next, promote, demote));
    } else if (!start.runnable) {
      if (current) out.push(item('Stop', rsc, current, undefined, stop ?? start, stop?.reason !== undefined ? stop : start));
    } else if (moving && current) out.push(item(rsc.failed ? 'Recover' : 'Move', rsc, current, next, stop ?? start, undefined));
    else if (rsc.failed) { if (current) out.push(item('Recover', rsc, current, undefined, stop ?? start, undefined)); }
    else out.push(item('Restart', rsc, current, next, start, undefined));
    return;
  }
  if (stop && (rsc.nextRole === 'Stopped' || (start && !start.runnable))) {
    for (const node of rsc.runningOn) {
      const stopHere = graph.find(rsc, 'stop', node);
      const action = stopHere ?? stop;
      out.push(item('Stop', rsc, node, undefined, action, stopHere?.reason !== undefined ? stopHere : start));
    }
  } else if (stop && rsc.failed && rsc.stopFlag) out.push(item('Recover', rsc, current, next, stop, start));
  else if (moving && stop) out.push(item('Move', rsc, current, next, stop, undefined));
  else if (stop && !stop.optional && start) out.push(item('Restart', rsc, current, next, start, undefined));
  else if (rsc.role === 'Promoted' && demote) out.push(item('Demote', rsc, current, next, demote, undefined));
  else if (rsc.nextRole === 'Promoted' && promote) out.push(item('Promote', rsc, current, next, promote, undefined));
  else if (rsc.role === 'Stopped' && roleRank[rsc.nextRole] > roleRank.Stopped && start) out.push(item('Start', rsc, current, next, start, undefined));
}

export function transitionSummary(set: WorkingSet, graph: ActionGraph): SummaryLine[] {
  const out: SummaryLine[] = [];
  for (const a of graph.actions) {
    if (a.task !== 'stonith' || !a.node) continue;
    out.push({ kind: 'Fence', text: `Fence (${a.fenceAction ?? 'reboot'}) ${a.node.name} '${a.reason ?? 'node is unclean'}'` });
  }
  for (const rsc of set.resources) logResource(set, graph, rsc, out);
  return out;
}
