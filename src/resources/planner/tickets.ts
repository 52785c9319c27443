// Owns ticket dependencies (Pacemaker's rsc_ticket and constraints_for_ticket): a resource tied
// to a ticket that is not granted here (or is in standby) may not run, or not be promoted. When
// the ticket is lost while the resource runs, its loss-policy decides: stop it, demote it,
// fence the nodes it runs on ("deadman ticket was lost"), or freeze it where it is. Inputs:
// the configuration's rsc_ticket entries and the status's ticket states. Pure.

import type { TicketConstraint, TicketLossPolicy } from '../model.js';
import { fenceNode } from './fencing.js';
import { findConstraintResource } from './constraints.js';
import { banEverywhere, type Role, type Rsc, type WorkingSet } from './working-set.js';

export interface TicketDependency {
  readonly id: string;
  readonly role: Role;
  readonly lossPolicy: TicketLossPolicy;
  readonly granted: boolean;
  readonly standby: boolean;
}

/** Records every ticket dependency on its resource and applies the ones whose ticket is not usable. */
export function unpackTickets(set: WorkingSet): void {
  for (const c of set.config.tickets ?? []) {
    if (c.resource !== undefined) {
      const rsc = findConstraintResource(set, c.resource);
      if (rsc) addDependency(set, c, rsc, c.role);
    }
    for (const s of c.sets ?? []) {
      for (const id of s.resources) {
        const rsc = findConstraintResource(set, id);
        if (rsc) addDependency(set, c, rsc, s.role ?? c.role);
      }
    }
  }
}

function lossPolicyFor(set: WorkingSet, c: TicketConstraint, role: Role): TicketLossPolicy {
  const asked = c.lossPolicy;
  if (asked === 'fence') return set.stonithEnabled ? 'fence' : 'stop';
  if (asked === 'freeze' || asked === 'stop') return asked;
  // demote only makes sense for the promoted role; unset means demote there, stop elsewhere.
  return role === 'Promoted' && (asked === 'demote' || asked === undefined) ? 'demote' : 'stop';
}

function addDependency(set: WorkingSet, c: TicketConstraint, rsc: Rsc, configuredRole: Role | undefined): void {
  const state = set.status.tickets?.find((t) => t.id === c.ticket);
  const role: Role = configuredRole === undefined || configuredRole === 'Started' ? 'Unknown' : configuredRole;
  const dependency: TicketDependency = {
    id: c.id, role, lossPolicy: lossPolicyFor(set, c, role), granted: state?.granted === true, standby: state?.standby === true,
  };
  rsc.tickets.push(dependency);
  if (!dependency.granted || dependency.standby) applyDependency(set, rsc, dependency);
}

/** Pacemaker's constraints_for_ticket, for a ticket that is not granted or is in standby. */
function applyDependency(set: WorkingSet, rsc: Rsc, t: TicketDependency): void {
  if (rsc.children.length > 0) { rsc.children.forEach((c) => applyDependency(set, c, t)); return; }
  const roleMatches = t.role === 'Unknown' || t.role === rsc.role;
  if (!t.granted && rsc.runningOn.length > 0) {
    switch (t.lossPolicy) {
      case 'stop': banEverywhere(set, rsc); break;
      case 'demote': if (t.role !== 'Promoted') banEverywhere(set, rsc); break;
      case 'fence':
        if (!roleMatches) return;
        banEverywhere(set, rsc);
        for (const node of rsc.runningOn) fenceNode(set, node, 'deadman ticket was lost');
        break;
      case 'freeze':
        if (!roleMatches) return;
        rsc.managed = false;
        rsc.blocked = true;
        break;
    }
  } else if (t.role !== 'Promoted' || t.lossPolicy === 'stop') {
    banEverywhere(set, rsc);
  }
}

/** A promotable clone may not promote instances while a promoted-role ticket is not usable. */
export function promotionNeedsTicket(rsc: Rsc): boolean {
  return rsc.tickets.some((t) => t.role === 'Promoted' && (!t.granted || t.standby));
}
