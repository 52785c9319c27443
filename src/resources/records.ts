// Owns the resource manager's record kinds and their schemas: the configuration (one document,
// like Pacemaker's CIB configuration section, so that a change that touches a resource and the
// constraints naming it is one revision-checked write), each node's operation history and
// transient attributes (written only by that node's executor), and the fencing history
// (written by the coordinator). Schemas mirror model.ts and are strict; the casts to the model's
// types are needed only because zod's optional fields admit undefined.

import { z } from 'zod';
import { defineRecordKind } from '../store/records.js';
import type { FenceHistoryRecord } from '../fencing/fencer.js';
import type { Attributes, Configuration, ResourceHistory } from './model.js';

export const attributes = z.record(z.string().min(1).max(256), z.string().max(4096));
const role = z.enum(['Stopped', 'Started', 'Unpromoted', 'Promoted']);
const id = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/, 'must start with a letter or "_" and hold only letters, digits, "_", ".", ":" or "-" (at most 128)');

const operation = z.strictObject({
  id: z.string().min(1).max(256),
  name: z.string().min(1).max(64),
  intervalMs: z.number().int().min(0),
  timeoutMs: z.number().int().min(1).optional(),
  role: role.optional(),
  onFail: z.enum(['ignore', 'block', 'stop', 'restart', 'standby', 'fence', 'demote']).optional(),
  enabled: z.boolean(),
  meta: attributes,
  params: attributes.optional(),
});

const primitive = z.strictObject({
  kind: z.literal('primitive'),
  id,
  class: z.string().min(1).max(32),
  provider: z.string().min(1).max(64).optional(),
  type: z.string().min(1).max(256),
  params: attributes,
  meta: attributes,
  operations: z.array(operation).max(64),
  utilization: attributes.optional(),
});

const group = z.strictObject({ kind: z.literal('group'), id, meta: attributes, children: z.array(primitive).min(1).max(256) });
const clone = z.strictObject({ kind: z.literal('clone'), id, meta: attributes, child: z.union([primitive, group]) });
const resource = z.discriminatedUnion('kind', [primitive, group, clone]);

const expression: z.ZodType = z.lazy((): z.ZodType =>
  z.union([
    z.strictObject({
      kind: z.literal('attribute'),
      attribute: z.string().min(1),
      operation: z.enum(['lt', 'gt', 'lte', 'gte', 'eq', 'ne', 'defined', 'not_defined']),
      value: z.string().optional(),
      type: z.enum(['string', 'integer', 'number', 'version']),
      valueSource: z.enum(['literal', 'param', 'meta']),
    }),
    z.strictObject({ kind: z.literal('date'), operation: z.string(), start: z.string().optional(), end: z.string().optional() }),
    z.strictObject({ kind: z.literal('rule'), rule }),
  ]),
);
const rule: z.ZodType = z.lazy((): z.ZodType =>
  z.strictObject({
    id: z.string(),
    score: z.number().optional(),
    scoreAttribute: z.string().optional(),
    role: role.optional(),
    booleanOp: z.enum(['and', 'or']),
    expressions: z.array(expression).max(64),
  }),
);

const action = z.enum(['start', 'stop', 'promote', 'demote']);
const orderKind = z.enum(['Mandatory', 'Optional', 'Serialize']);
const resourceSet = z.strictObject({
  id: z.string(),
  resources: z.array(z.string()).min(1).max(256),
  sequential: z.boolean(),
  requireAll: z.boolean(),
  role: role.optional(),
  action: action.optional(),
  kind: orderKind.optional(),
  score: z.number().optional(),
});

const constraint = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('location'), id, resource: z.string().optional(), resourcePattern: z.string().optional(),
    sets: z.array(resourceSet).optional(), role: role.optional(), node: z.string().optional(), score: z.number().optional(),
    rules: z.array(rule).max(64), resourceDiscovery: z.enum(['always', 'never', 'exclusive']).optional(),
  }),
  z.strictObject({
    kind: z.literal('colocation'), id, score: z.number(), resource: z.string().optional(), withResource: z.string().optional(),
    resourceRole: role.optional(), withResourceRole: role.optional(), nodeAttribute: z.string().optional(),
    sets: z.array(resourceSet).optional(), influence: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal('order'), id, first: z.string().optional(), then: z.string().optional(), firstAction: action, thenAction: action,
    orderKind, score: z.number().optional(), symmetrical: z.boolean().optional(), sets: z.array(resourceSet).optional(), requireAll: z.boolean(),
  }),
]);

