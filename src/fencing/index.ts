// Owns the public surface of the fencing subsystem: what other folders (the daemon, the API, the
// CLI) may import. Everything else in src/fencing is internal.

export { fencingLimits } from './limits.js';
export {
  agentInput, effectiveHostCheck, parseDevice, parseDurationMs, parseHostList, parseHostMap, portOf, targetArgumentOf,
  type AgentAction, type DeviceId, type DeviceSettings, type FenceDevice, type FenceDeviceConfig, type HostCheck,
} from './device.js';
export {
  parseListOutput, parseMetadata, validateDeviceParameters,
  type AgentMetadata, type AgentParameter, type ListEntry,
} from './metadata.js';
export {
  fenceThroughDevice, listDevice, monitorDevice, readMetadata, runAgent, runDeviceAction, targetPowerStatus,
  type AgentEnvironment, type AgentExit, type AgentFailure, type AgentFailureCode,
} from './agent.js';
export {
  canFence, devicesToQuery, parseFencingConfig, planFencing, validateTopology,
  type DeviceTargeting, type DynamicTargets, type FencePlan, type FencingConfig, type ParsedFencingConfig,
  type PlanStep, type SkippedStep, type TopologyLevel,
} from './topology.js';
export {
  createFencer, Fencer,
  type FenceAction, type FenceAttempt, type FenceHistoryRecord, type FenceOptions, type FencerEnvironment,
} from './fencer.js';
