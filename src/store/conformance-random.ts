// Owns the randomized part of the Store conformance suite: fast-check draws sequences of guarded
// commits over a few keys; each is applied to the store and to a trivial reference model (a Map
// and a revision counter written from the etcd rules, not from either store's code), and the
// outcomes must be identical: ok with the same revision or a conflict naming the same key, the
// same range afterwards, and the same watch events from the start of the sequence.
// On failure fast-check prints the seed and the shrunk sequence, which replay the case.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CaseContext } from './conformance.js';
import { expectOk, WatchRecorder } from './testing/helpers.js';
import type { Guard, KeyValue, Write } from './types.js';

const keyNames = ['a', 'ab', 'b', 'c/1', 'c/2'] as const;
const prefixNames = ['a', 'c/', 'b', 'x/'] as const;

interface GuardSpec {
  readonly key: number;
  readonly kind: 'absent' | 'modRevision' | 'createRevision';
  /** Which revision the guard names: the key's current one, zero, or a wrong one. */
  readonly pick: 'current' | 'zero' | 'other';
}

type WriteSpec =
  | { readonly op: 'put'; readonly key: number; readonly value: number }
  | { readonly op: 'delete'; readonly key: number }
  | { readonly op: 'deletePrefix'; readonly prefix: number };

interface StepSpec {
  readonly guards: readonly GuardSpec[];
  readonly writes: readonly WriteSpec[];
}

interface ModelEntry {
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
}

const keyIndex = fc.nat({ max: keyNames.length - 1 });
const guardSpec: fc.Arbitrary<GuardSpec> = fc.record({
  key: keyIndex,
  kind: fc.constantFrom('absent' as const, 'modRevision' as const, 'createRevision' as const),
  pick: fc.constantFrom('current' as const, 'current' as const, 'zero' as const, 'other' as const),
});
const writeSpec: fc.Arbitrary<WriteSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), key: keyIndex, value: fc.nat({ max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key: keyIndex }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deletePrefix' as const), prefix: fc.nat({ max: prefixNames.length - 1 }) }) },
);
const steps = fc.array(fc.record({ guards: fc.array(guardSpec, { maxLength: 3 }), writes: fc.array(writeSpec, { maxLength: 4 }) }), { minLength: 1, maxLength: 12 });

function nameAt<T>(list: readonly T[], index: number): T {
  const item = list[index];
  assert.ok(item !== undefined, `index ${index} out of range`);
  return item;
}

function toGuard(spec: GuardSpec, base: string, model: ReadonlyMap<string, ModelEntry>): Guard {
  const name = nameAt(keyNames, spec.key);
  const key = base + name;
  if (spec.kind === 'absent') return { key, absent: true };
  const current = model.get(name)?.[spec.kind] ?? 0;
  const revision = spec.pick === 'current' ? current : spec.pick === 'zero' ? 0 : current + 1;
  return spec.kind === 'modRevision' ? { key, modRevision: revision } : { key, createRevision: revision };
}

/** Drops writes etcd would refuse in one transaction: a key put twice, or put and deleted. */
function validWrites(specs: readonly WriteSpec[]): WriteSpec[] {
  const kept: WriteSpec[] = [];
  const covers = (spec: WriteSpec, name: string): boolean =>
    spec.op === 'delete' ? nameAt(keyNames, spec.key) === name : spec.op === 'deletePrefix' && name.startsWith(nameAt(prefixNames, spec.prefix));
  for (const spec of specs) {
    const name = spec.op === 'deletePrefix' ? '' : nameAt(keyNames, spec.key);
    const clash = spec.op === 'put'
      ? kept.some((other) => (other.op === 'put' ? other.key === spec.key : covers(other, name)))
      : kept.some((other) => other.op === 'put' && covers(spec, nameAt(keyNames, other.key)));
    if (!clash) kept.push(spec);
  }
  return kept;
}

