// Owns the resource manager's peer messages: the coordinator asks a node's executor to run one
// action on one resource (`resource-action`), and the node answers with the operation's
// result. Requests carry the coordinator's fencing token; a node refuses a request from any
// coordinator but the current one. Validated on arrival like every wire message.

import { z } from 'zod';

export const resourceActionMethod = 'resource-action';

const strings = z.record(z.string().max(256), z.string().max(4096));

export const resourceActionRequest = z.strictObject({
  /** The fencing token of the coordinator that sends it. */
  token: z.number().int(),
  /** The id the executor and the history know the resource by (anonymous clone instances share it). */
  resource: z.string().min(1).max(256),
  class: z.string().min(1).max(32),
  provider: z.string().max(64).optional(),
  type: z.string().min(1).max(256),
  action: z.enum(['start', 'stop', 'promote', 'demote', 'migrate_to', 'migrate_from', 'monitor', 'notify']),
  intervalMs: z.number().int().min(0),
  timeoutMs: z.number().int().min(1).max(24 * 3600 * 1000),
  params: strings,
  meta: strings,
  /** Meta attributes of this call only: a notification's notify_* variables. */
  extraMeta: strings.optional(),
});
export type ResourceActionRequest = z.infer<typeof resourceActionRequest>;

export interface ResourceActionReply {
  readonly rc: number;
  readonly status: string;
  /** The result is what the action was asked to achieve. */
  readonly ok: boolean;
  readonly exitReason?: string;
  readonly callId: number;
  /** The store revision at which the node's history holds this result. */
  readonly revision: number;
}
