import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  fenceThroughDevice, listDevice, monitorDevice, readMetadata, runAgent, targetPowerStatus, type AgentEnvironment,
} from './agent.js';
import { parseDevice, type FenceDevice, type FenceDeviceConfig } from './device.js';
import { fencingLimits } from './limits.js';
import type { AgentMetadata } from './metadata.js';
import {
  fenceDummyMissing, fenceDummyPath, herdKillAgentPath, isAlive, killIfAlive, startSleeper, temporaryDirectory,
  testEnvironment, waitFor, writeExecutable,
} from './testing.js';

const environment: AgentEnvironment = testEnvironment();

function device(config: Omit<FenceDeviceConfig, 'id'>): FenceDevice {
  const r = parseDevice({ id: 'dev', ...config });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

async function metadataOf(agentPath: string): Promise<AgentMetadata> {
  const r = await readMetadata(agentPath, environment);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

describe('runAgent on misbehaving agents', () => {
  let dir = '';
  before(() => {
    dir = temporaryDirectory('agent');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing or non-executable agent is a failure value', async () => {
    const missing = await runAgent(join(dir, 'nothing-here'), 'action=off\n', 5000, environment);
    assert.ok(!missing.ok && missing.error.code === 'agent_not_found');
    writeFileSync(join(dir, 'plain-file'), '#!/bin/sh\nexit 0\n');
    const plain = await runAgent(join(dir, 'plain-file'), 'action=off\n', 5000, environment);
    assert.ok(!plain.ok && plain.error.code === 'agent_not_executable', plain.ok ? '' : plain.error.code);
  });

  it('passes the input on stdin and returns the exit code and output', async () => {
    const agent = writeExecutable(join(dir, 'echo-agent'), '#!/bin/sh\ncat\necho oops >&2\nexit 3\n');
    const r = await runAgent(agent, 'action=status\nport=7\n', 5000, environment);
    assert.ok(r.ok);
    assert.equal(r.value.rc, 3);
    assert.equal(r.value.stdout, 'action=status\nport=7\n');
    assert.equal(r.value.stderr, 'oops\n');
  });

  it('an agent killed by a signal is a failure value', async () => {
    const agent = writeExecutable(join(dir, 'crash-agent'), '#!/bin/bash\nkill -SEGV $$\n');
    const r = await runAgent(agent, '', 5000, environment);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'agent_killed');
    assert.match(r.error.message, /SIGSEGV/);
  });

  for (const ignoresTerm of [false, true]) {
    it(`a hanging agent${ignoresTerm ? ' that ignores SIGTERM' : ''} times out and its whole process group is killed`, async () => {
      const pidFile = join(dir, `grandchild-${ignoresTerm}.pid`);
      const agent = writeExecutable(join(dir, `hang-${ignoresTerm}`), `#!/bin/bash
${ignoresTerm ? "trap '' TERM" : ''}
sleep 600 &
echo $! > ${pidFile}
sleep 600
`);
      let grandchild: number | undefined;
      try {
        const startedMs = performance.now();
        const r = await runAgent(agent, 'action=off\n', 500, environment);
        assert.ok(!r.ok);
        assert.equal(r.error.code, 'agent_timeout');
        assert.equal(r.error.rc, null);
        grandchild = Number(readFileSync(pidFile, 'utf8'));
        await waitFor(`grandchild ${grandchild} to be gone`, () => !isAlive(grandchild as number));
        const elapsedMs = performance.now() - startedMs;
        assert.ok(elapsedMs < 500 + 300 + fencingLimits.pipeCloseGraceMs + 2000, `resolved after ${elapsedMs} ms`);
      } finally {
        killIfAlive(grandchild);
      }
    });
  }

  it('an agent that exits but leaves a child holding its pipes does not hang the run', async () => {
    const pidFile = join(dir, 'leftover.pid');
    const agent = writeExecutable(join(dir, 'leftover-agent'), `#!/bin/bash\nsleep 600 &\necho $! > ${pidFile}\nexit 0\n`);
    let leftover: number | undefined;
    try {
      const r = await runAgent(agent, '', 10_000, environment);
      assert.ok(r.ok && r.value.rc === 0);
      leftover = Number(readFileSync(pidFile, 'utf8'));
      await waitFor('the leftover child to be killed with the group', () => !isAlive(leftover as number));
    } finally {
      killIfAlive(leftover);
    }
  });

  it('a flooding agent is drained with bounded capture', async () => {
    const agent = writeExecutable(join(dir, 'flood-agent'), '#!/bin/bash\nhead -c 20000000 /dev/zero | tr "\\0" x\nhead -c 5000000 /dev/zero | tr "\\0" e >&2\necho last-words >&2\nexit 1\n');
    const r = await runAgent(agent, '', 20_000, environment);
    assert.ok(r.ok);
    assert.equal(r.value.rc, 1);
    assert.equal(r.value.stdout.length, fencingLimits.stdoutBytesMax);
    assert.ok(r.value.stdoutTruncated);
    assert.equal(r.value.stderr.length, fencingLimits.stderrBytesMax);
    assert.ok(r.value.stderr.endsWith('last-words\n'));
  });

  it('garbage metadata is a failure value', async () => {
    const agent = writeExecutable(join(dir, 'garbage-agent'), '#!/bin/sh\necho "<resource-agent name=broken><parameters>"\n');
    const r = await readMetadata(agent, environment);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'bad_metadata');
    const failing = writeExecutable(join(dir, 'failing-metadata'), '#!/bin/sh\necho cannot >&2\nexit 1\n');
    const f = await readMetadata(failing, environment);
    assert.ok(!f.ok && f.error.code === 'agent_failed' && f.error.rc === 1 && f.error.message.includes('cannot'));
  });
});

