// Owns the operator's edits of the resource configuration (the one `resources/config` record):
// add, update and delete resources; add and delete constraints; enable and disable (target-role);
// move, ban and clear (crm_resource's cli-prefer-/cli-ban- location constraints); cluster
// options; importing a Pacemaker CIB's configuration; and cleanup of a node's operation history.
// Pure: each function takes a record and returns a new one (never mutating its input) or a
// Failure; every edit ends with validateConfig, so a result that breaks a rule is never returned.

import { err, failure, ok, type Result } from '../core/result.js';
import type {
  Attributes, Constraint, LocationConstraint, OperationConfig, PlannerInput, PrimitiveConfig, ResourceConfig,
} from './model.js';
import { INFINITY } from './model.js';
import type { NodeHistoryRecord, ResourceConfigRecord } from './records.js';
import { primitiveIds } from './config-lookup.js';
import { checkOption, clusterOptions, constraintReferences, invalid, validateConfig, walkResources, type ConfigFailure } from './config-validate.js';

export type Edit<T = ResourceConfigRecord> = Result<T, ConfigFailure>;

/** Ids the API's paths use for other things (`/v1/resources/scores`). */
export const reservedIds: ReadonlySet<string> = new Set(['scores', 'options', 'import']);
const newIdPattern = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

const notFound = (id: string, field = 'id'): ConfigFailure => failure('not_found', `no resource "${id}"`, field);

function checkNewId(id: string, field: string): ConfigFailure | undefined {
  if (!newIdPattern.test(id)) return invalid(field, `"${id}" must start with a letter or "_" and hold only letters, digits, "_", "." or "-" (at most 128)`);
  if (reservedIds.has(id)) return invalid(field, `"${id}" is reserved`);
  return undefined;
}

/** The top-level resource that holds id (itself when it is top-level). */
export function topLevelOf(config: ResourceConfigRecord, id: string): ResourceConfig | undefined {
  const top = walkResources(config.resources).find((w) => w.id === id)?.top;
  return config.resources.find((r) => r.id === top);
}

export function findResource(config: ResourceConfigRecord, id: string): ResourceConfig | undefined {
  const stack: ResourceConfig[] = [...config.resources];
  while (stack.length > 0) {
    const r = stack.pop() as ResourceConfig;
    if (r.id === id) return r;
    if (r.kind === 'group') stack.push(...r.children);
    else if (r.kind === 'clone') stack.push(r.child);
  }
  return undefined;
}

/** Adds a resource at the top level, or as the last member of `group` (created when missing). */
export function addResource(config: ResourceConfigRecord, resource: ResourceConfig, options: { group?: string } = {}): Edit {
  const bad = checkNewId(resource.id, 'id');
  if (bad) return err(bad);
  if (findResource(config, resource.id) !== undefined || config.constraints.some((c) => c.id === resource.id)) {
    return err(failure('conflict', `id "${resource.id}" is already in use`, 'id'));
  }
  if (options.group === undefined) return validateConfig({ ...config, resources: [...config.resources, resource] });
  if (resource.kind !== 'primitive') return err(invalid('group', 'only a primitive joins a group'));
  const group = config.resources.find((r) => r.id === options.group);
  if (group === undefined) {
    const badGroup = checkNewId(options.group, 'group');
    if (badGroup) return err(badGroup);
    if (findResource(config, options.group) !== undefined) return err(invalid('group', `"${options.group}" is not a top-level group`));
    return validateConfig({ ...config, resources: [...config.resources, { kind: 'group', id: options.group, meta: {}, children: [resource] }] });
  }
  if (group.kind !== 'group') return err(invalid('group', `"${options.group}" is a ${group.kind}, not a group`));
  return validateConfig({ ...config, resources: config.resources.map((r) => (r === group ? { ...group, children: [...group.children, resource] } : r)) });
}

/** Replaces the resource with that id wherever it is in the tree. */
function replaceResource(config: ResourceConfigRecord, id: string, change: (r: ResourceConfig) => ResourceConfig): ResourceConfigRecord {
  const walk = (r: ResourceConfig): ResourceConfig => {
    if (r.id === id) return change(r);
    if (r.kind === 'group') return { ...r, children: r.children.map((c) => walk(c) as PrimitiveConfig) };
    if (r.kind === 'clone') return { ...r, child: walk(r.child) as PrimitiveConfig };
    return r;
  };
  return { ...config, resources: config.resources.map(walk) };
}

