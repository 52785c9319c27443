import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { interpretProcess, meaningOf, meetsExpectation, parseExitReason } from './exit-codes.js';
import type { ProcessResult } from './process.js';
import type { ActionResult } from './types.js';

const quiet = { text: '', bytesDropped: 0, tail: '' };
const exited = (exitCode: number | null, fields: Partial<ProcessResult> = {}): ProcessResult => ({
  exitCode,
  signal: null,
  timedOut: false,
  cancelled: false,
  stdout: quiet,
  stderr: quiet,
  durationMs: 5,
  ...fields,
});

describe('OCF return codes', () => {
  it('map to outcomes and severities as Pacemaker defines them', () => {
    const table: [number, string, string | undefined][] = [
      [0, 'ok', undefined],
      [1, 'failed', 'soft'],
      [2, 'failed', 'hard'],
      [3, 'failed', 'hard'],
      [4, 'failed', 'hard'],
      [5, 'failed', 'hard'],
      [6, 'failed', 'fatal'],
      [7, 'not_running', undefined],
      [8, 'running_promoted', undefined],
      [9, 'failed', 'soft'],
      [190, 'ok', undefined],
      [191, 'running_promoted', undefined],
      [99, 'failed', 'soft'],
    ];
    for (const [rc, outcome, severity] of table) {
      const meaning = meaningOf(rc);
      assert.equal(meaning.outcome, outcome, `rc ${rc}`);
      assert.equal(meaning.severity, severity, `rc ${rc}`);
    }
    assert.equal(meaningOf(99).defined, false);
  });

  it('turn a finished process into a result', () => {
    assert.deepEqual(interpretProcess(exited(7), 'a', 1000), { rc: 7, status: 'done', outcome: 'not_running', durationMs: 5, output: '' });
    const undefinedCode = interpretProcess(exited(99), 'a', 1000);
    assert.equal(undefinedCode.outcome, 'failed');
    assert.match(undefinedCode.exitReason ?? '', /undefined code 99/);
    const timedOut = interpretProcess(exited(null, { timedOut: true, signal: 'SIGTERM' }), 'a', 1000);
    assert.deepEqual([timedOut.status, timedOut.rc, timedOut.severity], ['timeout', 1, 'soft']);
    const killed = interpretProcess(exited(null, { signal: 'SIGSEGV' }), 'a', 1000);
    assert.deepEqual([killed.status, killed.rc, killed.severity], ['error', 1, 'soft']);
    assert.match(killed.exitReason ?? '', /SIGSEGV/);
    const missing = interpretProcess(exited(null, { spawnError: { code: 'ENOENT', message: 'no such file' } }), 'a', 1000);
    assert.deepEqual([missing.status, missing.rc, missing.severity], ['error', 5, 'hard']);
    const cancelled = interpretProcess(exited(null, { cancelled: true }), 'a', 1000);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.severity, undefined);
  });

  it('take the last ocf-exit-reason line from stderr', () => {
    assert.equal(parseExitReason('noise\nocf-exit-reason:first\nmore\nocf-exit-reason: second one \n'), 'second one');
    assert.equal(parseExitReason('nothing here'), undefined);
    assert.equal(parseExitReason('ocf-exit-reason:'), undefined);
    const reason = interpretProcess(exited(1, { stderr: { text: 'ocf-exit-reason:disk on fire\n', bytesDropped: 0, tail: '' } }), 'a', 1000);
    assert.equal(reason.exitReason, 'disk on fire');
    const inTail = interpretProcess(exited(1, { stderr: { text: 'x'.repeat(10), bytesDropped: 9999, tail: 'ocf-exit-reason:late\n' } }), 'a', 1000);
    assert.equal(inTail.exitReason, 'late');
  });

  it('judge answers against what each action expects', () => {
    const answer = (rc: number, outcome: ActionResult['outcome']): ActionResult => ({ rc, status: 'done', outcome, durationMs: 0, output: '' });
    assert.equal(meetsExpectation('monitor', 0, answer(7, 'not_running')), true, 'a probe expects nothing');
    assert.equal(meetsExpectation('monitor', 10_000, answer(7, 'not_running')), false);
    assert.equal(meetsExpectation('monitor', 10_000, answer(8, 'running_promoted'), 'running_promoted'), true);
    assert.equal(meetsExpectation('monitor', 10_000, answer(0, 'ok'), 'running_promoted'), false);
    assert.equal(meetsExpectation('stop', 0, answer(7, 'not_running')), true);
    assert.equal(meetsExpectation('start', 0, answer(7, 'not_running')), false);
    assert.equal(meetsExpectation('start', 0, answer(1, 'failed')), false);
    assert.equal(meetsExpectation('start', 0, { ...answer(1, 'failed'), status: 'cancelled' }), true);
  });
});
