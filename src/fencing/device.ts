// Owns the fence device model (pure): a device's configuration (agent path, agent parameters
// and Pacemaker's pcmk_* properties), the parsing of those properties into DeviceSettings, and
// the agent input text built from them (fence-agents convention: `key=value` lines on stdin).
//
// Inputs: configuration as an operator wrote it. Outputs: FenceDevice values or a Failure
// naming the field (`params.<name>`). Invariants: a parsed device's parameter names and values
// are single lines without `=` in the name, so the input text cannot be made to carry extra
// arguments; pcmk_* properties are never sent to the agent.

import { assert, err, failure, ok, type Failure, type Result } from '../core/result.js';
import type { Random } from '../core/random.js';
import { fencingLimits } from './limits.js';
import { pacemakerDurationForm, parsePacemakerDurationMs } from '../core/duration.js';

/** A fence device's id, unique in the cluster's fencing configuration. */
export type DeviceId = string;

/** The actions of the fence-agents API. */
export type AgentAction = 'off' | 'on' | 'reboot' | 'status' | 'monitor' | 'list' | 'metadata';

/** Actions whose agent command and timeout a device may override (pcmk_<action>_action/_timeout). */
export const overridableActions = ['reboot', 'off', 'on', 'list', 'monitor', 'status'] as const;
export type OverridableAction = (typeof overridableActions)[number];

/** How the fencer learns which targets a device can fence (Pacemaker's pcmk_host_check). */
export type HostCheck = 'static-list' | 'dynamic-list' | 'status' | 'none';
const hostChecks: readonly HostCheck[] = ['static-list', 'dynamic-list', 'status', 'none'];

export interface FenceDeviceConfig {
  readonly id: DeviceId;
  /** Absolute path of the fence agent, e.g. /usr/sbin/fence_ipmilan. */
  readonly agent: string;
  /** Agent parameters plus pcmk_* device properties, as a Pacemaker stonith resource has them. */
  readonly params: Readonly<Record<string, string>>;
  /** Without a topology for the target, devices of higher priority are tried first. */
  readonly priority?: number;
}

export interface DeviceSettings {
  /** pcmk_host_list: targets this device can fence (static-list). */
  readonly hostList: readonly string[];
  /** pcmk_host_map: target -> port sent to the agent ("node1:1;node2:2,3"). */
  readonly hostMap: ReadonlyMap<string, string>;
  /** pcmk_host_check; undefined means "decide from the agent's metadata" (effectiveHostCheck). */
  readonly hostCheck: HostCheck | undefined;
  /** pcmk_host_argument: the agent parameter that carries the target ('none': no parameter). */
  readonly hostArgument: string | undefined;
  /** pcmk_<action>_action: the agent command run instead of <action>. */
  readonly actionNames: Readonly<Partial<Record<OverridableAction, string>>>;
  /** pcmk_<action>_timeout. */
  readonly timeoutsMs: Readonly<Partial<Record<OverridableAction, number>>>;
  /** pcmk_delay_base, either one value or per target ("node1:0s;node2:5s"; others get 0). */
  readonly delayBaseMs: number;
  readonly delayBaseMsByTarget: ReadonlyMap<string, number>;
  /** pcmk_delay_max: the delay is drawn from [base, max]. */
  readonly delayMaxMs: number;
}

export interface FenceDevice extends FenceDeviceConfig {
  readonly settings: DeviceSettings;
}

/** Parameters the fencer itself sets on every call; a device may not set them. */
const reservedParameters = new Set(['action', 'option', 'nodename']);
const parameterNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Pacemaker's time values: a number with an optional unit; seconds when none. */
export function parseDurationMs(text: string, field: string): Result<number, Failure> {
  const ms = parsePacemakerDurationMs(text);
  return ms === undefined ? err(failure('invalid_duration', `expected ${pacemakerDurationForm}, got '${text}'`, field)) : ok(ms);
}

/** pcmk_host_list: names separated by spaces, commas or semicolons. */
export function parseHostList(text: string): readonly string[] {
  return text.split(/[\s,;]+/).filter((name) => name.length > 0);
}

/**
 * pcmk_host_map: `target:port` (or `target=port`) pairs separated by `;`, spaces or tabs. A comma
 * is not a separator: "node2:2,3" sends port=2,3, which fence agents read as two plugs.
 */
