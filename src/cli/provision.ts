// Owns preparing a node's data directory: `init` makes a new cluster's identity (CA, node key
// and certificate, admin credential, bootstrap file, node.json); `join` asks an existing node
// to admit this one (pinning the cluster CA by the hash in the token), then writes what it got.
// Starting herdd is separate (start.ts), so `npm start` can run the daemons itself.

import { get as httpsGet } from 'node:https';
import { existsSync, mkdirSync } from 'node:fs';
import { networkInterfaces, hostname } from 'node:os';
import { createClusterCa, createKeyAndCsr, fingerprintSha256, issueNodeCertificate } from '../net/pki.js';
import { err, ok, type Failure, type Result } from '../core/result.js';
import { joinHostPort, nodeConfigSchema, splitHostPort, type NodeConfig } from '../core/config.js';
import { dataPaths, writeFileDurable, type Bootstrap } from '../daemon/paths.js';
import { formatApiToken, newSecret, parseJoinToken, sha256Hex } from '../api/auth.js';
import { HerdClient } from '../api/client.js';
import { zodFailure } from '../store/records.js';

/** The API port is given; the peer, etcd client and etcd peer ports follow it. */
export function listenAddresses(api: string, voter: boolean): NodeConfig['listen'] {
  const { host, port } = splitHostPort(api);
  return {
    api: joinHostPort(host, port),
    peer: joinHostPort(host, port + 1),
    ...(voter ? { etcdClient: joinHostPort(host, port + 2), etcdPeer: joinHostPort(host, port + 3) } : {}),
  };
}

export function defaultListen(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return `${a.address}:7100`;
  }
  return '127.0.0.1:7100';
}

export function defaultNodeName(): string {
  const h = hostname().toLowerCase().split('.')[0]?.replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '') ?? '';
  return h === '' ? 'node1' : h.slice(0, 63);
}

function checkConfig(config: NodeConfig): Result<NodeConfig, Failure> {
  const parsed = nodeConfigSchema.safeParse(config);
  if (!parsed.success) return err(zodFailure(parsed.error));
  return ok(parsed.data);
}

function refuseExisting(dataDir: string): Result<void, Failure> {
  if (existsSync(dataPaths(dataDir).config)) {
    return err({ code: 'conflict', field: 'data-dir', message: `${dataDir} already holds a node (node.json): use another --data-dir, or remove it to start over` });
  }
  return ok(undefined);
}

export interface InitResult {
  readonly config: NodeConfig;
  readonly adminToken: string;
  readonly caPem: string;
}

export async function initNode(options: { dataDir: string; name: string; cluster: string; listen: string }): Promise<Result<InitResult, Failure>> {
  const existing = refuseExisting(options.dataDir);
  if (!existing.ok) return existing;
  const listen = listenAddresses(options.listen, true);
  const config = checkConfig({
    cluster: options.cluster,
    node: options.name,
    role: 'voter',
    listen,
    etcd: { endpoints: [`https://${listen.etcdClient}`], initialClusterState: 'new' },
  });
  if (!config.ok) return config;
  const now = Date.now();
  const ca = await createClusterCa(options.cluster, now);
  const { host } = splitHostPort(listen.api);
  const isIp = /^[0-9.]+$|:/.test(host);
  const cert = await issueNodeCertificate(ca, { nodeName: options.name, ipAddresses: isIp ? [...new Set([host, '127.0.0.1'])] : ['127.0.0.1'], dnsNames: isIp ? [] : [host], nowMs: now });
  if (!cert.ok) return cert;
  const paths = dataPaths(options.dataDir);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const admin = newSecret();
  const bootstrap: Bootstrap = { adminTokenId: admin.id, adminSecretSha256: sha256Hex(admin.secret), createdAtMs: now };
  writeFileDurable(paths.caCert, ca.certPem, 0o644);
  writeFileDurable(paths.caKey, ca.keyPem, 0o600);
  writeFileDurable(paths.nodeCert, cert.value.certPem, 0o644);
  writeFileDurable(paths.nodeKey, cert.value.keyPem, 0o600);
  writeFileDurable(paths.bootstrap, JSON.stringify(bootstrap), 0o600);
  const adminToken = formatApiToken(admin.id, admin.secret);
  writeFileDurable(`${options.dataDir}/admin.token`, `${adminToken}\n`, 0o600);
  writeFileDurable(paths.config, `${JSON.stringify(config.value, null, 2)}\n`, 0o600);
  return ok({ config: config.value, adminToken, caPem: ca.certPem });
}

/** Fetches the CA from a node without trusting it yet, and checks it against the token's pin. */
export function fetchPinnedCa(address: string, caPin: string, timeoutMs = 10_000): Promise<Result<string, Failure>> {
  const { host, port } = splitHostPort(address);
  return new Promise((resolve) => {
    const req = httpsGet({ host, port, path: '/v1/ca', rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { caPem?: unknown };
          if (typeof body.caPem !== 'string') throw new Error('no caPem');
          if (!fingerprintSha256(body.caPem).startsWith(caPin)) {
            resolve(err({ code: 'token_invalid', field: 'token', message: `the cluster at ${address} has a different CA than the token names: refusing to join (wrong address, or someone in between)` }));
            return;
          }
          resolve(ok(body.caPem));
        } catch (e) {
          resolve(err({ code: 'bad_response', message: `${address} is not a Herd API: ${(e as Error).message}` }));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve(err({ code: 'unavailable', message: `cannot reach ${address}: ${e.message}` })));
  });
}

export async function joinNode(options: { dataDir: string; address: string; token: string; name: string; listen: string; voter: boolean }): Promise<Result<NodeConfig, Failure>> {
  const existing = refuseExisting(options.dataDir);
  if (!existing.ok) return existing;
  const parsed = parseJoinToken(options.token);
  if (!parsed.ok) return parsed;
  const listen = listenAddresses(options.listen, options.voter);
  const draft = checkConfig({ cluster: 'pending', node: options.name, role: options.voter ? 'voter' : 'worker', listen, etcd: { endpoints: ['https://pending:1'] } });
  if (!draft.ok) return draft;
  const caPem = await fetchPinnedCa(options.address, parsed.value.caPin);
  if (!caPem.ok) return caPem;
  const { keyPem, csrPem } = await createKeyAndCsr(options.name);
  const client = new HerdClient({ addresses: [options.address], caPem: caPem.value, timeoutMs: 30_000 });
  const joined = await client.join({
    token: options.token,
    name: options.name,
    voter: options.voter,
    csrPem,
    apiAddress: listen.api,
    peerAddress: listen.peer,
    ...(options.voter ? { etcdClientAddress: listen.etcdClient, etcdPeerAddress: listen.etcdPeer } : {}),
  });
  if (!joined.ok) return joined;
  const j = joined.value;
  const config = checkConfig({
    cluster: j.cluster,
    node: options.name,
    role: options.voter ? 'voter' : 'worker',
    listen,
    etcd: { endpoints: j.etcdEndpoints, ...(j.initialCluster ? { initialCluster: j.initialCluster, initialClusterState: 'existing' as const } : {}) },
  });
  if (!config.ok) return config;
  const paths = dataPaths(options.dataDir);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  writeFileDurable(paths.caCert, j.caPem, 0o644);
  if (j.caKeyPem) writeFileDurable(paths.caKey, j.caKeyPem, 0o600);
  writeFileDurable(paths.nodeCert, j.certPem, 0o644);
  writeFileDurable(paths.nodeKey, keyPem, 0o600);
  writeFileDurable(paths.config, `${JSON.stringify(config.value, null, 2)}\n`, 0o600);
  return ok(config.value);
}
