/**
 * Raw TCP exchanges with an HTTP server (node:net), for what no HTTP client
 * will send: oversized heads, trickled headers, pipelined garbage, duplicate
 * and conflicting headers, absurd Content-Length, smuggling-shaped framing.
 * Every exchange is bounded in time and destroys its socket.
 */
import { connect } from 'node:net';

export interface Exchange {
  /** Everything the server sent, as latin1 text (bytes preserved). */
  text: string;
  /** The server closed (or reset) the connection before the deadline. */
  closed: boolean;
  /** When the connection ended, ms after connecting (or the deadline). */
  ms: number;
}

export interface ExchangeOptions {
  /** Give up (and destroy the socket) after this long. */
  timeoutMs?: number;
  /** Pieces written one after another, `gapMs` apart. */
  gapMs?: number;
  /** Stop reading once this many complete responses arrived (default: read until close or deadline). */
  responses?: number;
}

/** Writes `pieces` to 127.0.0.1:port and collects the answer until the server closes, enough responses came, or the deadline. */
export function exchange(port: number, pieces: ReadonlyArray<string | Buffer>, options: ExchangeOptions = {}): Promise<Exchange> {
  const started = Date.now();
  return new Promise<Exchange>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const t of writers) clearTimeout(t);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed, ms: Date.now() - started });
    };
    const writers: NodeJS.Timeout[] = [];
    timer = setTimeout(() => finish(false), options.timeoutMs ?? 10_000);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (options.responses !== undefined && splitResponses(Buffer.concat(chunks).toString('latin1')).length >= options.responses) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      pieces.forEach((piece, i) => {
        writers.push(
          setTimeout(() => {
            if (!done && !socket.destroyed && socket.writable) socket.write(piece, () => undefined);
          }, i * (options.gapMs ?? 0)),
        );
      });
    });
  });
}

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits the bytes of one connection into HTTP/1.1 responses (Content-Length or chunked bodies); an incomplete tail is dropped. */
export function splitResponses(text: string): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let rest = text;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) return out;
    const [statusLine = '', ...lines] = rest.slice(0, headEnd).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!m) return out;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let body = '';
    let after = rest.slice(headEnd + 4);
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      for (;;) {
        const eol = after.indexOf('\r\n');
        if (eol < 0) return out;
        const size = parseInt(after.slice(0, eol), 16);
        if (!Number.isFinite(size)) return out;
        if (after.length < eol + 2 + size + 2) return out;
        body += after.slice(eol + 2, eol + 2 + size);
        after = after.slice(eol + 2 + size + 2);
        if (size === 0) break;
      }
    } else if (headers['content-length'] === undefined && headers.connection?.toLowerCase() === 'close' && !/^(?:1\d\d|204|304)$/.test(m[1]!)) {
      // no length: the body runs until the connection closes (HTTP/1.0 style)
      body = after;
      after = '';
    } else {
      const len = Number(headers['content-length'] ?? 0);
      if (after.length < len) return out;
      body = after.slice(0, len);
      after = after.slice(len);
    }
    out.push({ status: Number(m[1]), headers, body: Buffer.from(body, 'latin1').toString('utf8') });
    rest = after;
  }
}

/** A complete HTTP/1.1 request as text. */
export function httpRequest(method: string, path: string, headers: Record<string, string | string[]>, body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  if (body !== '' && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding')) {
    lines.push(`content-length: ${Buffer.byteLength(body)}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
