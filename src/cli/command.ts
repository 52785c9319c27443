// Owns what every CLI subcommand shares: the global options (--context, --json), turning them
// into a typed API client, and running an action with errors mapped to stderr + exit status.

import type { Command } from 'commander';
import { clientOf, defaultContextPath, loadContext, type CliContext } from './context.js';
import { CliExit, fail, must } from './output.js';
import type { HerdClient } from '../api/client.js';

export interface Globals {
  readonly json: boolean;
  readonly contextPath: string;
}

export function globalsOf(cmd: Command): Globals {
  const o = cmd.optsWithGlobals<{ json?: boolean; context?: string }>();
  return { json: o.json === true, contextPath: o.context ?? defaultContextPath() };
}

export function connect(g: Globals): { client: HerdClient; context: CliContext } {
  const context = must(loadContext(g.contextPath));
  return { client: clientOf(context), context };
}

/** Wraps an action: a thrown CliExit sets the exit status; anything else is a bug, reported. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof CliExit) {
        process.exitCode = e.status;
        return;
      }
      try {
        fail({ code: 'internal', message: `unexpected error: ${(e as Error).stack ?? String(e)}` }, 70);
      } catch (x) {
        if (x instanceof CliExit) process.exitCode = x.status;
      }
    }
  };
}
