// Owns carrying out fencing (shell): fence(target, action) plans with topology.ts, runs the plan
// through agent.ts step by step until one step succeeds, and hands the outcome to onHistory as
// one FenceHistoryRecord. Also device status (`monitor`), target power status, `list` and
// metadata of a configured device.
//
// Rules, after Pacemaker's fencer:
// - Each device runs one agent action at a time (pcmk_action_limit=1); fencing delays
//   (pcmk_delay_base/max) are waited before off and reboot, outside that slot.
// - reboot through one device that declares no reboot action, or through a level of several
//   devices, is off on every device, then on on every device. Once every off succeeded the
//   target is fenced; a failing on is recorded but does not undo that.
// - Identical requests in flight (same target and action) share one operation and one record.
// - Agent metadata is read once per agent path (successes cached); a device whose metadata
//   cannot be read fences nothing, since its target argument and actions are unknown.
//
// A rejection from onHistory propagates out of fence(): the fencing happened, its record was
// not saved, and the caller must know.

import type { Random } from '../core/random.js';
import { assert, err, failure, ok, type Failure, type Result } from '../core/result.js';
import {
  fenceThroughDevice, listDevice, monitorDevice, readMetadata, targetPowerStatus,
  type AgentEnvironment, type AgentFailure,
} from './agent.js';
import { effectiveHostCheck, fencingDelayMs, portOf, type DeviceId, type FenceDevice } from './device.js';
import { fencingLimits } from './limits.js';
import { validateDeviceParameters, type AgentMetadata, type ListEntry } from './metadata.js';
import {
  devicesToQuery, levelsOf, parseFencingConfig, planFencing,
  type DeviceTargeting, type FencePlan, type FencingConfig, type PlanStep, type TopologyLevel,
} from './topology.js';

export type FenceAction = 'reboot' | 'off' | 'on';

export interface FenceAttempt {
  readonly device: DeviceId;
  /** The fencing action asked of the device (the agent may run another: pcmk_<action>_action). */
  readonly action: FenceAction;
  readonly level?: number;
  /** The agent's exit code; null when it did not exit on its own or never ran. */
  readonly rc: number | null;
  readonly reason: string;
  readonly delayMs: number;
  readonly startedAtMs: number;
  readonly completedAtMs: number;
}

export interface FenceHistoryRecord {
  readonly target: string;
  readonly action: FenceAction;
  readonly state: 'done' | 'failed';
  /** The device that fenced the target, when one device did it alone. */
  readonly device?: DeviceId;
  /** Every device of the step that fenced the target; empty when fencing failed. */
  readonly devices: readonly DeviceId[];
  readonly level?: number;
  readonly startedAtMs: number;
  readonly completedAtMs: number;
  readonly attempts: readonly FenceAttempt[];
  readonly reason: string;
  readonly requestedBy?: string;
}

export interface FenceOptions {
  /** Who asked (a node, an operator), kept in the record. */
  readonly requestedBy?: string;
}

export interface FencerEnvironment extends AgentEnvironment {
  readonly random: Random;
  readonly onHistory?: (record: FenceHistoryRecord) => void | Promise<void>;
}

const targetPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkTarget(target: string): Result<void, Failure> {
  if (target.length > fencingLimits.targetNameCharsMax || !targetPattern.test(target)) {
    return err(failure('invalid_target', `a target is a node name (letters, digits, . _ -, at most ${fencingLimits.targetNameCharsMax})`, 'target'));
  }
  return ok(undefined);
}

/** Checks the configuration and builds a fencer; no agent runs until it is used. */
export function createFencer(config: FencingConfig, environment: FencerEnvironment): Result<Fencer, Failure> {
  const parsed = parseFencingConfig(config);
  return parsed.ok ? ok(new Fencer(parsed.value.devices, parsed.value.topology, environment)) : parsed;
}

export class Fencer {
  private readonly metadataByAgent = new Map<string, Promise<Result<AgentMetadata, AgentFailure>>>();
  private readonly listCache = new Map<DeviceId, { readonly atMs: number; readonly names: readonly string[] }>();
  private readonly inFlight = new Map<string, Promise<FenceHistoryRecord>>();
  private readonly deviceSlots = new Map<DeviceId, Promise<void>>();

