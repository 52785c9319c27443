// Owns the client side of the peer transport: one PeerClient per remote address, carrying
// requests and one-way notifications over one mutual-TLS connection.
//
// Inputs: the remote address, this node's TLS material, a random source (for backoff jitter),
// timers and a clock. Outputs: a Result per request: the reply, or 'timeout', 'unavailable',
// 'remote_error' (with the remote code), 'too_many_requests', 'bad_request' or a framing code.
// Life cycle: idle -> connecting -> connected -> (lost) -> waiting -> connecting ... -> closed.
// The first request or notification connects; after a loss the client reconnects on its own
// with jittered exponential backoff until close(), so a peer link stays warm.
// Invariants:
// - the server must present a certificate chaining to the cluster CA (and, when
//   `expectedNodeName` is given, with that CN); hostnames are not checked, because cluster
//   membership is the CA's word and peers are often addressed by IP;
// - requests wait for a connection only as long as the attempt in progress: when it fails, or
//   when the connection carrying them is lost, they fail with 'unavailable' (a request lost with
//   its connection may or may not have run on the peer);
// - at most `requestsInFlightMax` requests are in flight, and at most as many notifications
//   (plus those requests) wait for a connection.

import * as tls from 'node:tls';
import { isIP } from 'node:net';
import { systemClock, systemTimers, type Cancel, type Clock, type Timers } from '../core/clock.js';
import { limits } from '../core/limits.js';
import { backoffMs, type Random } from '../core/random.js';
import { assert, err, failure, ok, type Result } from '../core/result.js';
import { encodeFrame, FrameDecoder } from './frame.js';
import {
  checkMethodName,
  parseReply,
  PendingRequests,
  remoteFailure,
  type PeerFailure,
} from './rpc.js';
import { commonNameOf, peerTlsOptions, writeFrame, type TlsMaterial } from './transport.js';

export interface PeerClientOptions extends TlsMaterial {
  readonly host: string;
  readonly port: number;
  readonly random: Random;
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** When set, the server's certificate CN must be exactly this node name. */
  readonly expectedNodeName?: string;
  readonly requestsInFlightMax?: number;
  readonly frameBytesMax?: number;
}

export interface RequestOptions {
  readonly timeoutMs?: number;
}

export type PeerClientState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed';

export interface PeerClientStatus {
  readonly state: PeerClientState;
  readonly inFlight: number;
  /** Failed connection attempts since the last successful one. */
  readonly reconnectAttempt: number;
  readonly lastError?: string;
  readonly lastErrorAtMs?: number;
  readonly connectedAtMs?: number;
}

type Connection =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting'; readonly socket: tls.TLSSocket; readonly cancelTimeout: Cancel }
  | {
      readonly kind: 'connected';
      readonly socket: tls.TLSSocket;
      readonly sinceMonotonicMs: number;
      /** Set once a valid reply arrived: proof that the server accepted our certificate. */
      heardFromPeer: boolean;
    }
  | { readonly kind: 'waiting'; readonly cancelRetry: Cancel }
  | { readonly kind: 'closed' };

/** A frame waiting for a connection; `id` for requests, so a timed-out one is not sent late. */
interface Unsent {
  readonly id: number | undefined;
  readonly frame: Uint8Array;
}

export class PeerClient {
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly pending: PendingRequests;
  private readonly requestsInFlightMax: number;
  private readonly frameBytesMax: number;
  private connection: Connection = { kind: 'idle' };
  private outbox: Unsent[] = [];
  private reconnectAttempt = 0;
  private lastError: { message: string; atMs: number } | undefined = undefined;
  private connectedAtMs: number | undefined = undefined;
  private readonly closedWaiters: Array<() => void> = [];

  constructor(private readonly options: PeerClientOptions) {
    assert(options.host.length > 0, 'PeerClient needs a host');
    assert(Number.isInteger(options.port) && options.port > 0 && options.port <= 65535, 'port');
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.requestsInFlightMax = options.requestsInFlightMax ?? limits.peerRequestsInFlightMax;
    this.frameBytesMax = options.frameBytesMax ?? limits.peerFrameBytesMax;
    this.pending = new PendingRequests(this.timers, this.requestsInFlightMax);
  }

