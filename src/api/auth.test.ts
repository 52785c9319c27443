// Join-token and API-token checks: forged, expired, reused, wrong role, malformed.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkJoinToken, formatJoinToken, parseJoinToken, sha256Hex, type JoinTokenRecord } from './auth.js';

const secret = 'abcdefghijklmnopqrstuvwx';
const pin = 'f'.repeat(64);
const stored: JoinTokenRecord = { secretSha256: sha256Hex(secret), expiresAtMs: 10_000, singleUse: true, usedBy: [], role: 'any', createdBy: 'admin' };
const token = parseJoinToken(formatJoinToken('0123456789ab', secret, pin));

describe('join tokens', () => {
  it('parses what it formats and refuses malformed tokens naming the field', () => {
    assert.equal(token.ok, true);
    for (const bad of ['', 'x.y.z', '0123456789ab.short.ffff', `0123456789ab.${secret}`]) {
      const r = parseJoinToken(bad);
      assert.equal(!r.ok && r.error.field, 'token');
    }
  });
  it('accepts a valid token and refuses forged, expired, used and wrong-role ones', () => {
    assert.ok(token.ok);
    if (!token.ok) return;
    assert.equal(checkJoinToken(stored, token.value, 'voter', 5000).ok, true);
    const code = (r: ReturnType<typeof checkJoinToken>) => (r.ok ? 'ok' : r.error.code);
    assert.equal(code(checkJoinToken(undefined, token.value, 'voter', 5000)), 'token_invalid');
    assert.equal(code(checkJoinToken({ ...stored, secretSha256: sha256Hex('other') }, token.value, 'voter', 5000)), 'token_invalid');
    assert.equal(code(checkJoinToken(stored, token.value, 'voter', 10_001)), 'token_expired');
    assert.equal(code(checkJoinToken({ ...stored, usedBy: ['n2'] }, token.value, 'voter', 5000)), 'token_used');
    assert.equal(code(checkJoinToken({ ...stored, usedBy: ['n2'], singleUse: false }, token.value, 'voter', 5000)), 'ok');
    assert.equal(code(checkJoinToken({ ...stored, role: 'worker' }, token.value, 'voter', 5000)), 'token_role');
  });
});
