// Owns the argument forms shared by the resource, constraint and fence commands: repeatable
// options, `key=value` words (an empty value removes the key in updates), operations, scores,
// roles and durations, each checked before any API call. A malformed argument is a usage
// error (status 2) naming the argument and the expected form.

import type { Failure, Result } from '../../../core/result.js';
import { fail } from '../../output.js';
import { parseDuration, parseKeyValues, parseOperation, parseRole, parseScoreText, type OperationSpec } from '../../../resources/resource-spec.js';
import type { ResourceRole } from '../../../resources/model.js';

/** Commander's collector for repeatable options. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The value, or a usage error (exit status 2) naming the argument. */
export function usage<T>(r: Result<T, Failure>): T {
  if (!r.ok) fail(r.error, 2);
  return r.value;
}

export const keyValues = (words: readonly string[], field: string): Record<string, string> => usage(parseKeyValues(words, field));

/** `key=value` sets, `key=` removes (as pcs does). */
export function attributeChanges(words: readonly string[], field: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(keyValues(words, field))) out[k] = v === '' ? null : v;
  return out;
}

export const operations = (specs: readonly string[]): OperationSpec[] => specs.map((s) => usage(parseOperation(s, '--op')));
export const score = (text: string, field: string): number => usage(parseScoreText(text, field));
export const role = (text: string, field: string): ResourceRole => usage(parseRole(text, field));
export const durationMs = (text: string, field: string): number => usage(parseDuration(text, field));
