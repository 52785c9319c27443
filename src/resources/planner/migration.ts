// Owns live migration (Pacemaker's pcmk__rsc_can_migrate and pcmk__create_migration_actions):
// whether a moving primitive may migrate instead of stop-and-start, and the migrate_to (on the
// current node) and migrate_from (on the next node) actions that replace the stop and start.
// The start becomes a pseudo-action; start and stop are marked migratable, and orderings
// (implies-first-migratable, pseudo-left) take migration back when a prerequisite cannot run.
// Pure.

import { OrderFlag } from './order-flags.js';
import type { Action, ActionGraph } from './actions.js';
import type { PNode, Rsc, WorkingSet } from './working-set.js';
import { roleRank } from './working-set.js';

/** Whether a resource moving from `current` may migrate live. */
export function canMigrate(rsc: Rsc, current: PNode | undefined): boolean {
  if (!rsc.allowMigrate || !rsc.managed || rsc.failed || rsc.startPending) return false;
  if (!current || current.unclean) return false;
  const next = rsc.assignedTo;
  return next !== undefined && !next.unclean && roleRank[rsc.nextRole] >= roleRank.Started;
}

/**
 * A migration already under way (migrate_to done, migrate_from not yet): it continues when
 * the resource is still headed to the same target and is active on exactly both nodes.
 */
export function continuesPartialMigration(rsc: Rsc, current: PNode | undefined, activeCount: number, allowed: boolean): boolean {
  const source = rsc.partialMigrationSource;
  const target = rsc.partialMigrationTarget;
  return source !== undefined && target !== undefined && allowed && activeCount === 2
    && current === source && rsc.assignedTo === target;
}

/** Creates the migration actions for rsc, moving from `current` to its assigned node. */
export function createMigrationActions(set: WorkingSet, graph: ActionGraph, rsc: Rsc, current: PNode): void {
  const next = rsc.assignedTo;
  if (!next) return;
  const partial = rsc.partialMigrationTarget !== undefined;
  const start = graph.ensure(set, rsc, 'start', next, true);
  const stop = graph.ensure(set, rsc, 'stop', current, true);
  const migrateTo = partial ? undefined : graph.ensure(set, rsc, 'migrate_to', current, true);
  const migrateFrom = graph.ensure(set, rsc, 'migrate_from', next, true);
  const marked: (Action | undefined)[] = [start, stop, migrateTo, migrateFrom];
  for (const a of marked) if (a) a.migratable = true;
  start.pseudo = true;
  if (migrateTo) graph.order(migrateTo, migrateFrom, OrderFlag.Optional | OrderFlag.ImpliesFirstMigratable);
  graph.order(migrateFrom, stop, OrderFlag.Optional | OrderFlag.ImpliesFirstMigratable);
  graph.order(migrateFrom, start, OrderFlag.Optional | OrderFlag.ImpliesFirstMigratable | OrderFlag.PseudoLeft);
}

/**
 * The node a resource counts as active on (Pacemaker's pe__find_active_on): a migration's
 * source, else for resources that need no fencing the first clean node, else the first.
 */
export function activeNode(rsc: Rsc): PNode | undefined {
  if (rsc.partialMigrationSource && rsc.runningOn.includes(rsc.partialMigrationSource)) return rsc.partialMigrationSource;
  if (rsc.requires !== 'fencing') return rsc.runningOn.find((n) => n.online && !n.unclean) ?? rsc.runningOn[0];
  return rsc.runningOn[0];
}
