// `herd resource add NAME AGENT [key=value...] [--meta k=v] [--op SPEC] [--group G] [--clone] [--promotable]`
// (like pcs resource create). Without --op, the agent's meta-data monitor is added.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';
import { parseAgent } from '../../../resources/resource-spec.js';
import { collect, keyValues, operations, usage } from './args.js';

interface Options { meta: string[]; op: string[]; group?: string; clone?: boolean; cloneId?: string; cloneMeta: string[]; promotable?: boolean }

export function register(resource: Command): void {
  resource
    .command('add <name> <agent> [params...]')
    .description('Add a resource: AGENT is ocf:PROVIDER:TYPE, systemd:UNIT or exec:NAME; params are key=value')
    .option('--meta <key=value>', 'a meta attribute (repeatable)', collect, [])
    .option('--op <spec>', 'an operation, e.g. "monitor interval=10s timeout=20s on-fail=restart" (repeatable)', collect, [])
    .option('--group <group>', 'add as the last member of this group (created when missing)')
    .option('--clone', 'run it as a clone (NAME-clone)')
    .option('--clone-id <id>', 'the clone\'s id (default NAME-clone)')
    .option('--clone-meta <key=value>', 'a meta attribute of the clone (repeatable)', collect, [])
    .option('--promotable', 'a promotable clone (implies --clone)')
    .action(action(async (name: string, agent: string, params: string[], o: Options, cmd: Command) => {
      const g = globalsOf(cmd);
      usage(parseAgent(agent));
      const body = {
        id: name, agent, params: keyValues(params, 'params'), meta: keyValues(o.meta, '--meta'),
        ...(o.op.length > 0 ? { operations: operations(o.op) } : {}),
        ...(o.group === undefined ? {} : { group: o.group }),
        ...(o.clone === true ? { clone: true } : {}),
        ...(o.promotable === true ? { promotable: true } : {}),
        ...(o.cloneId === undefined ? {} : { cloneId: o.cloneId }),
        ...(o.cloneMeta.length > 0 ? { cloneMeta: keyValues(o.cloneMeta, '--clone-meta') } : {}),
      };
      const r = must(await connect(g).client.addResource(body));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.message} (revision ${r.revision})\n`);
    }));
}
