// Owns the fencing routes: fence devices (primitives of class stonith in the resource
// configuration, checked against the fence agent's metadata by the fencer's rules), testing a
// device, fencing a node now through this node's resource services, and the fencing history.

import type { z } from 'zod';
import { err, failure, ok, type Failure, type Result } from '../../core/result.js';
import type { PrimitiveConfig } from '../../resources/model.js';
import { addResource, deleteResource, findResource } from '../../resources/config-edit.js';
import { fenceHistoryKind } from '../../resources/records.js';
import { findState } from '../../resources/state.js';
import { withOperationIds, type AgentName } from '../../resources/resource-spec.js';
import type { ApiContext } from '../context.js';
import { route, type RouteSpec } from '../server.js';
import { fenceBody, fenceDeviceBody, type ConfigChangeView, type FenceDeviceView } from '../types.js';
import { agentMetadata, asFailure, checkParameters, editConfig, liveState, operationSpec, plain, readConfig, userOf } from './resource-common.js';

/** pcs's default for a fence device: a monitor every 60 s. */
const deviceMonitorIntervalMs = 60_000;

async function services<T>(ctx: ApiContext, call: () => Promise<Result<T, Failure>>): Promise<Result<T, Failure>> {
  try {
    const r = await call();
    return r.ok ? r : err(asFailure(r.error));
  } catch (e) {
    return err(failure('unavailable', `the resource manager does not answer on ${ctx.self}: ${(e as Error).message}`));
  }
}

export function fencingRoutes(ctx: ApiContext): RouteSpec<unknown>[] {
  return [
    route({
      method: 'get', path: '/v1/fence/devices', summary: 'Fence devices (stonith resources) with their live state', auth: 'viewer',
      handler: async () => {
        const current = await readConfig(ctx);
        if (!current.ok) return current;
        const live = await liveState(ctx);
        const devices: FenceDeviceView[] = current.value.config.resources
          .filter((r): r is PrimitiveConfig => r.kind === 'primitive' && r.class === 'stonith')
          .map((r) => ({ id: r.id, agent: r.type, params: { ...r.params }, meta: { ...r.meta }, state: live.state === null ? null : findState(live.state.resources, r.id) ?? null }));
        return ok({ devices, fencingLevels: current.value.config.fencingLevels, revision: current.value.revision, warnings: live.warnings });
      },
    }),
    route<z.infer<typeof fenceDeviceBody>>({
      method: 'post', path: '/v1/fence/devices', summary: "Add a fence device; its parameters are checked against the agent's metadata", auth: 'admin', body: fenceDeviceBody,
      handler: async ({ body, principal }) => {
        const agent: AgentName = { class: 'stonith', type: body.agent };
        const params = body.params ?? {};
        const metadata = await agentMetadata(ctx, agent);
        if (!metadata.ok) return metadata;
        const checked = checkParameters(metadata.value, body.id, params);
        if (!checked.ok) return checked;
        const specs = body.operations?.map(operationSpec) ?? [{ name: 'monitor', intervalMs: deviceMonitorIntervalMs, enabled: true, meta: {} }];
        const device: PrimitiveConfig = { kind: 'primitive', id: body.id, class: 'stonith', type: body.agent, params, meta: body.meta ?? {}, operations: withOperationIds(body.id, specs) };
        const r = await editConfig(ctx, principal, () => `added fence device ${body.id} (${body.agent})`, (c) => plain(addResource(c, device)));
        if (!r.ok) return r;
        const view: ConfigChangeView = { revision: r.value.revision, message: r.value.message, added: [body.id], removed: [] };
        return ok(view);
      },
    }),
    route({
      method: 'delete', path: '/v1/fence/devices/{id}', summary: 'Delete a fence device (and its place in fencing levels)', auth: 'admin',
      handler: async ({ params, principal }) => {
        const id = params['id'] ?? '';
        const r = await editConfig(ctx, principal, () => `deleted fence device ${id}`, (c) => {
          const found = findResource(c, id);
          if (found === undefined || found.kind !== 'primitive' || found.class !== 'stonith') return err(failure('not_found', `no fence device "${id}"`, 'id'));
          const next = deleteResource(c, id);
          return next.ok ? ok({ config: next.value.config, extra: next.value.removedConstraints }) : next;
        });
        if (!r.ok) return r;
        const view: ConfigChangeView = { revision: r.value.revision, message: r.value.message, added: [], removed: [id, ...r.value.extra] };
        return ok(view);
      },
    }),
    route({
      method: 'post', path: '/v1/fence/devices/{id}/test', summary: "Run a fence device's monitor action", auth: 'admin',
      handler: async ({ params }) => services(ctx, () => ctx.resources.testDevice(params['id'] ?? '')),
    }),
    route({
      method: 'get', path: '/v1/fence/history', summary: 'Fencing operations, newest last', auth: 'viewer',
      handler: async () => {
        const r = await ctx.records.list(fenceHistoryKind);
        if (!r.ok) return err(asFailure(r.error));
        const history = r.value.items.map((i) => ({ id: i.id, ...i.value })).sort((a, b) => a.completedAtMs - b.completedAtMs);
        return ok({ history, revision: r.value.revision });
      },
    }),
    route<z.infer<typeof fenceBody>>({
      method: 'post', path: '/v1/fence/{node}', summary: 'Fence a node now through the configured devices and levels', auth: 'admin', body: fenceBody,
      handler: async ({ params, body, principal }) => {
        const node = params['node'] ?? '';
        if (ctx.view.nodes.get(node) === undefined) return err(failure('not_found', `no node named "${node}"`, 'node'));
        return services(ctx, () => ctx.resources.fence(node, body.action ?? 'reboot', userOf(principal)));
      },
    }),
  ];
}