/** Sets attributes (a string) and removes them (null). */
export function patchAttributes(current: Attributes, patch: Readonly<Record<string, string | null>>): Attributes {
  const out: Record<string, string> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

export interface ResourcePatch {
  readonly params?: Readonly<Record<string, string | null>>;
  readonly meta?: Readonly<Record<string, string | null>>;
  /** Each replaces the existing operations of the same name and role; others stay. */
  readonly operations?: readonly OperationConfig[];
  /** Operation names to remove entirely. */
  readonly removeOperations?: readonly string[];
}

export function updateResource(config: ResourceConfigRecord, id: string, patch: ResourcePatch): Edit {
  const r = findResource(config, id);
  if (r === undefined) return err(notFound(id));
  const touchesPrimitive = patch.params !== undefined || patch.operations !== undefined || patch.removeOperations !== undefined;
  if (r.kind !== 'primitive' && touchesPrimitive) return err(invalid('params', `${id} is a ${r.kind}: only its meta attributes can change`));
  return validateConfig(replaceResource(config, id, (current) => {
    const meta = patchAttributes(current.meta, patch.meta ?? {});
    if (current.kind !== 'primitive') return { ...current, meta };
    const replaced = patch.operations ?? [];
    const removed = new Set(patch.removeOperations ?? []);
    const kept = current.operations.filter((op) => !removed.has(op.name) && !replaced.some((n) => n.name === op.name && n.role === op.role));
    return { ...current, meta, params: patchAttributes(current.params, patch.params ?? {}), operations: [...kept, ...replaced] };
  }));
}

/** Removes a resource (a clone's child takes its clone; a group's last member its group) and the constraints naming it. */
export function deleteResource(config: ResourceConfigRecord, id: string): Edit<{ config: ResourceConfigRecord; removed: string[]; removedConstraints: string[] }> {
  const top = topLevelOf(config, id);
  if (top === undefined) return err(notFound(id));
  const whole = top.kind !== 'group' || top.id === id || top.children.length === 1;
  const target = whole ? top : (findResource(config, id) as ResourceConfig);
  const removed = walkResources([target]).map((w) => w.id);
  const gone = new Set(removed);
  const resources = whole
    ? config.resources.filter((r) => r !== top)
    : config.resources.map((r) => (r === top && r.kind === 'group' ? { ...r, children: r.children.filter((c) => c.id !== id) } : r));
  const removedConstraints = config.constraints.filter((c) => constraintReferences(c, '').some((ref) => gone.has(ref.id))).map((c) => c.id);
  const constraints = config.constraints.filter((c) => !removedConstraints.includes(c.id));
  const fencingLevels = config.fencingLevels
    .map((l) => ({ ...l, devices: l.devices.filter((d) => !gone.has(d)) }))
    .filter((l) => l.devices.length > 0);
  const next = validateConfig({ ...config, resources, constraints, fencingLevels });
  return next.ok ? ok({ config: next.value, removed, removedConstraints }) : next;
}

export function addConstraint(config: ResourceConfigRecord, constraint: Constraint): Edit {
  const bad = checkNewId(constraint.id, 'constraint.id');
  if (bad) return err(bad);
  if (findResource(config, constraint.id) !== undefined || config.constraints.some((c) => c.id === constraint.id)) {
    return err(failure('conflict', `id "${constraint.id}" is already in use`, 'constraint.id'));
  }
  return validateConfig({ ...config, constraints: [...config.constraints, constraint] });
}

export function deleteConstraint(config: ResourceConfigRecord, id: string): Edit {
  if (!config.constraints.some((c) => c.id === id)) return err(failure('not_found', `no constraint "${id}"`, 'id'));
  return validateConfig({ ...config, constraints: config.constraints.filter((c) => c.id !== id) });
}

/**
 * enable/disable: target-role Started or Stopped on the top-level resource (undefined removes
 * it). Enabling also drops target-role=Stopped from its members, which would otherwise win.
 * Returns the previous target-role of the top-level resource, for restart.
 */
export function setTargetRole(config: ResourceConfigRecord, id: string, role: string | undefined): Edit<{ config: ResourceConfigRecord; top: string; previous: string | undefined }> {
  const top = topLevelOf(config, id);
  if (top === undefined) return err(notFound(id));
  const previous = top.meta['target-role'];
  const withRole = (r: ResourceConfig): ResourceConfig => ({ ...r, meta: patchAttributes(r.meta, { 'target-role': role ?? null }) });
  const clearStopped = (r: ResourceConfig): ResourceConfig => (r.meta['target-role']?.toLowerCase() === 'stopped' ? { ...r, meta: patchAttributes(r.meta, { 'target-role': null }) } : r);
  let next = replaceResource(config, top.id, withRole);
  if (role !== undefined && role !== 'Stopped') {
    for (const w of walkResources([top])) if (w.id !== top.id) next = replaceResource(next, w.id, clearStopped);
  }
  const checked = validateConfig(next);
  return checked.ok ? ok({ config: checked.value, top: top.id, previous }) : checked;
}

export const preferId = (rsc: string): string => `cli-prefer-${rsc}`;
export const banId = (rsc: string, node: string): string => `cli-ban-${rsc}-on-${node}`;

function cliLocation(id: string, rsc: string, node: string, score: number): LocationConstraint {
  return { kind: 'location', id, resource: rsc, node, score, rules: [] };
}

function checkNode(node: string): ConfigFailure | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/.test(node) ? undefined : invalid('node', `"${node}" is not a node name`);
}

