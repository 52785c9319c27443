// Owns the `stonith` resource class on a node: a fence device is a resource that "runs" where
// the planner places it, as in Pacemaker, where starting one registers the device and its
// monitor checks that the device answers. start and a recurring monitor run the fence agent's
// `monitor` action; stop forgets the device; a probe finds it stopped until it was started
// here. Fencing itself is the fencer's (src/fencing/), run by the coordinator.

import type { Clock, Timers } from '../core/clock.js';
import { err, ok, type Failure, type Result } from '../core/result.js';
import { monitorDevice, readMetadata } from '../fencing/agent.js';
import { parseDevice } from '../fencing/device.js';
import { completedResult, failedResult, ocfRc } from './executor/exit-codes.js';
import type { AgentMetadata } from './executor/metadata.js';
import type { ActionRequest, ActionResult, AgentName, ResourceClass } from './executor/types.js';
import { fenceAgentPath } from './fence-devices.js';

export class StonithClass implements ResourceClass {
  readonly name = 'stonith';
  private readonly started = new Set<string>();

  constructor(private readonly options: { readonly clock: Clock; readonly timers: Timers; readonly agentDirs: readonly string[] }) {}

  async run(request: ActionRequest): Promise<ActionResult> {
    const t0 = this.options.clock.monotonicMs();
    const elapsed = (): number => this.options.clock.monotonicMs() - t0;
    if (request.action === 'stop') {
      this.started.delete(request.resourceId);
      return completedResult(ocfRc.success, undefined, elapsed());
    }
    if (request.action === 'monitor' && !this.started.has(request.resourceId)) return completedResult(ocfRc.notRunning, undefined, elapsed());
    if (request.action !== 'start' && request.action !== 'monitor') return completedResult(ocfRc.unimplemented, `a fence device has no ${request.action} action`, elapsed());
    const path = fenceAgentPath(request.type, this.options.agentDirs);
    if (!path.ok) return failedResult('error', ocfRc.notInstalled, path.error.message, elapsed());
    const device = parseDevice({ id: request.resourceId, agent: path.value, params: request.params });
    if (!device.ok) return failedResult('error', ocfRc.notConfigured, device.error.message, elapsed());
    const checked = await monitorDevice(device.value, undefined, { clock: this.options.clock, timers: this.options.timers, actionTimeoutMsDefault: request.timeoutMs });
    if (!checked.ok) return failedResult('done', ocfRc.errorGeneric, checked.error.message, elapsed());
    if (request.action === 'start') this.started.add(request.resourceId);
    return completedResult(ocfRc.success, undefined, elapsed());
  }

  /** A fence agent's parameters in the executor's meta-data shape (for validation when a device is added). */
  async metadata(agent: AgentName): Promise<Result<AgentMetadata, Failure>> {
    const path = fenceAgentPath(agent.type, this.options.agentDirs);
    if (!path.ok) return path;
    const m = await readMetadata(path.value, { clock: this.options.clock, timers: this.options.timers });
    if (!m.ok) return err(m.error);
    return ok({
      name: m.value.name,
      shortDescription: m.value.shortDescription,
      parameters: m.value.parameters.map((p) => ({
        name: p.name, required: p.required, unique: false, contentType: 'string' as const, declaredType: 'string', options: [], shortDescription: '', deprecated: false,
      })),
      actions: [],
    });
  }
}