  constructor(
    private readonly devices: ReadonlyMap<DeviceId, FenceDevice>,
    private readonly topology: readonly TopologyLevel[],
    private readonly environment: FencerEnvironment,
  ) {}

  /** Fences a target; a failed fencing is an ok record with state 'failed'. */
  async fence(target: string, action: FenceAction, options: FenceOptions = {}): Promise<Result<FenceHistoryRecord, Failure>> {
    const checked = checkTarget(target);
    if (!checked.ok) return checked;
    const key = `${action}\0${target}`;
    const running = this.inFlight.get(key);
    if (running !== undefined) return ok(await running);
    if (this.inFlight.size >= fencingLimits.operationsInFlightMax) {
      return err(failure('too_many_operations', `${fencingLimits.operationsInFlightMax} fencing operations are in flight; retry later`));
    }
    const operation = this.runOperation(target, action, options);
    this.inFlight.set(key, operation);
    try {
      return ok(await operation);
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** The plan fence() would follow now, after asking dynamic-list and status devices. */
  async plan(target: string): Promise<Result<FencePlan, Failure>> {
    const checked = checkTarget(target);
    if (!checked.ok) return checked;
    const levels = levelsOf(this.topology, target);
    const ids = levels.length === 0 ? [...this.devices.keys()] : [...new Set(levels.flatMap((l) => l.devices))];
    const targeting = await Promise.all(ids.map((id) => this.targetingOf(this.deviceOf(id))));
    const dynamic = new Map<DeviceId, readonly string[]>();
    await Promise.all(devicesToQuery(target, targeting, this.topology).map(async (id) => {
      const names = await this.dynamicNames(this.deviceOf(id), target, targeting);
      if (names !== undefined) dynamic.set(id, names);
    }));
    return ok(planFencing(target, targeting, this.topology, dynamic));
  }

  /** Whether a device works: its agent's `monitor`. */
  deviceStatus(deviceId: DeviceId): Promise<Result<void, Failure>> {
    return this.withKnownDevice(deviceId, async (device, metadata) => monitorDevice(device, metadata, this.environment));
  }

  /** A target's power state as one device sees it: its agent's `status`. */
  targetStatus(deviceId: DeviceId, target: string): Promise<Result<'on' | 'off', Failure>> {
    const checked = checkTarget(target);
    if (!checked.ok) return Promise.resolve(checked);
    return this.withKnownDevice(deviceId, async (device, metadata) => targetPowerStatus(device, target, metadata, this.environment));
  }

  /** The ports and aliases a device reports: its agent's `list`. */
  list(deviceId: DeviceId): Promise<Result<readonly ListEntry[], Failure>> {
    return this.withKnownDevice(deviceId, async (device, metadata) => listDevice(device, metadata, this.environment));
  }

  async metadata(deviceId: DeviceId): Promise<Result<AgentMetadata, Failure>> {
    const device = this.devices.get(deviceId);
    if (device === undefined) return err(failure('unknown_device', `no fence device '${deviceId}'`, 'device'));
    return this.metadataOf(device);
  }

  /** Checks a device's parameters against its agent's metadata. */
  async validateDevice(deviceId: DeviceId): Promise<Result<void, Failure>> {
    const metadata = await this.metadata(deviceId);
    return metadata.ok ? validateDeviceParameters(metadata.value, this.deviceOf(deviceId).params) : metadata;
  }

  private async runOperation(target: string, action: FenceAction, options: FenceOptions): Promise<FenceHistoryRecord> {
    const startedAtMs = this.environment.clock.nowMs();
    const planned = await this.plan(target);
    assert(planned.ok, 'fence() checked the target before planning');
    const attempts: FenceAttempt[] = [];
    const delayed = new Set<DeviceId>();
    let fencedBy: PlanStep | undefined;
    for (const step of planned.value.steps) {
      if (await this.executeStep(step, target, action, { attempts, delayed })) {
        fencedBy = step;
        break;
      }
    }
    const record = historyRecord({ target, action, options, startedAtMs, completedAtMs: this.environment.clock.nowMs(), attempts, plan: planned.value, fencedBy });
    await this.environment.onHistory?.(record);
    return record;
  }

  private async executeStep(step: PlanStep, target: string, action: FenceAction, operation: Operation): Promise<boolean> {
    const devices = step.devices.map((id) => this.deviceOf(id));
    const only = devices.length === 1 ? devices[0] : undefined;
    if (action !== 'reboot' || (only !== undefined && (await this.supportsReboot(only)))) {
      return this.allSucceed(devices, action, step, target, operation);
    }
    if (!(await this.allSucceed(devices, 'off', step, target, operation))) return false;
    for (const device of devices) await this.attempt(device, 'on', step, target, operation);
    return true;
  }

  private async allSucceed(devices: readonly FenceDevice[], action: FenceAction, step: PlanStep, target: string, operation: Operation): Promise<boolean> {
    for (const device of devices) {
      if (!(await this.attempt(device, action, step, target, operation))) return false;
    }
    return true;
  }

  private async attempt(device: FenceDevice, action: FenceAction, step: PlanStep, target: string, operation: Operation): Promise<boolean> {
    let delayMs = 0;
    if (action !== 'on' && !operation.delayed.has(device.id)) {
      operation.delayed.add(device.id);
      delayMs = fencingDelayMs(device.settings, target, this.environment.random);
      if (delayMs > 0) await new Promise<void>((resolve) => this.environment.timers.setTimeout(resolve, delayMs));
    }
    const startedAtMs = this.environment.clock.nowMs();
    const metadata = await this.metadataOf(device);
    const result = metadata.ok ? await this.inSlot(device.id, () => fenceThroughDevice(device, action, target, metadata.value, this.environment)) : metadata;
    operation.attempts.push({
      device: device.id,
      action,
      ...(step.level === undefined ? {} : { level: step.level }),
      rc: result.ok ? result.value.rc : result.error.rc,
      reason: result.ok ? 'ok' : result.error.message,
      delayMs,
      startedAtMs,
      completedAtMs: this.environment.clock.nowMs(),
    });
    return result.ok;
  }

  private async supportsReboot(device: FenceDevice): Promise<boolean> {
    if (device.settings.actionNames.reboot !== undefined) return true;
    const metadata = await this.metadataOf(device);
    return metadata.ok && metadata.value.actions.includes('reboot');
  }

  private async targetingOf(device: FenceDevice): Promise<DeviceTargeting> {
    const metadata = await this.metadataOf(device);
    const base = { id: device.id, priority: device.priority ?? 0, settings: device.settings };
    if (!metadata.ok) return { ...base, hostCheck: device.settings.hostCheck ?? 'none', unavailableReason: `metadata: ${metadata.error.message}` };
    return { ...base, hostCheck: effectiveHostCheck(device.settings, metadata.value.actions) };
  }

  /** What a dynamic-list device lists (cached), or the port a status device answers for. */
  private async dynamicNames(device: FenceDevice, target: string, targeting: readonly DeviceTargeting[]): Promise<readonly string[] | undefined> {
    const metadata = await this.metadataOf(device);
    if (!metadata.ok) return undefined;
    const hostCheck = targeting.find((t) => t.id === device.id)?.hostCheck;
    if (hostCheck === 'status') {
      const status = await this.inSlot(device.id, () => targetPowerStatus(device, target, metadata.value, this.environment));
      return status.ok ? [portOf(device.settings, target)] : undefined;
    }
    const nowMs = this.environment.clock.monotonicMs();
    const cached = this.listCache.get(device.id);
    if (cached !== undefined && nowMs - cached.atMs < fencingLimits.dynamicListCacheMs) return cached.names;
    const entries = await this.inSlot(device.id, () => listDevice(device, metadata.value, this.environment));
    if (!entries.ok) return undefined;
    const names = entries.value.flatMap((e) => (e.alias === undefined ? [e.port] : [e.port, e.alias]));
    this.listCache.set(device.id, { atMs: nowMs, names });
    return names;
  }

  private async withKnownDevice<T>(deviceId: DeviceId, work: (device: FenceDevice, metadata: AgentMetadata) => Promise<Result<T, AgentFailure>>): Promise<Result<T, Failure>> {
    const device = this.devices.get(deviceId);
    if (device === undefined) return err(failure('unknown_device', `no fence device '${deviceId}'`, 'device'));
    const metadata = await this.metadataOf(device);
    if (!metadata.ok) return metadata;
    return this.inSlot(device.id, () => work(device, metadata.value));
  }

  private metadataOf(device: FenceDevice): Promise<Result<AgentMetadata, AgentFailure>> {
    const cached = this.metadataByAgent.get(device.agent);
    if (cached !== undefined) return cached;
    const reading = readMetadata(device.agent, this.environment);
    this.metadataByAgent.set(device.agent, reading);
    void reading.then((result) => {
      if (!result.ok) this.metadataByAgent.delete(device.agent);
    });
    return reading;
  }

  /** Runs work when the device's previous action is done: one agent action per device at a time. */
  private inSlot<T>(deviceId: DeviceId, work: () => Promise<T>): Promise<T> {
    const previous = this.deviceSlots.get(deviceId) ?? Promise.resolve();
    const running = previous.then(work);
    const slot = running.then(() => undefined, () => undefined);
    this.deviceSlots.set(deviceId, slot);
    void slot.then(() => {
      if (this.deviceSlots.get(deviceId) === slot) this.deviceSlots.delete(deviceId);
    });
    return running;
  }

  private deviceOf(id: DeviceId): FenceDevice {
    const device = this.devices.get(id);
    assert(device !== undefined, `topology names unknown device ${id}; validateTopology should have refused it`);
    return device;
  }
}

interface Operation {
  readonly attempts: FenceAttempt[];
  /** Devices whose fencing delay was already waited in this operation (off, then on). */
  readonly delayed: Set<DeviceId>;
}

interface RecordInput {
  readonly target: string;
  readonly action: FenceAction;
  readonly options: FenceOptions;
  readonly startedAtMs: number;
  readonly completedAtMs: number;
  readonly attempts: readonly FenceAttempt[];
  readonly plan: FencePlan;
  readonly fencedBy: PlanStep | undefined;
}

function clip(text: string): string {
  const max = fencingLimits.historyReasonCharsMax;
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

function failureReason(input: RecordInput): string {
  const { target, plan, attempts } = input;
  const skipped = plan.skipped.map((s) => (s.level === undefined ? s.reason : `level ${s.level}: ${s.reason}`));
  if (plan.steps.length === 0) {
    return `no device can fence ${target}${skipped.length === 0 ? ' (no fence devices configured)' : `: ${skipped.join('; ')}`}`;
  }
  const failed = attempts.filter((a) => a.reason !== 'ok').map((a) => `${a.device} ${a.action}${a.level === undefined ? '' : ` (level ${a.level})`}: ${a.reason}`);
  return `every way to fence ${target} failed: ${[...failed, ...skipped].join('; ')}`;
}

function historyRecord(input: RecordInput): FenceHistoryRecord {
  const { target, action, fencedBy } = input;
  const common = {
    target,
    action,
    startedAtMs: input.startedAtMs,
    completedAtMs: input.completedAtMs,
    attempts: input.attempts,
    ...(input.options.requestedBy === undefined ? {} : { requestedBy: input.options.requestedBy }),
  };
  if (fencedBy === undefined) return { ...common, state: 'failed', devices: [], reason: clip(failureReason(input)) };
  const level = fencedBy.level === undefined ? '' : ` at level ${fencedBy.level}`;
  return {
    ...common,
    state: 'done',
    devices: fencedBy.devices,
    ...(fencedBy.devices.length === 1 && fencedBy.devices[0] !== undefined ? { device: fencedBy.devices[0] } : {}),
    ...(fencedBy.level === undefined ? {} : { level: fencedBy.level }),
    reason: clip(`${action} of ${target} done by ${fencedBy.devices.join(', ')}${level}`),
  };
}
