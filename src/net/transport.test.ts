import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import * as tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { limits } from '../core/limits.js';
import { seededRandom } from '../core/random.js';
import { HerdError } from '../core/result.js';
import { PeerClient, type PeerClientOptions } from './client.js';
import { encodeFrame, FrameDecoder, frameHeaderBytes } from './frame.js';
import { createClusterCa, issueNodeCertificate, type CaMaterial } from './pki.js';
import { PeerServer, type TlsMaterial } from './transport.js';

const host = '127.0.0.1';

interface Cluster {
  ca: CaMaterial;
  server: TlsMaterial;
  a: TlsMaterial;
  b: TlsMaterial;
  /** Trusts the cluster CA but holds a certificate from another CA. */
  stranger: TlsMaterial;
  /** A server of another cluster. */
  otherServer: TlsMaterial;
}

async function material(ca: CaMaterial, trustPem: string, nodeName: string): Promise<TlsMaterial> {
  const r = await issueNodeCertificate(ca, { nodeName, ipAddresses: [host], dnsNames: [], nowMs: Date.now() });
  assert.ok(r.ok);
  return { caPem: trustPem, certPem: r.value.certPem, keyPem: r.value.keyPem };
}

async function makeCluster(): Promise<Cluster> {
  const ca = await createClusterCa('test', Date.now());
  const other = await createClusterCa('other', Date.now());
  return {
    ca,
    server: await material(ca, ca.certPem, 'node-s'),
    a: await material(ca, ca.certPem, 'node-a'),
    b: await material(ca, ca.certPem, 'node-b'),
    stranger: await material(other, ca.certPem, 'node-a'),
    otherServer: await material(other, other.certPem, 'node-s'),
  };
}

/** Polls a condition until it holds or the deadline passes. */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, deadlineMs = 5000) {
  const endMs = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > endMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A hand-driven TLS connection, for sending what a PeerClient never would. */
function rawConnect(port: number, tlsMaterial: { caPem: string; certPem?: string; keyPem?: string }) {
  const frames: unknown[] = [];
  const decoder = new FrameDecoder();
  const socket = tls.connect({
    host, port, ca: [tlsMaterial.caPem], minVersion: 'TLSv1.3',
    ...(tlsMaterial.certPem === undefined ? {} : { cert: tlsMaterial.certPem, key: tlsMaterial.keyPem }),
    checkServerIdentity: () => undefined,
  });
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    const r = decoder.push(chunk);
    if (r.ok) frames.push(...r.value);
  });
  const connected = new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, frames, connected, closed };
}

function frame(message: object): Uint8Array {
  const r = encodeFrame(message);
  assert.ok(r.ok);
  return r.value;
}

