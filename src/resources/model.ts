// Owns the resource manager's data model: the configuration (resources, constraints, cluster
// options, nodes and their attributes) and the observed status (node states and each node's
// operation history), as plain JSON-friendly values. Both the CIB importer and Herd's own
// records produce these; the planner reads nothing else. Semantics follow Pacemaker's CIB.

/** Name/value pairs in document order; the first occurrence of a name wins (Pacemaker's rule). */
export type Attributes = Readonly<Record<string, string>>;

export type ResourceRole = 'Stopped' | 'Started' | 'Unpromoted' | 'Promoted';

export interface OperationConfig {
  readonly id: string;
  readonly name: string;
  readonly intervalMs: number;
  readonly timeoutMs?: number;
  readonly role?: ResourceRole;
  readonly onFail?: OnFail;
  readonly enabled: boolean;
  readonly meta: Attributes;
  /** The operation's own instance attributes (extra parameters passed to the agent). */
  readonly params?: Attributes;
}

export type OnFail = 'ignore' | 'block' | 'stop' | 'restart' | 'standby' | 'fence' | 'demote';

export interface PrimitiveConfig {
  readonly kind: 'primitive';
  readonly id: string;
  /** `ocf`, `stonith`, `systemd`, `lsb`, `service`, `exec`. */
  readonly class: string;
  readonly provider?: string;
  readonly type: string;
  readonly params: Attributes;
  readonly meta: Attributes;
  readonly operations: readonly OperationConfig[];
  /** What the resource uses of its node's capacity (placement-strategy other than default). */
  readonly utilization?: Attributes;
}

export interface GroupConfig {
  readonly kind: 'group';
  readonly id: string;
  readonly meta: Attributes;
  readonly children: readonly PrimitiveConfig[];
}

export interface CloneConfig {
  readonly kind: 'clone';
  readonly id: string;
  readonly meta: Attributes;
  readonly child: PrimitiveConfig | GroupConfig;
}

export type ResourceConfig = PrimitiveConfig | GroupConfig | CloneConfig;

/** One condition of a rule: a node attribute compared with a value, or a nested rule. */
export type Expression =
  | {
      readonly kind: 'attribute';
      readonly attribute: string;
      readonly operation: 'lt' | 'gt' | 'lte' | 'gte' | 'eq' | 'ne' | 'defined' | 'not_defined';
      readonly value?: string;
      readonly type: 'string' | 'integer' | 'number' | 'version';
      /** `literal` compares with value; `param`/`meta` compare with the resource's attribute named by value. */
      readonly valueSource: 'literal' | 'param' | 'meta';
    }
  | { readonly kind: 'date'; readonly operation: string; readonly start?: string; readonly end?: string }
  | { readonly kind: 'rule'; readonly rule: Rule };

export interface Rule {
  readonly id: string;
  readonly score?: number;
  readonly scoreAttribute?: string;
  readonly role?: ResourceRole;
  readonly booleanOp: 'and' | 'or';
  readonly expressions: readonly Expression[];
}

export interface ResourceSet {
  readonly id: string;
  readonly resources: readonly string[];
  readonly sequential: boolean;
  readonly requireAll: boolean;
  readonly role?: ResourceRole;
  readonly action?: ActionName;
  readonly kind?: OrderKind;
  readonly score?: number;
}

export type ActionName = 'start' | 'stop' | 'promote' | 'demote';
export type OrderKind = 'Mandatory' | 'Optional' | 'Serialize';

export interface LocationConstraint {
  readonly kind: 'location';
  readonly id: string;
  readonly resource?: string;
  readonly resourcePattern?: string;
  readonly sets?: readonly ResourceSet[];
  readonly role?: ResourceRole;
  readonly node?: string;
  readonly score?: number;
  readonly rules: readonly Rule[];
  readonly resourceDiscovery?: 'always' | 'never' | 'exclusive';
}

export interface ColocationConstraint {
  readonly kind: 'colocation';
  readonly id: string;
  readonly score: number;
  readonly resource?: string;
  readonly withResource?: string;
  readonly resourceRole?: ResourceRole;
  readonly withResourceRole?: ResourceRole;
  readonly nodeAttribute?: string;
  readonly sets?: readonly ResourceSet[];
  readonly influence?: boolean;
}

