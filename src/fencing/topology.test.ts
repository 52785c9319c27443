import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { HostCheck } from './device.js';
import { parseFencingConfig, planFencing, validateTopology, type DeviceTargeting, type DynamicTargets, type TopologyLevel } from './topology.js';

function device(id: string, hostCheck: HostCheck, hostList: string[] = [], hostMap: Record<string, string> = {}, priority = 0): DeviceTargeting {
  return { id, priority, hostCheck, settings: { hostList, hostMap: new Map(Object.entries(hostMap)) } };
}

const ids = (set: string[]) => new Set(set);

describe('validateTopology', () => {
  it('accepts levels 1..9 of known devices', () => {
    const levels: TopologyLevel[] = [{ target: 'n1', index: 1, devices: ['a'] }, { target: 'n1', index: 9, devices: ['a', 'b'] }, { target: 'n2', index: 1, devices: ['b'] }];
    assert.ok(validateTopology(levels, ids(['a', 'b'])).ok);
  });

  it('names the unknown device', () => {
    const r = validateTopology([{ target: 'n1', index: 1, devices: ['a'] }, { target: 'n1', index: 2, devices: ['a', 'ghost'] }], ids(['a']));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'unknown_device');
    assert.equal(r.error.field, 'topology[1].devices[1]');
  });

  for (const index of [0, 10, 1.5, -1]) {
    it(`refuses index ${index}`, () => {
      const r = validateTopology([{ target: 'n1', index, devices: ['a'] }], ids(['a']));
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'invalid_level_index');
      assert.equal(r.error.field, 'topology[0].index');
    });
  }

  it('refuses two levels with one index for one target, not for two targets', () => {
    const r = validateTopology([{ target: 'n1', index: 1, devices: ['a'] }, { target: 'n2', index: 1, devices: ['a'] }, { target: 'n1', index: 1, devices: ['b'] }], ids(['a', 'b']));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'duplicate_level');
    assert.equal(r.error.field, 'topology[2].index');
  });

  it('refuses an empty level and a device twice in a level', () => {
    const empty = validateTopology([{ target: 'n1', index: 1, devices: [] }], ids(['a']));
    assert.ok(!empty.ok && empty.error.field === 'topology[0].devices');
    const twice = validateTopology([{ target: 'n1', index: 1, devices: ['a', 'a'] }], ids(['a']));
    assert.ok(!twice.ok && twice.error.code === 'duplicate_device' && twice.error.field === 'topology[0].devices[1]');
  });
});

describe('parseFencingConfig', () => {
  it('prefixes a device failure with its position', () => {
    const r = parseFencingConfig({ devices: [{ id: 'a', agent: '/bin/true', params: { pcmk_host_check: 'maybe' } }], topology: [] });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'invalid_host_check');
    assert.equal(r.error.field, 'devices[0].params.pcmk_host_check');
  });

  it('refuses duplicate device ids and checks the topology against the devices', () => {
    const twice = parseFencingConfig({ devices: [{ id: 'a', agent: '/bin/true', params: {} }, { id: 'a', agent: '/bin/true', params: {} }], topology: [] });
    assert.ok(!twice.ok && twice.error.field === 'devices[1].id');
    const unknown = parseFencingConfig({ devices: [{ id: 'a', agent: '/bin/true', params: {} }], topology: [{ target: 'n1', index: 1, devices: ['b'] }] });
    assert.ok(!unknown.ok && unknown.error.code === 'unknown_device');
  });
});

describe('planFencing', () => {
  it('without topology, tries every able device by priority then id', () => {
    const devices = [device('b', 'none'), device('a', 'none'), device('high', 'static-list', ['n1'], {}, 5), device('other', 'static-list', ['n2'])];
    const plan = planFencing('n1', devices, []);
    assert.deepEqual(plan.steps, [{ devices: ['high'] }, { devices: ['a'] }, { devices: ['b'] }]);
    assert.equal(plan.skipped.length, 1);
    assert.match(plan.skipped[0]?.reason ?? '', /other: n1 is not in its pcmk_host_list/);
  });

  it('with topology, plans levels in ascending order and skips a level with an unable device', () => {
    const devices = [device('ipmi', 'static-list', ['n1']), device('pdu1', 'static-list', [], { n1: '3' }), device('pdu2', 'static-list', ['n2'])];
    const topology: TopologyLevel[] = [
      { target: 'n1', index: 3, devices: ['pdu1'] },
      { target: 'n1', index: 1, devices: ['ipmi'] },
      { target: 'n1', index: 2, devices: ['pdu1', 'pdu2'] },
      { target: 'n2', index: 1, devices: ['pdu2'] },
    ];
    const plan = planFencing('n1', devices, topology);
    assert.deepEqual(plan.steps, [{ level: 1, devices: ['ipmi'] }, { level: 3, devices: ['pdu1'] }]);
    assert.equal(plan.skipped[0]?.level, 2);
    assert.match(plan.skipped[0]?.reason ?? '', /pdu2/);
  });

  it('dynamic-list and status devices need the answer the shell supplies, matched by mapped port', () => {
    const devices = [device('listed', 'dynamic-list', [], { n1: 'plug-7' }), device('probed', 'status'), device('silent', 'dynamic-list')];
    const dynamic: DynamicTargets = new Map([['listed', ['plug-7', 'plug-8']], ['probed', ['n1']]]);
    const plan = planFencing('n1', devices, [], dynamic);
    assert.deepEqual(plan.steps.map((s) => s.devices[0]), ['listed', 'probed']);
    assert.match(plan.skipped[0]?.reason ?? '', /silent: no list answer/);
  });

  it('a device without metadata fences nothing', () => {
    const plan = planFencing('n1', [{ ...device('broken', 'none'), unavailableReason: 'metadata: garbage' }], []);
    assert.deepEqual(plan.steps, []);
    assert.match(plan.skipped[0]?.reason ?? '', /broken: metadata: garbage/);
  });
});

