// `herd init`: create a new cluster on this node and start its herdd.

import type { Command } from 'commander';
import { action, globalsOf } from '../command.js';
import { clientOf, saveContext } from '../context.js';
import { fail, must, printJson } from '../output.js';
import { defaultListen, defaultNodeName, initNode } from '../provision.js';
import { spawnHerdd, waitForApi } from '../start.js';
import { defaultDataDir } from '../../daemon/paths.js';
import { existsSync } from 'node:fs';

export function register(program: Command): void {
  program
    .command('init')
    .description('Create a new cluster with this node as its first voter, start herdd, and print a join token')
    .option('--name <name>', 'this node\'s name', defaultNodeName())
    .option('--cluster <name>', 'the cluster\'s name', 'herd')
    .option('--listen <addr:port>', 'API address; the next three ports are the peer, etcd client and etcd peer ports', defaultListen())
    .option('--data-dir <dir>', 'where this node keeps its state', defaultDataDir())
    .option('--no-start', 'prepare the data dir only; start herdd yourself (herdd --data-dir DIR)')
    .option('--force-context', 'overwrite an existing CLI context file')
    .action(action(async (o: { name: string; cluster: string; listen: string; dataDir: string; start: boolean; forceContext?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await initNode({ dataDir: o.dataDir, name: o.name, cluster: o.cluster, listen: o.listen }));
      const context = { cluster: r.config.cluster, apiAddresses: [r.config.listen.api], caPem: r.caPem, token: r.adminToken };
      const wroteContext = !existsSync(g.contextPath) || o.forceContext === true;
      if (wroteContext) saveContext(g.contextPath, context);
      if (!o.start) {
        if (g.json) printJson({ dataDir: o.dataDir, context: wroteContext ? g.contextPath : null });
        else process.stdout.write(`prepared ${o.dataDir}; start it with: herdd --data-dir ${o.dataDir}\n`);
        return;
      }
      const child = spawnHerdd(o.dataDir, { detached: true });
      let exited = false;
      child.once('exit', () => (exited = true));
      const client = clientOf(context, 3000);
      const up = await waitForApi(client, Date.now() + 60_000, () => exited);
      if (!up.ok) fail({ ...up.error, message: `${up.error.message} (${o.dataDir}/logs/herdd.log)` });
      const token = must(await client.createJoinToken({}));
      if (g.json) return printJson({ cluster: o.cluster, node: o.name, api: r.config.listen.api, pid: child.pid, context: wroteContext ? g.contextPath : null, joinToken: token });
      process.stdout.write([
        `Cluster "${o.cluster}" created; herdd (pid ${child.pid}) runs node ${o.name} with its API at https://${r.config.listen.api}`,
        `Admin credential: ${o.dataDir}/admin.token (mode 0600)${wroteContext ? `; CLI context: ${g.contextPath}` : ` (the CLI context ${g.contextPath} exists and was kept; use --force-context to replace it)`}`,
        '',
        'To add nodes, run on each of them (the token is valid for 24 h; add --voter for a voter):',
        `  ${token.joinCommand}`,
        '',
      ].join('\n'));
    }));
}
