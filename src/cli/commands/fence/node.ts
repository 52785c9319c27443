// `herd fence node NODE [--action reboot|off|on]`: fences a node now (stonith_admin --reboot).
// A subcommand rather than `herd fence NODE`, so a node named like a subcommand stays fenceable.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { fail, must, printJson } from '../../output.js';

export function register(fence: Command): void {
  fence
    .command('node <node>')
    .description('Fence a node now through the configured devices and levels')
    .option('--action <action>', 'reboot, off or on', 'reboot')
    .action(action(async (node: string, o: { action: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      if (o.action !== 'reboot' && o.action !== 'off' && o.action !== 'on') fail({ code: 'invalid', field: '--action', message: `--action "${o.action}" must be reboot, off or on` }, 2);
      const r = must(await connect(g).client.fence(node, o.action));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.target}: ${r.action} ${r.state}${r.device === undefined ? '' : ` by ${r.device}`}${r.reason ? ` (${r.reason})` : ''}\n`);
      if (r.state !== 'done') fail({ code: 'fence_failed', message: `fencing ${node} failed` });
    }));
}
