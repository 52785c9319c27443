import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../core/random.js';
import {
  agentInput, effectiveHostCheck, fencingDelayMs, parseDevice, parseDurationMs, parseHostMap, targetArgumentOf,
  type FenceDevice, type FenceDeviceConfig,
} from './device.js';

function parsed(config: Partial<FenceDeviceConfig> & Pick<FenceDeviceConfig, 'params'>): FenceDevice {
  const r = parseDevice({ id: 'dev', agent: '/usr/sbin/fence_test', ...config });
  assert.ok(r.ok, r.ok ? '' : `${r.error.field}: ${r.error.message}`);
  return r.value;
}

function failureOf(params: Record<string, string>, agent = '/usr/sbin/fence_test') {
  const r = parseDevice({ id: 'dev', agent, params });
  assert.ok(!r.ok, 'expected a failure');
  return r.error;
}

describe('parseDevice', () => {
  it('reads host list, host map, host check, action names, timeouts and delays', () => {
    const { settings } = parsed({
      params: {
        ipaddr: '10.0.0.1', pcmk_host_list: 'n1, n2;n3 n4', pcmk_host_map: 'n5:1;n6=2,3', pcmk_host_check: 'static-list',
        pcmk_reboot_action: 'off', pcmk_off_timeout: '90s', pcmk_monitor_timeout: '500ms', pcmk_delay_base: '2s', pcmk_delay_max: '1min',
        pcmk_action_limit: '2',
      },
    });
    assert.deepEqual(settings.hostList, ['n1', 'n2', 'n3', 'n4']);
    assert.deepEqual([...settings.hostMap], [['n5', '1'], ['n6', '2,3']]);
    assert.equal(settings.hostCheck, 'static-list');
    assert.deepEqual(settings.actionNames, { reboot: 'off' });
    assert.deepEqual(settings.timeoutsMs, { off: 90_000, monitor: 500 });
    assert.equal(settings.delayBaseMs, 2000);
    assert.equal(settings.delayMaxMs, 60_000);
  });

  it('reads a per-target delay base', () => {
    const { settings } = parsed({ params: { pcmk_delay_base: 'n1:0s;n2:5s' } });
    assert.deepEqual([...settings.delayBaseMsByTarget], [['n1', 0], ['n2', 5000]]);
  });

  it('names the offending field and the expected form', () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ pcmk_host_check: 'sometimes' }, 'params.pcmk_host_check', 'invalid_host_check'],
      [{ pcmk_host_map: 'n1' }, 'params.pcmk_host_map', 'invalid_host_map'],
      [{ pcmk_off_timeout: 'soon' }, 'params.pcmk_off_timeout', 'invalid_duration'],
      [{ pcmk_reboot_timeout: '0' }, 'params.pcmk_reboot_timeout', 'invalid_timeout'],
      [{ pcmk_delay_max: '2h' }, 'params.pcmk_delay_max', 'invalid_delay'],
      [{ action: 'off' }, 'params.action', 'reserved_parameter'],
      [{ nodename: 'n1' }, 'params.nodename', 'reserved_parameter'],
      [{ 'bad=name': 'x' }, 'params.bad=name', 'invalid_parameter_name'],
      [{ ipaddr: 'a\nport=evil' }, 'params.ipaddr', 'invalid_parameter_value'],
    ];
    for (const [params, field, code] of cases) {
      const problem = failureOf(params);
      assert.equal(problem.field, field, JSON.stringify(params));
      assert.equal(problem.code, code, JSON.stringify(params));
    }
    assert.equal(failureOf({}, 'fence_ipmilan').field, 'agent');
  });

  it('parses Pacemaker durations', () => {
    const values: [string, number][] = [['60', 60_000], ['30s', 30_000], ['250ms', 250], ['2min', 120_000], ['1.5s', 1500], ['1h', 3_600_000]];
    for (const [text, ms] of values) assert.deepEqual(parseDurationMs(text, 'f'), { ok: true, value: ms });
    assert.ok(!parseDurationMs('-1s', 'f').ok);
    assert.ok(!parseHostMap('n1:', 'f').ok);
  });
});

describe('agentInput', () => {
  it('sends parameters without pcmk_*, then action, nodename and the mapped port', () => {
    const device = parsed({ params: { ipaddr: '10.0.0.1', pcmk_host_map: 'n1:7', pcmk_reboot_action: 'off' } });
    const text = agentInput(device, { action: 'reboot', target: 'n1', targetArgument: 'port' });
    assert.equal(text, 'ipaddr=10.0.0.1\naction=off\nnodename=n1\nport=7\n');
  });

  it('uses plug when the metadata declares plug only, none when neither, and keeps a configured port', () => {
    const device = parsed({ params: { pcmk_host_list: 'n1' } });
    assert.equal(targetArgumentOf(device.settings, ['plug', 'ipaddr']), 'plug');
    assert.equal(targetArgumentOf(device.settings, ['port', 'plug']), 'port');
    assert.equal(targetArgumentOf(device.settings, ['ipaddr']), undefined);
    assert.equal(targetArgumentOf(device.settings, undefined), 'port');
    assert.equal(targetArgumentOf(parsed({ params: { pcmk_host_argument: 'none' } }).settings, ['port']), undefined);
    assert.equal(targetArgumentOf(parsed({ params: { pcmk_host_argument: 'uuid' } }).settings, ['port']), 'uuid');
    const fixed = parsed({ params: { port: '3' } });
    assert.equal(agentInput(fixed, { action: 'off', target: 'n1', targetArgument: 'port' }), 'port=3\naction=off\nnodename=n1\n');
    assert.equal(agentInput(fixed, { action: 'monitor' }), 'port=3\naction=monitor\n');
  });
});

describe('effectiveHostCheck', () => {
  it('follows Pacemaker: static-list with a list or map, else dynamic-list, status, none', () => {
    assert.equal(effectiveHostCheck(parsed({ params: { pcmk_host_map: 'n1:1' } }).settings, ['list']), 'static-list');
    assert.equal(effectiveHostCheck(parsed({ params: {} }).settings, ['off', 'list', 'status']), 'dynamic-list');
    assert.equal(effectiveHostCheck(parsed({ params: {} }).settings, ['off', 'status']), 'status');
    assert.equal(effectiveHostCheck(parsed({ params: {} }).settings, ['off']), 'none');
    assert.equal(effectiveHostCheck(parsed({ params: { pcmk_host_list: 'n1', pcmk_host_check: 'none' } }).settings, []), 'none');
  });
});

describe('fencingDelayMs', () => {
  it('draws from [base, max], with a per-target base and max below base meaning base', () => {
    const random = seededRandom(3);
    const { settings } = parsed({ params: { pcmk_delay_base: '1s', pcmk_delay_max: '3s' } });
    for (let i = 0; i < 200; i++) {
      const delayMs = fencingDelayMs(settings, 'n1', random);
      assert.ok(delayMs >= 1000 && delayMs <= 3000, `${delayMs}`);
    }
    assert.equal(fencingDelayMs(parsed({ params: { pcmk_delay_base: '2s', pcmk_delay_max: '1s' } }).settings, 'n1', random), 2000);
    const perTarget = parsed({ params: { pcmk_delay_base: 'n1:0;n2:4s' } }).settings;
    assert.equal(fencingDelayMs(perTarget, 'n2', random), 4000);
    assert.equal(fencingDelayMs(perTarget, 'n3', random), 0);
  });
});
