// Owns the coordinator's resource duty (Pacemaker's DC): whenever the configuration, a node's
// history or membership changes, it builds the planner input from the records, plans, saves
// the input (so any decision replays offline with `herd resource simulate --input`), and runs
// the transition: resource actions through the nodes' executors (with a notify clone's pre and
// post notifications around its instances' actions), fencing through the fencer,
// every write guarded by its fencing token. After a transition ends, or stops on an unexpected
// result, a lost node or a configuration change, it plans again from the new state until
// nothing is left to do.

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cancel, Clock, Timers } from '../core/clock.js';
import type { Timing } from '../core/limits.js';
import type { Failure, Result } from '../core/result.js';
import type { Fencer } from '../fencing/fencer.js';
import type { MembershipView } from '../membership/view.js';
import type { Leadership } from '../store/election.js';
import { recordEvent } from '../store/events.js';
import type { Records } from '../store/records.js';
import { primitivesOf, timeoutOf } from './config-lookup.js';
import { buildPlannerInput } from './input.js';
import type { SavedInput } from './saved-input.js';
import type { Action } from './planner/actions.js';
import { plan } from './planner/plan.js';
import type { Rsc } from './planner/working-set.js';
import { configId, fenceHistoryKind, nodeHistoryKind, type ResourceConfigRecord } from './records.js';
import { graphOf, hasWork, runTransition } from './transition.js';
import { notificationsFor, notifyPhase, type Notification } from './notify.js';
import type { ResourceView } from './view.js';
import type { ResourceActionReply, ResourceActionRequest } from './wire.js';

/** Saved planner inputs kept (Pacemaker's pe-input-series-max). */
const savedInputsMax = 200;
/** Fencing history records kept. */
const fenceHistoryMax = 500;
/** How often the coordinator plans even when nothing changed (Pacemaker's cluster-recheck-interval, shorter). */
const recheckIntervalMs = 60_000;
/** How long to wait before planning again after a transition stopped on a failure. */
const retryAfterFailureMs = 500;

export interface ResourceCoordinatorDeps {
  readonly records: Records;
  readonly membership: MembershipView;
  readonly resources: ResourceView;
  readonly leadership: Leadership;
  readonly timing: Timing;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly self: string;
  /** Sends an action to a node's executor and waits for its answer. */
  readonly send: (node: string, request: ResourceActionRequest, timeoutMs: number) => Promise<Result<ResourceActionReply, Failure>>;
  readonly fencer: (config: ResourceConfigRecord) => Result<Fencer, Failure>;
  /** Where planner inputs are saved. */
  readonly inputsDir: string;
  readonly log: (msg: string) => void;
}

