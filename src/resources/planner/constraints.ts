// Owns unpacking constraints into the working set: location (scores, rules, patterns, sets),
// colocation (roles, node-attribute, influence, sets; group members expanded), and order
// (kinds, symmetry, sets) as Pacemaker does before assignment. Pure.

import type { ColocationConstraint, LocationConstraint, OrderConstraint, ResourceRole, ResourceSet } from '../model.js';
import { INFINITY } from '../model.js';
import { evaluateRule } from './rules.js';
import { parseScore } from '../score.js';
import type { Colocation, Location, NodeLookup, Role, Rsc, WorkingSet } from './working-set.js';
import { cloneOf, nodeLookup } from './working-set.js';
import { OrderFlag } from './order-flags.js';

export function unpackConstraints(set: WorkingSet): void {
  for (const top of set.resources) groupColocations(top);
  const lookup = nodeLookup(set);
  for (const c of set.config.constraints) {
    switch (c.kind) {
      case 'location': unpackLocation(set, lookup, c); break;
      case 'colocation': unpackColocation(set, c); break;
      case 'order': unpackOrder(set, c); break;
    }
  }
}

/** A colocated group keeps each member with the previous one. */
function groupColocations(rsc: Rsc): void {
  rsc.children.forEach(groupColocations);
  if (rsc.variant !== 'group' || rsc.meta.get('collocated') === 'false') return;
  for (let i = 1; i < rsc.children.length; i++) {
    const member = rsc.children[i];
    const previous = rsc.children[i - 1];
    if (member && previous) newColocation('group:internal_colocation', member, previous, INFINITY, 'Unknown', 'Unknown', undefined, member.critical);
  }
}

/** A constraint may name a resource, or a primitive inside a clone (meaning the clone). */
export function findConstraintResource(set: WorkingSet, id: string | undefined): Rsc | undefined {
  if (id === undefined) return undefined;
  const direct = set.byId.get(id);
  if (direct && !(direct.parent && cloneOf(direct))) return direct;
  for (const top of set.resources) {
    if (top.variant !== 'clone') continue;
    const inner = top.children[0];
    if (inner && (inner.baseId === id || inner.children.some((c) => c.baseId === id))) return top;
  }
  return direct;
}

const roleFilter = (role: ResourceRole | undefined): Role => (role === undefined || role === 'Started' ? 'Unknown' : role);

function unpackLocation(set: WorkingSet, lookup: NodeLookup, c: LocationConstraint): void {
  const targets: Rsc[] = [];
  if (c.resource !== undefined) {
    const r = findConstraintResource(set, c.resource);
    if (r) targets.push(r);
  } else if (c.resourcePattern !== undefined) {
    const pattern = safeRegex(c.resourcePattern);
    if (pattern) targets.push(...set.resources.filter((r) => pattern.test(r.id)));
  }
  for (const s of c.sets ?? []) for (const id of s.resources) { const r = findConstraintResource(set, id); if (r) targets.push(r); }
  for (const rsc of targets) {
    const discovery = c.resourceDiscovery ?? 'always';
    if (c.rules.length === 0) {
      const node = lookup.named(c.node);
      if (!node || c.score === undefined) continue;
      addLocation(rsc, { id: c.id, role: roleFilter(c.role), nodes: [{ node, weight: c.score }], discovery });
      continue;
    }
    for (const rule of c.rules) {
      const nodes: Location['nodes'] = [];
      for (const node of set.nodes) {
        if (!evaluateRule(rule, { node, rsc, nowS: set.nowS })) continue;
        let weight = rule.score ?? c.score ?? 0;
        if (rule.scoreAttribute !== undefined) weight = parseScore(node.attributes.get(rule.scoreAttribute)) ?? 0;
        nodes.push({ node, weight });
      }
      addLocation(rsc, { id: c.id, role: roleFilter(rule.role ?? c.role), nodes, discovery });
    }
  }
}

function safeRegex(text: string): RegExp | undefined {
  try { return new RegExp(text); } catch { return undefined; }
}

function addLocation(rsc: Rsc, location: Location): void {
  rsc.locations.push(location);
  if (location.discovery === 'exclusive') markExclusive(rsc);
}

function markExclusive(rsc: Rsc): void {
  rsc.exclusiveDiscover = true;
  rsc.children.forEach(markExclusive);
}

/** Applies one location to rsc's allowed nodes, recursing into children (Pacemaker's rsc_location). */
export function applyLocation(rsc: Rsc, location: Location): void {
  if (location.role !== 'Unknown' && location.role !== rsc.nextRole) return;
  for (const { node, weight } of location.nodes) rsc.allowed.add(node, weight);
  for (const child of rsc.children) applyLocation(child, location);
}