function toWrite(spec: WriteSpec, base: string): Write {
  if (spec.op === 'put') return { op: 'put', key: base + nameAt(keyNames, spec.key), value: `v${spec.value}` };
  if (spec.op === 'delete') return { op: 'delete', key: base + nameAt(keyNames, spec.key) };
  return { op: 'deletePrefix', prefix: base + nameAt(prefixNames, spec.prefix) };
}

function guardHoldsInModel(spec: GuardSpec, guard: Guard, model: ReadonlyMap<string, ModelEntry>): boolean {
  const entry = model.get(nameAt(keyNames, spec.key));
  if ('absent' in guard) return entry === undefined;
  if ('modRevision' in guard) return (entry?.modRevision ?? 0) === guard.modRevision;
  return (entry?.createRevision ?? 0) === guard.createRevision;
}

/** The model's commit: writes in order, one new revision if anything changed. */
function applyToModel(specs: readonly WriteSpec[], model: Map<string, ModelEntry>, revision: number): string[] {
  const next = revision + 1;
  const events: string[] = [];
  const remove = (name: string): void => {
    if (model.delete(name)) events.push(`delete ${name}@${next}`);
  };
  for (const spec of specs) {
    if (spec.op === 'put') {
      const name = nameAt(keyNames, spec.key);
      const previous = model.get(name);
      model.set(name, { value: `v${spec.value}`, createRevision: previous?.createRevision ?? next, modRevision: next, version: (previous?.version ?? 0) + 1 });
      events.push(`put ${name}=v${spec.value}@${next}`);
    } else if (spec.op === 'delete') {
      remove(nameAt(keyNames, spec.key));
    } else {
      const prefix = nameAt(prefixNames, spec.prefix);
      for (const name of [...model.keys()].filter((key) => key.startsWith(prefix)).sort()) remove(name);
    }
  }
  return events;
}

function modelItems(model: ReadonlyMap<string, ModelEntry>, base: string): KeyValue[] {
  return [...model.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([name, entry]) => ({ key: base + name, ...entry }));
}

export async function randomModelCase({ store, prefix }: CaseContext, runs: number): Promise<void> {
  let run = 0;
  const property = fc.asyncProperty(steps, async (sequence: readonly StepSpec[]) => {
    const base = `${prefix}run${++run}/`;
    let revision = expectOk(await store.range(base), 'initial range').revision;
    const model = new Map<string, ModelEntry>();
    const expectedEvents: string[] = [];
    const recorder = new WatchRecorder(base);
    const watch = store.watch(base, revision + 1, recorder);
    try {
      for (const [index, step] of sequence.entries()) {
        const where = `step ${index}`;
        const guards = step.guards.map((spec) => toGuard(spec, base, model));
        const writeSpecs = validWrites(step.writes);
        const failing = step.guards.findIndex((spec, at) => !guardHoldsInModel(spec, nameAt(guards, at), model));
        const result = await store.commit(guards, writeSpecs.map((spec) => toWrite(spec, base)));
        if (failing >= 0) {
          assert.ok(!result.ok && result.error.code === 'conflict', `${where}: expected a conflict, got ${JSON.stringify(result)}`);
          assert.equal(result.error.key, nameAt(guards, failing).key, `${where}: the first failing guard`);
        } else {
          const events = applyToModel(writeSpecs, model, revision);
          if (events.length > 0) revision += 1;
          expectedEvents.push(...events);
          assert.equal(expectOk(result, where).revision, revision, `${where}: commit revision`);
        }
        const listed = expectOk(await store.range(base), `${where}: range`);
        assert.deepEqual(listed.items, modelItems(model, base), `${where}: contents`);
        assert.equal(listed.revision, revision, `${where}: range revision`);
      }
      if (expectedEvents.length > 0) await recorder.waitForRevision(revision);
      recorder.assertWellFormed();
      assert.deepEqual(recorder.summary(), expectedEvents, 'watch events');
    } finally {
      watch.cancel();
    }
  });
  await fc.assert(property, { numRuns: runs });
}
