// Owns the operator's short forms for resources, shared by the CLI and the API: an agent name
// (`ocf:heartbeat:Dummy`, `systemd:nginx`, `exec:NAME`, `stonith:fence_dummy`), an operation
// (`monitor interval=10s timeout=20s on-fail=restart role=Promoted`), `key=value` lists, scores
// and roles; the ids Herd gives operations; and the default monitor operations taken from an
// agent's meta-data, as pcs does. Pure: text in, Result out; every failure names its field and
// the expected form.

import { err, failure, ok, type Failure, type Result } from '../core/result.js';
import { pacemakerDurationForm, parsePacemakerDurationMs } from '../core/duration.js';
import type { ActionSpec } from './executor/index.js';
import type { OnFail, OperationConfig, ResourceRole } from './model.js';
import { parseScore } from './score.js';

export const resourceClasses = ['ocf', 'systemd', 'exec', 'stonith'] as const;
export type ResourceClass = (typeof resourceClasses)[number];

export interface AgentName {
  readonly class: ResourceClass;
  readonly provider?: string;
  readonly type: string;
}

export const agentForm = 'CLASS:PROVIDER:TYPE for ocf (ocf:heartbeat:Dummy), or systemd:UNIT, exec:NAME, stonith:AGENT';

const agentPart = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,127}$/;

/** Parses an agent name; `field` names it in failures. */
export function parseAgent(text: string, field = 'agent'): Result<AgentName, Failure<'invalid'>> {
  const parts = text.split(':');
  const bad = (why: string): Result<AgentName, Failure<'invalid'>> => err(failure('invalid', `${field} "${text}": ${why}; expected ${agentForm}`, field));
  const cls = parts[0] ?? '';
  if (!(resourceClasses as readonly string[]).includes(cls)) return bad(`class "${cls}" is not one of ${resourceClasses.join(', ')}`);
  if (cls === 'ocf') {
    if (parts.length !== 3) return bad('an ocf agent names its provider and type');
    const [, provider = '', type = ''] = parts;
    if (!agentPart.test(provider) || !agentPart.test(type)) return bad('provider and type must be letters, digits, "_", ".", "-"');
    return ok({ class: 'ocf', provider, type });
  }
  if (parts.length !== 2) return bad(`a ${cls} agent has no provider`);
  const type = parts[1] ?? '';
  if (!agentPart.test(type)) return bad('the type must be letters, digits, "_", ".", "@", "+", "-"');
  return ok({ class: cls as ResourceClass, type });
}

export function agentText(a: { readonly class: string; readonly provider?: string | undefined; readonly type: string }): string {
  return a.provider === undefined ? `${a.class}:${a.type}` : `${a.class}:${a.provider}:${a.type}`;
}

/** Parses `key=value` words into attributes; a repeated key is refused. */
export function parseKeyValues(words: readonly string[], field: string): Result<Record<string, string>, Failure<'invalid'>> {
  const out: Record<string, string> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) return err(failure('invalid', `${field}: "${word}" must be key=value`, field));
    const key = word.slice(0, eq);
    if (Object.hasOwn(out, key)) return err(failure('invalid', `${field}: ${key} is given twice`, `${field}.${key}`));
    out[key] = word.slice(eq + 1);
  }
  return ok(out);
}

const roles: Readonly<Record<string, ResourceRole>> = {
  started: 'Started', stopped: 'Stopped', unpromoted: 'Unpromoted', slave: 'Unpromoted', promoted: 'Promoted', master: 'Promoted',
};
export const roleForm = 'Started, Stopped, Promoted or Unpromoted';

export function parseRole(text: string, field: string): Result<ResourceRole, Failure<'invalid'>> {
  const role = roles[text.trim().toLowerCase()];
  return role === undefined ? err(failure('invalid', `${field} "${text}" must be ${roleForm}`, field)) : ok(role);
}

export const scoreForm = 'an integer, INFINITY or -INFINITY';

export function parseScoreText(text: string, field: string): Result<number, Failure<'invalid'>> {
  const score = parseScore(text);
  return score === undefined ? err(failure('invalid', `${field} "${text}" must be ${scoreForm}`, field)) : ok(score);
}

export function parseDuration(text: string, field: string): Result<number, Failure<'invalid'>> {
  const ms = parsePacemakerDurationMs(text);
  return ms === undefined ? err(failure('invalid', `${field} "${text}" must be ${pacemakerDurationForm}`, field)) : ok(ms);
}

