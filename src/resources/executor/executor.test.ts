import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Timers } from '../../core/clock.js';
import { Executor } from './executor.js';
import type { ExecutorLimits } from './limits.js';
import { OcfClass } from './ocf.js';
import type { Operation, OperationRecord } from './operation.js';
import { isPidRunning } from './process-identity.js';
import { createRegistry } from './registry.js';
import { fireTimeoutThenKill, killPid, lineCount, ManualTimers, ocfOperation, readPid, runtime, scriptedAgent, systemOcfRoot, temporaryDirectory, waitFor, writeAgent } from './testkit.js';
import type { ResourceClass } from './types.js';

const directory = temporaryDirectory('executor');
const testRoot = join(directory.path, 'ocf');
const started: number[] = [];
const executors: Executor[] = [];
after(async () => {
  for (const executor of executors) await executor.close();
  for (const pid of started) killPid(pid);
  directory.remove();
});

writeAgent(testRoot, 'test', 'Scripted', scriptedAgent);
writeAgent(testRoot, 'test', 'Lock', `#!/bin/sh
mkdir "$OCF_RESKEY_dir/lock" 2>/dev/null || { echo "ocf-exit-reason:overlapping operations" >&2; exit 1; }
sleep 0.2
rmdir "$OCF_RESKEY_dir/lock"
`);
writeAgent(testRoot, 'test', 'Partner', `#!/bin/sh
touch "$OCF_RESKEY_dir/$OCF_RESOURCE_INSTANCE.started"
i=0
while [ ! -e "$OCF_RESKEY_dir/$OCF_RESKEY_partner.started" ]; do
  i=$((i+1)); [ $i -gt 1000 ] && { echo "ocf-exit-reason:partner never ran alongside" >&2; exit 1; }
  sleep 0.01
done
`);
writeAgent(testRoot, 'test', 'Gate', '#!/bin/sh\nwhile [ ! -e "$OCF_RESKEY_gate" ]; do sleep 0.01; done\n');
writeAgent(testRoot, 'test', 'Hang', `#!/bin/sh\ntrap '' TERM\nsleep 1000 &\necho $! > "$OCF_RESKEY_pidfile"\nwait\n`);

interface Harness {
  readonly executor: Executor;
  readonly records: OperationRecord[];
}

function harness(ocfRoot: string, fields: { timers?: Timers; limits?: Partial<ExecutorLimits>; classes?: ResourceClass[] } = {}): Harness {
  const records: OperationRecord[] = [];
  const classes = fields.classes ?? [new OcfClass({ ...runtime, ocfRoot, killGraceMs: 200 })];
  const executor = new Executor({
    clock: systemClock,
    timers: fields.timers ?? runtime.timers,
    registry: createRegistry(classes),
    onResult: (record) => records.push(record),
    limits: { recurringIntervalMsMin: 10, ...fields.limits },
  });
  executors.push(executor);
  return { executor, records };
}

const test = (resourceId: string, type: string, fields: Partial<Operation> = {}): Operation =>
  ocfOperation({ resourceId, provider: 'test', type, action: 'start', ...fields });

async function recordOf(executor: Executor, operation: Operation): Promise<OperationRecord> {
  const outcome = await executor.run(operation);
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  return outcome.value;
}

