// `herd resource move ID NODE` (crm_resource --move): adds location cli-prefer-ID at INFINITY on NODE.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';

export function register(resource: Command): void {
  resource
    .command('move <id> <node>')
    .description('Move a resource to a node: location constraint cli-prefer-<id> at INFINITY (undo with clear)')
    .action(action(async (id: string, node: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.moveResource(id, node));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.message}\n`);
    }));
}
