// Owns the operator's actions on one resource (crm_resource's verbs): move, ban and clear
// (cli-prefer-/cli-ban- location constraints), enable and disable (target-role), cleanup
// (forget its operation history and fail counts on every node, or one, so it is probed again)
// and restart (stop, wait until the live state shows it stopped, restore the target-role;
// bounded by a deadline). Writes are revision-checked record updates.

import type { z } from 'zod';
import { err, failure, ok, type Failure, type Result } from '../../core/result.js';
import { ban, cleanupHistory, clear, move, primitivesUnder, setTargetRole, topLevelOf, updateResource } from '../../resources/config-edit.js';
import { nodeHistoryKind } from '../../resources/records.js';
import { findState, isStopped } from '../../resources/state.js';
import type { Principal } from '../auth.js';
import type { ApiContext } from '../context.js';
import { route, type RouteSpec } from '../server.js';
import { nodeBody, restartBody, type CleanupView, type ConfigChangeView, type RestartView } from '../types.js';
import { asFailure, editConfig, liveState, plain, readConfig } from './resource-common.js';

/** How often restart looks at the live state, and how long it waits by default. */
const restartPollMs = 500;
const restartTimeoutMsDefault = 60_000;

function knownNode(ctx: ApiContext, node: string): Result<string, Failure> {
  const n = ctx.view.nodes.get(node);
  return n !== undefined && !n.value.left ? ok(node) : err(failure('not_found', `no node named "${node}"`, 'node'));
}

async function constraintEdit(
  ctx: ApiContext, principal: Principal | undefined, verb: string,
  edit: Parameters<typeof editConfig<{ added: string[]; removed: string[] }>>[3],
): Promise<Result<ConfigChangeView, Failure>> {
  const r = await editConfig(ctx, principal, (x) => `${verb}: ${[...x.added.map((c) => `added ${c}`), ...x.removed.map((c) => `removed ${c}`)].join(', ') || 'nothing to change'}`, edit);
  return r.ok ? ok({ revision: r.value.revision, message: r.value.message, added: r.value.extra.added, removed: r.value.extra.removed }) : r;
}

/** The one node a resource is active on, for ban without a node (crm_resource's rule). */
async function activeNode(ctx: ApiContext, id: string): Promise<Result<string, Failure>> {
  const live = await liveState(ctx);
  if (live.state === null) return err(failure('unavailable', `no node given, and ${live.warnings.join('; ')}`, 'node'));
  const current = await readConfig(ctx);
  if (!current.ok) return current;
  const top = topLevelOf(current.value.config, id)?.id ?? id;
  const nodes = [...new Set(findState(live.state.resources, top)?.active.map((a) => a.node) ?? [])];
  if (nodes.length !== 1) return err(failure('invalid', `${id} is active on ${nodes.length === 0 ? 'no node' : nodes.join(', ')}: name the node to ban it from`, 'node'));
  return ok(nodes[0] as string);
}

async function cleanup(ctx: ApiContext, id: string, node: string | undefined): Promise<Result<CleanupView, Failure>> {
  const current = await readConfig(ctx);
  if (!current.ok) return current;
  const ids = primitivesUnder(current.value.config, id);
  if (ids === undefined) return err(failure('not_found', `no resource "${id}"`, 'id'));
  const histories = await ctx.records.list(nodeHistoryKind);
  if (!histories.ok) return err(asFailure(histories.error));
  const names = histories.value.items.map((h) => h.id).filter((n) => node === undefined || n === node);
  const done: Record<string, string[]> = {};
  for (const name of names) {
    let removed: string[] = [];
    const r = await ctx.records.update(nodeHistoryKind, name, (h) => {
      if (h === undefined) return err(failure('unchanged', 'gone'));
      const c = cleanupHistory(h, ids);
      removed = c.removed;
      return c.changed ? ok(c.record) : err(failure('unchanged', 'nothing to clean'));
    });
    if (!r.ok && r.error.code !== 'unchanged') return err(asFailure(r.error));
    if (r.ok) done[name] = removed;
  }
  return ok({ resource: id, nodes: done });
}

