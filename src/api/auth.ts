// Owns credentials: API tokens (the admin credential and per-user tokens) and join tokens.
// Only SHA-256 digests of secrets are stored; a token reads `herd_<id>_<secret>` (API) or
// `<id>.<secret>.<ca pin>` (join, where the pin is the cluster CA's SHA-256 prefix so a joining
// node can check it talks to the right cluster before it trusts anything).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { err, ok, type Failure, type Result } from '../core/result.js';
import { defineRecordKind, viewFolder } from '../store/records.js';

export const roles = ['admin', 'viewer'] as const;
export type Role = (typeof roles)[number];

export const apiTokenRecord = z.strictObject({
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'must be a user name'),
  role: z.enum(roles),
  secretSha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAtMs: z.number(),
  description: z.string().max(200),
});
export type ApiTokenRecord = z.infer<typeof apiTokenRecord>;
export const apiTokens = defineRecordKind(`${viewFolder}/api-tokens`, apiTokenRecord);

export const joinTokenRecord = z.strictObject({
  secretSha256: z.string().regex(/^[0-9a-f]{64}$/),
  expiresAtMs: z.number(),
  singleUse: z.boolean(),
  usedBy: z.array(z.string()),
  role: z.enum(['voter', 'worker', 'any']),
  createdBy: z.string(),
});
export type JoinTokenRecord = z.infer<typeof joinTokenRecord>;
export const joinTokens = defineRecordKind('join-tokens', joinTokenRecord);

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function newSecret(): { id: string; secret: string } {
  return { id: randomBytes(6).toString('hex'), secret: randomBytes(24).toString('base64url') };
}

export const formatApiToken = (id: string, secret: string): string => `herd_${id}_${secret}`;

export interface Principal {
  readonly user: string;
  readonly role: Role;
  readonly tokenId: string;
}

/**
 * Checks a bearer token against the stored digests, looked up in the node's watch-fed copy of
 * the API tokens (so authentication needs no store round trip, and status still answers when
 * the store has lost quorum; a revocation takes effect as fast as the watch delivers it).
 */
export function authenticate(lookup: (id: string) => ApiTokenRecord | undefined, bearer: string): Result<Principal, Failure> {
  const m = /^herd_([0-9a-f]{12})_([A-Za-z0-9_-]{20,64})$/.exec(bearer);
  if (!m) return err({ code: 'unauthenticated', message: 'the bearer token is not a Herd API token (herd_<id>_<secret>)' });
  const [, id, secret] = m as unknown as [string, string, string];
  const token = lookup(id);
  if (token === undefined || !sameDigest(token.secretSha256, sha256Hex(secret))) {
    return err({ code: 'unauthenticated', message: 'unknown or revoked API token' });
  }
  return ok({ user: token.user, role: token.role, tokenId: id });
}

export interface ParsedJoinToken {
  readonly id: string;
  readonly secret: string;
  readonly caPin: string;
}

export function parseJoinToken(token: string): Result<ParsedJoinToken, Failure> {
  const m = /^([0-9a-f]{12})\.([A-Za-z0-9_-]{20,64})\.([0-9a-f]{32})$/.exec(token);
  if (!m) return err({ code: 'token_invalid', field: 'token', message: 'the join token is malformed: expected <id>.<secret>.<ca-pin> as printed by herd init or herd token create' });
  const [, id, secret, caPin] = m as unknown as [string, string, string, string];
  return ok({ id, secret, caPin });
}

export const formatJoinToken = (id: string, secret: string, caFingerprintHex: string): string => `${id}.${secret}.${caFingerprintHex.slice(0, 32)}`;

/** Validates a join token for a role; does not consume it. */
export function checkJoinToken(
  stored: JoinTokenRecord | undefined,
  parsed: ParsedJoinToken,
  role: 'voter' | 'worker',
  nowMs: number,
): Result<void, Failure> {
  if (stored === undefined || !sameDigest(stored.secretSha256, sha256Hex(parsed.secret))) {
    return err({ code: 'token_invalid', field: 'token', message: 'the join token is not known to this cluster (forged, mistyped or deleted)' });
  }
  if (nowMs > stored.expiresAtMs) {
    return err({ code: 'token_expired', field: 'token', message: `the join token expired at ${new Date(stored.expiresAtMs).toISOString()}` });
  }
  if (stored.singleUse && stored.usedBy.length > 0) {
    return err({ code: 'token_used', field: 'token', message: `the join token was single-use and was already used by ${stored.usedBy.join(', ')}` });
  }
  if (stored.role !== 'any' && stored.role !== role) {
    return err({ code: 'token_role', field: 'voter', message: `the join token admits ${stored.role}s only` });
  }
  return ok(undefined);
}
