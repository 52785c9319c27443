// Owns the resource routes: list and show (configuration with live state), create (agent and
// parameters checked against the agent's meta-data on the answering node, pcs's default
// monitors), update, delete, allocation scores (crm_simulate -s), CIB import and cluster
// options. Every write is one revision-checked edit of the configuration record (config-edit.ts).
// resourceManagerRoutes() is the one list the daemon registers (constraints and fencing too).

import type { z } from 'zod';
import { err, failure, ok, type Failure, type Result } from '../../core/result.js';
import type { Principal } from '../auth.js';
import type { Constraint, PrimitiveConfig, ResourceConfig } from '../../resources/model.js';
import { parseCib } from '../../resources/cib.js';
import { plan } from '../../resources/planner/plan.js';
import { scoreText } from '../../resources/score.js';
import { addResource, deleteResource, findResource, importCib, setOption, topLevelOf, updateResource } from '../../resources/config-edit.js';
import { constraintReferences, walkResources } from '../../resources/config-validate.js';
import { findState } from '../../resources/state.js';
import { defaultMonitors, parseAgent, withOperationIds, type AgentName } from '../../resources/resource-spec.js';
import type { ApiContext } from '../context.js';
import { route, type RouteSpec } from '../server.js';
import {
  importBody, optionsBody, resourceCreateBody, resourceUpdateBody,
  type ConfigChangeView, type ResourceView, type ResourcesView, type ScoreLineView, type ScoresView,
} from '../types.js';
import { agentMetadata, asFailure, checkParameters, editConfig, liveState, operationSpec, plain, readConfig } from './resource-common.js';
import { resourceActionRoutes } from './resource-actions.js';
import { constraintRoutes } from './constraints.js';
import { fencingRoutes } from './fencing.js';

export function resourceManagerRoutes(ctx: ApiContext): RouteSpec<unknown>[] {
  // Fixed paths first: /v1/resources/scores must not be taken for a resource named "scores".
  return [...resourceRoutes(ctx), ...resourceActionRoutes(ctx), ...constraintRoutes(ctx), ...fencingRoutes(ctx)];
}

const change = (revision: number, message: string, added: string[] = [], removed: string[] = []): ConfigChangeView => ({ revision, message, added, removed });

/** The group or clone that directly holds id, or null. */
function parentOf(resources: readonly ResourceConfig[], id: string): string | null {
  for (const r of resources) {
    const inner = r.kind === 'clone' ? r.child : r;
    if (r.kind === 'clone' && inner.id === id) return r.id;
    if (inner.kind === 'group' && inner.children.some((c) => c.id === id)) return inner.id;
  }
  return null;
}

async function resourceView(ctx: ApiContext, id: string): Promise<Result<ResourceView, Failure>> {
  const current = await readConfig(ctx);
  if (!current.ok) return current;
  const { config, revision } = current.value;
  const r = findResource(config, id);
  if (r === undefined) return err(failure('not_found', `no resource "${id}"`, 'id'));
  const names = new Set([id, topLevelOf(config, id)?.id ?? id]);
  const constraints: Constraint[] = config.constraints.filter((c) => constraintReferences(c, '').some((ref) => names.has(ref.id)));
  const live = await liveState(ctx);
  const state = live.state === null ? null : findState(live.state.resources, id) ?? null;
  const members = new Set(walkResources([r]).map((w) => w.id));
  const failures = live.state?.failures.filter((f) => members.has(f.resource.replace(/:\d+$/, ''))) ?? [];
  return ok({ id, parent: parentOf(config.resources, id), config: r, constraints, state, failures, revision, warnings: live.warnings });
}

