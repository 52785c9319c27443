// Planner tests: golden cases from Pacemaker's own scheduler regression suite (the cases this
// planner is known to match must keep matching; `--rewrite` records newly matching ones), and
// property tests over generated configurations (bans, clone-max, group members together).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseCib } from '../cib.js';
import type { Configuration, PlannerInput, ResourceConfig } from '../model.js';
import { INFINITY } from '../model.js';
import { plan } from './plan.js';
import { parseNow } from '../../cli/commands/resource/simulate.js';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = here.replace(`${join('dist', 'src')}`, 'src');
const passingFile = join(sourceDir, 'testdata', 'passing.txt');
const suite = join(sourceDir, '..', '..', '..', '..', 'shared', 'pacemaker-scheduler');

function normalise(line: string): string {
  return line.trim().replace(/\s+/g, ' ').replace(/(\S):\d+(?=[\s)]|$)/g, '$1').replace(/\( /g, '(').replace(/ \)/g, ')');
}

function expectedSummary(text: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of text.split('\n')) {
    if (/^\s*Transition Summary:\s*$/.test(line)) { inside = true; continue; }
    if (inside && /^\S.*:\s*$/.test(line)) break;
    if (inside && line.trim() !== '') out.push(normalise(line));
  }
  return out.sort();
}

function runCase(name: string, extra: string): { expected: string[]; got: string[] } {
  const xml = readFileSync(join(suite, 'cases', `${name}.xml`), 'utf8');
  const input = parseCib(xml);
  assert.ok(input.ok, `${name}: ${input.ok ? '' : input.error.message}`);
  const t = /-t\s+'([^']+)'|-t\s+(\S+)/.exec(extra);
  const nowS = t ? parseNow(t[1] ?? t[2] ?? '') ?? 0 : input.value.status.executionDateS ?? Math.floor(Date.UTC(2026, 0, 1) / 1000);
  const got = plan(input.value, nowS).summary.map((l) => normalise(`* ${l.text}`)).sort();
  return { expected: expectedSummary(readFileSync(join(suite, 'cases', `${name}.summary`), 'utf8')), got };
}

