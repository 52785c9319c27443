// Owns clone notifications (Pacemaker's notify=true): around each start, stop, promote and demote
// of a notify clone's instances, every instance active before gets a `pre` notify and every
// instance active after gets a `post` notify, with the OCF_RESKEY_CRM_meta_notify_* variables
// naming who starts, stops, promotes, demotes, and who is active, inactive, promoted and
// unpromoted. They hang on the clone's collective pseudo-actions (start/running, stop/stopped,
// promote/promoted, demote/demoted), which the transition already orders. Pure.

import type { Action } from './planner/actions.js';
import type { Rsc } from './planner/working-set.js';

const phases: Readonly<Record<string, readonly ['pre' | 'post', string]>> = {
  start: ['pre', 'start'], running: ['post', 'start'], stop: ['pre', 'stop'], stopped: ['post', 'stop'],
  promote: ['pre', 'promote'], promoted: ['post', 'promote'], demote: ['pre', 'demote'], demoted: ['post', 'demote'],
};

export interface NotifyPhase {
  readonly clone: Rsc;
  readonly type: 'pre' | 'post';
  readonly operation: string;
}

/** The notification phase a collective pseudo-action of a notify clone stands for, if any. */
export function notifyPhase(action: Action): NotifyPhase | undefined {
  const rsc = action.rsc;
  const phase = phases[action.task];
  if (!rsc || !action.pseudo || rsc.variant !== 'clone' || rsc.clone?.notify !== true || phase === undefined) return undefined;
  return { clone: rsc, type: phase[0], operation: phase[1] };
}

export interface Notification {
  /** The primitive instance notified, and the node it runs on. */
  readonly instance: Rsc;
  readonly node: string;
  /** Meta attributes of this call (notify_type, notify_operation, notify_start_uname, ...). */
  readonly meta: Readonly<Record<string, string>>;
}

const instancePrimitives = (r: Rsc): Rsc[] => (r.variant === 'primitive' ? [r] : r.children.flatMap(instancePrimitives));

/** The notifications of one phase, given the transition's actions (required and runnable ones count) and the cluster's online nodes. */
export function notificationsFor(phase: NotifyPhase, actions: readonly Action[], onlineNodes: readonly string[]): Notification[] {
  const members = new Set(instancePrimitives(phase.clone));
  const planned = (task: string): Action[] => actions.filter((a) => a.task === task && !a.optional && a.runnable && !a.pseudo && a.rsc !== undefined && members.has(a.rsc) && a.node !== undefined);
  const lists: Record<string, string> = {};
  const put = (name: string, entries: readonly { rsc: string; node: string }[]): void => {
    lists[`notify_${name}_resource`] = entries.map((e) => e.rsc).join(' ');
    lists[`notify_${name}_uname`] = entries.map((e) => e.node).join(' ');
  };
  const byAction = (task: string): { rsc: string; node: string }[] => planned(task).map((a) => ({ rsc: a.rsc?.id ?? '', node: a.node?.name ?? '' }));
  for (const task of ['start', 'stop', 'promote', 'demote']) put(task, byAction(task));
  const all = [...members];
  const active = all.filter((r) => r.runningOn.length > 0).map((r) => ({ rsc: r.id, node: r.runningOn[0]?.name ?? '' }));
  put('active', active);
  lists['notify_inactive_resource'] = all.filter((r) => r.runningOn.length === 0).map((r) => r.id).join(' ');
  const promoted = all.filter((r) => r.runningOn.length > 0 && r.role === 'Promoted').map((r) => ({ rsc: r.id, node: r.runningOn[0]?.name ?? '' }));
  const unpromoted = all.filter((r) => r.runningOn.length > 0 && r.role !== 'Promoted').map((r) => ({ rsc: r.id, node: r.runningOn[0]?.name ?? '' }));
  for (const [name, entries] of [['promoted', promoted], ['master', promoted], ['unpromoted', unpromoted], ['slave', unpromoted]] as const) put(name, entries);
  lists['notify_all_uname'] = onlineNodes.join(' ');
  // pre: the instances active now; post: those active after this operation.
  const stopped = new Set(planned('stop').map((a) => a.rsc));
  const started = new Map(planned('start').map((a) => [a.rsc, a.node?.name ?? '']));
  const targets = phase.type === 'pre' || phase.operation !== 'stop' && phase.operation !== 'start'
    ? active.map((e) => ({ instance: all.find((r) => r.id === e.rsc), node: e.node }))
    : [
        ...all.filter((r) => r.runningOn.length > 0 && !(phase.operation === 'stop' && stopped.has(r))).map((r) => ({ instance: r, node: r.runningOn[0]?.name ?? '' })),
        ...(phase.operation === 'start' ? [...started].map(([r, node]) => ({ instance: r, node })) : []),
      ];
  const meta = { notify_type: phase.type, notify_operation: phase.operation, ...lists };
  return targets.flatMap((t) => (t.instance === undefined ? [] : [{ instance: t.instance, node: t.node, meta }]));
}
