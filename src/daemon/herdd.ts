// Owns herdd's wiring: it loads the node's configuration and TLS material, starts the local
// etcd member (voters), connects the store, bootstraps a new cluster's first records, and
// starts the membership and resource views, the peer server, the API server, the node agent
// with its resource executor (ResourceNode), and (voters) the coordinator election, whose
// winner runs the membership and resource coordinators; stop() undoes them in reverse, a clean
// stop taking the node's resources down first. No decisions live here.

import { join } from 'node:path';
import { existsSync, mkdirSync, rmSync, renameSync } from 'node:fs';
import { systemClock, systemTimers, withDeadline } from '../core/clock.js';
import { splitHostPort, type NodeConfig } from '../core/config.js';
import { timingDefaults, type Timing } from '../core/limits.js';
import { systemRandom } from '../core/random.js';
import { err, ok, type Failure, type Result } from '../core/result.js';
import { PeerClient } from '../net/client.js';
import { PeerServer } from '../net/transport.js';
import { EtcdStore } from '../store/etcd.js';
import { EtcdMember, etcdClient, addMember, listMembers } from '../store/etcd-member.js';
import { Election, type Leadership } from '../store/election.js';
import { coordinatorKeyOf, Records } from '../store/records.js';
import { recordEvent } from '../store/events.js';
import { MembershipView } from '../membership/view.js';
import { MembershipCoordinator } from '../membership/coordinator.js';
import { NodeAgent } from '../membership/agent.js';
import { admit } from '../membership/admission.js';
import { CoordinatorWatchdog } from '../membership/watchdog.js';
import { buildApp, startApiServer, openApiDocument, route, type ApiServer } from '../api/server.js';
import { clusterRoutes } from '../api/routes/cluster.js';
import { accessRoutes } from '../api/routes/access.js';
import { kvRoutes } from '../api/routes/kv.js';
import { resourceManagerRoutes } from '../api/routes/resources.js';
import type { ApiContext } from '../api/context.js';
import { dataPaths, loadNodeConfig, readText, writeFileDurable, type DataPaths } from './paths.js';
import { bootstrapCluster } from './bootstrap.js';
import { leaveCluster, removeNode } from './node-ops.js';
import type { Etcd3 } from 'etcd3';
import { fileURLToPath } from 'node:url';
import { standardRegistry } from '../resources/executor/index.js';
import { ResourceView } from '../resources/view.js';
import { StonithClass } from '../resources/stonith-class.js';
import { ResourceNode } from '../resources/node-agent.js';
import { ResourceCoordinator } from '../resources/coordinator.js';
import { resourceServices } from '../resources/node-service.js';
import { defaultFenceAgentDirs, fencerOf } from '../resources/fence-devices.js';
import { resourceActionMethod, type ResourceActionReply } from '../resources/wire.js';
import type { ResourceServices } from '../resources/services.js';

/** Herd's crm_attribute for agents (HA_SBIN_DIR), beside dist/ in the checkout or package. */
const libexecDir = fileURLToPath(new URL('../../../libexec', import.meta.url));

export const herdVersion = '0.1.0';

/** How long `status` waits for etcd to answer before it reports no quorum. */
const quorumProbeMs = 1500;

export interface Tls {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly caKeyPem: string | undefined;
}

export class Herdd {
  private etcd: EtcdMember | undefined;
  store!: EtcdStore;
  records!: Records;
  view!: MembershipView;
  private peerServer: PeerServer | undefined;
  private api: ApiServer | undefined;
  agent!: NodeAgent;
  private election: Election | undefined;
  private coordinator: MembershipCoordinator | undefined;
  private resourceCoordinator: ResourceCoordinator | undefined;
  resourceView!: ResourceView;
  resourceNode: ResourceNode | undefined;
  resourceServices!: ResourceServices;
  private watchdog: CoordinatorWatchdog | undefined;
  private readonly peerClients = new Map<string, PeerClient>();
  private adminClient: Etcd3 | undefined;
  readonly timing: Timing;
  private stopping = false;
  private etcdFailed: string | undefined;
  /** Set while leaving: etcd shuts itself down once its member is removed, and that is fine. */
  leaving = false;
  /** Called when the daemon must exit (after `leave`, or if etcd dies). */
  onExitRequest: (code: number) => void = () => {};

