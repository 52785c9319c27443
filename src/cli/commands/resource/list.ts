// `herd resource list`: every resource with its state, like crm_mon's resource section.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';
import { renderResources } from './render.js';

export function register(resource: Command): void {
  resource
    .command('list')
    .alias('ls')
    .description('List resources with where they run, target-role, fail counts and failed actions')
    .action(action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.resources());
      if (g.json) printJson(r);
      else process.stdout.write(`${renderResources(r)}\n`);
    }));
}
