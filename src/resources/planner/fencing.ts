// Owns the planner's fencing decisions: marking a node unclean with the first reason given,
// and deciding which unclean nodes get a fence action (Pacemaker's pe_fence_node and
// schedule_fencing). Pure.

import type { PNode, WorkingSet } from './working-set.js';

/** Marks node unclean; the first reason wins, as in Pacemaker. */
export function fenceNode(set: WorkingSet, node: PNode, reason: string): void {
  if (node.unclean) return;
  node.unclean = true;
  if (!set.fencing.has(node.id)) set.fencing.set(node.id, { node, reason });
}

export function canFence(set: WorkingSet, node: PNode | undefined): boolean {
  if (!set.stonithEnabled || !set.haveStonithResource) return false;
  if (set.haveQuorum || set.noQuorumPolicy === 'ignore') return true;
  return node !== undefined && node.online;
}
