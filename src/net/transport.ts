// Owns the server side of the peer transport — framed messages over TCP with mutual TLS 1.3 from
// the cluster CA — and the TLS settings both sides share. The client is in client.ts.
//
// Inputs: the cluster CA certificate, this node's certificate and key, handlers per method.
// Outputs: replies to authenticated peers.
// Invariants:
// - only peers presenting a certificate issued by the cluster CA get past the handshake, and a
//   peer is known by its certificate's CN (its node name), never by what it says in messages;
// - a garbled or oversized frame closes that one connection (after an error frame, if the socket
//   takes it); the server and every other connection carry on;
// - per connection at most `requestsInFlightMax` requests run at once and at most
//   `peerWriteBufferedBytesMax` bytes wait to be written; past either the peer gets
//   'too_many_requests' or is cut off.

import type { AddressInfo, Socket } from 'node:net';
import * as tls from 'node:tls';
import { limits } from '../core/limits.js';
import { assert, err, failure, ok, type Failure, type Result } from '../core/result.js';
import { encodeFrame, FrameDecoder } from './frame.js';
import {
  Dispatcher,
  parseIncoming,
  type PeerHandler,
  type PeerIdentity,
  type RpcErrorBody,
} from './rpc.js';

/** This node's TLS material, all PEM: the cluster CA, its certificate, its PKCS#8 key. */
export interface TlsMaterial {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Settings both sides use: mutual authentication against the cluster CA only, TLS 1.3 only. */
export function peerTlsOptions(material: TlsMaterial): tls.SecureContextOptions & {
  rejectUnauthorized: true;
} {
  return {
    ca: [material.caPem],
    cert: material.certPem,
    key: material.keyPem,
    minVersion: 'TLSv1.3',
    rejectUnauthorized: true,
  };
}

/** The CN of a verified peer certificate, or undefined when it has none or several. */
export function commonNameOf(cert: tls.PeerCertificate | undefined): string | undefined {
  // At run time `subject.CN` is an array when the subject has several CNs; refuse those.
  const cn: unknown = cert?.subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? cn : undefined;
}

/** Writes a frame unless the socket is going away; cuts off a peer that stopped reading. */
export function writeFrame(socket: tls.TLSSocket, frame: Uint8Array): void {
  if (socket.destroyed || socket.writableEnded) return;
  socket.write(frame);
  if (socket.writableLength > limits.peerWriteBufferedBytesMax) {
    socket.destroy(new Error(`peer is not reading: over ${limits.peerWriteBufferedBytesMax} bytes queued`));
  }
}

/** Sends a connection-level error (no id) if the socket takes it, then closes the connection. */
export function closeWithError(socket: tls.TLSSocket, error: RpcErrorBody): void {
  if (socket.destroyed || socket.writableEnded) return;
  socket.pause(); // nothing more from this peer is read: the stream has lost its alignment
  const frame = encodeFrame({ error });
  if (!frame.ok) {
    socket.destroy();
    return;
  }
  socket.end(frame.value, () => socket.destroy());
  // A peer that does not read may never let the frame flush: do not wait for it forever.
  setTimeout(() => socket.destroy(), limits.peerCloseLingerMs).unref();
}

export interface PeerServerOptions extends TlsMaterial {
  readonly connectionsMax?: number;
  readonly frameBytesMax?: number;
  /** Requests running at once for one connection. */
  readonly requestsInFlightMax?: number;
}

export interface PeerServerStats {
  readonly connections: number;
  /** Handshakes that failed: no certificate, a certificate from another CA, a timeout... */
  readonly handshakesFailed: number;
  /** Connections closed for a garbled or oversized frame. */
  readonly connectionsClosedForFraming: number;
}

export class PeerServer {
  private readonly dispatcher = new Dispatcher();
  private readonly sockets = new Set<tls.TLSSocket>();
  /** Every TCP connection, handshake done or not, so that close() need not wait for any. */
  private readonly tcpSockets = new Set<Socket>();
  private readonly server: tls.Server;
  private readonly frameBytesMax: number;
  private readonly requestsInFlightMax: number;
  private listening: AddressInfo | undefined = undefined;
  private handshakesFailed = 0;
  private connectionsClosedForFraming = 0;

  constructor(options: PeerServerOptions) {
    this.frameBytesMax = options.frameBytesMax ?? limits.peerFrameBytesMax;
    this.requestsInFlightMax = options.requestsInFlightMax ?? limits.peerRequestsInFlightMax;
    assert(this.requestsInFlightMax > 0, 'requestsInFlightMax must be positive');
    this.server = tls.createServer({
      ...peerTlsOptions(options),
      requestCert: true,
      handshakeTimeout: limits.peerHandshakeTimeoutMs,
    });
    this.server.maxConnections = options.connectionsMax ?? limits.peerServerConnectionsMax;
    this.server.on('connection', (socket: Socket) => {
      this.tcpSockets.add(socket);
      socket.on('close', () => this.tcpSockets.delete(socket));
    });
    this.server.on('secureConnection', (socket) => this.onSecureConnection(socket));
    this.server.on('tlsClientError', (_error, socket) => {
      this.handshakesFailed += 1;
      socket.destroy();
    });
  }

