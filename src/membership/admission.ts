// Owns admission of new nodes (POST /v1/join): checks the join token (known, unexpired, unused
// if single-use, right role), the name (free), the voter count (at most 5), signs the node's
// certificate request with the cluster CA, commits the node record and the token's use in one
// guarded commit, and, for a voter, adds its etcd member. If the member add fails, the record
// is removed again and the token gets its use back, so nothing half-joined stays behind.

import { err, ok, type Failure, type Result } from '../core/result.js';
import { splitHostPort } from '../core/config.js';
import { checkJoinToken, joinTokens, parseJoinToken } from '../api/auth.js';
import type { JoinBody, JoinResult } from '../api/types.js';
import { fingerprintSha256, signNodeCertificate } from '../net/pki.js';
import { recordEvent } from '../store/events.js';
import type { Records } from '../store/records.js';
import { nodes, type NodeRecord } from './records.js';

export const votersMax = 5;

export interface AdmissionDeps {
  readonly records: Records;
  readonly cluster: string;
  readonly self: string;
  readonly ca: { certPem: string; keyPem: string };
  readonly nowMs: () => number;
  /** Adds an etcd member; returns the initial-cluster string the new member starts with. */
  readonly addEtcdMember: (name: string, peerUrl: string) => Promise<Result<{ initialCluster: string }, Failure>>;
}

export async function admit(deps: AdmissionDeps, body: JoinBody): Promise<Result<JoinResult, Failure>> {
  const { records } = deps;
  const parsed = parseJoinToken(body.token);
  if (!parsed.ok) return parsed;
  const caFingerprint = fingerprintSha256(deps.ca.certPem);
  if (!caFingerprint.startsWith(parsed.value.caPin)) {
    return err({ code: 'token_invalid', field: 'token', message: 'the join token was issued for another cluster (its CA pin does not match this cluster CA)' });
  }
  const token = await records.get(joinTokens, parsed.value.id);
  if (!token.ok) return err({ code: 'unavailable', message: token.error.message });
  const role = body.voter ? 'voter' : 'worker';
  const checked = checkJoinToken(token.value?.value, parsed.value, role, deps.nowMs());
  if (!checked.ok || token.value === undefined) return checked.ok ? err({ code: 'token_invalid', message: 'unknown token' }) : checked;

  const all = await records.list(nodes);
  if (!all.ok) return err({ code: 'unavailable', message: all.error.message });
  if (all.value.items.some((n) => n.id === body.name)) {
    return err({ code: 'name_taken', field: 'name', message: `a node named "${body.name}" is already in cluster ${deps.cluster}; pick another name (--name) or remove the old node first` });
  }
  const voters = all.value.items.filter((n) => n.value.role === 'voter' && !n.value.left);
  if (body.voter && voters.length >= votersMax) {
    return err({ code: 'voters_max', field: 'voter', message: `the cluster already has ${voters.length} voters; join as a worker (voters are 1, 3 or 5)` });
  }
  if (body.voter && (body.etcdClientAddress === undefined || body.etcdPeerAddress === undefined)) {
    return err({ code: 'invalid', field: 'etcdPeerAddress', message: 'a voter must give etcdClientAddress and etcdPeerAddress' });
  }

  const apiHost = splitHostPort(body.apiAddress).host;
  const isIp = /^[0-9.]+$|:/.test(apiHost);
  const cert = await signNodeCertificate(deps.ca, body.csrPem, {
    nodeName: body.name,
    ipAddresses: isIp ? [apiHost, '127.0.0.1'] : ['127.0.0.1'],
    dnsNames: isIp ? [] : [apiHost],
    nowMs: deps.nowMs(),
  });
  if (!cert.ok) return cert;

  const record: NodeRecord = {
    name: body.name,
    role,
    apiAddress: body.apiAddress,
    peerAddress: body.peerAddress,
    ...(body.voter ? { etcdClientUrl: `https://${body.etcdClientAddress}`, etcdPeerUrl: `https://${body.etcdPeerAddress}` } : {}),
    certFingerprint: fingerprintSha256(cert.value.certPem),
    labels: {},
    standby: false,
    maintenance: false,
    left: false,
    joinedAtMs: deps.nowMs(),
  };
  const tokenUse = records.encode(joinTokens, parsed.value.id, { ...token.value.value, usedBy: [...token.value.value.usedBy, body.name] });
  if (!tokenUse.ok) return err({ code: 'invalid', message: tokenUse.error.message });
  const committed = await records.put(nodes, body.name, record, 'absent', {
    guards: [{ key: records.keyOf(joinTokens, parsed.value.id), modRevision: token.value.modRevision }],
    writes: [tokenUse.value],
  });
  if (!committed.ok) {
    if (committed.error.code === 'conflict') {
      return err({ code: 'conflict', field: 'token', message: 'the node name or the join token changed while joining (another node joined at the same moment); try again' });
    }
    return err({ code: committed.error.code, message: committed.error.message });
  }

  let initialCluster: string | null = null;
  if (body.voter && record.etcdPeerUrl !== undefined) {
    const added = await deps.addEtcdMember(body.name, record.etcdPeerUrl);
    if (!added.ok) {
      // Undo: the node record goes, and the token is given back its use.
      await records.delete(nodes, body.name, 'any');
      await records.update(joinTokens, parsed.value.id, (t) => (t ? ok({ ...t, usedBy: t.usedBy.filter((n) => n !== body.name) }) : err({ code: 'not_found', message: 'token gone' })));
      return added;
    }
    initialCluster = added.value.initialCluster;
  }
  await recordEvent(records, { atMs: deps.nowMs(), node: deps.self, kind: 'node_joined', severity: 'info', subject: body.name, message: `node ${body.name} joined as a ${role}` });

  const endpoints = [...voters.map((v) => v.value.etcdClientUrl), record.etcdClientUrl].filter((u): u is string => u !== undefined);
  return ok({
    cluster: deps.cluster,
    caPem: deps.ca.certPem,
    certPem: cert.value.certPem,
    caKeyPem: body.voter ? deps.ca.keyPem : null,
    etcdEndpoints: endpoints,
    initialCluster,
  });
}
