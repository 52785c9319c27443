// `herd node standby NODE` and `herd node unstandby NODE`.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';

export function register(node: Command): void {
  for (const [verb, on] of [['standby', true], ['unstandby', false]] as const) {
    node
      .command(`${verb} <node>`)
      .description(on ? 'Put a node in standby: it stays a member but takes no new work' : 'Bring a node out of standby')
      .action(action(async (name: string, _o: unknown, cmd: Command) => {
        const g = globalsOf(cmd);
        const n = must(await connect(g).client.setStandby(name, on));
        if (g.json) printJson(n);
        else process.stdout.write(`node ${n.name}: standby ${on ? 'on' : 'off'}\n`);
      }));
  }
}
