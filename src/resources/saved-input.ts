// Owns the file format of a saved planner input (`<data dir>/pe-inputs/pe-input-N.json`, like
// Pacemaker's pe-input-N.bz2): the planner input and the time it was planned at, as the
// coordinator built them, so `herd resource simulate --input FILE` replays any decision
// offline. Validated when read, like every input from outside.

import { z } from 'zod';
import { zodFailure } from '../store/records.js';
import { err, ok, type Failure, type Result } from '../core/result.js';
import type { PlannerInput } from './model.js';
import { attributes, resourceConfigRecord, resourceHistory } from './records.js';

export interface SavedInput {
  readonly nowS: number;
  readonly input: PlannerInput;
}

const savedInput = z.strictObject({
  nowS: z.number().int(),
  input: z.strictObject({
    configuration: resourceConfigRecord.extend({
      nodes: z.array(z.strictObject({ id: z.string(), name: z.string(), type: z.enum(['member', 'remote', 'ping']), attributes, utilization: attributes })),
    }),
    status: z.strictObject({
      haveQuorum: z.boolean(),
      quorumLost: z.boolean().optional(),
      executionDateS: z.number().optional(),
      nodes: z.array(z.strictObject({
        id: z.string(), name: z.string(),
        inCluster: z.string().optional(), controller: z.string().optional(), join: z.string().optional(), expected: z.string().optional(),
        attributes, resources: z.array(resourceHistory),
      })),
    }),
  }),
});

export function parseSavedInput(text: string): Result<SavedInput, Failure> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err({ code: 'invalid', field: 'input', message: `not JSON: ${(e as Error).message}` });
  }
  const parsed = savedInput.safeParse(json);
  return parsed.success ? ok(parsed.data as unknown as SavedInput) : err(zodFailure(parsed.error, 'input'));
}
