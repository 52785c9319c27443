// Tests of how operation results change a node's history record (op-history.ts): Pacemaker's
// entry names, fail counts (INFINITY for a failed start when start failures are fatal), the
// recurring monitor entries a stop removes, and promotion scores.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recordResult, withPromotionScores, type OperationResult } from './op-history.js';
import type { NodeHistoryRecord } from './records.js';

const empty: NodeHistoryRecord = { incarnation: 'i@1', createdAtMs: 0, attributes: {}, resources: [] };
const agent = { id: 'd1', class: 'ocf', provider: 'heartbeat', type: 'Dummy' };
const result = (action: string, intervalMs: number, rc: number, callId: number, failed = false): OperationResult =>
  ({ action, intervalMs, rc, status: 'done', callId, expectedRc: action === 'monitor' && intervalMs === 0 ? 7 : 0, failed });

describe('operation history', () => {
  it('keeps the last one-shot operation, each recurring monitor, and the last failure', () => {
    let h = recordResult(empty, agent, result('monitor', 0, 7, 1), 100, true);
    h = recordResult(h, agent, result('start', 0, 0, 2), 101, true);
    h = recordResult(h, agent, result('monitor', 10_000, 0, 3), 102, true);
    h = recordResult(h, agent, result('monitor', 10_000, 7, 4, true), 103, true);
    const ops = h.resources[0]?.operations ?? [];
    assert.deepEqual(ops.map((o) => o.id).sort(), ['d1_last_0', 'd1_last_failure_0', 'd1_monitor_10000']);
    assert.equal(ops.find((o) => o.id === 'd1_monitor_10000')?.rc, 7);
    assert.equal(h.attributes['fail-count-d1#monitor_10000'], '1');
    assert.equal(h.attributes['last-failure-d1#monitor_10000'], '103');
    h = recordResult(h, agent, result('monitor', 10_000, 7, 5, true), 104, true);
    assert.equal(h.attributes['fail-count-d1#monitor_10000'], '2');
  });

  it('counts a probe that finds nothing as no failure, and a failed start as INFINITY when start failures are fatal', () => {
    const probe = recordResult(empty, agent, result('monitor', 0, 7, 1, true), 100, true);
    assert.deepEqual(probe.attributes, {});
    const fatal = recordResult(empty, agent, result('start', 0, 1, 2, true), 100, true);
    assert.equal(fatal.attributes['fail-count-d1#start_0'], 'INFINITY');
    const soft = recordResult(empty, agent, result('start', 0, 1, 2, true), 100, false);
    assert.equal(soft.attributes['fail-count-d1#start_0'], '1');
  });

  it('drops recurring monitor entries when a stop succeeds', () => {
    let h = recordResult(empty, agent, result('start', 0, 0, 1), 100, true);
    h = recordResult(h, agent, result('monitor', 5000, 0, 2), 100, true);
    h = recordResult(h, agent, result('stop', 0, 0, 3), 101, true);
    assert.deepEqual(h.resources[0]?.operations.map((o) => o.id), ['d1_last_0']);
  });

  it('replaces the promotion scores agents published, keeping other attributes', () => {
    const h = withPromotionScores({ ...empty, attributes: { 'master-old': '5', other: 'x' } }, { 'master-d1': '10' });
    assert.deepEqual(h.attributes, { other: 'x', 'master-d1': '10' });
  });
});
