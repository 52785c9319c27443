// Owns the interface between the API routes and the daemon: what a route may ask of the node
// that serves it. The daemon (src/daemon/herdd.ts) implements it; routes never reach further.

import type { Clock } from '../core/clock.js';
import type { Failure, Result } from '../core/result.js';
import type { MembershipView } from '../membership/view.js';
import type { Records } from '../store/records.js';
import type { ResourceServices } from '../resources/services.js';
import type { JoinBody, JoinResult } from './types.js';

export interface ApiContext {
  readonly cluster: string;
  readonly self: string;
  readonly version: string;
  readonly records: Records;
  readonly clock: Clock;
  readonly caPem: string;
  readonly view: MembershipView;
  /** The resource manager on this node: agent meta-data, fencing, the planner's snapshot. */
  readonly resources: ResourceServices;
  /** A linearizable read reached a quorum of etcd members just now. */
  quorumReachable(): Promise<boolean>;
  /** Names of etcd's members as etcd reports them, or undefined when it cannot say in time. */
  etcdMembers(): Promise<string[] | undefined>;
  admit(body: JoinBody): Promise<Result<JoinResult, Failure>>;
  /** This node leaves the cluster and its daemon stops. */
  leave(): Promise<Result<void, Failure>>;
  /** Removes a node that is no longer running (its etcd member too, for a voter). */
  removeNode(name: string): Promise<Result<void, Failure>>;
}
