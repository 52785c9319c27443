// Owns turning a PlannerInput into a working set (Pacemaker's unpack_status): cluster options,
// node states (online, unclean, standby, maintenance, shutdown), the resource tree,
// constraints, then each resource's state from its operation history (history.ts) and its
// target role. Pure.

import type { PlannerInput } from '../model.js';
import {
  buildResource, isTrue, locateEverywhere, newNode, nodeLookup, roleRank, targetRoleOf, type PNode, type Rsc, type WorkingSet,
} from './working-set.js';
import { fenceNode } from './fencing.js';
import { NodeSpace } from './node-scores.js';
import { unpackConstraints } from './constraints.js';
import { unpackHistories } from './history.js';
import { unpackTickets } from './tickets.js';
import { utilizationValue } from './utilization.js';

export function unpack(input: PlannerInput, nowS: number): WorkingSet {
  const config = input.configuration;
  const o = config.options;
  const policy = (o['no-quorum-policy'] ?? 'stop').toLowerCase();
  const nodes: PNode[] = [];
  const set: WorkingSet = {
    options: o, nowS, nodes, nodeSpace: new NodeSpace(nodes), resources: [], byId: new Map(), config, status: input.status,
    stonithEnabled: o['stonith-enabled'] === undefined ? true : isTrue(o['stonith-enabled']),
    haveStonithResource: false,
    haveQuorum: input.status.haveQuorum,
    noQuorumPolicy: policy === 'freeze' || policy === 'ignore' || policy === 'demote' || policy === 'suicide' ? policy : 'stop',
    symmetric: o['symmetric-cluster'] === undefined ? true : isTrue(o['symmetric-cluster']),
    startFailureIsFatal: o['start-failure-is-fatal'] === undefined ? true : isTrue(o['start-failure-is-fatal']),
    stopEverything: isTrue(o['stop-all-resources']),
    maintenanceMode: isTrue(o['maintenance-mode']),
    stonithAction: (o['stonith-action'] ?? 'reboot') === 'poweroff' ? 'off' : o['stonith-action'] ?? 'reboot',
    placementStrategy: o['placement-strategy'] ?? 'default',
    fencing: new Map(), orders: [], failures: new Map(), attributeClasses: new Map(),
  };
  const startupFencing = o['startup-fencing'] === undefined ? true : isTrue(o['startup-fencing']);
  for (const n of config.nodes) {
    if (n.type === 'ping') continue;
    const node = newNode(set.nodes.length, n.id, n.name, n.attributes);
    for (const [name, value] of Object.entries(n.utilization)) node.capacity.set(name, utilizationValue(value));
    node.unclean = startupFencing;
    set.nodes.push(node);
  }
  const defaults = config.resourceDefaults;
  for (const r of config.resources) set.resources.push(buildResource({ set, defaults }, r, undefined));
  set.haveStonithResource = [...set.byId.values()].some((r) => r.cls === 'stonith');
  if (set.symmetric) for (const r of set.resources) locateEverywhere(r, 0, true);
  unpackNodeStates(set, input);
  if (!set.haveQuorum && set.noQuorumPolicy === 'suicide' && input.status.quorumLost === true) {
    for (const node of set.nodes) if (node.online) fenceNode(set, node, 'cluster does not have quorum');
  }
  unpackConstraints(set);
  unpackHistories(set, input);
  unpackTickets(set);
  for (const r of set.resources) applyTargetRoles(r);
  return set;
}

function unpackNodeStates(set: WorkingSet, input: PlannerInput): void {
  const nodes = nodeLookup(set);
  for (const state of input.status.nodes) {
    const node = nodes.find(state);
    if (!node) continue;
    for (const [k, v] of Object.entries(state.attributes)) node.attributes.set(k, v);
    node.unclean = false;
    node.unseen = false;
    node.expectedUp = state.expected === 'member';
    const shutdown = node.attributes.get('shutdown');
    if (shutdown !== undefined && shutdown !== '0') node.shutdown = true;
    if (set.stonithEnabled) onlineWithFencing(set, node, state);
    else onlineWithoutFencing(set, node, state);
  }
  for (const node of set.nodes) {
    if (isTrue(node.attributes.get('standby'))) node.standby = true;
    if (isTrue(node.attributes.get('maintenance'))) node.maintenance = true;
    if (node.unclean && node.unseen && set.stonithEnabled) node.online = false;
  }
}

const memberOf = (value: string | undefined): boolean => value !== undefined && (isTrue(value) || /^\d+$/.test(value) && value !== '0');

function onlineWithFencing(set: WorkingSet, node: PNode, s: PlannerInput['status']['nodes'][number]): void {
  const inCluster = s.inCluster === undefined ? undefined : memberOf(s.inCluster);
  const controllerOnline = s.controller === 'online' || (s.controller !== undefined && /^\d+$/.test(s.controller) && s.controller !== '0');
  const terminate = isTrue(node.attributes.get('terminate'));
  node.online = inCluster === true && controllerOnline && s.join === 'member';
  if (inCluster === undefined) {
    fenceNode(set, node, 'peer has not been seen by the cluster');
  } else if (s.join === 'nack') {
    fenceNode(set, node, 'peer failed Pacemaker membership criteria');
  } else if (!terminate && s.expected !== 'member') {
    // A node not expected up (down, or never recorded as expected) is not lost: it is down or joining.
    if (inCluster || controllerOnline) { node.standby = true; node.pending = true; node.online = inCluster && controllerOnline; }
  } else if (terminate && s.join === 'down' && !inCluster && !controllerOnline) {
    node.online = false;
  } else if (!inCluster) {
    fenceNode(set, node, 'peer is no longer part of the cluster');
  } else if (!controllerOnline) {
    fenceNode(set, node, 'peer process is no longer available');
  } else if (terminate) {
    fenceNode(set, node, 'termination was requested');
  } else if (s.join === 'member') {
    // active
  } else if (s.join === 'pending' || s.join === 'down') {
    node.standby = true;
    node.pending = true;
    node.online = true;
  } else {
    fenceNode(set, node, 'peer was in an unknown state');
  }
}

function onlineWithoutFencing(set: WorkingSet, node: PNode, s: PlannerInput['status']['nodes'][number]): void {
  const inCluster = memberOf(s.inCluster);
  const controllerOnline = s.controller === 'online' || (s.controller !== undefined && /^\d+$/.test(s.controller) && s.controller !== '0');
  if (!inCluster) return;
  if (controllerOnline) {
    if (s.join === 'member') node.online = true;
    return;
  }
  if (node.expectedUp) fenceNode(set, node, 'peer is unexpectedly down');
}

function applyTargetRoles(rsc: Rsc): void {
  for (const c of rsc.children) applyTargetRoles(c);
  const target = targetRoleOf(rsc);
  if (target === undefined) return;
  if (rsc.nextRole === 'Unknown' || roleRank[target] < roleRank[rsc.nextRole]) rsc.nextRole = target;
}
