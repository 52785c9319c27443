// Owns the coordinator's membership duty: it receives heartbeats, runs the pure failure
// detector (detector.ts) every tick over the view's observations, and commits each node state
// change with the coordinator's fencing guard, plus an event. It also trims the event log.
// Runs only while this herdd holds the leadership; a deposed coordinator's writes fail.

import type { Cancel, Clock, Timers } from '../core/clock.js';
import type { Timing } from '../core/limits.js';
import type { Leadership } from '../store/election.js';
import { recordEvent, trimEvents } from '../store/events.js';
import type { Records } from '../store/records.js';
import { judgeNodes, type NodeVerdict } from './detector.js';
import { nodeStatus } from './records.js';
import type { MembershipView } from './view.js';

export class MembershipCoordinator {
  private readonly lastHeartbeatMs = new Map<string, number>();
  private readonly writing = new Set<string>();
  private cancels: Cancel[] = [];
  private readonly sinceMs: number;

  constructor(
    private readonly deps: {
      records: Records;
      view: MembershipView;
      leadership: Leadership;
      timing: Timing;
      clock: Clock;
      timers: Timers;
      self: string;
      log: (msg: string) => void;
    },
  ) {
    this.sinceMs = deps.clock.monotonicMs();
  }

  start(): void {
    const { timers, timing } = this.deps;
    this.cancels.push(timers.setInterval(() => this.tick(), timing.detectorTickMs));
    this.cancels.push(timers.setInterval(() => void trimEvents(this.deps.records, [this.deps.leadership.guard]), 30_000));
    void recordEvent(
      this.deps.records,
      { atMs: this.deps.clock.nowMs(), node: this.deps.self, kind: 'coordinator', severity: 'info', subject: this.deps.self, message: `${this.deps.self} is the coordinator (fencing token ${this.deps.leadership.token})` },
      [this.deps.leadership.guard],
    );
  }

  heartbeat(node: string): void {
    this.lastHeartbeatMs.set(node, this.deps.clock.monotonicMs());
  }

  private tick(): void {
    const { view, clock, timing } = this.deps;
    const now = clock.monotonicMs();
    const verdicts = judgeNodes(view.observations((n) => this.lastHeartbeatMs.get(n)), now, this.sinceMs, timing);
    for (const [name, verdict] of verdicts) {
      const current = view.statuses.get(name);
      if (current?.value.state === verdict.state || this.writing.has(name)) continue;
      this.writing.add(name);
      void this.commitState(name, verdict, current?.value.state, current?.modRevision).finally(() => this.writing.delete(name));
    }
  }

  private async commitState(name: string, verdict: NodeVerdict, previous: string | undefined, modRevision: number | undefined): Promise<void> {
    const { records, leadership, clock, self } = this.deps;
    const atMs = clock.nowMs();
    const r = await records.put(
      nodeStatus,
      name,
      { state: verdict.state, reason: verdict.reason, sinceMs: atMs, decidedBy: leadership.token },
      modRevision ?? 'absent',
      { guards: [leadership.guard] },
    );
    if (!r.ok) return; // Re-judged on the next tick against fresh cache contents.
    const severity = verdict.state === 'unclean' ? 'error' : verdict.state === 'suspect' ? 'warning' : 'info';
    this.deps.log(`node ${name}: ${previous ?? 'new'} -> ${verdict.state} (${verdict.reason})`);
    await recordEvent(
      records,
      { atMs, node: self, kind: 'node_state', severity, subject: name, message: `node ${name} is ${verdict.state} (was ${previous ?? 'unknown'}): ${verdict.reason}` },
      [leadership.guard],
    );
  }

  stop(): void {
    for (const c of this.cancels) c();
    this.cancels = [];
  }
}
