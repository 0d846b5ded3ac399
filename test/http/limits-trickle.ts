/** A raw node:net client that writes its request slowly, for the slow-client tests. */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface Trickle {
  /** Everything the server wrote back. */
  received: string;
  /** Milliseconds from connect until the server closed the connection. */
  closedAfterMs: number;
  /** Bytes we managed to write before that. */
  written: number;
}

/** Writes `prefix` at once, then one byte of `tail` every `everyMs` until the server closes the socket (bounded). */
export function trickle(port: number, prefix: string, tail: string, everyMs: number, limitMs: number): Promise<Trickle> {
  return new Promise<Trickle>((resolve, reject) => {
    const started = performance.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    let written = 0;
    let timer: NodeJS.Timeout | undefined;
    const bound = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not cut the slow client off within ${limitMs} ms (wrote ${written} bytes)`));
    }, limitMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(bound);
      clearInterval(timer);
      resolve({ received, closedAfterMs: performance.now() - started, written });
    });
    socket.on('connect', () => {
      socket.write(prefix);
      written += prefix.length;
      let i = 0;
      timer = setInterval(() => {
        if (i < tail.length && socket.writable) {
          socket.write(tail[i++] as string);
          written += 1;
        }
      }, everyMs);
    });
  });
}