function unpackColocation(set: WorkingSet, c: ColocationConstraint): void {
  if (c.sets) { unpackColocationSets(set, c); return; }
  const dependent = findConstraintResource(set, c.resource);
  const primary = findConstraintResource(set, c.withResource);
  if (!dependent || !primary) return;
  newColocation(c.id, dependent, primary, c.score, roleFilter(c.resourceRole), roleFilter(c.withResourceRole), c.nodeAttribute, c.influence);
}

/** Resolves each set's members (unknown ids dropped). */
function resolveSets(set: WorkingSet, sets: readonly ResourceSet[]): Rsc[][] {
  return sets.map((s) => s.resources.map((id) => findConstraintResource(set, id)).filter((r): r is Rsc => r !== undefined));
}

/**
 * Calls link(earlier, later, previousSet, currentSet) for each pair of members that consecutive
 * sets connect: a sequential set takes part through its last member (as the earlier set) or
 * its first (as the later set), a non-sequential one through all of them.
 */
function linkSets(sets: readonly ResourceSet[], members: Rsc[][], link: (earlier: Rsc, later: Rsc, previous: ResourceSet, current: ResourceSet) => void): void {
  for (let i = 1; i < sets.length; i++) {
    const previous = sets[i - 1];
    const current = sets[i];
    if (!previous || !current) continue;
    const earlier = previous.sequential ? (members[i - 1] ?? []).slice(-1) : members[i - 1] ?? [];
    const later = current.sequential ? (members[i] ?? []).slice(0, 1) : members[i] ?? [];
    for (const l of later) for (const e of earlier) link(e, l, previous, current);
  }
}

function unpackColocationSets(set: WorkingSet, c: ColocationConstraint): void {
  const sets = c.sets ?? [];
  const resolved = resolveSets(set, sets);
  sets.forEach((s, index) => {
    const members = resolved[index] ?? [];
    const score = s.score ?? c.score;
    if (s.sequential) {
      for (let i = 1; i < members.length; i++) {
        const prev = members[i - 1];
        const cur = members[i];
        if (prev && cur) newColocation(c.id, cur, prev, score, roleFilter(s.role), roleFilter(s.role), c.nodeAttribute, c.influence);
      }
    } else if (score <= -INFINITY) {
      for (let i = 0; i < members.length; i++) for (let j = i + 1; j < members.length; j++) {
        const a = members[i];
        const b = members[j];
        if (a && b) newColocation(c.id, a, b, score, roleFilter(s.role), roleFilter(s.role), c.nodeAttribute, c.influence);
      }
    }
  });
  linkSets(sets, resolved, (primary, dependent, previous, current) => {
    newColocation(c.id, dependent, primary, c.score, roleFilter(current.role), roleFilter(previous.role), c.nodeAttribute, c.influence);
  });
}

const variantRank = { primitive: 0, group: 1, clone: 2 } as const;

function compareByResource(a: Rsc, b: Rsc): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.variant !== b.variant) return variantRank[b.variant] - variantRank[a.variant];
  const ap = a.clone?.promotable === true;
  const bp = b.clone?.promotable === true;
  if (ap !== bp) return ap ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function insertSorted(list: Colocation[], c: Colocation, key: (c: Colocation) => Rsc): void {
  const index = list.findIndex((x) => compareByResource(key(c), key(x)) <= 0);
  if (index < 0) list.push(c);
  else list.splice(index, 0, c);
}

/** Records a colocation on both resources (Pacemaker's pcmk__new_colocation); groups expand. */
export function newColocation(id: string, dependent: Rsc, primary: Rsc, score: number, dependentRole: Role, primaryRole: Role,
  nodeAttribute: string | undefined, influence: boolean | undefined): void {
  if (score === 0 || dependent === primary) return;
  // "group with R" means its first member with R; "R with group" means R with its last member.
  if (dependent.variant === 'group' && dependent.children.length > 0) dependent = dependent.children[0] as Rsc;
  if (primary.variant === 'group' && primary.children.length > 0) primary = primary.children[primary.children.length - 1] as Rsc;
  const c: Colocation = {
    id, dependent, primary, score, dependentRole, primaryRole, nodeAttribute,
    influence: influence ?? dependent.critical,
  };
  insertSorted(dependent.colocations, c, (x) => x.primary);
  insertSorted(primary.colocatedWithThis, c, (x) => x.dependent);
}

