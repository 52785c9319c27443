// `herd join-token create|list|delete`: tokens that admit new nodes.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../command.js';
import { fail, must, parseDurationMs, printJson, table } from '../output.js';

export function register(parent: Command): void {
  parent
    .command('create')
    .description('Create a join token')
    .option('--ttl <duration>', 'how long it stays valid (30m, 24h, 7d)', '24h')
    .option('--single-use', 'it admits one node only')
    .option('--role <role>', 'voter, worker or any', 'any')
    .action(action(async (o: { ttl: string; singleUse?: boolean; role: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const ttl = parseDurationMs(o.ttl, 'ttl');
      if (!ttl.ok) fail(ttl.error, 2);
      const ttlMs = ttl.value;
      if (o.role !== 'voter' && o.role !== 'worker' && o.role !== 'any') fail({ code: 'invalid', field: 'role', message: `--role must be voter, worker or any, not "${o.role}"` }, 2);
      const t = must(await connect(g).client.createJoinToken({ ttlMs, singleUse: o.singleUse === true, role: o.role }));
      if (g.json) return printJson(t);
      process.stdout.write(`${t.token}\n\nvalid until ${new Date(t.expiresAtMs).toISOString()}${t.singleUse ? ', single use' : ''}; on the new node run:\n  ${t.joinCommand}\n`);
    }));
  parent
    .command('list')
    .description('List join tokens')
    .action(action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.listJoinTokens());
      if (g.json) return printJson(r);
      process.stdout.write(`${table(['ID', 'ROLE', 'EXPIRES', 'SINGLE-USE', 'USED BY', 'CREATED BY'], r.tokens.map((t) => [t.id, t.role, new Date(t.expiresAtMs).toISOString(), t.singleUse ? 'yes' : 'no', t.usedBy.join(',') || '-', t.createdBy]))}\n`);
    }));
  parent
    .command('delete <id>')
    .description('Delete a join token')
    .action(action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.deleteJoinToken(id));
      if (g.json) printJson(r);
      else process.stdout.write(`join token ${id} deleted\n`);
    }));
}
