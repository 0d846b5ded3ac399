/**
 * JSON-RPC over stdio: every line is checked as a POST body is over HTTP before the SDK sees it, and a
 * line that is refused is answered instead of vanishing (the SDK's stdio read buffer, 2.4.0, silently
 * skips lines it cannot parse):
 * - not JSON → -32700 Parse error, id null;
 * - the body-shape bounds (server/message-shape.ts: depth 64, 1,000 members, 10,000 values, batches, ids
 *   ≤ 1,024 chars) checked on the text before JSON.parse, then the over-long names, URIs and
 *   progressToken and the heavy batches on the parsed message: the same -32600/-32601/-32602 answer HTTP
 *   gives, with the id when it is known. A 100,000-level line used to reach the SDK's validation, and a
 *   300,000-key one held the loop 1.2–1.6 s over HTTP before these bounds;
 * - a line longer than `maxLineBytes` (default 8 MiB) → -32600, id null, and dropped up to its newline
 *   (it used to be passed on, for the SDK to buffer and parse whole). Below the SDK's own cap
 *   (STDIO_DEFAULT_MAX_BUFFER_SIZE, 10 MiB of read buffer), which closes the whole connection instead;
 * - blank lines are dropped; everything else passes on unchanged.
 * A line's pieces are kept apart until its newline arrives (one copy per line, not one per chunk).
 */
import { Transform } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import { batchProblem, bodyShapeProblem, echoProblem } from './message-shape.js';
import type { ShapeRefusal } from './message-shape.js';
import { HostlensError } from '../contracts/errors.js';
import { jsonRpcErrorObject } from './error-mapping.js';

const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

function refusalLine(r: Pick<ShapeRefusal, 'id' | 'data' | 'message'> & { code: HostlensError['code'] }): string {
  return `${JSON.stringify({ jsonrpc: '2.0', id: r.id, error: jsonRpcErrorObject(new HostlensError(r.code, r.message, { data: r.data })) })}\n`;
}

export const PARSE_ERROR_LINE = refusalLine({ code: 'parse_error', message: 'Parse error: the line is not valid JSON', id: null });

/** The answer a line gets instead of being passed on, or null to pass it on. */
function lineRefusal(text: string): string | null {
  const shape = bodyShapeProblem(text);
  if (shape) return refusalLine(shape);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return PARSE_ERROR_LINE;
  }
  const problem = batchProblem(body) ?? echoProblem(body);
  return problem ? refusalLine(problem) : null;
}

export function answerParseErrors(stdin: Readable, stdout: Writable, maxLineBytes = DEFAULT_MAX_LINE_BYTES): Readable {
  let pieces: Buffer[] = [];
  let pendingBytes = 0;
  /** Inside a line already refused as too long: dropped up to its newline. */
  let skipping = false;
  const tooLong = refusalLine({ code: 'invalid_request', message: `Invalid Request: a line longer than ${maxLineBytes} bytes`, id: null });
  const filter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        const piece = chunk.subarray(start, nl + 1);
        start = nl + 1;
        if (skipping) {
          skipping = false;
          continue;
        }
        const line = pieces.length > 0 ? Buffer.concat([...pieces, piece]) : piece;
        pieces = [];
        pendingBytes = 0;
        if (line.length > maxLineBytes + 2) {
          stdout.write(tooLong);
          continue;
        }
        const text = line.toString('utf8').replace(/\r?\n$/, '');
        if (text.trim() === '') continue;
        const answer = lineRefusal(text);
        if (answer === null) this.push(line);
        else stdout.write(answer);
      }
      if (start < chunk.length && !skipping) {
        pieces.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > maxLineBytes) {
          stdout.write(tooLong);
          pieces = [];
          pendingBytes = 0;
          skipping = true;
        }
      }
      done();
    },
    flush(done) {
      // an unterminated last line: the SDK only reads whole lines, so it is passed on as it was
      if (pieces.length > 0 && !skipping) this.push(Buffer.concat(pieces));
      done();
    },
  });
  stdin.pipe(filter);
  return filter;
}