describe('peer transport', () => {
  let cluster: Cluster;
  let server: PeerServer;
  let port: number;
  const clients: PeerClient[] = [];
  const releases: Array<() => void> = [];
  const notes: Array<{ params: unknown; from: string }> = [];

  const client = (tlsMaterial: TlsMaterial, extra: Partial<PeerClientOptions> = {}) => {
    const c = new PeerClient({ ...tlsMaterial, host, port, random: seededRandom(7), ...extra });
    clients.push(c);
    return c;
  };

  before(async () => {
    cluster = await makeCluster();
    server = new PeerServer(cluster.server);
    server.handle('echo', (params, peer) => Promise.resolve({ params, from: peer.nodeName }));
    server.handle('nothing', () => Promise.resolve(undefined));
    server.handle('fail', () =>
      Promise.reject(new HerdError('quota_exceeded', 'too many widgets', 'widgets')),
    );
    server.handle('crash', () => {
      throw new Error('boom'); // a handler that throws synchronously
    });
    server.handle('hang', () => new Promise((resolve) => releases.push(() => resolve('late'))));
    server.handle('note', (params, peer) => {
      notes.push({ params, from: peer.nodeName });
      return Promise.resolve();
    });
    const listening = await server.listen(host, 0);
    assert.ok(listening.ok);
    port = server.port;
    assert.ok(port > 0);
  });

  after(async () => {
    for (const release of releases) release();
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  it('answers requests with the caller known by its certificate', async () => {
    const c = client(cluster.a);
    assert.equal(c.status().state, 'idle'); // connects lazily
    assert.deepEqual(await c.request('echo', { x: [1, 'two'] }), {
      ok: true,
      value: { params: { x: [1, 'two'] }, from: 'node-a' },
    });
    assert.equal(c.status().state, 'connected');
    assert.deepEqual(await c.request('nothing', null), { ok: true, value: null });
    const many = await Promise.all([1, 2, 3, 4, 5].map((n) => c.request('echo', n)));
    assert.deepEqual(many.map((r) => (r.ok ? (r.value as { params: unknown }).params : r)), [1, 2, 3, 4, 5]);
  });

  it('reports a port in use as listen_failed', async () => {
    const busy = new PeerServer(cluster.server);
    const r = await busy.listen(host, port);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'listen_failed');
    await busy.close();
  });

  it('reports remote failures with the remote code', async () => {
    const c = client(cluster.b);
    const failed = await c.request('fail', {});
    assert.ok(!failed.ok);
    assert.deepEqual(failed.error, {
      code: 'remote_error', message: 'too many widgets', remoteCode: 'quota_exceeded', field: 'widgets',
    });
    const crashed = await c.request('crash', {});
    assert.ok(!crashed.ok && crashed.error.remoteCode === 'handler_failed');
    const unknown = await c.request('no-such-method', {});
    assert.ok(!unknown.ok);
    assert.equal(unknown.error.code, 'remote_error');
    assert.equal(unknown.error.remoteCode, 'unknown_method');
  });

  it('delivers one-way notifications', async () => {
    const c = client(cluster.a);
    assert.ok(c.notify('note', { seq: 1 }).ok);
    await waitFor('the notification', () => notes.length === 1);
    assert.deepEqual(notes[0], { params: { seq: 1 }, from: 'node-a' });
  });

  it('times a request out, ignores its late reply and keeps working', async () => {
    const c = client(cluster.a);
    const r = await c.request('hang', {}, { timeoutMs: 50 });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'timeout');
    releases.splice(0).forEach((release) => release());
    assert.ok((await c.request('echo', 1)).ok);
  });

  it('refuses requests past the in-flight limit, and bad method names locally', async () => {
    const c = client(cluster.a, { requestsInFlightMax: 2 });
    const hanging = [c.request('hang', {}), c.request('hang', {})];
    const third = await c.request('echo', 3);
    assert.ok(!third.ok && third.error.code === 'too_many_requests');
    const long = await c.request('m'.repeat(limits.peerMethodNameLengthMax + 1), {});
    assert.ok(!long.ok && long.error.code === 'bad_request');
    await waitFor('both hanging requests to reach the server', () => releases.length === 2);
    releases.splice(0).forEach((release) => release());
    assert.deepEqual((await Promise.all(hanging)).map((r) => r.ok), [true, true]);
  });

  it('refuses a client without a certificate before any handler runs', async () => {
    const before = server.stats().handshakesFailed;
    const raw = rawConnect(port, { caPem: cluster.ca.certPem });
    raw.socket.write(frame({ id: 1, method: 'note', params: 'unauthenticated' }));
    await raw.closed;
    assert.deepEqual(raw.frames, []);
    await waitFor('the failed handshake to be counted', () => server.stats().handshakesFailed > before);
    assert.ok(notes.every((n) => n.params !== 'unauthenticated'));
  });

  it('refuses a client certificate from another CA', async () => {
    const c = client(cluster.stranger);
    const r = await c.request('echo', {});
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'unavailable');
  });

  it('refuses a server from another CA, or with another name than expected', async () => {
    const other = new PeerServer(cluster.otherServer);
    other.handle('echo', () => Promise.resolve('wrong cluster'));
    assert.ok((await other.listen(host, 0)).ok);
    try {
      const c = new PeerClient({ ...cluster.a, host, port: other.port, random: seededRandom(1) });
      clients.push(c);
      const r = await c.request('echo', {});
      assert.ok(!r.ok && r.error.code === 'unavailable', JSON.stringify(r));
    } finally {
      await other.close();
    }
    const wrongName = client(cluster.a, { expectedNodeName: 'node-z' });
    const r = await wrongName.request('echo', {});
    assert.ok(!r.ok && r.error.code === 'unavailable');
    assert.match(r.error.message, /node-z/);
    const rightName = client(cluster.a, { expectedNodeName: 'node-s' });
    assert.ok((await rightName.request('echo', {})).ok);
  });

  it('closes only the connection that sent an oversized frame', async () => {
    const bystander = client(cluster.b);
    assert.ok((await bystander.request('echo', 'before')).ok);
    const raw = rawConnect(port, cluster.a);
    await raw.connected;
    const header = new Uint8Array(frameHeaderBytes);
    new DataView(header.buffer).setUint32(0, limits.peerFrameBytesMax + 1, false);
    raw.socket.write(header);
    await raw.closed;
    assert.deepEqual(raw.frames.map((f) => (f as { error?: { code?: string } }).error?.code), ['frame_too_large']);
    assert.deepEqual(await bystander.request('echo', 'after'), {
      ok: true, value: { params: 'after', from: 'node-b' },
    });
    assert.ok((await client(cluster.a).request('echo', 'new connection')).ok);
  });

  it('closes a connection sending garbled bytes, and answers a malformed request', async () => {
    const malformed = rawConnect(port, cluster.a);
    await malformed.connected;
    malformed.socket.write(frame({ id: 9, params: {} })); // no method
    await waitFor('the bad_request reply', () => malformed.frames.length === 1);
    assert.deepEqual(malformed.frames[0], {
      id: 9, error: { code: 'bad_request', message: 'method must be a non-empty string', field: 'method' },
    });
    malformed.socket.write(frame({ id: 10, method: 'echo', params: 'still open' }));
    await waitFor('the echo reply', () => malformed.frames.length === 2);
    malformed.socket.destroy();

    const garbled = rawConnect(port, cluster.a);
    await garbled.connected;
    garbled.socket.write(Uint8Array.of(0, 0, 0, 3, 0x7b, 0xff, 0x7d));
    await garbled.closed;
    assert.equal((garbled.frames[0] as { error: { code: string } }).error.code, 'frame_garbled');
    assert.ok(server.stats().connectionsClosedForFraming >= 2);
    assert.ok((await client(cluster.b).request('echo', 'server still fine')).ok);
  });

  it('ends everything on close()', async () => {
    const c = client(cluster.a);
    assert.ok((await c.request('echo', 1)).ok);
    const pending = c.request('hang', {}, { timeoutMs: 60_000 });
    await waitFor('the request to reach the server', () => releases.length === 1);
    await c.close();
    const r = await pending;
    assert.ok(!r.ok && r.error.code === 'unavailable');
    const afterClose = await c.request('echo', 1);
    assert.ok(!afterClose.ok && afterClose.error.code === 'unavailable');
    assert.equal(c.status().state, 'closed');
    releases.splice(0).forEach((release) => release());
  });
});

