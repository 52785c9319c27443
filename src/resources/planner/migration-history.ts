// Owns what a live migration's recorded operations say about where a resource is (Pacemaker's
// unpack_rsc_migration and unpack_rsc_migration_failure). A migration is migrate_to on the
// source, migrate_from on the target, then stop on the source; history cut short anywhere in
// that sequence leaves the resource active on the target too (a partial migration, which may
// continue), or stopped on the source but never recorded (a dangling migration, needing a
// stop). Reads the other node's history through the working set's status. Pure.

import type { OperationRecord } from '../model.js';
import type { PNode, Rsc, WorkingSet } from './working-set.js';

/** The recorded operations of rsc on a node (by name). */
function operationsOn(set: WorkingSet, rscId: string, nodeName: string | undefined): readonly OperationRecord[] {
  if (nodeName === undefined) return [];
  const state = set.status.nodes.find((n) => n.name === nodeName);
  return state?.resources.find((r) => r.id === rscId)?.operations ?? [];
}

/** Pacemaker's find_lrm_op: an operation by task and migration peer, optionally one that returned `rc`. */
function findOperation(set: WorkingSet, rscId: string, task: string, nodeName: string | undefined,
  peer: { source?: string | undefined; target?: string | undefined } = {}, rc?: number): OperationRecord | undefined {
  const found = operationsOn(set, rscId, nodeName).find((o) => o.operation === task
    && (peer.source === undefined || o.migrateSource === peer.source)
    && (peer.target === undefined || o.migrateTarget === peer.target));
  if (found && rc !== undefined && (found.rc !== rc || found.opStatus !== 0)) return undefined;
  return found;
}

/** Pacemaker's pe__is_newer_op: call ids on one node (pending counts as newest), else change times. */
function isNewer(a: OperationRecord, b: OperationRecord, sameNode: boolean): boolean {
  if (a === b) return false;
  if (sameNode) {
    if (a.callId < 0 || b.callId < 0) return a.callId < 0 && b.callId >= 0;
    return a.callId > b.callId;
  }
  const ta = a.lastRcChange ?? a.lastRun;
  const tb = b.lastRcChange ?? b.lastRun;
  return ta !== undefined && tb !== undefined && ta > tb;
}

const changesState = new Set(['start', 'stop', 'migrate_to', 'migrate_from']);

/** Any start, stop or migration on the node newer than `op`. */
function nonMonitorAfter(set: WorkingSet, rscId: string, nodeName: string | undefined, op: OperationRecord, sameNode: boolean): boolean {
  return operationsOn(set, rscId, nodeName).some((o) => o !== op && changesState.has(o.operation) && isNewer(o, op, sameNode));
}

/** Whether the node has newer state than the migration: a newer action, or a newer "not running". */
function newerStateAfterMigrate(set: WorkingSet, rscId: string, nodeName: string | undefined,
  migrateTo: OperationRecord | undefined, migrateFrom: OperationRecord | undefined): boolean {
  const event = migrateFrom ?? migrateTo;
  if (!event) return false;
  let reference = event;
  let sameNode = false;
  if (nodeName === event.migrateTarget) {
    reference = migrateFrom ?? event;
    sameNode = migrateFrom !== undefined;
  } else if (nodeName === event.migrateSource) {
    reference = migrateTo ?? event;
    sameNode = migrateTo !== undefined;
  }
  if (nonMonitorAfter(set, rscId, nodeName, reference, sameNode)) return true;
  const notRunning = findOperation(set, rscId, 'monitor', nodeName, {}, 7);
  return notRunning !== undefined && isNewer(notRunning, reference, sameNode);
}

/** No recorded result at all for rsc on the node (it will be probed). */
const unknownOn = (set: WorkingSet, rscId: string, nodeName: string | undefined): boolean =>
  !operationsOn(set, rscId, nodeName).some((o) => o.rc !== 193);

const nodeNamed = (set: WorkingSet, name: string | undefined): PNode | undefined =>
  name === undefined ? undefined : set.nodes.find((n) => n.name === name);

/** Hooks into history unpacking: mark rsc active on a node. */
export interface MigrationEffects {
  readonly addRunning: (node: PNode) => void;
}

function failMigration(rsc: Rsc): void {
  rsc.failed = true;
  rsc.stopFlag = true;
  rsc.allowMigrate = false;
}

/** A successful migrate_to recorded on `node` (the source). */
export function migrateToSucceeded(set: WorkingSet, rsc: Rsc, node: PNode, rscId: string, op: OperationRecord, effects: MigrationEffects): void {
  const source = op.migrateSource ?? node.name;
  const target = op.migrateTarget;
  const sourceNewer = nonMonitorAfter(set, rscId, source, op, true);
  const migrateFrom = findOperation(set, rscId, 'migrate_from', target, { source });
  if (migrateFrom && sourceNewer) return;
  const targetNewer = newerStateAfterMigrate(set, rscId, target, op, migrateFrom);
  if (sourceNewer && targetNewer) return;
  if (migrateFrom && migrateFrom.rc === 0 && migrateFrom.opStatus === 0) {
    // Finished on the target; only the source's stop is missing.
    rsc.role = 'Stopped';
    if (!rsc.danglingMigrations.includes(node)) rsc.danglingMigrations.push(node);
    return;
  }
  rsc.role = 'Started';
  const targetNode = nodeNamed(set, target);
  const activeOnTarget = !targetNewer && targetNode !== undefined && targetNode.online;
  if (migrateFrom && migrateFrom.opStatus !== -1) {
    // migrate_from failed on the target
    if (activeOnTarget) effects.addRunning(targetNode);
    else failMigration(rsc);
    return;
  }
  if (targetNode?.online && unknownOn(set, rscId, target)) return;
  if (activeOnTarget) {
    effects.addRunning(targetNode);
    const sourceNode = nodeNamed(set, source);
    if (sourceNode?.online) {
      rsc.partialMigrationTarget = targetNode;
      rsc.partialMigrationSource = sourceNode;
    }
  } else if (!sourceNewer) failMigration(rsc);
}

/** A failed migrate_to or migrate_from recorded on `node`. */
export function migrationFailed(set: WorkingSet, rsc: Rsc, node: PNode, rscId: string, op: OperationRecord, effects: MigrationEffects): void {
  rsc.role = 'Started';
  if (op.operation === 'migrate_from') {
    const source = op.migrateSource;
    const migrateTo = findOperation(set, rscId, 'migrate_to', source, { target: op.migrateTarget ?? node.name }, 0);
    if (!unknownOn(set, rscId, source) && !newerStateAfterMigrate(set, rscId, source, migrateTo, op)) {
      const sourceNode = nodeNamed(set, source);
      if (sourceNode?.online) effects.addRunning(sourceNode);
    }
    return;
  }
  const source = op.migrateSource ?? node.name;
  const target = op.migrateTarget;
  const migrateFrom = findOperation(set, rscId, 'migrate_from', target, { source }, 0);
  if (!unknownOn(set, rscId, target) && !newerStateAfterMigrate(set, rscId, target, op, migrateFrom)) {
    const targetNode = nodeNamed(set, target);
    if (targetNode?.online) effects.addRunning(targetNode);
  } else if (!nonMonitorAfter(set, rscId, source, op, true) && !rsc.danglingMigrations.includes(node)) {
    rsc.danglingMigrations.push(node);
  }
}
