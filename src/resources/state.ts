// Owns the live state of resources as crm_mon shows it, derived from the planner's input (the
// snapshot of records): for every resource, group member and clone instance, where it is active
// and in which role (the planner's unpack: runningOn and role), its target-role, whether it is
// managed, failed or blocked, its fail counts per node, and the failed operations of the
// operation history (rc, exit reason). Pure: BuiltInput in, plain JSON-friendly rows out.

import type { BuiltInput } from './input.js';
import type { OperationRecord } from './model.js';
import { unpack } from './planner/unpack.js';
import { failcount } from './planner/history.js';
import { cloneOf, leaves, roleRank, type Role, type Rsc, type WorkingSet } from './planner/working-set.js';
import { agentText } from './resource-spec.js';

export interface ActiveOn {
  readonly node: string;
  readonly role: string;
}

export interface FailCount {
  readonly node: string;
  /** INFINITY counts as 1,000,000. */
  readonly count: number;
}

export interface FailedOperation {
  readonly resource: string;
  readonly node: string;
  readonly operation: string;
  readonly intervalMs: number;
  readonly rc: number;
  readonly expectedRc: number | null;
  /** 0 done, 2 timeout, 4 error...: the executor's op status. */
  readonly opStatus: number;
  readonly exitReason: string | null;
  /** When the result last changed, seconds since the epoch. */
  readonly lastRcChangeS: number | null;
}

export interface ResourceState {
  readonly id: string;
  readonly kind: 'primitive' | 'group' | 'clone';
  readonly agent: string | null;
  readonly role: string;
  readonly targetRole: string | null;
  readonly managed: boolean;
  readonly failed: boolean;
  readonly blocked: boolean;
  /** Running but no longer configured. */
  readonly orphan: boolean;
  readonly active: readonly ActiveOn[];
  readonly failCounts: readonly FailCount[];
  readonly children: readonly ResourceState[];
}

export interface ClusterResourceState {
  readonly resources: readonly ResourceState[];
  readonly failures: readonly FailedOperation[];
  /** Online nodes whose history is incomplete: they are probing, and their state is not known yet. */
  readonly unready: readonly string[];
}

export function resourceStates(built: BuiltInput): ClusterResourceState {
  const nowS = built.input.status.executionDateS ?? 0;
  const set = unpack(built.input, nowS);
  return {
    resources: set.resources.map((r) => stateOf(set, r)),
    failures: failedOperations(built),
    unready: built.unready,
  };
}

