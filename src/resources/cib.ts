// Owns reading a Pacemaker CIB (XML) into Herd's resource model: the configuration section
// (cluster options, nodes, resources, constraints, defaults, fencing topology) and the status
// section (node states, transient attributes, operation history). Pure: takes a string,
// returns a Result; a malformed document is a failure naming the element, never a throw.

import { DOMParser, type Element } from '@xmldom/xmldom';
import { err, failure, ok, type Failure, type Result } from '../core/result.js';
import type {
  ActionName, Attributes, ClusterStatus, ColocationConstraint, Configuration, Constraint,
  Expression, FencingLevel, LocationConstraint, NodeConfig, NodeStatus, OperationConfig,
  OperationRecord, OnFail, OrderConstraint, OrderKind, PlannerInput, PrimitiveConfig,
  ResourceConfig, ResourceHistory, ResourceRole, ResourceSet, Rule, TicketConstraint, TicketState,
} from './model.js';
import { parseScore } from './score.js';
import { pacemakerDurationForm, parsePacemakerDurationMs } from '../core/duration.js';

class CibError extends Error {
  constructor(message: string, readonly field: string) {
    super(message);
  }
}

export function parseCib(xml: string): Result<PlannerInput, Failure> {
  let root: Element | null = null;
  const errors: string[] = [];
  try {
    const document = new DOMParser({ onError: (level, message) => {
      if (level !== 'warning') errors.push(message);
    } }).parseFromString(xml, 'text/xml');
    root = document.documentElement;
  } catch (e) {
    errors.push(e instanceof Error ? e.message : String(e));
  }
  if (errors.length > 0 || root === null) {
    return err(failure('invalid_cib', `the CIB is not well-formed XML: ${errors[0] ?? 'empty document'}`, 'cib'));
  }
  if (root.tagName !== 'cib') return err(failure('invalid_cib', `expected a <cib> root element, found <${root.tagName}>`, 'cib'));
  try {
    return ok(new CibReader(root).read());
  } catch (e) {
    if (e instanceof CibError) return err(failure('invalid_cib', e.message, e.field));
    throw e;
  }
}

const children = (element: Element, tag?: string): Element[] => {
  const out: Element[] = [];
  for (let n = element.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === 1 && (tag === undefined || (n as Element).tagName === tag)) out.push(n as Element);
  }
  return out;
};
const child = (element: Element, tag: string): Element | undefined => children(element, tag)[0];
const attr = (element: Element, name: string): string | undefined => element.getAttribute(name) ?? undefined;

/** A Pacemaker duration in ms (src/core/duration.ts); a malformed one names its field. */
export function parseDurationMs(text: string | undefined, field: string): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const ms = parsePacemakerDurationMs(text);
  if (ms === undefined) throw new CibError(`${field}: expected ${pacemakerDurationForm}, got "${text}"`, field);
  return ms;
}

const roleOf = (text: string | undefined): ResourceRole | undefined => {
  switch (text?.toLowerCase()) {
    case undefined: return undefined;
    case 'started': return 'Started';
    case 'stopped': return 'Stopped';
    case 'slave': case 'unpromoted': return 'Unpromoted';
    case 'master': case 'promoted': return 'Promoted';
    default: return undefined;
  }
};

class CibReader {
  private readonly byId = new Map<string, Element>();
  private referenceGroups: Map<string, string[]> | undefined;

  constructor(private readonly root: Element) {
    const walk = (e: Element): void => {
      const id = attr(e, 'id');
      if (id !== undefined && attr(e, 'id-ref') === undefined && !this.byId.has(id)) this.byId.set(id, e);
      for (const c of children(e)) walk(c);
    };
    walk(root);
  }

