// Owns the layout of a node's data directory and reading/writing its files: node.json (the
// configuration), the TLS material, the one-shot bootstrap file, logs, and etcd's data. Secrets
// are written with mode 0600 and fsynced before they are relied on.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { nodeConfigSchema, type NodeConfig } from '../core/config.js';
import { err, ok, type Failure, type Result } from '../core/result.js';
import { zodFailure } from '../store/records.js';

export interface DataPaths {
  readonly root: string;
  readonly config: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly nodeCert: string;
  readonly nodeKey: string;
  readonly bootstrap: string;
  readonly etcdDir: string;
  readonly logDir: string;
  readonly pidFile: string;
  /** Per-node state of resource agents (HA_RSCTMP, HA_VARRUN, promotion scores, exec pid files): a node's /run. */
  readonly runDir: string;
  /** Saved planner inputs (pe-input-N.json) of this node's turns as coordinator. */
  readonly plannerInputsDir: string;
}

export function dataPaths(root: string): DataPaths {
  return {
    root,
    config: join(root, 'node.json'),
    caCert: join(root, 'ca.crt'),
    caKey: join(root, 'ca.key'),
    nodeCert: join(root, 'node.crt'),
    nodeKey: join(root, 'node.key'),
    bootstrap: join(root, 'bootstrap.json'),
    etcdDir: join(root, 'etcd'),
    logDir: join(root, 'logs'),
    pidFile: join(root, 'herdd.pid'),
    runDir: join(root, 'run'),
    plannerInputsDir: join(root, 'pe-inputs'),
  };
}

/** Default data dir: $HERD_DATA_DIR, else /var/lib/herd for root, else ~/.local/share/herd. */
export function defaultDataDir(): string {
  const env = process.env['HERD_DATA_DIR'];
  if (env) return env;
  return process.getuid?.() === 0 ? '/var/lib/herd' : join(homedir(), '.local', 'share', 'herd');
}

/** Writes a file atomically (temp + fsync + rename + fsync of the directory). */
export function writeFileDurable(path: string, contents: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** Reads a JSON file and validates it; errors name the file and the offending field. */
export function readJsonFile<T>(path: string, schema: z.ZodType<T>, missing: Failure): Result<T, Failure> {
  if (!existsSync(path)) return err(missing);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return err({ code: 'invalid', field: path, message: `${path} is not valid JSON: ${(e as Error).message}` });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const f = zodFailure(parsed.error);
    return err({ code: 'invalid', field: f.field ?? '', message: `${path}: ${f.message}` });
  }
  return ok(parsed.data);
}

export function loadNodeConfig(path: string): Result<NodeConfig, Failure> {
  return readJsonFile(path, nodeConfigSchema, { code: 'not_found', field: path, message: `${path} does not exist: run "herd init" or "herd join" first, or pass --data-dir` });
}

export const bootstrapSchema = z.strictObject({
  adminTokenId: z.string(),
  adminSecretSha256: z.string(),
  createdAtMs: z.number(),
});
export type Bootstrap = z.infer<typeof bootstrapSchema>;

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
