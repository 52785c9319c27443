// Owns the cluster and node routes: status, nodes, operator actions on nodes (standby,
// maintenance, labels, remove, leave), the event log and the watch stream (SSE).

import { streamSSE } from 'hono/streaming';
import { err, ok, type Failure, type Result } from '../../core/result.js';
import { limits } from '../../core/limits.js';
import { nodes, type NodeRecord } from '../../membership/records.js';
import { events, recordEvent } from '../../store/events.js';
import type { ApiContext } from '../context.js';
import { route, type RouteSpec } from '../server.js';
import { labelsBody, toggleBody, type EventView, type WatchMessage } from '../types.js';
import type { z } from 'zod';

async function changeNode(ctx: ApiContext, name: string, by: string, what: string, change: (n: NodeRecord) => Result<NodeRecord, Failure>): Promise<Result<unknown, Failure>> {
  const r = await ctx.records.update(nodes, name, (current) => {
    if (current === undefined) return err({ code: 'not_found', field: 'name', message: `no node named "${name}"` });
    if (current.left) return err({ code: 'conflict', field: 'name', message: `node ${name} has left the cluster` });
    return change(current);
  });
  if (!r.ok) return err({ code: r.error.code, message: r.error.message, ...('field' in r.error && r.error.field !== undefined ? { field: r.error.field } : {}) });
  await recordEvent(ctx.records, { atMs: ctx.clock.nowMs(), node: ctx.self, kind: 'admin', severity: 'info', subject: name, message: `${by}: ${what} on node ${name}` });
  return ok(ctx.view.nodeView(r.value.value));
}

export function clusterRoutes(ctx: ApiContext): RouteSpec<unknown>[] {
  return [
    route({
      method: 'get', path: '/v1/health', summary: 'Liveness of the answering node (no authentication)', auth: 'none',
      handler: async () => ok({ node: ctx.self, cluster: ctx.cluster, version: ctx.version }),
    }),
    route({
      method: 'get', path: '/v1/status', summary: 'Cluster overview: coordinator, quorum, nodes and their states', auth: 'viewer',
      handler: async () => {
        const [quorum, members] = await Promise.all([ctx.quorumReachable(), ctx.etcdMembers()]);
        return ok(ctx.view.status(ctx.cluster, quorum, members));
      },
    }),
    route({
      method: 'get', path: '/v1/nodes', summary: 'All nodes', auth: 'viewer',
      handler: async () => ok({ nodes: ctx.view.nodes.values().map((n) => ctx.view.nodeView(n.value)) }),
    }),
    route({
      method: 'get', path: '/v1/nodes/{name}', summary: 'One node', auth: 'viewer',
      handler: async ({ params }) => {
        const n = ctx.view.nodes.get(params['name'] ?? '');
        return n ? ok(ctx.view.nodeView(n.value)) : err({ code: 'not_found', field: 'name', message: `no node named "${params['name']}"` });
      },
    }),
    route<z.infer<typeof toggleBody>>({
      method: 'post', path: '/v1/nodes/{name}/standby', summary: 'Put a node in standby or bring it back', auth: 'admin', body: toggleBody,
      handler: async ({ params, body, principal }) => changeNode(ctx, params['name'] ?? '', principal?.user ?? '?', body.on ? 'standby' : 'unstandby', (n) => ok({ ...n, standby: body.on })),
    }),
    route<z.infer<typeof toggleBody>>({
      method: 'post', path: '/v1/nodes/{name}/maintenance', summary: 'Switch maintenance mode of a node', auth: 'admin', body: toggleBody,
      handler: async ({ params, body, principal }) => changeNode(ctx, params['name'] ?? '', principal?.user ?? '?', body.on ? 'maintenance on' : 'maintenance off', (n) => ok({ ...n, maintenance: body.on })),
    }),
    route<z.infer<typeof labelsBody>>({
      method: 'post', path: '/v1/nodes/{name}/labels', summary: 'Set or remove node labels', auth: 'admin', body: labelsBody,
      handler: async ({ params, body, principal }) => {
        const set = body.set ?? {};
        const remove = body.remove ?? [];
        const what = [...Object.entries(set).map(([k, v]) => `${k}=${v}`), ...remove.map((k) => `${k}-`)].join(' ');
        return changeNode(ctx, params['name'] ?? '', principal?.user ?? '?', `label ${what}`, (n) => {
          const labels = { ...n.labels, ...set };
          for (const k of remove) delete labels[k];
          return ok({ ...n, labels });
        });
      },
    }),
    route({
      method: 'delete', path: '/v1/nodes/{name}', summary: 'Remove a node that no longer runs', auth: 'admin',
      handler: async ({ params }) => {
        const r = await ctx.removeNode(params['name'] ?? '');
        return r.ok ? ok({ removed: params['name'] }) : r;
      },
    }),
    route({
      method: 'post', path: '/v1/leave', summary: 'The answering node leaves the cluster and stops', auth: 'admin',
      handler: async () => {
        const r = await ctx.leave();
        return r.ok ? ok({ left: ctx.self }) : r;
      },
    }),
    route({
      method: 'get', path: '/v1/events', summary: 'The cluster event log, oldest first (?after=ID&limit=N)', auth: 'viewer',
      handler: async ({ query }) => {
        const asked = query['limit'] === undefined ? 100 : Number(query['limit']);
        if (!Number.isInteger(asked) || asked < 0) return err({ code: 'invalid', field: 'limit', message: `limit must be a whole number >= 0, not "${query['limit']}"` });
        const limit = Math.min(asked, limits.eventsPageMax);
        const all = await ctx.records.list(events);
        if (!all.ok) return err({ code: all.error.code, message: all.error.message });
        const after = query['after'];
        const items: EventView[] = all.value.items.filter((e) => after === undefined || e.id > after).map((e) => ({ id: e.id, ...e.value }));
        return ok({ events: limit === 0 ? [] : items.slice(-limit), revision: all.value.revision });
      },
    }),
    route({
      method: 'get', path: '/v1/watch', summary: 'Server-sent events: cluster events and node changes as they happen', auth: 'viewer',
      handler: async ({ context }) => watchStream(ctx, context),
    }),
  ];
}

