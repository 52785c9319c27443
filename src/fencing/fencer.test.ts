import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemTimers, type Timers } from '../core/clock.js';
import { createFencer, type Fencer, type FenceHistoryRecord, type FencerEnvironment } from './fencer.js';
import type { FencingConfig } from './topology.js';
import {
  fenceDummyMissing, fenceDummyPath, herdKillAgentPath, isAlive, killIfAlive, scriptAgent, startSleeper,
  temporaryDirectory, testEnvironment, waitFor,
} from './testing.js';

function fencerOf(config: FencingConfig, environment: FencerEnvironment = testEnvironment()): Fencer {
  const r = createFencer(config, environment);
  assert.ok(r.ok, r.ok ? '' : `${r.error.field}: ${r.error.message}`);
  return r.value;
}

async function fenced(fencer: Fencer, target: string, action: 'off' | 'on' | 'reboot'): Promise<FenceHistoryRecord> {
  const r = await fencer.fence(target, action);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
}

let dir = '';
const started: number[] = [];
before(() => {
  dir = temporaryDirectory('fencer');
});
afterEach(() => {
  for (const pid of started.splice(0)) killIfAlive(pid);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('Fencer with fence_dummy', { skip: fenceDummyMissing }, () => {
  it('fences off, on and reboot, finding the device by its status answer', async () => {
    const statusFile = join(dir, 'dummy-status');
    writeFileSync(statusFile, 'on');
    const fencer = fencerOf({ devices: [{ id: 'dummy', agent: fenceDummyPath, params: { type: 'file', status_file: statusFile } }], topology: [] });
    assert.ok((await fencer.validateDevice('dummy')).ok);
    const plan = await fencer.plan('n1');
    assert.ok(plan.ok);
    assert.deepEqual(plan.value.steps, [{ devices: ['dummy'] }]);
    const off = await fenced(fencer, 'n1', 'off');
    assert.equal(off.state, 'done', off.reason);
    assert.equal(off.device, 'dummy');
    assert.equal(readFileSync(statusFile, 'utf8'), 'off');
    assert.deepEqual(await fencer.targetStatus('dummy', 'n1'), { ok: true, value: 'off' });
    const reboot = await fenced(fencer, 'n1', 'reboot');
    assert.equal(reboot.state, 'done', reboot.reason);
    assert.deepEqual(reboot.attempts.map((a) => [a.action, a.rc]), [['reboot', 0]]);
    assert.equal(readFileSync(statusFile, 'utf8'), 'on');
    assert.ok((await fencer.deviceStatus('dummy')).ok);
  });

  it('validateDevice names an unknown parameter', async () => {
    const fencer = fencerOf({ devices: [{ id: 'dummy', agent: fenceDummyPath, params: { type: 'file', ipaddr: '10.0.0.1' } }], topology: [] });
    const r = await fencer.validateDevice('dummy');
    assert.ok(!r.ok);
    assert.equal(r.error.field, 'params.ipaddr');
  });
});

describe('Fencer with fence_herd_kill', () => {
  it('kills the herdd stand-in of the target, found through the device list, and records it', async () => {
    const pidDir = temporaryDirectory('pids');
    const pid = startSleeper();
    started.push(pid);
    writeFileSync(join(pidDir, 'n1.pid'), `${pid}\n`);
    const history: FenceHistoryRecord[] = [];
    const fencer = fencerOf({ devices: [{ id: 'kill', agent: herdKillAgentPath(), params: { pid_dir: pidDir } }], topology: [] }, testEnvironment({ onHistory: (r) => { history.push(r); } }));
    assert.deepEqual(await fencer.list('kill'), { ok: true, value: [{ port: 'n1' }] });
    const record = await fenced(fencer, 'n1', 'reboot');
    assert.equal(record.state, 'done', record.reason);
    assert.ok(!isAlive(pid), `pid ${pid} is dead`);
    assert.deepEqual(history, [record]);
    assert.ok(record.completedAtMs >= record.startedAtMs);
    const unknown = await fenced(fencer, 'n2', 'off');
    assert.equal(unknown.state, 'failed');
    assert.match(unknown.reason, /no device can fence n2: kill: its list answer does not include n2/);
    rmSync(pidDir, { recursive: true, force: true });
  });

  it('with kill_group=1, kills the whole process group of the pid', async () => {
    const pidDir = temporaryDirectory('group');
    const childFile = join(pidDir, 'child');
    const leader = spawn('bash', ['-c', `sleep 600 & echo $! > ${childFile}; wait`], { detached: true, stdio: 'ignore' });
    assert.ok(leader.pid !== undefined);
    started.push(leader.pid);
    await waitFor('the group member to start', () => existsSync(childFile) && readFileSync(childFile, 'utf8').endsWith('\n'));
    const member = Number(readFileSync(childFile, 'utf8'));
    started.push(member);
    writeFileSync(join(pidDir, 'n1.pid'), `${leader.pid}`);
    const fencer = fencerOf({ devices: [{ id: 'kill', agent: herdKillAgentPath(), params: { pid_dir: pidDir, kill_group: '1', pcmk_host_list: 'n1' } }], topology: [] });
    assert.equal((await fenced(fencer, 'n1', 'off')).state, 'done');
    await waitFor('the group member to be gone', () => !isAlive(member));
    assert.ok(!isAlive(leader.pid));
    rmSync(pidDir, { recursive: true, force: true });
  });
});

describe('Fencer plans and failures', () => {
  it('an agent exiting 1 fails its level with the reason, then the second level fences', async () => {
    const pidDir = temporaryDirectory('levels');
    const pid = startSleeper();
    started.push(pid);
    writeFileSync(join(pidDir, 'n1.pid'), `${pid}`);
    const failing = scriptAgent(dir, 'fence_boom', 'echo "boom: device unreachable" >&2\nexit 1');
    const fencer = fencerOf({
      devices: [
        { id: 'ipmi', agent: failing, params: { pcmk_host_list: 'n1' } },
        { id: 'kill', agent: herdKillAgentPath(), params: { pid_dir: pidDir, pcmk_host_list: 'n1' } },
      ],
      topology: [{ target: 'n1', index: 2, devices: ['kill'] }, { target: 'n1', index: 1, devices: ['ipmi'] }],
    });
    const record = await fenced(fencer, 'n1', 'off');
    assert.equal(record.state, 'done', record.reason);
    assert.equal(record.level, 2);
    assert.equal(record.device, 'kill');
    assert.deepEqual(record.attempts.map((a) => [a.device, a.level, a.rc]), [['ipmi', 1, 1], ['kill', 2, 0]]);
    assert.match(record.attempts[0]?.reason ?? '', /exited with 1: boom: device unreachable/);
    assert.ok(!isAlive(pid));
    rmSync(pidDir, { recursive: true, force: true });
  });

  it('when every device fails, the record is failed with every reason', async () => {
    const one = scriptAgent(dir, 'fence_one', 'echo "one broke" >&2\nexit 1');
    const two = scriptAgent(dir, 'fence_two', 'echo "two broke" >&2\nexit 1');
    const fencer = fencerOf({ devices: [{ id: 'one', agent: one, params: { pcmk_host_list: 'n1' }, priority: 2 }, { id: 'two', agent: two, params: { pcmk_host_check: 'none' } }], topology: [] });
    const record = await fenced(fencer, 'n1', 'off');
    assert.equal(record.state, 'failed');
    assert.deepEqual(record.devices, []);
    assert.match(record.reason, /one off: .*one broke; two off: .*two broke/);
  });

  it('reboot without a reboot action is off then on; a level of two devices is off, off, on, on', async () => {
    const log = join(dir, 'power.log');
    const agentA = scriptAgent(dir, 'fence_a', `echo "a $action $port" >> ${log}`, ['on', 'off', 'status', 'metadata']);
    const agentB = scriptAgent(dir, 'fence_b', `echo "b $action $port" >> ${log}`);
    const fencer = fencerOf({
      devices: [
        { id: 'a', agent: agentA, params: { pcmk_host_map: 'n1:7;n2:8' } },
        { id: 'b', agent: agentB, params: { pcmk_host_list: 'n2' } },
      ],
      topology: [{ target: 'n2', index: 1, devices: ['a', 'b'] }],
    });
    const single = await fenced(fencer, 'n1', 'reboot');
    assert.equal(single.state, 'done', single.reason);
    assert.deepEqual(lines(log), ['a off 7', 'a on 7']);
    rmSync(log);
    const pair = await fenced(fencer, 'n2', 'reboot');
    assert.equal(pair.state, 'done', pair.reason);
    assert.deepEqual(pair.devices, ['a', 'b']);
    assert.equal(pair.device, undefined);
    assert.deepEqual(lines(log), ['a off 8', 'b off n2', 'a on 8', 'b on n2']);
  });

  it('waits the fencing delay through the injected timers, drawn from [base, max]', async () => {
    const delaysMs: number[] = [];
    const timers: Timers = { ...systemTimers, setTimeout: (fn, delayMs) => { delaysMs.push(delayMs); return systemTimers.setTimeout(fn, delayMs); } };
    const agent = scriptAgent(dir, 'fence_ok', 'exit 0');
    const fencer = fencerOf({ devices: [{ id: 'ok', agent, params: { pcmk_host_list: 'n1', pcmk_delay_base: '30ms', pcmk_delay_max: '60ms' } }], topology: [] }, testEnvironment({ timers }));
    const record = await fenced(fencer, 'n1', 'off');
    const delayMs = record.attempts[0]?.delayMs ?? -1;
    assert.ok(delayMs >= 30 && delayMs <= 60, `delay ${delayMs}`);
    assert.ok(delaysMs.includes(delayMs));
  });

  it('a device that hangs times out per pcmk_off_timeout and the next device fences', async () => {
    const hang = scriptAgent(dir, 'fence_hang', 'sleep 600');
    const agent = scriptAgent(dir, 'fence_fine', 'exit 0');
    const fencer = fencerOf({
      devices: [
        { id: 'hang', agent: hang, params: { pcmk_host_list: 'n1', pcmk_off_timeout: '300ms' }, priority: 1 },
        { id: 'fine', agent, params: { pcmk_host_list: 'n1' } },
      ],
      topology: [],
    });
    const record = await fenced(fencer, 'n1', 'off');
    assert.equal(record.device, 'fine');
    assert.deepEqual(record.attempts.map((a) => [a.device, a.rc]), [['hang', null], ['fine', 0]]);
    assert.match(record.attempts[0]?.reason ?? '', /timed out after 300 ms/);
  });

  it('identical requests in flight share one operation', async () => {
    const log = join(dir, 'join.log');
    const agent = scriptAgent(dir, 'fence_once', `echo "$action" >> ${log}`);
    const fencer = fencerOf({ devices: [{ id: 'once', agent, params: { pcmk_host_list: 'n1' } }], topology: [] });
    const [first, second] = await Promise.all([fencer.fence('n1', 'off'), fencer.fence('n1', 'off')]);
    assert.ok(first.ok && second.ok);
    assert.equal(first.value, second.value);
    assert.deepEqual(lines(log), ['off']);
  });

  it('refuses bad targets, unknown devices and bad configuration with the field', async () => {
    const fencer = fencerOf({ devices: [], topology: [] });
    const bad = await fencer.fence('n1\naction=on', 'off');
    assert.ok(!bad.ok && bad.error.field === 'target');
    const unknown = await fencer.deviceStatus('ghost');
    assert.ok(!unknown.ok && unknown.error.code === 'unknown_device');
    const none = await fenced(fencer, 'n1', 'off');
    assert.match(none.reason, /no fence devices configured/);
    const config = createFencer({ devices: [{ id: 'x', agent: '/bin/true', params: {} }], topology: [{ target: 'n1', index: 12, devices: ['x'] }] }, testEnvironment());
    assert.ok(!config.ok && config.error.field === 'topology[0].index');
  });
});