export interface OrderConstraint {
  readonly kind: 'order';
  readonly id: string;
  readonly first?: string;
  readonly then?: string;
  readonly firstAction: ActionName;
  readonly thenAction: ActionName;
  readonly orderKind: OrderKind;
  readonly score?: number;
  readonly symmetrical?: boolean;
  readonly sets?: readonly ResourceSet[];
  readonly requireAll: boolean;
}

export type Constraint = LocationConstraint | ColocationConstraint | OrderConstraint;

/** What happens to a resource when its ticket is revoked. */
export type TicketLossPolicy = 'stop' | 'demote' | 'fence' | 'freeze';

/** A resource (or sets of them) that may only run in a role while a ticket is granted. */
export interface TicketConstraint {
  readonly id: string;
  readonly ticket: string;
  readonly resource?: string;
  readonly role?: ResourceRole;
  readonly lossPolicy?: TicketLossPolicy;
  readonly sets?: readonly ResourceSet[];
}

export interface NodeConfig {
  readonly id: string;
  readonly name: string;
  readonly type: 'member' | 'remote' | 'ping';
  readonly attributes: Attributes;
  readonly utilization: Attributes;
}

export interface FencingLevel {
  readonly target: string;
  readonly index: number;
  readonly devices: readonly string[];
}

export interface Configuration {
  readonly options: Attributes;
  readonly nodes: readonly NodeConfig[];
  readonly resources: readonly ResourceConfig[];
  readonly constraints: readonly Constraint[];
  readonly resourceDefaults: Attributes;
  readonly operationDefaults: Attributes;
  readonly fencingLevels: readonly FencingLevel[];
  /** Ticket dependencies (Pacemaker's rsc_ticket); absent means none. */
  readonly tickets?: readonly TicketConstraint[];
}

/** One entry of a node's operation history (Pacemaker's lrm_rsc_op). */
export interface OperationRecord {
  readonly id: string;
  readonly operation: string;
  readonly intervalMs: number;
  readonly callId: number;
  readonly rc: number;
  /** -1 pending, 0 done, 1 cancelled, 2 timeout, 3 not supported, 4 error, 5+ other failures. */
  readonly opStatus: number;
  /** The rc the controller expected when it asked for the operation. */
  readonly expectedRc?: number;
  /** Seconds since the epoch. */
  readonly lastRcChange?: number;
  readonly lastRun?: number;
  readonly exitReason?: string;
  readonly digest?: string;
  /** Digest of only the parameters that force a restart (op-restart-digest), and their names. */
  readonly restartDigest?: string;
  readonly forceRestart?: string;
  /** Digest without the parameters named in secureParams (op-secure-digest, op-secure-params). */
  readonly secureDigest?: string;
  readonly secureParams?: string;
  /** The controller's feature set when the operation was recorded (crm_feature_set). */
  readonly featureSet?: string;
  readonly migrateSource?: string;
  readonly migrateTarget?: string;
}

export interface ResourceHistory {
  readonly id: string;
  readonly class: string;
  readonly provider?: string;
  readonly type: string;
  readonly operations: readonly OperationRecord[];
}

export interface NodeStatus {
  readonly id: string;
  readonly name: string;
  readonly inCluster?: string;
  readonly controller?: string;
  readonly join?: string;
  readonly expected?: string;
  /** Transient attributes (fail counts, last failures, shutdown, promotion scores). */
  readonly attributes: Attributes;
  readonly resources: readonly ResourceHistory[];
}

/** A ticket as the cluster last knew it (granted to this site, or in standby). */
export interface TicketState { readonly id: string; readonly granted: boolean; readonly standby: boolean }

export interface ClusterStatus {
  readonly haveQuorum: boolean;
  /** The cluster had quorum and lost it (Pacemaker's no-quorum-panic): no-quorum-policy=suicide applies. */
  readonly quorumLost?: boolean;
  /** When the status was taken, seconds since the epoch (the CIB's execution-date). */
  readonly executionDateS?: number;
  readonly nodes: readonly NodeStatus[];
  /** Tickets known to the cluster; one not listed is not granted. */
  readonly tickets?: readonly TicketState[];
}

export interface PlannerInput {
  readonly configuration: Configuration;
  readonly status: ClusterStatus;
}

export const INFINITY = 1_000_000;
