/**
 * The real `hostlens serve` (spawned, loopback): with a token the audit log
 * is on by default at $XDG_STATE_HOME/hostlens/audit.jsonl (0600 in a 0700
 * directory), /metrics needs the token, and SIGTERM flushes every line before
 * exit 0; without auth the audit log is off by default, and
 * HOSTLENS_METRICS=false removes /metrics.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FIXTURE_HOSTS } from '../fixtures/fixture-services.js';
import { killAll, spawnHostlens, within } from '../e2e/helpers.js';
import { modernMeta, postModern, readResponse } from './helpers.js';
import type { AuditEntry } from '../../src/contracts/audit.js';

const TOKEN = 'serve-audit-token-0123456789abcdef';
const dirs: string[] = [];
after(async () => {
  await killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hostlens-serve-audit-'));
  dirs.push(d);
  return d;
}

describe('hostlens serve: audit log and /metrics wiring', () => {
  test('auth on: audit on by default, /metrics behind the token, SIGTERM flushes every line and exits 0', async () => {
    const state = stateDir();
    const server = spawnHostlens(['serve', '--port', '0', '--root', `${FIXTURE_HOSTS}idle`], {
      env: { HOSTLENS_AUTH_TOKEN: TOKEN, XDG_STATE_HOME: state, HOSTLENS_SAMPLER_INTERVAL_MS: '200' },
    });
    try {
      const { url, port } = await server.listening(20_000);
      const announced = await server.waitForLog((l) => l.msg === 'audit log', 5_000, 'the audit log line');
      const file = join(state, 'hostlens', 'audit.jsonl');
      assert.equal(announced.path, file);
      const auth = { authorization: `Bearer ${TOKEN}` };
      const ids = ['s-1', 's-2', 's-3', 's-4', 's-5'];
      for (const id of ids) {
        const res = await postModern(url, { method: 'tools/call', id, params: { name: 'get_system_info', arguments: {}, _meta: modernMeta() }, headers: auth });
        assert.equal((await readResponse(res)).id, id);
      }
      const refused = await postModern(url, { method: 'tools/call', id: 's-401', params: { name: 'get_system_info', arguments: {}, _meta: modernMeta() } });
      assert.equal(refused.status, 401);
      await refused.body?.cancel();

      const metrics = `http://127.0.0.1:${port}/metrics`;
      const denied = await fetch(metrics);
      assert.equal(denied.status, 401);
      await denied.body?.cancel();
      const text = await (await fetch(metrics, { headers: auth })).text();
      assert.match(text, /^hostlens_requests_total\{era="modern",method="tools\/call",tool="get_system_info",status="200"\} 5$/m);
      assert.match(text, /^hostlens_sampler_lag_seconds \d/m);
      assert.match(text, /^process_open_fds \d+/m);

      server.signal('SIGTERM');
      const exit = await within(20_000, 'exit after SIGTERM', server.exited);
      assert.equal(exit.code, 0);
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
      for (const id of ids) assert.equal(lines.filter((l) => l.requestId === id && l.principal === 'static:default' && l.outcome === 'ok').length, 1, id);
      assert.equal(lines.filter((l) => l.outcome === 'http_401' && l.principal === 'unauthenticated').length, 1);
      assert.ok(!readFileSync(file, 'utf8').includes(TOKEN));
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(join(state, 'hostlens')).mode & 0o777, 0o700);
    } finally {
      await server.kill();
    }
  });

  test('auth off: no audit file by default; HOSTLENS_METRICS=false → /metrics is 404', async () => {
    const state = stateDir();
    const server = spawnHostlens(['serve', '--port', '0', '--root', `${FIXTURE_HOSTS}idle`], { env: { XDG_STATE_HOME: state, HOSTLENS_METRICS: 'false' } });
    try {
      const { url, port } = await server.listening(20_000);
      const res = await postModern(url, { method: 'tools/call', id: 1, params: { name: 'get_system_info', arguments: {}, _meta: modernMeta() } });
      assert.equal((await readResponse(res)).id, 1);
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(metrics.status, 404);
      await metrics.body?.cancel();
      server.signal('SIGTERM');
      assert.equal((await within(20_000, 'exit', server.exited)).code, 0);
      assert.ok(!existsSync(join(state, 'hostlens')), 'no audit directory');
      assert.ok(!server.logs().some((l) => l.msg === 'audit log'));
    } finally {
      await server.kill();
    }
  });
});
