// `herd resource enable ID`: target-role Started on the top-level resource (pcs resource enable).
// `disable` (disable.ts) is the same command with the other role.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';

export function registerTargetRole(resource: Command, verb: 'enable' | 'disable'): void {
  const enabled = verb === 'enable';
  resource
    .command(`${verb} <id>`)
    .description(enabled ? 'Let a resource run: target-role Started on its top-level resource' : 'Stop a resource: target-role Stopped on its top-level resource')
    .action(action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.setResourceEnabled(id, enabled));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.message}\n`);
    }));
}

export const register = (resource: Command): void => registerTargetRole(resource, 'enable');
