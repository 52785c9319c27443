import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SystemdClass } from './systemd.js';
import { runtime, temporaryDirectory } from './testkit.js';
import type { ActionName, ActionRequest } from './types.js';

const directory = temporaryDirectory('systemd');
after(() => directory.remove());

// A stand-in for systemctl: units named missing* do not exist, broken* fail to start, and
// is-active reports the state stored in <unit>.state (inactive when there is none).
const fakeSystemctl = join(directory.path, 'systemctl');
writeFileSync(
  fakeSystemctl,
  `#!/bin/sh
echo "$@" >> ${directory.path}/calls
verb=$2; unit=$3
case "$unit" in missing*) echo "Unit $unit not found." >&2; exit 5;; esac
case "$verb" in
  start) case "$unit" in broken*) echo "Job for $unit failed." >&2; exit 1;; esac; echo active > ${directory.path}/$unit.state;;
  stop) echo inactive > ${directory.path}/$unit.state;;
  is-active) state=$(cat ${directory.path}/$unit.state 2>/dev/null || echo inactive); echo $state; [ $state = active ];;
esac
`,
);
chmodSync(fakeSystemctl, 0o755);
const runtimeDirectory = join(directory.path, 'run-systemd-system');
mkdirSync(runtimeDirectory);

function request(type: string, action: ActionName): ActionRequest {
  return { resourceId: 'unit', type, action, intervalMs: 0, timeoutMs: 5000, params: {}, meta: {} };
}

describe('systemd class', () => {
  it('answers not_supported with rc 5 where systemd is not running', async () => {
    const absent = new SystemdClass({ ...runtime, runtimeDirectory: join(directory.path, 'absent') });
    const result = await absent.run(request('nginx', 'start'));
    assert.deepEqual([result.status, result.rc, result.outcome], ['not_supported', 5, 'failed']);
    assert.match(result.exitReason ?? '', /systemd is not running/);
  });

  it('maps systemctl start, stop and is-active to OCF codes', async () => {
    const systemd = new SystemdClass({ ...runtime, systemctl: fakeSystemctl, runtimeDirectory });
    const rc = async (type: string, action: ActionName): Promise<number> => (await systemd.run(request(type, action))).rc;
    assert.equal(await rc('web', 'monitor'), 7);
    assert.equal(await rc('web', 'start'), 0);
    assert.equal(await rc('web', 'monitor'), 0);
    assert.equal(await rc('web', 'stop'), 0);
    assert.equal(await rc('web', 'monitor'), 7);
    assert.equal(await rc('missing', 'start'), 5);
    assert.equal(await rc('missing', 'stop'), 0, 'a unit that does not exist is stopped');
    const broken = await systemd.run(request('broken', 'start'));
    assert.deepEqual([broken.rc, broken.exitReason], [1, 'Job for broken.service failed.']);
    assert.equal((await systemd.run(request('--force', 'start'))).rc, 6, 'a unit name is never an option');
    assert.equal((await systemd.run(request('web', 'promote'))).status, 'not_supported');
    const calls = readFileSync(join(directory.path, 'calls'), 'utf8').split('\n');
    assert.equal(calls[1], '--no-ask-password start web.service');
    assert.ok(!calls.some((call) => call.includes('--force')));
  });
});
