// Tests of the transition runner (transition.ts): actions start once everything ordered before
// them completed, pseudo-actions complete at once, no more than inFlightMax run together, and
// the first failure stops new actions while those in flight finish.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Action, Edge } from './planner/actions.js';
import { graphOf, hasWork, runTransition } from './transition.js';

function action(id: number, task: string, pseudo = false): Action {
  return { id, rsc: undefined, task, node: undefined, optional: false, runnable: true, pseudo, reason: undefined, before: [], after: [] };
}
function order(first: Action, then: Action): void {
  const edge: Edge = { first, then, flags: 0 };
  then.before.push(edge);
  first.after.push(edge);
}

describe('transition runner', () => {
  it('runs actions in order through pseudo-actions, in parallel where allowed', async () => {
    const stopA = action(0, 'stop-a');
    const stopB = action(1, 'stop-b');
    const stopped = action(2, 'stopped', true);
    const start = action(3, 'start');
    const skipped = { ...action(4, 'optional'), optional: true };
    order(stopA, stopped);
    order(stopB, stopped);
    order(stopped, start);
    order(skipped, start);
    const steps = graphOf([stopA, stopB, stopped, start, skipped]);
    assert.equal(steps.length, 4);
    assert.ok(hasWork(steps));
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const outcome = await runTransition(steps, async (a) => {
      running += 1;
      most = Math.max(most, running);
      log.push(`begin ${a.task}`);
      await new Promise((r) => setImmediate(r));
      log.push(`end ${a.task}`);
      running -= 1;
      return true;
    }, { inFlightMax: 8 });
    assert.equal(most, 2, 'both stops ran together');
    assert.ok(log.indexOf('begin start') > log.indexOf('end stop-a') && log.indexOf('begin start') > log.indexOf('end stop-b'));
    assert.deepEqual([outcome.completed, outcome.failed.length, outcome.skipped], [4, 0, 0]);
  });

  it('stops starting actions after a failure and reports what was skipped', async () => {
    const a = action(0, 'a');
    const b = action(1, 'b');
    const c = action(2, 'c');
    order(a, c);
    const ran: string[] = [];
    const outcome = await runTransition(graphOf([a, b, c]), async (x) => {
      ran.push(x.task);
      return x.task !== 'a';
    }, { inFlightMax: 1 });
    assert.deepEqual(ran, ['a']);
    assert.deepEqual(outcome.failed.map((x) => x.task), ['a']);
    assert.equal(outcome.skipped, 2);
  });

  it('a graph of pseudo-actions only has no work', () => {
    assert.equal(hasWork(graphOf([action(0, 'running', true)])), false);
  });
});
