// `herd kv get|put|delete`: small shared registers in the cluster state (linearizable).

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../command.js';
import { fail, must, printJson } from '../output.js';

export function register(parent: Command): void {
  parent
    .command('get <key>')
    .description('Read a key')
    .action(action(async (key: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.kvGet(key));
      if (g.json) return printJson(r);
      if (r.value === null) fail({ code: 'not_found', field: 'key', message: `key ${key} is not set` });
      process.stdout.write(`${r.value}\n`);
    }));
  parent
    .command('put <key> <value>')
    .description('Write a key')
    .option('--expect-revision <n>', 'only if the key is at this revision now (0: only if absent)')
    .action(action(async (key: string, value: string, o: { expectRevision?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const expect = o.expectRevision === undefined ? undefined : Number(o.expectRevision);
      if (expect !== undefined && (!Number.isInteger(expect) || expect < 0)) fail({ code: 'invalid', field: 'expect-revision', message: `--expect-revision must be a whole number >= 0` }, 2);
      const r = must(await connect(g).client.kvPut(key, value, expect));
      if (g.json) printJson(r);
      else process.stdout.write(`${key} = ${value} (revision ${r.modRevision})\n`);
    }));
  parent
    .command('delete <key>')
    .description('Delete a key')
    .action(action(async (key: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.kvDelete(key));
      if (g.json) printJson(r);
      else process.stdout.write(`${key} deleted\n`);
    }));
}
