// Owns EtcdStore: the Store on a real etcd cluster, through the etcd3 client (gRPC).
//
// Inputs: endpoints (http:// or https:// URLs), optional client TLS, Store calls. Outputs:
// Store results; watches (etcd-watch.ts) and leases (etcd-lease.ts) built on the same client.
//
// Mapping: get is a linearizable single-key range; range a prefix range sorted by key, with the
// header revision; commit one Txn whose compares are the guards (absent => create revision 0)
// and whose failure branch reads the guard keys (keys only) in the same transaction, so the
// conflict names the first guard that failed without a second round trip.
// Failures: a lease etcd does not know => lease_not_found; etcd's "request is too large" or a
// gRPC message past its limit => too_large (limits are also checked here first, by the same
// rules as the memory store, commit-rules.ts); anything else => unavailable, naming the
// endpoints. A request that times out may still have been applied: its outcome is unknown.
// Retries are off on purpose: a retried Txn that had in fact been applied would come back as a
// conflict, which would claim that nothing was written. Callers retry knowing the outcome.

import { Buffer } from 'node:buffer';
import {
  CompareResult, CompareTarget, Etcd3, EtcdLeaseInvalidError, GRPCResourceExhastedError, SortOrder, SortTarget, isRecoverableError,
  type ICompare, type IOptions, type IRequestOp,
} from 'etcd3';
import { circuitBreaker, ConsecutiveBreaker, ConstantBackoff, handleWhen, isBrokenCircuitError, retry } from 'cockatiel';
import { limits } from '../core/limits.js';
import { assert, AssertionError, err, ok, type Result } from '../core/result.js';
import { assertKey, checkCommit, describeGuard, guardHolds, writeKey } from './commit-rules.js';
import { EtcdLease, leaseTtlSeconds } from './etcd-lease.js';
import { EtcdWatch, prefixRange, revisionNumber, toKeyValue } from './etcd-watch.js';
import type {
  CommitResult, Guard, KeyValue, Lease, RangeResult, Store, StoreFailure, Watch, WatchHandlers, Write,
} from './types.js';

export interface EtcdStoreOptions {
  readonly endpoints: readonly string[];
  readonly tls?: { readonly caPem: string; readonly certPem: string; readonly keyPem: string };
  /** Time allowed to connect, added to every request's deadline; limits.storeDialTimeoutMs. */
  readonly dialTimeoutMs?: number;
}

type GlobalPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/**
 * The client-wide policy: a call that reached etcd is never retried here (see the header), but
 * a call that every endpoint's breaker turned away, or that found no connection to its endpoint,
 * was never sent, so it is safe to try again shortly (another endpoint, or the same one back):
 * that keeps a brief quorum blip or one dead endpoint from reaching callers as an error.
 */
const neverSent = (e: Error): boolean => isBrokenCircuitError(e) || /No connection established/.test(e.message);
const retryUnsent = retry(handleWhen(neverSent), {
  maxAttempts: limits.storeUnsentRetriesMax,
  backoff: new ConstantBackoff(limits.storeEndpointRetryAfterMs / 2),
}) as unknown as GlobalPolicy;

const leaseIdPattern = /^[1-9][0-9]{0,18}$/;

