/**
 * A fetch over exactly one keep-alive TCP connection (node:http, maxSockets 1).
 * Without auth the local client is its connection (src/server/tenant.ts), and
 * the global fetch spreads even sequential calls over two pooled connections,
 * so tests of a per-client limit send through this. The whole body is read
 * before the Response is returned: for JSON answers, not open streams.
 */
import { Agent, request as httpRequest } from 'node:http';

export interface OneConnection {
  fetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Response>;
  close(): void;
}

export function oneConnection(): OneConnection {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    fetch: (url, init) =>
      new Promise<Response>((resolve, reject) => {
        const req = httpRequest(url, { method: init.method ?? 'GET', agent, headers: init.headers ?? {} }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const headers = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
            const status = res.statusCode ?? 0;
            resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(parts), { status, headers }));
          });
        });
        req.on('error', reject);
        req.end(init.body);
      }),
    close: () => agent.destroy(),
  };
}