  /** Sends a request and waits for its reply, at most `timeoutMs`. */
  async request(
    method: string,
    params: unknown,
    options: RequestOptions = {},
  ): Promise<Result<unknown, PeerFailure>> {
    const timeoutMs = options.timeoutMs ?? limits.peerRequestTimeoutMs;
    const refused = this.refuse(method);
    if (refused !== undefined) return err(refused);
    const started = this.pending.begin(method, timeoutMs);
    if (!started.ok) return err(started.error);
    const { id, reply } = started.value;
    const frame = encodeFrame({ id, method, params }, this.frameBytesMax);
    if (!frame.ok) {
      this.pending.settle(id, err(frame.error));
      return reply;
    }
    this.send({ id, frame: frame.value });
    return reply;
  }

  /** Sends a one-way message: best effort, at most once, no reply and no delivery report. */
  notify(method: string, params: unknown): Result<void, PeerFailure> {
    const refused = this.refuse(method);
    if (refused !== undefined) return err(refused);
    if (this.connection.kind !== 'connected' && this.outbox.length >= this.requestsInFlightMax) {
      return err(failure('too_many_requests', `${this.outbox.length} messages wait to be sent`));
    }
    const frame = encodeFrame({ method, params }, this.frameBytesMax);
    if (!frame.ok) return err(frame.error);
    this.send({ id: undefined, frame: frame.value });
    return ok(undefined);
  }

  status(): PeerClientStatus {
    return {
      state: this.connection.kind,
      inFlight: this.pending.size,
      reconnectAttempt: this.reconnectAttempt,
      ...(this.lastError === undefined
        ? {}
        : { lastError: this.lastError.message, lastErrorAtMs: this.lastError.atMs }),
      ...(this.connectedAtMs === undefined ? {} : { connectedAtMs: this.connectedAtMs }),
    };
  }

  /** Ends everything: fails requests in flight, stops reconnecting, closes the socket. */
  async close(): Promise<void> {
    const previous = this.connection;
    if (previous.kind === 'closed') return;
    this.connection = { kind: 'closed' };
    this.outbox = [];
    this.pending.failAll(failure('unavailable', 'client closed'));
    switch (previous.kind) {
      case 'idle':
        return;
      case 'waiting':
        previous.cancelRetry();
        return;
      case 'connecting':
      case 'connected': {
        if (previous.kind === 'connecting') previous.cancelTimeout();
        const socket = previous.socket;
        if (socket.closed) return;
        const closed = new Promise<void>((resolve) => this.closedWaiters.push(resolve));
        socket.destroy();
        await closed;
        return;
      }
    }
  }

  private refuse(method: string): PeerFailure | undefined {
    if (this.connection.kind === 'closed') return failure('unavailable', 'client closed');
    const name = checkMethodName(method);
    return name.ok ? undefined : name.error;
  }

  private send(unsent: Unsent): void {
    if (this.connection.kind === 'connected') {
      writeFrame(this.connection.socket, unsent.frame);
      return;
    }
    if (this.outbox.length >= this.requestsInFlightMax) {
      // Requests that timed out while waiting need not be kept for sending.
      this.outbox = this.outbox.filter(({ id }) => id === undefined || this.pending.has(id));
    }
    this.outbox.push(unsent);
    if (this.connection.kind === 'idle') this.connect();
    // 'connecting' flushes on success; 'waiting' reconnects when its backoff ends.
  }

