// Owns the API's wire types: request bodies as zod schemas (validated by the server, used to
// build the OpenAPI document) and response shapes as TypeScript types (used by the typed
// client). Version 1 lives under /v1.

import { z } from 'zod';
import { hostPort, nodeName } from '../core/config.js';
import { labelKey, labelValue } from '../membership/records.js';
import type { NodeState } from '../membership/detector.js';
import type { EventRecord } from '../store/events.js';
import { resourceConfigRecord, type ResourceConfigRecord } from '../resources/records.js';
import type { Constraint, ResourceConfig } from '../resources/model.js';
import type { ClusterResourceState, FailedOperation, ResourceState } from '../resources/state.js';

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

// --- Resources, constraints, cluster options and fencing (routes/resources.ts and friends).

const attributeMap = z.record(z.string().min(1).max(256), z.string().max(4096));
/** Attribute changes: a string sets, null removes. */
const attributePatch = z.record(z.string().min(1).max(256), z.string().max(4096).nullable());
const resourceRef = z.string().min(1).max(128);
export const operationBody = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be an operation name such as monitor, start or stop'),
  intervalMs: z.number().int().min(0),
  timeoutMs: z.number().int().min(1).optional(),
  role: z.enum(['Stopped', 'Started', 'Unpromoted', 'Promoted']).optional(),
  onFail: z.enum(['ignore', 'block', 'stop', 'restart', 'standby', 'fence', 'demote']).optional(),
  enabled: z.boolean(),
  meta: attributeMap,
});
export const resourceCreateBody = z.strictObject({
  id: resourceRef,
  /** `ocf:heartbeat:Dummy`, `systemd:UNIT`, `exec:NAME`. */
  agent: z.string().min(1).max(300),
  params: attributeMap.optional(),
  meta: attributeMap.optional(),
  /** When absent, the agent's meta-data monitor actions (as pcs does). */
  operations: z.array(operationBody).max(64).optional(),
  group: resourceRef.optional(),
  clone: z.boolean().optional(),
  /** Default `<id>-clone`. */
  cloneId: resourceRef.optional(),
  cloneMeta: attributeMap.optional(),
  promotable: z.boolean().optional(),
});
export const fenceDeviceBody = z.strictObject({
  id: resourceRef,
  /** A fence agent's name, e.g. fence_ipmilan. */
  agent: z.string().regex(/^fence_[A-Za-z0-9_.-]{1,120}$/, 'must be a fence agent name such as fence_ipmilan'),
  params: attributeMap.optional(),
  meta: attributeMap.optional(),
  operations: z.array(operationBody).max(64).optional(),
});
export const resourceUpdateBody = z.strictObject({
  params: attributePatch.optional(),
  meta: attributePatch.optional(),
  operations: z.array(operationBody).max(64).optional(),
  removeOperations: z.array(z.string().max(64)).max(64).optional(),
});
export const constraintBody = z.strictObject({ constraint: resourceConfigRecord.shape.constraints.element });
export const optionsBody = z.strictObject({ set: attributePatch });
export const nodeBody = z.strictObject({ node: z.string().min(1).max(253).optional() });
export const restartBody = z.strictObject({ timeoutMs: z.number().int().min(1000).max(300_000).optional() });
export const importBody = z.strictObject({ xml: z.string().min(1).max(1_000_000) });
export const fenceBody = z.strictObject({ action: z.enum(['reboot', 'off', 'on']).optional() });

export interface ResourcesView {
  config: ResourceConfigRecord;
  /** The configuration record's revision (0 before the first write). */
  revision: number;
  /** Live state, or null when the answering node could not build it (see warnings). */
  state: ClusterResourceState | null;
  warnings: string[];
}

export interface ResourceView {
  id: string;
  /** The group or clone holding it, or null at the top level. */
  parent: string | null;
  config: ResourceConfig;
  /** Constraints naming it or its top-level resource. */
  constraints: Constraint[];
  state: ResourceState | null;
  failures: FailedOperation[];
  revision: number;
  warnings: string[];
}

export interface ConfigChangeView {
  revision: number;
  /** What changed, in words ("added constraint cli-prefer-web"). */
  message: string;
  /** Ids created or removed by the change. */
  added: string[];
  removed: string[];
}

export interface ScoreLineView {
  resource: string;
  variant: 'primitive' | 'group' | 'clone';
  node: string;
  score: number;
}

export interface ScoresView {
  scores: ScoreLineView[];
  /** crm_simulate -s's lines: "pcmk__primitive_assign: rsc allocation score on node: N". */
  lines: string[];
  warnings: string[];
}

export interface CleanupView {
  resource: string;
  /** Node -> history entries removed. */
  nodes: Record<string, string[]>;
}

export interface RestartView {
  resource: string;
  stoppedAfterMs: number;
  targetRole: string | null;
}

export interface FenceDeviceView {
  id: string;
  agent: string;
  params: Record<string, string>;
  meta: Record<string, string>;
  state: ResourceState | null;
}
