/**
 * The fairness suite's victim as a process of its own. Without auth the
 * server counts clients by the process holding the connection
 * (src/server/tenant.ts), so a victim inside the test process would share the
 * noisy client's limits: it runs in a child `node` with the official SDK
 * clients (a 2025-11-25 session and 2026-07-28 stateless, like the in-process
 * victim of fairness-harness.ts) and takes one JSON command per stdin line:
 *
 * - `{"op":"serve","calls":n,"tool":…,"args":{…}}` → `{"ok":2n}` (each call in
 *   both eras) or `{"error":"…"}` at the first failure (HTTP or JSON-RPC error,
 *   isError, or no answer within 40 s);
 * - `{"op":"listen"}` → `{"status":…}` of a 2026-07-28 subscriptions/listen it
 *   keeps open until the child ends;
 * - stdin closed: the clients close and the child exits.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MODERN } from '../e2e/helpers.js';
import { within } from '../support/async.js';

const SCRIPT = String.raw`
import { createInterface } from 'node:readline';
const [sdkUrl, url, modernVersion] = process.argv.slice(2);
const { Client, StreamableHTTPClientTransport } = await import(sdkUrl);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const bounded = (ms, what, p) => Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(what + ': no answer within ' + ms + ' ms')), ms).unref())]);
let legacy, modern;
try {
  legacy = new Client({ name: 'victim-legacy', version: '1.0.0' }, { supportedProtocolVersions: ['2025-11-25'] });
  await bounded(15000, 'legacy connect', legacy.connect(new StreamableHTTPClientTransport(new URL(url))));
  modern = new Client({ name: 'victim-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: modernVersion } } });
  await bounded(15000, 'modern connect', modern.connect(new StreamableHTTPClientTransport(new URL(url))));
  say({ ready: true });
} catch (error) {
  say({ error: String(error && error.message ? error.message : error) });
  process.exit(1);
}
const listens = [];
const run = async (cmd) => {
  if (cmd.op === 'listen') {
    const c = new AbortController();
    listens.push(c);
    const res = await fetch(url, {
      method: 'POST',
      signal: c.signal,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': modernVersion, 'mcp-method': 'subscriptions/listen' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'victim-listen', method: 'subscriptions/listen', params: { notifications: { resourceSubscriptions: ['diag://local/overview'] }, _meta: { 'io.modelcontextprotocol/protocolVersion': modernVersion, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
    });
    return { status: res.status };
  }
  let ok = 0;
  for (let i = 0; i < cmd.calls; i++) {
    for (const [era, client] of [['legacy', legacy], ['modern', modern]]) {
      let result;
      try {
        result = await bounded(40000, 'victim ' + era + ' ' + cmd.tool, client.callTool({ name: cmd.tool, arguments: cmd.args }));
      } catch (error) {
        return { error: 'victim ' + era + ' ' + cmd.tool + ' #' + i + ': ' + String(error && error.message ? error.message : error) };
      }
      if (result.isError === true) return { error: 'victim ' + era + ' ' + cmd.tool + ' #' + i + ': ' + JSON.stringify(result.content).slice(0, 300) };
      ok += 1;
    }
  }
  return { ok };
};
let chain = Promise.resolve();
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => { chain = chain.then(() => run(JSON.parse(line))).then(say, (e) => say({ error: String(e) })); });
lines.on('close', async () => {
  await chain;
  for (const c of listens) c.abort();
  await legacy.close().catch(() => undefined);
  await modern.close().catch(() => undefined);
  process.exit(0);
});
`;

export interface ChildVictim {
  pid: number;
  serve(calls: number, tool?: string, args?: Record<string, unknown>): Promise<number>;
  /** Opens a subscriptions/listen held until close; its HTTP status. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

/** Spawns the victim process against `url` and waits until both SDK clients are connected. */
export async function childVictim(url: string): Promise<ChildVictim> {
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-victim-'));
  const script = join(dir, 'victim.mjs');
  writeFileSync(script, SCRIPT);
  const child = spawn(process.execPath, [script, import.meta.resolve('@modelcontextprotocol/client'), url, MODERN], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const replies: Array<(reply: Record<string, unknown>) => void> = [];
  let ended = false;
  createInterface({ input: child.stdout }).on('line', (line) => replies.shift()?.(JSON.parse(line) as Record<string, unknown>));
  void exited.then(() => {
    ended = true;
    for (const r of replies.splice(0)) r({ error: 'the victim process exited' });
  });
  const next = (): Promise<Record<string, unknown>> => new Promise((resolve) => (ended ? resolve({ error: 'the victim process exited' }) : replies.push(resolve)));
  const ask = async (cmd: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const reply = next();
    child.stdin.write(`${JSON.stringify(cmd)}\n`);
    return within(120_000, `victim ${String(cmd.op)}`, reply);
  };
  const ready = await within(30_000, 'victim process ready', next());
  if (ready.error !== undefined) throw new Error(`victim: ${String(ready.error)}`);
  return {
    pid: child.pid!,
    async serve(calls, tool = 'get_system_info', args = {}) {
      const reply = await ask({ op: 'serve', calls, tool, args });
      if (typeof reply.ok !== 'number') throw new Error(String(reply.error));
      return reply.ok;
    },
    async listen() {
      const reply = await ask({ op: 'listen' });
      if (typeof reply.status !== 'number') throw new Error(String(reply.error));
      return reply.status;
    },
    async close() {
      child.stdin.end();
      await within(15_000, 'victim exit', exited).catch(() => child.kill('SIGKILL'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