  private constructor(
    readonly paths: DataPaths,
    readonly config: NodeConfig,
    readonly tls: Tls,
    readonly log: (msg: string) => void,
  ) {
    this.timing = { ...timingDefaults, ...(config.timing ?? {}) } as Timing;
  }

  static async start(dataDir: string, log: (msg: string) => void, onExitRequest: (code: number) => void): Promise<Result<Herdd, Failure>> {
    const paths = dataPaths(dataDir);
    const config = loadNodeConfig(paths.config);
    if (!config.ok) return config;
    mkdirSync(paths.logDir, { recursive: true, mode: 0o700 });
    for (const f of [paths.caCert, paths.nodeCert, paths.nodeKey]) {
      if (!existsSync(f)) return err({ code: 'not_found', field: f, message: `${f} is missing: the data dir was not made by herd init or herd join` });
    }
    const tls: Tls = {
      caPem: readText(paths.caCert),
      certPem: readText(paths.nodeCert),
      keyPem: readText(paths.nodeKey),
      caKeyPem: existsSync(paths.caKey) ? readText(paths.caKey) : undefined,
    };
    const herdd = new Herdd(paths, config.value, tls, log);
    herdd.onExitRequest = onExitRequest;
    const started = await herdd.run();
    if (!started.ok) {
      await herdd.stop();
      return started;
    }
    return ok(herdd);
  }

  private async run(): Promise<Result<void, Failure>> {
    const { config, paths, tls } = this;
    if (config.role === 'voter') {
      const started = await this.startEtcd();
      if (!started.ok) return started;
    }
    // A voter talks to its own member only: on the minority side of a partition it must see
    // the cluster state as unavailable, not reach around through another member. Workers
    // spread over the voters they know.
    const endpoints = config.listen.etcdClient ? [`https://${config.listen.etcdClient}`] : config.etcd.endpoints;
    this.store = EtcdStore.connect({ endpoints, tls: { caPem: tls.caPem, certPem: tls.certPem, keyPem: tls.keyPem } });
    // Member changes may go through any voter (a leaving voter removes itself through the others).
    this.adminClient = etcdClient([...new Set([...endpoints, ...config.etcd.endpoints])], tls);
    this.records = new Records(this.store, config.cluster);
    await this.waitForStore();
    if (this.etcdFailed) return err({ code: 'etcd_failed', message: this.etcdFailed });
    if (this.stopping) return err({ code: 'stopped', message: 'stopped while starting' });
    if (existsSync(paths.bootstrap)) {
      const b = await bootstrapCluster(this, paths.bootstrap);
      if (!b.ok) return b;
    }
    this.view = new MembershipView(this.records, config.node, this.log);
    await this.view.start();
    this.refreshEndpoints();
    this.resourceView = new ResourceView(this.records, this.log);
    await this.resourceView.start();
    this.resourceServices = resourceServices({
      records: this.records, membership: this.view, resources: this.resourceView, executor: () => this.resourceNode?.executor,
      fenceAgentDirs: this.fenceAgentDirs(), self: config.node, timing: this.timing, clock: systemClock, timers: systemTimers, random: systemRandom,
    });

    const peer = splitHostPort(config.listen.peer);
    this.peerServer = new PeerServer({ caPem: tls.caPem, certPem: tls.certPem, keyPem: tls.keyPem });
    this.peerServer.handle('heartbeat', async (params, from) => this.onHeartbeat(params, from.nodeName));
    this.peerServer.handle(resourceActionMethod, async (params) => {
      if (!this.resourceNode) throw Object.assign(new Error(`${config.node} is still starting`), { code: 'unavailable' });
      return this.resourceNode.handle(params);
    });
    const listening = await this.peerServer.listen(peer.host, peer.port);
    if (!listening.ok) return listening;

    const api = splitHostPort(config.listen.api);
    const routes = this.routes();
    const app = buildApp((id) => this.view.tokens.get(id)?.value, routes);
    try {
      this.api = await startApiServer(app, { host: api.host, port: api.port, tls });
    } catch (e) {
      return err({ code: 'listen_failed', field: 'listen.api', message: `cannot listen on ${config.listen.api}: ${(e as Error).message}` });
    }

    this.agent = new NodeAgent({
      records: this.records, view: this.view, self: config.node, version: herdVersion, timing: this.timing,
      clock: systemClock, timers: systemTimers, log: this.log,
      sendHeartbeat: (address, message) => this.peerClient(address).request('heartbeat', message, { timeoutMs: this.timing.heartbeatIntervalMs * 2 }),
      observeHeartbeat: (token, ok) => this.watchdog?.observe(token, ok),
    });
    await this.agent.start();
    this.startResourceNode();

    if (config.role === 'voter') {
      this.election = new Election(this.store, this.records.prefix, { node: config.node, peerAddress: config.listen.peer, apiAddress: config.listen.api }, {
        leaseTtlMs: this.timing.electionLeaseTtlMs, clock: systemClock, timers: systemTimers, log: this.log,
      });
      this.election.onChange((l) => this.onLeadership(l));
      this.election.start();
      this.watchdog = new CoordinatorWatchdog({ records: this.records, view: this.view, self: config.node, timing: this.timing, clock: systemClock, timers: systemTimers, leaseId: () => this.agent.leaseId(), log: this.log });
      this.watchdog.start();
    }
    this.log(`herdd ${herdVersion} running: node ${config.node} (${config.role}) of cluster ${config.cluster}, API https://${config.listen.api}`);
    return ok(undefined);
  }

