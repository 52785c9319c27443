import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, chmodSync } from 'node:fs';
import { runProcess } from './process.js';
import { isPidRunning } from './process-identity.js';
import { fireTimeoutThenKill, killPid, ManualTimers, readPid, runtime, temporaryDirectory, waitFor } from './testkit.js';

const directory = temporaryDirectory('process');
const started: number[] = [];
after(() => {
  for (const pid of started) killPid(pid);
  directory.remove();
});

function script(name: string, text: string, mode = 0o755): string {
  const file = join(directory.path, name);
  writeFileSync(file, `#!/bin/sh\n${text}\n`);
  chmodSync(file, mode);
  return file;
}

const fast = { ...runtime, killGraceMs: 200 };

describe('runProcess', () => {
  it('captures exit code, stdout, stderr, and passes exactly the environment and stdin given', async () => {
    const file = script('echo', 'echo "out $GREETING"; echo err >&2; cat; exit 3');
    const result = await runProcess({ command: file, args: [], environment: { GREETING: 'hi', PATH: '/usr/bin:/bin' }, stdinText: 'from stdin', timeoutMs: 5000 }, fast);
    assert.equal(result.exitCode, 3);
    assert.equal(result.signal, null);
    assert.equal(result.timedOut, false);
    assert.equal(result.stdout.text, 'out hi\nfrom stdin');
    assert.equal(result.stderr.text, 'err\n');
    assert.ok(result.durationMs >= 0);
    const environment = await runProcess({ command: '/usr/bin/env', args: [], environment: { ONLY: 'this' }, timeoutMs: 5000 }, fast);
    assert.equal(environment.stdout.text, 'ONLY=this\n');
  });

  it('kills the whole process group on timeout, grandchildren included, even when they ignore SIGTERM', async () => {
    const pidFile = join(directory.path, 'hang.pid');
    const file = script('hang', `trap '' TERM\nsleep 1000 &\necho $! > ${pidFile}\nwait`);
    const timers = new ManualTimers();
    const running = runProcess({ command: file, args: [], environment: {}, timeoutMs: 300 }, { ...runtime, timers });
    await waitFor('the agent to write its child pid', () => readPid(pidFile) !== undefined);
    const grandchild = readPid(pidFile);
    if (grandchild !== undefined) started.push(grandchild);
    fireTimeoutThenKill(timers);
    const result = await running;
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGKILL');
    assert.ok(grandchild !== undefined, 'the agent wrote its child pid');
    assert.equal(isPidRunning(grandchild), false, 'the grandchild sleep is dead when the result arrives');
  });

  it('ends with SIGTERM alone when the group obeys it', async () => {
    const pidFile = join(directory.path, 'obey.pid');
    const file = script('obey', `sleep 1000 &\necho $! > ${pidFile}\nwait`);
    const timers = new ManualTimers();
    const running = runProcess({ command: file, args: [], environment: {}, timeoutMs: 200 }, { ...runtime, timers });
    await waitFor('the agent to write its child pid', () => readPid(pidFile) !== undefined);
    const grandchild = readPid(pidFile);
    if (grandchild !== undefined) started.push(grandchild);
    assert.equal(timers.fireAll(), 1, 'the timeout fires');
    const result = await running;
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGTERM', 'the SIGKILL timer never fired');
    assert.ok(grandchild !== undefined && !isPidRunning(grandchild));
  });

  it('drains a flood of output while keeping only a bounded head and tail', async () => {
    const bytes = 20_000_000;
    const file = script('flood', `head -c ${bytes} /dev/zero | tr '\\0' x; echo done >&2`);
    const result = await runProcess({ command: file, args: [], environment: { PATH: '/usr/bin:/bin' }, timeoutMs: 30_000 }, { ...fast, outputHeadBytesMax: 1000 });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout.text.length, 1000);
    assert.equal(result.stdout.bytesDropped, bytes - 1000);
    assert.equal(result.stdout.tail.length, 4096);
    assert.equal(result.stderr.text, 'done\n');
  });

  it('reports spawn failures as values: missing, not executable, bad environment', async () => {
    const missing = await runProcess({ command: join(directory.path, 'nope'), args: [], environment: {}, timeoutMs: 1000 }, fast);
    assert.equal(missing.spawnError?.code, 'ENOENT');
    const notExecutable = script('plain', 'exit 0', 0o644);
    const denied = await runProcess({ command: notExecutable, args: [], environment: {}, timeoutMs: 1000 }, fast);
    assert.equal(denied.spawnError?.code, 'EACCES');
    const badEnvironment = await runProcess({ command: '/bin/true', args: [], environment: { A: 'x\0y' }, timeoutMs: 1000 }, fast);
    assert.ok(badEnvironment.spawnError !== undefined);
  });

  it('reports death by signal', async () => {
    const file = script('suicide', 'kill -KILL $$');
    const result = await runProcess({ command: file, args: [], environment: {}, timeoutMs: 5000 }, fast);
    assert.equal(result.exitCode, null);
    assert.equal(result.signal, 'SIGKILL');
    assert.equal(result.timedOut, false);
  });

  it('cancels through an AbortSignal, killing the group', async () => {
    const pidFile = join(directory.path, 'cancel.pid');
    const file = script('cancel', `sleep 1000 &\necho $! > ${pidFile}\nwait`);
    const controller = new AbortController();
    const running = runProcess({ command: file, args: [], environment: {}, timeoutMs: 60_000, signal: controller.signal }, fast);
    await waitFor('the agent to write its child pid', () => readPid(pidFile) !== undefined);
    controller.abort();
    const result = await running;
    const grandchild = readPid(pidFile);
    if (grandchild !== undefined) started.push(grandchild);
    assert.equal(result.cancelled, true);
    assert.equal(result.timedOut, false);
    assert.ok(grandchild !== undefined && !isPidRunning(grandchild));
    const early = await runProcess({ command: file, args: [], environment: {}, timeoutMs: 1000, signal: AbortSignal.abort() }, fast);
    assert.equal(early.cancelled, true);
  });

  it('does not wait for a daemon that kept the pipes open after the agent exited', async () => {
    const pidFile = join(directory.path, 'daemon.pid');
    const file = script('daemon', `sleep 1000 &\necho $! > ${pidFile}\nexit 0`);
    const result = await runProcess({ command: file, args: [], environment: {}, timeoutMs: 60_000 }, fast);
    const daemon = readPid(pidFile);
    if (daemon !== undefined) started.push(daemon);
    assert.equal(result.exitCode, 0);
    assert.equal(result.timedOut, false);
    assert.ok(daemon !== undefined && isPidRunning(daemon), 'a daemon left by a successful agent lives on');
    killPid(daemon);
  });
});
