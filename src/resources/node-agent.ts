// Owns a node's resource duties (Pacemaker's controller and executor on one node): it runs the
// actions the coordinator sends (`resource-action`) through the executor, probes every
// configured resource when it joins and whenever its history lacks one (after a cleanup or a
// configuration change), keeps the recurring monitors of each active resource's role running,
// and records every result in its own history record. When its lease goes unrenewed for
// resourceSelfStopAfterMs it stops everything it runs (self-fencing) before anyone may start
// those resources elsewhere; once back in the cluster it starts a fresh history.

import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cancel, Clock, Timers } from '../core/clock.js';
import type { Timing } from '../core/limits.js';
import { ok, type Failure, type Result } from '../core/result.js';
import type { NodeAgent } from '../membership/agent.js';
import type { MembershipView } from '../membership/view.js';
import type { Records } from '../store/records.js';
import { recordEvent } from '../store/events.js';
import { Executor, type ClassRegistry, type Operation, type OperationRecord as ExecRecord, type Outcome } from './executor/index.js';
import type { OperationConfig, PrimitiveConfig } from './model.js';
import { recordResult, withPromotionScores, type AgentIdentity, type OperationResult } from './op-history.js';
import { operationDigest } from './planner/definition.js';
import { nodeHistoryKind, type NodeHistoryRecord, type ResourceConfigRecord } from './records.js';
import { defaultOperationTimeoutMs, primitivesOf, startFailureIsFatal, timeoutOf } from './config-lookup.js';
import type { ResourceView } from './view.js';
import { resourceActionRequest, type ResourceActionReply, type ResourceActionRequest } from './wire.js';

type LocalRole = 'Started' | 'Promoted' | 'Unpromoted';

interface Active {
  role: LocalRole;
  readonly request: Pick<ResourceActionRequest, 'resource' | 'class' | 'provider' | 'type' | 'params' | 'meta'>;
  /** Recurring monitors running now: interval ms. */
  monitors: number[];
  readonly sequence: number;
}

export interface ResourceNodeDeps {
  readonly records: Records;
  readonly membership: MembershipView;
  readonly agent: NodeAgent;
  readonly resources: ResourceView;
  readonly registry: ClassRegistry;
  readonly self: string;
  readonly timing: Timing;
  readonly clock: Clock;
  readonly timers: Timers;
  /** Where agents publish promotion scores (HERD_ATTRIBUTES_DIR). */
  readonly attributesDir: string;
  readonly log: (msg: string) => void;
}

export class ResourceNode {
  readonly executor: Executor;
  private readonly active = new Map<string, Active>();
  private sequence = 0;
  private historyKey: string | undefined;
  private writes: Promise<unknown> = Promise.resolve();
  private probing = false;
  private selfStopped = false;
  private stopping = false;
  private cancels: Cancel[] = [];

  constructor(private readonly deps: ResourceNodeDeps) {
    mkdirSync(deps.attributesDir, { recursive: true, mode: 0o700 });
    this.executor = new Executor({ clock: deps.clock, timers: deps.timers, registry: deps.registry, onResult: (r) => this.onRecurring(r) });
  }

  start(): void {
    const { agent, timers, resources } = this.deps;
    this.cancels.push(agent.onMembershipChange((inCluster) => { if (inCluster) void this.rejoin(); }));
    this.cancels.push(resources.onChange(() => this.probeMissing()));
    this.cancels.push(timers.setInterval(() => this.checkLease(), 100));
    if (agent.inCluster) void this.rejoin();
  }

  /** The history key of this stay in the cluster: the coordinator trusts only a history written under the current one. */
  private currentKey(): string {
    return `${this.deps.agent.incarnation}@${this.deps.agent.registeredRevision}`;
  }

  private async rejoin(): Promise<void> {
    const key = this.currentKey();
    if (this.historyKey === key) return;
    this.historyKey = key;
    this.selfStopped = false;
    const fresh: NodeHistoryRecord = { incarnation: key, createdAtMs: this.deps.clock.nowMs(), attributes: {}, resources: [] };
    await this.write(() => fresh, true);
    // Whatever still runs here (a restart without a reboot) is found by the probes and kept monitored.
    this.probeMissing();
  }

