// Owns the planner's working set: the mutable objects one planning run builds from the
// configuration (nodes, the resource tree with clone instances, constraints) and then refines
// through unpacking status, assignment and action creation. Everything here lives for exactly
// one call of plan(); nothing escapes except the finished transition.

import type {
  Attributes, ClusterStatus, Configuration, OperationConfig, PrimitiveConfig, ResourceConfig,
  ResourceRole,
} from '../model.js';
import { INFINITY } from '../model.js';
import { parseScore } from '../score.js';
import type { DefinitionChange } from './definition.js';
import { NodeScores, type NodeScore, type NodeSpace } from './node-scores.js';
import type { TicketDependency } from './tickets.js';
import type { NodeFailures } from './failcount.js';
import { parsePacemakerDurationMs } from '../../core/duration.js';

export const roleRank: Record<ResourceRole | 'Unknown', number> = { Unknown: 0, Stopped: 1, Started: 2, Unpromoted: 3, Promoted: 4 };
export type Role = ResourceRole | 'Unknown';

export interface PNode {
  /** The node's position in the working set's nodes (indexes allowed-node tables). */
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly attributes: Map<string, string>;
  online: boolean;
  unclean: boolean;
  unseen: boolean;
  standby: boolean;
  pending: boolean;
  maintenance: boolean;
  shutdown: boolean;
  expectedUp: boolean;
  standbyOnFail: boolean;
  /** Resources assigned to this node so far in this run (Pacemaker's num_resources). */
  assignedCount: number;
  running: Rsc[];
  /** Set when fencing is scheduled; its stops become pseudo-actions. */
  fenced: boolean;
  /** Capacity left per utilization attribute, as resources are assigned (utilization.ts). */
  readonly capacity: Map<string, number>;
}

export { NodeScores, type NodeScore, type NodeSpace };

export interface Colocation {
  readonly id: string;
  readonly dependent: Rsc;
  readonly primary: Rsc;
  readonly score: number;
  readonly dependentRole: Role;
  readonly primaryRole: Role;
  readonly nodeAttribute: string | undefined;
  readonly influence: boolean;
}

export interface Location {
  readonly id: string;
  readonly role: Role;
  readonly nodes: { node: PNode; weight: number }[];
  readonly discovery: 'always' | 'never' | 'exclusive';
}

export interface CloneSettings {
  max: number;
  nodeMax: number;
  promotable: boolean;
  promotedMax: number;
  promotedNodeMax: number;
  interleave: boolean;
  notify: boolean;
  unique: boolean;
  ordered: boolean;
  /** clone-min: instances that must be running before dependents may start. */
  min: number;
}

export type OnFailAction = 'ignore' | 'demote' | 'restart' | 'migrate' | 'block' | 'stop' | 'standby' | 'fence';
export const onFailRank: Record<OnFailAction, number> = { ignore: 0, demote: 1, restart: 2, migrate: 3, block: 4, stop: 5, standby: 6, fence: 7 };

