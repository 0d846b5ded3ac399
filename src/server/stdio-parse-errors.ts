/**
 * JSON-RPC over stdio: a line that is not JSON is answered with a -32700
 * Parse error (id null) instead of vanishing. The SDK's stdio read buffer
 * (2.4.0) silently skips such lines, so stdin is passed through this filter
 * first: complete lines that parse go on unchanged, unparseable ones are
 * answered on stdout and dropped, blank lines are dropped. Partial lines
 * longer than `maxLineBytes` are passed on as they are (the SDK's own buffer
 * limit then applies).
 */
import { Transform } from 'node:stream';
import type { Readable, Writable } from 'node:stream';

export const PARSE_ERROR_LINE = `${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the line is not valid JSON' } })}\n`;

export function answerParseErrors(stdin: Readable, stdout: Writable, maxLineBytes = 8 * 1024 * 1024): Readable {
  let pending: Buffer = Buffer.alloc(0);
  let passThroughRest = false;
  const filter = new Transform({
    transform(input: Buffer, _encoding, done) {
      let chunk: Buffer = input;
      if (passThroughRest) {
        // Inside an oversized line: forward until its end, then inspect lines again.
        const end = chunk.indexOf(0x0a);
        if (end < 0) return done(null, chunk);
        passThroughRest = false;
        this.push(chunk.subarray(0, end + 1));
        chunk = chunk.subarray(end + 1);
      }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let start = 0;
      for (let end = pending.indexOf(0x0a, start); end >= 0; end = pending.indexOf(0x0a, start)) {
        const line = pending.subarray(start, end + 1);
        start = end + 1;
        const text = line.toString('utf8').replace(/\r?\n$/, '');
        if (text.trim() === '') continue;
        try {
          JSON.parse(text);
          this.push(line);
        } catch {
          stdout.write(PARSE_ERROR_LINE);
        }
      }
      pending = pending.subarray(start);
      if (pending.length > maxLineBytes) {
        this.push(pending);
        pending = Buffer.alloc(0);
        passThroughRest = true;
      }
      done();
    },
    flush(done) {
      if (pending.length > 0) this.push(pending);
      done();
    },
  });
  stdin.pipe(filter);
  return filter;
}
