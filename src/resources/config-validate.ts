// Owns the rules a stored resource configuration must keep, checked after every edit and
// import: ids unique across resources, group members, clone children and constraints; every
// constraint naming an existing resource; no cycle of Mandatory orders; clone counts,
// scores, durations, operations and classes in their forms; known cluster options with
// valid values; fencing levels naming configured devices. Pure. The first problem found is
// returned as a Failure naming its field (`constraints[3].withResource`) and the expected form.

import { err, failure, ok, type Failure, type Result } from '../core/result.js';
import { parsePacemakerDurationMs } from '../core/duration.js';
import { validateTopology } from '../fencing/index.js';
import type { ActionName, Attributes, Constraint, OrderConstraint, PrimitiveConfig, ResourceConfig } from './model.js';
import type { ResourceConfigRecord } from './records.js';
import { parseScore } from './score.js';
import { resourceClasses, roleForm, scoreForm } from './resource-spec.js';

export type ConfigFailure = Failure<'invalid' | 'not_found' | 'conflict'>;

export const invalid = (field: string, message: string): ConfigFailure => failure('invalid', `${field}: ${message}`, field);

/** Bounds on operation timing: longer than a day is a mistake, not a plan. */
export const operationLimits = { intervalMsMax: 24 * 3600_000, timeoutMsMax: 24 * 3600_000 } as const;

const booleanForm = /^(true|false|yes|no|on|off|y|n|1|0)$/i;
type OptionCheck = (value: string) => string | undefined;
const isBoolean: OptionCheck = (v) => (booleanForm.test(v) ? undefined : 'true or false');
const isDuration: OptionCheck = (v) => (parsePacemakerDurationMs(v) !== undefined ? undefined : 'a duration such as 60s or 2min');
const isScore: OptionCheck = (v) => (parseScore(v) !== undefined ? undefined : scoreForm);
const oneOf = (...values: string[]): OptionCheck => (v) => (values.includes(v) ? undefined : `one of ${values.join(', ')}`);

/** The cluster options Herd's planner reads, with the form of each value. */
export const clusterOptions: Readonly<Record<string, OptionCheck>> = {
  'stonith-enabled': isBoolean,
  'symmetric-cluster': isBoolean,
  'start-failure-is-fatal': isBoolean,
  'maintenance-mode': isBoolean,
  'stop-all-resources': isBoolean,
  'startup-fencing': isBoolean,
  'no-quorum-policy': oneOf('stop', 'freeze', 'ignore', 'demote', 'suicide'),
  'stonith-action': oneOf('reboot', 'off', 'poweroff'),
  'placement-strategy': oneOf('default', 'utilization', 'minimal', 'balanced'),
  'default-resource-stickiness': isScore,
  'stonith-timeout': isDuration,
  'cluster-recheck-interval': isDuration,
};

export function checkOption(name: string, value: string, field = `options.${name}`): ConfigFailure | undefined {
  const check = clusterOptions[name];
  const problem = check?.(value);
  return problem === undefined ? undefined : invalid(field, `"${value}" must be ${problem}`);
}

const cloneCounts = ['clone-max', 'clone-node-max', 'clone-min', 'promoted-max', 'promoted-node-max', 'master-max', 'master-node-max'];
const scoreMeta = ['resource-stickiness', 'priority', 'migration-threshold'];
const booleanMeta = ['is-managed', 'maintenance', 'promotable', 'globally-unique', 'interleave', 'notify', 'ordered', 'allow-migrate', 'critical'];

