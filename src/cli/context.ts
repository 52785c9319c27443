// Owns the CLI's context file: which cluster the `herd` command talks to (API addresses, the
// cluster CA, the API token). Found at --context, $HERD_CONTEXT, or ~/.config/herd/context.json;
// written with mode 0600 by `herd init` and by `npm start`. Validated strictly on read.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { hostPort } from '../core/config.js';
import type { Failure, Result } from '../core/result.js';
import { readJsonFile, writeFileDurable } from '../daemon/paths.js';
import { HerdClient } from '../api/client.js';

export const contextSchema = z.strictObject({
  cluster: z.string(),
  apiAddresses: z.array(hostPort).min(1),
  caPem: z.string(),
  token: z.string(),
});
export type CliContext = z.infer<typeof contextSchema>;

export function defaultContextPath(): string {
  const env = process.env['HERD_CONTEXT'];
  if (env) return env;
  const config = process.env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config');
  return join(config, 'herd', 'context.json');
}

export function loadContext(path: string): Result<CliContext, Failure> {
  return readJsonFile(path, contextSchema, { code: 'no_context', field: path, message: `no cluster context at ${path}: run "herd init", or "npm start" for a local cluster, or pass --context FILE` });
}

export function saveContext(path: string, context: CliContext): void {
  writeFileDurable(path, `${JSON.stringify(context, null, 2)}\n`, 0o600);
}

export function clientOf(context: CliContext, timeoutMs?: number): HerdClient {
  return new HerdClient({ addresses: context.apiAddresses, caPem: context.caPem, token: context.token, ...(timeoutMs ? { timeoutMs } : {}) });
}
