// Owns lookups into a stored configuration that both the node side and the coordinator need:
// every primitive with the meta attributes it inherits from its group and clone (the agent
// sees them as OCF_RESKEY_CRM_meta_*), an operation's timeout by Pacemaker's precedence,
// cluster options read with their defaults, and the fence devices that can act. Pure.

import { parsePacemakerDurationMs } from '../core/duration.js';
import type { PrimitiveConfig, ResourceConfig } from './model.js';
import type { ResourceConfigRecord } from './records.js';

export interface PrimitiveEntry {
  readonly config: PrimitiveConfig;
  /** The clone's and group's meta, then the primitive's own (closest wins). */
  readonly meta: Readonly<Record<string, string>>;
  /** The top-level resource it belongs to. */
  readonly top: ResourceConfig;
}

export function primitivesOf(config: ResourceConfigRecord): PrimitiveEntry[] {
  return primitivesUnder(config.resources);
}

/** The primitives of resource trees, each once (a clone's child once: anonymous history ids). */
export function primitivesUnder(resources: readonly ResourceConfig[]): PrimitiveEntry[] {
  const out: PrimitiveEntry[] = [];
  const walk = (r: ResourceConfig, inherited: Readonly<Record<string, string>>, top: ResourceConfig): void => {
    if (r.kind === 'primitive') out.push({ config: r, meta: { ...inherited, ...r.meta }, top });
    else if (r.kind === 'group') for (const c of r.children) walk(c, { ...inherited, ...r.meta }, top);
    else walk(r.child, { ...inherited, ...r.meta }, top);
  };
  for (const r of resources) walk(r, {}, r);
  return out;
}

export const primitiveIds = (resources: readonly ResourceConfig[]): string[] => primitivesUnder(resources).map((p) => p.config.id);

export const defaultOperationTimeoutMs = 20_000;

/** The timeout of an action: its configured operation, else the operation defaults, else 20 s. */
export function timeoutOf(p: PrimitiveConfig, action: string, intervalMs: number, config: ResourceConfigRecord): number {
  const op = p.operations.find((o) => o.name === action && o.intervalMs === intervalMs && o.timeoutMs !== undefined)
    ?? (action === 'monitor' && intervalMs === 0 ? p.operations.find((o) => o.name === 'monitor' && o.timeoutMs !== undefined) : undefined);
  if (op?.timeoutMs !== undefined) return op.timeoutMs;
  const fallback = config.operationDefaults['timeout'];
  const parsed = fallback === undefined ? undefined : parsePacemakerDurationMs(fallback);
  return typeof parsed === 'number' && parsed > 0 ? parsed : defaultOperationTimeoutMs;
}

const isFalse = (v: string | undefined): boolean => v !== undefined && /^(false|no|off|n|0)$/i.test(v);

export function startFailureIsFatal(config: ResourceConfigRecord): boolean {
  return !isFalse(config.options['start-failure-is-fatal']);
}

/** The fence devices that can act: stonith primitives not disabled, when stonith-enabled is not false. */
export function activeFenceDevices(config: ResourceConfigRecord): PrimitiveConfig[] {
  if (isFalse(config.options['stonith-enabled'])) return [];
  return config.resources.filter((r): r is PrimitiveConfig => r.kind === 'primitive' && r.class === 'stonith' && r.meta['target-role'] !== 'Stopped');
}