  read(): PlannerInput {
    const configuration = child(this.root, 'configuration');
    if (!configuration) throw new CibError('the CIB has no <configuration> section', 'configuration');
    const status = child(this.root, 'status');
    const flag = (name: string): boolean => ['true', '1', 'yes'].includes((attr(this.root, name) ?? 'false').toLowerCase());
    const executionDate = Number(attr(this.root, 'execution-date'));
    return {
      configuration: this.configuration(configuration),
      status: {
        haveQuorum: flag('have-quorum'), quorumLost: flag('no-quorum-panic'),
        nodes: status ? children(status, 'node_state').map((n) => this.nodeState(n)) : [],
        tickets: this.ticketStates(status),
        ...(Number.isFinite(executionDate) && executionDate > 0 ? { executionDateS: executionDate } : {}),
      } satisfies ClusterStatus,
    };
  }

  private deref(e: Element): Element {
    const ref = attr(e, 'id-ref');
    if (ref === undefined) return e;
    const target = this.byId.get(ref);
    if (!target) throw new CibError(`<${e.tagName}> refers to unknown id "${ref}"`, ref);
    return target;
  }

  /** Merges every <tag> set under element; the first value of a name wins. */
  private pairs(element: Element | undefined, tag: string): Attributes {
    const out: Record<string, string> = {};
    if (!element) return out;
    for (const set of children(element, tag)) {
      for (const pair of children(this.deref(set), 'nvpair')) {
        const p = this.deref(pair);
        const name = attr(p, 'name');
        const value = attr(p, 'value');
        // "#default" unsets a name, even one set by an earlier pair (Pacemaker's populate_hash).
        if (name !== undefined && value?.toLowerCase() === '#default') delete out[name];
        else if (name !== undefined && value !== undefined && !(name in out)) out[name] = value;
      }
    }
    return out;
  }

  private configuration(c: Element): Configuration {
    const options: Record<string, string> = {};
    const crm = child(c, 'crm_config');
    if (crm) Object.assign(options, this.pairs(crm, 'cluster_property_set'));
    const nodesElement = child(c, 'nodes');
    const resourcesElement = child(c, 'resources');
    const constraintsElement = child(c, 'constraints');
    const defaults = child(c, 'rsc_defaults');
    const opDefaults = child(c, 'op_defaults');
    const topology = child(c, 'fencing-topology');
    const resources: ResourceConfig[] = [];
    for (const r of resourcesElement ? children(resourcesElement) : []) {
      const parsed = this.resource(r);
      if (parsed) resources.push(parsed);
    }
    return {
      options,
      nodes: nodesElement ? children(nodesElement, 'node').map((n) => this.node(n)) : [],
      resources,
      constraints: constraintsElement ? children(constraintsElement).flatMap((e) => this.constraint(e)) : [],
      resourceDefaults: this.pairs(defaults, 'meta_attributes'),
      operationDefaults: this.pairs(opDefaults, 'meta_attributes'),
      fencingLevels: topology ? children(topology, 'fencing-level').map((l) => this.fencingLevel(l)) : [],
      tickets: constraintsElement ? children(constraintsElement, 'rsc_ticket').flatMap((e) => {
        const t = this.ticket(e);
        return this.expand(t.resource).map((resource) => this.expandSets(resource === undefined ? t : { ...t, resource }));
      }) : [],
    };
  }

  private ticket(e: Element): TicketConstraint {
    const role = roleOf(attr(e, 'rsc-role'));
    const policy = attr(e, 'loss-policy')?.toLowerCase();
    const lossPolicy = policy === 'stop' || policy === 'demote' || policy === 'fence' || policy === 'freeze' ? policy : undefined;
    const sets = this.sets(e);
    const resource = attr(e, 'rsc');
    return {
      id: attr(e, 'id') ?? '', ticket: attr(e, 'ticket') ?? '',
      ...(resource === undefined ? {} : { resource }), ...(role === undefined ? {} : { role }),
      ...(lossPolicy === undefined ? {} : { lossPolicy }), ...(sets === undefined ? {} : { sets }),
    };
  }

