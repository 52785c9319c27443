// Tests of the live resource state (state.ts): where resources and clone instances are active,
// fail counts, failed operations and the crm_mon-like state text, from a snapshot of records.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlannerInput, type ClusterSnapshot } from './input.js';
import type { OperationRecord, PrimitiveConfig } from './model.js';
import { emptyConfig, type NodeHistoryRecord } from './records.js';
import { findState, isStopped, resourceStates, stateText } from './state.js';

const dummy = (id: string, meta: Record<string, string> = {}): PrimitiveConfig => ({
  kind: 'primitive', id, class: 'ocf', provider: 'heartbeat', type: 'Dummy', params: {}, meta, operations: [],
});
const op = (operation: string, intervalMs: number, rc: number, extra: Partial<OperationRecord> = {}): OperationRecord => ({
  id: `${operation}_${intervalMs}`, operation, intervalMs, callId: 1, rc, opStatus: 0, expectedRc: operation === 'monitor' && intervalMs === 0 ? 7 : 0, lastRcChange: 100, ...extra,
});
const history = (ops: Record<string, OperationRecord[]>, attributes: Record<string, string> = {}): NodeHistoryRecord => ({
  incarnation: 'i', createdAtMs: 0, attributes,
  resources: Object.entries(ops).map(([id, operations]) => ({ id, class: 'ocf', provider: 'heartbeat', type: 'Dummy', operations })),
});

function snapshot(): ClusterSnapshot {
  const config = {
    ...emptyConfig(),
    options: { 'stonith-enabled': 'false' },
    resources: [dummy('a'), dummy('off', { 'target-role': 'Stopped' }), { kind: 'clone' as const, id: 'c', meta: {}, child: dummy('d') }],
  };
  const n1 = history({
    a: [op('start', 0, 0, { callId: 2 }), op('monitor', 10_000, 0, { callId: 3 })],
    off: [op('monitor', 0, 7)],
    d: [op('start', 0, 0), op('monitor', 10_000, 0, { callId: 2 })],
  });
  const n2 = history({
    a: [op('monitor', 0, 7)],
    off: [op('monitor', 0, 7)],
    d: [op('start', 0, 0), op('monitor', 10_000, 1, { callId: 2, exitReason: 'disk gone' })],
  }, { 'fail-count-d#monitor_10000': '2', 'last-failure-d#monitor_10000': '100' });
  const node = (name: string) => ({ name, labels: {}, standby: false, maintenance: false, left: false });
  return {
    config,
    nodes: [node('n1'), node('n2')],
    states: new Map([['n1', { state: 'online' as const, sinceMs: 0 }], ['n2', { state: 'online' as const, sinceMs: 0 }]]),
    incarnations: new Map([['n1', 'i'], ['n2', 'i']]),
    registeredAtMs: new Map([['n1', 0], ['n2', 0]]),
    histories: new Map([['n1', n1], ['n2', n2]]),
    fencedAtMs: new Map(),
    nowMs: 200_000,
    leaseMarginMs: 10_000,
  };
}

describe('resourceStates', () => {
  const state = resourceStates(buildPlannerInput(snapshot()));

  it('shows where each primitive and clone instance is active', () => {
    const a = findState(state.resources, 'a');
    assert.deepEqual(a?.active, [{ node: 'n1', role: 'Started' }]);
    assert.equal(a && stateText(a), 'Started n1');
    const c = findState(state.resources, 'c');
    assert.deepEqual(c?.active.map((x) => x.node).sort(), ['n1', 'n2']);
    assert.equal(c?.children.length, 2);
    assert.equal(c?.agent, 'ocf:heartbeat:Dummy');
  });

  it('reports target-role, a disabled resource as stopped, and fail counts per node', () => {
    const off = findState(state.resources, 'off');
    assert.equal(off?.targetRole, 'Stopped');
    assert.ok(off && isStopped(off));
    assert.equal(off && stateText(off), 'Stopped (disabled)');
    const c = findState(state.resources, 'c');
    assert.deepEqual(c?.failCounts, [{ node: 'n2', count: 2 }]);
    assert.equal(c?.failed, true);
    assert.equal(c && stateText(c), 'Started: [ n1 ] FAILED: [ n2 ]');
  });

  it('lists failed operations with rc and exit reason, not probes that found nothing', () => {
    assert.deepEqual(state.failures.map((f) => [f.resource, f.node, f.operation, f.intervalMs, f.rc, f.exitReason]), [['d', 'n2', 'monitor', 10_000, 1, 'disk gone']]);
    assert.deepEqual(state.unready, []);
  });
});
