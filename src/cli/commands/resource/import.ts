// `herd resource import FILE.xml`: replaces the resource configuration with a Pacemaker CIB's
// configuration section (resources, constraints, options, defaults, fencing levels).

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { fail, must, printJson } from '../../output.js';

export function register(resource: Command): void {
  resource
    .command('import <file>')
    .description("Replace the resource configuration with a Pacemaker CIB's (cibadmin --query output)")
    .action(action(async (file: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      let xml = '';
      try {
        xml = readFileSync(file, 'utf8');
      } catch (e) {
        fail({ code: 'unreadable', field: 'file', message: `cannot read ${file}: ${(e as Error).message}` }, 2);
      }
      const r = must(await connect(g).client.importCib(xml));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.message} (revision ${r.revision})\n`);
    }));
}