export interface Rsc {
  readonly id: string;
  /** The configured id (without a clone instance suffix). */
  readonly baseId: string;
  readonly variant: 'primitive' | 'group' | 'clone';
  readonly parent: Rsc | undefined;
  readonly children: Rsc[];
  readonly meta: Map<string, string>;
  readonly params: Attributes;
  readonly cls: string;
  readonly provider: string | undefined;
  readonly type: string;
  readonly operations: readonly OperationConfig[];
  /** What a primitive uses of its node's capacity. */
  readonly utilization: Attributes;
  readonly clone: CloneSettings | undefined;
  priority: number;
  stickiness: number;
  migrationThreshold: number;
  failureTimeoutMs: number;
  managed: boolean;
  blocked: boolean;
  maintenance: boolean;
  requires: 'nothing' | 'quorum' | 'fencing' | 'unfencing';
  multipleActive: 'stop_start' | 'stop_only' | 'block' | 'stop_unexpected';
  allowMigrate: boolean;
  critical: boolean;
  role: Role;
  nextRole: Role;
  runningOn: PNode[];
  /** Where the resource may run and how much it wants each node (Pacemaker's allowed_nodes). */
  allowed: NodeScores;
  knownOn: Set<string>;
  assignedTo: PNode | undefined;
  provisional: boolean;
  assigning: boolean;
  merging: boolean;
  failed: boolean;
  stopFlag: boolean;
  orphan: boolean;
  startPending: boolean;
  failureIgnored: boolean;
  exclusiveDiscover: boolean;
  /** Clone instances: the clone's colocations were added (Pacemaker's append_parent_colocation). */
  parentColocationsAdded: boolean;
  /** Colocations where this resource is the dependent (Pacemaker's rsc_cons). */
  colocations: Colocation[];
  /** Colocations where this resource is the primary (Pacemaker's rsc_cons_lhs). */
  colocatedWithThis: Colocation[];
  locations: Location[];
  sortIndex: number;
  /** A migration under way: migrate_to succeeded on the source, migrate_from not yet on the target. */
  partialMigrationSource: PNode | undefined;
  partialMigrationTarget: PNode | undefined;
  /** Sources of finished migrations whose stop was never recorded: they need a stop. */
  danglingMigrations: PNode[];
  /** Parameter changes found in the operation history (definition.ts). */
  definitionChanges: DefinitionChange[];
  /** The agent will be reloaded instead of restarted (Pacemaker's pe_rsc_reload). */
  reload: boolean;
  /** For a clone instance, the id its operation history uses when that differs (e.g. "db:1"). */
  cloneName: string | undefined;
  /** Tickets this resource depends on (tickets.ts). */
  tickets: TicketDependency[];
  /** Nodes where this resource's fail count is being cleared: it does not count there. */
  failcountCleared: Set<string>;
}

export interface WorkingSet {
  readonly options: Attributes;
  readonly nowS: number;
  readonly nodes: PNode[];
  /** The nodes again, with the memory allocated-node tables are cut from (node-scores.ts). */
  readonly nodeSpace: NodeSpace;
  readonly resources: Rsc[];
  readonly byId: Map<string, Rsc>;
  readonly config: Configuration;
  /** The observed status, for history lookups across nodes (migrations). */
  readonly status: ClusterStatus;
  stonithEnabled: boolean;
  haveStonithResource: boolean;
  haveQuorum: boolean;
  noQuorumPolicy: 'stop' | 'freeze' | 'ignore' | 'demote' | 'suicide';
  symmetric: boolean;
  startFailureIsFatal: boolean;
  stopEverything: boolean;
  maintenanceMode: boolean;
  stonithAction: string;
  placementStrategy: string;
  /** Nodes to fence, with the first reason given (Pacemaker keeps the first). */
  readonly fencing: Map<string, { node: PNode; reason: string }>;
  readonly orders: OrderSpec[];
  /** Each node's fail counts by node id, read from its attributes on first use (failcount.ts). */
  readonly failures: Map<string, NodeFailures>;
  /** Nodes grouped by an attribute's value, per attribute, made on first use (assign.ts). */
  readonly attributeClasses: Map<string, AttributeClasses>;
}

/** Nodes grouped by one attribute's value: classOf[node.index] in [0, count). */
export interface AttributeClasses { readonly classOf: Int32Array; readonly count: number }

/** An ordering between two resources' actions, before actions exist. */
export interface OrderSpec {
  readonly id: string;
  readonly first: Rsc;
  readonly firstAction: string;
  readonly then: Rsc;
  readonly thenAction: string;
  readonly flags: number;
  /**
   * A one-or-more gate in between (clone-min, require-all=false): `then` waits for a pseudo-action
   * that is runnable once `required` of the members' `firstAction`s are. Gates share their name.
   */
  readonly gate?: { readonly name: string; readonly members: readonly Rsc[]; readonly required: number };
}

export const isTrue = (value: string | undefined): boolean =>
  value !== undefined && ['true', 'on', 'yes', 'y', '1'].includes(value.trim().toLowerCase());

export function topParent(rsc: Rsc): Rsc {
  let r = rsc;
  while (r.parent) r = r.parent;
  return r;
}

export function cloneOf(rsc: Rsc): Rsc | undefined {
  for (let r: Rsc | undefined = rsc; r; r = r.parent) if (r.variant === 'clone') return r;
  return undefined;
}

export function isPromotableChild(rsc: Rsc): boolean {
  return cloneOf(rsc)?.clone?.promotable === true;
}

export function leaves(rsc: Rsc): Rsc[] {
  return rsc.variant === 'primitive' ? [rsc] : rsc.children.flatMap(leaves);
}