  private connect(): void {
    assert(this.connection.kind === 'idle' || this.connection.kind === 'waiting', 'connect state');
    const { host, port, expectedNodeName } = this.options;
    const socket = tls.connect({
      ...peerTlsOptions(this.options),
      host,
      port,
      // Peers are addressed by IP; SNI carries host names only (RFC 6066).
      servername: isIP(host) === 0 ? host : '',
      checkServerIdentity: (_host, cert) => {
        if (expectedNodeName === undefined) return undefined;
        const cn = commonNameOf(cert);
        return cn === expectedNodeName
          ? undefined
          : new Error(`peer certificate names ${String(cn)}, expected ${expectedNodeName}`);
      },
    });
    socket.setNoDelay(true);
    const cancelTimeout = this.timers.setTimeout(() => {
      socket.destroy(new Error(`connection not established within ${limits.peerConnectTimeoutMs} ms`));
    }, limits.peerConnectTimeoutMs);
    this.connection = { kind: 'connecting', socket, cancelTimeout };
    const decoder = new FrameDecoder(this.frameBytesMax);
    let closeReason: string | undefined;
    socket.once('secureConnect', () => this.onConnected(socket, cancelTimeout));
    socket.on('data', (chunk: Buffer) => {
      const decoded = decoder.push(chunk);
      if (!decoded.ok) {
        closeReason = `garbled reply stream: ${decoded.error.message}`;
        socket.destroy();
        return;
      }
      for (const message of decoded.value) {
        const reason = this.onMessage(message);
        if (reason !== undefined) closeReason ??= reason;
      }
    });
    socket.on('error', (e: Error) => {
      closeReason ??= e.message;
    });
    socket.once('close', () => {
      cancelTimeout();
      this.onClosed(socket, closeReason);
    });
  }

  private onConnected(socket: tls.TLSSocket, cancelTimeout: Cancel): void {
    cancelTimeout();
    if (this.connection.kind !== 'connecting' || this.connection.socket !== socket) return;
    // The attempt counter is reset only once the link has proved itself (see onClosed): with
    // TLS 1.3 a server refusing our certificate does so just after our handshake completes.
    const sinceMonotonicMs = this.clock.monotonicMs();
    this.connection = { kind: 'connected', socket, sinceMonotonicMs, heardFromPeer: false };
    this.connectedAtMs = this.clock.nowMs();
    const unsent = this.outbox;
    this.outbox = [];
    for (const { id, frame } of unsent) {
      if (id === undefined || this.pending.has(id)) writeFrame(socket, frame);
    }
  }

  /** Settles the request a reply answers; returns a reason when the server announced a close. */
  private onMessage(message: unknown): string | undefined {
    const reply = parseReply(message);
    if (!reply.ok) return `bad reply from peer: ${reply.error.message}`;
    if (reply.value.kind === 'connection_error') {
      const { code, message: text } = reply.value.error;
      return `peer closed the connection: ${code}: ${text}`;
    }
    if (this.connection.kind === 'connected') this.connection.heardFromPeer = true;
    const { id, outcome } = reply.value;
    // A reply for an id no longer in flight (it timed out) is dropped on purpose.
    this.pending.settle(id, outcome.ok ? outcome : err(remoteFailure(outcome.error)));
    return undefined;
  }

  private onClosed(socket: tls.TLSSocket, closeReason: string | undefined): void {
    if (this.connection.kind === 'closed') {
      for (const resolve of this.closedWaiters.splice(0)) resolve();
      return;
    }
    const current = this.connection;
    if ((current.kind !== 'connecting' && current.kind !== 'connected') || current.socket !== socket) {
      return;
    }
    const wasConnected = current.kind === 'connected';
    // With TLS 1.3 a server refuses a client certificate only after the client's handshake has
    // completed, and Node reports no error for it: say what the likely cause is.
    const refusedHint =
      current.kind === 'connected' && !current.heardFromPeer ? ' before any reply (it may refuse our certificate)' : '';
    const reason = closeReason ?? `connection closed by peer${refusedHint}`;
    if (current.kind === 'connected') {
      const upMs = this.clock.monotonicMs() - current.sinceMonotonicMs;
      if (current.heardFromPeer || upMs >= limits.peerReconnectMaxMs) this.reconnectAttempt = 0;
    }
    this.lastError = { message: reason, atMs: this.clock.nowMs() };
    this.connectedAtMs = undefined;
    this.outbox = [];
    const what = wasConnected ? 'connection lost' : 'cannot connect';
    this.pending.failAll(failure('unavailable', `${what} to ${this.address()}: ${reason}`));
    const delayMs = backoffMs(
      this.reconnectAttempt,
      limits.peerReconnectBaseMs,
      limits.peerReconnectMaxMs,
      this.options.random,
    );
    this.reconnectAttempt += 1;
    const cancelRetry = this.timers.setTimeout(() => {
      if (this.connection.kind === 'waiting') this.connect();
    }, delayMs);
    this.connection = { kind: 'waiting', cancelRetry };
  }

  private address(): string {
    return `${this.options.host}:${this.options.port}`;
  }
}