function stateOf(set: WorkingSet, rsc: Rsc): ResourceState {
  const children = rsc.children.map((c) => stateOf(set, c));
  const own = rsc.variant === 'primitive' ? rsc.runningOn.map((n) => ({ node: n.name, role: rsc.role === 'Stopped' || rsc.role === 'Unknown' ? 'Started' : rsc.role })) : [];
  const seen = new Set<string>();
  const active = [...own, ...children.flatMap((c) => c.active)].filter((a) => {
    const key = `${a.node}/${a.role}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const role = rsc.variant === 'primitive' ? rsc.role : children.reduce((best, c) => (roleRank[c.role as Role] > roleRank[best as Role] ? c.role : best), 'Stopped');
  const first = leaves(rsc)[0];
  return {
    id: rsc.id,
    kind: rsc.variant,
    agent: rsc.variant === 'primitive' ? agentText({ class: rsc.cls, provider: rsc.provider, type: rsc.type }) : first && rsc.variant === 'clone' ? agentText({ class: first.cls, provider: first.provider, type: first.type }) : null,
    role,
    targetRole: rsc.meta.get('target-role') ?? null,
    managed: rsc.managed,
    failed: rsc.failed || children.some((c) => c.failed),
    blocked: rsc.blocked || children.some((c) => c.blocked),
    orphan: rsc.orphan,
    active,
    failCounts: failCountsOf(set, rsc),
    children,
  };
}

/**
 * Fail counts of a primitive per node. An anonymous clone's instances share one count (its
 * history is kept under the child's id), so it is shown once, on the clone.
 */
function failCountsOf(set: WorkingSet, rsc: Rsc): FailCount[] {
  const clone = cloneOf(rsc);
  const anonymous = clone !== undefined && clone.clone?.unique !== true;
  let primitives: Rsc[];
  if (rsc.variant === 'clone' && anonymous) primitives = rsc.children[0] ? leaves(rsc.children[0]) : [];
  else if (rsc.variant === 'primitive' && !anonymous) primitives = [rsc];
  else return [];
  const out: FailCount[] = [];
  for (const node of set.nodes) {
    const count = primitives.reduce((sum, p) => sum + failcount(set, p, node), 0);
    if (count > 0) out.push({ node: node.name, count: Math.min(count, 1_000_000) });
  }
  return out;
}

/** A probe (a monitor with interval 0) that finds the resource stopped (7) is no failure. */
function isFailure(op: OperationRecord): boolean {
  if (op.opStatus === -1 || op.opStatus === 1) return false;
  if (op.opStatus !== 0) return true;
  const probe = op.operation === 'monitor' && op.intervalMs === 0;
  const expected = op.expectedRc ?? (probe ? undefined : 0);
  if (expected === undefined) return op.rc !== 0 && op.rc !== 7 && op.rc !== 8;
  return op.rc !== expected;
}

function failedOperations(built: BuiltInput): FailedOperation[] {
  const out: FailedOperation[] = [];
  for (const node of built.input.status.nodes) {
    for (const r of node.resources) {
      for (const op of r.operations) {
        if (!isFailure(op)) continue;
        out.push({
          resource: r.id, node: node.name, operation: op.operation, intervalMs: op.intervalMs, rc: op.rc,
          expectedRc: op.expectedRc ?? null, opStatus: op.opStatus, exitReason: op.exitReason ?? null, lastRcChangeS: op.lastRcChange ?? null,
        });
      }
    }
  }
  return out;
}

/** One line of crm_mon's resource section: "Started n1", "Stopped (disabled)", "FAILED n2". */
export function stateText(s: ResourceState): string {
  const nodes = [...new Set(s.active.map((a) => a.node))];
  const flags = [
    s.targetRole?.toLowerCase() === 'stopped' ? 'disabled' : '',
    s.managed ? '' : 'unmanaged',
    s.blocked ? 'blocked' : '',
    s.orphan ? 'orphan' : '',
  ].filter((f) => f !== '');
  const suffix = flags.length > 0 ? ` (${flags.join(', ')})` : '';
  if (s.kind === 'clone') {
    // crm_mon's clone lines: healthy instances by role, failed ones apart.
    const byRole = new Map<string, Set<string>>();
    for (const instance of s.children) {
      const label = (r: string): string => (instance.failed ? 'FAILED' : r);
      for (const a of instance.active) byRole.set(label(a.role), (byRole.get(label(a.role)) ?? new Set()).add(a.node));
    }
    if (byRole.size === 0) return `Stopped${suffix}`;
    return [...byRole].map(([role, on]) => `${role}: [ ${[...on].join(' ')} ]`).join(' ') + suffix;
  }
  if (s.failed) return `FAILED ${nodes.join(' ')}`.trimEnd() + suffix;
  if (nodes.length === 0) return `Stopped${suffix}`;
  const role = s.active[0]?.role ?? 'Started';
  return `${role} ${nodes.join(' ')}${suffix}`;
}

/** Whether nothing of the resource (members, instances) is active anywhere. */
export function isStopped(s: ResourceState): boolean {
  return s.active.length === 0;
}

export function findState(states: readonly ResourceState[], id: string): ResourceState | undefined {
  const stack = [...states];
  while (stack.length > 0) {
    const s = stack.pop() as ResourceState;
    if (s.id === id) return s;
    stack.push(...s.children);
  }
  return undefined;
}