async function createResource(ctx: ApiContext, body: z.infer<typeof resourceCreateBody>, principal: Principal | undefined): Promise<Result<ConfigChangeView, Failure>> {
  const agent = parseAgent(body.agent);
  if (!agent.ok) return agent;
  if (body.group !== undefined && (body.clone === true || body.promotable === true)) {
    return err(failure('invalid', 'group: a new resource either joins a group or is cloned, not both', 'group'));
  }
  const params = body.params ?? {};
  const metadata = await agentMetadata(ctx, agent.value);
  if (!metadata.ok) return metadata;
  const checked = checkParameters(metadata.value, body.id, params);
  if (!checked.ok) return checked;
  const promotable = body.promotable === true;
  const cloned = body.clone === true || promotable;
  const actions = metadata.value.fence ? [] : metadata.value.metadata.actions;
  const specs = body.operations === undefined ? defaultMonitors(actions, promotable) : body.operations.map(operationSpec);
  const primitive: PrimitiveConfig = {
    kind: 'primitive', id: body.id, class: agent.value.class, type: agent.value.type, params, meta: body.meta ?? {},
    operations: withOperationIds(body.id, specs), ...(agent.value.provider === undefined ? {} : { provider: agent.value.provider }),
  };
  const resource: ResourceConfig = cloned
    ? { kind: 'clone', id: body.cloneId ?? `${body.id}-clone`, meta: { ...(body.cloneMeta ?? {}), ...(promotable ? { promotable: 'true' } : {}) }, child: primitive }
    : primitive;
  const r = await editConfig(ctx, principal, () => `added resource ${resource.id}${body.group === undefined ? '' : ` to group ${body.group}`}`,
    (c) => plain(addResource(c, resource, body.group === undefined ? {} : { group: body.group })));
  return r.ok ? ok(change(r.value.revision, r.value.message, [resource.id])) : r;
}

async function updateResourceRoute(ctx: ApiContext, id: string, body: z.infer<typeof resourceUpdateBody>, principal: Principal | undefined): Promise<Result<ConfigChangeView, Failure>> {
  const current = await readConfig(ctx);
  if (!current.ok) return current;
  const found = findResource(current.value.config, id);
  if (found === undefined) return err(failure('not_found', `no resource "${id}"`, 'id'));
  let validate: ((p: PrimitiveConfig) => ReturnType<typeof checkParameters>) | undefined;
  if (found.kind === 'primitive' && body.params !== undefined) {
    const agent: AgentName = { class: found.class as AgentName['class'], type: found.type, ...(found.provider === undefined ? {} : { provider: found.provider }) };
    const metadata = await agentMetadata(ctx, agent);
    if (!metadata.ok) return metadata;
    validate = (p) => checkParameters(metadata.value, id, p.params);
  }
  const patch = {
    ...(body.params === undefined ? {} : { params: body.params }),
    ...(body.meta === undefined ? {} : { meta: body.meta }),
    ...(body.operations === undefined ? {} : { operations: withOperationIds(id, body.operations.map(operationSpec)) }),
    ...(body.removeOperations === undefined ? {} : { removeOperations: body.removeOperations }),
  };
  const r = await editConfig(ctx, principal, () => `updated resource ${id}`, (c) => {
    const next = updateResource(c, id, patch);
    if (!next.ok || validate === undefined) return plain(next);
    const p = findResource(next.value, id);
    const checked = p?.kind === 'primitive' ? validate(p) : ok(undefined);
    return checked.ok ? plain(next) : checked;
  });
  return r.ok ? ok(change(r.value.revision, r.value.message)) : r;
}

async function scores(ctx: ApiContext): Promise<Result<ScoresView, Failure>> {
  let snapshot;
  try {
    snapshot = await ctx.resources.snapshot();
  } catch (e) {
    return err(failure('unavailable', `the resource manager does not answer on ${ctx.self}: ${(e as Error).message}`));
  }
  if (!snapshot.ok) return err(asFailure(snapshot.error));
  const input = snapshot.value.input;
  const transition = plan(input, input.status.executionDateS ?? 0);
  const out: ScoreLineView[] = [];
  const lines: string[] = [];
  const stack = [...transition.set.resources].reverse();
  while (stack.length > 0) {
    const rsc = stack.pop();
    if (rsc === undefined) break;
    const fn = { primitive: 'pcmk__primitive_assign', group: 'pcmk__group_assign', clone: 'pcmk__clone_assign' }[rsc.variant];
    for (const entry of [...rsc.allowed.values()].sort((a, b) => a.node.name.localeCompare(b.node.name))) {
      out.push({ resource: rsc.id, variant: rsc.variant, node: entry.node.name, score: entry.weight });
      lines.push(`${fn}: ${rsc.id} allocation score on ${entry.node.name}: ${scoreText(entry.weight)}`);
    }
    stack.push(...[...rsc.children].reverse());
  }
  const warnings = snapshot.value.unready.length > 0 ? [`nodes still probing resources: ${snapshot.value.unready.join(', ')}`] : [];
  return ok({ scores: out, lines, warnings });
}

