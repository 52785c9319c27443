// Owns every limit and default timing of the resource executor, in one place. They live here
// rather than in src/core/limits.ts while the executor is new. Values follow pacemaker-execd
// where it has one (agents get SIGTERM then SIGKILL on timeout, meta-data answers quickly).

export const executorLimits = {
  /** After SIGTERM to a timed-out or cancelled agent's process group, SIGKILL follows this much later. */
  killGraceMs: 2000,
  /**
   * After SIGKILL, how long to wait for the agent to be reaped before giving up on it (a process
   * stuck in uninterruptible sleep); the operation is reported as timed out either way.
   */
  reapAfterKillWaitMs: 5000,
  /**
   * After an agent exits, its pipes get this long to close. An agent that started a daemon
   * which kept them open is not waited for: the pipes are destroyed and the daemon lives on.
   */
  pipeCloseGraceMs: 500,
  /** Bytes of each of stdout and stderr kept from the start of the output (meta-data is read from here). */
  outputHeadBytesMax: 1024 * 1024,
  /** Bytes kept from the end of an output that overflowed its head (the exit reason is usually last). */
  outputTailBytesMax: 4096,
  /** Characters of agent output kept in an operation result for operators. */
  outputExcerptCharsMax: 2048,
  /** Characters of an agent's exit reason kept (`ocf-exit-reason:` lines are meant to be one line). */
  exitReasonCharsMax: 512,
  /** Timeout of `meta-data`, which every agent answers without touching its service. */
  metadataTimeoutMs: 10_000,
  /** Parameters and actions one agent's meta-data may declare. */
  metadataParametersMax: 512,
  metadataActionsMax: 64,
  /** Longest resource id (it names pid files and is passed to agents). */
  resourceIdCharsMax: 256,
  /** Parameters and meta attributes one operation may carry. */
  operationParametersMax: 512,
  /** Characters of one parameter or meta value. */
  parameterValueCharsMax: 64 * 1024,
  /** Operations waiting behind the running one on one resource. */
  queuedOperationsPerResourceMax: 32,
  /** Resources the executor tracks at once (anything queued, recurring or with failures). */
  resourcesMax: 10_000,
  /** Recurring operations across all resources. */
  recurringOperationsMax: 20_000,
  /** Shortest interval of a recurring operation. */
  recurringIntervalMsMin: 1000,
  /** Longest timeout of one operation (Pacemaker has none; a day is already absurd). */
  operationTimeoutMsMax: 24 * 3600 * 1000,
  /** How often the exec class checks whether a stopping process is gone. */
  execStopPollIntervalMs: 50,
  /** Part of an exec stop's timeout kept for SIGKILL after SIGTERM was not enough. */
  execStopKillReserveMs: 2000,
} as const;

export type ExecutorLimits = { readonly [K in keyof typeof executorLimits]: number };
