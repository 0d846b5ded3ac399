/**
 * A flood of unauthenticated requests cannot rotate the authenticated audit
 * lines away: a real `hostlens serve` with a token and a small audit log
 * (64 KiB, 2 rotated files kept) records one authenticated call, then takes
 * 50,000 requests without a token (401), with a bad token (401) and with a
 * token in the query string (400). After SIGTERM (which writes the last
 * window's summary) the authenticated line is still in the files, and the
 * refusal lines written plus the summaries' counts add up to 50,000.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { rotatedPath } from '../../src/http/audit.js';
import type { AuditEntry } from '../../src/contracts/audit.js';
import { killAll, MCP_POST_HEADERS, spawnHostlens, within } from '../e2e/helpers.js';
import { formatLoopStats, probeDuring } from './loop-probe.js';

const TOKEN = 'audit-flood-token-0123456789';
const FLOOD = 50_000;
const BODY = '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}';

describe('audit log under an unauthenticated flood', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-audit-flood-'));
  after(async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${FLOOD.toLocaleString('en')} unauthenticated requests leave the authenticated line in place; the counts add up`, async (t) => {
    const log = join(dir, 'audit.jsonl');
    // 64 KiB × 3 files: without the throttle the flood (≈ 15 MB of lines) would rotate everything before it away.
    const config = join(dir, 'hostlens.json');
    writeFileSync(config, JSON.stringify({ port: 0, samplerIntervalMs: 5000, auditLog: { path: log, maxBytes: 65_536, keep: 2 } }));
    const server = spawnHostlens(['serve', '--config', config], { env: { HOSTLENS_AUTH_TOKEN: TOKEN } });
    const { port } = await server.listening(30_000);
    const url = `http://127.0.0.1:${port}/mcp`;
    const headers = { ...MCP_POST_HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' };

    const ok = await fetch(url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${TOKEN}` }, body: BODY.replace('"id":1', '"id":"authenticated-before"') });
    assert.equal(ok.status, 200);
    await ok.text();

    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const sent = new Map<number, number>();
    const { stats } = await probeDuring(port, async () => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < FLOOD) {
          const i = next++;
          const variant = i % 3;
          const path = variant === 2 ? `/mcp?access_token=x${i}` : '/mcp';
          const h: Record<string, string> = { ...headers, host: `127.0.0.1:${port}` };
          if (variant === 1) h.authorization = `Bearer wrong-${i}-0123456789abcdef`;
          const status = await post(agent, port, path, h, BODY);
          sent.set(status, (sent.get(status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 32 }, worker));
    });
    agent.destroy();
    t.diagnostic(formatLoopStats(`${FLOOD} unauthenticated requests`, stats));
    t.diagnostic(`statuses: ${JSON.stringify([...sent])}`);
    assert.equal((sent.get(401) ?? 0) + (sent.get(400) ?? 0), FLOOD, `every flood request refused: ${JSON.stringify([...sent])}`);

    server.signal('SIGTERM');
    assert.equal((await within(20_000, 'serve to exit', server.exited)).code, 0);

    const entries: AuditEntry[] = [];
    for (let n = 0; n <= 3; n++) {
      const f = rotatedPath(log, n);
      if (existsSync(f)) for (const line of readFileSync(f, 'utf8').split('\n')) if (line !== '') entries.push(JSON.parse(line) as AuditEntry);
    }
    assert.ok(entries.some((e) => e.requestId === 'authenticated-before' && e.principal === 'static:default' && e.outcome === 'ok'), 'the authenticated line is still there');
    const unauth = entries.filter((e) => e.principal === 'unauthenticated');
    const lines = unauth.filter((e) => e.outcome !== 'suppressed');
    const summaries = unauth.filter((e) => e.outcome === 'suppressed');
    const suppressed = summaries.reduce((n, e) => n + (e.count ?? 0), 0);
    t.diagnostic(`${entries.length} audit lines: ${lines.length} refusals written, ${summaries.length} summaries of ${suppressed} more`);
    assert.ok(summaries.length >= 1);
    assert.equal(lines.length + suppressed, FLOOD, 'written refusals plus summarised ones = the flood');
    const byStatus: Record<string, number> = {};
    for (const e of lines) byStatus[e.httpStatus] = (byStatus[e.httpStatus] ?? 0) + 1;
    for (const e of summaries) for (const [k, v] of Object.entries(e.byStatus ?? {})) byStatus[k] = (byStatus[k] ?? 0) + v;
    assert.deepEqual(byStatus, Object.fromEntries([...sent].map(([k, v]) => [String(k), v])), 'the per-status counts add up');
  });
});

function post(agent: Agent, port: number, path: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(-1));
    });
    req.on('error', () => resolve(-1));
    req.end(body);
  });
}
