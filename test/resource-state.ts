// Owns what the resource tests and benchmarks read back from the nodes' histories: where a
// resource is active and in which role (the last operation recorded on each node decides), and
// a monitor operation for the configurations they write.

import type { PrimitiveConfig } from '../src/resources/model.js';
import type { NodeHistoryRecord } from '../src/resources/records.js';

export type Placement = Map<string, 'Started' | 'Promoted'>;

/** Where each node runs a resource, and in which role, from the nodes' histories. */
export function placement(histories: readonly { id: string; value: NodeHistoryRecord }[], rsc: string): Placement {
  const out: Placement = new Map();
  for (const h of histories) {
    const entry = h.value.resources.find((r) => r.id === rsc);
    const last = [...(entry?.operations ?? [])].filter((o) => !o.id.endsWith('_last_failure_0')).sort((a, b) => a.callId - b.callId).at(-1);
    if (!last) continue;
    const running = last.operation === 'stop' ? last.rc !== 0 : last.rc === 0 || last.rc === 8;
    if (running) out.set(h.id, last.rc === 8 || (last.operation === 'promote' && last.rc === 0) ? 'Promoted' : 'Started');
  }
  return out;
}

export const monitor = (intervalMs: number, role?: 'Promoted' | 'Unpromoted'): PrimitiveConfig['operations'][number] => ({
  id: `monitor-${intervalMs}`, name: 'monitor', intervalMs, timeoutMs: 10_000, enabled: true, meta: {}, ...(role ? { role } : {}),
});
