// `herd resource options [NAME=VALUE|NAME= ...]`: shows or sets cluster options
// (stonith-enabled, no-quorum-policy, symmetric-cluster, start-failure-is-fatal, ...).

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson, table } from '../../output.js';
import { attributeChanges } from './args.js';

export function register(resource: Command): void {
  resource
    .command('options [changes...]')
    .description('Show cluster options, or set them (NAME=VALUE; NAME= removes)')
    .action(action(async (changes: string[], _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const { client } = connect(g);
      if (changes.length > 0) {
        const r = must(await client.setResourceOptions(attributeChanges(changes, 'options')));
        if (g.json) return printJson(r);
        process.stdout.write(`${r.message} (revision ${r.revision})\n`);
        return;
      }
      const r = must(await client.resourceOptions());
      if (g.json) return printJson(r);
      const rows = [
        ...Object.entries(r.options).map(([k, v]) => ['option', k, v]),
        ...Object.entries(r.resourceDefaults).map(([k, v]) => ['resource default', k, v]),
        ...Object.entries(r.operationDefaults).map(([k, v]) => ['operation default', k, v]),
      ];
      process.stdout.write(rows.length === 0 ? 'No cluster options set (defaults apply)\n' : `${table(['KIND', 'NAME', 'VALUE'], rows)}\n`);
    }));
}
