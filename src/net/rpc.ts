// Owns the RPC layer above framing: the shapes of requests, one-way notifications and replies on
// the wire, their validation, the server's handler table and the client's table of requests in
// flight with their timeouts.
//
// Wire messages (each one frame, see frame.ts):
//   request      { id, method, params }       -> reply { id, result } | { id, error }
//   notification { method, params }           -> no reply
//   connection error { error }                 (no id: sent just before the sender closes)
// where error is { code, message, field? }.
//
// Invariants: a request id is settled exactly once — by its reply, its timeout or the loss of its
// connection, whichever comes first; a late reply for a settled id is ignored. The number of
// requests in flight never exceeds the table's limit.
//
// No node: imports: time comes in as Timers, so the simulator can drive this with virtual time.

import type { Timers, Cancel } from '../core/clock.js';
import { limits } from '../core/limits.js';
import { assert, err, failure, HerdError, ok, type Failure, type Result } from '../core/result.js';

/** An error as it travels on the wire. */
export interface RpcErrorBody {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

/** Who sent a request: the node name from the peer's certificate. */
export interface PeerIdentity {
  readonly nodeName: string;
}

export type PeerHandler = (params: unknown, peer: PeerIdentity) => Promise<unknown>;

export type PeerFailureCode =
  | 'timeout'
  | 'unavailable'
  | 'remote_error'
  | 'too_many_requests'
  | 'bad_request'
  | 'frame_too_large'
  | 'frame_garbled';

/** What a client's request can fail with. `remoteCode` is set for 'remote_error' only. */
export interface PeerFailure extends Failure<PeerFailureCode> {
  readonly remoteCode?: string;
}

export type Incoming =
  | { readonly kind: 'request'; readonly id: number; readonly method: string; readonly params: unknown }
  | { readonly kind: 'notification'; readonly method: string; readonly params: unknown };

/** A message that is framed correctly but is not a valid request; `id` when one could be read. */
export interface BadIncoming {
  readonly id: number | undefined;
  readonly failure: Failure<'bad_request'>;
}

export type Reply =
  | { readonly kind: 'response'; readonly id: number; readonly outcome: Result<unknown, RpcErrorBody> }
  | { readonly kind: 'connection_error'; readonly error: RpcErrorBody };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function checkMethodName(method: unknown): Result<string, Failure<'bad_request'>> {
  if (typeof method !== 'string' || method.length === 0) {
    return err(failure('bad_request', 'method must be a non-empty string', 'method'));
  }
  if (method.length > limits.peerMethodNameLengthMax) {
    return err(
      failure('bad_request', `method name longer than ${limits.peerMethodNameLengthMax}`, 'method'),
    );
  }
  return ok(method);
}

/** Validates a decoded frame on the server side. */
export function parseIncoming(message: unknown): Result<Incoming, BadIncoming> {
  if (!isRecord(message)) {
    return err({ id: undefined, failure: failure('bad_request', 'message is not an object') });
  }
  const hasId = message['id'] !== undefined;
  if (hasId && !isRequestId(message['id'])) {
    const f = failure('bad_request', 'id must be a non-negative safe integer', 'id');
    return err({ id: undefined, failure: f });
  }
  const id = hasId ? (message['id'] as number) : undefined;
  const method = checkMethodName(message['method']);
  if (!method.ok) return err({ id, failure: method.error });
  const params = message['params'];
  return ok(
    id === undefined
      ? { kind: 'notification', method: method.value, params }
      : { kind: 'request', id, method: method.value, params },
  );
}

function parseErrorBody(value: unknown): RpcErrorBody | undefined {
  if (!isRecord(value)) return undefined;
  const { code, message, field } = value;
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  return typeof field === 'string' ? { code, message, field } : { code, message };
}

/** Validates a decoded frame on the client side. */
export function parseReply(message: unknown): Result<Reply, Failure<'bad_reply'>> {
  if (!isRecord(message)) return err(failure('bad_reply', 'reply is not an object'));
  const id = message['id'];
  const hasError = message['error'] !== undefined;
  const errorBody = hasError ? parseErrorBody(message['error']) : undefined;
  if (hasError && errorBody === undefined) {
    return err(failure('bad_reply', 'reply error lacks a string code and message', 'error'));
  }
  if (id === undefined) {
    if (errorBody === undefined) return err(failure('bad_reply', 'reply without an id', 'id'));
    return ok({ kind: 'connection_error', error: errorBody });
  }
  if (!isRequestId(id)) return err(failure('bad_reply', 'reply id is not a request id', 'id'));
  if (errorBody !== undefined) return ok({ kind: 'response', id, outcome: err(errorBody) });
  if (!('result' in message)) return err(failure('bad_reply', 'reply has neither result nor error'));
  return ok({ kind: 'response', id, outcome: ok(message['result']) });
}

export function remoteFailure(body: RpcErrorBody): PeerFailure {
  const base = { code: 'remote_error' as const, message: body.message, remoteCode: body.code };
  return body.field === undefined ? base : { ...base, field: body.field };
}

/** Turns whatever a handler threw into a wire error: HerdError keeps its code and field. */
export function errorBodyOf(thrown: unknown): RpcErrorBody {
  if (thrown instanceof HerdError) {
    const f = thrown.toFailure();
    return f.field === undefined ? { code: f.code, message: f.message } : f;
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { code: 'handler_failed', message };
}

/** The server's handler table. */
export class Dispatcher {
  private readonly handlers = new Map<string, PeerHandler>();

  handle(method: string, handler: PeerHandler): void {
    assert(checkMethodName(method).ok, `invalid method name ${JSON.stringify(method)}`);
    assert(!this.handlers.has(method), `handler for ${method} registered twice`);
    this.handlers.set(method, handler);
  }

  has(method: string): boolean {
    return this.handlers.has(method);
  }

  /**
   * Runs the handler for one request or notification. Never rejects: a handler's exception
   * becomes an error outcome, and an unknown method is 'unknown_method'.
   */
  async dispatch(
    method: string,
    params: unknown,
    peer: PeerIdentity,
  ): Promise<Result<unknown, RpcErrorBody>> {
    const handler = this.handlers.get(method);
    if (handler === undefined) {
      return err({ code: 'unknown_method', message: `no handler for method ${method}` });
    }
    try {
      return ok(await handler(params, peer));
    } catch (thrown) {
      return err(errorBodyOf(thrown));
    }
  }
}

interface InFlight {
  readonly method: string;
  readonly settle: (result: Result<unknown, PeerFailure>) => void;
  readonly cancelTimeout: Cancel;
}

/** The client's table of requests awaiting a reply, bounded by `inFlightMax`. */
export class PendingRequests {
  private readonly inFlight = new Map<number, InFlight>();
  private lastId = 0;

  constructor(
    private readonly timers: Timers,
    private readonly inFlightMax: number = limits.peerRequestsInFlightMax,
  ) {
    assert(Number.isInteger(inFlightMax) && inFlightMax > 0, 'inFlightMax must be positive');
  }

  get size(): number {
    return this.inFlight.size;
  }

  has(id: number): boolean {
    return this.inFlight.has(id);
  }

  /** Reserves an id and starts the timeout; the promise settles exactly once. */
  begin(
    method: string,
    timeoutMs: number,
  ): Result<{ id: number; reply: Promise<Result<unknown, PeerFailure>> }, PeerFailure> {
    assert(Number.isFinite(timeoutMs) && timeoutMs > 0, 'timeoutMs must be positive');
    if (this.inFlight.size >= this.inFlightMax) {
      return err(
        failure('too_many_requests', `${this.inFlightMax} requests already in flight to this peer`),
      );
    }
    this.lastId = this.lastId >= Number.MAX_SAFE_INTEGER ? 1 : this.lastId + 1;
    const id = this.lastId;
    assert(!this.inFlight.has(id), 'request ids are unique among requests in flight');
    const reply = new Promise<Result<unknown, PeerFailure>>((resolve) => {
      const cancelTimeout = this.timers.setTimeout(() => {
        this.settle(id, err(failure('timeout', `${method} got no reply within ${timeoutMs} ms`)));
      }, timeoutMs);
      this.inFlight.set(id, { method, settle: resolve, cancelTimeout });
    });
    return ok({ id, reply });
  }

  /** Settles one request; false when it was already settled (a late reply, say). */
  settle(id: number, result: Result<unknown, PeerFailure>): boolean {
    const entry = this.inFlight.get(id);
    if (entry === undefined) return false;
    this.inFlight.delete(id);
    entry.cancelTimeout();
    entry.settle(result);
    return true;
  }

  /** Fails every request in flight, e.g. when the connection carrying them is lost. */
  failAll(f: PeerFailure): void {
    const ids = [...this.inFlight.keys()];
    for (const id of ids) {
      const entry = this.inFlight.get(id);
      this.settle(id, err(entry === undefined ? f : { ...f, message: `${entry.method}: ${f.message}` }));
    }
    assert(this.inFlight.size === 0, 'no request survives failAll');
  }
}