describe('peer server close', () => {
  it('does not wait for a connection stuck before its TLS handshake', async () => {
    const cluster = await makeCluster();
    const server = new PeerServer(cluster.server);
    assert.ok((await server.listen(host, 0)).ok);
    const silent = connectTcp({ host, port: server.port });
    silent.on('error', () => {});
    await new Promise<void>((resolve) => silent.once('connect', () => resolve()));
    const startedMs = Date.now();
    await server.close();
    assert.ok(Date.now() - startedMs < limits.peerHandshakeTimeoutMs / 2, 'close waited for the handshake');
    silent.destroy();
  });
});

describe('peer transport across a server restart', () => {
  it('fails requests in flight on disconnect and reconnects to the same port', async () => {
    const cluster = await makeCluster();
    const start = async (port: number) => {
      const s = new PeerServer(cluster.server);
      s.handle('echo', (params) => Promise.resolve(params));
      s.handle('hang', () => new Promise(() => {}));
      const listening = await s.listen(host, port);
      assert.ok(listening.ok, listening.ok ? '' : listening.error.message);
      return s;
    };
    let server = await start(0);
    const port = server.port;
    const c = new PeerClient({ ...cluster.a, host, port, random: seededRandom(3) });
    try {
      assert.deepEqual(await c.request('echo', 'first'), { ok: true, value: 'first' });
      const inFlight = c.request('hang', {}, { timeoutMs: 60_000 });
      await waitFor('the request to be sent', () => c.status().inFlight === 1);
      await server.close();
      const lost = await inFlight;
      assert.ok(!lost.ok && lost.error.code === 'unavailable');
      const down = await c.request('echo', 'while down', { timeoutMs: 5000 });
      assert.ok(!down.ok && down.error.code === 'unavailable');
      assert.ok(c.status().reconnectAttempt >= 1);

      server = await start(port);
      await waitFor('the client to reconnect', async () => (await c.request('echo', 'again')).ok);
      assert.equal(c.status().state, 'connected');
    } finally {
      await c.close();
      await server.close();
    }
  });
});
