// Owns what the resource, constraint and fencing routes share: reading the configuration record,
// editing it with one revision-checked read-modify-write (a refused edit writes nothing) and an
// admin event, the live state from this node's resource services, and checking an agent and its
// parameters against the agent's meta-data (fence agents through the fencer's own rules).

import { err, failure, ok, type Failure, type Result } from '../../core/result.js';
import { recordEvent } from '../../store/events.js';
import { configId, emptyConfig, resourceConfigKind, type ResourceConfigRecord } from '../../resources/records.js';
import { resourceStates, type ClusterResourceState } from '../../resources/state.js';
import { agentText, type AgentName, type OperationSpec } from '../../resources/resource-spec.js';
import { validateParameters, type AgentMetadata } from '../../resources/executor/index.js';
import { parseDevice, validateDeviceParameters, type AgentMetadata as FenceAgentMetadata } from '../../fencing/index.js';
import type { Principal } from '../auth.js';
import type { ApiContext } from '../context.js';
import type { operationBody } from '../types.js';
import type { z } from 'zod';

/** A store or record failure, without the record layer's extra fields. */
export const asFailure = (f: Failure): Failure => (f.field === undefined ? { code: f.code, message: f.message } : { code: f.code, message: f.message, field: f.field });

export async function readConfig(ctx: ApiContext): Promise<Result<{ config: ResourceConfigRecord; revision: number }, Failure>> {
  const r = await ctx.records.get(resourceConfigKind, configId);
  if (!r.ok) return err(asFailure(r.error));
  return ok(r.value === undefined ? { config: emptyConfig(), revision: 0 } : { config: r.value.value, revision: r.value.modRevision });
}

/**
 * Applies `change` to the current configuration with a revision check (retried on conflict,
 * bounded, by Records.update). `extra` is what the last, successful attempt reported.
 */
export async function editConfig<X>(
  ctx: ApiContext,
  principal: Principal | undefined,
  describe: (extra: X) => string,
  change: (config: ResourceConfigRecord) => Result<{ config: ResourceConfigRecord; extra: X }, Failure>,
): Promise<Result<{ revision: number; extra: X; message: string }, Failure>> {
  let extra: X | undefined;
  const r = await ctx.records.update(resourceConfigKind, configId, (current) => {
    const next = change(current ?? emptyConfig());
    if (!next.ok) return next;
    extra = next.value.extra;
    return ok(next.value.config);
  });
  if (!r.ok) return err(asFailure(r.error));
  const message = describe(extra as X);
  await recordEvent(ctx.records, { atMs: ctx.clock.nowMs(), node: ctx.self, kind: 'admin', severity: 'info', subject: 'resources', message: `${principal?.user ?? '?'}: ${message}` });
  return ok({ revision: r.value.revision, extra: extra as X, message });
}

/** A plain edit (no extra result) in the form editConfig takes. */
export const plain = (r: Result<ResourceConfigRecord, Failure>): Result<{ config: ResourceConfigRecord; extra: undefined }, Failure> =>
  r.ok ? ok({ config: r.value, extra: undefined }) : r;

/** The live state, or null with the reason as a warning (the resource manager may not run here yet). */
export async function liveState(ctx: ApiContext): Promise<{ state: ClusterResourceState | null; warnings: string[] }> {
  try {
    const snapshot = await ctx.resources.snapshot();
    if (!snapshot.ok) return { state: null, warnings: [`live resource state unavailable: ${snapshot.error.message}`] };
    const state = resourceStates(snapshot.value);
    const warnings = state.unready.length > 0 ? [`nodes still probing resources: ${state.unready.join(', ')}`] : [];
    return { state, warnings };
  } catch (e) {
    // ctx.resources is supplied by the daemon; until it runs, the configuration is still served.
    return { state: null, warnings: [`live resource state unavailable on ${ctx.self}: ${(e as Error).message}`] };
  }
}

/** An agent's meta-data: a fence agent's (the fencer's reading) or a resource agent's (the executor's). */
export type AgentInfo =
  | { readonly fence: true; readonly metadata: FenceAgentMetadata }
  | { readonly fence: false; readonly metadata: AgentMetadata };

/** Reads an agent's meta-data on this node; any failure is the `agent` field's. */
export async function agentMetadata(ctx: ApiContext, agent: AgentName): Promise<Result<AgentInfo, Failure>> {
  let r: Result<AgentInfo, Failure>;
  try {
    if (agent.class === 'stonith') {
      const m = await ctx.resources.fenceAgentMetadata(agent.type);
      r = m.ok ? ok({ fence: true, metadata: m.value }) : m;
    } else {
      const m = await ctx.resources.metadata(agent.class, agent.provider, agent.type);
      r = m.ok ? ok({ fence: false, metadata: m.value }) : m;
    }
  } catch (e) {
    r = err(failure('unavailable', `the resource manager does not answer on ${ctx.self}: ${(e as Error).message}`));
  }
  if (r.ok) return r;
  return err(failure('invalid', `agent ${agentText(agent)} is not usable on ${ctx.self}: ${r.error.message}`, 'agent'));
}

/** Checks parameters against meta-data: fence devices by the fencer's rules, others by the executor's. */
export function checkParameters(info: AgentInfo, id: string, params: Readonly<Record<string, string>>): Result<void, Failure> {
  const asInvalid = (f: Failure): Failure => failure('invalid', f.field !== undefined && !f.message.includes(f.field) ? `${f.field}: ${f.message}` : f.message, f.field ?? 'params');
  if (info.fence) {
    const checked = validateDeviceParameters(info.metadata, params);
    if (!checked.ok) return err(asInvalid(checked.error));
    const device = parseDevice({ id, agent: `/usr/sbin/${info.metadata.name || 'fence_agent'}`, params });
    return device.ok ? ok(undefined) : err(asInvalid(device.error));
  }
  const checked = validateParameters(info.metadata, params);
  if (checked.ok) return ok(undefined);
  const [first] = checked.error;
  const rest = checked.error.length > 1 ? ` (and ${checked.error.length - 1} more: ${checked.error.slice(1).map((f) => f.field).join(', ')})` : '';
  return err(first ? failure('invalid', `${asInvalid(first).message}${rest}`, first.field ?? 'params') : failure('invalid', 'invalid parameters', 'params'));
}

/** An operation from a request body, without zod's undefined optionals. */
export function operationSpec(o: z.infer<typeof operationBody>): OperationSpec {
  return {
    name: o.name, intervalMs: o.intervalMs, enabled: o.enabled, meta: o.meta,
    ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
    ...(o.role === undefined ? {} : { role: o.role }),
    ...(o.onFail === undefined ? {} : { onFail: o.onFail }),
  };
}

export const userOf = (p: Principal | undefined): string => p?.user ?? '?';
