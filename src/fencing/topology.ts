// Owns fencing topology and the fencing plan (pure: no I/O, no clock, no timers).
//
// A topology level says: to fence `target`, use all of these devices (every one must succeed).
// Levels are tried in ascending index (1..9) until one succeeds. A target without levels is
// fenced by every device able to fence it, one by one, by descending priority then id.
// Whether a device can fence a target follows its host check: static-list (pcmk_host_list or
// pcmk_host_map names it), dynamic-list or status (the shell supplies what the device answered
// to `list` or `status`), none (any target).
//
// Invariants of a plan: every device in a step can fence the target; topology steps come in
// ascending level index; a level is planned whole or skipped with a reason, never in part.

import { err, failure, ok, type Failure, type Result } from '../core/result.js';
import { parseDevice, portOf, type DeviceId, type DeviceSettings, type FenceDevice, type FenceDeviceConfig, type HostCheck } from './device.js';
import { fencingLimits } from './limits.js';

export interface TopologyLevel {
  readonly target: string;
  /** 1..9; lower is tried first. */
  readonly index: number;
  readonly devices: readonly DeviceId[];
}

/** What the planner needs of a device: its host check resolved (effectiveHostCheck) and lists. */
export interface DeviceTargeting {
  readonly id: DeviceId;
  readonly priority: number;
  readonly hostCheck: HostCheck;
  readonly settings: Pick<DeviceSettings, 'hostList' | 'hostMap'>;
  /** Set when the shell could not learn what the device needs (no metadata): it fences nothing. */
  readonly unavailableReason?: string;
}

/**
 * For dynamic-list and status devices, the names the device reported for this target: its
 * `list` entries (ports and aliases), or the port whose `status` answered on or off.
 */
export type DynamicTargets = ReadonlyMap<DeviceId, readonly string[]>;

export interface PlanStep {
  /** The topology level; absent when the target has no topology (one device per step). */
  readonly level?: number;
  readonly devices: readonly DeviceId[];
}

export interface SkippedStep extends PlanStep {
  readonly reason: string;
}

export interface FencePlan {
  readonly target: string;
  readonly steps: readonly PlanStep[];
  readonly skipped: readonly SkippedStep[];
}

/** Checks a topology: known devices, index in range, one level per index and target. */
export function validateTopology(levels: readonly TopologyLevel[], deviceIds: ReadonlySet<DeviceId>): Result<readonly TopologyLevel[], Failure> {
  if (levels.length > fencingLimits.topologyLevelsMax) {
    return err(failure('too_many_levels', `at most ${fencingLimits.topologyLevelsMax} topology levels`, 'topology'));
  }
  const seen = new Set<string>();
  for (const [position, level] of levels.entries()) {
    const field = `topology[${position}]`;
    const checked = checkLevel(level, field, deviceIds);
    if (!checked.ok) return checked;
    const key = `${level.target}\0${level.index}`;
    if (seen.has(key)) return err(failure('duplicate_level', `${level.target} has two levels with index ${level.index}`, `${field}.index`));
    seen.add(key);
  }
  return ok(levels);
}

function checkLevel(level: TopologyLevel, field: string, deviceIds: ReadonlySet<DeviceId>): Result<void, Failure> {
  if (level.target.length === 0) return err(failure('invalid_target', 'a level names its target node', `${field}.target`));
  const { levelIndexMin, levelIndexMax, levelDevicesMax } = fencingLimits;
  if (!Number.isInteger(level.index) || level.index < levelIndexMin || level.index > levelIndexMax) {
    return err(failure('invalid_level_index', `expected an integer from ${levelIndexMin} to ${levelIndexMax}, got ${level.index}`, `${field}.index`));
  }
  if (level.devices.length === 0 || level.devices.length > levelDevicesMax) {
    return err(failure('invalid_level_devices', `a level has 1 to ${levelDevicesMax} devices`, `${field}.devices`));
  }
  for (const [at, device] of level.devices.entries()) {
    if (!deviceIds.has(device)) return err(failure('unknown_device', `no fence device '${device}'`, `${field}.devices[${at}]`));
    if (level.devices.indexOf(device) !== at) return err(failure('duplicate_device', `'${device}' is twice in this level`, `${field}.devices[${at}]`));
  }
  return ok(undefined);
}

