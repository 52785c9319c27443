// Owns every limit and default timing of the fencing subsystem. They live here rather than in
// src/core/limits.ts while fencing is new; the values follow Pacemaker's fencer where it has one
// (stonith-timeout 60 s, topology levels 1..9, dynamic lists cached for 60 s).

export const fencingLimits = {
  /** Timeout of one agent action when the device sets no pcmk_<action>_timeout (stonith-timeout). */
  actionTimeoutMsDefault: 60_000,
  /** Longest timeout a device may set for one action. */
  actionTimeoutMsMax: 3_600_000,
  /** Timeout of `metadata`, which every agent answers without touching its device. */
  metadataTimeoutMs: 10_000,
  /** After SIGTERM to a timed-out agent's process group, SIGKILL follows this much later. */
  killGraceMs: 2000,
  /**
   * After an agent exits (or is killed), its pipes get this long to close; past it the rest of
   * its process group is killed with SIGKILL (a child kept them open) and the pipes destroyed.
   */
  pipeCloseGraceMs: 1000,
  /** Agent stdout kept (the head: list and metadata output start there); the rest is drained. */
  stdoutBytesMax: 1024 * 1024,
  /** Agent stderr kept (the tail: the reason of a failure is usually the last line). */
  stderrBytesMax: 64 * 1024,
  /** Characters of stderr quoted in a failure reason. */
  reasonStderrCharsMax: 400,
  /** Lines of agent input: device parameters plus action, nodename and port. */
  agentInputBytesMax: 64 * 1024,
  /** Parameters one device may set. */
  deviceParametersMax: 256,
  /** Length of one device parameter value. */
  parameterValueCharsMax: 4096,
  /** Devices configured at once. */
  devicesMax: 1024,
  /** Topology level indexes, as in Pacemaker: 1..9. */
  levelIndexMin: 1,
  levelIndexMax: 9,
  /** Devices in one topology level. */
  levelDevicesMax: 64,
  /** Topology levels configured at once (all targets). */
  topologyLevelsMax: 10_000,
  /** Entries accepted from one `list` answer; a longer answer is a failure, not a silent cut. */
  listEntriesMax: 10_000,
  /** Parameters and actions accepted from one agent's metadata. */
  metadataParametersMax: 1024,
  metadataActionsMax: 64,
  /** Longest fencing delay (pcmk_delay_base / pcmk_delay_max) a device may set. */
  delayMsMax: 3_600_000,
  /** How long a device's `list` answer is reused when planning (Pacemaker caches it 60 s). */
  dynamicListCacheMs: 60_000,
  /** Fencing operations (distinct target and action) in flight on one fencer. */
  operationsInFlightMax: 256,
  /** Characters of the reason in one fencing history record (attempt reasons are summed up). */
  historyReasonCharsMax: 4000,
  /** Length of a fencing target's name. */
  targetNameCharsMax: 253,
} as const;
