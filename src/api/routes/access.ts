// Owns the access routes: the cluster CA certificate (public), join tokens, node admission
// (authenticated by the join token in the body), and per-user API tokens.

import type { z } from 'zod';
import { err, ok } from '../../core/result.js';
import { limits, timingDefaults } from '../../core/limits.js';
import { fingerprintSha256 } from '../../net/pki.js';
import { recordEvent } from '../../store/events.js';
import { apiTokens, formatApiToken, formatJoinToken, joinTokens, newSecret, sha256Hex } from '../auth.js';
import type { ApiContext } from '../context.js';
import { route, type RouteSpec } from '../server.js';
import { apiTokenBody, joinBody, joinTokenBody, type JoinBody, type JoinTokenView } from '../types.js';

export function accessRoutes(ctx: ApiContext): RouteSpec<unknown>[] {
  return [
    route({
      method: 'get', path: '/v1/ca', summary: 'The cluster CA certificate (public; joining nodes pin it by the hash in their token)', auth: 'none',
      handler: async () => ok({ caPem: ctx.caPem, fingerprintSha256: fingerprintSha256(ctx.caPem) }),
    }),
    route<z.infer<typeof joinTokenBody>>({
      method: 'post', path: '/v1/join-tokens', summary: 'Create a join token', auth: 'admin', body: joinTokenBody,
      handler: async ({ body, principal }) => {
        const ttlMs = body.ttlMs ?? timingDefaults.joinTokenTtlMs;
        if (ttlMs > limits.joinTokenTtlMsMax) return err({ code: 'invalid', field: 'ttlMs', message: `ttlMs must be at most ${limits.joinTokenTtlMsMax} (7 days)` });
        const existing = await ctx.records.list(joinTokens);
        if (!existing.ok) return err({ code: existing.error.code, message: existing.error.message });
        const now = ctx.clock.nowMs();
        for (const t of existing.value.items) if (t.value.expiresAtMs < now) await ctx.records.delete(joinTokens, t.id, t.modRevision);
        if (existing.value.items.length >= limits.joinTokensMax) return err({ code: 'too_many_requests', message: `${limits.joinTokensMax} join tokens exist; delete some first` });
        const { id, secret } = newSecret();
        const record = { secretSha256: sha256Hex(secret), expiresAtMs: now + ttlMs, singleUse: body.singleUse ?? false, usedBy: [], role: body.role ?? 'any', createdBy: principal?.user ?? '?' } as const;
        const r = await ctx.records.put(joinTokens, id, { ...record, usedBy: [] }, 'absent');
        if (!r.ok) return err({ code: r.error.code, message: r.error.message });
        const token = formatJoinToken(id, secret, fingerprintSha256(ctx.caPem));
        const self = ctx.view.nodes.get(ctx.self)?.value.apiAddress ?? '';
        const view: JoinTokenView = { id, token, expiresAtMs: record.expiresAtMs, singleUse: record.singleUse, role: record.role, joinCommand: `herd join ${self} --token ${token}${record.role === 'voter' ? ' --voter' : ''}` };
        return ok(view);
      },
    }),
    route({
      method: 'get', path: '/v1/join-tokens', summary: 'List join tokens (secrets are never shown again)', auth: 'admin',
      handler: async () => {
        const r = await ctx.records.list(joinTokens);
        if (!r.ok) return err({ code: r.error.code, message: r.error.message });
        return ok({ tokens: r.value.items.map((t) => ({ id: t.id, expiresAtMs: t.value.expiresAtMs, singleUse: t.value.singleUse, usedBy: t.value.usedBy, role: t.value.role, createdBy: t.value.createdBy })) });
      },
    }),
    route({
      method: 'delete', path: '/v1/join-tokens/{id}', summary: 'Delete a join token', auth: 'admin',
      handler: async ({ params }) => {
        const r = await ctx.records.delete(joinTokens, params['id'] ?? '', 'any');
        return r.ok ? ok({ deleted: params['id'] }) : err({ code: r.error.code, message: r.error.message });
      },
    }),
    route<JoinBody>({
      method: 'post', path: '/v1/join', summary: 'Admit a node (authenticated by the join token in the body)', auth: 'none', body: joinBody,
      handler: async ({ body }) => ctx.admit(body),
    }),
    route<z.infer<typeof apiTokenBody>>({
      method: 'post', path: '/v1/tokens', summary: 'Create an API token for a user', auth: 'admin', body: apiTokenBody,
      handler: async ({ body, principal }) => {
        const existing = await ctx.records.list(apiTokens);
        if (existing.ok && existing.value.items.length >= limits.userTokensMax) return err({ code: 'too_many_requests', message: `${limits.userTokensMax} API tokens exist` });
        const { id, secret } = newSecret();
        const r = await ctx.records.put(apiTokens, id, { user: body.user, role: body.role, secretSha256: sha256Hex(secret), createdAtMs: ctx.clock.nowMs(), description: body.description ?? '' }, 'absent');
        if (!r.ok) return err({ code: r.error.code, message: r.error.message });
        await recordEvent(ctx.records, { atMs: ctx.clock.nowMs(), node: ctx.self, kind: 'admin', severity: 'info', subject: body.user, message: `${principal?.user ?? '?'} created a ${body.role} API token for ${body.user}` });
        return ok({ id, user: body.user, role: body.role, token: formatApiToken(id, secret) });
      },
    }),
    route({
      method: 'get', path: '/v1/tokens', summary: 'List API tokens (without secrets)', auth: 'admin',
      handler: async () => {
        const r = await ctx.records.list(apiTokens);
        if (!r.ok) return err({ code: r.error.code, message: r.error.message });
        return ok({ tokens: r.value.items.map((t) => ({ id: t.id, user: t.value.user, role: t.value.role, createdAtMs: t.value.createdAtMs, description: t.value.description })) });
      },
    }),
    route({
      method: 'delete', path: '/v1/tokens/{id}', summary: 'Revoke an API token', auth: 'admin',
      handler: async ({ params, principal }) => {
        if (params['id'] === principal?.tokenId) return err({ code: 'conflict', field: 'id', message: 'refusing to revoke the token this request uses' });
        const r = await ctx.records.delete(apiTokens, params['id'] ?? '', 'any');
        return r.ok ? ok({ revoked: params['id'] }) : err({ code: r.error.code, message: r.error.message });
      },
    }),
  ];
}