  /** Probes every configured primitive this node's history does not cover yet. */
  private probeMissing(): void {
    if (this.probing || this.stopping || this.selfStopped || this.historyKey !== this.currentKey()) return;
    const history = this.deps.resources.histories.get(this.deps.self)?.value;
    if (history?.incarnation !== this.historyKey) return;
    const known = new Set(history.resources.map((r) => r.id));
    const config = this.deps.resources.currentConfig();
    const missing = primitivesOf(config).filter((p) => !known.has(p.config.id));
    if (missing.length === 0) return;
    this.probing = true;
    void Promise.all(missing.map((p) => this.run(this.requestOf(p.config, p.meta, 'monitor', 0, config), 7)))
      .finally(() => {
        this.probing = false;
        // A change that arrived while probing is looked at again.
        this.probeMissing();
      });
  }

  private requestOf(p: PrimitiveConfig, meta: Readonly<Record<string, string>>, action: ResourceActionRequest['action'], intervalMs: number, config: ResourceConfigRecord): ResourceActionRequest {
    return {
      token: 0, resource: p.id, class: p.class, ...(p.provider === undefined ? {} : { provider: p.provider }), type: p.type,
      action, intervalMs, timeoutMs: timeoutOf(p, action, intervalMs, config), params: { ...p.params }, meta: { ...meta },
    };
  }

  /** The peer handler: validates the request and its coordinator, runs it, answers once the history holds the result. */
  async handle(params: unknown): Promise<ResourceActionReply> {
    const parsed = resourceActionRequest.safeParse(params);
    if (!parsed.success) throw Object.assign(new Error(`invalid resource action: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`), { code: 'invalid' });
    const request = parsed.data;
    const coordinator = this.deps.membership.coordinator();
    if (coordinator?.token !== request.token) throw Object.assign(new Error(`token ${request.token} is not the current coordinator's`), { code: 'not_coordinator' });
    if (this.selfStopped || !this.deps.agent.inCluster || this.historyKey !== this.currentKey()) {
      throw Object.assign(new Error(`${this.deps.self} is not in the cluster right now`), { code: 'unavailable' });
    }
    if (request.action === 'notify') return this.notify(request);
    const expected = request.action === 'monitor' && request.intervalMs === 0 ? 7 : 0;
    return this.run(request, expected);
  }

  /** A clone notification: it changes neither the resource's role nor its history (its result is only reported). */
  private async notify(request: ResourceActionRequest): Promise<ResourceActionReply> {
    const record = await this.executor.run(operationOf(request, {}));
    if (!record.ok) return { rc: 1, status: 'error', ok: false, exitReason: record.error.message, callId: 0, revision: 0 };
    const r = record.value;
    return { rc: r.rc, status: r.status, ok: !r.failed, callId: r.callId, revision: 0, ...(r.exitReason === undefined ? {} : { exitReason: r.exitReason }) };
  }

  private async run(request: ResourceActionRequest, expectedRc: number): Promise<ResourceActionReply> {
    const record = await this.executor.run(operationOf(request, {}));
    if (!record.ok) {
      const failed = { action: request.action, intervalMs: request.intervalMs, rc: 1, status: 'error', callId: 0, expectedRc, failed: true, exitReason: record.error.message };
      const revision = await this.record(request, failed);
      return { rc: 1, status: 'error', ok: false, exitReason: record.error.message, callId: 0, revision };
    }
    const r = record.value;
    this.afterAction(request, r);
    const revision = await this.record(request, { action: r.action, intervalMs: r.intervalMs, rc: r.rc, status: r.status, callId: r.callId, expectedRc, failed: r.failed, ...(r.exitReason === undefined ? {} : { exitReason: r.exitReason }) });
    return { rc: r.rc, status: r.status, ok: !r.failed, callId: r.callId, revision, ...(r.exitReason === undefined ? {} : { exitReason: r.exitReason }) };
  }