test('matches every Pacemaker regression case it is known to match', () => {
  const rows = readFileSync(join(suite, 'cases.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
  const known = new Set(readFileSync(passingFile, 'utf8').split('\n').filter(Boolean));
  const passing: string[] = [];
  const regressions: string[] = [];
  for (const [name, , extra] of rows) {
    if (!name) continue;
    const { expected, got } = runCase(name, extra ?? '');
    const ok = JSON.stringify(expected) === JSON.stringify(got);
    if (ok) passing.push(name);
    else if (known.has(name)) regressions.push(`${name}\n  expected: ${expected.join('\n            ')}\n  printed:  ${got.join('\n            ')}`);
  }
  if (process.argv.includes('--rewrite')) writeFileSync(passingFile, `${passing.sort().join('\n')}\n`);
  assert.deepEqual(regressions, [], `cases that matched before and no longer do:\n${regressions.join('\n')}`);
  assert.ok(passing.length >= known.size, `${passing.length} cases match, ${known.size} were recorded`);
});

// ---- properties --------------------------------------------------------------------------

const nodeNames = ['n1', 'n2', 'n3', 'n4'];

function primitive(id: string, meta: Record<string, string> = {}): ResourceConfig & { kind: 'primitive' } {
  return { kind: 'primitive', id, class: 'ocf', provider: 'heartbeat', type: 'Dummy', params: {}, meta, operations: [] };
}

const scoreArb = fc.oneof(fc.constant(-INFINITY), fc.constant(INFINITY), fc.integer({ min: -500, max: 500 }));

const inputArb = fc.record({
  nodeCount: fc.integer({ min: 1, max: 4 }),
  online: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  standby: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  locations: fc.array(fc.record({ rsc: fc.constantFrom('p1', 'p2', 'g1', 'c1'), node: fc.constantFrom(...nodeNames), score: scoreArb }), { maxLength: 8 }),
  colocation: fc.option(fc.record({ score: scoreArb }), { nil: undefined }),
  cloneMax: fc.integer({ min: 0, max: 5 }),
  running: fc.array(fc.record({ rsc: fc.constantFrom('p1', 'p2', 'm1', 'm2'), node: fc.constantFrom(...nodeNames) }), { maxLength: 4 }),
}).map((g): PlannerInput => {
  const names = nodeNames.slice(0, g.nodeCount);
  const configuration: Configuration = {
    options: { 'stonith-enabled': 'false', 'no-quorum-policy': 'ignore' },
    nodes: names.map((n, i) => ({ id: n, name: n, type: 'member', attributes: g.standby[i] ? { standby: 'true' } : {}, utilization: {} })),
    resources: [
      primitive('p1'), primitive('p2'),
      { kind: 'group', id: 'g1', meta: {}, children: [primitive('m1'), primitive('m2')] },
      { kind: 'clone', id: 'c1', meta: { 'clone-max': String(g.cloneMax) }, child: primitive('cp') },
    ],
    constraints: [
      ...g.locations.filter((l) => names.includes(l.node)).map((l, i) => ({ kind: 'location' as const, id: `l${i}`, resource: l.rsc, node: l.node, score: l.score, rules: [] })),
      ...(g.colocation ? [{ kind: 'colocation' as const, id: 'col', resource: 'p2', withResource: 'p1', score: g.colocation.score }] : []),
    ],
    resourceDefaults: {}, operationDefaults: {}, fencingLevels: [],
  };
  const nodes = names.map((n, i) => ({
    id: n, name: n, inCluster: g.online[i] ? 'true' : 'false', controller: g.online[i] ? 'online' : 'offline', join: 'member', expected: 'member',
    attributes: {},
    resources: g.running.filter((r) => r.node === n).map((r) => ({
      id: r.rsc, class: 'ocf', provider: 'heartbeat', type: 'Dummy',
      operations: [{ id: `${r.rsc}_start_0`, operation: 'start', intervalMs: 0, callId: 1, rc: 0, opStatus: 0, expectedRc: 0 }],
    })),
  }));
  return { configuration, status: { haveQuorum: true, nodes } };
});

test('never places a resource where it is banned, on an unusable node, or beyond clone-max; keeps groups together', () => {
  fc.assert(fc.property(inputArb, (input) => {
    const t = plan(input, 0);
    const bans = new Set(input.configuration.constraints.flatMap((c) => (c.kind === 'location' && c.score === -INFINITY ? [`${c.resource}@${c.node}`] : [])));
    const set = t.set;
    for (const r of set.byId.values()) {
      if (r.variant !== 'primitive' || !r.assignedTo) continue;
      const node = r.assignedTo;
      assert.ok(node.online && !node.standby, `${r.id} placed on unusable ${node.name}`);
      const top = r.parent?.variant === 'group' ? r.parent.id : r.parent?.variant === 'clone' ? 'c1' : r.id;
      assert.ok(!bans.has(`${top}@${node.name}`) && !bans.has(`${r.id}@${node.name}`), `${r.id} placed on ${node.name} despite a -INFINITY location`);
    }
    const clone = set.byId.get('c1');
    const placed = clone ? clone.children.filter((c) => c.assignedTo).length : 0;
    const cloneMax = Number((input.configuration.resources[3]?.meta ?? {})['clone-max']);
    assert.ok(placed <= cloneMax, `${placed} clone instances placed, clone-max ${cloneMax}`);
    const m1 = set.byId.get('m1')?.assignedTo;
    const m2 = set.byId.get('m2')?.assignedTo;
    if (m2) assert.equal(m1, m2, 'group members must be on one node, and the second only with the first');
  }), { numRuns: 300 });
});
