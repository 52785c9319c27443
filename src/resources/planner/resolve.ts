// Owns deciding which resource an operation-history entry describes: a primitive, the right
// instance of an anonymous clone on that node (an active one first, else a free one), or an
// orphan for history of resources no longer configured (Pacemaker's find_anonymous_clone and
// orphan handling). Pure.

import type { ResourceHistory } from '../model.js';
import { banEverywhere, buildResource, cloneOf, isTrue, type PNode, type Rsc, type WorkingSet } from './working-set.js';

/**
 * Finds the resource (or clone instance) a history entry describes, creating an orphan if none.
 * `clones` are the working set's clones (orphans, made here, are never clones).
 */
export function resolveHistory(set: WorkingSet, clones: readonly Rsc[], node: PNode, h: ResourceHistory): Rsc | undefined {
  const exact = set.byId.get(h.id);
  if (exact && exact.variant === 'primitive' && !cloneOf(exact)) return exact;
  const base = h.id.replace(/:\d+$/, '');
  const clone = clones.find((r) => r.children.some((c) => containsBase(c, base)));
  if (clone?.clone) {
    if (clone.clone.unique) {
      if (exact && exact.variant === 'primitive') return exact;
      return orphan(set, h);
    }
    return anonymousInstance(set, clone, base, node, h);
  }
  if (exact && exact.variant === 'primitive') return exact;
  return orphan(set, h);
}

const containsBase = (r: Rsc, base: string): boolean => r.variant === 'primitive' ? r.baseId === base : r.children.some((c) => containsBase(c, base));
const findBase = (r: Rsc, base: string): Rsc | undefined => r.variant === 'primitive' ? (r.baseId === base ? r : undefined)
  : r.children.map((c) => findBase(c, base)).find((x) => x !== undefined);

function anonymousInstance(set: WorkingSet, clone: Rsc, base: string, node: PNode, h: ResourceHistory): Rsc | undefined {
  let inactive: Rsc | undefined;
  let skipInactive = false;
  for (const instance of clone.children) {
    if (isActive(instance)) {
      if (isActiveOn(instance, node)) {
        const member = findBase(instance, base);
        if (member) {
          if (member.runningOn.length > 0) { skipInactive = true; continue; }
          return member;
        }
      }
    } else if (!skipInactive && !inactive && !instance.blocked) {
      inactive = findBase(instance, base);
    }
  }
  if (!skipInactive && inactive) {
    if (inactive.requires !== 'fencing' && (!node.online || node.unclean)) return orphanInstance(set, clone, base, h);
    return inactive;
  }
  return orphanInstance(set, clone, base, h);
}

/** Whether the instance (or a member of it) is active anywhere. */
function isActive(r: Rsc): boolean {
  return r.runningOn.length > 0 || r.children.some(isActive);
}

/** Whether the instance (or a member of it) is active on node. */
function isActiveOn(r: Rsc, node: PNode): boolean {
  return r.runningOn.includes(node) || r.children.some((c) => isActiveOn(c, node));
}

function orphanInstance(set: WorkingSet, clone: Rsc, base: string, h: ResourceHistory): Rsc | undefined {
  const template = clone.children[0];
  const index = clone.children.length;
  const configChild = set.config.resources.find((r) => r.id === clone.baseId);
  if (!template || !configChild || configChild.kind !== 'clone') return orphan(set, h);
  const instance = buildResource({ set, defaults: set.config.resourceDefaults }, configChild.child, clone, String(index));
  markOrphan(instance);
  clone.children.push(instance);
  clone.allowed.forEach((node, weight) => { instance.allowed.set(node, weight); });
  return findBase(instance, base);
}

function markOrphan(r: Rsc): void {
  r.orphan = true;
  r.children.forEach(markOrphan);
}

function orphan(set: WorkingSet, h: ResourceHistory): Rsc | undefined {
  const stopOrphans = set.options['stop-orphan-resources'] === undefined ? true : isTrue(set.options['stop-orphan-resources']);
  const config = { kind: 'primitive' as const, id: h.id, class: h.class, type: h.type, params: {}, meta: {}, operations: [], ...(h.provider === undefined ? {} : { provider: h.provider }) };
  const existing = set.byId.get(h.id);
  if (existing) return existing.variant === 'primitive' ? existing : undefined;
  const rsc = buildResource({ set, defaults: {} }, config, undefined);
  rsc.orphan = true;
  if (!stopOrphans) rsc.managed = false;
  set.resources.push(rsc);
  banEverywhere(set, rsc);
  return rsc;
}