export function newNode(index: number, id: string, name: string, attributes: Attributes): PNode {
  const map = new Map(Object.entries(attributes));
  map.set('#uname', name);
  map.set('#id', id);
  map.set('#kind', 'cluster');
  return {
    index, id, name, attributes: map, online: false, unclean: false, unseen: true, standby: false, pending: false,
    maintenance: false, shutdown: false, expectedUp: false, standbyOnFail: false, assignedCount: 0, running: [], fenced: false,
    capacity: new Map(),
  };
}

function emptyPrimitive(id: string): PrimitiveConfig {
  return { kind: 'primitive', id, class: '', type: '', params: {}, meta: {}, operations: [] };
}

interface BuildContext {
  readonly set: WorkingSet;
  readonly defaults: Attributes;
}

/** Builds the resource tree: one Rsc per configured resource, clone instances expanded. */
export function buildResource(ctx: BuildContext, config: ResourceConfig, parent: Rsc | undefined, instance?: string): Rsc {
  const suffix = instance === undefined ? '' : `:${instance}`;
  const meta = new Map<string, string>(Object.entries(ctx.defaults));
  for (let p = parent; p; p = p.parent) for (const [k, v] of p.meta) if (!inheritedBlocked.has(k)) meta.set(k, v);
  for (const [k, v] of Object.entries(config.meta)) meta.set(k, v);
  const primitive = config.kind === 'primitive' ? config : emptyPrimitive(config.id);
  const rsc: Rsc = {
    id: config.id + suffix, baseId: config.id, variant: config.kind, parent, children: [], meta,
    params: primitive.params, cls: primitive.class, provider: primitive.provider, type: primitive.type,
    operations: primitive.operations, utilization: primitive.utilization ?? {}, clone: config.kind === 'clone' ? cloneSettings(meta, ctx.set) : undefined,
    priority: parseScore(meta.get('priority')) ?? 0,
    stickiness: 0, migrationThreshold: INFINITY, failureTimeoutMs: 0, managed: true, blocked: false, maintenance: false,
    requires: 'fencing', multipleActive: 'stop_start', allowMigrate: false, critical: true,
    role: 'Stopped', nextRole: 'Unknown', runningOn: [], allowed: NodeScores.empty(ctx.set.nodeSpace), knownOn: new Set(), assignedTo: undefined,
    provisional: true, assigning: false, merging: false, failed: false, stopFlag: false, orphan: false, startPending: false,
    failureIgnored: false, exclusiveDiscover: false, parentColocationsAdded: false,
    colocations: [], colocatedWithThis: [], locations: [], sortIndex: 0,
    partialMigrationSource: undefined, partialMigrationTarget: undefined, danglingMigrations: [],
    definitionChanges: [], reload: false, cloneName: undefined, tickets: [], failcountCleared: new Set(),
  };
  applyMeta(rsc, ctx.set);
  ctx.set.byId.set(rsc.id, rsc);
  if (config.kind === 'clone' && !meta.has('resource-stickiness')) { meta.set('resource-stickiness', '1'); rsc.stickiness = 1; }
  if (config.kind === 'group') {
    for (const c of config.children) rsc.children.push(buildResource(ctx, c, rsc, instance));
  } else if (config.kind === 'clone') {
    const count = rsc.clone?.max ?? 0;
    for (let i = 0; i < count; i++) rsc.children.push(buildResource(ctx, config.child, rsc, String(i)));
  }
  return rsc;
}

/** Meta attributes a clone or group does not pass down to its members. */
const inheritedBlocked = new Set(['clone-max', 'clone-node-max', 'promoted-max', 'master-max', 'promoted-node-max', 'master-node-max', 'promotable', 'globally-unique', 'interleave', 'ordered', 'clone-min', 'notify']);

function cloneSettings(meta: Map<string, string>, set: WorkingSet): CloneSettings {
  const int = (names: string[], fallback: number): number => {
    for (const n of names) {
      const v = meta.get(n);
      if (v !== undefined) return Math.max(0, parseScore(v) ?? fallback);
    }
    return fallback;
  };
  const nodeCount = set.config.nodes.filter((n) => n.type !== 'ping').length;
  return {
    max: int(['clone-max'], nodeCount),
    nodeMax: int(['clone-node-max'], 1),
    promotable: isTrue(meta.get('promotable')),
    promotedMax: int(['promoted-max', 'master-max'], 1),
    promotedNodeMax: int(['promoted-node-max', 'master-node-max'], 1),
    interleave: isTrue(meta.get('interleave')),
    notify: isTrue(meta.get('notify')),
    unique: isTrue(meta.get('globally-unique')),
    ordered: isTrue(meta.get('ordered')),
    min: int(['clone-min'], 0),
  };
}