// A simple reference for whether a device can fence a target, to check plans against.
function referenceAble(d: DeviceTargeting, target: string, dynamic: DynamicTargets): boolean {
  if (d.unavailableReason !== undefined) return false;
  if (d.hostCheck === 'none') return true;
  if (d.hostCheck === 'static-list') return d.settings.hostList.includes(target) || d.settings.hostMap.has(target);
  const names = dynamic.get(d.id);
  const port = d.settings.hostMap.get(target) ?? target;
  return names !== undefined && (names.includes(port) || names.includes(target));
}

const nodes = ['n1', 'n2', 'n3'];
const deviceIds = ['d0', 'd1', 'd2', 'd3', 'd4'];
const arbitraryDevice = (id: string) => fc.record({
  id: fc.constant(id),
  priority: fc.integer({ min: -2, max: 2 }),
  hostCheck: fc.constantFrom<HostCheck>('static-list', 'dynamic-list', 'status', 'none'),
  hostList: fc.subarray(nodes),
  mapped: fc.subarray(nodes),
  broken: fc.boolean(),
}).map((d): DeviceTargeting => ({
  id: d.id,
  priority: d.priority,
  hostCheck: d.hostCheck,
  settings: { hostList: d.hostList, hostMap: new Map(d.mapped.map((n) => [n, `port-${n}`])) },
  ...(d.broken ? { unavailableReason: 'no metadata' } : {}),
}));
const arbitraryInput = fc.record({
  devices: fc.tuple(...deviceIds.map(arbitraryDevice)),
  levels: fc.uniqueArray(
    fc.record({ target: fc.constantFrom(...nodes), index: fc.integer({ min: 1, max: 9 }), devices: fc.uniqueArray(fc.constantFrom(...deviceIds), { minLength: 1, maxLength: 3 }) }),
    { selector: (l) => `${l.target}/${l.index}`, maxLength: 8 },
  ),
  dynamic: fc.dictionary(fc.constantFrom(...deviceIds), fc.subarray([...nodes, ...nodes.map((n) => `port-${n}`)])),
  target: fc.constantFrom(...nodes),
});

describe('planFencing properties', () => {
  it('plans only able devices, levels ascending, every level or device exactly once', () => {
    fc.assert(fc.property(arbitraryInput, ({ devices, levels, dynamic, target }) => {
      const dynamicTargets: DynamicTargets = new Map(Object.entries(dynamic));
      const plan = planFencing(target, devices, levels, dynamicTargets);
      const byId = new Map(devices.map((d) => [d.id, d]));
      for (const step of plan.steps) {
        for (const id of step.devices) assert.ok(referenceAble(byId.get(id) as DeviceTargeting, target, dynamicTargets), `${id} cannot fence ${target}`);
      }
      const targetLevels = levels.filter((l) => l.target === target);
      if (targetLevels.length > 0) {
        const planned = plan.steps.map((s) => s.level as number);
        assert.deepEqual(planned, [...planned].sort((a, b) => a - b), 'levels ascending');
        const all = [...plan.steps, ...plan.skipped].map((s) => s.level).sort();
        assert.deepEqual(all, targetLevels.map((l) => l.index).sort(), 'every level planned or skipped once');
        for (const level of targetLevels) {
          const able = level.devices.every((id) => referenceAble(byId.get(id) as DeviceTargeting, target, dynamicTargets));
          assert.equal(plan.steps.some((s) => s.level === level.index), able, `level ${level.index} planned iff every device is able`);
        }
      } else {
        assert.ok(plan.steps.every((s) => s.level === undefined && s.devices.length === 1));
        const planned = plan.steps.map((s) => s.devices[0] as string);
        assert.deepEqual(new Set(planned), new Set(devices.filter((d) => referenceAble(d, target, dynamicTargets)).map((d) => d.id)));
        const priorities = planned.map((id) => byId.get(id)?.priority ?? 0);
        assert.deepEqual(priorities, [...priorities].sort((a, b) => b - a), 'priority descending');
        assert.equal(plan.steps.length + plan.skipped.length, devices.length);
      }
    }), { numRuns: 500 });
  });
});
