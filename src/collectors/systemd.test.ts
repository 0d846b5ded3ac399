/**
 * systemd collector: unit-name validation (hostile names never reach an argv),
 * the exact argv, parsing of recorded systemctl 252 output (list-units JSON,
 * show Key=Value blocks) replayed through runProgram by a stand-in executable,
 * garbage input, and a hung systemctl killed at its time limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import {
  DEP_PROPERTIES, LIST_ARGV, LIST_PROPERTIES, environmentNames, execCodeName, listUnits, parseListUnits, parseShow, propInt, propList, propTimestamp,
  showArgv, showUnits, systemdStatus, unitGlob, validUnitName, validUnitPattern,
} from './systemd.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/systemd/', import.meta.url));
const STAND_IN = join(FIX, 'bin/systemctl');
const HANG = join(FIX, 'hang/systemctl');

test('unit names: systemd charset accepted, hostile names refused', () => {
  for (const ok of ['ssh.service', 'getty@tty1.service', 'dev-disk-by\\x2duuid-abc.device', 'user-1000.slice', 'a:b_c.service']) assert.ok(validUnitName(ok), ok);
  for (const bad of ['x; rm -rf /', '--help', '-h', '../x', 'a/b', '', '.hidden', 'a b', 'a\nb', 'ssh..service', '$(id)', '`id`', 'x'.repeat(257), 'a|b', "a'b"]) {
    assert.equal(validUnitName(bad), false, JSON.stringify(bad));
  }
  assert.ok(validUnitPattern('ssh*'));
  assert.ok(validUnitPattern('[a-c]*.service'));
  assert.equal(validUnitPattern('--all'), false);
  assert.equal(validUnitPattern('x;y'), false);
  assert.equal(validUnitPattern('*/x'), false);
});

test('globs: * ? and [...] match like fnmatch; regex metacharacters are literal', () => {
  assert.ok(unitGlob('ssh*').test('ssh.service'));
  assert.ok(!unitGlob('ssh*').test('openssh.service'));
  assert.ok(unitGlob('?ginx.service').test('nginx.service'));
  assert.ok(!unitGlob('nginx.service').test('nginxXservice'));
  assert.ok(unitGlob('[bn]*').test('backup.service'));
  assert.ok(!unitGlob('[!bn]*').test('backup.service'));
});

test('argv is fixed: list-units JSON, show with the property list after --property and units after --', () => {
  assert.deepEqual([...LIST_ARGV], ['list-units', '--all', '--type=service', '--output=json', '--no-pager', '--plain', '--no-legend']);
  assert.deepEqual(showArgv(DEP_PROPERTIES, ['a.service', 'b.service']), [
    'show', '--property=Id,LoadState,ActiveState,SubState,Result', '--timestamp=unix', '--no-pager', '--', 'a.service', 'b.service',
  ]);
});

test('property values: integers, [not set], infinity, timestamps, lists, exit codes', () => {
  assert.equal(propInt('5242880'), 5242880);
  assert.equal(propInt('[not set]'), null);
  assert.equal(propInt('infinity'), null);
  assert.equal(propInt('18446744073709551615'), null);
  assert.equal(propInt('-1'), null);
  assert.equal(propTimestamp('@1795000000'), '2026-11-18T11:06:40Z');
  assert.equal(propTimestamp('Tue 2026-11-24 19:02:11 UTC'), '2026-11-24T19:02:11Z');
  assert.equal(propTimestamp('Tue 2026-11-24 19:02:11 CET'), null);
  assert.equal(propTimestamp(''), null);
  assert.equal(propTimestamp('@0'), null);
  assert.deepEqual(propList(' a.service  b.target '), ['a.service', 'b.target']);
  assert.equal(execCodeName('2'), 'killed');
  assert.equal(execCodeName('0'), null);
});

test('Environment= gives variable names only, never values', () => {
  const names = environmentNames('DB_PASSWORD=hunter2 "GREETING=hello world" API_TOKEN=x=y EMPTY= =novalue bad-name=1');
  assert.deepEqual(names, ['DB_PASSWORD', 'GREETING', 'API_TOKEN', 'EMPTY']);
  assert.ok(!JSON.stringify(names).includes('hunter2'));
});

test('parsers: garbage or cut output never throws; it warns', () => {
  const w: string[] = [];
  assert.deepEqual(parseListUnits('[{"unit":"a.serv', w), []);
  assert.deepEqual(parseListUnits('{"unit":"a.service"}', w), []);
  assert.deepEqual(parseListUnits('[{"unit":"x; rm -rf /"},{"unit":"ok.service","active":3}]', w).map((u) => [u.name, u.active]), [['ok.service', '']]);
  assert.equal(w.length, 3);
  const w2: string[] = [];
  const blocks = parseShow('Id=a.service\nActiveState=active\nnoequals\n\n\nLoadState=loaded\n\nId=b.service\nDescription=x=y', w2);
  assert.deepEqual(blocks.map((b) => b.get('Id')), ['a.service', 'b.service']);
  assert.equal(blocks[1]!.get('Description'), 'x=y');
  assert.equal(w2.length, 2, w2.join('; '));
});

