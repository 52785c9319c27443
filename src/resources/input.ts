// Owns turning Herd's records into the planner's input: the node registry, the node states the
// membership coordinator decided, each node's operation history and the fencing history become
// a Pacemaker-style configuration and status. This is where Herd's safety rule meets the
// planner: a lost node is either fenced (when a fence device exists) or, without one, waited
// for until its lease has expired plus a margin, by which time it stopped its own resources.
// Pure: `nowMs` and everything else come in as parameters.

import type { NodeState } from '../membership/detector.js';
import type { NodeStatus, PlannerInput } from './model.js';
import { activeFenceDevices, primitiveIds } from './config-lookup.js';
import type { NodeHistoryRecord, ResourceConfigRecord } from './records.js';

export interface SnapshotNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly standby: boolean;
  readonly maintenance: boolean;
  readonly left: boolean;
}

export interface ClusterSnapshot {
  readonly config: ResourceConfigRecord;
  readonly nodes: readonly SnapshotNode[];
  /** Node states decided by the membership coordinator, with when they were decided (wall ms). */
  readonly states: ReadonlyMap<string, { readonly state: NodeState; readonly sinceMs: number }>;
  /** Each node's current stay in the cluster (`<herdd incarnation>@<alive record revision>`), when it has one. */
  readonly incarnations: ReadonlyMap<string, string>;
  readonly histories: ReadonlyMap<string, NodeHistoryRecord>;
  /** When each node's running herdd registered (its alive record's time, wall ms). */
  readonly registeredAtMs: ReadonlyMap<string, number>;
  /** When each node was last fenced successfully (wall ms). */
  readonly fencedAtMs: ReadonlyMap<string, number>;
  readonly nowMs: number;
  /** How long after a node's lease expired (it turned unclean) its resources count as stopped, without fencing. */
  readonly leaseMarginMs: number;
}

export interface BuiltInput {
  readonly input: PlannerInput;
  /** Whether a lost node is fenced (a fence device exists and stonith-enabled is not false). */
  readonly fencing: boolean;
  /** Online nodes whose history does not cover every primitive yet: plan only when none is left. */
  readonly unready: readonly string[];
  /** When time alone changes this input: the earliest moment a frozen unclean node passes its margin (wall ms). */
  readonly changesAtMs: number | undefined;
}

/** Whether a lost node is fenced: a fence device can act. Without one, leases stand in (decisions/0006). */
export const fencingConfigured = (config: ResourceConfigRecord): boolean => activeFenceDevices(config).length > 0;

type Membership = Pick<NodeStatus, 'inCluster' | 'controller' | 'join' | 'expected'>;
const member: Membership = { inCluster: 'true', controller: 'online', join: 'member', expected: 'member' };
/** Up but its history is incomplete: it is still probing (no plan runs until it is done). */
const pending: Membership = { inCluster: 'true', controller: 'online', join: 'pending', expected: 'member' };
/**
 * Not heard from, but not proven stopped and not fenceable (or back, and not yet judged): its
 * resources are frozen where they are, as on a node in maintenance: nothing stops, starts or
 * moves them, and nothing new is placed there.
 */
const frozen: Membership = member;
/** Down, and known to run nothing: a clean stop, a fence, or a lease expired past the margin. */
const down: Membership = { inCluster: 'false', controller: 'offline', join: 'down', expected: 'down' };
/** Lost without proof that it stopped: the planner fences it. */
const lost: Membership = { inCluster: 'false', controller: 'offline', join: 'down', expected: 'member' };

export function buildPlannerInput(s: ClusterSnapshot): BuiltInput {
  const fencing = fencingConfigured(s.config);
  const primitives = primitiveIds(s.config.resources);
  const unready: string[] = [];
  let changesAtMs: number | undefined;
  const statuses: NodeStatus[] = [];
  const nodes = s.nodes.filter((n) => !n.left);
  for (const n of nodes) {
    const state = s.states.get(n.name);
    const fencedAt = s.fencedAtMs.get(n.name);
    const incarnation = s.incarnations.get(n.name);
    const history = s.histories.get(n.name);
    const current = history !== undefined && history.incarnation === incarnation ? history : undefined;
    let membership: Membership;
    let freeze = false;
    const up = state !== undefined && (state.state === 'online' || state.state === 'standby' || state.state === 'maintenance');
    if (up && fencedAt !== undefined && fencedAt >= state.sinceMs && current === undefined) membership = down;
    else if (up) {
      const covered = new Set(current?.resources.map((r) => r.id));
      const ready = current !== undefined && primitives.every((id) => covered.has(id));
      if (!ready) unready.push(n.name);
      membership = ready ? member : pending;
    } else if (state === undefined || state.state === 'offline') membership = down;
    // Fenced, and no history written since: it runs nothing (fencing erases a node's history).
    else if (fencedAt !== undefined && history === undefined) membership = down;
    // A state decided before the node registered (or began its history, which the watch may
    // show first) is stale: the node is back and will be judged on its heartbeats.
    else if (Math.max(s.registeredAtMs.get(n.name) ?? 0, history?.createdAtMs ?? 0) > state.sinceMs) [membership, freeze] = [frozen, true];
    else if (fencing) membership = lost;
    // Without fencing, the node stopped its own resources before its lease could expire.
    else if (state.state === 'unclean' && s.nowMs - state.sinceMs >= s.leaseMarginMs) membership = down;
    else {
      [membership, freeze] = [frozen, true];
      if (state.state === 'unclean') changesAtMs = Math.min(changesAtMs ?? Infinity, state.sinceMs + s.leaseMarginMs);
    }
    // A node known to run nothing contributes no history: it was stopped, fenced or self-fenced.
    // Any other keeps even a previous stay's history until its probes replace it: what it ran
    // may still run, and nothing moves off a frozen or lost node before that is settled.
    const keep = membership !== down && history !== undefined;
    const attributes = keep ? history.attributes : {};
    statuses.push({
      id: n.name, name: n.name, ...membership,
      attributes: freeze ? { ...attributes, maintenance: 'on' } : attributes,
      resources: keep ? history.resources : [],
    });
  }
  const options = fencing ? s.config.options : { ...s.config.options, 'stonith-enabled': 'false' };
  const input: PlannerInput = {
    configuration: {
      ...s.config,
      options,
      nodes: nodes.map((n) => ({
        id: n.name, name: n.name, type: 'member' as const, utilization: {},
        attributes: { ...n.labels, '#uname': n.name, ...(n.standby ? { standby: 'on' } : {}), ...(n.maintenance ? { maintenance: 'on' } : {}) },
      })),
    },
    status: { haveQuorum: true, executionDateS: Math.floor(s.nowMs / 1000), nodes: statuses },
  };
  return { input, fencing, unready, changesAtMs };
}