describe('fence_dummy (fence-agents) through agent.ts', { skip: fenceDummyMissing }, () => {
  let dir = '';
  let statusFile = '';
  let dummy: FenceDevice;
  let metadata: AgentMetadata;
  before(async () => {
    dir = temporaryDirectory('dummy');
    statusFile = join(dir, 'status');
    writeFileSync(statusFile, 'on');
    dummy = device({ agent: fenceDummyPath, params: { type: 'file', status_file: statusFile } });
    metadata = await metadataOf(fenceDummyPath);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads its metadata: no port parameter, so no target argument is sent', () => {
    assert.equal(metadata.name, 'fence_dummy');
    assert.ok(metadata.actions.includes('reboot') && !metadata.actions.includes('list'));
    assert.ok(!metadata.parameters.some((p) => p.name === 'port' || p.name === 'plug'));
  });

  it('status, off, status, on, reboot', async () => {
    assert.deepEqual(await targetPowerStatus(dummy, 'n1', metadata, environment), { ok: true, value: 'on' });
    const off = await fenceThroughDevice(dummy, 'off', 'n1', metadata, environment);
    assert.ok(off.ok, off.ok ? '' : off.error.message);
    assert.equal(readFileSync(statusFile, 'utf8'), 'off');
    assert.deepEqual(await targetPowerStatus(dummy, 'n1', metadata, environment), { ok: true, value: 'off' });
    assert.ok((await fenceThroughDevice(dummy, 'on', 'n1', metadata, environment)).ok);
    assert.equal(readFileSync(statusFile, 'utf8'), 'on');
    assert.ok((await fenceThroughDevice(dummy, 'reboot', 'n1', metadata, environment)).ok);
    assert.ok((await monitorDevice(dummy, metadata, environment)).ok);
  });

  it('type=fail makes off a failure value with the exit code and the agent\'s words', async () => {
    const failing = device({ agent: fenceDummyPath, params: { type: 'fail', power_timeout: '1' } });
    const r = await fenceThroughDevice(failing, 'off', 'n1', metadata, environment);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'agent_failed');
    assert.equal(r.error.rc, 1);
    assert.match(r.error.message, /Timed out waiting to power OFF/);
  });
});

describe('fence_herd_kill through agent.ts', () => {
  let dir = '';
  let sleeper: number | undefined;
  let agent: FenceDevice;
  let metadata: AgentMetadata;
  before(async () => {
    dir = temporaryDirectory('kill');
    agent = device({ agent: herdKillAgentPath(), params: { pid_dir: dir } });
    metadata = await metadataOf(herdKillAgentPath());
  });
  after(() => {
    killIfAlive(sleeper);
    rmSync(dir, { recursive: true, force: true });
  });

  it('declares its parameters and actions', () => {
    assert.equal(metadata.name, 'fence_herd_kill');
    assert.deepEqual(metadata.parameters.map((p) => p.name), ['action', 'port', 'plug', 'nodename', 'pid_dir', 'log_file', 'kill_group']);
    assert.deepEqual(metadata.actions, ['on', 'off', 'reboot', 'status', 'monitor', 'list', 'metadata']);
  });

  it('lists, reports status, kills the pid and reports it off', async () => {
    sleeper = startSleeper();
    writeFileSync(join(dir, 'n1.pid'), `${sleeper}\n`);
    assert.deepEqual(await listDevice(agent, metadata, environment), { ok: true, value: [{ port: 'n1' }] });
    assert.deepEqual(await targetPowerStatus(agent, 'n1', metadata, environment), { ok: true, value: 'on' });
    assert.deepEqual(await targetPowerStatus(agent, 'n2', metadata, environment), { ok: true, value: 'off' });
    const off = await fenceThroughDevice(agent, 'off', 'n1', metadata, environment);
    assert.ok(off.ok, off.ok ? '' : off.error.message);
    assert.ok(!isAlive(sleeper), `pid ${sleeper} is dead once off succeeded`);
    assert.deepEqual(await targetPowerStatus(agent, 'n1', metadata, environment), { ok: true, value: 'off' });
    assert.ok((await fenceThroughDevice(agent, 'off', 'n1', metadata, environment)).ok, 'already off is success');
  });

  it('bad input is exit 1 with a message', async () => {
    const broken = device({ agent: herdKillAgentPath(), params: { pid_dir: join(dir, 'missing') } });
    const r = await monitorDevice(broken, metadata, environment);
    assert.ok(!r.ok && r.error.rc === 1);
    assert.match(r.error.message, /does not exist/);
  });
});