test('systemdStatus: a fixture root whose PID 1 is systemd is available; another PID 1 is not, with the reason', () => {
  assert.deepEqual(systemdStatus(createCollectorContext({ root: join(FIX, 'host') })), { available: true, reason: null, pid1Comm: 'systemd' });
  const root = mkdtempSync(join(tmpdir(), 'hostlens-systemd-'));
  try {
    mkdirSync(join(root, 'proc/1'), { recursive: true });
    writeFileSync(join(root, 'proc/1/comm'), 'process_api\n');
    const s = systemdStatus(createCollectorContext({ root }));
    assert.equal(s.available, false);
    assert.match(s.reason ?? '', /systemd is not PID 1 here \(PID 1 is "process_api"/);
    mkdirSync(join(root, 'run/systemd/system'), { recursive: true });
    assert.equal(systemdStatus(createCollectorContext({ root })).available, true, 'run/systemd/system means booted with systemd');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('recorded systemctl output: list-units and show replayed through runProgram', async () => {
  const listed = await listUnits({ executable: STAND_IN });
  assert.equal(listed.error, null);
  assert.equal(listed.value.length, 9);
  assert.deepEqual(listed.value.find((u) => u.name === 'worker.service'), { name: 'worker.service', load: 'loaded', active: 'activating', sub: 'auto-restart', description: 'Queue worker' });
  const shown = await showUnits(['nginx.service', 'redis.service'], LIST_PROPERTIES, { executable: STAND_IN });
  assert.equal(shown.error, null, shown.error ?? '');
  assert.equal(shown.value.get('nginx.service')?.get('ActiveState'), 'failed');
  assert.equal(shown.value.get('nginx.service')?.get('FragmentPath'), undefined, 'only the requested properties');
  assert.equal(shown.value.get('redis.service')?.get('LoadState'), 'not-found');
});

test('show runs in batches of at most 64 units per call', async () => {
  const units = Array.from({ length: 130 }, (_, i) => `u${i}.service`);
  const shown = await showUnits(units, DEP_PROPERTIES, { executable: STAND_IN });
  assert.equal(shown.error, null);
  assert.equal(shown.value.size, 130);
});

test('hostile unit names are refused before any spawn', async () => {
  // The executable does not exist: a spawn would report ENOENT as the error.
  const r = await showUnits(['x; rm -rf /', '--help', '../x'], LIST_PROPERTIES, { executable: join(FIX, 'no-such-program') });
  assert.equal(r.error, null);
  assert.equal(r.value.size, 0);
  assert.match(r.warnings.join(' '), /3 unit names were refused/);
  const spawned = await showUnits(['ok.service'], LIST_PROPERTIES, { executable: join(FIX, 'no-such-program') });
  assert.match(spawned.error ?? '', /could not run \(ENOENT\)/);
});

// The stand-in sleeps 60 s, twice the test's timeout: answering at all proves each hung systemctl was killed
// rather than waited out, with no timing threshold a loaded machine could cross.
test('a hung systemctl is killed at its time limit', { timeout: 30_000 }, async () => {
  const r = await listUnits({ executable: HANG, timeoutMs: 300 });
  assert.match(r.error ?? '', /systemctl was killed after its time limit/);
  const s = await showUnits(['a.service'], LIST_PROPERTIES, { executable: HANG, timeoutMs: 300 });
  assert.match(s.error ?? '', /killed after its time limit/);
});

test('parsers never throw on random, cut or hostile input (seeded)', () => {
  let seed = Number(process.env.FUZZ_SEED ?? 4242);
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const list = readFileSync(join(FIX, 'list-units.json'), 'utf8');
  const show = readFileSync(join(FIX, 'show/worker.service.txt'), 'utf8');
  const alphabet = 'Id=\n "\\[]{}@:,0123456789abc\u0000é';
  for (let i = 0; i < 300; i += 1) {
    const cut = (s: string): string => s.slice(0, Math.floor(rnd() * s.length));
    const noise = Array.from({ length: Math.floor(rnd() * 200) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
    const w: string[] = [];
    for (const text of [cut(list), cut(show), noise, cut(show) + noise]) {
      const units = parseListUnits(text, w);
      for (const u of units) assert.ok(validUnitName(u.name));
      for (const b of parseShow(text, w)) {
        assert.ok(b.has('Id'));
        const n = propInt(b.get('NRestarts'));
        assert.ok(n === null || Number.isSafeInteger(n));
        const ts = propTimestamp(b.get('StateChangeTimestamp'));
        assert.ok(ts === null || !Number.isNaN(Date.parse(ts)));
        for (const name of environmentNames(b.get('Environment'))) assert.match(name, /^[A-Za-z_][A-Za-z0-9_]*$/);
      }
    }
  }
});
