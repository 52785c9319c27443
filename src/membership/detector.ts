// Owns the failure detector: a pure function from what the coordinator observes about each
// node (admin flags, whether its etcd lease key exists, when it last heartbeat) to the node's
// state. No I/O, no clock: `nowMs` is a parameter (monotonic milliseconds on the coordinator).
//
// States: online, standby, maintenance (alive and heard from recently), suspect (alive key
// present but no heartbeat for suspectAfterMs), unclean (was up, then its lease expired
// without a clean stop: lost, not yet proven stopped), offline (left the cluster, stopped
// cleanly, or never started).
// Invariant: a node is never online without a heartbeat within suspectAfterMs, except during
// the grace period right after a coordinator takes over (it has not had a chance to hear yet).

export const nodeStates = ['online', 'standby', 'maintenance', 'suspect', 'unclean', 'offline'] as const;
export type NodeState = (typeof nodeStates)[number];

export interface NodeObservation {
  readonly name: string;
  readonly standby: boolean;
  readonly maintenance: boolean;
  /** The node left the cluster (`herd leave`) or was removed. */
  readonly left: boolean;
  /** The node's lease-bound alive key exists. */
  readonly alive: boolean;
  /** The node marked a clean stop for its latest incarnation before revoking its lease. */
  readonly stoppedCleanly: boolean;
  /** Coordinator-monotonic time of the last heartbeat received, if any since taking over. */
  readonly lastHeartbeatMs: number | undefined;
  /** The state last decided for this node (durable across coordinators), if any. */
  readonly previousState: NodeState | undefined;
}

export interface DetectorTiming {
  readonly suspectAfterMs: number;
}

export interface NodeVerdict {
  readonly state: NodeState;
  readonly reason: string;
}

export function judgeNode(o: NodeObservation, nowMs: number, coordinatorSinceMs: number, timing: DetectorTiming): NodeVerdict {
  if (o.left) return { state: 'offline', reason: 'left the cluster' };
  if (!o.alive) {
    if (o.stoppedCleanly) return { state: 'offline', reason: 'stopped cleanly' };
    // Only a node that was up can be lost; one that never started (or was already judged
    // stopped) holds nothing that needs fencing.
    if (o.previousState === undefined || o.previousState === 'offline') return { state: 'offline', reason: 'not running' };
    return { state: 'unclean', reason: 'lease expired without a clean stop' };
  }
  const heardMs = o.lastHeartbeatMs ?? coordinatorSinceMs;
  const silentMs = nowMs - heardMs;
  if (silentMs > timing.suspectAfterMs) {
    return { state: 'suspect', reason: o.lastHeartbeatMs === undefined ? `no heartbeat since the coordinator took over ${Math.round(silentMs)} ms ago` : `no heartbeat for ${Math.round(silentMs)} ms` };
  }
  if (o.maintenance) return { state: 'maintenance', reason: 'maintenance mode' };
  if (o.standby) return { state: 'standby', reason: 'standby' };
  return { state: 'online', reason: 'heartbeating' };
}

export function judgeNodes(observations: readonly NodeObservation[], nowMs: number, coordinatorSinceMs: number, timing: DetectorTiming): Map<string, NodeVerdict> {
  const out = new Map<string, NodeVerdict>();
  for (const o of observations) out.set(o.name, judgeNode(o, nowMs, coordinatorSinceMs, timing));
  return out;
}

/** States in which a node takes part in the cluster (counts toward capacity and quorum views). */
export const isUp = (state: NodeState): boolean => state === 'online' || state === 'standby' || state === 'maintenance';
