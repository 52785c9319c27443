// Tests of the configuration edits and their validation (config-edit.ts, config-validate.ts)
// and of the operator's short forms (resource-spec.ts): each edit returns a new record or a
// failure naming the field, and never changes its input.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Constraint, OrderConstraint, PrimitiveConfig } from './model.js';
import { INFINITY } from './model.js';
import { emptyConfig, type NodeHistoryRecord, type ResourceConfigRecord } from './records.js';
import {
  addConstraint, addResource, ban, cleanupHistory, clear, deleteConstraint, deleteResource, importCib, move, setOption, setTargetRole, updateResource,
} from './config-edit.js';
import { validateConfig } from './config-validate.js';
import { defaultMonitors, parseAgent, parseOperation, withOperationIds } from './resource-spec.js';
import { parseCib } from './cib.js';

const dummy = (id: string, extra: Partial<PrimitiveConfig> = {}): PrimitiveConfig => ({
  kind: 'primitive', id, class: 'ocf', provider: 'heartbeat', type: 'Dummy', params: {}, meta: {}, operations: [], ...extra,
});
const order = (id: string, first: string, then: string, extra: Partial<OrderConstraint> = {}): OrderConstraint => ({
  kind: 'order', id, first, then, firstAction: 'start', thenAction: 'start', orderKind: 'Mandatory', requireAll: true, ...extra,
});

function must<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function withResources(...ids: string[]): ResourceConfigRecord {
  let c = emptyConfig();
  for (const id of ids) c = must(addResource(c, dummy(id)));
  return c;
}

describe('addResource', () => {
  it('adds at the top level and into a group, creating the group', () => {
    const c0 = emptyConfig();
    const c1 = must(addResource(c0, dummy('a')));
    assert.equal(c0.resources.length, 0, 'the input is not changed');
    const c2 = must(addResource(c1, dummy('b'), { group: 'g' }));
    const c3 = must(addResource(c2, dummy('c'), { group: 'g' }));
    assert.deepEqual(c3.resources.map((r) => r.id), ['a', 'g']);
    const g = c3.resources[1];
    assert.ok(g?.kind === 'group');
    assert.deepEqual(g.children.map((r) => r.id), ['b', 'c']);
  });

  it('refuses duplicate ids, reserved ids, bad classes and ocf without provider', () => {
    const c = withResources('a');
    let r = addResource(c, dummy('a'));
    assert.equal(!r.ok && r.error.code, 'conflict');
    r = addResource(c, dummy('scores'));
    assert.match(!r.ok ? r.error.message : '', /reserved/);
    r = addResource(c, dummy('x', { class: 'lsb' }));
    assert.equal(!r.ok && r.error.field, 'resources[1].class');
    r = addResource(c, { kind: 'primitive', id: 'y', class: 'ocf', type: 'Dummy', params: {}, meta: {}, operations: [] });
    assert.equal(!r.ok && r.error.field, 'resources[1].provider');
    r = addResource(c, dummy('b'), { group: 'a' });
    assert.match(!r.ok ? r.error.message : '', /is a primitive, not a group/);
  });

  it('checks clone counts, meta scores and operations', () => {
    const c = emptyConfig();
    let r = addResource(c, { kind: 'clone', id: 'c', meta: { 'clone-max': '-1' }, child: dummy('d') });
    assert.equal(!r.ok && r.error.field, 'resources[0].meta.clone-max');
    r = addResource(c, dummy('d', { meta: { 'resource-stickiness': 'lots' } }));
    assert.equal(!r.ok && r.error.field, 'resources[0].meta.resource-stickiness');
    r = addResource(c, dummy('d', { operations: withOperationIds('d', [must(parseOperation('start interval=10s'))]) }));
    assert.equal(!r.ok && r.error.field, 'resources[0].operations[0].interval');
    assert.ok(addResource(c, { kind: 'clone', id: 'c', meta: { 'clone-max': '2', promotable: 'true' }, child: dummy('d') }).ok);
  });
});

