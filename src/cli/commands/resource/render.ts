// Owns how resources, constraints and failed operations read on a terminal, like crm_mon and
// pcs: the resource table (groups with their members, clones with where they run), the
// "Failed Resource Actions" list and one-line constraint descriptions. Pure text from views.

import type { Constraint, ResourceConfig } from '../../../resources/model.js';
import { agentText } from '../../../resources/resource-spec.js';
import { scoreText } from '../../../resources/score.js';
import { findState, stateText, type FailedOperation, type ResourceState } from '../../../resources/state.js';
import type { ResourcesView } from '../../../api/types.js';
import { table } from '../../output.js';

const rcNames: Readonly<Record<number, string>> = {
  0: 'ok', 1: 'error', 2: 'invalid parameter', 3: 'unimplemented feature', 4: 'insufficient privileges',
  5: 'not installed', 6: 'not configured', 7: 'not running', 8: 'promoted', 9: 'promoted (failed)',
};
const opStatusNames: Readonly<Record<number, string>> = { 0: 'complete', 1: 'cancelled', 2: 'Timed Out', 3: 'NOT SUPPORTED', 4: 'Error' };

export function agentOf(r: ResourceConfig): string {
  if (r.kind === 'primitive') return agentText(r);
  if (r.kind === 'group') return 'group';
  return `${r.meta['promotable'] === 'true' ? 'promotable ' : ''}clone of ${r.child.id}`;
}

const failCountText = (s: ResourceState | undefined): string => s?.failCounts.map((f) => `${f.node}:${scoreText(f.count)}`).join(',') || '-';

function rowsOf(r: ResourceConfig, states: readonly ResourceState[] | undefined, depth: number): string[][] {
  const s = states === undefined ? undefined : findState(states, r.id);
  const row = [`${'  '.repeat(depth)}${r.id}`, agentOf(r), states === undefined ? '?' : s === undefined ? 'Stopped' : stateText(s), r.meta['target-role'] ?? '-', failCountText(s)];
  if (r.kind === 'group') return [row, ...r.children.flatMap((c) => rowsOf(c, states, depth + 1))];
  if (r.kind === 'clone') {
    const child = r.child;
    const members = child.kind === 'group' ? child.children.map((c) => [`${'  '.repeat(depth + 2)}${c.id}`, agentOf(c), '', c.meta['target-role'] ?? '-', '']) : [];
    return [row, [`${'  '.repeat(depth + 1)}${child.id}`, agentOf(child), '', child.meta['target-role'] ?? '-', ''], ...members];
  }
  return [row];
}

export function resourceTable(view: Pick<ResourcesView, 'config' | 'state'>): string {
  const rows = view.config.resources.flatMap((r) => rowsOf(r, view.state?.resources, 0));
  return table(['RESOURCE', 'AGENT', 'STATE', 'TARGET-ROLE', 'FAIL-COUNTS'], rows);
}

export function failureLines(failures: readonly FailedOperation[]): string[] {
  return failures.map((f) => {
    const when = f.lastRcChangeS === null ? '' : `, last-rc-change='${new Date(f.lastRcChangeS * 1000).toISOString()}'`;
    const reason = f.exitReason === null ? '' : `, exitreason='${f.exitReason}'`;
    return `* ${f.resource}_${f.operation}_${f.intervalMs} on ${f.node} '${rcNames[f.rc] ?? 'unknown'}' (${f.rc}): status='${opStatusNames[f.opStatus] ?? f.opStatus}'${reason}${when}`;
  });
}

/** The resources section of `herd resource list` and `herd status`. */
export function renderResources(view: ResourcesView): string {
  const lines = [view.config.resources.length === 0 ? 'No resources' : resourceTable(view)];
  const failures = view.state?.failures ?? [];
  if (failures.length > 0) lines.push('', 'Failed Resource Actions:', ...failureLines(failures).map((l) => `  ${l}`));
  for (const w of view.warnings) lines.push(`WARNING: ${w}`);
  return lines.join('\n');
}

const setsText = (c: Constraint): string => (c.sets ?? []).map((s) => `(${s.resources.join(' ')})`).join(' ');

/** pcs-like one-line description of a constraint. */
export function constraintText(c: Constraint): string {
  switch (c.kind) {
    case 'location': {
      const what = c.resource ?? (c.resourcePattern !== undefined ? `/${c.resourcePattern}/` : setsText(c));
      const role = c.role === undefined ? '' : ` (role ${c.role})`;
      if (c.node === undefined) return `${what}${role}: ${c.rules.length} rule(s)`;
      const s = c.score ?? 0;
      return `${what}${role} ${s >= 0 ? 'prefers' : 'avoids'} ${c.node} (score ${scoreText(s)})`;
    }
    case 'colocation': {
      const role = (r: string | undefined): string => (r === undefined ? '' : ` (${r})`);
      const what = c.sets ? setsText(c) : `${c.resource ?? '?'}${role(c.resourceRole)} with ${c.withResource ?? '?'}${role(c.withResourceRole)}`;
      return `${what} (score ${scoreText(c.score)})`;
    }
    case 'order': {
      const what = c.sets ? setsText(c) : `${c.firstAction} ${c.first ?? '?'} then ${c.thenAction} ${c.then ?? '?'}`;
      return `${what} (${c.orderKind}${c.symmetrical === false ? ', not symmetrical' : ''})`;
    }
  }
}
