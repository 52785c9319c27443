// Owns the key-value routes: small application registers kept in the cluster state with
// linearizable reads and writes and compare-and-set by revision (like `etcdctl`/`consul kv`),
// for applications that need a little shared, durable state. Keys live under `kv/`.

import { z } from 'zod';
import type { z as Z } from 'zod';
import { err, ok } from '../../core/result.js';
import { defineRecordKind, validateId } from '../../store/records.js';
import type { ApiContext } from '../context.js';
import { route, type RouteSpec } from '../server.js';
import { kvPutBody, type KvView } from '../types.js';

export const kvEntries = defineRecordKind('kv', z.strictObject({ value: z.string() }));

export function kvRoutes(ctx: ApiContext): RouteSpec<unknown>[] {
  const { records } = ctx;
  return [
    route({
      method: 'get', path: '/v1/kv/{key}', summary: 'Read a key (linearizable)', auth: 'viewer',
      handler: async ({ params }) => {
        const key = params['key'] ?? '';
        const id = validateId(key, 'key');
        if (!id.ok) return id;
        const r = await records.store.range(records.keyOf(kvEntries, key));
        if (!r.ok) return err({ code: r.error.code, message: r.error.message });
        const kv = r.value.items.find((i) => i.key === records.keyOf(kvEntries, key));
        const decoded = kv ? records.decode(kvEntries, kv) : undefined;
        if (decoded && !decoded.ok) return err({ code: decoded.error.code, message: decoded.error.message });
        const view: KvView = { key, value: decoded?.value.value.value ?? null, modRevision: kv?.modRevision ?? 0, revision: r.value.revision };
        return ok(view);
      },
    }),
    route<Z.infer<typeof kvPutBody>>({
      method: 'put', path: '/v1/kv/{key}', summary: 'Write a key; with expectRevision, only if it is still at that revision', auth: 'admin', body: kvPutBody,
      handler: async ({ params, body }) => {
        const key = params['key'] ?? '';
        const expect = body.expectRevision === undefined ? 'any' : body.expectRevision === 0 ? 'absent' : body.expectRevision;
        const r = await records.put(kvEntries, key, { value: body.value }, expect);
        if (!r.ok) {
          const field = r.error.code === 'conflict' ? 'expectRevision' : 'field' in r.error ? r.error.field : undefined;
          return err({ code: r.error.code, message: r.error.code === 'conflict' ? `key ${key} is not at revision ${body.expectRevision}` : r.error.message, ...(field ? { field } : {}) });
        }
        return ok({ key, modRevision: r.value.revision });
      },
    }),
    route({
      method: 'delete', path: '/v1/kv/{key}', summary: 'Delete a key', auth: 'admin',
      handler: async ({ params }) => {
        const key = params['key'] ?? '';
        const id = validateId(key, 'key');
        if (!id.ok) return id;
        const r = await records.delete(kvEntries, key, 'any');
        return r.ok ? ok({ key, revision: r.value.revision }) : err({ code: r.error.code, message: r.error.message });
      },
    }),
  ];
}
