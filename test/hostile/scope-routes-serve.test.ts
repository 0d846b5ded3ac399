/**
 * The reader-scope rules through the real `hostlens serve` (every toolset,
 * static tokens in the config file, --root at the planted host), in both eras
 * for a representative subset: an every-scope principal captures, then a
 * read-only, a read+processes and a read+config principal read the snapshot,
 * diff it, embed it in incident_report and ask recent_changes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TOOLSETS } from '../../src/contracts/scopes.js';
import type { Scope } from '../../src/contracts/scopes.js';
import { sha256Hex } from '../../src/http/auth/static-tokens.js';
import { freePort, killAll, spawnHostlens } from '../e2e/helpers.js';
import { ARGV_MARKERS, CONFIG_MARKERS, legacySession, modernCall, nameOf, plantHost, PROMPT_SECRET, scopeCombos, tokenOf } from './scope-routes-harness.js';
import type { Answer } from './scope-routes-harness.js';

const ALL: Scope[] = scopeCombos().at(-1)!;
const READERS: Scope[][] = [['hostlens:read'], ['hostlens:read', 'hostlens:processes'], ['hostlens:read', 'hostlens:config']];

describe('reader scopes through hostlens serve, both eras', { timeout: 120_000 }, () => {
  let url = '';
  let root = '';
  let dir = '';
  before(async () => {
    root = plantHost();
    dir = mkdtempSync(join(tmpdir(), 'hostlens-scope-serve-'));
    const config = join(dir, 'hostlens.json');
    const tokens = [ALL, ...READERS].map((scopes) => ({ name: nameOf(scopes), sha256: sha256Hex(tokenOf(scopes)), scopes }));
    writeFileSync(config, JSON.stringify({ port: await freePort(), toolsets: [...TOOLSETS], root, auth: { tokens }, rateLimit: { requestsPerSec: 0, burst: 1 } }));
    const child = spawnHostlens(['serve', '--config', config], { env: { HOSTLENS_AUDIT_LOG: 'off' } });
    ({ url } = await child.listening(30_000));
  });
  after(async () => {
    await killAll();
    rmSync(root, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  test('snapshot, diff, report and changes follow each reader\'s scopes in both eras', async () => {
    const ids: string[] = [];
    for (const label of ['a', 'b']) {
      const r = await modernCall(url, ALL, 'tools/call', { name: 'capture_snapshot', arguments: { label } });
      ids.push((r.message?.result?.structuredContent as { data: { snapshotId: string } }).data.snapshotId);
    }
    const [a, b] = ids as [string, string];
    for (const scopes of READERS) {
      const session = await legacySession(url, scopes);
      const eras: Array<[string, (method: string, params: Record<string, unknown>) => Promise<Answer>]> = [
        ['modern', (method, params) => modernCall(url, scopes, method, params)],
        ['legacy', (method, params) => session.call(method, params)],
      ];
      for (const [era, call] of eras) {
        const what = `${era} ${nameOf(scopes)}`;
        const snapshot = await call('resources/read', { uri: `diag://snapshots/${a}` });
        const diff = await call('tools/call', { name: 'diff_snapshots', arguments: { a, b } });
        const report = await call('prompts/get', { name: 'incident_report', arguments: { startedAt: '2026-05-04T13:20:00Z', severity: 'sev3', summary: `secret=${PROMPT_SECRET}`, snapshotIds: `${a},${b}` } });
        const changes = await call('tools/call', { name: 'recent_changes', arguments: { limit: 200 } });
        for (const x of [snapshot, diff, report, changes]) assert.equal(x.status, 200, `${what}: ${x.text.slice(0, 300)}`);
        const all = [snapshot, diff, report, changes].map((x) => x.text).join('\n');
        const processes = scopes.includes('hostlens:processes');
        assert.equal(snapshot.text.includes(ARGV_MARKERS[0]!), processes, `${what}: the snapshot's command lines`);
        if (!processes) for (const m of ARGV_MARKERS) assert.ok(!all.includes(m), `${what} sees ${m}`);
        const config = scopes.includes('hostlens:config');
        assert.equal(changes.text.includes(CONFIG_MARKERS[0]!), config, `${what}: recent_changes' config entries`);
        if (!config) for (const m of CONFIG_MARKERS) assert.ok(!all.includes(m), `${what} sees ${m}`);
        assert.ok(!all.includes(PROMPT_SECRET), `${what}: the prompt echoes the secret`);
      }
    }
  });
});
