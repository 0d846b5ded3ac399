/**
 * Hostile arguments meet the audit log and the metrics: a real `hostlens serve`
 * with the audit log on receives tools/call arguments nested 100,000 levels
 * deep (arrays and objects), a 1 MB string beside a password, 50,000 keys and
 * prototype-pollution keys. Every request is answered (an invalid-input tool
 * result), each gets one audit line that stays small (depth- and
 * length-bounded, the password redacted, no 1 MB string), /metrics still
 * answers, and the server then serves get_cpu.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { delay, killAll, MODERN, spawnHostlens } from '../e2e/helpers.js';

const META = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'get_cpu' };
const SECRET = 'hunter2-Sup3rS3cret-Pw';

describe('hostile arguments and the audit log', { timeout: 60_000 }, () => {
  let dir: string;
  let log: string;
  let url: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-hostile-audit-'));
    log = join(dir, 'audit.jsonl');
    const server = spawnHostlens(['serve', '--port', '0'], { env: { HOSTLENS_AUDIT_LOG: log, HOSTLENS_RATE_LIMIT: '1000,2000' } });
    ({ url } = await server.listening());
  });
  after(async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('deep, huge, wide and polluting arguments: answered, one small redacted audit line each, still serving', async () => {
    const cases: Array<[string, string]> = [
      ['100,000-level array', `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
      ['100,000-level object', `{"x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`],
      ['1 MB string and a password', JSON.stringify({ x: 'p'.repeat(1_000_000), password: SECRET })],
      ['50,000 keys', JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])))],
      ['pollution keys', '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}'],
    ];
    for (const [label, args] of cases) {
      const body = `{"jsonrpc":"2.0","id":"${label}","method":"tools/call","params":{"name":"get_cpu","arguments":${args},"_meta":${JSON.stringify(META)}}}`;
      const res = await fetch(url, { method: 'POST', headers: HEADERS, body });
      const msg = (await res.json()) as { id: string; result?: { isError: boolean; content: Array<{ text: string }> }; error?: { code: number } };
      assert.equal(msg.id, label);
      if (label.startsWith('100,000') || label === '50,000 keys') {
        // Refused on the body's shape before it is parsed (src/server/message-shape.ts).
        assert.equal(res.status, 400, label);
        assert.equal(msg.error?.code, -32602, label);
        continue;
      }
      assert.equal(res.status, 200, label);
      assert.equal(msg.result?.isError, true, label);
      assert.match(msg.result!.content[0]!.text, /Input validation error/, label);
    }
    const ok = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 'ok', method: 'tools/call', params: { name: 'get_cpu', arguments: {}, _meta: META } }) });
    const okBody = (await ok.json()) as { result: { isError?: boolean } };
    assert.equal(okBody.result.isError, undefined, 'still serving get_cpu');
    const metrics = await fetch(url.replace(/\/mcp$/, '/metrics'));
    assert.equal(metrics.status, 200, 'metrics still answer');
    await metrics.body?.cancel();

    let lines: string[] = [];
    for (let i = 0; i < 20 && lines.length < cases.length + 1; i++) {
      await delay(100);
      lines = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"tools/call"'));
    }
    assert.equal(lines.length, cases.length + 1, `one audit line per call: ${lines.length}`);
    for (const line of lines) {
      assert.ok(line.length < 8_192, `an audit line of ${line.length} bytes`);
      assert.ok(!line.includes(SECRET), 'the password reached the audit log');
      assert.ok(!line.includes('p'.repeat(5_000)), 'the 1 MB string reached the audit log');
      const entry = JSON.parse(line) as { principal: string; tool: string; outcome: string };
      assert.equal(entry.tool, 'get_cpu');
      assert.equal(typeof entry.principal, 'string');
    }
  });
});
