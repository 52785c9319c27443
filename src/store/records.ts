// Owns typed records: every value Herd keeps in the store is a JSON record of a declared kind,
// validated by its zod schema on the way in and on the way out, under one cluster prefix
// (`/herd/<cluster>/<kind>/<id>`). Writes carry revision checks; a record that fails validation
// is never written, and one read back that fails is reported, never silently used.

import type { z } from 'zod';
import { err, ok, type Failure, type Result } from '../core/result.js';
import { limits } from '../core/limits.js';
import type { Guard, KeyValue, Store, StoreFailure, Write } from './types.js';

export interface RecordKind<T> {
  /** Folder under the cluster prefix, e.g. 'nodes'. */
  readonly name: string;
  readonly schema: z.ZodType<T>;
}

export const defineRecordKind = <T>(name: string, schema: z.ZodType<T>): RecordKind<T> => ({ name, schema });

/**
 * The folder of the records every node follows through its watch-fed view (membership, the
 * coordinator key, API tokens). Keeping them apart from high-churn folders (kv, events, later
 * jobs) means a node's view watch carries only the changes it needs.
 */
export const viewFolder = 'cluster';

/** The coordinator election key of a cluster prefix. */
export const coordinatorKeyOf = (clusterPrefix: string): string => `${clusterPrefix}${viewFolder}/coordinator`;

export interface Stored<T> {
  readonly id: string;
  readonly value: T;
  readonly modRevision: number;
  readonly createRevision: number;
}

export type RecordFailure = StoreFailure | Failure<'invalid' | 'corrupt' | 'not_found'>;

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,252}$/;

export function validateId(id: string, field = 'id'): Result<string, Failure<'invalid'>> {
  if (!idPattern.test(id)) {
    return err({ code: 'invalid', field, message: `${field} "${id}" must be 1-253 characters of letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit` });
  }
  return ok(id);
}

/** Turns a zod error into one Failure naming the first offending field. */
export function zodFailure(error: z.ZodError, fieldPrefix = ''): Failure<'invalid'> {
  const issue = error.issues[0];
  const path = issue ? issue.path.map(String).join('.') : '';
  const field = [fieldPrefix, path].filter((p) => p !== '').join('.') || '(body)';
  const message = issue ? `${field}: ${issue.message}` : `${field}: invalid`;
  return { code: 'invalid', field, message };
}

/** The typed view of one cluster's records in a store. */
export class Records {
  readonly prefix: string;
  constructor(
    readonly store: Store,
    readonly clusterName: string,
  ) {
    this.prefix = `/herd/${clusterName}/`;
  }

  keyOf(kind: RecordKind<unknown>, id: string): string {
    return `${this.prefix}${kind.name}/${id}`;
  }

  kindPrefix(kind: RecordKind<unknown>): string {
    return `${this.prefix}${kind.name}/`;
  }

  decode<T>(kind: RecordKind<T>, kv: KeyValue): Result<Stored<T>, RecordFailure> {
    let json: unknown;
    try {
      json = JSON.parse(kv.value);
    } catch {
      return err({ code: 'corrupt', message: `${kv.key} does not hold JSON` });
    }
    const parsed = kind.schema.safeParse(json);
    if (!parsed.success) return err({ ...zodFailure(parsed.error, kv.key), code: 'corrupt' });
    const id = kv.key.slice(this.kindPrefix(kind).length);
    return ok({ id, value: parsed.data, modRevision: kv.modRevision, createRevision: kv.createRevision });
  }

  /** Validates a value and builds the put for it, without writing. */
  encode<T>(kind: RecordKind<T>, id: string, value: T, lease?: string): Result<Write, RecordFailure> {
    const idOk = validateId(id);
    if (!idOk.ok) return idOk;
    const parsed = kind.schema.safeParse(value);
    if (!parsed.success) return err(zodFailure(parsed.error));
    const text = JSON.stringify(parsed.data);
    if (text.length > limits.recordBytesMax) {
      return err({ code: 'too_large', key: this.keyOf(kind, id), message: `${kind.name}/${id} is ${text.length} bytes; the limit is ${limits.recordBytesMax}` });
    }
    const key = this.keyOf(kind, id);
    return ok(lease === undefined ? { op: 'put', key, value: text } : { op: 'put', key, value: text, lease });
  }

  async get<T>(kind: RecordKind<T>, id: string): Promise<Result<Stored<T> | undefined, RecordFailure>> {
    const r = await this.store.get(this.keyOf(kind, id));
    if (!r.ok) return r;
    if (r.value === undefined) return ok(undefined);
    return this.decode(kind, r.value);
  }

  async list<T>(kind: RecordKind<T>): Promise<Result<{ items: Stored<T>[]; revision: number }, RecordFailure>> {
    const r = await this.store.range(this.kindPrefix(kind));
    if (!r.ok) return r;
    const items: Stored<T>[] = [];
    for (const kv of r.value.items) {
      const d = this.decode(kind, kv);
      if (!d.ok) return d;
      items.push(d.value);
    }
    return ok({ items, revision: r.value.revision });
  }

  /**
   * Writes one record. `expect` is the revision check: 'absent' to create, a modRevision to
   * replace exactly that version, or 'any'. Extra guards (a coordinator's fencing token) and
   * extra writes ride in the same atomic commit.
   */
  async put<T>(
    kind: RecordKind<T>,
    id: string,
    value: T,
    expect: 'absent' | 'any' | number,
    extra: { guards?: readonly Guard[]; writes?: readonly Write[]; lease?: string } = {},
  ): Promise<Result<{ revision: number }, RecordFailure>> {
    const write = this.encode(kind, id, value, extra.lease);
    if (!write.ok) return write;
    const key = this.keyOf(kind, id);
    const guards: Guard[] = [...(extra.guards ?? [])];
    if (expect === 'absent') guards.push({ key, absent: true });
    else if (typeof expect === 'number') guards.push({ key, modRevision: expect });
    return this.store.commit(guards, [write.value, ...(extra.writes ?? [])]);
  }

  async delete(kind: RecordKind<unknown>, id: string, expect: 'any' | number, guards: readonly Guard[] = []): Promise<Result<{ revision: number }, RecordFailure>> {
    const key = this.keyOf(kind, id);
    const all: Guard[] = [...guards];
    if (typeof expect === 'number') all.push({ key, modRevision: expect });
    return this.store.commit(all, [{ op: 'delete', key }]);
  }

  /**
   * Read-modify-write with a revision check, retried on conflict (bounded). `change` returns the
   * new value, or a Failure to stop without writing.
   */
  async update<T>(
    kind: RecordKind<T>,
    id: string,
    change: (current: T | undefined) => Result<T, Failure>,
    guards: readonly Guard[] = [],
    attemptsMax = 8,
  ): Promise<Result<{ value: T; revision: number }, RecordFailure | Failure>> {
    for (let attempt = 0; attempt < attemptsMax; attempt++) {
      const current = await this.get(kind, id);
      if (!current.ok) return current;
      const next = change(current.value?.value);
      if (!next.ok) return next;
      const expect = current.value === undefined ? 'absent' : current.value.modRevision;
      const r = await this.put(kind, id, next.value, expect, { guards });
      if (r.ok) return ok({ value: next.value, revision: r.value.revision });
      const e = r.error;
      if (e.code !== 'conflict' || guards.some((g) => 'key' in e && g.key === e.key)) return r;
    }
    return err({ code: 'conflict', key: this.keyOf(kind, id), message: `${kind.name}/${id} kept changing; gave up after ${attemptsMax} attempts` });
  }
}
