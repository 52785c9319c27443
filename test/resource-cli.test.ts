// Integration: the resource, constraint and fence commands end to end on a real one-node cluster
// (herdd + etcd), through the real `herd` CLI, the API and the stored configuration record:
// adding resources checked against agent meta-data, the validation rules (unknown agent, bad
// parameter, unknown resource in a constraint, a Mandatory order cycle, malformed arguments
// refused before any API call), list/show, move/ban/clear, enable/disable, cleanup, scores,
// fence devices and history, and importing a Pacemaker CIB. Whether resources start is the
// resource manager's own test (test/resources.test.ts).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TestCluster } from './harness.js';
import { repositoryRoot } from '../src/fencing/testing.js';
import type { ResourcesView, ResourceView } from '../src/api/types.js';
import type { Constraint, PrimitiveConfig } from '../src/resources/model.js';

describe('resource, constraint and fence commands on one node', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  const herd = (...args: string[]): { status: number; stdout: string; stderr: string } => cluster.cli(args);
  const ok = (...args: string[]): string => {
    const r = herd(...args);
    assert.equal(r.status, 0, `herd ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const refused = (pattern: RegExp, ...args: string[]): string => {
    const r = herd(...args);
    assert.notEqual(r.status, 0, `herd ${args.join(' ')} should fail: ${r.stdout}`);
    assert.match(r.stderr, pattern);
    return r.stderr;
  };
  const json = <T>(...args: string[]): T => JSON.parse(ok('--json', ...args)) as T;
  const constraintIds = (): string[] => json<{ constraints: Constraint[] }>('constraint', 'list').constraints.map((c) => c.id);

  before(async () => {
    cluster = await TestCluster.create({ voters: 1 });
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('adds an OCF resource with a parameter and the meta-data monitor', () => {
    ok('resource', 'add', 'd1', 'ocf:heartbeat:Dummy', 'fake=abc', '--meta', 'resource-stickiness=100');
    const v = json<ResourceView>('resource', 'show', 'd1');
    const c = v.config as PrimitiveConfig;
    assert.equal(c.kind, 'primitive');
    assert.deepEqual([c.class, c.provider, c.type], ['ocf', 'heartbeat', 'Dummy']);
    assert.deepEqual(c.params, { fake: 'abc' });
    assert.deepEqual(c.meta, { 'resource-stickiness': '100' });
    assert.deepEqual(c.operations.map((o) => [o.name, o.intervalMs, o.timeoutMs]), [['monitor', 10_000, 20_000]]);
    ok('resource', 'add', 'd2', 'ocf:heartbeat:Dummy', '--op', 'monitor interval=30s timeout=15s on-fail=restart');
    ok('resource', 'add', 'd3', 'ocf:heartbeat:Dummy', '--group', 'g1');
    const list = json<ResourcesView>('resource', 'list');
    assert.deepEqual(list.config.resources.map((r) => r.id), ['d1', 'd2', 'g1']);
    const text = ok('resource', 'list');
    assert.match(text, /d1\s+ocf:heartbeat:Dummy/);
    assert.match(text, /g1\s+group/);
  });

  it('refuses an unknown agent, a bad parameter and a duplicate id, storing nothing', () => {
    const before = json<ResourcesView>('resource', 'list').revision;
    refused(/agent/, 'resource', 'add', 'x1', 'ocf:heartbeat:NoSuchAgent');
    refused(/params\.bogus/, 'resource', 'add', 'x2', 'ocf:heartbeat:Dummy', 'bogus=1');
    refused(/already in use/, 'resource', 'add', 'd1', 'ocf:heartbeat:Dummy');
    assert.equal(json<ResourcesView>('resource', 'list').revision, before);
  });

  it('refuses malformed arguments with status 2 before any API call', () => {
    const bad = (pattern: RegExp, ...args: string[]): void => {
      const r = herd(...args);
      assert.equal(r.status, 2, `herd ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    };
    bad(/key=value/, 'resource', 'add', 'x', 'ocf:heartbeat:Dummy', 'novalue');
    bad(/agent "ocf:Dummy"/, 'resource', 'add', 'x', 'ocf:Dummy');
    bad(/--op\.interval "soon" must be a duration/, 'resource', 'add', 'x', 'ocf:heartbeat:Dummy', '--op', 'monitor interval=soon');
    bad(/unknown option/, 'resource', 'add', 'x', 'ocf:heartbeat:Dummy', '--bogus');
    bad(/score "lots" must be an integer, INFINITY/, 'constraint', 'add', 'location', 'd1', 'prefers', 'v1=lots');
    bad(/--kind "Always"/, 'constraint', 'add', 'order', 'd1', 'then', 'd2', '--kind', 'Always');
  });

  it('refuses a constraint naming an unknown resource and a Mandatory order cycle', () => {
    refused(/withResource: no resource "ghost"/, 'constraint', 'add', 'colocation', 'd1', 'with', 'ghost');
    ok('constraint', 'add', 'order', 'd1', 'then', 'd2');
    ok('constraint', 'add', 'order', 'start', 'd2', 'then', 'start', 'g1');
    refused(/cycle: start d1 -> start d2 -> start g1 -> start d1|cycle/, 'constraint', 'add', 'order', 'g1', 'then', 'd1');
    ok('constraint', 'add', 'order', 'g1', 'then', 'd1', '--kind', 'Optional');
    ok('constraint', 'add', 'colocation', 'd2', 'with', 'd1', '500');
    ok('constraint', 'add', 'location', 'd2', 'avoids', 'v1=200');
    assert.deepEqual(constraintIds(), ['order-d1-d2-mandatory', 'order-d2-g1-mandatory', 'order-g1-d1-optional', 'colocation-d2-d1-500', 'location-d2-v1--200']);
    assert.match(ok('constraint', 'list'), /d2 avoids v1 \(score -200\)/);
    ok('constraint', 'delete', 'order-g1-d1-optional');
    refused(/no constraint "order-g1-d1-optional"/, 'constraint', 'delete', 'order-g1-d1-optional');
  });

  it('move, ban and clear add and remove the cli-* location constraints', () => {
    ok('resource', 'move', 'd1', 'v1');
    assert.ok(constraintIds().includes('cli-prefer-d1'));
    refused(/no node named "nowhere"/, 'resource', 'move', 'd1', 'nowhere');
    ok('resource', 'clear', 'd1');
    assert.ok(!constraintIds().includes('cli-prefer-d1'));
    ok('resource', 'ban', 'd3', 'v1');
    const ids = constraintIds();
    assert.ok(ids.includes('cli-ban-g1-on-v1'), `a member's ban is its group's: ${ids.join(' ')}`);
    const show = json<ResourceView>('resource', 'show', 'g1');
    assert.ok(show.constraints.some((c) => c.id === 'cli-ban-g1-on-v1' && c.kind === 'location' && c.score === -1_000_000));
    ok('resource', 'clear', 'g1', 'v1');
    assert.ok(!constraintIds().some((id) => id.startsWith('cli-')));
  });

  it('disable and enable set the target-role of the top-level resource', () => {
    ok('resource', 'disable', 'd3');
    assert.equal(json<ResourceView>('resource', 'show', 'g1').config.meta['target-role'], 'Stopped');
    assert.match(ok('resource', 'list'), /g1\s+group\s+.*Stopped/);
    ok('resource', 'enable', 'g1');
    assert.equal(json<ResourceView>('resource', 'show', 'g1').config.meta['target-role'], 'Started');
  });

  it('updates parameters against the meta-data, cleans up, and deletes with the constraints naming a resource', () => {
    ok('resource', 'update', 'd1', 'fake=xyz', '--meta', 'resource-stickiness=');
    const d1 = json<ResourceView>('resource', 'show', 'd1').config as PrimitiveConfig;
    assert.deepEqual([d1.params, d1.meta], [{ fake: 'xyz' }, {}]);
    refused(/params\.nope/, 'resource', 'update', 'd1', 'nope=1');
    ok('resource', 'cleanup', 'd1');
    const deleted = json<{ removed: string[] }>('resource', 'delete', 'd2');
    assert.deepEqual(deleted.removed.sort(), ['colocation-d2-d1-500', 'd2', 'location-d2-v1--200', 'order-d1-d2-mandatory', 'order-d2-g1-mandatory'].sort());
    refused(/no resource "d2"/, 'resource', 'show', 'd2');
  });

  it('reports allocation scores and a resources section in status', () => {
    const scores = herd('resource', 'scores');
    // The live parts come from the resource manager of the answering node.
    assert.equal(scores.status, 0, scores.stderr);
    assert.match(scores.stdout, /pcmk__primitive_assign: d1 allocation score on v1: /);
    assert.match(ok('status'), /Resources \(2\):/);
  });

  it('adds a fence device checked against the fence agent, lists it, and shows the history', () => {
    refused(/params\.nonsense/, 'fence', 'add', 'f0', 'fence_dummy', 'nonsense=1');
    ok('fence', 'add', 'f1', 'fence_dummy', 'type=file', `status_file=${join(cluster.root, 'fence-status')}`, 'pcmk_host_list=v1');
    const devices = json<{ devices: { id: string; agent: string }[] }>('fence', 'list');
    assert.deepEqual(devices.devices.map((d) => [d.id, d.agent]), [['f1', 'fence_dummy']]);
    assert.match(ok('fence', 'list'), /f1\s+fence_dummy/);
    assert.deepEqual(json<{ history: unknown[] }>('fence', 'history').history, []);
    assert.match(ok('fence', 'history'), /No fencing operations/);
    ok('fence', 'delete', 'f1');
  });

  it('imports a Pacemaker CIB (group9) and lists it', () => {
    const file = join(repositoryRoot(), '..', 'shared', 'pacemaker-scheduler', 'cases', 'group9.xml');
    ok('resource', 'import', file);
    const list = json<ResourcesView>('resource', 'list');
    assert.deepEqual(list.config.resources.map((r) => r.id), ['rsc1', 'rsc2', 'foo', 'bar']);
    assert.equal(list.config.options['stonith-enabled'], 'false');
    assert.match(ok('resource', 'list'), /foo\s+group/);
    const bad = herd('resource', 'import', '/nonexistent.xml');
    assert.equal(bad.status, 2);
  });
});
