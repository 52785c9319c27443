// Owns starting a herdd for a data directory (in the background for `herd init`/`herd join`, or
// as a child for `npm start` and the tests) and waiting until its API answers, with a deadline.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Failure, type Result } from '../core/result.js';
import type { HerdClient } from '../api/client.js';

export const herddMain = fileURLToPath(new URL('../daemon/main.js', import.meta.url));

export function spawnHerdd(dataDir: string, options: { detached: boolean; env?: NodeJS.ProcessEnv }): ChildProcess {
  mkdirSync(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const log = openSync(join(dataDir, 'logs', 'herdd.log'), 'a');
  const child = spawn(process.execPath, ['--enable-source-maps', herddMain, '--data-dir', dataDir], {
    detached: options.detached,
    stdio: ['ignore', log, log],
    env: options.env ?? process.env,
  });
  if (options.detached) child.unref();
  return child;
}

/** Polls the node's health route until it answers, herdd exits, or the deadline passes. */
export async function waitForApi(client: HerdClient, deadlineMs: number, exited?: () => boolean): Promise<Result<void, Failure>> {
  let last: Failure = { code: 'timeout', message: 'not started' };
  while (Date.now() < deadlineMs) {
    if (exited?.()) return err({ code: 'exited', message: 'herdd exited while starting; see its log' });
    const r = await client.health();
    if (r.ok) return ok(undefined);
    last = r.error;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return err({ code: 'timeout', message: `herdd did not answer in time: ${last.message}` });
}
