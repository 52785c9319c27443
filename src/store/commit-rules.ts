// Owns the rules both stores share so they behave alike: key order (etcd sorts keys by their
// UTF-8 bytes), byte lengths, and the shape a commit must have before either store applies it.
//
// Inputs: keys, guards and writes from callers. Outputs: a comparison, a byte count, or a
// Result that is ok or a `too_large` failure naming the key. Caller bugs that etcd would reject
// with a generic error (an empty key, a key written twice in one commit, a put inside a range the
// same commit deletes, a lone UTF-16 surrogate that UTF-8 cannot carry) are assertions.
// No node: imports, so the in-memory store stays usable from pure simulation code.

import { limits } from '../core/limits.js';
import { assert, err, ok, type Result } from '../core/result.js';
import type { Guard, StoreFailure, Write } from './types.js';

/** Orders keys by code point, which is the order of their UTF-8 bytes (etcd's order). */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const unitA = a.charCodeAt(index);
    const unitB = b.charCodeAt(index);
    if (unitA !== unitB) return codePointRank(unitA) - codePointRank(unitB);
  }
  return a.length - b.length;
}

/** Surrogates encode code points above every other UTF-16 unit, so move them to the top. */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** Bytes of the UTF-8 encoding, without allocating it. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00) {
      bytes += 4; // a well-formed pair; the trail unit is skipped
      index++;
    } else bytes += 3;
  }
  return bytes;
}

const loneSurrogate = /[\ud800-\udfff]/u;

export function assertKey(key: string, what: string): void {
  assert(key.length > 0, `${what}: the key must not be empty`);
  assert(!loneSurrogate.test(key), `${what}: key ${JSON.stringify(key)} is not valid UTF-16`);
}

function assertRevision(revision: number, what: string): void {
  assert(Number.isSafeInteger(revision) && revision >= 0, `${what}: revision ${revision} must be an integer >= 0`);
}

/** Checks limits (a failure value) and caller bugs (assertions) before a commit is applied. */
export function checkCommit(guards: readonly Guard[], writes: readonly Write[]): Result<void, StoreFailure> {
  for (const guard of guards) {
    assertKey(guard.key, 'guard');
    if ('modRevision' in guard) assertRevision(guard.modRevision, `guard on ${guard.key}`);
    else if ('createRevision' in guard) assertRevision(guard.createRevision, `guard on ${guard.key}`);
    else assert(guard.absent === true, `guard on ${guard.key}: absent must be true`);
  }
  const extraGuard = guards[limits.commitGuardsMax];
  if (extraGuard !== undefined) {
    return err({ code: 'too_large', key: extraGuard.key, message: `a commit carries at most ${limits.commitGuardsMax} guards, got ${guards.length}` });
  }
  const extraWrite = writes[limits.commitWritesMax];
  if (extraWrite !== undefined) {
    return err({ code: 'too_large', key: writeKey(extraWrite), message: `a commit carries at most ${limits.commitWritesMax} writes, got ${writes.length}` });
  }
  // A guard key travels twice: in the compare and in the failure branch that reads it back.
  let totalBytes = guards.reduce((sum, guard) => sum + 2 * utf8ByteLength(guard.key), 0);
  if (totalBytes > limits.commitBytesMax) {
    return err({ code: 'too_large', key: guards[0]?.key ?? '', message: `the guard keys of this commit are more than ${limits.commitBytesMax} bytes` });
  }
  for (const write of writes) {
    const key = writeKey(write);
    if (write.op === 'deletePrefix') {
      assert(write.prefix.length > 0, "deletePrefix(''): refusing to delete every key in the store");
      assert(!loneSurrogate.test(write.prefix), `deletePrefix: prefix ${JSON.stringify(write.prefix)} is not valid UTF-16`);
    } else {
      assertKey(key, write.op);
    }
    totalBytes += utf8ByteLength(key);
    if (write.op === 'put') {
      assert(!loneSurrogate.test(write.value), `put ${key}: the value is not valid UTF-16, UTF-8 cannot carry it`);
      const valueBytes = utf8ByteLength(write.value);
      if (valueBytes > limits.recordBytesMax) {
        return err({ code: 'too_large', key, message: `value of ${key} is ${valueBytes} bytes, more than the ${limits.recordBytesMax} allowed` });
      }
      totalBytes += valueBytes;
    }
    if (totalBytes > limits.commitBytesMax) {
      return err({ code: 'too_large', key, message: `commit is more than ${limits.commitBytesMax} bytes of keys and values (reached at ${key})` });
    }
  }
  assertNoOverlap(writes);
  return ok(undefined);
}

export function writeKey(write: Write): string {
  return write.op === 'deletePrefix' ? write.prefix : write.key;
}

/** etcd refuses a transaction that puts one key twice or puts a key that it also deletes. */
function assertNoOverlap(writes: readonly Write[]): void {
  const deletedKeys = new Set<string>();
  const deletedPrefixes: string[] = [];
  for (const write of writes) {
    if (write.op === 'delete') deletedKeys.add(write.key);
    if (write.op === 'deletePrefix') deletedPrefixes.push(write.prefix);
  }
  const putKeys = new Set<string>();
  for (const write of writes) {
    if (write.op !== 'put') continue;
    assert(!putKeys.has(write.key), `commit puts ${write.key} twice`);
    assert(!deletedKeys.has(write.key), `commit both puts and deletes ${write.key}`);
    const prefix = deletedPrefixes.find((candidate) => write.key.startsWith(candidate));
    assert(prefix === undefined, `commit puts ${write.key} and deletes prefix ${prefix ?? ''}`);
    putKeys.add(write.key);
  }
}

/** Whether a guard holds against the key's current entry (etcd compares a missing key as zeros). */
export function guardHolds(guard: Guard, current: { createRevision: number; modRevision: number } | undefined): boolean {
  if ('absent' in guard) return current === undefined;
  if ('modRevision' in guard) return (current?.modRevision ?? 0) === guard.modRevision;
  return (current?.createRevision ?? 0) === guard.createRevision;
}

export function describeGuard(guard: Guard): string {
  if ('absent' in guard) return `${guard.key} to be absent`;
  if ('modRevision' in guard) return `${guard.key} at modRevision ${guard.modRevision}`;
  return `${guard.key} at createRevision ${guard.createRevision}`;
}