  private ticketStates(status: Element | undefined): TicketState[] {
    const tickets = status ? child(status, 'tickets') : undefined;
    const isSet = (v: string | undefined): boolean => ['true', '1', 'yes', 'on'].includes((v ?? 'false').toLowerCase());
    return (tickets ? children(tickets, 'ticket_state') : []).map((t) => ({
      id: attr(t, 'id') ?? '', granted: isSet(attr(t, 'granted')), standby: isSet(attr(t, 'standby')),
    }));
  }

  private node(n: Element): NodeConfig {
    const id = attr(n, 'id');
    if (id === undefined) throw new CibError('a <node> has no id', 'nodes');
    const type = attr(n, 'type');
    return {
      id,
      name: attr(n, 'uname') ?? id,
      type: type === 'remote' ? 'remote' : type === 'ping' ? 'ping' : 'member',
      attributes: this.pairs(n, 'instance_attributes'),
      utilization: this.pairs(n, 'utilization'),
    };
  }

  private fencingLevel(l: Element): FencingLevel {
    const target = attr(l, 'target') ?? attr(l, 'target-pattern') ?? '';
    return { target, index: Number(attr(l, 'index') ?? 0), devices: (attr(l, 'devices') ?? '').split(',').filter((d) => d) };
  }

  private resource(e: Element): ResourceConfig | undefined {
    switch (e.tagName) {
      case 'primitive': return this.primitive(e);
      case 'group': return this.group(e);
      case 'clone': case 'master': return this.clone(e);
      default: return undefined; // templates and bundles are not resources Herd runs
    }
  }

  private primitive(e: Element): PrimitiveConfig {
    const id = attr(e, 'id');
    if (id === undefined) throw new CibError('a <primitive> has no id', 'resources');
    const templateId = attr(e, 'template');
    const template = templateId === undefined ? undefined : this.byId.get(templateId);
    const source = (name: string): string | undefined => attr(e, name) ?? (template ? attr(template, name) : undefined);
    const cls = source('class');
    const type = source('type');
    if (cls === undefined || type === undefined) throw new CibError(`primitive ${id}: class and type are required`, `resources.${id}`);
    const provider = source('provider');
    const params = { ...this.pairs(e, 'instance_attributes'), ...(template ? this.pairs(template, 'instance_attributes') : {}) };
    const meta = { ...(template ? this.pairs(template, 'meta_attributes') : {}), ...this.pairs(e, 'meta_attributes') };
    const operationsElement = child(e, 'operations') ?? (template ? child(template, 'operations') : undefined);
    const operations = operationsElement ? children(operationsElement, 'op').map((o) => this.operation(this.deref(o), id)) : [];
    const utilization = { ...(template ? this.pairs(template, 'utilization') : {}), ...this.pairs(e, 'utilization') };
    return {
      kind: 'primitive', id, class: cls, type, params, meta, operations, ...(provider === undefined ? {} : { provider }),
      ...(Object.keys(utilization).length === 0 ? {} : { utilization }),
    };
  }

