// Owns small test helpers for Store tests: unwrapping Results with a readable failure, waiting
// for a promise or a watch condition with a deadline (no fixed sleeps), and WatchRecorder, which
// collects what a watch delivers.

import assert from 'node:assert/strict';
import type { Result } from '../../core/result.js';
import type { StoreFailure, WatchBatch, WatchEvent, WatchHandlers } from '../types.js';

export const waitTimeoutMs = 10_000;

export function expectOk<T>(result: Result<T, StoreFailure>, what: string): T {
  if (!result.ok) assert.fail(`${what}: expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

export function expectFailure<T>(result: Result<T, StoreFailure>, code: StoreFailure['code'], what: string): StoreFailure {
  if (result.ok) assert.fail(`${what}: expected ${code}, got ok ${JSON.stringify(result.value)}`);
  assert.equal(result.error.code, code, `${what}: ${result.error.message}`);
  assert.ok(result.error.message.length > 0, `${what}: a failure carries a message`);
  return result.error;
}

/** Resolves with the promise's value, or rejects if it takes longer than timeoutMs. */
export async function withDeadline<T>(promise: Promise<T>, what: string, timeoutMs = waitTimeoutMs): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls an asynchronous condition (short interval) until it holds or the deadline passes. */
export async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = waitTimeoutMs): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function describeEvent(event: WatchEvent, prefix = ''): string {
  if (event.type === 'delete') return `delete ${event.key.slice(prefix.length)}@${event.modRevision}`;
  return `put ${event.kv.key.slice(prefix.length)}=${event.kv.value}@${event.kv.modRevision}`;
}

export function eventRevision(event: WatchEvent): number {
  return event.type === 'put' ? event.kv.modRevision : event.modRevision;
}

export class WatchRecorder implements WatchHandlers {
  readonly batches: WatchBatch[] = [];
  readonly compactions: number[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(private readonly prefix = '') {}

  get events(): WatchEvent[] {
    return this.batches.flatMap((batch) => batch.events);
  }

  /** Events as short strings, keys without the recorder's prefix: 'put a=1@5', 'delete a@6'. */
  summary(): string[] {
    return this.events.map((event) => describeEvent(event, this.prefix));
  }

  onEvents(batch: WatchBatch): void {
    this.batches.push(batch);
    this.wake();
  }

  onCompacted(compactRevision: number): void {
    this.compactions.push(compactRevision);
    this.wake();
  }

  /** Checks the invariants every delivery must keep: order, batch revision, no empty batch. */
  assertWellFormed(): void {
    let previous = 0;
    for (const batch of this.batches) {
      assert.ok(batch.events.length > 0, 'a batch is never empty');
      for (const event of batch.events) {
        assert.ok(eventRevision(event) >= previous, `events in revision order: ${this.summary().join(', ')}`);
        previous = eventRevision(event);
      }
      assert.equal(batch.revision, previous, 'a batch revision is that of its last event');
    }
  }

  waitFor(predicate: () => boolean, what: string, timeoutMs = waitTimeoutMs): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; saw [${this.summary().join(', ')}]`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits until an event at or past the revision has arrived. */
  waitForRevision(revision: number, timeoutMs = waitTimeoutMs): Promise<void> {
    return this.waitFor(() => (this.batches.at(-1)?.revision ?? 0) >= revision, `revision ${revision}`, timeoutMs);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
