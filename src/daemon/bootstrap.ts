// Owns the first start of a new cluster's first node: it writes the node's record and the
// admin credential's digest (prepared by `herd init` in bootstrap.json) in one guarded commit,
// records the cluster's creation, then deletes bootstrap.json. Safe to repeat after a crash:
// records that already exist are left as they are.

import { readFileSync, rmSync } from 'node:fs';
import { err, ok, type Failure, type Result } from '../core/result.js';
import { fingerprintSha256 } from '../net/pki.js';
import { apiTokens } from '../api/auth.js';
import { nodes } from '../membership/records.js';
import { bootstrapSchema } from './paths.js';
import type { Herdd } from './herdd.js';

export async function bootstrapCluster(herdd: Herdd, path: string): Promise<Result<void, Failure>> {
  const parsed = bootstrapSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) return err({ code: 'invalid', field: path, message: `${path} is not a bootstrap file written by herd init` });
  const b = parsed.data;
  const { records, config, tls } = herdd;
  const nodeWrite = records.encode(nodes, config.node, {
    name: config.node,
    role: config.role,
    apiAddress: config.listen.api,
    peerAddress: config.listen.peer,
    ...(config.listen.etcdClient ? { etcdClientUrl: `https://${config.listen.etcdClient}` } : {}),
    ...(config.listen.etcdPeer ? { etcdPeerUrl: `https://${config.listen.etcdPeer}` } : {}),
    certFingerprint: fingerprintSha256(tls.certPem),
    labels: {},
    standby: false,
    maintenance: false,
    left: false,
    joinedAtMs: b.createdAtMs,
  });
  const tokenWrite = records.encode(apiTokens, b.adminTokenId, { user: 'admin', role: 'admin', secretSha256: b.adminSecretSha256, createdAtMs: b.createdAtMs, description: 'admin credential created by herd init' });
  if (!nodeWrite.ok || !tokenWrite.ok) return err({ code: 'invalid', message: 'bootstrap records do not validate' });
  const r = await records.store.commit(
    [{ key: records.keyOf(nodes, config.node), absent: true }, { key: records.keyOf(apiTokens, b.adminTokenId), absent: true }],
    [nodeWrite.value, tokenWrite.value],
  );
  if (!r.ok && r.error.code !== 'conflict') return err({ code: r.error.code, message: `bootstrap failed: ${r.error.message}` });
  if (r.ok) await herdd.recordEvent('cluster_created', 'info', config.cluster, `cluster ${config.cluster} created on ${config.node}`);
  rmSync(path, { force: true });
  herdd.log(`bootstrapped cluster ${config.cluster}`);
  return ok(undefined);
}
