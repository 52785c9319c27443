// Unit test of the at-most-one checker: it must catch an overlapping start and accept a start
// after a stop, a fence or a crash.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkAtMostOne, parseAgentLog } from './agent-log.js';

const block = (action: string, rsc: string, node: string): string =>
  `### ${action} @ Tue Nov 24 12:00:00 UTC 2026 ###\nOCF_RESKEY_CRM_meta_on_node=${node}\nOCF_RESOURCE_INSTANCE=${rsc}\nPATH=/bin\n###\n`;

describe('agent log checker', () => {
  it('accepts starts after stops, fences and crashes', () => {
    const log = block('start', 'd1', 'v1') + block('monitor', 'd1', 'v1') + block('stop', 'd1', 'v1') + block('start', 'd1', 'v2')
      + '### fence v2 ###\n' + block('start', 'd1', 'v3') + '### crash v3 ###\n' + block('start', 'd1', 'v1');
    const events = parseAgentLog(log);
    assert.equal(events.length, 8);
    assert.deepEqual(checkAtMostOne(events), []);
  });

  it('reports a start while the resource is active elsewhere', () => {
    const log = block('start', 'd1', 'v1') + block('start', 'd2', 'v2') + block('start', 'd1', 'v2');
    const v = checkAtMostOne(parseAgentLog(log));
    assert.equal(v.length, 1);
    assert.match(v[0] ?? '', /d1 started on v2 while active on v1/);
  });
});
