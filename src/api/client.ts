// Owns the typed API client: every call the CLI (and tests, and other tools) make to herdd,
// over HTTPS verified against the cluster CA, with a bearer token. It tries each known API
// address in turn when one is unreachable, and turns every failure into a Failure value.

import { request as httpsRequest } from 'node:https';
import { err, ok, type Failure, type Result } from '../core/result.js';
import { splitHostPort } from '../core/config.js';
import type {
  CleanupView, ConfigChangeView, EventView, FenceDeviceView, JoinResult, JoinTokenView, KvView, NodeView, ResourceView, ResourcesView,
  RestartView, ScoresView, StatusView, WatchMessage, resourceCreateBody, resourceUpdateBody, fenceDeviceBody,
} from './types.js';
import type { z } from 'zod';
import type { Attributes, Constraint, FencingLevel } from '../resources/model.js';
import type { FenceHistoryRecord } from '../fencing/index.js';
import type { DeviceTest } from '../resources/services.js';

export interface ClientOptions {
  /** HOST:PORT of one or more nodes' APIs, tried in order. */
  readonly addresses: readonly string[];
  readonly caPem: string;
  readonly token?: string;
  readonly timeoutMs?: number;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export class HerdClient {
  private preferred = 0;
  constructor(readonly options: ClientOptions) {}

  /** `timeoutMs` overrides the client's timeout for this call (a restart waits for the resource to stop). */
  async call<T>(method: Method, path: string, body?: unknown, timeoutMs?: number): Promise<Result<T, Failure>> {
    const n = this.options.addresses.length;
    let last: Failure = { code: 'unavailable', message: 'no API address configured' };
    for (let i = 0; i < n; i++) {
      const index = (this.preferred + i) % n;
      const address = this.options.addresses[index] ?? '';
      const r = await this.once<T>(address, method, path, body, timeoutMs ?? this.options.timeoutMs ?? 10_000);
      // A read may go to the next node after a timeout too: repeating it changes nothing.
      const tryNext = !r.ok && (r.error.code === 'unreachable' || (r.error.code === 'timeout' && method === 'GET'));
      if (!tryNext) {
        this.preferred = index;
        return r;
      }
      last = { code: 'unavailable', message: `${r.error.message}` };
    }
    return err(last);
  }

  private once<T>(address: string, method: Method, path: string, body: unknown, timeoutMs: number): Promise<Result<T, Failure>> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const { host, port } = splitHostPort(address);
    return new Promise((resolve) => {
      const req = httpsRequest(
        {
          host, port, path, method,
          ca: this.options.caPem,
          servername: 'localhost',
          checkServerIdentity: () => undefined, // identity is the cluster CA: any node's certificate is valid for the API.
          headers: {
            ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
            ...(text !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {}),
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              resolve(err({ code: 'bad_response', message: `${address} answered ${res.statusCode} with a body that is not JSON` }));
              return;
            }
            if ((res.statusCode ?? 500) >= 400) {
              const e = (json as { error?: Failure }).error;
              resolve(err(e && typeof e.code === 'string' ? e : { code: 'http_error', message: `${address} answered ${res.statusCode}` }));
            } else resolve(ok(json as T));
          });
          res.on('error', (e) => resolve(err({ code: 'unreachable', message: `${address}: ${e.message}` })));
        },
      );
      let timedOut = false;
      req.on('timeout', () => {
        timedOut = true;
        req.destroy(new Error(`no answer within ${timeoutMs} ms`));
      });
      // Only a request that never reached a node is tried on the next address: one that timed
      // out may have been applied, and repeating it could apply it twice.
      req.on('error', (e) => resolve(err({ code: timedOut || req.reusedSocket ? 'timeout' : 'unreachable', message: `${timedOut ? 'no answer from' : 'cannot reach'} the Herd API at ${address}: ${e.message}` })));
      if (text !== undefined) req.write(text);
      req.end();
    });
  }

  health = () => this.call<{ node: string; cluster: string; version: string }>('GET', '/v1/health');
  status = () => this.call<StatusView>('GET', '/v1/status');
  nodes = () => this.call<{ nodes: NodeView[] }>('GET', '/v1/nodes');
  node = (name: string) => this.call<NodeView>('GET', `/v1/nodes/${encodeURIComponent(name)}`);
  setStandby = (name: string, on: boolean) => this.call<NodeView>('POST', `/v1/nodes/${encodeURIComponent(name)}/standby`, { on });
  setMaintenance = (name: string, on: boolean) => this.call<NodeView>('POST', `/v1/nodes/${encodeURIComponent(name)}/maintenance`, { on });
  setLabels = (name: string, set: Record<string, string>, remove: string[]) => this.call<NodeView>('POST', `/v1/nodes/${encodeURIComponent(name)}/labels`, { set, remove });
  removeNode = (name: string) => this.call<{ removed: string }>('DELETE', `/v1/nodes/${encodeURIComponent(name)}`);
  leave = () => this.call<{ left: string }>('POST', '/v1/leave');
  events = (after?: string, limit?: number) => {
    const q = new URLSearchParams();
    if (after !== undefined) q.set('after', after);
    if (limit !== undefined) q.set('limit', String(limit));
    const qs = q.toString();
    return this.call<{ events: EventView[]; revision: number }>('GET', `/v1/events${qs ? `?${qs}` : ''}`);
  };
  createJoinToken = (body: { ttlMs?: number; singleUse?: boolean; role?: 'voter' | 'worker' | 'any' }) => this.call<JoinTokenView>('POST', '/v1/join-tokens', body);
  listJoinTokens = () => this.call<{ tokens: { id: string; expiresAtMs: number; singleUse: boolean; usedBy: string[]; role: string; createdBy: string }[] }>('GET', '/v1/join-tokens');
  deleteJoinToken = (id: string) => this.call<{ deleted: string }>('DELETE', `/v1/join-tokens/${encodeURIComponent(id)}`);
  join = (body: unknown) => this.call<JoinResult>('POST', '/v1/join', body);
  ca = () => this.call<{ caPem: string; fingerprintSha256: string }>('GET', '/v1/ca');
  createApiToken = (body: { user: string; role: 'admin' | 'viewer'; description?: string }) => this.call<{ id: string; user: string; role: string; token: string }>('POST', '/v1/tokens', body);
  listApiTokens = () => this.call<{ tokens: { id: string; user: string; role: string; createdAtMs: number; description: string }[] }>('GET', '/v1/tokens');
  revokeApiToken = (id: string) => this.call<{ revoked: string }>('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
  kvGet = (key: string) => this.call<KvView>('GET', `/v1/kv/${encodeURIComponent(key)}`);
  kvPut = (key: string, value: string, expectRevision?: number) => this.call<{ key: string; modRevision: number }>('PUT', `/v1/kv/${encodeURIComponent(key)}`, expectRevision === undefined ? { value } : { value, expectRevision });
  kvDelete = (key: string) => this.call<{ key: string; revision: number }>('DELETE', `/v1/kv/${encodeURIComponent(key)}`);

  resources = () => this.call<ResourcesView>('GET', '/v1/resources');
  resource = (id: string) => this.call<ResourceView>('GET', `/v1/resources/${encodeURIComponent(id)}`);
  addResource = (body: z.input<typeof resourceCreateBody>) => this.call<ConfigChangeView>('POST', '/v1/resources', body);
  updateResource = (id: string, body: z.input<typeof resourceUpdateBody>) => this.call<ConfigChangeView>('PUT', `/v1/resources/${encodeURIComponent(id)}`, body);
  deleteResource = (id: string) => this.call<ConfigChangeView>('DELETE', `/v1/resources/${encodeURIComponent(id)}`);
  moveResource = (id: string, node: string) => this.call<ConfigChangeView>('POST', `/v1/resources/${encodeURIComponent(id)}/move`, { node });
  banResource = (id: string, node?: string) => this.call<ConfigChangeView>('POST', `/v1/resources/${encodeURIComponent(id)}/ban`, node === undefined ? {} : { node });
  clearResource = (id: string, node?: string) => this.call<ConfigChangeView>('POST', `/v1/resources/${encodeURIComponent(id)}/clear`, node === undefined ? {} : { node });
  setResourceEnabled = (id: string, enabled: boolean) =>
    this.call<{ revision: number; message: string; resource: string; targetRole: string; previous: string | null }>('POST', `/v1/resources/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`);
  cleanupResource = (id: string, node?: string) => this.call<CleanupView>('POST', `/v1/resources/${encodeURIComponent(id)}/cleanup`, node === undefined ? {} : { node });
  /** Waits on the server up to timeoutMs for the resource to stop; the request may take that long. */
  restartResource = (id: string, timeoutMs: number) => this.call<RestartView>('POST', `/v1/resources/${encodeURIComponent(id)}/restart`, { timeoutMs }, timeoutMs + 15_000);
  resourceScores = () => this.call<ScoresView>('GET', '/v1/resources/scores');
  importCib = (xml: string) => this.call<ConfigChangeView>('POST', '/v1/resources/import', { xml });
  resourceOptions = () => this.call<{ options: Attributes; resourceDefaults: Attributes; operationDefaults: Attributes; revision: number }>('GET', '/v1/resources/options');
  setResourceOptions = (set: Record<string, string | null>) => this.call<ConfigChangeView>('PUT', '/v1/resources/options', { set });
  constraints = () => this.call<{ constraints: Constraint[]; revision: number }>('GET', '/v1/constraints');
  addConstraint = (constraint: Constraint) => this.call<ConfigChangeView>('POST', '/v1/constraints', { constraint });
  deleteConstraint = (id: string) => this.call<ConfigChangeView>('DELETE', `/v1/constraints/${encodeURIComponent(id)}`);
  fenceDevices = () => this.call<{ devices: FenceDeviceView[]; fencingLevels: FencingLevel[]; revision: number; warnings: string[] }>('GET', '/v1/fence/devices');
  addFenceDevice = (body: z.input<typeof fenceDeviceBody>) => this.call<ConfigChangeView>('POST', '/v1/fence/devices', body);
  deleteFenceDevice = (id: string) => this.call<ConfigChangeView>('DELETE', `/v1/fence/devices/${encodeURIComponent(id)}`);
  testFenceDevice = (id: string) => this.call<DeviceTest>('POST', `/v1/fence/devices/${encodeURIComponent(id)}/test`, undefined, 120_000);
  /** Fencing can take minutes (agent timeouts, levels, retries): the call waits up to 5 min. */
  fence = (node: string, action: 'reboot' | 'off' | 'on' = 'reboot') => this.call<FenceHistoryRecord>('POST', `/v1/fence/${encodeURIComponent(node)}`, { action }, 300_000);
  fenceHistory = () => this.call<{ history: (FenceHistoryRecord & { id: string })[]; revision: number }>('GET', '/v1/fence/history');

  /** Follows the watch stream; returns a function that stops it. */
  watch(onMessage: (m: WatchMessage) => void, onEnd: (f: Failure | undefined) => void): () => void {
    const address = this.options.addresses[this.preferred] ?? '';
    const { host, port } = splitHostPort(address);
    let buffer = '';
    const req = httpsRequest(
      { host, port, path: '/v1/watch', method: 'GET', ca: this.options.caPem, checkServerIdentity: () => undefined, headers: this.options.token ? { authorization: `Bearer ${this.options.token}`, accept: 'text/event-stream' } : {} },
      (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          onEnd({ code: 'http_error', message: `watch: ${address} answered ${res.statusCode}` });
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let i: number;
          while ((i = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, i);
            buffer = buffer.slice(i + 2);
            const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
            if (data === '' || data === '{}') continue;
            try {
              const m = JSON.parse(data) as WatchMessage;
              if (m.type === 'event' || m.type === 'nodes' || m.type === 'hello') onMessage(m);
            } catch {
              // A garbled line from the stream is skipped; the stream goes on.
            }
          }
        });
        res.on('end', () => onEnd(undefined));
      },
    );
    req.on('error', (e) => onEnd({ code: 'unreachable', message: `watch: ${e.message}` }));
    req.end();
    return () => req.destroy();
  }
}