  private fenceAgentDirs(): string[] {
    return [...defaultFenceAgentDirs, ...(this.config.fenceAgentDirs ?? [])];
  }

  /** The executor side: agents get this node's own state directories, as each machine has its own /run. */
  private startResourceNode(): void {
    const run = this.paths.runDir;
    const dirs = { rsctmp: join(run, 'resource-agents'), varrun: join(run, 'varrun'), attributes: join(run, 'attributes'), exec: join(run, 'exec') };
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o700 });
    const registry = standardRegistry({
      clock: systemClock, timers: systemTimers, stateDirectory: dirs.exec, nodeName: this.config.node,
      extraClasses: [new StonithClass({ clock: systemClock, timers: systemTimers, agentDirs: this.fenceAgentDirs() })],
      ocfEnvironment: { HA_RSCTMP: dirs.rsctmp, HA_VARRUN: `${dirs.varrun}/`, HA_SBIN_DIR: libexecDir, HERD_ATTRIBUTES_DIR: dirs.attributes },
    });
    this.resourceNode = new ResourceNode({
      records: this.records, membership: this.view, agent: this.agent, resources: this.resourceView, registry, self: this.config.node,
      timing: this.timing, clock: systemClock, timers: systemTimers, attributesDir: dirs.attributes, log: this.log,
    });
    this.resourceNode.start();
  }

  /**
   * Keeps node.json's etcd endpoints in step with the voters on record, so that a restart
   * (of a worker especially) reaches the voters that exist now, not those of join time.
   */
  private refreshEndpoints(): void {
    const endpoints = this.view.voters().flatMap((n) => (n.etcdClientUrl === undefined ? [] : [n.etcdClientUrl])).sort();
    const current = [...this.config.etcd.endpoints].sort();
    if (endpoints.length === 0 || JSON.stringify(endpoints) === JSON.stringify(current)) return;
    const updated = { ...this.config, etcd: { ...this.config.etcd, endpoints } };
    writeFileDurable(this.paths.config, `${JSON.stringify(updated, null, 2)}\n`, 0o600);
    this.log(`updated the etcd endpoints in ${this.paths.config}: ${endpoints.join(', ')}`);
  }

  private async startEtcd(): Promise<Result<void, Failure>> {
    const { config, paths } = this;
    if (!config.listen.etcdClient || !config.listen.etcdPeer) {
      return err({ code: 'invalid', field: 'listen.etcdPeer', message: `${paths.config}: a voter needs listen.etcdClient and listen.etcdPeer` });
    }
    const peerUrl = `https://${config.listen.etcdPeer}`;
    this.etcd = new EtcdMember({
      name: config.node,
      dataDir: paths.etcdDir,
      clientUrl: `https://${config.listen.etcdClient}`,
      peerUrl,
      initialCluster: config.etcd.initialCluster ?? `${config.node}=${peerUrl}`,
      initialClusterState: config.etcd.initialClusterState ?? 'new',
      tls: { caFile: paths.caCert, certFile: paths.nodeCert, keyFile: paths.nodeKey },
      logFile: join(paths.logDir, 'etcd.log'),
      ...(config.etcd.binary ? { binary: config.etcd.binary } : {}),
    });
    return this.etcd.start((code) => {
      if (this.stopping || this.leaving) return;
      this.etcdFailed = `etcd exited (status ${code}); see ${join(paths.logDir, 'etcd.log')}`;
      this.log(`${this.etcdFailed}. herdd stops: a voter without its member cannot serve`);
      this.onExitRequest(1);
    });
  }

  private async waitForStore(): Promise<void> {
    const startedMs = Date.now();
    let lastLogMs = startedMs;
    while (!this.stopping && !this.etcdFailed) {
      const r = await this.store.get(coordinatorKeyOf(this.records.prefix));
      if (r.ok) return;
      if (Date.now() - lastLogMs > 5000) {
        lastLogMs = Date.now();
        this.log(`waiting for the cluster state (etcd quorum) for ${Math.round((Date.now() - startedMs) / 1000)} s: ${r.error.message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private peerClient(address: string): PeerClient {
    let c = this.peerClients.get(address);
    if (!c) {
      const { host, port } = splitHostPort(address);
      c = new PeerClient({ host, port, caPem: this.tls.caPem, certPem: this.tls.certPem, keyPem: this.tls.keyPem, random: systemRandom });
      this.peerClients.set(address, c);
    }
    return c;
  }

  private async onHeartbeat(params: unknown, from: string): Promise<unknown> {
    const p = params as { node?: unknown };
    if (p.node !== from) throw Object.assign(new Error(`heartbeat names ${String(p.node)} but the certificate is ${from}`), { code: 'forbidden' });
    const leader = this.election?.current();
    if (!leader || !this.coordinator) throw Object.assign(new Error(`${this.config.node} is not the coordinator`), { code: 'not_coordinator' });
    this.coordinator.heartbeat(from);
    return { token: leader.token };
  }

  private onLeadership(l: Leadership | undefined): void {
    this.coordinator?.stop();
    this.coordinator = undefined;
    void this.resourceCoordinator?.stop();
    this.resourceCoordinator = undefined;
    if (l && !this.stopping) {
      this.coordinator = new MembershipCoordinator({ records: this.records, view: this.view, leadership: l, timing: this.timing, clock: systemClock, timers: systemTimers, self: this.config.node, log: this.log });
      this.coordinator.start();
      this.resourceCoordinator = new ResourceCoordinator({
        records: this.records, membership: this.view, resources: this.resourceView, leadership: l, timing: this.timing,
        clock: systemClock, timers: systemTimers, self: this.config.node, inputsDir: this.paths.plannerInputsDir, log: this.log,
        send: (node, request, timeoutMs) => this.sendResourceAction(node, request, timeoutMs),
        fencer: (config) => fencerOf(config, this.fenceAgentDirs(), { clock: systemClock, timers: systemTimers, random: systemRandom }),
      });
      this.resourceCoordinator.start();
    }
  }

  private async sendResourceAction(node: string, request: unknown, timeoutMs: number): Promise<Result<ResourceActionReply, Failure>> {
    const address = this.view.nodes.get(node)?.value.peerAddress;
    if (!address) return err({ code: 'not_found', message: `no node ${node}` });
    const r = await this.peerClient(address).request(resourceActionMethod, request, { timeoutMs });
    return r.ok ? ok(r.value as ResourceActionReply) : r;
  }

  private routes(): ReturnType<typeof clusterRoutes> {
    const herdd = this;
    const ctx: ApiContext = {
      cluster: this.config.cluster,
      self: this.config.node,
      version: herdVersion,
      records: this.records,
      clock: systemClock,
      caPem: this.tls.caPem,
      get view() {
        return herdd.view;
      },
      get resources() {
        return herdd.resourceServices;
      },
      quorumReachable: async () => {
        const r = await withDeadline(this.store.get(coordinatorKeyOf(this.records.prefix)), quorumProbeMs, systemTimers);
        return r?.ok === true;
      },
      etcdMembers: async () => {
        const admin = this.adminClient;
        if (!admin) return undefined;
        const r = await withDeadline(listMembers(admin), quorumProbeMs, systemTimers);
        return r?.ok ? r.value.map((m) => (m.name === '' ? `unstarted-${m.id}` : m.name)) : undefined;
      },
      admit: async (body) => {
        if (!this.tls.caKeyPem) return err({ code: 'unavailable', message: `${this.config.node} is a worker and holds no CA key: join through a voter's address` });
        return admit({
          records: this.records, cluster: this.config.cluster, self: this.config.node,
          ca: { certPem: this.tls.caPem, keyPem: this.tls.caKeyPem }, nowMs: () => Date.now(),
          addEtcdMember: async (name, peerUrl) => (this.adminClient ? addMember(this.adminClient, name, peerUrl) : err({ code: 'unavailable', message: 'no etcd client' })),
        }, body);
      },
      leave: async () => leaveCluster(this),
      removeNode: async (name) => removeNode(this, name),
    };
    const routes = [...clusterRoutes(ctx), ...accessRoutes(ctx), ...kvRoutes(ctx), ...resourceManagerRoutes(ctx)];
    const doc = openApiDocument([...routes], herdVersion);
    routes.push(route({ method: 'get', path: '/v1/openapi.json', summary: 'This document', auth: 'none', handler: async () => ok(doc) }));
    return routes;
  }

  etcdAdmin(): Etcd3 | undefined {
    return this.adminClient;
  }

  /** Moves node.json aside after leaving, so a restart does not rejoin with a removed member. */
  retireDataDir(): void {
    if (existsSync(this.paths.config)) renameSync(this.paths.config, `${this.paths.config}.left`);
    rmSync(this.paths.etcdDir, { recursive: true, force: true });
  }

  async stop(options: { clean: boolean } = { clean: true }): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.coordinator?.stop();
    await this.resourceCoordinator?.stop();
    this.watchdog?.stop();
    await this.election?.stop();
    // A clean stop takes this node's resources down first: once it shows offline they may start elsewhere.
    if (options.clean) await this.resourceNode?.stopAll().catch(() => {});
    await this.resourceNode?.close();
    if (options.clean && this.agent) await this.agent.stop().catch(() => {});
    await this.api?.close();
    await this.peerServer?.close();
    await Promise.all([...this.peerClients.values()].map((c) => c.close()));
    this.view?.close();
    this.resourceView?.close();
    this.adminClient?.close();
    await this.store?.close();
    await this.etcd?.stop();
  }

  recordEvent(kind: string, severity: 'info' | 'warning' | 'error', subject: string, message: string): Promise<boolean> {
    return recordEvent(this.records, { atMs: Date.now(), node: this.config.node, kind, severity, subject, message });
  }
}
