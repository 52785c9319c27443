import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { limits } from '../core/limits.js';
import {
  certificateCommonName,
  createClusterCa,
  createKeyAndCsr,
  fingerprintSha256,
  issueNodeCertificate,
  signNodeCertificate,
  verifyIssuedBy,
  type CaMaterial,
  type NodeCertificateOptions,
} from './pki.js';

const nowMs = Date.UTC(2030, 0, 1);
const dayMs = 24 * 3600 * 1000;

async function issue(ca: CaMaterial, nodeName: string, at = nowMs) {
  const r = await issueNodeCertificate(ca, {
    nodeName,
    ipAddresses: ['127.0.0.1', '10.1.2.3'],
    dnsNames: ['node.example.org'],
    nowMs: at,
  });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

describe('cluster CA', () => {
  it('is a self-signed CA for ten years that may sign only leaf certificates', async () => {
    const ca = await createClusterCa('prod', nowMs);
    assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.ok(cert.checkIssued(cert));
    assert.ok(cert.verify(cert.publicKey));
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const validToMs = new Date(cert.validTo).getTime();
    assert.ok(Math.abs(validToMs - (nowMs + limits.clusterCaValidityDays * dayMs)) < 1000);
    assert.match(cert.subject, /CN=prod cluster CA/);
    assert.equal(certificateCommonName(ca.certPem), 'prod cluster CA');
  });

  it('keeps odd cluster names inside the CN', async () => {
    const ca = await createClusterCa('a,O=evil', nowMs);
    assert.equal(certificateCommonName(ca.certPem), 'a,O=evil cluster CA');
  });
});

describe('node certificates', () => {
  let ca: CaMaterial;
  let otherCa: CaMaterial;
  before(async () => {
    ca = await createClusterCa('prod', nowMs);
    otherCa = await createClusterCa('other', nowMs);
  });

  it('carry the node name, its addresses and both TLS purposes', async () => {
    const node = await issue(ca, 'node-a');
    const cert = new X509Certificate(node.certPem);
    assert.equal(cert.ca, false);
    assert.equal(certificateCommonName(node.certPem), 'node-a');
    const sans = cert.subjectAltName ?? '';
    for (const name of ['DNS:node-a', 'DNS:localhost', 'DNS:node.example.org', 'IP Address:10.1.2.3']) {
      assert.ok(sans.includes(name), `${name} missing from ${sans}`);
    }
    assert.deepEqual([...(cert.keyUsage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.ok(cert.checkIssued(new X509Certificate(ca.certPem)));
    assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
    assert.equal(new Date(cert.validFrom).getTime(), nowMs - limits.certificateBackdateMs);
    assert.ok(await verifyIssuedBy(node.certPem, ca.certPem, nowMs));
    assert.equal(await verifyIssuedBy(node.certPem, otherCa.certPem), false);
    assert.equal(await verifyIssuedBy(node.certPem, ca.certPem, nowMs + 400 * dayMs), false);
    assert.equal(await verifyIssuedBy('not pem', ca.certPem), false);
  });

  it('fingerprints the DER with SHA-256 in lower-case hex', async () => {
    const node = await issue(ca, 'node-a');
    const expected = new X509Certificate(node.certPem).fingerprint256.replaceAll(':', '').toLowerCase();
    assert.equal(fingerprintSha256(node.certPem), expected);
    assert.match(expected, /^[0-9a-f]{64}$/);
  });

  it('are signed from a CSR made elsewhere, taking only its key', async () => {
    const { keyPem, csrPem } = await createKeyAndCsr('node-b');
    const signed = await signNodeCertificate(ca, csrPem, {
      nodeName: 'node-b',
      ipAddresses: ['::1'],
      dnsNames: [],
      nowMs,
      validityDays: 30,
    });
    assert.ok(signed.ok);
    const cert = new X509Certificate(signed.value.certPem);
    assert.ok(cert.checkPrivateKey(await importKey(keyPem)));
    assert.equal(new Date(cert.validTo).getTime(), nowMs + 30 * dayMs);
  });

  it('refuse garbage, tampered and oversized CSRs with bad_csr on field csr', async () => {
    const { csrPem } = await createKeyAndCsr('node-c');
    const options = { nodeName: 'node-c', ipAddresses: [], dnsNames: [], nowMs };
    const tampered = tamperCsr(csrPem);
    for (const bad of ['garbage', '', tampered, 'x'.repeat(limits.csrBytesMax + 1)]) {
      const r = await signNodeCertificate(ca, bad, options);
      assert.ok(!r.ok, 'bad CSR accepted');
      assert.equal(r.error.code, 'bad_csr');
      assert.equal(r.error.field, 'csr');
    }
  });

  it('refuse bad names, addresses and validity', async () => {
    const { csrPem } = await createKeyAndCsr('node-d');
    const base = { nodeName: 'node-d', ipAddresses: [], dnsNames: [], nowMs };
    const cases: Array<[Partial<NodeCertificateOptions>, string, string]> = [
      [{ nodeName: 'bad name' }, 'bad_node_name', 'nodeName'],
      [{ nodeName: '' }, 'bad_node_name', 'nodeName'],
      [{ ipAddresses: ['300.1.1.1'] }, 'bad_address', 'ipAddresses'],
      [{ dnsNames: ['under_score..x'] }, 'bad_address', 'dnsNames'],
      [{ validityDays: 0 }, 'bad_validity', 'validityDays'],
      [{ validityDays: limits.nodeCertValidityDaysMax + 1 }, 'bad_validity', 'validityDays'],
    ];
    for (const [change, code, field] of cases) {
      const r = await signNodeCertificate(ca, csrPem, { ...base, ...change });
      assert.ok(!r.ok, `${JSON.stringify(change)} accepted`);
      assert.equal(r.error.code, code);
      assert.equal(r.error.field, field);
    }
    const noCa = await signNodeCertificate({ certPem: 'x', keyPem: 'y' }, csrPem, base);
    assert.ok(!noCa.ok && noCa.error.code === 'bad_ca');
  });

  it('never outlive the CA', async () => {
    const lateMs = nowMs + (limits.clusterCaValidityDays - 10) * dayMs;
    const node = await issue(ca, 'node-e', lateMs);
    const caEnd = new Date(new X509Certificate(ca.certPem).validTo).getTime();
    assert.equal(new Date(new X509Certificate(node.certPem).validTo).getTime(), caEnd);
    const expired = await issueNodeCertificate(ca, {
      nodeName: 'node-e', ipAddresses: [], dnsNames: [], nowMs: caEnd + 1,
    });
    assert.ok(!expired.ok && expired.error.code === 'bad_ca');
  });
});

async function importKey(keyPem: string) {
  const { createPrivateKey } = await import('node:crypto');
  return createPrivateKey(keyPem);
}

/** Changes one character of the CSR's subject, so its signature no longer matches. */
function tamperCsr(csrPem: string): string {
  const body = csrPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(body, 'base64');
  const at = der.indexOf(Buffer.from('node-c'));
  assert.ok(at > 0, 'CN found in the CSR');
  der[at + 5] = 'x'.charCodeAt(0);
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** Connects a client to a mutual-TLS echo server; true when a byte made the round trip. */
async function tlsRoundTrip(
  server: { ca: string; cert: string; key: string },
  client: { ca: string; cert?: string; key?: string },
): Promise<boolean> {
  const srv = tls.createServer({
    ...server, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3',
  }, (socket) => socket.on('data', (d: Buffer) => socket.write(d)).on('error', () => {}));
  srv.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  try {
    return await new Promise<boolean>((resolve) => {
      const socket = tls.connect({ ...client, host: '127.0.0.1', port, minVersion: 'TLSv1.3' }, () => {
        socket.write('p');
      });
      socket.on('data', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
      socket.on('close', () => resolve(false));
    });
  } finally {
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}

describe('node certificates with Node TLS', () => {
  it('authenticate both ends; a missing or foreign client certificate is refused', async () => {
    const ca = await createClusterCa('prod', Date.now());
    const other = await createClusterCa('other', Date.now());
    const a = await issue(ca, 'node-a', Date.now());
    const b = await issue(ca, 'node-b', Date.now());
    const stranger = await issue(other, 'node-b', Date.now());
    const server = { ca: ca.certPem, cert: a.certPem, key: a.keyPem };
    assert.equal(await tlsRoundTrip(server, { ca: ca.certPem, cert: b.certPem, key: b.keyPem }), true);
    assert.equal(await tlsRoundTrip(server, { ca: ca.certPem }), false);
    const foreign = { ca: ca.certPem, cert: stranger.certPem, key: stranger.keyPem };
    assert.equal(await tlsRoundTrip(server, foreign), false);
    // The client refuses a server from another CA, too.
    const otherServer = { ca: other.certPem, cert: stranger.certPem, key: stranger.keyPem };
    assert.equal(await tlsRoundTrip(otherServer, { ca: ca.certPem, cert: b.certPem, key: b.keyPem }), false);
  });
});


describe('node certificates with etcd (Go)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-pki-etcd-'));
  let etcd: ReturnType<typeof spawn> | undefined;
  after(() => {
    etcd?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves and authenticates clients with certificates from the cluster CA', async () => {
    const ca = await createClusterCa('prod', Date.now());
    const node = await issue(ca, 'node-a', Date.now());
    const stranger = await issue(await createClusterCa('other', Date.now()), 'node-a', Date.now());
    const files = {
      ca: join(dir, 'ca.pem'), cert: join(dir, 'node.pem'), key: join(dir, 'node.key'),
      strangerCert: join(dir, 'stranger.pem'), strangerKey: join(dir, 'stranger.key'),
    };
    writeFileSync(files.ca, ca.certPem);
    writeFileSync(files.cert, node.certPem);
    writeFileSync(files.key, node.keyPem, { mode: 0o600 });
    writeFileSync(files.strangerCert, stranger.certPem);
    writeFileSync(files.strangerKey, stranger.keyPem, { mode: 0o600 });
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const client = `https://127.0.0.1:${clientPort}`;
    const peer = `https://127.0.0.1:${peerPort}`;
    etcd = spawn('/usr/bin/etcd', [
      '--name', 'node-a', '--data-dir', join(dir, 'data'),
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `node-a=${peer}`,
      '--cert-file', files.cert, '--key-file', files.key,
      '--trusted-ca-file', files.ca, '--client-cert-auth',
      '--peer-cert-file', files.cert, '--peer-key-file', files.key,
      '--peer-trusted-ca-file', files.ca, '--peer-client-cert-auth',
    ], { stdio: 'ignore' });
    const ctl = (cert: string, key: string, ...args: string[]) =>
      etcdctl(['--endpoints', client, '--cacert', files.ca, '--cert', cert, '--key', key,
        '--dial-timeout', '1s', '--command-timeout', '2s', ...args]);
    const deadlineMs = Date.now() + 20_000;
    let put = await ctl(files.cert, files.key, 'put', 'k', 'v');
    while (!put.ok && Date.now() < deadlineMs) put = await ctl(files.cert, files.key, 'put', 'k', 'v');
    assert.ok(put.ok, put.output);
    const get = await ctl(files.cert, files.key, 'get', 'k', '--print-value-only');
    assert.equal(get.output.trim(), 'v');
    const refused = await ctl(files.strangerCert, files.strangerKey, 'get', 'k');
    assert.equal(refused.ok, false);
  });
});

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function etcdctl(args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/etcdctl', args, { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 5000 },
      (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}` }));
  });
}
