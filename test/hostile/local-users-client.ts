/**
 * The client that local-users.test.ts runs as another user. It is written to
 * a world-readable temporary directory and run with plain `node` (no tsx, no
 * repository paths it would need to read besides the SDK it is handed), so
 * the user it runs as needs nothing but execute rights on node.
 *
 * - `node client.mjs raw <requests.json>`: each `{url, method, headers, body}`
 *   in turn with fetch; prints `[{status, body, connection, error?}]`.
 * - `node client.mjs sdk <sdk module URL> <mcp url> <legacy|modern> <log file>`:
 *   connects the official SDK client, lists tools and (with a log file) calls
 *   read_log_file; prints `{connected, tools?, text?, error?}`.
 */
export const CLIENT_SCRIPT = String.raw`
import { readFileSync } from 'node:fs';
const [mode, ...rest] = process.argv.slice(2);
if (mode === 'raw') {
  const requests = JSON.parse(readFileSync(rest[0], 'utf8'));
  const out = [];
  for (const r of requests) {
    try {
      const res = await fetch(r.url, {
        method: r.method ?? (r.body === undefined ? 'GET' : 'POST'),
        headers: r.headers ?? {},
        ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
        signal: AbortSignal.timeout(20000),
      });
      out.push({ status: res.status, body: await res.text(), connection: res.headers.get('connection') });
    } catch (error) {
      out.push({ status: 0, body: '', connection: null, error: String(error && error.cause ? error.cause : error) });
    }
  }
  process.stdout.write(JSON.stringify(out));
} else if (mode === 'sdk') {
  const [sdkUrl, url, era, logFile] = rest;
  const { Client, StreamableHTTPClientTransport } = await import(sdkUrl);
  const options = era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {};
  const client = new Client({ name: 'local-users-sdk', version: '1.0.0' }, options);
  const result = { connected: false };
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    result.connected = true;
    result.tools = (await client.listTools()).tools.length;
    if (logFile) {
      const call = await client.callTool({ name: 'read_log_file', arguments: { path: logFile } });
      result.text = JSON.stringify(call);
    }
  } catch (error) {
    result.error = String(error && error.message ? error.message : error);
  } finally {
    await client.close().catch(() => undefined);
  }
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
} else {
  process.stderr.write('usage: client.mjs raw FILE | sdk SDK URL ERA LOGFILE\n');
  process.exit(2);
}
`;
