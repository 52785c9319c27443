import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationMs, parseMetadata, validateParameters, type AgentMetadata } from './metadata.js';
import { OcfClass } from './ocf.js';
import { runtime, systemOcfRoot } from './testkit.js';

const ocf = new OcfClass({ ...runtime, ocfRoot: systemOcfRoot });

async function metadataOf(provider: string, type: string): Promise<AgentMetadata> {
  const metadata = await ocf.metadata({ provider, type });
  assert.ok(metadata.ok, metadata.ok ? '' : metadata.error.message);
  return metadata.value;
}

describe('agent meta-data', () => {
  it('parses heartbeat/Dummy: parameters, defaults and action timeouts', async () => {
    const dummy = await metadataOf('heartbeat', 'Dummy');
    assert.equal(dummy.name, 'Dummy');
    const state = dummy.parameters.find((parameter) => parameter.name === 'state');
    assert.ok(state !== undefined);
    assert.equal(state.contentType, 'string');
    assert.equal(state.required, false);
    const start = dummy.actions.find((action) => action.name === 'start');
    assert.equal(start?.timeoutMs, 20_000);
    const monitor = dummy.actions.find((action) => action.name === 'monitor');
    assert.equal(monitor?.intervalMs, 10_000);
  });

  it('parses pacemaker/Stateful with one monitor per role', async () => {
    const stateful = await metadataOf('pacemaker', 'Stateful');
    assert.equal(stateful.name, 'Stateful');
    assert.deepEqual(stateful.parameters.map((parameter) => parameter.name), ['state', 'envfile', 'notify_delay']);
    const monitors = stateful.actions.filter((action) => action.name === 'monitor');
    assert.deepEqual(monitors.map((monitor) => [monitor.role, monitor.intervalMs]), [['Promoted', 10_000], ['Unpromoted', 11_000]]);
    assert.equal(stateful.actions.find((action) => action.name === 'promote')?.timeoutMs, 10_000);
  });

  it('validates parameters: unknown name, bad integer, bad boolean, missing required', async () => {
    const ipaddr = await metadataOf('heartbeat', 'IPaddr2');
    const ip = ipaddr.parameters.find((parameter) => parameter.name === 'ip');
    assert.equal(ip?.required, true);
    assert.equal(ip?.unique, true);
    const integer = ipaddr.parameters.find((parameter) => parameter.contentType === 'integer');
    const boolean = ipaddr.parameters.find((parameter) => parameter.contentType === 'boolean');
    assert.ok(integer !== undefined && boolean !== undefined);
    const checked = validateParameters(ipaddr, { colour: 'blue', [integer.name]: '12abc', [boolean.name]: 'maybe' });
    assert.ok(!checked.ok);
    const byField = new Map(checked.error.map((problem) => [problem.field, problem]));
    assert.equal(byField.get('params.colour')?.code, 'unknown_parameter');
    assert.equal(byField.get(`params.${integer.name}`)?.code, 'invalid_parameter');
    assert.match(byField.get(`params.${integer.name}`)?.message ?? '', /an integer/);
    assert.equal(byField.get(`params.${boolean.name}`)?.code, 'invalid_parameter');
    assert.match(byField.get(`params.${boolean.name}`)?.message ?? '', /true, false, yes, no, 1, 0, on, off/);
    assert.equal(byField.get('params.ip')?.code, 'missing_parameter');
    assert.equal(checked.error.length, 4);
    const good = validateParameters(ipaddr, { ip: '10.0.0.5', [integer.name]: '24', [boolean.name]: 'yes' });
    assert.ok(good.ok);
  });

  it('checks select and time content types', () => {
    const xml = `<resource-agent name="t"><parameters>
      <parameter name="mode"><content type="select" default="a"><option value="a"/><option value="b"/></content></parameter>
      <parameter name="wait"><content type="time"/></parameter>
    </parameters><actions/></resource-agent>`;
    const metadata = parseMetadata(xml);
    assert.ok(metadata.ok);
    assert.deepEqual(metadata.value.parameters[0]?.options, ['a', 'b']);
    assert.equal(metadata.value.parameters[0]?.defaultValue, 'a');
    assert.ok(validateParameters(metadata.value, { mode: 'b', wait: '5min' }).ok);
    const bad = validateParameters(metadata.value, { mode: 'c', wait: 'soon' });
    assert.ok(!bad.ok);
    assert.deepEqual(bad.error.map((problem) => problem.field), ['params.mode', 'params.wait']);
  });

  it('answers malformed meta-data with a clear failure', () => {
    const broken = parseMetadata('<resource-agent name="x"><parameters></resource-agent>');
    assert.ok(!broken.ok);
    assert.equal(broken.error.code, 'metadata_malformed');
    const empty = parseMetadata('');
    assert.ok(!empty.ok);
    const wrongRoot = parseMetadata('<html/>');
    assert.ok(!wrongRoot.ok);
    assert.match(wrongRoot.error.message, /<html>/);
    const nameless = parseMetadata('<resource-agent><parameters><parameter/></parameters></resource-agent>');
    assert.ok(!nameless.ok);
  });

  it('fails clearly for an agent that is not installed', async () => {
    const missing = await ocf.metadata({ provider: 'heartbeat', type: 'NoSuchAgent' });
    assert.ok(!missing.ok);
    assert.equal(missing.error.code, 'metadata_unavailable');
  });

  it('parses Pacemaker durations', () => {
    assert.equal(parseDurationMs('20s'), 20_000);
    assert.equal(parseDurationMs('20'), 20_000);
    assert.equal(parseDurationMs('100ms'), 100);
    assert.equal(parseDurationMs('5min'), 300_000);
    assert.equal(parseDurationMs('2h'), 7_200_000);
    assert.equal(parseDurationMs('soon'), undefined);
    assert.equal(parseDurationMs('5 parsecs'), undefined);
  });
});
