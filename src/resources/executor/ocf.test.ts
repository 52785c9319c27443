import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OcfClass } from './ocf.js';
import { isPidRunning } from './process-identity.js';
import { fireTimeoutThenKill, killPid, ManualTimers, readPid, runtime, systemOcfRoot, temporaryDirectory, waitFor, writeAgent } from './testkit.js';
import type { ActionName, ActionRequest } from './types.js';

const directory = temporaryDirectory('ocf');
const testRoot = join(directory.path, 'ocf');
const started: number[] = [];
after(() => {
  for (const pid of started) killPid(pid);
  directory.remove();
});

const system = new OcfClass({ ...runtime, ocfRoot: systemOcfRoot, nodeName: 'node-a' });
const test = new OcfClass({ ...runtime, ocfRoot: testRoot, killGraceMs: 200 });

function request(provider: string, type: string, action: ActionName, fields: Partial<ActionRequest> = {}): ActionRequest {
  return { resourceId: 'r1', provider, type, action, intervalMs: 0, timeoutMs: 20_000, params: {}, meta: {}, ...fields };
}

describe('ocf class on real agents', () => {
  it('runs pacemaker/Dummy through start, monitor, stop, monitor', async () => {
    const params = { state: join(directory.path, 'dummy.state') };
    const rcs: number[] = [];
    for (const action of ['monitor', 'start', 'monitor', 'stop', 'monitor'] as const) {
      const result = await system.run(request('pacemaker', 'Dummy', action, { params }));
      assert.equal(result.status, 'done', `${action}: ${result.exitReason ?? ''}`);
      rcs.push(result.rc);
    }
    assert.deepEqual(rcs, [7, 0, 0, 0, 7]);
    assert.equal(existsSync(params.state), false);
  });

  it('runs heartbeat/Dummy through start, monitor, stop', async () => {
    const params = { state: join(directory.path, 'heartbeat-dummy.state') };
    const outcomes: string[] = [];
    for (const action of ['start', 'monitor', 'stop', 'monitor'] as const) {
      outcomes.push((await system.run(request('heartbeat', 'Dummy', action, { params }))).outcome);
    }
    assert.deepEqual(outcomes, ['ok', 'ok', 'ok', 'not_running']);
  });

  it('runs pacemaker/Stateful through start, promote, demote, stop', async () => {
    const params = { state: join(directory.path, 'stateful.state') };
    const step = async (action: ActionName): Promise<[number, string]> => {
      const result = await system.run(request('pacemaker', 'Stateful', action, { params, meta: { 'globally-unique': 'false' } }));
      return [result.rc, result.outcome];
    };
    assert.deepEqual(await step('start'), [0, 'ok']);
    assert.deepEqual(await step('monitor'), [0, 'ok'], 'unpromoted');
    assert.deepEqual(await step('promote'), [0, 'ok']);
    assert.deepEqual(await step('monitor'), [8, 'running_promoted']);
    assert.deepEqual(await step('demote'), [0, 'ok']);
    assert.deepEqual(await step('monitor'), [0, 'ok']);
    assert.deepEqual(await step('stop'), [0, 'ok']);
    assert.deepEqual(await step('monitor'), [7, 'not_running']);
  });

  it('gives agents the OCF environment (checked with pacemaker/Dummy envfile)', async () => {
    const envfile = join(directory.path, 'dummy.env');
    const result = await system.run(
      request('pacemaker', 'Dummy', 'monitor', {
        resourceId: 'web:1',
        intervalMs: 10_000,
        timeoutMs: 15_000,
        params: { state: join(directory.path, 'env.state'), envfile },
        meta: { 'clone-max': '2', 'globally-unique': 'false' },
        extraMeta: { notify_type: 'pre', notify_operation: 'start', notify_start_uname: 'node-b node-c' },
      }),
    );
    assert.equal(result.rc, 7);
    const environment = new Map(
      readFileSync(envfile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const expected: Record<string, string> = {
      OCF_ROOT: systemOcfRoot,
      OCF_RA_VERSION_MAJOR: '1',
      OCF_RA_VERSION_MINOR: '1',
      OCF_RESOURCE_INSTANCE: 'web:1',
      OCF_RESOURCE_TYPE: 'Dummy',
      OCF_RESOURCE_PROVIDER: 'pacemaker',
      OCF_RESKEY_envfile: envfile,
      OCF_RESKEY_CRM_meta_interval: '10000',
      OCF_RESKEY_CRM_meta_timeout: '15000',
      OCF_RESKEY_CRM_meta_name: 'monitor',
      OCF_RESKEY_CRM_meta_on_node: 'node-a',
      OCF_RESKEY_CRM_meta_clone_max: '2',
      OCF_RESKEY_CRM_meta_notify_type: 'pre',
      OCF_RESKEY_CRM_meta_notify_operation: 'start',
      OCF_RESKEY_CRM_meta_notify_start_uname: 'node-b node-c',
    };
    for (const [name, value] of Object.entries(expected)) assert.equal(environment.get(name), value, name);
    assert.ok((environment.get('PATH') ?? '').startsWith('/usr/sbin:/usr/bin:/sbin:/bin'));
    assert.equal(environment.has('HOME'), false, 'the executor environment does not leak');
  });
});

describe('ocf class on misbehaving agents', () => {
  it('kills a hung agent and its whole process group at the timeout', async () => {
    const pidFile = join(directory.path, 'hang.pid');
    writeAgent(testRoot, 'test', 'Hang', `#!/bin/sh\ntrap '' TERM\nsleep 1000 &\necho $! > ${pidFile}\nwait\n`);
    const timers = new ManualTimers();
    const manual = new OcfClass({ ...runtime, timers, ocfRoot: testRoot });
    const running = manual.run(request('test', 'Hang', 'start', { timeoutMs: 300 }));
    await waitFor('the agent to write its child pid', () => readPid(pidFile) !== undefined);
    const grandchild = readPid(pidFile);
    if (grandchild !== undefined) started.push(grandchild);
    fireTimeoutThenKill(timers);
    const result = await running;
    assert.deepEqual([result.status, result.rc, result.outcome, result.severity], ['timeout', 1, 'failed', 'soft']);
    assert.match(result.exitReason ?? '', /timed out after 300 ms/);
    assert.ok(grandchild !== undefined);
    // SIGKILL went to the whole group; the grandchild is gone as soon as the kernel has run it to its exit.
    await waitFor('the grandchild sleep to die', () => !isPidRunning(grandchild));
  });

  it('bounds the output of a flooding agent', async () => {
    writeAgent(testRoot, 'test', 'Flood', '#!/bin/sh\nhead -c 5000000 /dev/zero | tr "\\0" y\necho "ocf-exit-reason:flooded" >&2\nexit 1\n');
    const result = await test.run(request('test', 'Flood', 'monitor'));
    assert.deepEqual([result.status, result.rc, result.exitReason], ['done', 1, 'flooded']);
    assert.ok(result.output.length <= 2048, `output excerpt has ${result.output.length} characters`);
  });

  it('fails an undefined exit code, a death by signal, and passes the exit reason on', async () => {
    writeAgent(testRoot, 'test', 'Odd', '#!/bin/sh\nexit 99\n');
    const odd = await test.run(request('test', 'Odd', 'start'));
    assert.deepEqual([odd.status, odd.rc, odd.outcome, odd.severity], ['done', 99, 'failed', 'soft']);
    writeAgent(testRoot, 'test', 'Crash', '#!/bin/sh\nkill -SEGV $$\n');
    const crash = await test.run(request('test', 'Crash', 'start'));
    assert.deepEqual([crash.status, crash.rc, crash.outcome], ['error', 1, 'failed']);
    assert.match(crash.exitReason ?? '', /SIGSEGV/);
    writeAgent(testRoot, 'test', 'Misconfigured', '#!/bin/sh\necho "ocf-exit-reason:no such port" >&2\nexit 6\n');
    const fatal = await test.run(request('test', 'Misconfigured', 'start'));
    assert.deepEqual([fatal.rc, fatal.severity, fatal.exitReason], [6, 'fatal', 'no such port']);
    writeAgent(testRoot, 'test', 'Degraded', '#!/bin/sh\nexit 191\n');
    const degraded = await test.run(request('test', 'Degraded', 'monitor'));
    assert.deepEqual([degraded.rc, degraded.outcome, degraded.severity], [191, 'running_promoted', undefined]);
  });

  it('answers missing, non-executable and badly named agents without running anything', async () => {
    const missing = await test.run(request('test', 'Missing', 'start'));
    assert.deepEqual([missing.status, missing.rc, missing.severity], ['error', 5, 'hard']);
    writeAgent(testRoot, 'test', 'NotExecutable', '#!/bin/sh\nexit 0\n', 0o644);
    const denied = await test.run(request('test', 'NotExecutable', 'start'));
    assert.deepEqual([denied.status, denied.rc, denied.severity], ['error', 4, 'hard']);
    const traversal = await test.run(request('..', 'Dummy', 'start'));
    assert.deepEqual([traversal.rc, traversal.severity], [6, 'fatal']);
    const noProvider = await test.run({ resourceId: 'r1', type: 'Dummy', action: 'start', intervalMs: 0, timeoutMs: 1000, params: {}, meta: {} });
    assert.equal(noProvider.rc, 6);
    const badName = await test.run(request('test', 'Odd', 'start', { params: { 'bad=name': 'x' } }));
    assert.equal(badName.rc, 6);
    assert.match(badName.exitReason ?? '', /bad=name/);
  });
});