  private operation(o: Element, resourceId: string): OperationConfig {
    const name = attr(o, 'name') ?? '';
    const field = `resources.${resourceId}.operations.${attr(o, 'id') ?? name}`;
    const meta: Record<string, string> = { ...this.pairs(o, 'meta_attributes') };
    for (const key of ['on-fail', 'role', 'enabled', 'timeout', 'interval', 'record-pending', 'start-delay', 'requires']) {
      const v = attr(o, key);
      if (v !== undefined) meta[key] = v;
    }
    const role = roleOf(meta.role);
    const onFail = meta['on-fail'] as OnFail | undefined;
    const timeoutMs = parseDurationMs(meta.timeout, `${field}.timeout`);
    const params = this.pairs(o, 'instance_attributes');
    return {
      id: attr(o, 'id') ?? `${resourceId}-${name}`,
      name,
      intervalMs: parseDurationMs(meta.interval, `${field}.interval`) ?? 0,
      enabled: !['false', '0', 'no', 'off'].includes((meta.enabled ?? 'true').toLowerCase()),
      meta,
      ...(Object.keys(params).length === 0 ? {} : { params }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(role === undefined ? {} : { role }),
      ...(onFail === undefined ? {} : { onFail }),
    };
  }

  private group(e: Element): ResourceConfig {
    const id = attr(e, 'id') ?? '';
    return { kind: 'group', id, meta: this.pairs(e, 'meta_attributes'), children: children(e, 'primitive').map((p) => this.primitive(p)) };
  }

  private clone(e: Element): ResourceConfig {
    const id = attr(e, 'id') ?? '';
    const meta: Record<string, string> = { ...this.pairs(e, 'meta_attributes') };
    if (e.tagName === 'master') meta.promotable = 'true';
    const inner = children(e).find((c) => c.tagName === 'primitive' || c.tagName === 'group');
    if (!inner) throw new CibError(`clone ${id} has no primitive or group`, `resources.${id}`);
    const childConfig = inner.tagName === 'group' ? this.group(inner) : this.primitive(inner);
    if (childConfig.kind === 'clone') throw new CibError(`clone ${id} may not contain a clone`, `resources.${id}`);
    return { kind: 'clone', id, meta, child: childConfig };
  }

  private constraint(e: Element): Constraint[] {
    switch (e.tagName) {
      case 'rsc_location': return this.expandLocation(this.location(e));
      case 'rsc_colocation': return this.expandColocation(this.colocation(e));
      case 'rsc_order': return this.expandOrder(this.order(e));
      default: return [];
    }
  }

  /**
   * Tags and templates stand for resources in constraints: a tag for the resources it lists, a
   * template for the primitives made from it (Pacemaker expands them into unordered sets).
   */
  private references(): Map<string, string[]> {
    if (this.referenceGroups) return this.referenceGroups;
    const groups = new Map<string, string[]>();
    const configuration = child(this.root, 'configuration');
    const tags = configuration ? child(configuration, 'tags') : undefined;
    for (const tag of tags ? children(tags, 'tag') : []) {
      const id = attr(tag, 'id');
      if (id !== undefined) groups.set(id, children(tag, 'obj_ref').map((r) => attr(r, 'id') ?? '').filter((r) => r !== ''));
    }
    const walk = (e: Element): void => {
      const template = e.tagName === 'primitive' ? attr(e, 'template') : undefined;
      const id = attr(e, 'id');
      if (template !== undefined && id !== undefined) groups.set(template, [...(groups.get(template) ?? []), id]);
      for (const c of children(e)) walk(c);
    };
    const resources = configuration ? child(configuration, 'resources') : undefined;
    if (resources) walk(resources);
    this.referenceGroups = groups;
    return groups;
  }

  private expand(id: string | undefined): (string | undefined)[] {
    if (id === undefined) return [undefined];
    return this.references().get(id) ?? [id];
  }

  private expandSets<T extends { sets?: readonly ResourceSet[] }>(c: T): T {
    if (!c.sets) return c;
    const sets = c.sets.map((s) => ({ ...s, resources: s.resources.flatMap((r) => this.references().get(r) ?? [r]) }));
    return { ...c, sets };
  }

  private expandLocation(c: LocationConstraint): LocationConstraint[] {
    return this.expand(c.resource).map((resource) => this.expandSets(resource === undefined ? c : { ...c, resource }));
  }

  private expandColocation(c: ColocationConstraint): ColocationConstraint[] {
    return this.expand(c.resource).flatMap((resource) => this.expand(c.withResource).map((withResource) =>
      this.expandSets({ ...c, ...(resource === undefined ? {} : { resource }), ...(withResource === undefined ? {} : { withResource }) })));
  }

  private expandOrder(c: OrderConstraint): OrderConstraint[] {
    return this.expand(c.first).flatMap((first) => this.expand(c.then).map((then) =>
      this.expandSets({ ...c, ...(first === undefined ? {} : { first }), ...(then === undefined ? {} : { then }) })));
  }

  private sets(e: Element): ResourceSet[] | undefined {
    const sets = children(e, 'resource_set').map((s0) => {
      const s = this.deref(s0);
      const role = roleOf(attr(s, 'role'));
      const action = attr(s, 'action') as ActionName | undefined;
      const kind = attr(s, 'kind') as OrderKind | undefined;
      const score = parseScore(attr(s, 'score'));
      return {
        id: attr(s, 'id') ?? '',
        resources: children(s, 'resource_ref').map((r) => attr(r, 'id') ?? ''),
        sequential: !['false', '0', 'no'].includes((attr(s, 'sequential') ?? 'true').toLowerCase()),
        requireAll: !['false', '0', 'no'].includes((attr(s, 'require-all') ?? 'true').toLowerCase()),
        ...(role === undefined ? {} : { role }),
        ...(action === undefined ? {} : { action }),
        ...(kind === undefined ? {} : { kind }),
        ...(score === undefined ? {} : { score }),
      } satisfies ResourceSet;
    });
    return sets.length > 0 ? sets : undefined;
  }

  private location(e: Element): LocationConstraint {
    const id = attr(e, 'id') ?? '';
    const score = parseScore(attr(e, 'score'));
    const role = roleOf(attr(e, 'role'));
    const sets = this.sets(e);
    const discovery = attr(e, 'resource-discovery') as LocationConstraint['resourceDiscovery'];
    const optional = {
      resource: attr(e, 'rsc'), resourcePattern: attr(e, 'rsc-pattern'), node: attr(e, 'node'), score, role, sets,
      resourceDiscovery: discovery,
    };
    return {
      kind: 'location', id, rules: children(e, 'rule').map((r) => this.rule(this.deref(r))),
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    } as LocationConstraint;
  }

  private rule(r: Element): Rule {
    const expressions: Expression[] = [];
    for (const x of children(r)) {
      if (x.tagName === 'expression') {
        const source = attr(x, 'value-source');
        expressions.push({
          kind: 'attribute',
          attribute: attr(x, 'attribute') ?? '',
          operation: (attr(x, 'operation') ?? 'eq') as 'eq',
          type: (attr(x, 'type') ?? 'string') as 'string',
          valueSource: source === 'param' ? 'param' : source === 'meta' ? 'meta' : 'literal',
          ...(attr(x, 'value') === undefined ? {} : { value: attr(x, 'value') as string }),
        });
      } else if (x.tagName === 'date_expression') {
        expressions.push({ kind: 'date', operation: attr(x, 'operation') ?? 'in_range',
          ...(attr(x, 'start') === undefined ? {} : { start: attr(x, 'start') as string }),
          ...(attr(x, 'end') === undefined ? {} : { end: attr(x, 'end') as string }) });
      } else if (x.tagName === 'rule') {
        expressions.push({ kind: 'rule', rule: this.rule(this.deref(x)) });
      }
    }
    const score = parseScore(attr(r, 'score'));
    const scoreAttribute = attr(r, 'score-attribute');
    const role = roleOf(attr(r, 'role'));
    return {
      id: attr(r, 'id') ?? '', booleanOp: attr(r, 'boolean-op') === 'or' ? 'or' : 'and', expressions,
      ...(score === undefined ? {} : { score }),
      ...(scoreAttribute === undefined ? {} : { scoreAttribute }),
      ...(role === undefined ? {} : { role }),
    };
  }

  private colocation(e: Element): ColocationConstraint {
    const score = parseScore(attr(e, 'score') ?? attr(e, 'score-attribute'));
    const optional = {
      resource: attr(e, 'rsc'), withResource: attr(e, 'with-rsc'),
      resourceRole: roleOf(attr(e, 'rsc-role')), withResourceRole: roleOf(attr(e, 'with-rsc-role')),
      nodeAttribute: attr(e, 'node-attribute'), sets: this.sets(e),
      influence: attr(e, 'influence') === undefined ? undefined : !['false', '0', 'no'].includes(attr(e, 'influence') as string),
    };
    return {
      kind: 'colocation', id: attr(e, 'id') ?? '', score: score ?? 0,
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    } as ColocationConstraint;
  }

  private order(e: Element): OrderConstraint {
    const score = parseScore(attr(e, 'score'));
    const kindText = attr(e, 'kind');
    const kind: OrderKind = kindText === 'Optional' || kindText === 'Serialize' ? kindText
      : kindText === 'Mandatory' ? 'Mandatory' : score === 0 ? 'Optional' : 'Mandatory';
    const symmetrical = attr(e, 'symmetrical');
    const optional = {
      first: attr(e, 'first'), then: attr(e, 'then'), score, sets: this.sets(e),
      symmetrical: symmetrical === undefined ? undefined : !['false', '0', 'no'].includes(symmetrical.toLowerCase()),
    };
    return {
      kind: 'order', id: attr(e, 'id') ?? '',
      firstAction: (attr(e, 'first-action') ?? 'start') as ActionName,
      thenAction: (attr(e, 'then-action') ?? attr(e, 'first-action') ?? 'start') as ActionName,
      orderKind: kind,
      requireAll: !['false', '0', 'no'].includes((attr(e, 'require-all') ?? 'true').toLowerCase()),
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    } as OrderConstraint;
  }

  private nodeState(n: Element): NodeStatus {
    const id = attr(n, 'id') ?? '';
    const attributes = this.pairs(child(n, 'transient_attributes'), 'instance_attributes');
    const lrm = child(n, 'lrm');
    const lrmResources = lrm ? child(lrm, 'lrm_resources') : undefined;
    const resources = lrmResources ? children(lrmResources, 'lrm_resource').map((r) => this.history(r)) : [];
    const optional = {
      inCluster: attr(n, 'in_ccm'), controller: attr(n, 'crmd'), join: attr(n, 'join'), expected: attr(n, 'expected'),
    };
    return {
      id, name: attr(n, 'uname') ?? id, attributes, resources,
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    };
  }

  private history(r: Element): ResourceHistory {
    const provider = attr(r, 'provider');
    return {
      id: attr(r, 'id') ?? '', class: attr(r, 'class') ?? '', type: attr(r, 'type') ?? '',
      operations: children(r, 'lrm_rsc_op').map((o) => this.operationRecord(o)),
      ...(provider === undefined ? {} : { provider }),
    };
  }

  private operationRecord(o: Element): OperationRecord {
    const magic = attr(o, 'transition-magic');
    const key = attr(o, 'transition-key');
    let opStatus = Number(attr(o, 'op-status') ?? 0);
    let rc = Number(attr(o, 'rc-code') ?? 0);
    if (magic !== undefined && attr(o, 'op-status') === undefined) {
      const m = /^(-?\d+):(-?\d+);/.exec(magic);
      if (m) { opStatus = Number(m[1]); rc = Number(m[2]); }
    }
    const keySource = key ?? (magic?.split(';')[1]);
    const expected = keySource === undefined ? undefined : Number(keySource.split(':')[2]);
    const numberOf = (name: string): number | undefined => {
      const v = attr(o, name);
      return v === undefined || v === '' ? undefined : Number(v);
    };
    const optional = {
      expectedRc: expected !== undefined && Number.isFinite(expected) ? expected : undefined,
      lastRcChange: numberOf('last-rc-change'), lastRun: numberOf('last-run'),
      exitReason: attr(o, 'exit-reason') || undefined, digest: attr(o, 'op-digest'),
      restartDigest: attr(o, 'op-restart-digest'), forceRestart: attr(o, 'op-force-restart'),
      secureDigest: attr(o, 'op-secure-digest'), secureParams: attr(o, 'op-secure-params'), featureSet: attr(o, 'crm_feature_set'),
      migrateSource: attr(o, 'migrate_source'), migrateTarget: attr(o, 'migrate_target'),
    };
    return {
      id: attr(o, 'id') ?? '', operation: attr(o, 'operation') ?? '',
      intervalMs: Number(attr(o, 'interval') ?? 0), callId: Number(attr(o, 'call-id') ?? 0), rc, opStatus,
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    };
  }
}
