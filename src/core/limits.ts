// Owns every named limit and default timing in one place (TigerBeetle's "put a limit on
// everything"). Shells read these; config files may override the timing defaults.

export const limits = {
  /** Largest peer frame payload accepted or sent. */
  peerFrameBytesMax: 4 * 1024 * 1024,
  /** Requests in flight on one peer connection. */
  peerRequestsInFlightMax: 1024,
  /** Default peer RPC timeout. */
  peerRequestTimeoutMs: 2000,
  /** Reconnect backoff on the peer transport. */
  peerReconnectBaseMs: 50,
  peerReconnectMaxMs: 2000,
  /** Largest API request body. */
  apiBodyBytesMax: 1024 * 1024,
  /** Largest value stored under one key (etcd's own default limit is 1.5 MiB per request). */
  recordBytesMax: 512 * 1024,
  /** Events kept in the cluster event log; older ones are trimmed by the coordinator. */
  eventsKeptMax: 2000,
  /** Events returned by one API call. */
  eventsPageMax: 1000,
  /** Revisions of history the in-memory store keeps for watches to resume from. */
  memoryStoreHistoryMax: 100_000,
  /** Key and value bytes in one store commit (etcd refuses requests past 1.5 MiB by default). */
  commitBytesMax: 1024 * 1024,
  /** Guards, and writes, in one store commit (etcd's --max-txn-ops default). */
  commitGuardsMax: 128,
  commitWritesMax: 128,
  /** How long an etcd endpoint that failed twice in a row is skipped before it is tried again. */
  storeEndpointRetryAfterMs: 300,
  /** Attempts for a store call that no endpoint accepted (never sent, so safe to repeat). */
  storeUnsentRetriesMax: 8,
  /** Default time to connect to an etcd endpoint, part of every request's deadline. */
  storeDialTimeoutMs: 2000,
  /** Deadline of one etcd request once connected; past it the outcome is unknown. */
  storeRequestTimeoutMs: 5000,
  /** Largest etcd response the store client accepts (a range over a big prefix). */
  storeResponseBytesMax: 64 * 1024 * 1024,
  /** Reconnect backoff of etcd watch streams. */
  storeWatchReconnectBaseMs: 100,
  storeWatchReconnectMaxMs: 2000,
  /** gRPC keep-alive pings to etcd; etcd refuses pings more often than every 5 s by default. */
  storeConnectionPingIntervalMs: 10_000,
  storeConnectionPingTimeoutMs: 5000,
  /** Watch events buffered for one slow API watch-stream client before it is dropped. */
  watchClientBufferMax: 10_000,
  /** Nodes in one cluster. */
  nodesMax: 10_000,
  /** Join tokens outstanding at once. */
  joinTokensMax: 1000,
  /** Longest a join token may live. */
  joinTokenTtlMsMax: 7 * 24 * 3600 * 1000,
  /** User API tokens. */
  userTokensMax: 10_000,
  /** Peer connections one node's transport server accepts at once. */
  peerServerConnectionsMax: 4096,
  /** A peer that has not finished its TLS handshake by then is dropped. */
  peerHandshakeTimeoutMs: 5000,
  /** A peer connection attempt (TCP + TLS) that has not completed by then fails. */
  peerConnectTimeoutMs: 5000,
  /** Bytes queued for writing to one peer socket; a peer that does not read past it is cut off. */
  peerWriteBufferedBytesMax: 16 * 1024 * 1024,
  /** A connection closed for a protocol error gets this long to flush its error frame. */
  peerCloseLingerMs: 1000,
  /** Longest RPC method name on the wire. */
  peerMethodNameLengthMax: 128,
  /** Largest certificate signing request accepted (PEM text). */
  csrBytesMax: 16 * 1024,
  /** Validity of the cluster CA. */
  clusterCaValidityDays: 3650,
  /** Default and longest validity of a node certificate (never past the CA's own expiry). */
  nodeCertValidityDaysDefault: 365,
  nodeCertValidityDaysMax: 3650,
  /** Certificates start this far in the past so nodes with slightly slow clocks accept them. */
  certificateBackdateMs: 5 * 60 * 1000,
  /** Operations in one history given to the linearizability checker (src/sim). */
  linearizabilityHistoryEntriesMax: 100_000,
  /** Largest search budget a caller may give the checker; its memo cache grows with steps. */
  linearizabilityStepsMax: 50_000_000,
  /** Memory the checker's memo set may take; past it the search goes on without memoizing. */
  linearizabilityMemoBytesMax: 256 * 1024 * 1024,
  /** Timers pending at once on a VirtualClock (src/sim). */
  virtualClockTimersMax: 100_000,
  /** Timers one advance() or runUntilIdle() may fire; more means a timer loop at one instant. */
  virtualClockFiresPerCallMax: 1_000_000,
} as const;

/** Timing defaults. A dead node is suspected within about 1 s (heartbeat + suspect timeout). */
export const timingDefaults = {
  heartbeatIntervalMs: 200,
  suspectAfterMs: 800,
  /**
   * TTL of each node's etcd lease: past it, a silent node is unclean and knows it is out. It
   * must outlast an etcd leader election (1-2 s with etcd's defaults, more with split votes)
   * plus a keep-alive interval, or every leader change would put healthy nodes out.
   */
  nodeLeaseTtlMs: 5000,
  /**
   * TTL of the coordinator's election lease. A dead or cut-off coordinator is normally replaced
   * well before it expires, by the voters' watchdog (membership/watchdog.ts); the TTL is the
   * bound when that cannot happen, and the coordinator steps down on its own TTL/5 before it.
   */
  electionLeaseTtlMs: 5000,
  /** How often the coordinator re-evaluates node states. */
  detectorTickMs: 50,
  joinTokenTtlMs: 24 * 3600 * 1000,
  /**
   * A node whose lease has gone unrenewed this long stops its resources itself (self-fencing):
   * well before the lease can expire, so the stops end before anyone may start them elsewhere.
   */
  resourceSelfStopAfterMs: 3000,
  /**
   * Without a fence device, a lost node's resources count as stopped this long after its lease
   * expired. The node stopped them resourceSelfStopAfterMs after its last renewal, at least
   * nodeLeaseTtlMs - resourceSelfStopAfterMs before etcd could expire the lease; the margin
   * only absorbs the coordinator's view of that expiry arriving early.
   */
  resourceLeaseMarginMs: 500,
} as const;

export type Timing = { -readonly [K in keyof typeof timingDefaults]: number };