async function restart(ctx: ApiContext, principal: Principal | undefined, id: string, timeoutMs: number): Promise<Result<RestartView, Failure>> {
  const before = await liveState(ctx);
  if (before.state === null) return err(failure('unavailable', `cannot follow the resource's state: ${before.warnings.join('; ')}`));
  const off = await editConfig(ctx, principal, (x: { top: string }) => `restart ${id}: disabled ${x.top}`, (c) => {
    const r = setTargetRole(c, id, 'Stopped');
    return r.ok ? ok({ config: r.value.config, extra: r.value }) : r;
  });
  if (!off.ok) return off;
  const { top, previous } = off.value.extra;
  const startedMs = ctx.clock.monotonicMs();
  let stopped = false;
  while (!stopped && ctx.clock.monotonicMs() - startedMs < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, restartPollMs));
    const live = await liveState(ctx);
    const s = live.state === null ? undefined : findState(live.state.resources, top);
    stopped = s !== undefined && isStopped(s);
  }
  const waitedMs = Math.round(ctx.clock.monotonicMs() - startedMs);
  const restored = await editConfig(ctx, principal, () => `restart ${id}: target-role of ${top} back to ${previous ?? '(none)'}`,
    (c) => plain(updateResource(c, top, { meta: { 'target-role': previous ?? null } })));
  if (!restored.ok) return err(failure(restored.error.code, `${top} stays disabled: restoring its target-role failed: ${restored.error.message}`));
  if (!stopped) return err(failure('timeout', `${top} did not stop within ${timeoutMs} ms; its target-role is restored to ${previous ?? '(none)'}`));
  return ok({ resource: top, stoppedAfterMs: waitedMs, targetRole: previous ?? null });
}

export function resourceActionRoutes(ctx: ApiContext): RouteSpec<unknown>[] {
  return [
    route<z.infer<typeof nodeBody>>({
      method: 'post', path: '/v1/resources/{id}/move', summary: 'Prefer a node: location cli-prefer-<rsc> at INFINITY (crm_resource --move)', auth: 'admin', body: nodeBody,
      handler: async ({ params, body, principal }) => {
        const id = params['id'] ?? '';
        if (body.node === undefined) return err(failure('invalid', 'node: move needs the node to move to', 'node'));
        const node = knownNode(ctx, body.node);
        if (!node.ok) return node;
        return constraintEdit(ctx, principal, `move ${id} to ${node.value}`, (c) => {
          const r = move(c, id, node.value);
          return r.ok ? ok({ config: r.value.config, extra: { added: [r.value.constraint], removed: [] } }) : r;
        });
      },
    }),
    route<z.infer<typeof nodeBody>>({
      method: 'post', path: '/v1/resources/{id}/ban', summary: 'Keep off a node (default: where it is active): cli-ban-<rsc>-on-<node> at -INFINITY', auth: 'admin', body: nodeBody,
      handler: async ({ params, body, principal }) => {
        const id = params['id'] ?? '';
        const node = body.node === undefined ? await activeNode(ctx, id) : knownNode(ctx, body.node);
        if (!node.ok) return node;
        return constraintEdit(ctx, principal, `ban ${id} from ${node.value}`, (c) => {
          const r = ban(c, id, node.value);
          return r.ok ? ok({ config: r.value.config, extra: { added: [r.value.constraint], removed: [] } }) : r;
        });
      },
    }),
    route<z.infer<typeof nodeBody>>({
      method: 'post', path: '/v1/resources/{id}/clear', summary: 'Remove the cli-prefer-/cli-ban- constraints of move and ban (all, or those on one node)', auth: 'admin', body: nodeBody,
      handler: async ({ params, body, principal }) => {
        const id = params['id'] ?? '';
        return constraintEdit(ctx, principal, `clear ${id}`, (c) => {
          const r = clear(c, id, body.node);
          return r.ok ? ok({ config: r.value.config, extra: { added: [], removed: r.value.removed } }) : r;
        });
      },
    }),
    ...(['enable', 'disable'] as const).map((verb) => route({
      method: 'post', path: `/v1/resources/{id}/${verb}`, summary: `Set target-role ${verb === 'enable' ? 'Started' : 'Stopped'} on the top-level resource`, auth: 'admin',
      handler: async ({ params, principal }) => {
        const id = params['id'] ?? '';
        const role = verb === 'enable' ? 'Started' : 'Stopped';
        const r = await editConfig(ctx, principal, (x: { top: string }) => `${verb}d ${x.top} (target-role ${role})`, (c) => {
          const edited = setTargetRole(c, id, role);
          return edited.ok ? ok({ config: edited.value.config, extra: edited.value }) : edited;
        });
        return r.ok ? ok({ revision: r.value.revision, message: r.value.message, resource: r.value.extra.top, targetRole: role, previous: r.value.extra.previous ?? null }) : r;
      },
    })),
    route<z.infer<typeof nodeBody>>({
      method: 'post', path: '/v1/resources/{id}/cleanup', summary: "Forget a resource's operation history and fail counts (every node, or one) so it is probed again", auth: 'admin', body: nodeBody,
      handler: async ({ params, body }) => {
        if (body.node !== undefined) {
          const node = knownNode(ctx, body.node);
          if (!node.ok) return node;
        }
        return cleanup(ctx, params['id'] ?? '', body.node);
      },
    }),
    route<z.infer<typeof restartBody>>({
      method: 'post', path: '/v1/resources/{id}/restart', summary: 'Stop, wait until stopped (bounded), then restore the target-role', auth: 'admin', body: restartBody,
      handler: async ({ params, body, principal }) => restart(ctx, principal, params['id'] ?? '', body.timeoutMs ?? restartTimeoutMsDefault),
    }),
  ];
}