describe('constraints', () => {
  it('refuses a constraint naming an unknown resource, naming the field', () => {
    const c = withResources('a');
    const r = addConstraint(c, { kind: 'colocation', id: 'col', score: INFINITY, resource: 'a', withResource: 'x' });
    assert.equal(!r.ok && r.error.field, 'constraints[0].withResource');
    assert.match(!r.ok ? r.error.message : '', /no resource "x"/);
  });

  it('refuses a cycle of Mandatory orders and names it, but not of Optional ones', () => {
    let c = withResources('a', 'b', 'c');
    c = must(addConstraint(c, order('o1', 'a', 'b')));
    c = must(addConstraint(c, order('o2', 'b', 'c')));
    const r = addConstraint(c, order('o3', 'c', 'a'));
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error.message : '', /cycle: start a -> start b -> start c -> start a/);
    assert.match(!r.ok ? r.error.message : '', /o1, o2, o3/);
    assert.ok(addConstraint(c, order('o3', 'c', 'a', { orderKind: 'Optional' })).ok);
  });

  it('finds a cycle through a set and through group members', () => {
    let c = must(addResource(withResources('a'), dummy('m1'), { group: 'g' }));
    c = must(addResource(c, dummy('m2'), { group: 'g' }));
    c = must(addConstraint(c, { kind: 'order', id: 's', firstAction: 'start', thenAction: 'start', orderKind: 'Mandatory', requireAll: true,
      sets: [{ id: 's1', resources: ['a'], sequential: true, requireAll: true }, { id: 's2', resources: ['m1'], sequential: true, requireAll: true }] }));
    const r = addConstraint(c, order('back', 'm2', 'a'));
    assert.match(!r.ok ? r.error.message : '', /start g -> start a|start a -> start g/);
  });

  it('deletes a constraint, and refuses an unknown one', () => {
    let c = withResources('a', 'b');
    c = must(addConstraint(c, order('o1', 'a', 'b')));
    assert.equal(must(deleteConstraint(c, 'o1')).constraints.length, 0);
    assert.equal(!deleteConstraint(c, 'nope').ok && 'not_found', 'not_found');
  });
});

describe('update and delete', () => {
  it('patches params and meta, replaces operations of the same name', () => {
    let c = must(addResource(emptyConfig(), dummy('a', { params: { state: '/x' }, operations: withOperationIds('a', [must(parseOperation('monitor interval=10s'))]) })));
    c = must(updateResource(c, 'a', { params: { state: null, fake: 'y' }, meta: { priority: '5' }, operations: withOperationIds('a', [must(parseOperation('monitor interval=30s timeout=5s'))]) }));
    const a = c.resources[0] as PrimitiveConfig;
    assert.deepEqual(a.params, { fake: 'y' });
    assert.deepEqual(a.meta, { priority: '5' });
    assert.deepEqual(a.operations.map((o) => [o.name, o.intervalMs, o.timeoutMs]), [['monitor', 30_000, 5000]]);
    assert.equal(!updateResource(c, 'nope', {}).ok, true);
  });

  it('deletes a resource with the constraints naming it; a last group member takes its group', () => {
    let c = must(addResource(withResources('a'), dummy('m'), { group: 'g' }));
    c = must(addConstraint(c, order('o1', 'a', 'm')));
    c = must(addConstraint(c, { kind: 'location', id: 'l1', resource: 'a', node: 'n1', score: 10, rules: [] }));
    const r = must(deleteResource(c, 'm'));
    assert.deepEqual(r.config.resources.map((x) => x.id), ['a']);
    assert.deepEqual(r.removed, ['g', 'm']);
    assert.deepEqual(r.removedConstraints, ['o1']);
    assert.deepEqual(r.config.constraints.map((x) => x.id), ['l1']);
  });
});

describe('target-role, move, ban, clear', () => {
  it('disables and enables the top-level resource, returning the previous role', () => {
    let c = must(addResource(emptyConfig(), dummy('m', { meta: { 'target-role': 'Stopped' } }), { group: 'g' }));
    const off = must(setTargetRole(c, 'm', 'Stopped'));
    assert.equal(off.top, 'g');
    assert.equal(off.previous, undefined);
    c = off.config;
    assert.equal(c.resources[0]?.meta['target-role'], 'Stopped');
    const on = must(setTargetRole(c, 'g', 'Started'));
    assert.equal(on.previous, 'Stopped');
    const g = on.config.resources[0];
    assert.ok(g?.kind === 'group');
    assert.equal(g.meta['target-role'], 'Started');
    assert.equal(g.children[0]?.meta['target-role'], undefined, "a member's Stopped would win: it is cleared");
  });

  it('move adds cli-prefer, ban adds cli-ban, clear removes them', () => {
    let c = withResources('a');
    c = must(move(c, 'a', 'n1')).config;
    c = must(move(c, 'a', 'n2')).config;
    c = must(ban(c, 'a', 'n3')).config;
    const loc = (id: string): Constraint | undefined => c.constraints.find((x) => x.id === id);
    assert.deepEqual(c.constraints.map((x) => x.id), ['cli-prefer-a', 'cli-ban-a-on-n3']);
    assert.deepEqual(loc('cli-prefer-a'), { kind: 'location', id: 'cli-prefer-a', resource: 'a', node: 'n2', score: INFINITY, rules: [] });
    assert.equal(loc('cli-ban-a-on-n3')?.kind === 'location' && loc('cli-ban-a-on-n3')?.score, -INFINITY);
    const one = must(clear(c, 'a', 'n3'));
    assert.deepEqual(one.removed, ['cli-ban-a-on-n3']);
    const all = must(clear(c, 'a'));
    assert.deepEqual(all.removed, ['cli-prefer-a', 'cli-ban-a-on-n3']);
    assert.equal(all.config.constraints.length, 0);
    assert.equal(!move(c, 'a', 'bad node').ok, true);
  });
});

