/**
 * The structured request log: one JSON line per request with era, method,
 * tool, duration and status; never tool output, never the bearer token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/util/log.js';
import { delay, modernMeta, postLegacy, postModern, readResponse, startApp, within } from './helpers.js';
import type { Running } from './helpers.js';

const TOKEN = 'log-test-token-abcdefghijklmnop';
const OUTPUT = 'TOOL-OUTPUT-must-not-be-logged';

interface Line {
  level: string;
  msg: string;
  [key: string]: unknown;
}

describe('request log', () => {
  const lines: string[] = [];
  let r: Running;
  before(async () => {
    r = await startApp({ authToken: TOKEN, logger: createLogger({ level: 'debug', write: (line) => void lines.push(line) }) });
  });
  after(async () => {
    await r.app.close();
  });

  const auth = { authorization: `Bearer ${TOKEN}` };
  const requestLines = (): Line[] => lines.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === 'request');
  const waitForLines = async (n: number): Promise<Line[]> =>
    within(
      5_000,
      `${n} request log lines`,
      (async () => {
        while (requestLines().length < n) await delay(10);
        return requestLines();
      })(),
    );

  test('every line is one JSON object; a modern call logs era, method, tool, status and duration', async () => {
    const before = requestLines().length;
    const res = await postModern(r.url, {
      method: 'tools/call',
      id: 'logged',
      params: { name: 'echo', arguments: { text: OUTPUT }, _meta: modernMeta() },
      headers: auth,
    });
    assert.equal((await readResponse(res)).id, 'logged');
    const all = await waitForLines(before + 1);
    const line = all[before];
    assert.ok(line);
    assert.equal(line.level, 'info');
    assert.equal(line.era, 'modern');
    assert.equal(line.rpcMethod, 'tools/call');
    assert.equal(line.tool, 'echo');
    assert.equal(line.status, 200);
    assert.equal(line.httpMethod, 'POST');
    assert.equal(line.path, '/mcp');
    assert.equal(typeof line.durationMs, 'number');
    for (const raw of lines) {
      assert.ok(raw.endsWith('\n') && !raw.slice(0, -1).includes('\n'), 'one line per record');
      JSON.parse(raw);
    }
  });

  test('legacy requests log era legacy; refused requests log their status', async () => {
    const before = requestLines().length;
    const res = await fetch(r.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        ...auth,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    assert.equal(res.status, 200);
    const session = res.headers.get('mcp-session-id');
    assert.ok(session);
    await res.text();
    const unauth = await postLegacy(r.url, '2025-11-25', session, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    assert.equal(unauth.status, 401);
    await unauth.text();
    const all = await waitForLines(before + 2);
    const [init, refused] = all.slice(before);
    assert.equal(init?.era, 'legacy');
    assert.equal(init?.rpcMethod, 'initialize');
    assert.equal(init?.status, 200);
    assert.equal(refused?.status, 401);
    const authed = await fetch(r.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        'mcp-session-id': session,
        ...auth,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    assert.equal(authed.status, 200);
    await authed.text();
    const listed = (await waitForLines(before + 3)).at(-1);
    assert.match(String(listed?.sessionRef), /^[0-9a-f]{12}$/, 'a session is logged by a short digest');
    assert.ok(!lines.some((raw) => raw.includes(session)), 'the usable session id never appears in the log');
  });

  test('no log line carries the bearer token or tool output', () => {
    assert.ok(lines.length > 0);
    for (const raw of lines) {
      assert.ok(!raw.includes(TOKEN), `token leaked: ${raw}`);
      assert.ok(!raw.includes(OUTPUT), `tool output leaked: ${raw}`);
    }
  });
});