  /** Registers the handler for one method; also used for notifications of that method. */
  handle(method: string, handler: PeerHandler): void {
    this.dispatcher.handle(method, handler);
  }

  /** Listens on host:port; port 0 picks a free port, which `port` then tells. */
  async listen(host: string, port: number): Promise<Result<AddressInfo, Failure<'listen_failed'>>> {
    assert(this.listening === undefined, 'PeerServer.listen called twice');
    assert(Number.isInteger(port) && port >= 0 && port <= 65535, 'port out of range');
    return new Promise((resolve) => {
      const onError = (e: Error): void => {
        this.server.off('listening', onListening);
        resolve(err(failure('listen_failed', `cannot listen on ${host}:${port}: ${e.message}`)));
      };
      const onListening = (): void => {
        this.server.off('error', onError);
        const address = this.server.address();
        assert(address !== null && typeof address === 'object', 'a TCP server has an address');
        this.listening = address;
        resolve(ok(address));
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen({ host, port });
    });
  }

  get port(): number {
    assert(this.listening !== undefined, 'PeerServer is not listening');
    return this.listening.port;
  }

  stats(): PeerServerStats {
    return {
      connections: this.sockets.size,
      handshakesFailed: this.handshakesFailed,
      connectionsClosedForFraming: this.connectionsClosedForFraming,
    };
  }

  /** Stops listening and drops every connection; requests being handled get no reply. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    for (const socket of this.tcpSockets) socket.destroy();
    if (this.listening === undefined) return;
    this.listening = undefined;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onSecureConnection(socket: tls.TLSSocket): void {
    socket.setNoDelay(true);
    socket.on('error', () => {
      // 'close' follows and does the cleanup; an error here is the peer's problem, not ours.
    });
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    // rejectUnauthorized already refused unverified peers; check again rather than trust it.
    const nodeName = socket.authorized ? commonNameOf(socket.getPeerCertificate()) : undefined;
    if (nodeName === undefined) {
      closeWithError(socket, { code: 'unauthenticated', message: 'peer certificate has no single CN' });
      return;
    }
    const peer: PeerIdentity = { nodeName };
    const decoder = new FrameDecoder(this.frameBytesMax);
    const connection = { socket, peer, inFlight: 0 };
    socket.on('data', (chunk: Buffer) => {
      const decoded = decoder.push(chunk);
      if (!decoded.ok) {
        this.connectionsClosedForFraming += 1;
        closeWithError(socket, decoded.error);
        return;
      }
      for (const message of decoded.value) this.onMessage(connection, message);
    });
  }

  private onMessage(
    connection: { socket: tls.TLSSocket; peer: PeerIdentity; inFlight: number },
    message: unknown,
  ): void {
    const { socket, peer } = connection;
    const parsed = parseIncoming(message);
    if (!parsed.ok) {
      // Framing is intact, so the connection can go on; tell the peer what was wrong.
      const { id, failure: f } = parsed.error;
      this.reply(socket, id, err(f.field === undefined ? { code: f.code, message: f.message } : f));
      return;
    }
    const incoming = parsed.value;
    if (incoming.kind === 'request' && connection.inFlight >= this.requestsInFlightMax) {
      const message = `${this.requestsInFlightMax} requests already running for this connection`;
      this.reply(socket, incoming.id, err({ code: 'too_many_requests', message }));
      return;
    }
    if (incoming.kind === 'request') connection.inFlight += 1;
    // dispatch never rejects (see Dispatcher), so nothing is swallowed here.
    void this.dispatcher.dispatch(incoming.method, incoming.params, peer).then((outcome) => {
      if (incoming.kind !== 'request') return; // notifications get no reply, not even errors
      connection.inFlight -= 1;
      this.reply(socket, incoming.id, outcome);
    });
  }

  private reply(
    socket: tls.TLSSocket,
    id: number | undefined,
    outcome: Result<unknown, RpcErrorBody>,
  ): void {
    const body = outcome.ok ? { result: outcome.value ?? null } : { error: outcome.error };
    let frame = encodeFrame(id === undefined ? body : { id, ...body }, this.frameBytesMax);
    if (!frame.ok) {
      // The handler's result cannot travel (too large, not JSON): the caller still gets a reply.
      const error = { code: frame.error.code, message: `reply not sent: ${frame.error.message}` };
      frame = encodeFrame(id === undefined ? { error } : { id, error }, this.frameBytesMax);
      assert(frame.ok, 'a small error reply always encodes');
    }
    writeFrame(socket, frame.value);
  }
}
