import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { judgeNode, type NodeObservation } from './detector.js';

const base: NodeObservation = { name: 'n1', standby: false, maintenance: false, left: false, alive: true, stoppedCleanly: false, lastHeartbeatMs: 1000, previousState: 'online' };
const timing = { suspectAfterMs: 800 };

describe('failure detector', () => {
  it('is online while heartbeats are recent', () => {
    assert.equal(judgeNode(base, 1700, 0, timing).state, 'online');
  });
  it('suspects a node silent for longer than suspectAfterMs', () => {
    assert.equal(judgeNode(base, 1801, 0, timing).state, 'suspect');
  });
  it('marks a node whose lease expired without a clean stop unclean', () => {
    assert.equal(judgeNode({ ...base, alive: false }, 1100, 0, timing).state, 'unclean');
  });
  it('calls a node that never came up offline, not unclean', () => {
    assert.equal(judgeNode({ ...base, alive: false, previousState: undefined }, 1100, 0, timing).state, 'offline');
    assert.equal(judgeNode({ ...base, alive: false, previousState: 'offline' }, 1100, 0, timing).state, 'offline');
    assert.equal(judgeNode({ ...base, alive: false, previousState: 'suspect' }, 1100, 0, timing).state, 'unclean');
    assert.equal(judgeNode({ ...base, alive: false, previousState: 'unclean' }, 1100, 0, timing).state, 'unclean');
  });
  it('marks a cleanly stopped or departed node offline', () => {
    assert.equal(judgeNode({ ...base, alive: false, stoppedCleanly: true }, 1100, 0, timing).state, 'offline');
    assert.equal(judgeNode({ ...base, left: true }, 1100, 0, timing).state, 'offline');
  });
  it('reports admin modes only for heartbeating nodes', () => {
    assert.equal(judgeNode({ ...base, standby: true }, 1100, 0, timing).state, 'standby');
    assert.equal(judgeNode({ ...base, maintenance: true, standby: true }, 1100, 0, timing).state, 'maintenance');
    assert.equal(judgeNode({ ...base, standby: true }, 5000, 0, timing).state, 'suspect');
  });
  it('gives a new coordinator a grace period before suspecting nodes it has not heard', () => {
    const o = { ...base, lastHeartbeatMs: undefined };
    assert.equal(judgeNode(o, 10_500, 10_000, timing).state, 'online');
    assert.equal(judgeNode(o, 10_900, 10_000, timing).state, 'suspect');
  });
  it('never calls a silent node online (property)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), (standby, maintenance, last, gap) => {
        const v = judgeNode({ ...base, standby, maintenance, lastHeartbeatMs: last }, last + gap, 0, timing);
        if (gap > timing.suspectAfterMs) assert.equal(v.state, 'suspect');
        else assert.notEqual(v.state, 'suspect');
      }),
    );
  });
});