export class ResourceCoordinator {
  private cancels: Cancel[] = [];
  private running = false;
  private dirty = false;
  private stopped = false;
  private sequence = 0;
  private lastWaitLog = '';
  private wake: { readonly atMs: number; readonly cancel: Cancel } | undefined;
  /** Resolves when the loop is idle (for stop()). */
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ResourceCoordinatorDeps) {
    mkdirSync(deps.inputsDir, { recursive: true, mode: 0o700 });
    const saved = readdirSync(deps.inputsDir).map((f) => /^pe-input-(\d+)\.json$/.exec(f)?.[1]).filter((n) => n !== undefined).map(Number);
    this.sequence = saved.length === 0 ? 0 : Math.max(...saved) + 1;
  }

  start(): void {
    const wake = (): void => this.schedule();
    this.cancels.push(this.deps.membership.onChange(wake));
    this.cancels.push(this.deps.resources.onChange(wake));
    // Time alone changes some decisions: a lease margin running out is woken for exactly (see
    // planAndRun); failure-timeout expiry is noticed at the next recheck, as with Pacemaker's
    // cluster-recheck-interval.
    this.cancels.push(this.deps.timers.setInterval(wake, recheckIntervalMs));
    this.schedule();
  }

  schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    this.idle = this.loop().finally(() => { this.running = false; });
  }

  private async loop(): Promise<void> {
    do {
      this.dirty = false;
      const again = await this.planAndRun().catch((e: unknown) => {
        this.deps.log(`resource planning failed: ${(e as Error).stack ?? String(e)}`);
        return false;
      });
      if (again) this.dirty = true;
    } while (this.dirty && !this.stopped);
  }

  /** One round: plan and run one transition. True when it should plan again at once. */
  private async planAndRun(): Promise<boolean> {
    const { clock, membership, resources, timing } = this.deps;
    const nowMs = clock.nowMs();
    const built = buildPlannerInput(resources.snapshot(membership, nowMs, timing.resourceLeaseMarginMs));
    if (built.changesAtMs !== undefined) this.wakeAt(built.changesAtMs - nowMs);
    if (built.unready.length > 0) {
      const text = `waiting for the probes of ${built.unready.join(', ')}`;
      if (text !== this.lastWaitLog) this.deps.log(text);
      this.lastWaitLog = text;
      return false;
    }
    this.lastWaitLog = '';
    const nowS = Math.floor(nowMs / 1000);
    const transition = plan(built.input, nowS);
    const steps = graphOf(transition.actions);
    if (!hasWork(steps)) return false;
    const saved = this.save({ nowS, input: built.input });
    const summary = transition.summary.map((l) => `  * ${l.text}`).join('\n');
    this.deps.log(`transition ${saved}: ${steps.filter((s) => !s.action.pseudo).length} action(s)${summary ? `\n${summary}` : ''}`);
    if (summary) {
      const text = transition.summary.map((l) => l.text.replace(/\s+/g, ' ')).join('; ');
      void recordEvent(this.deps.records, { atMs: nowMs, node: this.deps.self, kind: 'transition', severity: 'info', subject: `transition ${saved}`, message: text.slice(0, 4000) }, [this.deps.leadership.guard]);
    }
    let revision = 0;
    const config = resources.currentConfig();
    // Like Pacemaker, a node lost mid-transition aborts it: its actions will not answer. A
    // configuration change stops new actions from starting; those in flight finish.
    const abort = this.abortOnNodeLoss(saved);
    const configRevision = resources.config.get(configId)?.modRevision;
    const configChanged = (): boolean => resources.config.get(configId)?.modRevision !== configRevision;
    const online = transition.set.nodes.filter((n) => n.online).map((n) => n.name);
    const outcome = await runTransition(steps, async (action) => {
      const phase = notifyPhase(action);
      if (phase) return this.notify(notificationsFor(phase, transition.actions, online), config);
      const r = await Promise.race([this.carryOut(action, config), abort.lost.then(() => ({ ok: false, revision: 0 }))]);
      revision = Math.max(revision, r.revision);
      return r.ok;
    }, {
      inFlightMax: 32, stopped: () => this.stopped || abort.aborted() || configChanged(),
      pseudoWork: (action) => notifyPhase(action) !== undefined,
    }).finally(abort.cancel);
    // Plan the next round from a view that holds every result of this one.
    await this.caughtUp(revision);
    if (outcome.failed.length > 0) {
      const message = `transition ${saved} stopped: ${outcome.failed.map(describe).join(', ')} did not succeed; planning again`;
      this.deps.log(message);
      await recordEvent(this.deps.records, { atMs: clock.nowMs(), node: this.deps.self, kind: 'transition', severity: 'warning', subject: `transition ${saved}`, message: message.slice(0, 1000) }, [this.deps.leadership.guard]);
      await new Promise<void>((resolve) => this.deps.timers.setTimeout(resolve, retryAfterFailureMs));
    }
    return true;
  }

  /** Plans again after `delayMs` (one pending wake-up at a time, the earliest). */
  private wakeAt(delayMs: number): void {
    const atMs = this.deps.clock.monotonicMs() + Math.max(0, delayMs);
    if (this.wake && this.wake.atMs <= atMs) return;
    this.wake?.cancel();
    const cancel = this.deps.timers.setTimeout(() => {
      this.wake = undefined;
      this.schedule();
    }, Math.max(0, delayMs) + 1);
    this.wake = { atMs, cancel };
  }

  /** Resolves `lost` when a node that was up when the transition was planned no longer is. */
  private abortOnNodeLoss(transition: number): { lost: Promise<void>; aborted: () => boolean; cancel: () => void } {
    const { membership } = this.deps;
    const up = (name: string): boolean => ['online', 'standby', 'maintenance'].includes(membership.statuses.get(name)?.value.state ?? '');
    const watched = membership.nodes.values().map((n) => n.id).filter(up);
    let aborted = false;
    let wake = (): void => {};
    const lost = new Promise<void>((resolve) => (wake = resolve));
    const cancel = membership.onChange(() => {
      const gone = watched.find((n) => !up(n));
      if (gone === undefined || aborted) return;
      aborted = true;
      this.deps.log(`transition ${transition} aborted: node ${gone} is ${membership.statuses.get(gone)?.value.state ?? 'gone'}`);
      wake();
    });
    return { lost, aborted: () => aborted, cancel };
  }

  private async carryOut(action: Action, config: ResourceConfigRecord): Promise<{ ok: boolean; revision: number }> {
    if (action.task === 'stonith') return this.fence(action, config);
    const rsc = action.rsc;
    const node = action.node;
    if (!rsc || !node) return { ok: false, revision: 0 };
    const request = this.requestFor(rsc, action.task as ResourceActionRequest['action'], config);
    if (!request) return { ok: false, revision: 0 };
    const reply = await this.deps.send(node.name, request, request.timeoutMs + 5000);
    if (!reply.ok) {
      this.deps.log(`${action.task} ${rsc.id} on ${node.name}: ${reply.error.message}`);
      return { ok: false, revision: 0 };
    }
    if (!reply.value.ok) this.deps.log(`${action.task} ${rsc.id} on ${node.name} failed: rc ${reply.value.rc} (${reply.value.status}) ${reply.value.exitReason ?? ''}`);
    return { ok: reply.value.ok, revision: reply.value.revision };
  }

  /** Sends one phase's notifications; like Pacemaker, a failed notification does not stop the transition. */
  private async notify(notifications: readonly Notification[], config: ResourceConfigRecord): Promise<boolean> {
    await Promise.all(notifications.map(async (n) => {
      const request = this.requestFor(n.instance, 'notify', config, n.meta);
      if (!request) return;
      const reply = await this.deps.send(n.node, request, request.timeoutMs + 5000);
      if (!reply.ok || !reply.value.ok) this.deps.log(`notify (${n.meta['notify_type']}-${n.meta['notify_operation']}) of ${n.instance.id} on ${n.node} failed: ${reply.ok ? `rc ${reply.value.rc}` : reply.error.message}`);
    }));
    return true;
  }

  /** The request for one action of a primitive instance, from its configuration; undefined when it is no longer configured. */
  private requestFor(rsc: Rsc, action: ResourceActionRequest['action'], config: ResourceConfigRecord, extraMeta?: Readonly<Record<string, string>>): ResourceActionRequest | undefined {
    const entry = primitivesOf(config).find((p) => p.config.id === rsc.baseId);
    if (!entry) return undefined;
    const { config: p } = entry;
    return {
      token: this.deps.leadership.token, resource: historyIdOf(rsc), class: p.class, ...(p.provider === undefined ? {} : { provider: p.provider }), type: p.type,
      action, intervalMs: 0, timeoutMs: timeoutOf(p, action, 0, config), params: { ...p.params }, meta: { ...entry.meta, ...cloneMeta(rsc) },
      ...(extraMeta === undefined ? {} : { extraMeta: { ...extraMeta } }),
    };
  }

  /** Fences a node; on success its history is erased. The revision is that of the last write, for the next plan to wait on. */
  private async fence(action: Action, config: ResourceConfigRecord): Promise<{ ok: boolean; revision: number }> {
    const { records, leadership, self } = this.deps;
    const failed = { ok: false, revision: 0 };
    const target = action.node;
    if (!target) return failed;
    const fencer = this.deps.fencer(config);
    if (!fencer.ok) {
      this.deps.log(`cannot fence ${target.name}: ${fencer.error.message}`);
      return failed;
    }
    const kind = action.fenceAction === 'off' ? 'off' : 'reboot';
    this.deps.log(`fencing ${target.name} (${kind}): ${action.reason ?? 'lost'}`);
    const r = await fencer.value.fence(target.name, kind, { requestedBy: self });
    if (!r.ok) {
      this.deps.log(`fencing ${target.name} could not run: ${r.error.message}`);
      return failed;
    }
    const record = r.value;
    const id = `${String(record.completedAtMs).padStart(15, '0')}-${target.name}`;
    const written = await records.put(fenceHistoryKind, id, { ...record, reason: record.reason.slice(0, 2048) }, 'absent', { guards: [leadership.guard] });
    if (!written.ok) return failed;
    const done = record.state === 'done';
    await recordEvent(records, {
      atMs: record.completedAtMs, node: self, kind: 'fencing', severity: done ? 'warning' : 'error', subject: target.name,
      message: done ? `node ${target.name} was fenced (${kind}) by ${record.devices.join(', ')}` : `fencing ${target.name} failed: ${record.reason}`,
    }, [leadership.guard]);
    if (!done) return failed;
    // Like Pacemaker erasing a fenced node's status: it runs nothing now.
    const erased = await records.delete(nodeHistoryKind, target.name, 'any', [leadership.guard]);
    await this.trimFenceHistory();
    return { ok: erased.ok, revision: erased.ok ? erased.value.revision : written.value.revision };
  }

  private async trimFenceHistory(): Promise<void> {
    const all = this.deps.resources.fencing.values().map((r) => r.id).sort();
    for (const id of all.slice(0, Math.max(0, all.length - fenceHistoryMax))) {
      await this.deps.records.delete(fenceHistoryKind, id, 'any', [this.deps.leadership.guard]);
    }
  }

  /** Waits (bounded) until the resource view reflects `revision`. */
  private async caughtUp(revision: number): Promise<void> {
    const deadline = this.deps.clock.monotonicMs() + 5000;
    while (this.deps.resources.revision() < revision && this.deps.clock.monotonicMs() < deadline && !this.stopped) {
      await new Promise<void>((resolve) => this.deps.timers.setTimeout(resolve, 10));
    }
  }

  private save(saved: SavedInput): number {
    const n = this.sequence++;
    const { inputsDir } = this.deps;
    try {
      writeFileSync(join(inputsDir, `pe-input-${n}.json`), JSON.stringify(saved));
      const old = n - savedInputsMax;
      if (old >= 0) rmSync(join(inputsDir, `pe-input-${old}.json`), { force: true });
    } catch (e) {
      this.deps.log(`cannot save planner input ${n}: ${(e as Error).message}`);
    }
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.cancel();
    for (const c of this.cancels) c();
    this.cancels = [];
    await this.idle;
  }
}

/** The settings of the clone a resource is an instance of (or inside), if any. */
function cloneOf(rsc: Rsc): Rsc['clone'] {
  let p = rsc.parent;
  while (p && !p.clone) p = p.parent;
  return p?.clone;
}

/** The id a node's executor and history know a resource by: anonymous clone instances share their primitive's id. */
function historyIdOf(rsc: Rsc): string {
  const c = cloneOf(rsc);
  return c && !c.unique ? rsc.baseId : rsc.id;
}

/** Clone settings as the meta attributes Pacemaker gives agents (OCF_RESKEY_CRM_meta_clone_max, ...). */
function cloneMeta(rsc: Rsc): Record<string, string> {
  const c = cloneOf(rsc);
  if (!c) return {};
  return {
    'clone-max': String(c.max), 'clone-node-max': String(c.nodeMax), 'globally-unique': String(c.unique), notify: String(c.notify),
    ...(c.promotable ? { 'promoted-max': String(c.promotedMax), 'promoted-node-max': String(c.promotedNodeMax) } : {}),
  };
}

const describe = (a: Action): string => `${a.task} ${a.rsc?.id ?? ''}${a.node ? ` on ${a.node.name}` : ''}`.replace(/\s+/g, ' ');
