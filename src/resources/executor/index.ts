// Public surface of the resource executor: the Executor shell, the operation vocabulary, the
// ResourceClass interface with its three classes and their registry, meta-data parsing and
// parameter validation, and the OCF return-code table. Other subsystems import only this file.

export { Executor, type ExecutorOptions } from './executor.js';
export {
  checkOperation,
  type ExecutorFailure,
  type ExecutorFailureCode,
  type Operation,
  type OperationRecord,
} from './operation.js';
export {
  actionNames,
  isActionName,
  type ActionName,
  type ActionRequest,
  type ActionResult,
  type AgentName,
  type OperationStatus,
  type Outcome,
  type ResourceClass,
  type Severity,
  type StringRecord,
} from './types.js';
export { createRegistry, standardRegistry, type ClassRegistry, type StandardClassOptions } from './registry.js';
export { OcfClass, defaultOcfRoot, agentSearchPath, type OcfClassOptions } from './ocf.js';
export { ExecClass, execMetadata, type ExecClassOptions } from './exec.js';
export { SystemdClass, systemdMetadata, type SystemdClassOptions } from './systemd.js';
export {
  parseMetadata,
  parseDurationMs,
  validateParameters,
  type ActionSpec,
  type AgentMetadata,
  type ContentType,
  type MetadataFailureCode,
  type ParameterFailureCode,
  type ParameterSpec,
} from './metadata.js';
export { ocfRc, meaningOf, meetsExpectation, parseExitReason, type RcMeaning } from './exit-codes.js';
export { runProcess, type ProcessRequest, type ProcessResult, type ProcessRuntime, type SpawnError } from './process.js';
export type { CapturedOutput } from './output.js';
export { executorLimits, type ExecutorLimits } from './limits.js';
