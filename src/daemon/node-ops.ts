// Owns the node lifecycle operations that reach beyond the store: leaving the cluster (this
// node marks itself left, stops cleanly, gives up its etcd membership and retires its data
// dir) and removing a dead node (its records and, for a voter, its etcd member).

import { err, ok, type Failure, type Result } from '../core/result.js';
import { removeMember } from '../store/etcd-member.js';
import { alive, nodes, nodeStatus, stopped } from '../membership/records.js';
import type { Herdd } from './herdd.js';

export async function leaveCluster(herdd: Herdd): Promise<Result<void, Failure>> {
  const { records, config } = herdd;
  if (config.role === 'voter' && herdd.view.voters().length === 1) {
    return err({ code: 'conflict', message: `${config.node} is the only voter: a cluster cannot lose its last voter (stop herdd instead, or add voters first)` });
  }
  const marked = await records.update(nodes, config.node, (n) => (n ? ok({ ...n, left: true }) : err({ code: 'not_found', message: `no record for ${config.node}` })));
  if (!marked.ok) return err({ code: marked.error.code, message: marked.error.message });
  await herdd.recordEvent('node_left', 'info', config.node, `node ${config.node} left the cluster`);
  const admin = herdd.etcdAdmin();
  // Stop cleanly first (marks the clean stop while the store is still reachable).
  await herdd.agent.stop();
  let failure: Failure | undefined;
  herdd.leaving = true;
  if (config.role === 'voter' && admin) {
    const removed = await removeMember(admin, config.node);
    if (!removed.ok) {
      failure = { code: 'unavailable', message: `${config.node} left, but its etcd member could not be removed (${removed.error.message}); run "herd node remove ${config.node}" from another node` };
      herdd.log(failure.message);
    }
  }
  setTimeout(() => {
    void herdd.stop({ clean: false }).then(() => {
      herdd.retireDataDir();
      herdd.onExitRequest(0);
    });
  }, 50);
  return failure ? err(failure) : ok(undefined);
}

export async function removeNode(herdd: Herdd, name: string): Promise<Result<void, Failure>> {
  const { records } = herdd;
  const node = await records.get(nodes, name);
  if (!node.ok) return err({ code: node.error.code, message: node.error.message });
  if (node.value === undefined) return err({ code: 'not_found', field: 'name', message: `no node named "${name}"` });
  if (name === herdd.config.node) return err({ code: 'conflict', field: 'name', message: 'a node cannot remove itself: run "herd leave" on it' });
  const isAlive = await records.get(alive, name);
  if (isAlive.ok && isAlive.value !== undefined) {
    return err({ code: 'node_online', field: 'name', message: `node ${name} is still running (it holds its lease): run "herd leave" on it, or stop it first` });
  }
  const admin = herdd.etcdAdmin();
  if (node.value.value.role === 'voter' && admin) {
    const removed = await removeMember(admin, name);
    if (!removed.ok) return removed;
  }
  const r = await records.store.commit([{ key: records.keyOf(alive, name), absent: true }], [
    { op: 'delete', key: records.keyOf(nodes, name) },
    { op: 'delete', key: records.keyOf(nodeStatus, name) },
    { op: 'delete', key: records.keyOf(stopped, name) },
  ]);
  if (!r.ok) return err({ code: r.error.code, message: r.error.message });
  await herdd.recordEvent('node_removed', 'info', name, `node ${name} was removed from the cluster`);
  return ok(undefined);
}
