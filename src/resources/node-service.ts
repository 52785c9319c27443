// Owns the daemon's implementation of ResourceServices (what API routes may ask of the resource
// manager on the node that serves them): agent meta-data through this node's executor, fencing
// on an operator's request (recorded in the fencing history, the fenced node's history erased
// as the coordinator does), fence device tests, and the planner input as of now.

import { err, ok, type Failure } from '../core/result.js';
import type { Clock, Timers } from '../core/clock.js';
import type { Timing } from '../core/limits.js';
import type { Random } from '../core/random.js';
import { readMetadata } from '../fencing/agent.js';
import type { FencerEnvironment } from '../fencing/fencer.js';
import type { MembershipView } from '../membership/view.js';
import { recordEvent } from '../store/events.js';
import type { Records } from '../store/records.js';
import type { Executor } from './executor/index.js';
import { fenceAgentPath, fencerOf } from './fence-devices.js';
import { buildPlannerInput } from './input.js';
import { fenceHistoryKind, nodeHistoryKind } from './records.js';
import type { ResourceServices } from './services.js';
import type { ResourceView } from './view.js';

export interface NodeServiceDeps {
  readonly records: Records;
  readonly membership: MembershipView;
  readonly resources: ResourceView;
  readonly executor: () => Executor | undefined;
  readonly fenceAgentDirs: readonly string[];
  readonly self: string;
  readonly timing: Timing;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
}

export function resourceServices(deps: NodeServiceDeps): ResourceServices {
  const environment = (): FencerEnvironment => ({ clock: deps.clock, timers: deps.timers, random: deps.random });
  return {
    async metadata(cls, provider, type) {
      const executor = deps.executor();
      if (!executor) return err({ code: 'unavailable', message: `${deps.self} is still starting its executor` });
      return executor.metadata(cls, { type, ...(provider === undefined ? {} : { provider }) });
    },

    async fenceAgentMetadata(type) {
      const path = fenceAgentPath(type, deps.fenceAgentDirs);
      if (!path.ok) return path;
      return readMetadata(path.value, environment());
    },

    async fence(target, action, requestedBy) {
      if (!deps.membership.nodes.get(target)) return err({ code: 'not_found', field: 'node', message: `no node named ${target}` });
      const fencer = fencerOf(deps.resources.currentConfig(), deps.fenceAgentDirs, environment());
      if (!fencer.ok) return fencer;
      const r = await fencer.value.fence(target, action, { requestedBy });
      if (!r.ok) return r;
      const record = r.value;
      const id = `${String(record.completedAtMs).padStart(15, '0')}-${target}`;
      const written = await deps.records.put(fenceHistoryKind, id, record, 'absent');
      if (!written.ok) return err({ code: written.error.code, message: `fenced, but the record was not stored: ${written.error.message}` });
      const done = record.state === 'done';
      if (done && action !== 'on') await deps.records.delete(nodeHistoryKind, target, 'any');
      await recordEvent(deps.records, {
        atMs: record.completedAtMs, node: deps.self, kind: 'fencing', severity: done ? 'warning' : 'error', subject: target,
        message: done ? `node ${target} was fenced (${action}) at ${requestedBy}'s request` : `fencing ${target} failed: ${record.reason}`,
      });
      return ok(record);
    },

    async testDevice(id) {
      const fencer = fencerOf(deps.resources.currentConfig(), deps.fenceAgentDirs, environment());
      if (!fencer.ok) return fencer;
      const r = await fencer.value.deviceStatus(id);
      if (r.ok) return ok({ device: id, ok: true, rc: 0, message: 'monitor succeeded' });
      const failure: Failure = r.error;
      if (failure.code === 'unknown_device') return err(failure);
      const rc = 'rc' in failure && typeof failure.rc === 'number' ? failure.rc : null;
      return ok({ device: id, ok: false, rc, message: failure.message });
    },

    async snapshot() {
      const snap = deps.resources.snapshot(deps.membership, deps.clock.nowMs(), deps.timing.resourceLeaseMarginMs);
      return ok(buildPlannerInput(snap));
    },
  };
}