function checkMeta(meta: Attributes, field: string, clone: boolean): ConfigFailure | undefined {
  for (const [name, value] of Object.entries(meta)) {
    const at = `${field}.${name}`;
    if (clone && cloneCounts.includes(name) && !/^\d{1,6}$/.test(value)) return invalid(at, `"${value}" must be a whole number >= 0`);
    if (scoreMeta.includes(name) && parseScore(value) === undefined) return invalid(at, `"${value}" must be ${scoreForm}`);
    if (booleanMeta.includes(name) && !booleanForm.test(value)) return invalid(at, `"${value}" must be true or false`);
    if (name === 'failure-timeout' && parsePacemakerDurationMs(value) === undefined) return invalid(at, `"${value}" must be a duration such as 10min`);
    if (name === 'target-role' && !/^(started|stopped|promoted|unpromoted|master|slave)$/i.test(value)) return invalid(at, `"${value}" must be ${roleForm}`);
  }
  return undefined;
}

function checkPrimitive(p: PrimitiveConfig, field: string): ConfigFailure | undefined {
  if (!(resourceClasses as readonly string[]).includes(p.class)) return invalid(`${field}.class`, `"${p.class}" must be one of ${resourceClasses.join(', ')}`);
  if (p.class === 'ocf' && (p.provider === undefined || p.provider === '')) return invalid(`${field}.provider`, 'an ocf resource names its provider (ocf:PROVIDER:TYPE)');
  if (p.class !== 'ocf' && p.provider !== undefined) return invalid(`${field}.provider`, `a ${p.class} resource has no provider`);
  const seen = new Set<string>();
  for (const [i, op] of p.operations.entries()) {
    const at = `${field}.operations[${i}]`;
    if (!Number.isInteger(op.intervalMs) || op.intervalMs < 0 || op.intervalMs > operationLimits.intervalMsMax) return invalid(`${at}.interval`, `${op.intervalMs} ms must be from 0 to ${operationLimits.intervalMsMax} ms`);
    if (op.timeoutMs !== undefined && (!Number.isInteger(op.timeoutMs) || op.timeoutMs < 1 || op.timeoutMs > operationLimits.timeoutMsMax)) return invalid(`${at}.timeout`, `${op.timeoutMs} ms must be from 1 to ${operationLimits.timeoutMsMax} ms`);
    if (op.intervalMs > 0 && op.name !== 'monitor') return invalid(`${at}.interval`, `only monitor operations recur; ${op.name} must have interval 0`);
    const key = `${op.name}/${op.intervalMs}`;
    if (seen.has(key)) return invalid(`${at}.interval`, `${p.id} has two ${op.name} operations with interval ${op.intervalMs} ms; give each role its own interval`);
    seen.add(key);
  }
  return checkMeta(p.meta, `${field}.meta`, false);
}

interface Walked { readonly id: string; readonly field: string; readonly top: string; }

/** Every resource of the tree with its field path and its top-level resource. */
export function walkResources(resources: readonly ResourceConfig[]): Walked[] {
  const out: Walked[] = [];
  for (const [i, top] of resources.entries()) {
    const stack: { r: ResourceConfig; field: string }[] = [{ r: top, field: `resources[${i}]` }];
    while (stack.length > 0) {
      const { r, field } = stack.pop() as { r: ResourceConfig; field: string };
      out.push({ id: r.id, field, top: top.id });
      if (r.kind === 'group') r.children.forEach((c, j) => stack.push({ r: c, field: `${field}.children[${j}]` }));
      else if (r.kind === 'clone') stack.push({ r: r.child, field: `${field}.child` });
    }
  }
  return out;
}

function checkResource(r: ResourceConfig, field: string): ConfigFailure | undefined {
  switch (r.kind) {
    case 'primitive': return checkPrimitive(r, field);
    case 'group':
      if (r.children.length === 0) return invalid(`${field}.children`, 'a group has at least one member');
      return checkMeta(r.meta, `${field}.meta`, false) ?? r.children.map((c, j) => checkPrimitive(c, `${field}.children[${j}]`)).find((f) => f !== undefined);
    case 'clone':
      return checkMeta(r.meta, `${field}.meta`, true) ?? checkResource(r.child, `${field}.child`);
  }
}

