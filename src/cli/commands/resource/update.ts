// `herd resource update ID [key=value|key= ...] [--meta k=v|k=] [--op SPEC] [--remove-op NAME]`
// (like pcs resource update): an empty value removes the attribute.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { fail, must, printJson } from '../../output.js';
import { attributeChanges, collect, operations } from './args.js';

interface Options { meta: string[]; op: string[]; removeOp: string[] }

export function register(resource: Command): void {
  resource
    .command('update <id> [params...]')
    .description('Change parameters (key=value, key= removes), meta attributes or operations of a resource')
    .option('--meta <key=value>', 'set a meta attribute; key= removes it (repeatable)', collect, [])
    .option('--op <spec>', 'replace the operations of that name and role, e.g. "monitor interval=30s" (repeatable)', collect, [])
    .option('--remove-op <name>', 'remove every operation of that name (repeatable)', collect, [])
    .action(action(async (id: string, params: string[], o: Options, cmd: Command) => {
      const g = globalsOf(cmd);
      if (params.length + o.meta.length + o.op.length + o.removeOp.length === 0) {
        fail({ code: 'invalid', field: 'params', message: 'nothing to change: give key=value, --meta, --op or --remove-op' }, 2);
      }
      const body = {
        ...(params.length > 0 ? { params: attributeChanges(params, 'params') } : {}),
        ...(o.meta.length > 0 ? { meta: attributeChanges(o.meta, '--meta') } : {}),
        ...(o.op.length > 0 ? { operations: operations(o.op) } : {}),
        ...(o.removeOp.length > 0 ? { removeOperations: o.removeOp } : {}),
      };
      const r = must(await connect(g).client.updateResource(id, body));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.message} (revision ${r.revision})\n`);
    }));
}