export function parseHostMap(text: string, field: string): Result<ReadonlyMap<string, string>, Failure> {
  const map = new Map<string, string>();
  for (const pair of text.split(/[;\s]+/).filter((p) => p.length > 0)) {
    const at = pair.search(/[:=]/);
    if (at <= 0 || at === pair.length - 1) {
      return err(failure('invalid_host_map', `expected 'node1:port1;node2:port2', got the pair '${pair}'`, field));
    }
    map.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return ok(map);
}

function parseDelayBase(text: string, field: string): Result<{ all: number; byTarget: Map<string, number> }, Failure> {
  const byTarget = new Map<string, number>();
  if (!text.includes(':')) {
    const all = parseDurationMs(text, field);
    return all.ok ? ok({ all: all.value, byTarget }) : all;
  }
  const map = parseHostMap(text, field);
  if (!map.ok) return err(failure('invalid_delay', `expected a duration or 'node1:0s;node2:5s'`, field));
  for (const [target, durationText] of map.value) {
    const duration = parseDurationMs(durationText, field);
    if (!duration.ok) return duration;
    byTarget.set(target, duration.value);
  }
  return ok({ all: 0, byTarget });
}

function checkParameter(name: string, value: string): Result<void, Failure> {
  const field = `params.${name}`;
  if (!parameterNamePattern.test(name)) {
    return err(failure('invalid_parameter_name', 'a parameter name is letters, digits, _ . and -', field));
  }
  if (reservedParameters.has(name)) {
    return err(failure('reserved_parameter', `'${name}' is set by the fencer on every call; remove it`, field));
  }
  if (/[\r\n\0]/.test(value)) return err(failure('invalid_parameter_value', 'a value is one line', field));
  if (value.length > fencingLimits.parameterValueCharsMax) {
    return err(failure('invalid_parameter_value', `at most ${fencingLimits.parameterValueCharsMax} characters`, field));
  }
  return ok(undefined);
}

type MutableSettings = { -readonly [K in keyof DeviceSettings]: DeviceSettings[K] };

function emptySettings(): MutableSettings {
  return {
    hostList: [], hostMap: new Map(), hostCheck: undefined, hostArgument: undefined,
    actionNames: {}, timeoutsMs: {}, delayBaseMs: 0, delayBaseMsByTarget: new Map(), delayMaxMs: 0,
  };
}

/** Applies one pcmk_* property; properties Herd does not implement are accepted and ignored. */
function applyProperty(settings: MutableSettings, name: string, value: string): Result<void, Failure> {
  const field = `params.${name}`;
  const perAction = /^pcmk_(reboot|off|on|list|monitor|status)_(action|timeout)$/.exec(name);
  if (perAction !== null) return applyActionProperty(settings, perAction[1] as OverridableAction, perAction[2] === 'action', value, field);
  switch (name) {
    case 'pcmk_host_list':
      settings.hostList = parseHostList(value);
      return ok(undefined);
    case 'pcmk_host_map': {
      const map = parseHostMap(value, field);
      if (!map.ok) return map;
      settings.hostMap = map.value;
      return ok(undefined);
    }
    case 'pcmk_host_check':
      if (!hostChecks.includes(value as HostCheck)) return err(failure('invalid_host_check', `expected one of ${hostChecks.join(', ')}`, field));
      settings.hostCheck = value as HostCheck;
      return ok(undefined);
    case 'pcmk_host_argument':
      if (!parameterNamePattern.test(value)) return err(failure('invalid_host_argument', "expected a parameter name or 'none'", field));
      settings.hostArgument = value;
      return ok(undefined);
    case 'pcmk_delay_base':
    case 'pcmk_delay_max':
      return applyDelay(settings, name, value, field);
    default:
      return ok(undefined);
  }
}

function applyActionProperty(settings: MutableSettings, action: OverridableAction, isName: boolean, value: string, field: string): Result<void, Failure> {
  if (isName) {
    if (!/^[A-Za-z0-9_-]+$/.test(value)) return err(failure('invalid_action', 'expected an agent action name such as off', field));
    settings.actionNames = { ...settings.actionNames, [action]: value };
    return ok(undefined);
  }
  const timeout = parseDurationMs(value, field);
  if (!timeout.ok) return timeout;
  if (timeout.value <= 0 || timeout.value > fencingLimits.actionTimeoutMsMax) {
    return err(failure('invalid_timeout', `expected more than 0 and at most ${fencingLimits.actionTimeoutMsMax} ms`, field));
  }
  settings.timeoutsMs = { ...settings.timeoutsMs, [action]: timeout.value };
  return ok(undefined);
}

function applyDelay(settings: MutableSettings, name: 'pcmk_delay_base' | 'pcmk_delay_max', value: string, field: string): Result<void, Failure> {
  if (name === 'pcmk_delay_max') {
    const delay = parseDurationMs(value, field);
    if (!delay.ok) return delay;
    settings.delayMaxMs = delay.value;
  } else {
    const delay = parseDelayBase(value, field);
    if (!delay.ok) return delay;
    settings.delayBaseMs = delay.value.all;
    settings.delayBaseMsByTarget = delay.value.byTarget;
  }
  const largestMs = Math.max(settings.delayMaxMs, settings.delayBaseMs, ...settings.delayBaseMsByTarget.values());
  if (largestMs > fencingLimits.delayMsMax) return err(failure('invalid_delay', `at most ${fencingLimits.delayMsMax} ms`, field));
  return ok(undefined);
}

/** Checks a device's configuration and parses its pcmk_* properties. */
export function parseDevice(config: FenceDeviceConfig): Result<FenceDevice, Failure> {
  if (config.id.length === 0 || /[\s\0]/.test(config.id)) return err(failure('invalid_device_id', 'a device id is non-empty, without spaces', 'id'));
  if (!config.agent.startsWith('/') || /[\r\n\0]/.test(config.agent)) {
    return err(failure('invalid_agent', 'expected the absolute path of a fence agent, e.g. /usr/sbin/fence_ipmilan', 'agent'));
  }
  if (config.priority !== undefined && !Number.isSafeInteger(config.priority)) return err(failure('invalid_priority', 'expected an integer', 'priority'));
  const entries = Object.entries(config.params);
  if (entries.length > fencingLimits.deviceParametersMax) {
    return err(failure('too_many_parameters', `at most ${fencingLimits.deviceParametersMax} parameters`, 'params'));
  }
  const settings = emptySettings();
  for (const [name, value] of entries) {
    const checked = checkParameter(name, value);
    if (!checked.ok) return checked;
    if (!name.startsWith('pcmk_')) continue;
    const applied = applyProperty(settings, name, value);
    if (!applied.ok) return applied;
  }
  return ok({ ...config, settings });
}

/** Pacemaker's default: static-list with a list or map, else dynamic-list, status, none by support. */
export function effectiveHostCheck(settings: DeviceSettings, agentActions: readonly string[]): HostCheck {
  if (settings.hostCheck !== undefined) return settings.hostCheck;
  if (settings.hostList.length > 0 || settings.hostMap.size > 0) return 'static-list';
  if (agentActions.includes(settings.actionNames.list ?? 'list')) return 'dynamic-list';
  if (agentActions.includes(settings.actionNames.status ?? 'status')) return 'status';
  return 'none';
}

/**
 * The agent parameter carrying the target: pcmk_host_argument, else `port` or `plug` as the
 * metadata declares them, else none. Without metadata, `port` (what most agents take).
 */
export function targetArgumentOf(settings: DeviceSettings, declaredParameters: readonly string[] | undefined): string | undefined {
  if (settings.hostArgument !== undefined) return settings.hostArgument === 'none' ? undefined : settings.hostArgument;
  if (declaredParameters === undefined || declaredParameters.includes('port')) return 'port';
  return declaredParameters.includes('plug') ? 'plug' : undefined;
}

/** The port that names a target on the device: its pcmk_host_map entry, else its name. */
export function portOf(settings: Pick<DeviceSettings, 'hostMap'>, target: string): string {
  return settings.hostMap.get(target) ?? target;
}

/** The agent command run for an action, after pcmk_<action>_action. */
export function agentActionName(settings: DeviceSettings, action: AgentAction): string {
  return action === 'metadata' ? action : (settings.actionNames[action] ?? action);
}

export function actionTimeoutMs(settings: DeviceSettings, action: AgentAction, defaultMs: number): number {
  return action === 'metadata' ? fencingLimits.metadataTimeoutMs : (settings.timeoutsMs[action] ?? defaultMs);
}

/** The fencing delay before acting on a target: base plus a random part up to pcmk_delay_max. */
export function fencingDelayMs(settings: DeviceSettings, target: string, random: Random): number {
  const baseMs = settings.delayBaseMsByTarget.get(target) ?? settings.delayBaseMs;
  const maxMs = Math.max(baseMs, settings.delayMaxMs);
  const delayMs = baseMs + Math.floor(random.next() * (maxMs - baseMs + 1));
  assert(delayMs >= baseMs && delayMs <= maxMs, `delay ${delayMs} outside [${baseMs}, ${maxMs}]`);
  return delayMs;
}

export interface AgentInputRequest {
  readonly action: AgentAction;
  /** The node to act on; absent for monitor, list and metadata. */
  readonly target?: string;
  /** From targetArgumentOf; absent: the target goes only in `nodename`. */
  readonly targetArgument?: string;
}

/**
 * The agent's stdin: device parameters (no pcmk_*), then action, nodename and the target
 * argument last, since agents take the last value of a repeated key. A device that sets the
 * target argument itself (a one-outlet device: port=3) keeps its value.
 */
export function agentInput(device: FenceDevice, request: AgentInputRequest): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(device.params)) {
    assert(!/[\r\n]/.test(value) && !name.includes('='), `parameter ${name} was not checked by parseDevice`);
    if (!name.startsWith('pcmk_')) lines.push(`${name}=${value}`);
  }
  lines.push(`action=${agentActionName(device.settings, request.action)}`);
  if (request.target !== undefined) {
    assert(!/[\r\n=]/.test(request.target), 'a target name is checked before it reaches the agent input');
    lines.push(`nodename=${request.target}`);
    const argument = request.targetArgument;
    if (argument !== undefined && device.params[argument] === undefined) lines.push(`${argument}=${portOf(device.settings, request.target)}`);
  }
  return `${lines.join('\n')}\n`;
}