/** The resource ids a constraint names, each with its field. */
export function constraintReferences(c: Constraint, field: string): { id: string; field: string }[] {
  const refs: { id: string; field: string }[] = [];
  const add = (id: string | undefined, name: string): void => { if (id !== undefined) refs.push({ id, field: `${field}.${name}` }); };
  if (c.kind === 'location') add(c.resource, 'resource');
  else if (c.kind === 'colocation') { add(c.resource, 'resource'); add(c.withResource, 'withResource'); }
  else { add(c.first, 'first'); add(c.then, 'then'); }
  c.sets?.forEach((s, i) => s.resources.forEach((id, j) => add(id, `sets[${i}].resources[${j}]`)));
  return refs;
}

function checkConstraint(c: Constraint, field: string, known: ReadonlySet<string>): ConfigFailure | undefined {
  const refs = constraintReferences(c, field);
  const sets = c.sets?.length ?? 0;
  if (c.kind === 'location' && c.resource === undefined && c.resourcePattern === undefined && sets === 0) return invalid(`${field}.resource`, 'a location constraint names a resource, a pattern or a set');
  if (c.kind === 'location' && c.node !== undefined && c.score === undefined) return invalid(`${field}.score`, `a location on a node has a score (${scoreForm})`);
  if (c.kind === 'location' && c.node === undefined && c.rules.length === 0) return invalid(`${field}.node`, 'a location constraint names a node or has rules');
  if (c.kind === 'colocation' && sets === 0 && (c.resource === undefined || c.withResource === undefined)) return invalid(`${field}.withResource`, 'a colocation names resource and withResource, or sets');
  if (c.kind === 'order' && sets === 0 && (c.first === undefined || c.then === undefined)) return invalid(`${field}.then`, 'an order names first and then, or sets');
  const scores: (number | undefined)[] = [c.score, ...(c.sets ?? []).map((s) => s.score)];
  if (scores.some((s) => s !== undefined && (!Number.isInteger(s) || Math.abs(s) > 1_000_000))) return invalid(`${field}.score`, `must be ${scoreForm}`);
  const missing = refs.find((r) => !known.has(r.id));
  return missing === undefined ? undefined : failure('invalid', `${missing.field}: no resource "${missing.id}"`, missing.field);
}

const inverse: Readonly<Record<ActionName, ActionName>> = { start: 'stop', stop: 'start', promote: 'demote', demote: 'promote' };

interface Edge { readonly from: string; readonly to: string; readonly constraint: string; }

/** Mandatory order edges between (top-level resource, action) pairs, inverses for symmetrical ones. */
function orderEdges(c: OrderConstraint, topOf: ReadonlyMap<string, string>): Edge[] {
  const edges: Edge[] = [];
  const symmetrical = c.symmetrical ?? c.orderKind !== 'Serialize';
  const link = (a: string, aAction: ActionName, b: string, bAction: ActionName, kind: string): void => {
    const from = topOf.get(a);
    const to = topOf.get(b);
    if (kind !== 'Mandatory' || from === undefined || to === undefined || from === to) return;
    edges.push({ from: `${aAction} ${from}`, to: `${bAction} ${to}`, constraint: c.id });
    if (symmetrical) edges.push({ from: `${inverse[bAction]} ${to}`, to: `${inverse[aAction]} ${from}`, constraint: c.id });
  };
  if (c.first !== undefined && c.then !== undefined) link(c.first, c.firstAction, c.then, c.thenAction, c.orderKind);
  const sets = c.sets ?? [];
  for (const [i, s] of sets.entries()) {
    const action = s.action ?? c.firstAction;
    const kind = s.kind ?? c.orderKind;
    if (s.sequential) for (let j = 1; j < s.resources.length; j++) link(s.resources[j - 1] ?? '', action, s.resources[j] ?? '', action, kind);
    const next = sets[i + 1];
    if (next) for (const a of s.resources) for (const b of next.resources) link(a, action, b, next.action ?? c.thenAction, kind);
  }
  return edges;
}

