// Owns the cluster event log: short records of what happened (node state changes, coordinator
// changes, joins, operator actions), kept under `events/` with keys that sort by time, trimmed
// by the coordinator to limits.eventsKeptMax.

import { z } from 'zod';
import { defineRecordKind, type Records } from './records.js';
import { limits } from '../core/limits.js';
import type { Guard } from './types.js';

export const eventRecord = z.strictObject({
  atMs: z.number(),
  /** Node that recorded it. */
  node: z.string(),
  kind: z.string(),
  severity: z.enum(['info', 'warning', 'error']),
  subject: z.string().optional(),
  message: z.string().max(4096),
});
export type EventRecord = z.infer<typeof eventRecord>;
export const events = defineRecordKind('events', eventRecord);

let sequence = 0;

/** A key that sorts by time, then node, then a per-process counter. */
export function eventId(atMs: number, node: string): string {
  sequence = (sequence + 1) % 1_000_000;
  return `${String(atMs).padStart(15, '0')}-${node}-${String(sequence).padStart(6, '0')}`;
}

export async function recordEvent(records: Records, e: EventRecord, guards: readonly Guard[] = []): Promise<boolean> {
  const r = await records.put(events, eventId(e.atMs, e.node), e, 'absent', { guards });
  return r.ok;
}

/** Deletes the oldest events beyond the limit. Run by the coordinator. */
export async function trimEvents(records: Records, guards: readonly Guard[], keptMax = limits.eventsKeptMax): Promise<number> {
  const r = await records.store.range(records.kindPrefix(events));
  if (!r.ok || r.value.items.length <= keptMax) return 0;
  const excess = r.value.items.slice(0, r.value.items.length - keptMax);
  let deleted = 0;
  for (let i = 0; i < excess.length; i += 100) {
    const batch = excess.slice(i, i + 100).map((kv) => ({ op: 'delete' as const, key: kv.key }));
    const c = await records.store.commit(guards, batch);
    if (!c.ok) break;
    deleted += batch.length;
  }
  return deleted;
}
