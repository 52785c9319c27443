// `herd constraint add location|colocation|order ...` in pcs's forms:
//   location R prefers|avoids NODE[=SCORE]...      (one constraint per node)
//   colocation R with R2 [SCORE] [--role ROLE] [--with-role ROLE]
//   order [ACTION] R then [ACTION] R2 [--kind K] [--symmetrical false]
// Every word is checked here (status 2) before the API call; ids follow pcs unless --id.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { fail, must, printJson } from '../../output.js';
import type { ActionName, Constraint, OrderKind } from '../../../resources/model.js';
import { scoreText } from '../../../resources/score.js';
import { role, score } from '../resource/args.js';

const actions: readonly string[] = ['start', 'stop', 'promote', 'demote'];
const kinds: readonly string[] = ['Mandatory', 'Optional', 'Serialize'];

const usageError = (field: string, message: string): never => fail({ code: 'invalid', field, message }, 2);

async function send(cmd: Command, constraints: Constraint[]): Promise<void> {
  const g = globalsOf(cmd);
  const { client } = connect(g);
  for (const c of constraints) {
    const r = must(await client.addConstraint(c));
    if (g.json) printJson(r);
    else process.stdout.write(`${r.message} (revision ${r.revision})\n`);
  }
}

function location(rsc: string, verb: string, nodes: string[], id: string | undefined): Constraint[] {
  if (verb !== 'prefers' && verb !== 'avoids') usageError('verb', `location: expected "prefers" or "avoids" after the resource, not "${verb}"`);
  if (id !== undefined && nodes.length > 1) usageError('--id', '--id names one constraint: give one node');
  return nodes.map((word) => {
    const eq = word.indexOf('=');
    const node = eq < 0 ? word : word.slice(0, eq);
    const given = eq < 0 ? 1_000_000 : score(word.slice(eq + 1), `${node} score`);
    const s = verb === 'prefers' ? given : -given;
    return { kind: 'location', id: id ?? `location-${rsc}-${node}-${scoreText(s)}`, resource: rsc, node, score: s, rules: [] };
  });
}

function order(words: string[], o: { kind: string; symmetrical?: string; id?: string }): Constraint {
  const form = 'order [ACTION] R then [ACTION] R2';
  const rest = [...words];
  const takeAction = (): ActionName => (actions.includes(rest[0] ?? '') ? (rest.shift() as ActionName) : 'start');
  const firstAction = takeAction();
  const first = rest.shift();
  if (first === undefined || rest.shift() !== 'then') return usageError('then', `expected ${form}`);
  const thenAction = takeAction();
  const then = rest.shift();
  if (then === undefined || rest.length > 0) return usageError('then', `expected ${form}, got "${words.join(' ')}"`);
  if (!kinds.includes(o.kind)) usageError('--kind', `--kind "${o.kind}" must be one of ${kinds.join(', ')}`);
  if (o.symmetrical !== undefined && o.symmetrical !== 'true' && o.symmetrical !== 'false') usageError('--symmetrical', '--symmetrical must be true or false');
  return {
    kind: 'order', id: o.id ?? `order-${first}-${then}-${o.kind.toLowerCase()}`, first, then, firstAction, thenAction,
    orderKind: o.kind as OrderKind, requireAll: true, ...(o.symmetrical === undefined ? {} : { symmetrical: o.symmetrical === 'true' }),
  };
}

export function register(constraint: Command): void {
  const add = constraint.command('add').description('Add a location, colocation or order constraint (pcs forms)');
  add
    .command('location <resource> <prefers|avoids> <nodes...>')
    .description('Prefer or avoid nodes: NODE or NODE=SCORE (default INFINITY)')
    .option('--id <id>', 'the constraint id (default location-R-NODE-SCORE)')
    .action(action(async (rsc: string, verb: string, nodes: string[], o: { id?: string }, cmd: Command) => send(cmd, location(rsc, verb, nodes, o.id))));
  add
    .command('colocation <resource> <with> <with-resource> [score]')
    .description('Keep R with R2 (score default INFINITY; negative keeps them apart)')
    .option('--role <role>', 'only R in this role (Started, Promoted, Unpromoted)')
    .option('--with-role <role>', 'only with R2 in this role')
    .option('--id <id>', 'the constraint id (default colocation-R-R2-SCORE)')
    .action(action(async (rsc: string, word: string, other: string, scoreWord: string | undefined, o: { role?: string; withRole?: string; id?: string }, cmd: Command) => {
      if (word !== 'with') usageError('with', `colocation: expected "R with R2", got "${rsc} ${word} ${other}"`);
      const s = scoreWord === undefined ? 1_000_000 : score(scoreWord, 'score');
      const c: Constraint = {
        kind: 'colocation', id: o.id ?? `colocation-${rsc}-${other}-${scoreText(s)}`, score: s, resource: rsc, withResource: other,
        ...(o.role === undefined ? {} : { resourceRole: role(o.role, '--role') }),
        ...(o.withRole === undefined ? {} : { withResourceRole: role(o.withRole, '--with-role') }),
      };
      await send(cmd, [c]);
    }));
  add
    .command('order <words...>')
    .description('Order actions: [start|stop|promote|demote] R then [ACTION] R2')
    .option('--kind <kind>', 'Mandatory, Optional or Serialize', 'Mandatory')
    .option('--symmetrical <bool>', 'also order the reverse actions in reverse (default true, false for Serialize)')
    .option('--id <id>', 'the constraint id (default order-R-R2-KIND)')
    .action(action(async (words: string[], o: { kind: string; symmetrical?: string; id?: string }, cmd: Command) => send(cmd, [order(words, o)])));
}
