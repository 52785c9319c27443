// Owns the interface between the API routes and the resource manager on the node that serves a
// request: reading an agent's meta-data with this node's executor, fencing a node with the
// configured devices, testing a fence device, and the planner's view of the cluster now. The
// daemon implements it (src/resources/node-service.ts); routes reach no further.

import type { Failure, Result } from '../core/result.js';
import type { FenceHistoryRecord } from '../fencing/fencer.js';
import type { AgentMetadata as FenceAgentMetadata } from '../fencing/metadata.js';
import type { AgentMetadata } from './executor/index.js';
import type { BuiltInput } from './input.js';

export interface DeviceTest {
  readonly device: string;
  readonly ok: boolean;
  /** The agent's exit code, null when it did not exit on its own. */
  readonly rc: number | null;
  readonly message: string;
}

export interface ResourceServices {
  /** An agent's meta-data, read on this node: class `ocf` (provider and type), `systemd`, `exec` or `stonith`. */
  metadata(cls: string, provider: string | undefined, type: string): Promise<Result<AgentMetadata, Failure>>;
  /** A fence agent's metadata (type fence_<name>, looked up in the node's fence agent directories). */
  fenceAgentMetadata(type: string): Promise<Result<FenceAgentMetadata, Failure>>;
  /** Fences a node now through the configured devices and topology; the record is stored in the fencing history. */
  fence(target: string, action: 'reboot' | 'off' | 'on', requestedBy: string): Promise<Result<FenceHistoryRecord, Failure>>;
  /** Runs a configured fence device's monitor action. */
  testDevice(id: string): Promise<Result<DeviceTest, Failure>>;
  /** The planner input built from the records as they are now (for status, scores and simulate). */
  snapshot(): Promise<Result<BuiltInput, Failure>>;
}
