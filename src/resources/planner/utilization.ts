// Owns capacity-aware placement (Pacemaker's pcmk_sched_utilization.c), used when
// placement-strategy is utilization, balanced or minimal: each node has a capacity per
// utilization attribute, each primitive uses some of it, and a resource may only go where what
// it (and whatever must be placed with it) needs still fits. Nodes track the capacity left as
// resources are assigned; "balanced" prefers the node with the most left. Pure.

import type { Attributes } from '../model.js';
import { INFINITY } from '../model.js';
import { locate, type NodeScore, type PNode, type Rsc, type WorkingSet } from './working-set.js';

/** A utilization value: an integer, anything else counting as 0 (Pacemaker's utilization_value). */
export function utilizationValue(text: string | undefined): number {
  const n = text === undefined ? NaN : parseInt(text, 10);
  return Number.isFinite(n) ? n : 0;
}

const usesCapacity = (set: WorkingSet): boolean => set.placementStrategy !== 'default';

export function consumeCapacity(set: WorkingSet, node: PNode, rsc: Rsc): void {
  if (!usesCapacity(set)) return;
  for (const [name, value] of Object.entries(rsc.utilization)) {
    node.capacity.set(name, (node.capacity.get(name) ?? 0) - utilizationValue(value));
  }
}

export function releaseCapacity(set: WorkingSet, node: PNode, rsc: Rsc): void {
  if (!usesCapacity(set)) return;
  for (const [name, value] of Object.entries(rsc.utilization)) {
    node.capacity.set(name, (node.capacity.get(name) ?? 0) + utilizationValue(value));
  }
}

/** Negative when a has more capacity left than b, counting one per attribute. */
export function compareCapacities(a: PNode, b: PNode): number {
  let result = 0;
  const names = new Set([...a.capacity.keys(), ...b.capacity.keys()]);
  for (const name of names) {
    const x = a.capacity.get(name) ?? 0;
    const y = b.capacity.get(name) ?? 0;
    if (x > y) result--;
    else if (x < y) result++;
  }
  return result;
}

function fits(node: PNode, needed: Map<string, number>): boolean {
  for (const [name, amount] of needed) if (amount > (node.capacity.get(name) ?? 0)) return false;
  return true;
}

/**
 * The resources that must end up on rsc's node: itself and, transitively, those mandatorily
 * colocated with it either way (Pacemaker's colocated_resources).
 */
function colocatedChain(rsc: Rsc): Rsc[] {
  const found: Rsc[] = [];
  const stack = [rsc];
  while (stack.length > 0 && found.length < chainMax) {
    const r = stack.pop();
    if (!r || found.includes(r)) continue;
    found.push(r);
    for (const c of r.colocations) if (c.score >= INFINITY && c.primary !== rsc) stack.push(c.primary);
    for (const c of r.colocatedWithThis) {
      if (c.score < INFINITY || c.dependent === rsc) continue;
      if (r.variant === 'clone' && c.dependent.variant !== 'clone') continue;
      stack.push(c.dependent);
    }
  }
  return found;
}

const chainMax = 10_000;

function unassignedNeeds(rscs: readonly Rsc[]): Map<string, number> {
  const needed = new Map<string, number>();
  const add = (utilization: Attributes): void => {
    for (const [name, value] of Object.entries(utilization)) needed.set(name, (needed.get(name) ?? 0) + utilizationValue(value));
  };
  const walk = (r: Rsc): void => {
    if (r.variant === 'primitive') { if (r.provisional) add(r.utilization); return; }
    r.children.forEach(walk);
  };
  rscs.forEach(walk);
  return needed;
}

/**
 * Bans rsc from usable nodes without room for it and its colocated, still unassigned resources
 * (or, when no node has room for all of them, for rsc alone). Returns the node with the most
 * capacity left, which assignment prefers when scores tie (Pacemaker's
 * pcmk__ban_insufficient_capacity).
 */
export function banInsufficientCapacity(set: WorkingSet, rsc: Rsc, usable: (n: PNode) => boolean): PNode | undefined {
  if (!usesCapacity(set)) return undefined;
  const all = unassignedNeeds(colocatedChain(rsc));
  const candidates = rsc.allowed.values().filter((s: NodeScore) => usable(s.node));
  let mostCapable: PNode | undefined;
  for (const s of candidates) if (!mostCapable || compareCapacities(s.node, mostCapable) < 0) mostCapable = s.node;
  const needed = candidates.some((s) => fits(s.node, all)) ? all : unassignedNeeds([rsc]);
  for (const s of candidates) if (!fits(s.node, needed)) locate(rsc, s.node, -INFINITY);
  return mostCapable;
}
