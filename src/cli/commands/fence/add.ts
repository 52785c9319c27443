// `herd fence add NAME AGENT [key=value...] [--meta k=v] [--op SPEC]`: a fence device (a
// stonith resource), e.g. `herd fence add ipmi-n1 fence_ipmilan ip=10.0.0.9 pcmk_host_list=n1`.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { fail, must, printJson } from '../../output.js';
import { collect, keyValues, operations } from '../resource/args.js';

export function register(fence: Command): void {
  fence
    .command('add <name> <agent> [params...]')
    .description('Add a fence device: AGENT is a fence agent (fence_ipmilan); params are key=value, pcmk_* included')
    .option('--meta <key=value>', 'a meta attribute (repeatable)', collect, [])
    .option('--op <spec>', 'an operation (default "monitor interval=60s") (repeatable)', collect, [])
    .action(action(async (name: string, agent: string, params: string[], o: { meta: string[]; op: string[] }, cmd: Command) => {
      const g = globalsOf(cmd);
      if (!/^fence_[A-Za-z0-9_.-]+$/.test(agent)) fail({ code: 'invalid', field: 'agent', message: `agent "${agent}" must be a fence agent name such as fence_ipmilan` }, 2);
      const body = {
        id: name, agent, params: keyValues(params, 'params'), meta: keyValues(o.meta, '--meta'),
        ...(o.op.length > 0 ? { operations: operations(o.op) } : {}),
      };
      const r = must(await connect(g).client.addFenceDevice(body));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.message} (revision ${r.revision})\n`);
    }));
}