function watchStream(ctx: ApiContext, c: Parameters<typeof streamSSE>[0]): Response {
  return streamSSE(c, async (stream) => {
    const queue: WatchMessage[] = [];
    let wake: (() => void) | undefined;
    let overflow = false;
    const push = (m: WatchMessage): void => {
      if (queue.length >= limits.watchClientBufferMax) overflow = true;
      else queue.push(m);
      wake?.();
    };
    const listed = await ctx.records.store.range(ctx.records.kindPrefix(events));
    const fromRevision = listed.ok ? listed.value.revision + 1 : 0;
    const watch = ctx.records.store.watch(ctx.records.kindPrefix(events), fromRevision, {
      onEvents: (batch) => {
        for (const e of batch.events) {
          if (e.type !== 'put') continue;
          const d = ctx.records.decode(events, e.kv);
          if (d.ok) push({ type: 'event', event: { id: d.value.id, ...d.value.value } });
        }
      },
      onCompacted: () => {
        overflow = true;
        wake?.();
      },
    });
    const cancelView = ctx.view.onChange(() => push({ type: 'nodes', revision: ctx.view.revision() }));
    let closed = false;
    stream.onAbort(() => {
      closed = true;
      wake?.();
    });
    try {
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ type: 'hello', revision: fromRevision - 1 }) });
      while (!closed && !overflow) {
        const m = queue.shift();
        if (m) {
          await stream.writeSSE({ event: m.type, data: JSON.stringify(m) });
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 15_000);
        });
        wake = undefined;
        if (queue.length === 0 && !closed) await stream.writeSSE({ event: 'ping', data: '{}' });
      }
      if (overflow) await stream.writeSSE({ event: 'error', data: JSON.stringify({ code: 'too_slow', message: 'the client fell too far behind; reconnect and re-list' }) });
    } finally {
      watch.cancel();
      cancelView();
    }
  });
}