/** Whether a device can fence a target; with the reason when it cannot. */
export function canFence(device: DeviceTargeting, target: string, dynamic: DynamicTargets): { able: true } | { able: false; reason: string } {
  if (device.unavailableReason !== undefined) return { able: false, reason: `${device.id}: ${device.unavailableReason}` };
  switch (device.hostCheck) {
    case 'none':
      return { able: true };
    case 'static-list':
      if (device.settings.hostList.includes(target) || device.settings.hostMap.has(target)) return { able: true };
      return { able: false, reason: `${device.id}: ${target} is not in its pcmk_host_list or pcmk_host_map` };
    case 'dynamic-list':
    case 'status': {
      const names = dynamic.get(device.id);
      if (names === undefined) return { able: false, reason: `${device.id}: no ${device.hostCheck === 'status' ? 'status' : 'list'} answer for ${target}` };
      if (names.includes(portOf(device.settings, target)) || names.includes(target)) return { able: true };
      return { able: false, reason: `${device.id}: its ${device.hostCheck === 'status' ? 'status' : 'list'} answer does not include ${target}` };
    }
  }
}

/** The levels of one target, ascending by index. */
export function levelsOf(topology: readonly TopologyLevel[], target: string): readonly TopologyLevel[] {
  return topology.filter((level) => level.target === target).sort((a, b) => a.index - b.index);
}

/** Devices whose host check needs a `list` or `status` answer before planning for the target. */
export function devicesToQuery(target: string, devices: readonly DeviceTargeting[], topology: readonly TopologyLevel[]): readonly DeviceId[] {
  const levels = levelsOf(topology, target);
  const relevant = levels.length === 0 ? new Set(devices.map((d) => d.id)) : new Set(levels.flatMap((l) => l.devices));
  return devices
    .filter((d) => relevant.has(d.id) && d.unavailableReason === undefined && (d.hostCheck === 'dynamic-list' || d.hostCheck === 'status'))
    .map((d) => d.id);
}

/** The ordered steps that fence `target`, and the levels or devices that cannot, with reasons. */
export function planFencing(target: string, devices: readonly DeviceTargeting[], topology: readonly TopologyLevel[], dynamic: DynamicTargets = new Map()): FencePlan {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const steps: PlanStep[] = [];
  const skipped: SkippedStep[] = [];
  const levels = levelsOf(topology, target);
  for (const level of levels) {
    const reasons = level.devices.map((id) => {
      const device = byId.get(id);
      if (device === undefined) return `${id}: no such device`;
      const capability = canFence(device, target, dynamic);
      return capability.able ? undefined : capability.reason;
    }).filter((reason) => reason !== undefined);
    if (reasons.length === 0) steps.push({ level: level.index, devices: level.devices });
    else skipped.push({ level: level.index, devices: level.devices, reason: reasons.join('; ') });
  }
  if (levels.length > 0) return { target, steps, skipped };
  const ordered = [...devices].sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const device of ordered) {
    const capability = canFence(device, target, dynamic);
    if (capability.able) steps.push({ devices: [device.id] });
    else skipped.push({ devices: [device.id], reason: capability.reason });
  }
  return { target, steps, skipped };
}

export interface FencingConfig {
  readonly devices: readonly FenceDeviceConfig[];
  readonly topology: readonly TopologyLevel[];
}

export interface ParsedFencingConfig {
  readonly devices: ReadonlyMap<DeviceId, FenceDevice>;
  readonly topology: readonly TopologyLevel[];
}

function withPrefix(problem: Failure, prefix: string): Failure {
  return failure(problem.code, problem.message, problem.field === undefined ? prefix : `${prefix}.${problem.field}`);
}

/** Checks a whole fencing configuration: each device, unique ids, then the topology. */
export function parseFencingConfig(config: FencingConfig): Result<ParsedFencingConfig, Failure> {
  if (config.devices.length > fencingLimits.devicesMax) {
    return err(failure('too_many_devices', `at most ${fencingLimits.devicesMax} fence devices`, 'devices'));
  }
  const devices = new Map<DeviceId, FenceDevice>();
  for (const [position, deviceConfig] of config.devices.entries()) {
    const device = parseDevice(deviceConfig);
    if (!device.ok) return err(withPrefix(device.error, `devices[${position}]`));
    if (devices.has(device.value.id)) return err(failure('duplicate_device', `two devices are named '${device.value.id}'`, `devices[${position}].id`));
    devices.set(device.value.id, device.value);
  }
  const topology = validateTopology(config.topology, new Set(devices.keys()));
  return topology.ok ? ok({ devices, topology: topology.value }) : topology;
}