/** A cycle in the Mandatory orders, as "start A -> start B -> start A" with its constraints; iterative DFS. */
export function findOrderCycle(config: Pick<ResourceConfigRecord, 'resources' | 'constraints'>): { path: string[]; constraints: string[] } | undefined {
  const topOf = new Map(walkResources(config.resources).map((w) => [w.id, w.top]));
  const out = new Map<string, Edge[]>();
  for (const c of config.constraints) {
    if (c.kind !== 'order') continue;
    for (const e of orderEdges(c, topOf)) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  }
  const state = new Map<string, 'open' | 'done'>();
  for (const start of out.keys()) {
    if (state.has(start)) continue;
    const stack: { node: string; next: number; via?: Edge }[] = [{ node: start, next: 0 }];
    state.set(start, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: string; next: number; via?: Edge };
      const edge = (out.get(top.node) ?? [])[top.next++];
      if (edge === undefined) { state.set(top.node, 'done'); stack.pop(); continue; }
      const seen = state.get(edge.to);
      if (seen === 'open') {
        const from = stack.findIndex((f) => f.node === edge.to);
        const frames = stack.slice(from);
        const path = [...frames.map((f) => f.node), edge.to];
        const constraints = [...frames.slice(1).map((f) => f.via?.constraint ?? ''), edge.constraint];
        return { path, constraints: [...new Set(constraints)] };
      }
      if (seen === undefined) { state.set(edge.to, 'open'); stack.push({ node: edge.to, next: 0, via: edge }); }
    }
  }
  return undefined;
}

/** Checks every rule above; ok(config) when the configuration may be stored. */
export function validateConfig(config: ResourceConfigRecord): Result<ResourceConfigRecord, ConfigFailure> {
  const ids = new Map<string, string>();
  for (const w of walkResources(config.resources)) {
    const other = ids.get(w.id);
    if (other !== undefined) return err(invalid(`${w.field}.id`, `"${w.id}" is already the id of ${other}; ids are unique across resources and constraints`));
    ids.set(w.id, w.field);
  }
  for (const [i, r] of config.resources.entries()) {
    const problem = checkResource(r, `resources[${i}]`);
    if (problem) return err(problem);
  }
  const known = new Set(ids.keys());
  for (const [i, c] of config.constraints.entries()) {
    const field = `constraints[${i}]`;
    const other = ids.get(c.id);
    if (other !== undefined) return err(invalid(`${field}.id`, `"${c.id}" is already the id of ${other}; ids are unique across resources and constraints`));
    ids.set(c.id, field);
    const problem = checkConstraint(c, field, known);
    if (problem) return err(problem);
  }
  const cycle = findOrderCycle(config);
  if (cycle) {
    const index = config.constraints.findIndex((c) => c.id === cycle.constraints[cycle.constraints.length - 1]);
    return err(invalid(`constraints[${index}]`, `Mandatory orders form a cycle: ${cycle.path.join(' -> ')} (constraints ${cycle.constraints.join(', ')}); remove one of them or make it Optional`));
  }
  for (const [name, value] of Object.entries(config.options)) {
    const problem = checkOption(name, value);
    if (problem) return err(problem);
  }
  const defaults = checkMeta(config.resourceDefaults, 'resourceDefaults', false);
  if (defaults) return err(defaults);
  const devices = new Set(walkResources(config.resources).filter((w) => isStonith(config.resources, w.id)).map((w) => w.id));
  const levels = validateTopology(config.fencingLevels, devices);
  if (!levels.ok) {
    const field = (levels.error.field ?? 'fencingLevels').replace(/^topology/, 'fencingLevels');
    return err(invalid(field, levels.error.message));
  }
  return ok(config);
}

function isStonith(resources: readonly ResourceConfig[], id: string): boolean {
  return resources.some((r) => r.kind === 'primitive' && r.id === id && r.class === 'stonith');
}