  /** Keeps the local role and the recurring monitors in step with what an action achieved. */
  private afterAction(request: ResourceActionRequest, r: ExecRecord): void {
    const id = request.resource;
    const runningAs = (outcome: Outcome, action: string): LocalRole | undefined => {
      if (outcome === 'running_promoted') return 'Promoted';
      if (outcome !== 'ok') return undefined;
      if (action === 'promote') return 'Promoted';
      if (action === 'demote') return 'Unpromoted';
      return 'Started';
    };
    if (request.action === 'stop') {
      if (!r.failed) this.forget(id);
      return;
    }
    if (r.failed && request.action !== 'monitor') return;
    const role = runningAs(r.outcome, request.action);
    if (role === undefined) {
      if (request.action === 'monitor') this.forget(id);
      return;
    }
    const previous = this.active.get(id);
    const entry: Active = previous ?? { role, request, monitors: [], sequence: ++this.sequence };
    entry.role = role;
    this.active.set(id, entry);
    this.syncMonitors(entry);
  }

  private forget(id: string): void {
    this.executor.cancelAll(id);
    this.active.delete(id);
  }

  private syncMonitors(entry: Active): void {
    const config = this.deps.resources.currentConfig();
    const p = primitivesOf(config).find((x) => x.config.id === entry.request.resource);
    const wanted = (p?.config.operations ?? []).filter((o) => o.name === 'monitor' && o.intervalMs > 0 && o.enabled && roleMatches(o, entry.role));
    for (const interval of entry.monitors) this.executor.cancelRecurring(entry.request.resource, 'monitor', interval);
    entry.monitors = [];
    if (!p) return;
    for (const o of wanted) {
      const request = this.requestOf(p.config, p.meta, 'monitor', o.intervalMs, config);
      const expectedOutcome: Outcome = entry.role === 'Promoted' ? 'running_promoted' : 'ok';
      const started = this.executor.startRecurring(operationOf(request, { expectedOutcome }));
      if (started.ok) entry.monitors.push(o.intervalMs);
      else this.deps.log(`cannot monitor ${request.resource} every ${o.intervalMs} ms: ${started.error.message}`);
    }
  }

  private onRecurring(r: ExecRecord): void {
    if (r.intervalMs === 0 || this.stopping) return;
    const entry = this.active.get(r.resourceId);
    if (!entry) return;
    const expectedRc = entry.role === 'Promoted' ? 8 : 0;
    if (r.failed) {
      const message = `monitor of ${r.resourceId} on ${this.deps.self} failed: rc ${r.rc} (${r.status})${r.exitReason ? `: ${r.exitReason}` : ''}`;
      this.deps.log(message);
      void recordEvent(this.deps.records, { atMs: this.deps.clock.nowMs(), node: this.deps.self, kind: 'resource_failed', severity: 'error', subject: r.resourceId, message });
    }
    void this.record({ ...entry.request, token: 0, action: 'monitor', intervalMs: r.intervalMs, timeoutMs: 1 }, {
      action: 'monitor', intervalMs: r.intervalMs, rc: r.rc, status: r.status, callId: r.callId, expectedRc, failed: r.failed,
      ...(r.exitReason === undefined ? {} : { exitReason: r.exitReason }),
    });
  }

  private record(request: ResourceActionRequest, result: OperationResult): Promise<number> {
    const agent: AgentIdentity = { id: request.resource, class: request.class, ...(request.provider === undefined ? {} : { provider: request.provider }), type: request.type };
    result = { ...result, digest: operationDigest(request.params) };
    const fatal = startFailureIsFatal(this.deps.resources.currentConfig());
    const nowS = Math.floor(this.deps.clock.nowMs() / 1000);
    return this.write((h) => withPromotionScores(recordResult(h, agent, result, nowS, fatal), this.promotionScores()));
  }

  private promotionScores(): Record<string, string> {
    const out: Record<string, string> = {};
    try {
      for (const name of readdirSync(this.deps.attributesDir)) {
        if (name.startsWith('master-') && !name.endsWith('.tmp')) out[name] = readFileSync(join(this.deps.attributesDir, name), 'utf8').trim();
      }
    } catch {
      // No scores published yet.
    }
    return out;
  }

