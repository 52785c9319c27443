// Owns EtcdWatch: one Store watch over one raw etcd gRPC watch stream, for the etcd store.
//
// Inputs: the etcd3 client, a prefix, the first revision wanted, and the caller's handlers.
// Outputs: WatchBatch deliveries and at most one onCompacted call.
//
// Why not etcd3's Watcher: it resumes from the response header's revision + 1, but etcd stamps
// replayed batches (and the `created` reply) with the store's current revision, so a disconnect
// in the middle of a replay would silently skip events; and it drops compact_revision on the
// floor. Here the resume point is the revision of the last delivered event + 1 (etcd never splits
// one revision's events over two responses), and events below it are dropped, so after any number
// of reconnects every change is delivered exactly once, in revision order, or onCompacted is
// called once and the watch stops. Reconnects back off (limits.storeWatchReconnect*Ms).
// Known gap: the stream does not carry etcd's `hasleader` metadata (etcd3 builds the call), so a
// watch on a member cut off from its quorum stays quiet instead of failing over; writes stay safe
// (they need a quorum), only the watch is stale until the member rejoins.

import type { Etcd3, IDuplexStream, IWatchRequest, IWatchResponse, IKeyValue } from 'etcd3';
import { limits } from '../core/limits.js';
import { assert } from '../core/result.js';
import { backoffMs, systemRandom } from '../core/random.js';
import type { KeyValue, Watch, WatchEvent, WatchHandlers } from './types.js';

/** The etcd key range of a prefix: [prefix, end). The empty prefix is the whole key space. */
export function prefixRange(prefix: string): { key: Buffer; range_end: Buffer } {
  const key = Buffer.from(prefix, 'utf8');
  if (key.length === 0) return { key: Buffer.from([0]), range_end: Buffer.from([0]) };
  const end = Buffer.from(key);
  for (let index = end.length - 1; index >= 0; index--) {
    const byte = end[index];
    assert(byte !== undefined, 'index is within the buffer');
    if (byte < 0xff) {
      end[index] = byte + 1;
      return { key, range_end: end.subarray(0, index + 1) };
    }
  }
  return { key, range_end: Buffer.from([0]) }; // all 0xff: everything from key on
}

export function revisionNumber(text: string): number {
  const revision = Number(text);
  assert(Number.isSafeInteger(revision) && revision >= 0, `etcd revision ${text} is not a safe integer`);
  return revision;
}

export function toKeyValue(kv: IKeyValue): KeyValue {
  const base = {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: revisionNumber(kv.create_revision),
    modRevision: revisionNumber(kv.mod_revision),
    version: revisionNumber(kv.version),
  };
  return kv.lease === '0' || kv.lease === '' ? base : { ...base, lease: kv.lease };
}

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

export class EtcdWatch implements Watch {
  private nextRevision: number;
  private stream: WatchStream | undefined;
  /** Bumped on every (re)connect; callbacks from older streams are ignored. */
  private generation = 0;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    fromRevision: number,
    private readonly handlers: WatchHandlers,
  ) {
    assert(Number.isSafeInteger(fromRevision) && fromRevision >= 1, `watch from revision ${fromRevision}: must be >= 1`);
    this.nextRevision = fromRevision;
    this.connect();
  }

  cancel(): void {
    this.stop();
  }

  private stop(): void {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.retryTimer);
    this.stream?.cancel();
    this.stream = undefined;
  }

  private connect(): void {
    const generation = ++this.generation;
    this.client.watchClient.watch().then(
      (stream) => {
        if (generation !== this.generation) {
          stream.cancel();
          return;
        }
        this.stream = stream;
        stream.on('data', (response) => this.onResponse(generation, response));
        stream.on('error', () => this.onBroken(generation));
        stream.on('end', () => this.onBroken(generation));
        stream.write({ create_request: { ...prefixRange(this.prefix), start_revision: this.nextRevision } });
      },
      () => this.onBroken(generation),
    );
  }

  /** The stream failed or ended: reconnect from nextRevision after a backoff. */
  private onBroken(generation: number): void {
    if (generation !== this.generation || this.stopped) return;
    this.generation++;
    this.stream?.cancel();
    this.stream = undefined;
    const delayMs = backoffMs(this.attempt++, limits.storeWatchReconnectBaseMs, limits.storeWatchReconnectMaxMs, systemRandom);
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.connect();
    }, delayMs);
  }

  private onResponse(generation: number, response: IWatchResponse): void {
    if (generation !== this.generation || this.stopped) return;
    if (response.created && !response.canceled) this.attempt = 0;
    const compactRevision = revisionNumber(response.compact_revision || '0');
    if (compactRevision > 0) {
      this.stop();
      this.handlers.onCompacted(compactRevision);
      return;
    }
    if (response.canceled) {
      this.onBroken(generation); // canceled by etcd for another reason: start over
      return;
    }
    const events: WatchEvent[] = [];
    for (const event of response.events) {
      const revision = revisionNumber(event.kv.mod_revision);
      if (revision < this.nextRevision) continue; // already delivered before a reconnect
      if (String(event.type).toLowerCase() === 'delete') {
        events.push({ type: 'delete', key: event.kv.key.toString('utf8'), modRevision: revision });
      } else {
        events.push({ type: 'put', kv: toKeyValue(event.kv) });
      }
    }
    const last = events[events.length - 1];
    if (last === undefined) return;
    const revision = last.type === 'put' ? last.kv.modRevision : last.modRevision;
    this.nextRevision = revision + 1;
    try {
      this.handlers.onEvents({ events, revision });
    } catch (error) {
      // A throwing handler is a bug in the caller: surface it, but not as a gRPC stream error.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
