// `herd join ADDR --token T [--voter]`: join an existing cluster and start this node's herdd.

import type { Command } from 'commander';
import { action, globalsOf } from '../command.js';
import { fail, must, printJson } from '../output.js';
import { defaultListen, defaultNodeName, joinNode } from '../provision.js';
import { spawnHerdd, waitForApi } from '../start.js';
import { defaultDataDir } from '../../daemon/paths.js';
import { HerdClient } from '../../api/client.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function register(program: Command): void {
  program
    .command('join <address>')
    .description('Join the cluster whose node answers at ADDRESS (HOST:PORT of its API)')
    .requiredOption('--token <token>', 'join token printed by herd init or herd join-token create')
    .option('--voter', 'run an etcd member and take part in the control plane (1, 3 or 5 voters)')
    .option('--name <name>', 'this node\'s name', defaultNodeName())
    .option('--listen <addr:port>', 'API address; the next ports are the peer (and, for a voter, etcd) ports', defaultListen())
    .option('--data-dir <dir>', 'where this node keeps its state', defaultDataDir())
    .option('--no-start', 'prepare the data dir only; start herdd yourself')
    .action(action(async (address: string, o: { token: string; voter?: boolean; name: string; listen: string; dataDir: string; start: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      const config = must(await joinNode({ dataDir: o.dataDir, address, token: o.token, name: o.name, listen: o.listen, voter: o.voter === true }));
      if (!o.start) {
        if (g.json) printJson({ node: config.node, cluster: config.cluster, role: config.role, dataDir: o.dataDir });
        else process.stdout.write(`joined cluster ${config.cluster} as ${config.node} (${config.role}); start it with: herdd --data-dir ${o.dataDir}\n`);
        return;
      }
      const child = spawnHerdd(o.dataDir, { detached: true });
      let exited = false;
      child.once('exit', () => (exited = true));
      const caPem = readFileSync(join(o.dataDir, 'ca.crt'), 'utf8');
      const client = new HerdClient({ addresses: [config.listen.api], caPem, timeoutMs: 3000 });
      const up = await waitForApi(client, Date.now() + 60_000, () => exited);
      if (!up.ok) fail({ ...up.error, message: `${up.error.message} (${o.dataDir}/logs/herdd.log)` });
      if (g.json) printJson({ node: config.node, cluster: config.cluster, role: config.role, pid: child.pid, api: config.listen.api });
      else process.stdout.write(`node ${config.node} joined cluster ${config.cluster} as a ${config.role}; herdd (pid ${child.pid}) serves https://${config.listen.api}\n`);
    }));
}
