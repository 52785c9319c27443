// Owns the constraint routes: list, add (location, colocation, order, with sets as stored) and
// delete. Each write is one revision-checked edit of the configuration record, refused when a
// constraint names an unknown resource or closes a cycle of Mandatory orders (config-validate.ts).

import type { z } from 'zod';
import { ok } from '../../core/result.js';
import type { Constraint } from '../../resources/model.js';
import { addConstraint, deleteConstraint } from '../../resources/config-edit.js';
import type { ApiContext } from '../context.js';
import { route, type RouteSpec } from '../server.js';
import { constraintBody, type ConfigChangeView } from '../types.js';
import { editConfig, plain, readConfig } from './resource-common.js';

export function constraintRoutes(ctx: ApiContext): RouteSpec<unknown>[] {
  return [
    route({
      method: 'get', path: '/v1/constraints', summary: 'Every location, colocation and order constraint', auth: 'viewer',
      handler: async () => {
        const current = await readConfig(ctx);
        if (!current.ok) return current;
        return ok({ constraints: current.value.config.constraints, revision: current.value.revision });
      },
    }),
    route<z.infer<typeof constraintBody>>({
      method: 'post', path: '/v1/constraints', summary: 'Add a constraint; it must name existing resources and close no Mandatory order cycle', auth: 'admin', body: constraintBody,
      handler: async ({ body, principal }) => {
        // zod's optional fields admit undefined; the schema is the model's, field for field.
        const constraint = body.constraint as Constraint;
        const r = await editConfig(ctx, principal, () => `added ${constraint.kind} constraint ${constraint.id}`, (c) => plain(addConstraint(c, constraint)));
        if (!r.ok) return r;
        const view: ConfigChangeView = { revision: r.value.revision, message: r.value.message, added: [constraint.id], removed: [] };
        return ok(view);
      },
    }),
    route({
      method: 'delete', path: '/v1/constraints/{id}', summary: 'Delete a constraint', auth: 'admin',
      handler: async ({ params, principal }) => {
        const id = params['id'] ?? '';
        const r = await editConfig(ctx, principal, () => `deleted constraint ${id}`, (c) => plain(deleteConstraint(c, id)));
        if (!r.ok) return r;
        const view: ConfigChangeView = { revision: r.value.revision, message: r.value.message, added: [], removed: [id] };
        return ok(view);
      },
    }),
  ];
}
