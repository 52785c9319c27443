import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecClass } from './exec.js';
import { identify, isPidRunning } from './process-identity.js';
import { killPid, runtime, temporaryDirectory, waitFor } from './testkit.js';
import type { ActionName, ActionRequest, StringRecord } from './types.js';

const directory = temporaryDirectory('exec');
const stateDirectory = join(directory.path, 'state');
const exec = new ExecClass({ ...runtime, stateDirectory });
const started: number[] = [];
after(() => {
  for (const pid of started) killPid(pid);
  directory.remove();
});

function request(resourceId: string, action: ActionName, params: StringRecord, timeoutMs = 5000): ActionRequest {
  return { resourceId, type: 'command', action, intervalMs: 0, timeoutMs, params, meta: {} };
}

/** The pid the exec class recorded for a resource (and remember it for cleanup). */
function recordedPid(resourceId: string): number {
  const pid = Number(readFileSync(exec.pidFile(resourceId), 'utf8').split(' ')[0]);
  started.push(pid);
  return pid;
}

describe('exec class', () => {
  it('starts, monitors and stops a long-running command', async () => {
    const log = join(directory.path, 'sleep.log');
    const params = { command: 'echo hello; exec sleep 1000', log, cwd: directory.path };
    assert.equal((await exec.run(request('sleeper', 'monitor', params))).rc, 7);
    const start = await exec.run(request('sleeper', 'start', params));
    assert.equal(start.rc, 0, start.exitReason);
    const pid = recordedPid('sleeper');
    assert.ok(isPidRunning(pid));
    assert.equal((await exec.run(request('sleeper', 'monitor', params))).rc, 0);
    assert.equal((await exec.run(request('sleeper', 'start', params))).rc, 0, 'start is idempotent');
    assert.equal(recordedPid('sleeper'), pid, 'a second start did not start a second process');
    await waitFor('the command to write its log', () => existsSync(log) && readFileSync(log, 'utf8') === 'hello\n');
    const stop = await exec.run(request('sleeper', 'stop', params));
    assert.equal(stop.rc, 0, stop.exitReason);
    assert.equal(isPidRunning(pid), false);
    assert.equal(existsSync(exec.pidFile('sleeper')), false);
    assert.equal((await exec.run(request('sleeper', 'monitor', params))).rc, 7);
    assert.equal((await exec.run(request('sleeper', 'stop', params))).rc, 0, 'stopping a stopped resource succeeds');
  });

  it('notices a process that died behind its back, and a reused pid', async () => {
    const params = { command: 'exec sleep 1000' };
    assert.equal((await exec.run(request('victim', 'start', params))).rc, 0);
    const pid = recordedPid('victim');
    process.kill(pid, 'SIGKILL');
    await waitFor('the killed process to be gone', () => !isPidRunning(pid));
    assert.equal((await exec.run(request('victim', 'monitor', params))).rc, 7);
    const self = identify(process.pid);
    assert.ok(self !== undefined);
    writeFileSync(exec.pidFile('victim'), `${process.pid} ${Number(self.startTime) + 1}\n`);
    assert.equal((await exec.run(request('victim', 'monitor', params))).rc, 7, 'a live pid with another start time is not ours');
    assert.equal((await exec.run(request('victim', 'stop', params))).rc, 0, 'and stop does not signal it');
  });

  it('escalates to SIGKILL for a command that ignores SIGTERM, killing its children too', async () => {
    const childPidFile = join(directory.path, 'stubborn-child.pid');
    const params = { command: `trap '' TERM; sleep 1000 & echo $! > ${childPidFile}; wait` };
    assert.equal((await exec.run(request('stubborn', 'start', params))).rc, 0);
    const pid = recordedPid('stubborn');
    await waitFor('the command to start its child', () => existsSync(childPidFile) && readFileSync(childPidFile, 'utf8').endsWith('\n'));
    const child = Number(readFileSync(childPidFile, 'utf8'));
    started.push(child);
    const stop = await exec.run(request('stubborn', 'stop', params, 1000));
    assert.equal(stop.rc, 0, stop.exitReason);
    assert.equal(isPidRunning(pid), false);
    assert.equal(isPidRunning(child), false);
  });

  it('refuses bad parameters and unknown actions with OCF codes', async () => {
    const missing = await exec.run(request('bad', 'start', {}));
    assert.deepEqual([missing.rc, missing.severity], [6, 'fatal']);
    assert.match(missing.exitReason ?? '', /requires parameter command/);
    const unknown = await exec.run(request('bad', 'start', { command: 'true', colour: 'red' }));
    assert.equal(unknown.rc, 6);
    const noDirectory = await exec.run(request('bad', 'start', { command: 'true', cwd: join(directory.path, 'nowhere') }));
    assert.deepEqual([noDirectory.rc, noDirectory.severity], [2, 'hard']);
    const badLog = await exec.run(request('bad', 'start', { command: 'true', log: join(directory.path, 'nowhere', 'log') }));
    assert.equal(badLog.rc, 2);
    const promote = await exec.run(request('bad', 'promote', { command: 'true' }));
    assert.deepEqual([promote.status, promote.rc], ['not_supported', 3]);
    const quick = await exec.run(request('quick', 'validate-all', { command: 'true' }));
    assert.equal(quick.rc, 0);
    const metadata = await exec.metadata();
    assert.ok(metadata.ok && metadata.value.parameters.some((parameter) => parameter.name === 'command' && parameter.required));
  });
});