export const onFailValues: readonly OnFail[] = ['ignore', 'block', 'stop', 'restart', 'standby', 'fence', 'demote'];
export const operationForm = '"NAME [interval=DURATION] [timeout=DURATION] [role=ROLE] [on-fail=ACTION] [enabled=true|false]"';

/** An operation as the operator writes it, before it has an id. */
export type OperationSpec = Omit<OperationConfig, 'id'>;

/** Parses `monitor interval=10s timeout=20s on-fail=restart`; other keys become the operation's meta. */
export function parseOperation(text: string, field = 'op'): Result<OperationSpec, Failure<'invalid'>> {
  const [name = '', ...rest] = text.trim().split(/\s+/);
  if (!/^[a-z][a-z0-9_-]{0,63}$/.test(name)) return err(failure('invalid', `${field} "${text}": expected ${operationForm}`, field));
  const pairs = parseKeyValues(rest, field);
  if (!pairs.ok) return err(failure('invalid', `${pairs.error.message}; expected ${operationForm}`, field));
  let intervalMs = 0;
  let timeoutMs: number | undefined;
  let role: ResourceRole | undefined;
  let onFail: OnFail | undefined;
  let enabled = true;
  const meta: Record<string, string> = {};
  for (const [key, value] of Object.entries(pairs.value)) {
    const at = `${field}.${key}`;
    if (key === 'interval' || key === 'timeout') {
      const ms = parseDuration(value, at);
      if (!ms.ok) return ms;
      if (key === 'interval') intervalMs = ms.value;
      else timeoutMs = ms.value;
    } else if (key === 'role') {
      const r = parseRole(value, at);
      if (!r.ok) return r;
      role = r.value;
    } else if (key === 'on-fail') {
      if (!(onFailValues as readonly string[]).includes(value)) return err(failure('invalid', `${at} "${value}" must be one of ${onFailValues.join(', ')}`, at));
      onFail = value as OnFail;
    } else if (key === 'enabled') {
      if (!/^(true|false)$/.test(value)) return err(failure('invalid', `${at} "${value}" must be true or false`, at));
      enabled = value === 'true';
    } else meta[key] = value;
  }
  return ok({
    name, intervalMs, enabled, meta,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(role === undefined ? {} : { role }),
    ...(onFail === undefined ? {} : { onFail }),
  });
}

/** pcs's operation ids: `<rsc>-<name>-interval-<seconds>s`, made unique with a counter. */
export function withOperationIds(resourceId: string, specs: readonly OperationSpec[]): OperationConfig[] {
  const used = new Set<string>();
  return specs.map((s) => {
    const base = `${resourceId}-${s.name}-interval-${Math.round(s.intervalMs / 1000)}s`;
    let id = base;
    for (let n = 1; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return { id, ...s };
  });
}

/** Pacemaker's and pcs's default monitor interval when an agent suggests none. */
export const defaultMonitorIntervalMs = 60_000;
const defaultMonitorTimeoutMs = 20_000;

/**
 * The monitor operations pcs adds when none is given: the agent's meta-data monitor actions
 * (one per role for a promotable clone, with different intervals), else every 60 s.
 */
export function defaultMonitors(actions: readonly ActionSpec[], promotable: boolean): OperationSpec[] {
  const monitors = actions.filter((a) => a.name === 'monitor');
  const op = (intervalMs: number, timeoutMs: number | undefined, role?: ResourceRole): OperationSpec => ({
    name: 'monitor', intervalMs, enabled: true, meta: {}, timeoutMs: timeoutMs ?? defaultMonitorTimeoutMs, ...(role === undefined ? {} : { role }),
  });
  const plain = monitors.find((a) => a.role === undefined) ?? monitors[0];
  const intervalMs = plain?.intervalMs !== undefined && plain.intervalMs > 0 ? plain.intervalMs : defaultMonitorIntervalMs;
  if (!promotable) return [op(intervalMs, plain?.timeoutMs)];
  const byRole = (r: ResourceRole): ActionSpec | undefined => monitors.find((a) => a.role !== undefined && roles[a.role.toLowerCase()] === r);
  const promoted = byRole('Promoted');
  const unpromoted = byRole('Unpromoted');
  const promotedMs = promoted?.intervalMs ?? intervalMs;
  let unpromotedMs = unpromoted?.intervalMs ?? promotedMs + 1000;
  // Two monitors with one interval would be one operation to Pacemaker: keep them apart.
  if (unpromotedMs === promotedMs) unpromotedMs += 1000;
  return [op(promotedMs, promoted?.timeoutMs ?? plain?.timeoutMs, 'Promoted'), op(unpromotedMs, unpromoted?.timeoutMs ?? plain?.timeoutMs, 'Unpromoted')];
}