describe('options and import', () => {
  it('sets known options with valid values only', () => {
    const c = must(setOption(emptyConfig(), 'no-quorum-policy', 'freeze'));
    assert.equal(c.options['no-quorum-policy'], 'freeze');
    const bad = setOption(c, 'no-quorum-policy', 'panic');
    assert.equal(!bad.ok && bad.error.field, 'options.no-quorum-policy');
    assert.match(!bad.ok ? bad.error.message : '', /one of stop, freeze/);
    assert.equal(!setOption(c, 'bogus', '1').ok, true);
    assert.equal(must(setOption(c, 'no-quorum-policy', null)).options['no-quorum-policy'], undefined);
  });

  it('imports a Pacemaker CIB configuration (group9)', () => {
    const here = dirname(fileURLToPath(import.meta.url)).replace(join('dist', 'src'), 'src');
    const xml = readFileSync(join(here, '..', '..', '..', 'shared', 'pacemaker-scheduler', 'cases', 'group9.xml'), 'utf8');
    const c = must(importCib(emptyConfig(), must(parseCib(xml))));
    assert.deepEqual(c.resources.map((r) => r.id), ['rsc1', 'rsc2', 'foo', 'bar']);
    assert.equal(c.options['stonith-enabled'], 'false');
    assert.ok(validateConfig(c).ok);
  });
});

describe('cleanupHistory', () => {
  it('drops the resource history and its fail-count/last-failure attributes', () => {
    const h: NodeHistoryRecord = {
      incarnation: 'i1', createdAtMs: 0,
      attributes: { 'fail-count-a#monitor_10000': '3', 'last-failure-a#monitor_10000': '17', 'fail-count-ab#start_0': '1', 'other': 'x' },
      resources: [{ id: 'a', class: 'ocf', provider: 'heartbeat', type: 'Dummy', operations: [] }, { id: 'ab', class: 'ocf', type: 'Dummy', operations: [] }],
    };
    const r = cleanupHistory(h, ['a']);
    assert.equal(r.changed, true);
    assert.deepEqual(Object.keys(r.record.attributes), ['fail-count-ab#start_0', 'other']);
    assert.deepEqual(r.record.resources.map((x) => x.id), ['ab']);
    assert.equal(h.resources.length, 2, 'the input is not changed');
    assert.equal(cleanupHistory(r.record, ['a']).changed, false);
  });
});

describe('resource-spec', () => {
  it('parses agents and refuses malformed ones naming the field', () => {
    assert.deepEqual(must(parseAgent('ocf:heartbeat:Dummy')), { class: 'ocf', provider: 'heartbeat', type: 'Dummy' });
    assert.deepEqual(must(parseAgent('systemd:nginx.service')), { class: 'systemd', type: 'nginx.service' });
    for (const bad of ['ocf:Dummy', 'lsb:foo', 'systemd:a:b', 'exec:']) {
      const r = parseAgent(bad);
      assert.equal(!r.ok && r.error.field, 'agent', bad);
    }
  });

  it('parses operations and refuses bad durations', () => {
    const op = must(parseOperation('monitor interval=10s timeout=1min on-fail=restart role=Slave depth=0'));
    assert.deepEqual(op, { name: 'monitor', intervalMs: 10_000, timeoutMs: 60_000, onFail: 'restart', role: 'Unpromoted', enabled: true, meta: { depth: '0' } });
    const bad = parseOperation('monitor interval=often');
    assert.equal(!bad.ok && bad.error.field, 'op.interval');
  });

  it('takes default monitors from meta-data, one per role for promotable', () => {
    const plain = defaultMonitors([{ name: 'monitor', intervalMs: 10_000, timeoutMs: 20_000 }], false);
    assert.deepEqual(plain.map((o) => [o.intervalMs, o.role]), [[10_000, undefined]]);
    const roles = defaultMonitors([{ name: 'monitor', intervalMs: 10_000, role: 'Promoted' }, { name: 'monitor', intervalMs: 11_000, role: 'Unpromoted' }], true);
    assert.deepEqual(roles.map((o) => [o.intervalMs, o.role]), [[10_000, 'Promoted'], [11_000, 'Unpromoted']]);
    assert.deepEqual(defaultMonitors([], false).map((o) => o.intervalMs), [60_000]);
    assert.deepEqual(withOperationIds('r', roles).map((o) => o.id), ['r-monitor-interval-10s', 'r-monitor-interval-11s']);
  });
});