/** The stored configuration: model.ts's Configuration without nodes (they come from the node registry). */
export const resourceConfigRecord = z.strictObject({
  options: attributes,
  resources: z.array(resource).max(20_000),
  constraints: z.array(constraint).max(50_000),
  resourceDefaults: attributes,
  operationDefaults: attributes,
  fencingLevels: z.array(z.strictObject({ target: z.string(), index: z.number().int().min(1).max(9), devices: z.array(z.string()).min(1) })),
});
export type ResourceConfigRecord = Omit<Configuration, 'nodes'>;
export const resourceConfigKind = defineRecordKind<ResourceConfigRecord>('resources/config', resourceConfigRecord as unknown as z.ZodType<ResourceConfigRecord>);
/** The one id under resources/config. */
export const configId = 'current';

export const emptyConfig = (): ResourceConfigRecord => ({
  options: {}, resources: [], constraints: [], resourceDefaults: {}, operationDefaults: {}, fencingLevels: [],
});


const operationRecord = z.strictObject({
  id: z.string(),
  operation: z.string(),
  intervalMs: z.number().int().min(0),
  callId: z.number().int(),
  rc: z.number().int(),
  opStatus: z.number().int(),
  expectedRc: z.number().int().optional(),
  lastRcChange: z.number().optional(),
  lastRun: z.number().optional(),
  exitReason: z.string().max(1024).optional(),
  digest: z.string().optional(),
  restartDigest: z.string().optional(),
  forceRestart: z.string().optional(),
  secureDigest: z.string().optional(),
  secureParams: z.string().optional(),
  featureSet: z.string().optional(),
  migrateSource: z.string().optional(),
  migrateTarget: z.string().optional(),
});

/** One resource's operations on a node (Pacemaker's lrm_resource). */
export const resourceHistory = z.strictObject({
  id: z.string(),
  class: z.string(),
  provider: z.string().optional(),
  type: z.string(),
  operations: z.array(operationRecord).max(64),
});

/** One node's operation history and transient attributes (Pacemaker's lrm and transient_attributes). */
export const nodeHistoryRecord = z.strictObject({
  /** The herdd incarnation that wrote it: a restarted node starts a fresh history. */
  incarnation: z.string(),
  /** When the node started this history (wall ms): it was up and in the cluster then. */
  createdAtMs: z.number(),
  attributes: attributes,
  resources: z.array(resourceHistory).max(20_000),
});
export interface NodeHistoryRecord {
  readonly incarnation: string;
  readonly createdAtMs: number;
  readonly attributes: Attributes;
  readonly resources: readonly ResourceHistory[];
}
export const nodeHistoryKind = defineRecordKind<NodeHistoryRecord>('resources/history', nodeHistoryRecord as unknown as z.ZodType<NodeHistoryRecord>);

/** One fencing operation as the fencer reported it (fencing/fencer.ts's FenceHistoryRecord). */
const fenceAction = z.enum(['reboot', 'off', 'on']);
export const fenceHistoryRecord = z.strictObject({
  target: z.string(),
  action: fenceAction,
  state: z.enum(['done', 'failed']),
  device: z.string().optional(),
  devices: z.array(z.string()),
  level: z.number().int().optional(),
  startedAtMs: z.number(),
  completedAtMs: z.number(),
  attempts: z.array(z.strictObject({
    device: z.string(), action: fenceAction, level: z.number().int().optional(), rc: z.number().int().nullable(),
    reason: z.string().max(2048), delayMs: z.number(), startedAtMs: z.number(), completedAtMs: z.number(),
  })).max(64),
  reason: z.string().max(2048),
  requestedBy: z.string().optional(),
});
export const fenceHistoryKind = defineRecordKind<FenceHistoryRecord>('resources/fencing', fenceHistoryRecord as unknown as z.ZodType<FenceHistoryRecord>);