/** Options for an etcd3 client: TLS, deadlines, keep-alive pings, no retries, short breakers. */
export function etcdClientOptions(options: EtcdStoreOptions): IOptions {
  assert(options.endpoints.length > 0, 'EtcdStore.connect: at least one endpoint is needed');
  const dialTimeoutMs = options.dialTimeoutMs ?? limits.storeDialTimeoutMs;
  assert(Number.isSafeInteger(dialTimeoutMs) && dialTimeoutMs > 0, `dialTimeoutMs ${dialTimeoutMs} must be positive`);
  const requestDeadlineMs = dialTimeoutMs + limits.storeRequestTimeoutMs;
  const tls = options.tls;
  return {
    hosts: [...options.endpoints],
    ...(tls === undefined
      ? {}
      : {
          credentials: {
            rootCertificate: Buffer.from(tls.caPem),
            certChain: Buffer.from(tls.certPem),
            privateKey: Buffer.from(tls.keyPem),
          },
        }),
    // etcd3 1.1.2 documents dialTimeout but does not use it; the deadline below bounds dialing.
    dialTimeout: dialTimeoutMs,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + requestDeadlineMs }),
    grpcOptions: {
      'grpc.max_receive_message_length': limits.storeResponseBytesMax,
      'grpc.keepalive_time_ms': limits.storeConnectionPingIntervalMs,
      'grpc.keepalive_timeout_ms': limits.storeConnectionPingTimeoutMs,
      // Endpoints are IP addresses, which TLS SNI may not carry (RFC 6066). Every node
      // certificate names "localhost"; the trust anchor is the cluster CA, not the address.
      ...(tls === undefined ? {} : { 'grpc.ssl_target_name_override': 'localhost' }),
    },
    // Per endpoint, etcd3's default breaker shuts an endpoint out for 5 s after 3 failures,
    // which turns a 1 s quorum blip (a voter joining) into a 5 s outage. A short breaker
    // still moves calls to another endpoint quickly when one is down.
    faultHandling: {
      global: retryUnsent,
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: limits.storeEndpointRetryAfterMs, breaker: new ConsecutiveBreaker(2) }),
    },
  };
}

export class EtcdStore implements Store {
  private closed = false;
  private readonly leases = new Set<EtcdLease>();
  private readonly watches = new Set<EtcdWatch>();

  private constructor(
    private readonly client: Etcd3,
    private readonly endpoints: readonly string[],
  ) {}

  static connect(options: EtcdStoreOptions): EtcdStore {
    const client = new Etcd3(etcdClientOptions(options));
    return new EtcdStore(client, [...options.endpoints]);
  }

  async get(key: string): Promise<Result<KeyValue | undefined, StoreFailure>> {
    assertKey(key, 'get');
    if (this.closed) return err(this.closedFailure());
    try {
      const response = await this.client.kv.range({ key: Buffer.from(key, 'utf8') });
      const kv = response.kvs[0];
      return ok(kv === undefined ? undefined : toKeyValue(kv));
    } catch (error) {
      return err(this.failure(error, key));
    }
  }

  async range(prefix: string): Promise<Result<RangeResult, StoreFailure>> {
    if (this.closed) return err(this.closedFailure());
    try {
      const response = await this.client.kv.range({
        ...prefixRange(prefix),
        sort_order: SortOrder.Ascend,
        sort_target: SortTarget.Key,
      });
      return ok({ items: response.kvs.map(toKeyValue), revision: revisionNumber(response.header.revision) });
    } catch (error) {
      return err(this.failure(error, prefix));
    }
  }

