#!/usr/bin/env node
// Owns the `herd` command line: global options and the subcommand tree. Each subcommand lives
// in its own file under commands/ and talks to herdd only through the typed API client.

import { Command } from 'commander';
import * as status from './commands/status.js';
import * as nodes from './commands/nodes.js';
import * as standby from './commands/node/standby.js';
import * as maintenance from './commands/node/maintenance.js';
import * as label from './commands/node/label.js';
import * as remove from './commands/node/remove.js';
import * as leave from './commands/leave.js';
import * as events from './commands/events.js';
import * as init from './commands/init.js';
import * as join from './commands/join.js';
import * as joinToken from './commands/join-token.js';
import * as token from './commands/token.js';
import * as kv from './commands/kv.js';
import * as simulate from './commands/resource/simulate.js';
import { defaultContextPath } from './context.js';

const program = new Command('herd')
  .description('Herd: one cluster for high availability, load balancing and batch computing')
  .version('0.1.0')
  .option('--json', 'print JSON instead of tables')
  .option('--context <file>', 'cluster context file (API addresses, CA, token)', defaultContextPath())
  .showHelpAfterError()
  .exitOverride((e) => {
    process.exit(e.exitCode === 0 ? 0 : 2);
  });

status.register(program);
nodes.register(program);
const node = program.command('node').description('Act on one node: standby, unstandby, maintenance, label, remove');
standby.register(node);
maintenance.register(node);
label.register(node);
remove.register(node);
leave.register(program);
events.register(program);
init.register(program);
join.register(program);
joinToken.register(program.command('join-token').description('Manage tokens that admit new nodes'));
token.register(program.command('token').description('Manage per-user API tokens'));
kv.register(program.command('kv').description('Small shared registers in the cluster state'));
simulate.register(program.command('resource').description('Resources: placement, constraints and planning'));

await program.parseAsync();
