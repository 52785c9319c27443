// Owns bounded capture of one output stream of an agent: the first `headBytesMax` bytes, the
// last `tailBytesMax` bytes of whatever came after them, and a count of everything. Memory
// stays bounded however much an agent writes; the stream is always drained.
// Also owns the excerpt of an agent's output kept in an operation result.

import { assert } from '../../core/result.js';

export interface CapturedOutput {
  /** The first bytes of the stream, decoded as UTF-8. */
  readonly text: string;
  /** Bytes after `text` that were not kept in it. */
  readonly bytesDropped: number;
  /** The last bytes of the dropped part; empty when nothing was dropped. */
  readonly tail: string;
}

export class OutputCapture {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tailChunks: Buffer[] = [];
  private tailBytes = 0;
  private dropped = 0;

  constructor(
    private readonly headBytesMax: number,
    private readonly tailBytesMax: number,
  ) {
    assert(headBytesMax >= 0 && tailBytesMax >= 0, 'output capture limits must not be negative');
  }

  push(chunk: Buffer): void {
    const headRoom = this.headBytesMax - this.headBytes;
    if (headRoom > 0) {
      const kept = chunk.subarray(0, headRoom);
      this.head.push(kept);
      this.headBytes += kept.length;
      chunk = chunk.subarray(kept.length);
    }
    if (chunk.length === 0) return;
    this.dropped += chunk.length;
    this.pushTail(chunk.subarray(Math.max(0, chunk.length - this.tailBytesMax)));
  }

  result(): CapturedOutput {
    return {
      text: Buffer.concat(this.head).toString('utf8'),
      bytesDropped: this.dropped,
      tail: Buffer.concat(this.tailChunks).toString('utf8'),
    };
  }

  private pushTail(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.tailChunks.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tailBytes > this.tailBytesMax) {
      const first = this.tailChunks[0];
      assert(first !== undefined, 'tail bytes counted without chunks');
      const excess = this.tailBytes - this.tailBytesMax;
      if (first.length <= excess) {
        this.tailChunks.shift();
        this.tailBytes -= first.length;
      } else {
        this.tailChunks[0] = first.subarray(excess);
        this.tailBytes -= excess;
      }
    }
  }
}

/** The whole of what was kept of a stream, with a marker where bytes were dropped. */
export function keptText(output: CapturedOutput): string {
  if (output.bytesDropped === 0) return output.text;
  return `${output.text}\n[... ${output.bytesDropped} bytes dropped, last ones follow ...]\n${output.tail}`;
}

/** A bounded excerpt of stdout then stderr, for an operation result. */
export function outputExcerpt(stdout: CapturedOutput, stderr: CapturedOutput, charsMax: number): string {
  const parts = [keptText(stdout).trim(), keptText(stderr).trim()].filter((part) => part.length > 0);
  const whole = parts.join('\n');
  if (whole.length <= charsMax) return whole;
  // The end of an agent's output says why it failed more often than the start.
  return `...${whole.slice(whole.length - charsMax + 3)}`;
}
