// Tests of the planner input built from Herd's records (input.ts), above all the safety rule:
// a lost node's resources move only after it is fenced, or after its lease expired plus the
// margin when there is no fence device; until then they stay frozen where they are.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildPlannerInput, type ClusterSnapshot } from './input.js';
import type { NodeState } from '../membership/detector.js';
import type { PrimitiveConfig } from './model.js';
import { emptyConfig, type NodeHistoryRecord, type ResourceConfigRecord } from './records.js';
import { plan } from './planner/plan.js';

const dummy: PrimitiveConfig = { kind: 'primitive', id: 'd1', class: 'ocf', provider: 'heartbeat', type: 'Dummy', params: {}, meta: {}, operations: [] };
const fence: PrimitiveConfig = { kind: 'primitive', id: 'f', class: 'stonith', type: 'fence_dummy', params: {}, meta: {}, operations: [] };

const probed = (incarnation: string, running: boolean, createdAtMs = 0): NodeHistoryRecord => ({
  incarnation, createdAtMs, attributes: {},
  resources: [dummy, fence].map((p) => ({
    id: p.id, class: p.class, ...(p.provider === undefined ? {} : { provider: p.provider }), type: p.type,
    operations: [running && p.id === 'd1'
      ? { id: 'd1_last_0', operation: 'start', intervalMs: 0, callId: 2, rc: 0, opStatus: 0, expectedRc: 0 }
      : { id: `${p.id}_last_0`, operation: 'monitor', intervalMs: 0, callId: 1, rc: 7, opStatus: 0, expectedRc: 7 }],
  })),
});

interface Case {
  readonly fencing: boolean;
  /** n2 runs d1; its state, since when, and what else is known about it. */
  readonly n2: NodeState;
  readonly n2SinceMs: number;
  readonly fencedAtMs?: number;
  readonly n2History?: 'current' | 'none';
  readonly n2RegisteredAtMs?: number;
  readonly nowMs: number;
}

function snapshotOf(c: Case): ClusterSnapshot {
  const config: ResourceConfigRecord = { ...emptyConfig(), resources: c.fencing ? [fence, dummy] : [dummy] };
  const node = (name: string) => ({ name, labels: {}, standby: false, maintenance: false, left: false });
  const histories = new Map<string, NodeHistoryRecord>([['n1', probed('n1@1', false)]]);
  if (c.n2History !== 'none') histories.set('n2', probed('n2@1', true));
  return {
    config,
    nodes: [node('n1'), node('n2')],
    states: new Map([['n1', { state: 'online' as const, sinceMs: 0 }], ['n2', { state: c.n2, sinceMs: c.n2SinceMs }]]),
    incarnations: new Map([['n1', 'n1@1'], ['n2', 'n2@1']]),
    registeredAtMs: new Map([['n1', 0], ['n2', c.n2RegisteredAtMs ?? 0]]),
    histories,
    fencedAtMs: c.fencedAtMs === undefined ? new Map() : new Map([['n2', c.fencedAtMs]]),
    nowMs: c.nowMs,
    leaseMarginMs: 500,
  };
}

/** The summary lines the planner gives for the case. */
function summary(c: Case): string[] {
  const built = buildPlannerInput(snapshotOf(c));
  assert.deepEqual(built.unready, []);
  return plan(built.input, Math.floor(c.nowMs / 1000)).summary.map((l) => l.text.replace(/\s+/g, ' '));
}

describe('planner input from the records', () => {
  it('fences a suspect node when a fence device exists, then recovers its resources', () => {
    const lines = summary({ fencing: true, n2: 'suspect', n2SinceMs: 1000, nowMs: 2000 });
    assert.ok(lines.some((l) => /^Fence \(reboot\) n2/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^Move d1 \( n2 -> n1 \)/.test(l)), lines.join('\n'));
  });

  it('without a fence device, freezes a suspect node\'s resources, and an unclean one\'s until the margin has passed', () => {
    assert.deepEqual(summary({ fencing: false, n2: 'suspect', n2SinceMs: 1000, nowMs: 60_000 }), []);
    assert.deepEqual(summary({ fencing: false, n2: 'unclean', n2SinceMs: 1000, nowMs: 1400 }), []);
    const after = summary({ fencing: false, n2: 'unclean', n2SinceMs: 1000, nowMs: 1500 });
    assert.ok(after.some((l) => /^Start d1 \( n1 \)/.test(l)), after.join('\n'));
  });

  it('counts a fenced node as down until it writes a new history, and does not fence it again', () => {
    const lines = summary({ fencing: true, n2: 'unclean', n2SinceMs: 1000, fencedAtMs: 1200, n2History: 'none', nowMs: 3000 });
    assert.ok(!lines.some((l) => /^Fence/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^Start d1 \( n1 \)/.test(l)), lines.join('\n'));
  });

  it('freezes a node whose recorded state predates its new registration instead of fencing it', () => {
    const lines = summary({ fencing: true, n2: 'unclean', n2SinceMs: 1000, n2RegisteredAtMs: 1500, nowMs: 3000 });
    assert.deepEqual(lines.filter((l) => /^Fence| d1 /.test(l)), [], lines.join('\n'));
  });

  it('waits for the probes of a node that is up without a complete history', () => {
    const s = snapshotOf({ fencing: false, n2: 'online', n2SinceMs: 0, nowMs: 1000 });
    const built = buildPlannerInput({ ...s, incarnations: new Map([['n1', 'n1@1'], ['n2', 'n2@2']]) });
    assert.deepEqual(built.unready, ['n2']);
  });

  it('never lets a resource start elsewhere while its node is neither fenced nor past lease + margin (property)', () => {
    const states: NodeState[] = ['online', 'suspect', 'unclean', 'offline'];
    fc.assert(fc.property(
      fc.boolean(), fc.constantFrom(...states), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 20_000 }),
      fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
      (fencing, n2, n2SinceMs, nowMs, fencedAtMs) => {
        const c: Case = { fencing, n2, n2SinceMs, nowMs: Math.max(nowMs, n2SinceMs), ...(fencedAtMs === undefined ? {} : { fencedAtMs }) };
        const built = buildPlannerInput(snapshotOf(c));
        if (built.unready.length > 0) return;
        const lines = plan(built.input, Math.floor(c.nowMs / 1000)).summary.map((l) => l.text.replace(/\s+/g, ' '));
        const startsOnN1 = lines.some((l) => /^(Start|Move|Recover) d1 .*n1 \)/.test(l));
        const fencesN2 = lines.some((l) => /^Fence \(reboot\) n2/.test(l));
        const pastMargin = n2 === 'unclean' && c.nowMs - n2SinceMs >= 500;
        // A clean stop (offline) or a recorded fence are proof; so is the fence in this very plan.
        const proven = n2 === 'offline' || fencedAtMs !== undefined || fencesN2 || pastMargin;
        if (startsOnN1) assert.ok(proven, `${JSON.stringify(c)}: ${lines.join('; ')}`);
      },
    ), { numRuns: 300 });
  });
});
