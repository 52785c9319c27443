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
import * as resourceAdd from './commands/resource/add.js';
import * as resourceList from './commands/resource/list.js';
import * as resourceShow from './commands/resource/show.js';
import * as resourceUpdate from './commands/resource/update.js';
import * as resourceDelete from './commands/resource/delete.js';
import * as resourceMove from './commands/resource/move.js';
import * as resourceBan from './commands/resource/ban.js';
import * as resourceClear from './commands/resource/clear.js';
import * as resourceCleanup from './commands/resource/cleanup.js';
import * as resourceEnable from './commands/resource/enable.js';
import * as resourceDisable from './commands/resource/disable.js';
import * as resourceRestart from './commands/resource/restart.js';
import * as resourceImport from './commands/resource/import.js';
import * as resourceScores from './commands/resource/scores.js';
import * as resourceOptions from './commands/resource/options.js';
import * as constraintAdd from './commands/constraint/add.js';
import * as constraintList from './commands/constraint/list.js';
import * as constraintDelete from './commands/constraint/delete.js';
import * as fenceAdd from './commands/fence/add.js';
import * as fenceList from './commands/fence/list.js';
import * as fenceDelete from './commands/fence/delete.js';
import * as fenceTest from './commands/fence/test.js';
import * as fenceHistory from './commands/fence/history.js';
import * as fenceNode from './commands/fence/node.js';
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
const resource = program.command('resource').description('Resources: add, change, move, stop and inspect them; placement and planning');
for (const c of [resourceAdd, resourceList, resourceShow, resourceUpdate, resourceDelete, resourceMove, resourceBan, resourceClear, resourceCleanup, resourceEnable, resourceDisable, resourceRestart, resourceImport, resourceScores, resourceOptions, simulate]) c.register(resource);
const constraint = program.command('constraint').description('Location, colocation and order constraints');
for (const c of [constraintAdd, constraintList, constraintDelete]) c.register(constraint);
const fence = program.command('fence').description('Fence devices, fencing a node, fencing history');
for (const c of [fenceAdd, fenceList, fenceDelete, fenceTest, fenceHistory, fenceNode]) c.register(fence);

await program.parseAsync();