export function orderFlagsFor(kind: OrderConstraint['orderKind'], firstAction: string, symmetry: 'asymmetric' | 'symmetric' | 'inverse'): number {
  let flags = OrderFlag.Optional;
  if (kind === 'Serialize') return flags | OrderFlag.Serialize;
  if (kind === 'Optional') return flags;
  if (symmetry === 'asymmetric') flags |= OrderFlag.Asymmetrical;
  else if (symmetry === 'symmetric') {
    flags |= OrderFlag.ImpliesThen;
    if (firstAction === 'start' || firstAction === 'promote') flags |= OrderFlag.RunnableLeft;
  } else flags |= OrderFlag.ImpliesFirst;
  return flags;
}

const inverse: Record<string, string> = { start: 'stop', stop: 'start', promote: 'demote', demote: 'promote' };

function unpackOrder(set: WorkingSet, c: OrderConstraint): void {
  if (c.sets) { unpackOrderSets(set, c); return; }
  const first = findConstraintResource(set, c.first);
  const then = findConstraintResource(set, c.then);
  if (!first || !then) return;
  const symmetrical = c.symmetrical ?? c.orderKind !== 'Serialize';
  addOrder(set, c, first, c.firstAction, then, c.thenAction, symmetrical);
}

function addOrder(set: WorkingSet, c: OrderConstraint, first: Rsc, firstAction: string, then: Rsc, thenAction: string, symmetrical: boolean): void {
  const requireAllOrMin = (!c.requireAll || (first.clone?.min ?? 0) > 0) && first.variant === 'clone';
  const gate = requireAllOrMin ? { name: `clone-one-or-more:${c.id}`, members: first.children, required: Math.max(1, first.clone?.min ?? 1) } : undefined;
  // The deprecated restart-type=restart makes an optional ordering restart its `then` resource.
  const restartThen = c.orderKind === 'Optional' && then.meta.get('restart-type')?.toLowerCase() === 'restart';
  let flags = orderFlagsFor(c.orderKind, firstAction, symmetrical ? 'symmetric' : 'asymmetric');
  if (restartThen) flags |= OrderFlag.ImpliesThen;
  set.orders.push({ id: c.id, first, firstAction, then, thenAction, flags, ...(gate ? { gate } : {}) });
  if (!symmetrical) return;
  const invFirst = inverse[thenAction];
  const invThen = inverse[firstAction];
  if (!invFirst || !invThen) return;
  let inverseFlags = orderFlagsFor(c.orderKind, invFirst, 'inverse');
  if (restartThen) inverseFlags |= OrderFlag.ImpliesFirst;
  set.orders.push({ id: c.id, first: then, firstAction: invFirst, then: first, thenAction: invThen, flags: inverseFlags });
}

function addInverseOrder(set: WorkingSet, c: OrderConstraint, first: Rsc, firstAction: string, then: Rsc, thenAction: string): void {
  const invFirst = inverse[thenAction];
  const invThen = inverse[firstAction];
  if (!invFirst || !invThen) return;
  set.orders.push({ id: c.id, first: then, firstAction: invFirst, then: first, thenAction: invThen, flags: orderFlagsFor(c.orderKind, invFirst, 'inverse') });
}

function unpackOrderSets(set: WorkingSet, c: OrderConstraint): void {
  const sets = c.sets ?? [];
  const resolved = resolveSets(set, sets);
  const symmetrical = c.symmetrical ?? c.orderKind !== 'Serialize';
  sets.forEach((s, index) => {
    if (!s.sequential) return;
    const members = resolved[index] ?? [];
    const action = s.action ?? 'start';
    for (let i = 1; i < members.length; i++) {
      const a = members[i - 1];
      const b = members[i];
      if (a && b) addOrder(set, { ...c, orderKind: s.kind ?? c.orderKind }, a, action, b, action, symmetrical);
    }
  });
  linkSets(sets, resolved, (first, then, previous, current) => {
    // A set that does not require all its members gates the next set on any one of them.
    const action = previous.action ?? 'start';
    if (!previous.requireAll && action !== 'stop' && action !== 'demote') {
      const members = resolved[sets.indexOf(previous)] ?? [];
      const flags = orderFlagsFor(c.orderKind, current.action ?? 'start', symmetrical ? 'symmetric' : 'asymmetric') | OrderFlag.RunnableLeft;
      set.orders.push({ id: c.id, first, firstAction: action, then, thenAction: current.action ?? 'start', flags,
        gate: { name: `one-or-more:${previous.id}`, members, required: 1 } });
      if (symmetrical) addInverseOrder(set, c, first, action, then, current.action ?? 'start');
      return;
    }
    addOrder(set, c, first, action, then, current.action ?? 'start', symmetrical);
  });
}
