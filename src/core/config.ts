// Owns the schema of a node's configuration file (`<data dir>/node.json`, written by
// `herd init` and `herd join`, editable by operators) and the shared field formats (node names,
// HOST:PORT). Strict: unknown keys and wrong types are refused with the field named.

import { z } from 'zod';
import { timingDefaults } from './limits.js';

export const nodeName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label: 1-63 lowercase letters, digits or "-", not starting or ending with "-"');

export const clusterName = nodeName;

export const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/, 'must be HOST:PORT')
  .refine((s) => {
    const port = Number(s.slice(s.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  }, 'port must be 1-65535');

const timingOverrides = z
  .strictObject(Object.fromEntries(Object.keys(timingDefaults).map((k) => [k, z.number().int().positive().max(3_600_000).optional()])) as Record<keyof typeof timingDefaults, z.ZodOptional<z.ZodNumber>>)
  .optional();

export const nodeConfigSchema = z.strictObject({
  cluster: clusterName,
  node: nodeName,
  role: z.enum(['voter', 'worker']),
  listen: z.strictObject({
    api: hostPort,
    peer: hostPort,
    etcdClient: hostPort.optional(),
    etcdPeer: hostPort.optional(),
  }),
  etcd: z.strictObject({
    /** Client URLs of the voters' etcd members. */
    endpoints: z.array(z.string().regex(/^https:\/\/.+:[0-9]+$/, 'must be https://HOST:PORT')).min(1),
    initialCluster: z.string().optional(),
    initialClusterState: z.enum(['new', 'existing']).optional(),
    binary: z.string().optional(),
  }),
  timing: timingOverrides,
  /** Directories searched for fence agents (fence_<name>) after /usr/sbin. */
  fenceAgentDirs: z.array(z.string().regex(/^\//, 'must be an absolute path')).max(16).optional(),
});
export type NodeConfig = z.infer<typeof nodeConfigSchema>;

export function splitHostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  const host = hp.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(hp.slice(i + 1)) };
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