function applyMeta(rsc: Rsc, set: WorkingSet): void {
  const m = rsc.meta;
  const stickiness = parseScore(m.get('resource-stickiness') ?? m.get('default-resource-stickiness'));
  rsc.stickiness = stickiness ?? 0;
  const threshold = parseScore(m.get('migration-threshold'));
  rsc.migrationThreshold = threshold === undefined ? INFINITY : Math.max(0, threshold);
  rsc.failureTimeoutMs = parsePacemakerDurationMs(m.get('failure-timeout') ?? '') ?? 0;
  if (m.has('is-managed')) rsc.managed = isTrue(m.get('is-managed'));
  if (isTrue(m.get('maintenance'))) { rsc.managed = false; rsc.maintenance = true; }
  if (set.maintenanceMode) { rsc.managed = false; rsc.maintenance = true; }
  rsc.allowMigrate = isTrue(m.get('allow-migrate'));
  rsc.critical = m.has('critical') ? isTrue(m.get('critical')) : true;
  const multiple = m.get('multiple-active');
  rsc.multipleActive = multiple === 'stop_only' || multiple === 'block' || multiple === 'stop_unexpected' ? multiple : 'stop_start';
  const requires = m.get('requires');
  if (requires === 'nothing' || requires === 'quorum' || requires === 'fencing' || requires === 'unfencing') rsc.requires = requires;
  else rsc.requires = rsc.cls === 'stonith' ? 'quorum' : set.stonithEnabled ? 'fencing' : 'quorum';
  if (rsc.cls === 'stonith' && rsc.requires !== 'nothing') rsc.requires = 'quorum';
}

export function targetRoleOf(rsc: Rsc): Role | undefined {
  const value = rsc.meta.get('target-role')?.toLowerCase() ?? '';
  const promotable = isPromotableChild(rsc) || rsc.clone?.promotable === true;
  switch (value) {
    case 'stopped': return 'Stopped';
    case 'started': return 'Started';
    // Unpromoted limits a promotable clone's instances; Promoted is what they may be anyway.
    case 'slave': case 'unpromoted': return promotable ? 'Unpromoted' : undefined;
    default: return undefined;
  }
}

/** locate on every node of the working set, in order (each table holds the set's nodes). */
export function locateEverywhere(rsc: Rsc, score: number, symmetricDefault = false): void {
  if (symmetricDefault && rsc.exclusiveDiscover) return;
  for (const c of rsc.children) locateEverywhere(c, score, symmetricDefault);
  rsc.allowed.addEverywhere(score);
}

/** Pacemaker's resource_location: adds score to rsc and all its descendants on node. */
export function locate(rsc: Rsc, node: PNode, score: number, symmetricDefault = false): void {
  if (symmetricDefault && rsc.exclusiveDiscover) return;
  for (const c of rsc.children) locate(c, node, score, symmetricDefault);
  rsc.allowed.add(node, score);
}

/** Looks nodes up as a search of set.nodes would: the first with an id, or with a name. */
export interface NodeLookup {
  /** A status entry's node: the first with its id, else the first with its name. */
  find(state: { readonly id: string; readonly name: string }): PNode | undefined;
  named(name: string | undefined): PNode | undefined;
}

export function nodeLookup(set: WorkingSet): NodeLookup {
  const byId = new Map<string, PNode>();
  const byName = new Map<string, PNode>();
  for (const n of set.nodes) {
    if (!byId.has(n.id)) byId.set(n.id, n);
    if (!byName.has(n.name)) byName.set(n.name, n);
  }
  return {
    find: (state) => byId.get(state.id) ?? byName.get(state.name),
    named: (name) => (name === undefined ? undefined : byName.get(name)),
  };
}

export function banEverywhere(set: WorkingSet, rsc: Rsc): void {
  locateEverywhere(rsc, -INFINITY);
}

