// `herd token create|list|revoke`: per-user API tokens (admin or viewer).

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../command.js';
import { fail, must, printJson, table } from '../output.js';

export function register(parent: Command): void {
  parent
    .command('create')
    .description('Create an API token for a user')
    .requiredOption('--user <name>', 'who the token is for')
    .option('--role <role>', 'admin (may change things) or viewer (reads only)', 'viewer')
    .option('--description <text>', 'a note kept with the token', '')
    .action(action(async (o: { user: string; role: string; description: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      if (o.role !== 'admin' && o.role !== 'viewer') fail({ code: 'invalid', field: 'role', message: `--role must be admin or viewer, not "${o.role}"` }, 2);
      const t = must(await connect(g).client.createApiToken({ user: o.user, role: o.role, description: o.description }));
      if (g.json) return printJson(t);
      process.stdout.write(`${t.token}\n(${t.role} token ${t.id} for ${t.user}; it is not shown again)\n`);
    }));
  parent
    .command('list')
    .description('List API tokens')
    .action(action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.listApiTokens());
      if (g.json) return printJson(r);
      process.stdout.write(`${table(['ID', 'USER', 'ROLE', 'CREATED', 'DESCRIPTION'], r.tokens.map((t) => [t.id, t.user, t.role, new Date(t.createdAtMs).toISOString(), t.description]))}\n`);
    }));
  parent
    .command('revoke <id>')
    .description('Revoke an API token')
    .action(action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.revokeApiToken(id));
      if (g.json) printJson(r);
      else process.stdout.write(`API token ${id} revoked\n`);
    }));
}
