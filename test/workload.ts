// Owns the client workload used during fault tests: several clients doing register reads and
// writes through the Herd API (each client bound to one node's API), recorded as a history
// for the linearizability checker (src/sim/linearizability.ts). A failure whose outcome is
// unknown (the node or its etcd could not say) is recorded as indeterminate, never as failed.
// Bounded: it stops at `stop()` or after opsMax operations per client.

import type { HerdClient } from '../src/api/client.js';
import type { HistoryEntry } from '../src/sim/linearizability.js';

const definiteFailures = new Set(['invalid', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'too_large']);

export class RegisterWorkload {
  readonly history: HistoryEntry[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];
  okReads = 0;
  okWrites = 0;
  failed = 0;

  constructor(
    private readonly clients: readonly HerdClient[],
    private readonly options: { keys: readonly string[]; opsMax?: number; seed?: number } ,
  ) {}

  start(): void {
    this.clients.forEach((client, clientId) => this.loops.push(this.loop(client, clientId)));
  }

  private async loop(client: HerdClient, clientId: number): Promise<void> {
    let seed = (this.options.seed ?? 1) * 7919 + clientId * 104729;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const opsMax = this.options.opsMax ?? 100_000;
    for (let i = 0; i < opsMax && this.running; i++) {
      const key = this.options.keys[Math.floor(next() * this.options.keys.length)] ?? 'r0';
      const callMs = performance.now();
      if (next() < 0.5) {
        const r = await client.kvGet(key);
        if (r.ok) {
          this.okReads++;
          this.history.push({ clientId, key, op: 'read', output: r.value.value, callMs, returnMs: performance.now(), ok: true });
        } else this.failed++;
      } else {
        const value = `c${clientId}-${i}`;
        const r = await client.kvPut(key, value);
        if (r.ok) {
          this.okWrites++;
          this.history.push({ clientId, key, op: 'write', input: value, callMs, returnMs: performance.now(), ok: true });
        } else {
          this.failed++;
          const definite = definiteFailures.has(r.error.code);
          this.history.push({ clientId, key, op: 'write', input: value, callMs, returnMs: definite ? performance.now() : null, ok: false });
          // A client that lost its answer waits a moment rather than spinning on a dead node.
          if (!definite) await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}