function resourceRoutes(ctx: ApiContext): RouteSpec<unknown>[] {
  return [
    route({
      method: 'get', path: '/v1/resources', summary: 'The resource configuration with the live state of every resource (like crm_mon)', auth: 'viewer',
      handler: async () => {
        const current = await readConfig(ctx);
        if (!current.ok) return current;
        const live = await liveState(ctx);
        const view: ResourcesView = { ...current.value, state: live.state, warnings: live.warnings };
        return ok(view);
      },
    }),
    route({
      method: 'get', path: '/v1/resources/scores', summary: 'Allocation scores of every resource on every node, as the planner computes them now (crm_simulate -s)', auth: 'viewer',
      handler: async () => scores(ctx),
    }),
    route({
      method: 'get', path: '/v1/resources/options', summary: 'Cluster options and resource defaults', auth: 'viewer',
      handler: async () => {
        const current = await readConfig(ctx);
        if (!current.ok) return current;
        const { options, resourceDefaults, operationDefaults } = current.value.config;
        return ok({ options, resourceDefaults, operationDefaults, revision: current.value.revision });
      },
    }),
    route<z.infer<typeof optionsBody>>({
      method: 'put', path: '/v1/resources/options', summary: 'Set (a string) or remove (null) cluster options', auth: 'admin', body: optionsBody,
      handler: async ({ body, principal }) => {
        const words = Object.entries(body.set).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`)).join(' ');
        const r = await editConfig(ctx, principal, () => `set cluster options ${words}`, (c) => {
          let next = c;
          for (const [name, value] of Object.entries(body.set)) {
            const edited = setOption(next, name, value);
            if (!edited.ok) return edited;
            next = edited.value;
          }
          return ok({ config: next, extra: undefined });
        });
        return r.ok ? ok({ ...change(r.value.revision, r.value.message), options: body.set }) : r;
      },
    }),
    route<z.infer<typeof importBody>>({
      method: 'post', path: '/v1/resources/import', summary: "Replace the resource configuration with a Pacemaker CIB's configuration section", auth: 'admin', body: importBody,
      handler: async ({ body, principal }) => {
        const cib = parseCib(body.xml);
        if (!cib.ok) return err(failure('invalid', cib.error.message, cib.error.field === 'cib' ? 'xml' : `xml: ${cib.error.field ?? ''}`));
        const r = await editConfig(ctx, principal, (n: number) => `imported a CIB with ${n} resources`, (c) => {
          const next = importCib(c, cib.value);
          return next.ok ? ok({ config: next.value, extra: next.value.resources.length }) : next;
        });
        return r.ok ? ok(change(r.value.revision, r.value.message, cib.value.configuration.resources.map((x) => x.id))) : r;
      },
    }),
    route<z.infer<typeof resourceCreateBody>>({
      method: 'post', path: '/v1/resources', summary: "Add a resource; its agent and parameters are checked against the agent's meta-data", auth: 'admin', body: resourceCreateBody,
      handler: async ({ body, principal }) => createResource(ctx, body, principal),
    }),
    route({
      method: 'get', path: '/v1/resources/{id}', summary: 'One resource: configuration, constraints naming it, live state and failed operations', auth: 'viewer',
      handler: async ({ params }) => resourceView(ctx, params['id'] ?? ''),
    }),
    route<z.infer<typeof resourceUpdateBody>>({
      method: 'put', path: '/v1/resources/{id}', summary: 'Change parameters (checked against the meta-data), meta attributes or operations', auth: 'admin', body: resourceUpdateBody,
      handler: async ({ params, body, principal }) => updateResourceRoute(ctx, params['id'] ?? '', body, principal),
    }),
    route({
      method: 'delete', path: '/v1/resources/{id}', summary: 'Delete a resource and the constraints naming it', auth: 'admin',
      handler: async ({ params, principal }) => {
        const id = params['id'] ?? '';
        const r = await editConfig(ctx, principal, (x: { removedConstraints: string[] }) => `deleted resource ${id}${x.removedConstraints.length > 0 ? ` and constraints ${x.removedConstraints.join(', ')}` : ''}`, (c) => {
          const next = deleteResource(c, id);
          return next.ok ? ok({ config: next.value.config, extra: next.value }) : next;
        });
        return r.ok ? ok(change(r.value.revision, r.value.message, [], [...r.value.extra.removed, ...r.value.extra.removedConstraints])) : r;
      },
    }),
  ];
}
