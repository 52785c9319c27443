// Owns the record kinds of node membership: the node registry (written at init/join, changed
// by operators), each node's lease-bound alive key, its clean-stop marker, and the states the
// coordinator decides. Schemas are strict: unknown keys are refused.

import { z } from 'zod';
import { defineRecordKind, viewFolder } from '../store/records.js';
import { nodeStates } from './detector.js';
import { hostPort, nodeName } from '../core/config.js';

export const labelKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/, 'must be 1-63 letters, digits, ".", "_", "/" or "-"');
export const labelValue = z.string().max(253);

export const nodeRecord = z.strictObject({
  name: nodeName,
  role: z.enum(['voter', 'worker']),
  apiAddress: hostPort,
  peerAddress: hostPort,
  /** etcd client and peer URLs (voters only). */
  etcdClientUrl: z.string().optional(),
  etcdPeerUrl: z.string().optional(),
  certFingerprint: z.string(),
  labels: z.record(labelKey, labelValue),
  standby: z.boolean(),
  maintenance: z.boolean(),
  left: z.boolean(),
  joinedAtMs: z.number(),
});
export type NodeRecord = z.infer<typeof nodeRecord>;
export const nodes = defineRecordKind(`${viewFolder}/nodes`, nodeRecord);

export const aliveRecord = z.strictObject({
  incarnation: z.string(),
  pid: z.number().int(),
  startedAtMs: z.number(),
  version: z.string(),
});
export type AliveRecord = z.infer<typeof aliveRecord>;
export const alive = defineRecordKind(`${viewFolder}/alive`, aliveRecord);

export const stoppedRecord = z.strictObject({ incarnation: z.string(), atMs: z.number() });
export const stopped = defineRecordKind(`${viewFolder}/stopped`, stoppedRecord);

export const nodeStatusRecord = z.strictObject({
  state: z.enum(nodeStates),
  reason: z.string(),
  sinceMs: z.number(),
  /** Fencing token of the coordinator that decided it. */
  decidedBy: z.number(),
});
export type NodeStatusRecord = z.infer<typeof nodeStatusRecord>;
export const nodeStatus = defineRecordKind(`${viewFolder}/node-status`, nodeStatusRecord);
