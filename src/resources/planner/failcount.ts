// Owns fail counts: how often a resource failed on a node and when it last did, read from the
// node's transient attributes (fail-count-<id>[#<op>] and last-failure-<id>[#<op>]), honouring
// failure-timeout (Pacemaker's pe_get_failcount). Anonymous clone instances share their
// clone's count, and their attribute names may carry an instance number ("fail-count-db:1"
// counts for "db"; Pacemaker's fail regex). Each node's attributes are read once into a table
// keyed by the resource id the names give; node attributes are final once node states are
// unpacked, before anything asks for a fail count. Pure.

import { addScores, parseScore } from '../score.js';
import { cloneOf, type PNode, type Rsc, type WorkingSet } from './working-set.js';

interface Tally { total: number; lastS: number }

/** One node's failures by resource id: as named exactly, and allowing an instance number. */
export interface NodeFailures {
  readonly exact: Map<string, Tally>;
  readonly anyInstance: Map<string, Tally>;
}

/** The id rsc's fail-count attributes use, and whether an instance number may follow it. */
export function failcountKey(rsc: Rsc): { readonly id: string; readonly anyInstance: boolean } {
  const clone = cloneOf(rsc);
  const anonymous = clone !== undefined && !clone.clone?.unique;
  return { id: anonymous ? rsc.baseId : rsc.id, anyInstance: anonymous };
}

/** Fail count of rsc on node from transient attributes, honouring failure-timeout. */
export function failcount(set: WorkingSet, rsc: Rsc, node: PNode): number {
  const key = failcountKey(rsc);
  const failures = nodeFailures(set, node);
  const tally = (key.anyInstance ? failures.anyInstance : failures.exact).get(key.id);
  if (!tally) return 0;
  const { total, lastS } = tally;
  if (total > 0 && rsc.failureTimeoutMs > 0 && lastS > 0 && lastS + rsc.failureTimeoutMs / 1000 <= set.nowS) return 0;
  return total;
}

export function nodeFailures(set: WorkingSet, node: PNode): NodeFailures {
  let failures = set.failures.get(node.id);
  if (!failures) {
    failures = readFailures(node);
    set.failures.set(node.id, failures);
  }
  return failures;
}

const failCountPrefix = 'fail-count-';
const lastFailurePrefix = 'last-failure-';
/** The optional operation suffix of Pacemaker's fail regex: "#" and at least one character. */
const operationSuffix = /^#.+$/;

function readFailures(node: PNode): NodeFailures {
  const failures: NodeFailures = { exact: new Map(), anyInstance: new Map() };
  const tally = (table: Map<string, Tally>, id: string, name: 'count' | 'last', value: string): void => {
    let t = table.get(id);
    if (!t) { t = { total: 0, lastS: 0 }; table.set(id, t); }
    if (name === 'count') t.total = addScores(t.total, parseScore(value) ?? 0);
    else t.lastS = Math.max(t.lastS, Number(value) || 0);
  };
  for (const [name, value] of node.attributes) {
    const kind = name.startsWith(failCountPrefix) ? 'count' : name.startsWith(lastFailurePrefix) ? 'last' : undefined;
    if (kind === undefined) continue;
    const rest = name.slice(kind === 'count' ? failCountPrefix.length : lastFailurePrefix.length);
    const exact = idsNamed(rest);
    for (const id of exact) tally(failures.exact, id, kind, value);
    for (const id of withoutInstance(exact)) tally(failures.anyInstance, id, kind, value);
  }
  return failures;
}

/** Every id `rest` names as "<id>" or "<id>#<operation>". */
function idsNamed(rest: string): Set<string> {
  const ids = new Set([rest]);
  for (let p = rest.indexOf('#'); p >= 0; p = rest.indexOf('#', p + 1)) {
    if (operationSuffix.test(rest.slice(p))) ids.add(rest.slice(0, p));
  }
  return ids;
}

/** The ids, each also without a trailing instance number (":<digits>"). */
function withoutInstance(ids: Set<string>): Set<string> {
  const out = new Set(ids);
  for (const id of ids) {
    const colon = id.lastIndexOf(':');
    if (colon >= 0 && /^[0-9]+$/.test(id.slice(colon + 1))) out.add(id.slice(0, colon));
  }
  return out;
}