describe('executor', () => {
  it('runs one-shot operations on a real agent and reports each record with increasing call ids', async () => {
    const { executor, records } = harness(systemOcfRoot);
    const params = { state: join(directory.path, 'one-shot.state') };
    const results: OperationRecord[] = [];
    for (const action of ['start', 'monitor', 'stop', 'monitor'] as const) {
      results.push(await recordOf(executor, ocfOperation({ resourceId: 'dummy', type: 'Dummy', action, params })));
    }
    assert.deepEqual(records, results);
    assert.deepEqual(results.map((record) => [record.action, record.rc, record.failed]), [['start', 0, false], ['monitor', 0, false], ['stop', 0, false], ['monitor', 7, false]]);
    assert.ok(results.every((record, index) => index === 0 || record.callId > (results[index - 1]?.callId ?? Infinity)));
    assert.ok(results.every((record) => record.startedAtMs > 0 && record.durationMs >= 0));
    assert.equal(executor.failcount('dummy'), 0);
  });

  it('runs one operation at a time per resource, and different resources in parallel', async () => {
    const { executor } = harness(testRoot);
    const params = { dir: directory.path };
    const same = await Promise.all([1, 2, 3].map(() => recordOf(executor, test('locked', 'Lock', { params }))));
    assert.deepEqual(same.map((record) => [record.rc, record.exitReason]), [[0, undefined], [0, undefined], [0, undefined]]);
    const pair = await Promise.all([
      recordOf(executor, test('left', 'Partner', { params: { ...params, partner: 'right' } })),
      recordOf(executor, test('right', 'Partner', { params: { ...params, partner: 'left' } })),
    ]);
    assert.deepEqual(pair.map((record) => [record.rc, record.exitReason]), [[0, undefined], [0, undefined]]);
  });

  it('refuses operations beyond the per-resource queue limit', async () => {
    const { executor } = harness(testRoot, { limits: { queuedOperationsPerResourceMax: 1 } });
    const gate = join(directory.path, 'queue.gate');
    const operation = test('queued', 'Gate', { params: { gate } });
    const first = executor.run(operation);
    const second = executor.run(operation);
    const third = await executor.run(operation);
    assert.ok(!third.ok);
    assert.equal(third.error.code, 'queue_full');
    writeFileSync(gate, '');
    const outcomes = await Promise.all([first, second]);
    assert.ok(outcomes.every((outcome) => outcome.ok && outcome.value.rc === 0));
  });

  it('fails a hung agent, counts the failure, and keeps serving the resource', async () => {
    // The agent's timers are driven by hand, so its timeout fires only once it surely started.
    const agentTimers = new ManualTimers();
    const { executor } = harness(testRoot, { classes: [new OcfClass({ ...runtime, timers: agentTimers, ocfRoot: testRoot })] });
    const pidfile = join(directory.path, 'executor-hang.pid');
    const running = recordOf(executor, test('hung', 'Hang', { timeoutMs: 300, params: { pidfile } }));
    await waitFor('the hung agent to start its child', () => readPid(pidfile) !== undefined);
    const grandchild = readPid(pidfile);
    if (grandchild !== undefined) started.push(grandchild);
    fireTimeoutThenKill(agentTimers);
    const hung = await running;
    assert.deepEqual([hung.status, hung.failed, hung.severity], ['timeout', true, 'soft']);
    assert.ok(grandchild !== undefined && !isPidRunning(grandchild));
    const rcfile = join(directory.path, 'hung-next.rc');
    writeFileSync(rcfile, '0');
    const next = await recordOf(executor, test('hung', 'Scripted', { params: { rcfile, countfile: join(directory.path, 'hung-next.count') } }));
    assert.equal(next.rc, 0);
    assert.equal(executor.failcount('hung'), 1);
    executor.clearFailures('hung');
    assert.equal(executor.failcount('hung'), 0);
  });

  it('reports a recurring monitor failure after the state file is deleted behind its back', async () => {
    const { executor, records } = harness(systemOcfRoot);
    const state = join(directory.path, 'recurring.state');
    const base = ocfOperation({ resourceId: 'watched', type: 'Dummy', action: 'start', params: { state } });
    assert.equal((await recordOf(executor, base)).rc, 0);
    const recurring = executor.startRecurring({ ...base, action: 'monitor', intervalMs: 50 });
    assert.ok(recurring.ok);
    await waitFor('the first monitor result', () => records.some((record) => record.action === 'monitor'));
    rmSync(state);
    await waitFor('a failed monitor', () => records.some((record) => record.action === 'monitor' && record.failed));
    const failed = records.find((record) => record.action === 'monitor' && record.failed);
    assert.deepEqual([failed?.rc, failed?.outcome, failed?.severity, failed?.intervalMs], [7, 'not_running', 'soft', 50]);
    assert.ok(executor.failcount('watched') >= 1);
    assert.equal(executor.cancelAll('watched'), 1);
  });

  it('reports a recurring result only when it changes, and every failure', async () => {
    const timers = new ManualTimers();
    const { executor, records } = harness(testRoot, { timers });
    const rcfile = join(directory.path, 'scripted.rc');
    const countfile = join(directory.path, 'scripted.count');
    writeFileSync(rcfile, '0');
    const monitor = test('scripted', 'Scripted', { action: 'monitor', intervalMs: 1000, params: { rcfile, countfile } });
    assert.ok(executor.startRecurring(monitor).ok);
    let runs = 0;
    const runOnce = async (rc: string | undefined): Promise<void> => {
      if (rc !== undefined) writeFileSync(rcfile, rc);
      if (runs > 0) assert.equal(timers.fireAll(), 1);
      runs += 1;
      await waitFor(`run ${runs} to end`, () => lineCount(countfile) === runs && timers.pendingCount === 1);
    };
    await runOnce(undefined);
    await runOnce(undefined);
    await runOnce(undefined);
    assert.deepEqual(records.map((record) => record.rc), [0], 'unchanged results are not reported');
    await runOnce('7');
    await runOnce('7');
    assert.deepEqual(records.map((record) => [record.rc, record.failed]), [[0, false], [7, true], [7, true]], 'every failure is reported');
    assert.equal(executor.failcount('scripted'), 2);
    await runOnce('0');
    await runOnce('0');
    assert.deepEqual(records.map((record) => record.rc), [0, 7, 7, 0]);
    assert.equal(executor.cancelRecurring('scripted', 'monitor', 1000), true);
    assert.equal(timers.pendingCount, 0, 'no run is scheduled after cancellation');
    assert.equal(executor.cancelRecurring('scripted', 'monitor', 1000), false);
  });

  it('replaces a recurring operation started again with the same key', async () => {
    const timers = new ManualTimers();
    const { executor, records } = harness(testRoot, { timers });
    const rcfile = join(directory.path, 'replaced.rc');
    const countfile = join(directory.path, 'replaced.count');
    writeFileSync(rcfile, '0');
    const monitor = test('replaced', 'Scripted', { action: 'monitor', intervalMs: 1000, params: { rcfile, countfile } });
    assert.ok(executor.startRecurring(monitor).ok);
    assert.ok(executor.startRecurring(monitor).ok, 'replaced while running');
    await waitFor('the replacement to run', () => timers.pendingCount === 1 && records.length === 1);
    const runs = lineCount(countfile);
    assert.ok(executor.startRecurring(monitor).ok, 'replaced while waiting for its next run');
    assert.equal(timers.pendingCount, 0, 'the replaced schedule is cancelled');
    await waitFor('the second replacement to run', () => lineCount(countfile) === runs + 1 && timers.pendingCount === 1);
    assert.equal(records.length, 2, 'a new recurring operation reports its first result');
    assert.equal(executor.cancelAll('replaced'), 1);
    assert.equal(timers.pendingCount, 0);
  });

  it('cancels running operations on close and refuses new ones', async () => {
    const { executor } = harness(testRoot);
    const pidfile = join(directory.path, 'close-hang.pid');
    const running = executor.run(test('closing', 'Hang', { timeoutMs: 60_000, params: { pidfile } }));
    await waitFor('the hung agent to start its child', () => readPid(pidfile) !== undefined);
    const grandchild = readPid(pidfile);
    if (grandchild !== undefined) started.push(grandchild);
    await executor.close();
    const outcome = await running;
    assert.ok(outcome.ok);
    assert.deepEqual([outcome.value.status, outcome.value.failed], ['cancelled', false]);
    assert.ok(grandchild !== undefined && !isPidRunning(grandchild));
    const refused = await executor.run(test('closing', 'Scripted'));
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'executor_closed');
  });

  it('refuses invalid operations, unknown classes and resources past the limit', async () => {
    const { executor } = harness(testRoot, { limits: { resourcesMax: 1 } });
    const gate = join(directory.path, 'limit.gate');
    const codes = async (operation: Operation): Promise<string> => {
      const outcome = await executor.run(operation);
      return outcome.ok ? 'ok' : `${outcome.error.code} ${outcome.error.field ?? ''}`;
    };
    assert.equal(await codes(test('a', 'Gate', { class: 'lsb' })), 'unknown_class class');
    assert.equal(await codes(test('a', 'Gate', { timeoutMs: 0 })), 'invalid_operation timeoutMs');
    assert.equal(await codes(test('', 'Gate')), 'invalid_operation resourceId');
    assert.equal(await codes(test('a', 'Gate', { params: { x: 'a\0b' } })), 'invalid_operation params.x');
    const occupying = executor.run(test('a', 'Gate', { params: { gate } }));
    assert.equal(await codes(test('b', 'Gate')), 'too_many_resources ');
    const recurring = executor.startRecurring(test('a', 'Gate', { action: 'monitor', intervalMs: 5 }));
    assert.ok(!recurring.ok && recurring.error.code === 'invalid_operation');
    writeFileSync(gate, '');
    assert.ok((await occupying).ok);
  });

  it('turns a class that throws into an error record', async () => {
    const broken: ResourceClass = {
      name: 'broken',
      run: () => Promise.reject(new Error('bug in class')),
      metadata: () => Promise.reject(new Error('bug in class')),
    };
    const { executor } = harness(testRoot, { classes: [broken] });
    const record = await recordOf(executor, test('x', 'Anything', { class: 'broken' }));
    assert.deepEqual([record.status, record.failed], ['error', true]);
    assert.match(record.exitReason ?? '', /bug in class/);
  });
});