  async commit(guards: readonly Guard[], writes: readonly Write[]): Promise<Result<CommitResult, StoreFailure>> {
    if (this.closed) return err(this.closedFailure());
    const shape = checkCommit(guards, writes);
    if (!shape.ok) return shape;
    for (const write of writes) {
      if (write.op === 'put' && write.lease !== undefined && !leaseIdPattern.test(write.lease)) {
        return err({ code: 'lease_not_found', message: `put ${write.key}: ${JSON.stringify(write.lease)} is not an etcd lease id` });
      }
    }
    try {
      const response = await this.client.kv.txn({
        compare: guards.map(toCompare),
        success: writes.map(toRequest),
        failure: guards.map((guard) => ({ request_range: { key: Buffer.from(guard.key, 'utf8'), keys_only: true } })),
      });
      if (response.succeeded) return ok({ revision: revisionNumber(response.header.revision) });
      return err(conflictFrom(guards, response.responses.map((op) => op.response_range?.kvs[0])));
    } catch (error) {
      const firstWrite = writes[0];
      return err(this.failure(error, firstWrite === undefined ? '' : writeKey(firstWrite)));
    }
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watch {
    if (this.closed) return { cancel: () => undefined };
    const watch: EtcdWatch = new EtcdWatch(this.client, prefix, fromRevision, {
      onEvents: (batch) => handlers.onEvents(batch),
      onCompacted: (compactRevision) => {
        this.watches.delete(watch);
        handlers.onCompacted(compactRevision);
      },
    });
    this.watches.add(watch);
    return {
      cancel: () => {
        watch.cancel();
        this.watches.delete(watch);
      },
    };
  }

  async grantLease(ttlMs: number): Promise<Result<Lease, StoreFailure>> {
    leaseTtlSeconds(ttlMs); // asserts a positive integer before anything is sent
    if (this.closed) return err(this.closedFailure());
    try {
      const lease = await EtcdLease.grant(this.client, ttlMs, (ended) => this.leases.delete(ended));
      if (this.closed) {
        lease.release();
        return err(this.closedFailure());
      }
      this.leases.add(lease);
      return ok(lease);
    } catch (error) {
      return err(this.failure(error, ''));
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const watch of this.watches) watch.cancel();
    this.watches.clear();
    // Keep-alive stops; etcd expires the leases after their TTL (the etcd Go client does the same).
    for (const lease of [...this.leases]) lease.release();
    this.client.close();
    return Promise.resolve();
  }

  private closedFailure(): StoreFailure {
    return { code: 'unavailable', message: `the etcd store client for ${this.endpoints.join(', ')} is closed` };
  }

  /** Maps an etcd3 rejection to a StoreFailure; a failed assertion stays a thrown bug. */
  private failure(error: unknown, key: string): StoreFailure {
    if (error instanceof AssertionError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof EtcdLeaseInvalidError || message.includes('requested lease not found')) {
      return { code: 'lease_not_found', message: `etcd: ${message}` };
    }
    if (error instanceof GRPCResourceExhastedError || message.includes('request is too large')) {
      return { code: 'too_large', key, message: `etcd refused the request as too large: ${message}` };
    }
    // Documented diagnostic (docs/configuration.md): every unavailable store call, on stderr.
    if (process.env['HERD_DEBUG_STORE']) process.stderr.write(`store failure on ${key}: ${message}\n`);
    return { code: 'unavailable', message: `etcd at ${this.endpoints.join(', ')}: ${message}` };
  }
}

function toCompare(guard: Guard): ICompare {
  const key = Buffer.from(guard.key, 'utf8');
  if ('absent' in guard) return { key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 };
  if ('modRevision' in guard) return { key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: guard.modRevision };
  return { key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: guard.createRevision };
}

function toRequest(write: Write): IRequestOp {
  switch (write.op) {
    case 'put': {
      const put = { key: Buffer.from(write.key, 'utf8'), value: Buffer.from(write.value, 'utf8') };
      return { request_put: write.lease === undefined ? put : { ...put, lease: write.lease } };
    }
    case 'delete':
      return { request_delete_range: { key: Buffer.from(write.key, 'utf8') } };
    case 'deletePrefix':
      return { request_delete_range: prefixRange(write.prefix) };
  }
}

/** Names the first guard that failed, judged on the guard keys as the failed Txn read them. */
function conflictFrom(guards: readonly Guard[], read: readonly ({ create_revision: string; mod_revision: string } | undefined)[]): StoreFailure {
  for (const [index, guard] of guards.entries()) {
    const kv = read[index];
    const current = kv === undefined
      ? undefined
      : { createRevision: revisionNumber(kv.create_revision), modRevision: revisionNumber(kv.mod_revision) };
    if (!guardHolds(guard, current)) {
      const found = current === undefined ? 'it is absent' : `it is at modRevision ${current.modRevision}, createRevision ${current.createRevision}`;
      return { code: 'conflict', key: guard.key, message: `guard failed: expected ${describeGuard(guard)}, but ${found}` };
    }
  }
  // Unreachable while etcd is atomic; still a conflict, naming the first guard.
  const first = guards[0];
  return { code: 'conflict', key: first?.key ?? '', message: 'etcd reported a failed guard, but every guard holds on re-read' };
}
