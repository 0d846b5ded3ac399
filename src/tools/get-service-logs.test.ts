/**
 * get_service recentLogs from a real journal: the export fixture of
 * test/fixtures/journal is built into journal files with the real
 * systemd-journal-remote and read with the real journalctl; systemctl is the
 * recorded-output stand-in. The newest logLines entries of the unit come back
 * oldest first, redacted (the planted secrets never appear).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servicesAt } from '../../test/fixtures/fixture-services.js';
import { buildJournal, readExportEntries } from '../../test/fixtures/journal/build.js';
import { PLANTED_SECRETS } from '../../test/fixtures/journal/generate.js';
import { getServiceDataSchema } from '../diagnostics/systemd-units.js';
import { getServiceTool } from './get-service.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/systemd/', import.meta.url));
const savedPath = process.env.PATH;
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'hostlens-svc-journal-'));
  cpSync(join(FIX, 'host'), root, { recursive: true });
  buildJournal(join(root, 'var/log/journal'));
  process.env.PATH = `${join(FIX, 'bin')}:${savedPath ?? ''}`;
});
after(() => {
  process.env.PATH = savedPath;
  if (root) rmSync(root, { recursive: true, force: true });
});

const call = async (args: Record<string, unknown>) => {
  const out = await getServiceTool.handler(getServiceTool.input.parse(args), { services: servicesAt(root), served: new Map(), signal: AbortSignal.timeout(20_000), progress: async () => undefined });
  return { ...out, data: getServiceDataSchema.parse(out.data) };
};

test('recorded systemctl output + real journal: the newest logLines entries of the unit, oldest first, redacted', async () => {
  const oracle = readExportEntries()
    .filter((e) => e._SYSTEMD_UNIT === 'deploy.service')
    .sort((a, b) => Number(a.__REALTIME_TIMESTAMP) - Number(b.__REALTIME_TIMESTAMP));
  assert.ok(oracle.length >= 4, 'the fixture has deploy.service entries');
  const r = await call({ unit: 'deploy.service', logLines: 3 });
  assert.equal(r.data.unit?.active, 'failed');
  assert.equal(r.data.recentLogs.length, 3);
  const expectTs = oracle.slice(-3).map((e) => new Date(Number(e.__REALTIME_TIMESTAMP) / 1000).toISOString().slice(0, 19));
  assert.deepEqual(r.data.recentLogs.map((l) => l.ts!.slice(0, 19)), expectTs);
  assert.match(r.data.recentLogs[2]!.message, /^deploy failed: api_key=\[REDACTED\]/);
  assert.equal(r.data.recentLogs[1]!.message, 'listening with --port 8080 --workers 4', 'not over-redacted');
  const all = await call({ unit: 'deploy.service', logLines: 200 });
  assert.equal(all.data.recentLogs.length, oracle.length);
  const wire = JSON.stringify(all) + getServiceTool.render(all);
  for (const s of [...PLANTED_SECRETS, 'planted-deploy-key-77']) assert.ok(!wire.includes(s), `planted ${s} leaked`);
  assert.deepEqual(all.data.unit?.environmentNames, ['DEPLOY_KEY']);
});

test('logLines 0 reads no journal; a fixture root without journal files says why recentLogs is empty', async () => {
  const none = await call({ unit: 'deploy.service', logLines: 0 });
  assert.deepEqual(none.data.recentLogs, []);
  const out = await getServiceTool.handler(getServiceTool.input.parse({ unit: 'nginx.service' }), { services: servicesAt(join(FIX, 'host')), served: new Map(), signal: AbortSignal.timeout(20_000), progress: async () => undefined });
  assert.deepEqual(out.data.recentLogs, []);
  assert.match(out.warnings!.join(' '), /recentLogs is empty: no journal files/);
});
