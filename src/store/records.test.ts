// Typed records: validation names the field and writes nothing; revision checks; update retries.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { MemoryStore } from './memory.js';
import { defineRecordKind, Records } from './records.js';
import { ok } from '../core/result.js';
import { systemClock, systemTimers } from '../core/clock.js';

const things = defineRecordKind('things', z.strictObject({ size: z.number().int().positive(), name: z.string() }));

describe('typed records', () => {
  it('refuses invalid values and ids with the field named, and stores nothing', async () => {
    const records = new Records(new MemoryStore({ clock: systemClock, timers: systemTimers }), 'c');
    const bad = await records.put(things, 'a', { size: -1, name: 'x' }, 'any');
    assert.equal(!bad.ok && 'field' in bad.error && bad.error.field, 'size');
    const extra = await records.put(things, 'a', { size: 1, name: 'x', colour: 'red' } as never, 'any');
    assert.equal(extra.ok, false);
    const id = await records.put(things, 'bad id!', { size: 1, name: 'x' }, 'any');
    assert.equal(!id.ok && 'field' in id.error && id.error.field, 'id');
    const listed = await records.list(things);
    assert.deepEqual(listed.ok && listed.value.items, []);
  });
  it('checks revisions: create only if absent, replace only the version read', async () => {
    const records = new Records(new MemoryStore({ clock: systemClock, timers: systemTimers }), 'c');
    const created = await records.put(things, 'a', { size: 1, name: 'x' }, 'absent');
    assert.ok(created.ok);
    assert.equal((await records.put(things, 'a', { size: 2, name: 'x' }, 'absent')).ok, false);
    const got = await records.get(things, 'a');
    assert.ok(got.ok && got.value);
    if (!got.ok || !got.value) return;
    assert.equal((await records.put(things, 'a', { size: 3, name: 'y' }, got.value.modRevision)).ok, true);
    assert.equal((await records.put(things, 'a', { size: 4, name: 'z' }, got.value.modRevision)).ok, false);
    const updated = await records.update(things, 'a', (t) => ok({ size: (t?.size ?? 0) + 10, name: 'u' }));
    assert.equal(updated.ok && updated.value.value.size, 13);
  });
  it('reports a stored record that no longer validates as corrupt instead of using it', async () => {
    const store = new MemoryStore({ clock: systemClock, timers: systemTimers });
    const records = new Records(store, 'c');
    await store.commit([], [{ op: 'put', key: records.keyOf(things, 'b'), value: '{"size":"big"}' }]);
    const r = await records.get(things, 'b');
    assert.equal(!r.ok && r.error.code, 'corrupt');
  });
});
