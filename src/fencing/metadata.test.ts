import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseListOutput, parseMetadata, validateDeviceParameters, type AgentMetadata } from './metadata.js';

const ipmiLike = `<?xml version="1.0" ?>
<resource-agent name="fence_like" shortdesc="A fence agent">
<longdesc>text</longdesc>
<parameters>
  <parameter name="action" unique="0" required="1"><content type="string" default="reboot"/></parameter>
  <parameter name="ipaddr" unique="0" required="1"><content type="string"/></parameter>
  <parameter name="plug" unique="0" required="1"><content type="string"/></parameter>
  <parameter name="lanplus" required="0"><content type="boolean"/></parameter>
  <parameter name="retry_on" required="0"><content type="integer" default="1"/></parameter>
  <parameter name="power_wait" required="0"><content type="second" default="0"/></parameter>
  <parameter name="method" required="0"><content type="select" default="onoff"><option value="onoff"/><option value="cycle"/></content></parameter>
</parameters>
<actions><action name="on" automatic="0"/><action name="off"/><action name="status"/><action name="list"/><action name="metadata"/></actions>
</resource-agent>`;

function metadataOf(xml: string): AgentMetadata {
  const r = parseMetadata(xml);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

describe('parseMetadata', () => {
  it('reads parameters and actions', () => {
    const m = metadataOf(ipmiLike);
    assert.equal(m.name, 'fence_like');
    assert.deepEqual(m.actions, ['on', 'off', 'status', 'list', 'metadata']);
    assert.deepEqual(m.parameters.find((p) => p.name === 'ipaddr'), { name: 'ipaddr', required: true, type: 'string', options: [], deprecated: false });
    assert.deepEqual(m.parameters.find((p) => p.name === 'method')?.options, ['onoff', 'cycle']);
    assert.equal(m.parameters.find((p) => p.name === 'retry_on')?.default, '1');
  });

  it('turns garbage into failure values', () => {
    for (const garbage of ['', 'Traceback (most recent call last):\n  File "x"', '<resource-agent', '<html><body/></html>', '<resource-agent name="x"><parameters/></resource-agent>', '\u0000\u0001<<>>']) {
      const r = parseMetadata(garbage);
      assert.ok(!r.ok, `accepted ${JSON.stringify(garbage)}`);
      assert.equal(r.error.code, 'bad_metadata');
    }
  });
});

describe('parseListOutput', () => {
  it('reads "port,alias" and "port" lines', () => {
    assert.deepEqual(parseListOutput('1,node1\n2,\n  web-3 \n\n'), { ok: true, value: [{ port: '1', alias: 'node1' }, { port: '2' }, { port: 'web-3' }] });
  });

  it('refuses lines that are not targets', () => {
    const r = parseListOutput('1,node1\nFailed: Unable to connect\n');
    assert.ok(!r.ok);
    assert.match(r.error.message, /line 2/);
  });
});

describe('validateDeviceParameters', () => {
  const m = metadataOf(ipmiLike);

  it('accepts declared parameters of the right type and any pcmk_*', () => {
    assert.ok(validateDeviceParameters(m, { ipaddr: '10.0.0.1', lanplus: 'true', retry_on: '3', power_wait: '2.5', method: 'cycle', pcmk_whatever: 'x' }).ok);
  });

  const cases: [Record<string, string>, string, string, RegExp][] = [
    [{ ipaddr: 'a', password: 'x' }, 'params.password', 'unknown_parameter', /no parameter 'password'; it takes action, ipaddr/],
    [{}, 'params.ipaddr', 'missing_parameter', /requires 'ipaddr'/],
    [{ ipaddr: 'a', lanplus: 'maybe' }, 'params.lanplus', 'invalid_parameter_value', /boolean/],
    [{ ipaddr: 'a', retry_on: 'two' }, 'params.retry_on', 'invalid_parameter_value', /integer/],
    [{ ipaddr: 'a', power_wait: '5s' }, 'params.power_wait', 'invalid_parameter_value', /seconds/],
    [{ ipaddr: 'a', method: 'hammer' }, 'params.method', 'invalid_parameter_value', /onoff, cycle/],
  ];
  for (const [params, field, code, message] of cases) {
    it(`refuses ${JSON.stringify(params)} at ${field}`, () => {
      const r = validateDeviceParameters(m, params);
      assert.ok(!r.ok);
      assert.equal(r.error.field, field);
      assert.equal(r.error.code, code);
      assert.match(r.error.message, message);
    });
  }
});
