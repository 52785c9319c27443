import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { limits } from '../core/limits.js';
import { encodeFrame, FrameDecoder, frameHeaderBytes } from './frame.js';

function frameOf(message: object, frameBytesMax?: number): Uint8Array {
  const r = encodeFrame(message, frameBytesMax);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

function rawFrame(payload: Uint8Array, declaredBytes = payload.length): Uint8Array {
  const out = new Uint8Array(frameHeaderBytes + payload.length);
  new DataView(out.buffer).setUint32(0, declaredBytes, false);
  out.set(payload, frameHeaderBytes);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('encodeFrame', () => {
  it('writes a big-endian length then UTF-8 JSON', () => {
    const frame = frameOf({ a: 'é' });
    const payload = new TextEncoder().encode('{"a":"é"}');
    assert.deepEqual(frame, rawFrame(payload));
    assert.equal(new DataView(frame.buffer).getUint32(0, false), payload.length);
  });

  it('refuses a payload over the limit, and accepts one exactly at it', () => {
    const atLimit = frameOf({ s: 'x'.repeat(10) }); // {"s":"xxxxxxxxxx"} = 18 bytes
    assert.equal(atLimit.length - frameHeaderBytes, 18);
    assert.ok(encodeFrame({ s: 'x'.repeat(10) }, 18).ok);
    const over = encodeFrame({ s: 'x'.repeat(11) }, 18);
    assert.ok(!over.ok);
    assert.equal(over.error.code, 'frame_too_large');
    // Multi-byte characters count in bytes, not characters.
    const wide = encodeFrame({ s: 'é'.repeat(7) }, 18); // 8 + 14 bytes
    assert.ok(!wide.ok && wide.error.code === 'frame_too_large');
  });

  it('refuses arrays, cycles and values JSON cannot carry', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    for (const bad of [[1, 2], cyclic, { n: 1n }, { toJSON: () => undefined }]) {
      const r = encodeFrame(bad);
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'frame_garbled');
    }
  });
});

describe('FrameDecoder', () => {
  it('decodes several frames from one chunk and a frame split byte by byte', () => {
    const decoder = new FrameDecoder();
    const both = concat([frameOf({ n: 1 }), frameOf({ n: 2 })]);
    assert.deepEqual(decoder.push(both), { ok: true, value: [{ n: 1 }, { n: 2 }] });
    const third = frameOf({ n: 3, s: 'ünïcödé' });
    const seen: unknown[] = [];
    for (const byte of third) {
      const r = decoder.push(Uint8Array.of(byte));
      assert.ok(r.ok);
      seen.push(...r.value);
    }
    assert.deepEqual(seen, [{ n: 3, s: 'ünïcödé' }]);
    assert.equal(decoder.bufferedBytes, 0);
  });

  it('refuses an oversized frame from its header alone, before any body arrives', () => {
    const decoder = new FrameDecoder(100);
    const header = new Uint8Array(frameHeaderBytes);
    new DataView(header.buffer).setUint32(0, 101, false);
    const r = decoder.push(header);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'frame_too_large');
    assert.equal(decoder.bufferedBytes, 0);
    // The default limit is the named one.
    const big = new FrameDecoder();
    new DataView(header.buffer).setUint32(0, limits.peerFrameBytesMax + 1, false);
    assert.equal(big.push(header).ok, false);
  });

  it('holds only the bytes that arrived, not what a header announces', () => {
    const decoder = new FrameDecoder();
    const header = new Uint8Array(frameHeaderBytes + 3);
    new DataView(header.buffer).setUint32(0, limits.peerFrameBytesMax, false);
    assert.deepEqual(decoder.push(header), { ok: true, value: [] });
    assert.equal(decoder.bufferedBytes, frameHeaderBytes + 3);
  });

  it('calls invalid UTF-8, invalid JSON, non-objects and empty payloads garbled', () => {
    const cases = [
      Uint8Array.of(0x7b, 0xff, 0x7d), // '{' 0xff '}'
      new TextEncoder().encode('{"a":'),
      new TextEncoder().encode('[1,2]'),
      new TextEncoder().encode('"text"'),
      new TextEncoder().encode('null'),
      new Uint8Array(0),
    ];
    for (const payload of cases) {
      const r = new FrameDecoder().push(rawFrame(payload));
      assert.ok(!r.ok, `payload ${Array.from(payload).join(',')} accepted`);
      assert.equal(r.error.code, 'frame_garbled');
    }
  });

  it('stays failed once the stream has lost its alignment', () => {
    const decoder = new FrameDecoder();
    assert.equal(decoder.push(rawFrame(new TextEncoder().encode('nope'))).ok, false);
    const again = decoder.push(frameOf({ fine: true }));
    assert.ok(!again.ok);
    assert.equal(again.error.code, 'frame_garbled');
  });

  it('does not depend on the caller keeping its chunks intact', () => {
    const decoder = new FrameDecoder();
    const frame = frameOf({ keep: 'me' });
    const first = frame.slice(0, 7);
    assert.deepEqual(decoder.push(first), { ok: true, value: [] });
    first.fill(0); // a socket may reuse its buffer
    assert.deepEqual(decoder.push(frame.slice(7)), { ok: true, value: [{ keep: 'me' }] });
  });
});

const jsonObject = fc.dictionary(
  fc.string({ maxLength: 8 }),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 6 },
);

describe('FrameDecoder property', () => {
  it('decodes any messages split at arbitrary boundaries into the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(jsonObject, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (messages, cutSeeds) => {
          const stream = concat(messages.map((m) => frameOf(m)));
          const cuts = [...new Set(cutSeeds.map((c) => (stream.length === 0 ? 0 : c % stream.length)))];
          cuts.sort((a, b) => a - b);
          const bounds = [0, ...cuts, stream.length];
          const decoder = new FrameDecoder();
          const decoded: unknown[] = [];
          for (let i = 0; i + 1 < bounds.length; i += 1) {
            const r = decoder.push(stream.subarray(bounds[i], bounds[i + 1]));
            assert.ok(r.ok);
            decoded.push(...r.value);
          }
          // JSON round trip is the reference: -0 becomes 0, for one.
          assert.deepEqual(decoded, messages.map((m) => JSON.parse(JSON.stringify(m)) as unknown));
          assert.equal(decoder.bufferedBytes, 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