/** crm_resource --move: cli-prefer-<rsc> at +INFINITY on node (replacing an earlier move) and no ban there. */
export function move(config: ResourceConfigRecord, id: string, node: string): Edit<{ config: ResourceConfigRecord; constraint: string }> {
  const top = topLevelOf(config, id);
  if (top === undefined) return err(notFound(id));
  const bad = checkNode(node);
  if (bad) return err(bad);
  const cid = preferId(top.id);
  const constraints = config.constraints.filter((c) => c.id !== cid && c.id !== banId(top.id, node));
  const next = validateConfig({ ...config, constraints: [...constraints, cliLocation(cid, top.id, node, INFINITY)] });
  return next.ok ? ok({ config: next.value, constraint: cid }) : next;
}

/** crm_resource --ban: cli-ban-<rsc>-on-<node> at -INFINITY. */
export function ban(config: ResourceConfigRecord, id: string, node: string): Edit<{ config: ResourceConfigRecord; constraint: string }> {
  const top = topLevelOf(config, id);
  if (top === undefined) return err(notFound(id));
  const bad = checkNode(node);
  if (bad) return err(bad);
  const cid = banId(top.id, node);
  const prefer = config.constraints.find((c) => c.id === preferId(top.id));
  const constraints = config.constraints.filter((c) => c.id !== cid && !(c === prefer && c.kind === 'location' && c.node === node));
  const next = validateConfig({ ...config, constraints: [...constraints, cliLocation(cid, top.id, node, -INFINITY)] });
  return next.ok ? ok({ config: next.value, constraint: cid }) : next;
}

/** crm_resource --clear: removes the resource's cli-prefer-/cli-ban- constraints (only those on node, when given). */
export function clear(config: ResourceConfigRecord, id: string, node?: string): Edit<{ config: ResourceConfigRecord; removed: string[] }> {
  const top = topLevelOf(config, id);
  if (top === undefined) return err(notFound(id));
  const matches = (c: Constraint): boolean => {
    if (c.kind !== 'location' || c.resource !== top.id) return false;
    if (c.id === preferId(top.id)) return node === undefined || c.node === node;
    return node === undefined ? c.id.startsWith(`cli-ban-${top.id}-on-`) : c.id === banId(top.id, node);
  };
  const removed = config.constraints.filter(matches).map((c) => c.id);
  const next = validateConfig({ ...config, constraints: config.constraints.filter((c) => !matches(c)) });
  return next.ok ? ok({ config: next.value, removed }) : next;
}

/** Sets a known cluster option (null removes it), its value checked. */
export function setOption(config: ResourceConfigRecord, name: string, value: string | null): Edit {
  if (clusterOptions[name] === undefined) return err(invalid(`options.${name}`, `unknown cluster option; known: ${Object.keys(clusterOptions).join(', ')}`));
  if (value !== null) {
    const problem = checkOption(name, value);
    if (problem) return err(problem);
  }
  return validateConfig({ ...config, options: patchAttributes(config.options, { [name]: value }) });
}

/** Replaces the whole configuration with a parsed CIB's (its nodes come from Herd's own registry). */
export function importCib(_config: ResourceConfigRecord, cib: PlannerInput): Edit {
  const c = cib.configuration;
  return validateConfig({
    options: c.options, resources: c.resources, constraints: c.constraints,
    resourceDefaults: c.resourceDefaults, operationDefaults: c.operationDefaults, fencingLevels: c.fencingLevels,
  });
}

const withoutInstanceNumber = (id: string): string => id.replace(/:\d+$/, '');

/**
 * crm_resource --cleanup on one node: drops the resources' operation history (so the node
 * probes them again) and their fail-count-* / last-failure-* attributes. `changed` is false
 * when there was nothing to remove.
 */
export function cleanupHistory(history: NodeHistoryRecord, ids: readonly string[]): { record: NodeHistoryRecord; changed: boolean; removed: string[] } {
  const wanted = new Set(ids);
  const resources = history.resources.filter((r) => !wanted.has(withoutInstanceNumber(r.id)));
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(history.attributes)) {
    const m = /^(?:fail-count|last-failure)-(.+?)(?:#.*)?$/.exec(k);
    if (m === null || !wanted.has(withoutInstanceNumber(m[1] ?? ''))) attributes[k] = v;
  }
  const removed = history.resources.filter((r) => wanted.has(withoutInstanceNumber(r.id))).map((r) => r.id);
  const changed = removed.length > 0 || Object.keys(attributes).length !== Object.keys(history.attributes).length;
  return { record: { ...history, resources, attributes }, changed, removed };
}

/** The primitive ids under a resource: what cleanup of that resource touches. */
export function primitivesUnder(config: ResourceConfigRecord, id: string): string[] | undefined {
  const r = findResource(config, id);
  return r === undefined ? undefined : primitiveIds([r]);
}
