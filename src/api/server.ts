// Owns the HTTP+JSON API server: TLS, bearer-token authentication with roles, request body
// validation against zod schemas (errors name the field), one error shape for every failure,
// and the OpenAPI document built from the same route table. Route modules (routes/*.ts) declare
// routes; this module wires them to Hono on a node:https server.

import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Hono, type Context } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { z } from 'zod';
import { limits } from '../core/limits.js';
import type { Failure, Result } from '../core/result.js';
import { authenticate, type ApiTokenRecord, type Principal, type Role } from './auth.js';
import { zodFailure } from '../store/records.js';

export type Auth = 'none' | Role;

export interface RouteRequest<B> {
  readonly body: B;
  readonly params: Record<string, string>;
  readonly query: Record<string, string>;
  readonly principal: Principal | undefined;
  readonly context: Context;
}

export interface RouteSpec<B> {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  readonly path: string;
  readonly summary: string;
  readonly auth: Auth;
  readonly body?: z.ZodType<B>;
  /** Returns the JSON body, a Failure, or a Response (streams). */
  readonly handler: (request: RouteRequest<B>) => Promise<Result<unknown, Failure> | Response>;
}

export const route = <B>(spec: RouteSpec<B>): RouteSpec<unknown> => spec as unknown as RouteSpec<unknown>;

const statusOfCode: Record<string, number> = {
  invalid: 400,
  bad_csr: 400,
  unauthenticated: 401,
  forbidden: 403,
  token_invalid: 403,
  token_expired: 403,
  token_used: 403,
  token_role: 403,
  not_found: 404,
  conflict: 409,
  name_taken: 409,
  node_online: 409,
  voters_max: 409,
  too_large: 413,
  too_many_requests: 429,
  timeout: 504,
  unavailable: 503,
  not_coordinator: 503,
};

export const httpStatusOf = (code: string): number => statusOfCode[code] ?? 500;

const rank: Record<Auth, number> = { none: 0, viewer: 1, admin: 2 };

function failureResponse(c: Context, f: Failure): Response {
  const body = { error: f.field === undefined ? { code: f.code, message: f.message } : { code: f.code, message: f.message, field: f.field } };
  return c.json(body, httpStatusOf(f.code) as 400);
}

export function buildApp(lookupToken: (id: string) => ApiTokenRecord | undefined, routes: readonly RouteSpec<unknown>[]): Hono {
  const app = new Hono();
  for (const spec of routes) {
    const honoPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
    app.on(spec.method.toUpperCase(), honoPath, async (c) => {
      let principal: Principal | undefined;
      if (spec.auth !== 'none') {
        const header = c.req.header('authorization') ?? '';
        const bearer = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
        if (bearer === '') return failureResponse(c, { code: 'unauthenticated', message: 'missing "Authorization: Bearer <token>" header' });
        const who = authenticate(lookupToken, bearer);
        if (!who.ok) return failureResponse(c, who.error);
        if (rank[who.value.role] < rank[spec.auth]) {
          return failureResponse(c, { code: 'forbidden', message: `${spec.method.toUpperCase()} ${spec.path} needs the ${spec.auth} role; ${who.value.user} has ${who.value.role}` });
        }
        principal = who.value;
      }
      let body: unknown = undefined;
      if (spec.body) {
        const length = Number(c.req.header('content-length') ?? '0');
        if (length > limits.apiBodyBytesMax) return failureResponse(c, { code: 'too_large', message: `request body is ${length} bytes; the limit is ${limits.apiBodyBytesMax}` });
        const text = await c.req.text();
        if (text.length > limits.apiBodyBytesMax) return failureResponse(c, { code: 'too_large', message: `request body is over ${limits.apiBodyBytesMax} bytes` });
        let json: unknown;
        try {
          json = text === '' ? {} : JSON.parse(text);
        } catch {
          return failureResponse(c, { code: 'invalid', field: '(body)', message: 'request body is not valid JSON' });
        }
        const parsed = spec.body.safeParse(json);
        if (!parsed.success) return failureResponse(c, zodFailure(parsed.error));
        body = parsed.data;
      }
      const result = await spec.handler({ body, params: c.req.param() as Record<string, string>, query: c.req.query(), principal, context: c });
      if (result instanceof Response) return result;
      if (!result.ok) return failureResponse(c, result.error);
      return c.json(result.value as object);
    });
  }
  app.notFound((c) => failureResponse(c, { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }));
  app.onError((e, c) => failureResponse(c, { code: 'internal', message: `internal error: ${e.message}` }));
  return app;
}

/** The OpenAPI 3.1 document for a route table. */
export function openApiDocument(routes: readonly RouteSpec<unknown>[], version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes) {
    const op: Record<string, unknown> = {
      summary: r.summary,
      security: r.auth === 'none' ? [] : [{ bearer: [] }],
      responses: {
        '200': { description: 'OK', content: { 'application/json': {} } },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    if (r.auth !== 'none') op['x-herd-role'] = r.auth;
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (params.length > 0) op['parameters'] = params;
    if (r.body) op['requestBody'] = { required: true, content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } } };
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Herd API', version },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: z.toJSONSchema(z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) })) },
    },
  };
}

export interface ApiServer {
  readonly server: Server;
  port(): number;
  close(): Promise<void>;
}

export async function startApiServer(
  app: Hono,
  options: { host: string; port: number; tls: { certPem: string; keyPem: string; caPem: string } },
): Promise<ApiServer> {
  const listener = getRequestListener(app.fetch);
  const server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem, ca: options.tls.caPem, minVersion: 'TLSv1.2' }, (req, res) => {
    void listener(req, res);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 0; // watch streams are long-lived; each has its own keep-alive.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: () => (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
