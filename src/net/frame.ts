// Owns the peer wire framing: each message is a 4-byte big-endian payload length followed by
// that many bytes of UTF-8 JSON, whose top level is an object.
//
// Inputs: messages to encode; byte chunks as they arrive from a socket, split anywhere.
// Outputs: frames; the decoded messages, in order.
// Invariants: no frame longer than `frameBytesMax` is produced or buffered — the decoder refuses
// a frame from its 4-byte header, before reading its body, so a peer cannot make us buffer more
// than one maximal frame. Once a decoder fails, the byte stream has lost its alignment and the
// decoder stays failed: the connection must be closed.
//
// Pure: no node: imports, no timers.

import { limits } from '../core/limits.js';
import { assert, err, failure, ok, type Failure, type Result } from '../core/result.js';

export const frameHeaderBytes = 4;

export type FrameFailure = Failure<'frame_too_large' | 'frame_garbled'>;

const encoder = new TextEncoder();
// fatal: invalid UTF-8 is an error, not U+FFFD; a garbled peer must not look well-formed.
const decoder = new TextDecoder('utf-8', { fatal: true });

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Encodes one message as a frame, refusing non-objects, unencodable values and oversize. */
export function encodeFrame(
  message: object,
  frameBytesMax: number = limits.peerFrameBytesMax,
): Result<Uint8Array, FrameFailure> {
  assert(Number.isInteger(frameBytesMax) && frameBytesMax > 0, 'frameBytesMax must be positive');
  assert(frameBytesMax <= 0xffffffff, 'frameBytesMax must fit the 4-byte header');
  if (!isPlainObject(message)) {
    return err(failure('frame_garbled', 'a frame carries a JSON object, not an array or value'));
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return err(failure('frame_garbled', `message cannot be encoded as JSON: ${reason}`));
  }
  if (text === undefined) {
    return err(failure('frame_garbled', 'message encodes to nothing in JSON'));
  }
  // Every UTF-16 code unit becomes at least one UTF-8 byte: refuse early without encoding.
  if (text.length > frameBytesMax) return err(tooLarge(text.length, frameBytesMax));
  const payload = encoder.encode(text);
  if (payload.length > frameBytesMax) return err(tooLarge(payload.length, frameBytesMax));
  const frame = new Uint8Array(frameHeaderBytes + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length, false);
  frame.set(payload, frameHeaderBytes);
  return ok(frame);
}

function tooLarge(bytes: number, frameBytesMax: number): FrameFailure {
  return failure('frame_too_large', `frame of ${bytes} bytes exceeds the limit of ${frameBytesMax}`);
}

/** Decodes one payload; the caller has already checked its length. */
export function decodePayload(payload: Uint8Array): Result<unknown, FrameFailure> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return err(failure('frame_garbled', `frame payload is not UTF-8 JSON: ${reason}`));
  }
  if (!isPlainObject(value)) {
    return err(failure('frame_garbled', 'frame payload is not a JSON object'));
  }
  return ok(value);
}

/**
 * Incremental decoder for one byte stream. Memory held is at most one partial frame (bounded by
 * frameBytesMax), and only as many bytes as actually arrived: a header announcing a large frame
 * does not reserve memory for it.
 */
export class FrameDecoder {
  private readonly header = new Uint8Array(frameHeaderBytes);
  private headerFilled = 0;
  /** Payload length of the frame being read, or undefined while reading a header. */
  private payloadBytes: number | undefined = undefined;
  /** Pieces of the current payload received so far (copies: callers may reuse their chunks). */
  private pieces: Uint8Array[] = [];
  private piecesBytes = 0;
  private failed: FrameFailure | undefined = undefined;

  constructor(private readonly frameBytesMax: number = limits.peerFrameBytesMax) {
    assert(Number.isInteger(frameBytesMax) && frameBytesMax > 0, 'frameBytesMax must be positive');
  }

  /** Bytes of a partial frame held, header included. */
  get bufferedBytes(): number {
    return this.headerFilled + this.piecesBytes;
  }

  /**
   * Feeds a chunk; returns the messages it completed, in order. On failure the messages decoded
   * earlier in the same chunk are dropped with it: the connection is being closed anyway.
   */
  push(chunk: Uint8Array): Result<unknown[], FrameFailure> {
    if (this.failed !== undefined) return err(this.failed);
    const messages: unknown[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.payloadBytes === undefined) {
        offset = this.readHeader(chunk, offset);
        if (this.payloadBytes === undefined) break; // header still incomplete
        if (this.payloadBytes > this.frameBytesMax) {
          return this.fail(tooLarge(this.payloadBytes, this.frameBytesMax));
        }
      }
      const wanted = this.payloadBytes - this.piecesBytes;
      const take = Math.min(wanted, chunk.length - offset);
      // A zero-length payload completes at once (and is garbled: the empty string is not JSON).
      const completes = take === wanted;
      let payload: Uint8Array;
      if (completes && this.pieces.length === 0) {
        payload = chunk.subarray(offset, offset + take); // whole payload in this chunk: no copy
      } else {
        if (take > 0) this.pieces.push(chunk.slice(offset, offset + take));
        this.piecesBytes += take;
        if (!completes) break;
        payload = concat(this.pieces, this.piecesBytes);
      }
      offset += take;
      const decoded = decodePayload(payload);
      if (!decoded.ok) return this.fail(decoded.error);
      messages.push(decoded.value);
      this.resetFrame();
    }
    return ok(messages);
  }

  private readHeader(chunk: Uint8Array, offset: number): number {
    const take = Math.min(frameHeaderBytes - this.headerFilled, chunk.length - offset);
    this.header.set(chunk.subarray(offset, offset + take), this.headerFilled);
    this.headerFilled += take;
    if (this.headerFilled === frameHeaderBytes) {
      this.payloadBytes = new DataView(this.header.buffer).getUint32(0, false);
    }
    return offset + take;
  }

  private resetFrame(): void {
    this.headerFilled = 0;
    this.payloadBytes = undefined;
    this.pieces = [];
    this.piecesBytes = 0;
  }

  private fail(f: FrameFailure): Result<unknown[], FrameFailure> {
    this.failed = f;
    this.resetFrame(); // nothing more is decoded, so nothing is kept
    return err(f);
  }
}

function concat(pieces: readonly Uint8Array[], totalBytes: number): Uint8Array {
  const out = new Uint8Array(totalBytes);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  assert(at === totalBytes, 'frame pieces add up to the payload length');
  return out;
}
