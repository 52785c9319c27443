// `herd node label NODE KEY=VALUE... KEY-...` (like kubectl label).

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { fail, must, printJson } from '../../output.js';

export function register(node: Command): void {
  node
    .command('label <node> <changes...>')
    .description('Set labels (key=value) or remove them (key-) on a node')
    .action(action(async (name: string, changes: string[], _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const set: Record<string, string> = {};
      const remove: string[] = [];
      for (const c of changes) {
        const eq = c.indexOf('=');
        if (eq > 0) set[c.slice(0, eq)] = c.slice(eq + 1);
        else if (c.endsWith('-') && c.length > 1) remove.push(c.slice(0, -1));
        else fail({ code: 'invalid', field: 'changes', message: `"${c}" must be key=value to set a label or key- to remove it` }, 2);
      }
      const n = must(await connect(g).client.setLabels(name, set, remove));
      if (g.json) printJson(n);
      else process.stdout.write(`node ${n.name}: labels ${Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',') || '(none)'}\n`);
    }));
}
