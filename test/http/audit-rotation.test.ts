/**
 * Audit rotation under concurrent calls over real HTTP on 127.0.0.1: at a
 * tiny maxBytes, 300 concurrent calls (both eras) leave exactly one line each
 * across the rotated files (counted by request id), every file within
 * maxBytes and every line whole; with a small `keep`, exactly keep + 1 files
 * remain and what they hold is whole and newest.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createAuditLog, rotatedPath } from '../../src/http/audit.js';
import type { AuditLog } from '../../src/http/audit.js';
import type { AuditEntry } from '../../src/contracts/audit.js';
import { LEGACY_VERSIONS, modernMeta, openLegacySession, postLegacy, postModern, readResponse, startApp } from './helpers.js';
import type { Running } from './helpers.js';

const MAX_BYTES = 4096;
const CALLS = 300;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function filesOf(path: string, keep: number): string[] {
  const out: string[] = [];
  for (let n = 0; n <= keep + 1; n++) if (existsSync(rotatedPath(path, n))) out.push(rotatedPath(path, n));
  return out;
}

function entriesOf(files: string[]): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const f of files) for (const line of readFileSync(f, 'utf8').split('\n')) if (line !== '') out.push(JSON.parse(line) as AuditEntry);
  return out;
}

async function hammer(keep: number): Promise<{ path: string; audit: AuditLog; r: Running; ids: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-audit-rot-'));
  dirs.push(dir);
  const path = join(dir, 'audit.jsonl');
  const audit = createAuditLog({ path, maxBytes: MAX_BYTES, keep });
  const r = await startApp({ telemetry: { audit } });
  const V = LEGACY_VERSIONS[0];
  const sid = await openLegacySession(r.url, V);
  const ids = Array.from({ length: CALLS }, (_, i) => `call-${i}`);
  await Promise.all(
    ids.map(async (id, i) => {
      const params = { name: 'echo', arguments: { text: `t${i}` } };
      const res =
        i % 2 === 0
          ? await postModern(r.url, { method: 'tools/call', id, params: { ...params, _meta: modernMeta() } })
          : await postLegacy(r.url, V, sid, { jsonrpc: '2.0', id, method: 'tools/call', params });
      assert.equal((await readResponse(res)).id, id);
    }),
  );
  await r.app.close();
  await audit.close();
  return { path, audit, r, ids };
}

describe('audit rotation under concurrent calls', () => {
  test(`${CALLS} concurrent calls at maxBytes ${MAX_BYTES}: each call has exactly one whole line across the rotated files`, async () => {
    const { path, audit, ids } = await hammer(200);
    const files = filesOf(path, 200);
    assert.ok(files.length > 5, `${files.length} files: rotation happened`);
    for (const f of files) assert.ok(statSync(f).size <= MAX_BYTES, `${f} ≤ ${MAX_BYTES}`);
    const calls = entriesOf(files).filter((e) => e.method === 'tools/call');
    assert.equal(calls.length, CALLS);
    assert.deepEqual(calls.map((e) => String(e.requestId)).sort(), ids.slice().sort());
    assert.equal(new Set(calls.map((e) => e.era)).size, 2, 'both eras');
    assert.ok(calls.every((e) => e.outcome === 'ok' && e.tool === 'echo'));
    assert.equal(audit.stats().dropped, 0);
  });

  test('keep 2: exactly three files remain, each within maxBytes, holding whole newest lines', async () => {
    const { path, audit } = await hammer(2);
    const files = filesOf(path, 2);
    assert.deepEqual(files, [path, rotatedPath(path, 1), rotatedPath(path, 2)]);
    assert.ok(!existsSync(rotatedPath(path, 3)));
    for (const f of files) assert.ok(statSync(f).size <= MAX_BYTES);
    const kept = entriesOf(files);
    assert.ok(kept.length > 10 && kept.length < CALLS);
    assert.equal(new Set(kept.map((e) => `${e.requestId}|${e.method}`)).size, kept.length, 'no duplicate lines');
    assert.ok(audit.stats().rotations > 3);
    assert.equal(audit.stats().written, CALLS + 2, 'every call plus initialize and notifications/initialized was written');
  });
});