  /**
   * Serialized read-modify-write of this node's history under the current key; retried until it
   * lands or the key changes. Resolves with the store revision of the write (0 if it never landed).
   */
  private write(change: (h: NodeHistoryRecord) => NodeHistoryRecord, replace = false): Promise<number> {
    const key = this.historyKey;
    const next = this.writes.then(async (): Promise<number> => {
      for (let attempt = 0; attempt < 50 && !this.stopping && key === this.historyKey; attempt++) {
        const r = await this.deps.records.update(nodeHistoryKind, this.deps.self, (current): Result<NodeHistoryRecord, Failure> => {
          if (replace || current === undefined || current.incarnation !== key) return ok(change({ incarnation: key ?? '', createdAtMs: this.deps.clock.nowMs(), attributes: {}, resources: [] }));
          return ok(change(current));
        });
        if (r.ok) return r.value.revision;
        if (r.error.code === 'invalid' || r.error.code === 'too_large') {
          this.deps.log(`cannot record resource history: ${r.error.message}`);
          return 0;
        }
        await new Promise<void>((resolve) => this.deps.timers.setTimeout(resolve, 100));
      }
      return 0;
    });
    this.writes = next.catch(() => {});
    return next;
  }

  /** Self-fencing: a node that cannot renew its lease stops what it runs before the lease can expire. */
  private checkLease(): void {
    if (this.selfStopped || this.active.size === 0) return;
    const since = this.deps.agent.msSinceLeaseRenewal();
    if (since !== undefined && since < this.deps.timing.resourceSelfStopAfterMs && this.deps.agent.inCluster) return;
    this.selfStopped = true;
    // No event: the store is out of reach; the log and the next fresh history tell the story.
    this.deps.log(`lease unrenewed for ${since ?? 'more than its TTL'} ms: stopping ${this.active.size} resource(s) before it can expire`);
    void this.stopAll();
  }

  /** Stops every active resource, latest started first. */
  async stopAll(): Promise<void> {
    const order = [...this.active.values()].sort((a, b) => b.sequence - a.sequence);
    for (const entry of order) {
      const config = this.deps.resources.currentConfig();
      const p = primitivesOf(config).find((x) => x.config.id === entry.request.resource);
      this.executor.cancelAll(entry.request.resource);
      if (entry.role === 'Promoted') {
        await this.executor.run(operationOf(entry.request, { action: 'demote', intervalMs: 0, timeoutMs: p ? timeoutOf(p.config, 'demote', 0, config) : defaultOperationTimeoutMs }));
      }
      const r = await this.executor.run(operationOf(entry.request, { action: 'stop', intervalMs: 0, timeoutMs: p ? timeoutOf(p.config, 'stop', 0, config) : defaultOperationTimeoutMs }));
      if (!r.ok || r.value.failed) this.deps.log(`self-stop of ${entry.request.resource} failed: ${r.ok ? `rc ${r.value.rc}` : r.error.message}`);
      this.active.delete(entry.request.resource);
    }
  }

  /** Local resources and roles, for tests and status. */
  activeResources(): ReadonlyMap<string, LocalRole> {
    return new Map([...this.active].map(([id, a]) => [id, a.role]));
  }

  async close(): Promise<void> {
    this.stopping = true;
    for (const c of this.cancels) c();
    this.cancels = [];
    await this.executor.close();
    await this.writes.catch(() => {});
  }
}

/** The executor's operation for a request, with some fields replaced. */
function operationOf(request: Active['request'] & Partial<ResourceActionRequest>, changes: Partial<Operation>): Operation {
  return {
    resourceId: request.resource, class: request.class, type: request.type, ...(request.provider === undefined ? {} : { provider: request.provider }),
    action: request.action ?? 'monitor', intervalMs: request.intervalMs ?? 0, timeoutMs: request.timeoutMs ?? defaultOperationTimeoutMs,
    params: request.params, meta: request.meta, ...(request.extraMeta === undefined ? {} : { extraMeta: request.extraMeta }), ...changes,
  };
}

/** Whether a monitor operation applies to a role: one without a role monitors every role but Promoted. */
function roleMatches(o: OperationConfig, role: LocalRole): boolean {
  if (o.role === undefined) return role !== 'Promoted';
  return o.role === role || (o.role === 'Started' && role === 'Unpromoted');
}

