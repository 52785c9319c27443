// Owns the API's wire types: request bodies as zod schemas (validated by the server, used to
// build the OpenAPI document) and response shapes as TypeScript types (used by the typed
// client). Version 1 lives under /v1.

import { z } from 'zod';
import { hostPort, nodeName } from '../core/config.js';
import { labelKey, labelValue } from '../membership/records.js';
import type { NodeState } from '../membership/detector.js';
import type { EventRecord } from '../store/events.js';

export const apiError = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) });
export type ApiErrorBody = z.infer<typeof apiError>;

export const toggleBody = z.strictObject({ on: z.boolean() });
export const labelsBody = z.strictObject({
  set: z.record(labelKey, labelValue).optional(),
  remove: z.array(labelKey).optional(),
});
export const joinTokenBody = z.strictObject({
  ttlMs: z.number().int().positive().optional(),
  singleUse: z.boolean().optional(),
  role: z.enum(['voter', 'worker', 'any']).optional(),
});
export const apiTokenBody = z.strictObject({
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'must be a user name (lowercase, up to 32 characters)'),
  role: z.enum(['admin', 'viewer']),
  description: z.string().max(200).optional(),
});
export const joinBody = z.strictObject({
  token: z.string().min(1).max(200),
  name: nodeName,
  voter: z.boolean(),
  csrPem: z.string().min(1).max(16_384),
  apiAddress: hostPort,
  peerAddress: hostPort,
  etcdClientAddress: hostPort.optional(),
  etcdPeerAddress: hostPort.optional(),
});
export type JoinBody = z.infer<typeof joinBody>;
export const kvPutBody = z.strictObject({
  value: z.string().max(65_536),
  /** Compare-and-set: the modRevision the key must have now (0: must not exist). */
  expectRevision: z.number().int().nonnegative().optional(),
});

export interface NodeView {
  name: string;
  role: 'voter' | 'worker';
  state: NodeState | 'unknown';
  reason: string;
  stateSinceMs: number | null;
  apiAddress: string;
  peerAddress: string;
  labels: Record<string, string>;
  standby: boolean;
  maintenance: boolean;
  coordinator: boolean;
  joinedAtMs: number;
  /** When the node's running herdd registered (its alive key), or null when none runs. */
  herddStartedAtMs: number | null;
}

export interface StatusView {
  cluster: string;
  answeredBy: string;
  coordinator: { node: string; token: number; sinceMs: number; apiAddress: string } | null;
  quorum: { voters: number; votersUp: number; hasQuorum: boolean };
  nodes: NodeView[];
  revision: number;
  warnings: string[];
}

export interface JoinTokenView {
  id: string;
  token: string;
  expiresAtMs: number;
  singleUse: boolean;
  role: 'voter' | 'worker' | 'any';
  joinCommand: string;
}

export interface JoinResult {
  cluster: string;
  caPem: string;
  certPem: string;
  /** Voters hold the CA key so any of them can admit new nodes. */
  caKeyPem: string | null;
  etcdEndpoints: string[];
  initialCluster: string | null;
}

export interface KvView {
  key: string;
  value: string | null;
  modRevision: number;
  revision: number;
}

export interface EventView extends EventRecord {
  id: string;
}

export type WatchMessage =
  | { type: 'event'; event: EventView }
  | { type: 'nodes'; revision: number }
  | { type: 'hello'; revision: number };
