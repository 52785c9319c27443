// Owns turning the configuration's fence devices (primitives of class stonith, Pacemaker's
// way) and fencing levels into a fencer: a device's type names a fence agent looked up in the
// agent directories (/usr/sbin, where Debian's fence-agents installs them, then any the node
// configuration adds), its parameters and pcmk_* properties pass through, its meta priority
// orders devices without a topology.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { err, ok, type Failure, type Result } from '../core/result.js';
import { createFencer, type Fencer, type FencerEnvironment } from '../fencing/fencer.js';
import type { FenceDeviceConfig } from '../fencing/device.js';
import type { ResourceConfigRecord } from './records.js';
import { activeFenceDevices } from './config-lookup.js';

export const defaultFenceAgentDirs: readonly string[] = ['/usr/sbin'];

const agentName = /^fence_[A-Za-z0-9_.-]+$/;

export function fenceAgentPath(type: string, dirs: readonly string[]): Result<string, Failure> {
  if (!agentName.test(type)) return err({ code: 'invalid', field: 'type', message: `a fence agent is named fence_<name>, got "${type}"` });
  for (const d of dirs) {
    const path = join(d, type);
    if (existsSync(path)) return ok(path);
  }
  return err({ code: 'not_found', field: 'type', message: `no fence agent ${type} in ${dirs.join(', ')}` });
}

export function fenceDevicesOf(config: ResourceConfigRecord, dirs: readonly string[]): Result<FenceDeviceConfig[], Failure> {
  const out: FenceDeviceConfig[] = [];
  for (const r of activeFenceDevices(config)) {
    const path = fenceAgentPath(r.type, dirs);
    if (!path.ok) return err({ ...path.error, field: `resources.${r.id}.type` });
    const priority = Number(r.meta['priority'] ?? r.params['priority'] ?? 0);
    out.push({ id: r.id, agent: path.value, params: r.params, ...(Number.isFinite(priority) && priority !== 0 ? { priority } : {}) });
  }
  return ok(out);
}

export function fencerOf(config: ResourceConfigRecord, dirs: readonly string[], environment: FencerEnvironment): Result<Fencer, Failure> {
  const devices = fenceDevicesOf(config, dirs);
  if (!devices.ok) return devices;
  return createFencer({ devices: devices.value, topology: config.fencingLevels }, environment);
}
