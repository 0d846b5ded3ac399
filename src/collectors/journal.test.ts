/**
 * journal collector: the exact argv for each filter, refusal of anything that is not a valid filter
 * (no argument ever reaches a shell or becomes another option), JSON line parsing over damaged input,
 * a hung journalctl killed at its timeout, the output cap, and real journal files (built from the
 * export fixture with systemd-journal-remote) read with the real journalctl --directory.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HostlensError } from '../contracts/errors.js';
import { BOOT_1, BOOT_2 } from '../../test/fixtures/journal/generate.js';
import { buildJournal, readExportEntries } from '../../test/fixtures/journal/build.js';
import { fixtureServices, servicesAt } from '../../test/fixtures/fixture-services.js';
import { countJournal, journalArgv, journalFilterArgs, parseJournalLine, parseJournalOutput, queryJournal } from './journal.js';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const HEAD = ['--output=json', '--no-pager', '--utc', '--all', '--reverse', '--output-fields=MESSAGE,PRIORITY,_SYSTEMD_UNIT,UNIT,SYSLOG_IDENTIFIER,_COMM,_PID,_TRANSPORT,_BOOT_ID'];

test('argv: every filter is one --option=value element, in a fixed order', () => {
  const argv = journalArgv(
    { since: '2026-11-20T08:00:00Z', until: '-1h', units: ['nginx.service', 'ssh*.service'], priority: 'warning..err', identifier: 'sshd', boot: -1, kernel: false, grep: 'Failed', maxScan: 300 },
    '/srv/journal',
    NOW,
  );
  assert.deepEqual(argv, [
    ...HEAD,
    '--lines=300',
    '--directory=/srv/journal',
    '--since=2026-11-20 08:00:00.000 UTC',
    '--until=2026-11-24 11:00:00.000 UTC',
    '--boot=-1',
    '--priority=3..4',
    '--unit=nginx.service',
    '--unit=ssh*.service',
    '--identifier=sshd',
  ]);
  assert.deepEqual(journalArgv({}, null, NOW), [...HEAD, '--lines=5000']);
  assert.deepEqual(journalFilterArgs({ kernel: true, boot: 0 }, NOW), ['--boot=0', '_TRANSPORT=kernel']);
  assert.deepEqual(journalFilterArgs({ priority: 'err' }, NOW), ['--priority=0..3']);
  assert.deepEqual(journalFilterArgs({ priority: '6' }, NOW), ['--priority=0..6']);
  assert.deepEqual(journalFilterArgs({ boot: '2B2B2B2B-2B2B-2B2B-2B2B-2B2B2B2B2B2B' }, NOW), [`--boot=${BOOT_2}`]);
  // grep never reaches journalctl
  assert.deepEqual(journalFilterArgs({ grep: '--output=cat' }, NOW), []);
});

test('argv: hostile or invalid filters are refused with a HostlensError naming the filter', () => {
  const bad: Array<[Parameters<typeof journalFilterArgs>[0], RegExp]> = [
    [{ units: ['nginx.service; rm -rf /'] }, /unit/],
    [{ units: ['--root=/'] }, /unit/],
    [{ units: ['-x'] }, /unit/],
    [{ units: ['$(id).service'] }, /unit/],
    [{ units: ['a b'] }, /unit/],
    [{ units: ['x\nUNIT=y'] }, /unit/],
    [{ units: Array.from({ length: 11 }, (_, i) => `u${i}.service`) }, /at most 10/],
    [{ identifier: '--output=cat' }, /identifier/],
    [{ identifier: 'a`id`' }, /identifier/],
    [{ boot: '1' }, /boot/],
    [{ boot: -100 }, /boot/],
    [{ boot: 'all' }, /boot/],
    [{ priority: 'errr' }, /priority/],
    [{ priority: 'err..' }, /priority/],
    [{ priority: '8' }, /priority/],
    [{ since: 'yesterday' }, /since/],
    [{ since: '-1h', until: '-2h' }, /until must be after since/],
    [{ grep: 'x'.repeat(201) }, /grep/],
    [{ kernel: true, units: ['nginx.service'] }, /kernel or units/],
  ];
  for (const [q, re] of bad) assert.throws(() => journalFilterArgs(q, NOW), (e: unknown) => e instanceof HostlensError && re.test(e.message), JSON.stringify(q));
  assert.throws(() => journalArgv({ maxScan: 0 }, null, NOW), HostlensError);
  assert.throws(() => journalArgv({ maxScan: 20_001 }, null, NOW), HostlensError);
});

test('parse: byte-array MESSAGE decoded, duplicate fields take the first, garbage and a cut line counted', () => {
  const e = parseJournalLine(JSON.stringify({ __REALTIME_TIMESTAMP: '1700000000123456', MESSAGE: [104, 105, 0xc3, 0xa9], PRIORITY: '3', _PID: '42', _SYSTEMD_UNIT: ['a.service', 'b.service'], _BOOT_ID: BOOT_1 }));
  assert.deepEqual(e, {
    ts: '2023-11-14T22:13:20.123456Z', tsUs: 1700000000123456, priority: 3, priorityName: 'err', unit: 'a.service', identifier: null, pid: 42,
    message: 'hié', bootId: BOOT_1, transport: null,
  });
  assert.equal(parseJournalLine('{"MESSAGE":"no timestamp"}'), null);
  assert.equal(parseJournalLine('[1,2]'), null);
  assert.equal(parseJournalLine('{"__REALTIME_TIMESTAMP":"-5","MESSAGE":"x"}'), null);
  assert.equal(parseJournalLine('{"__REALTIME_TIMESTAMP":"1700000000000000","PRIORITY":"9","_PID":"x"}')?.priority, null);
  const good = JSON.stringify({ __REALTIME_TIMESTAMP: '1700000000000000', MESSAGE: 'ok' });
  const r = parseJournalOutput(`${good}\nnot json\n\n{"a":1}\n${good.slice(0, 20)}`, true);
  assert.equal(r.entries.length, 1);
  assert.equal(r.garbage, 2); // the cut last line is dropped, not counted
});

describe('stand-in journalctl', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-jctl-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, body: string): string => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  };

  // The stand-ins sleep 60 s, twice the tests' timeouts: a result at all proves journalctl was killed rather than
  // waited out, and the warning says what killed it, with no timing threshold a loaded machine could cross.
  test('a hung journalctl is killed at the timeout; the result is a warning, not a throw', { timeout: 30_000 }, async () => {
    const exe = script('hang', `echo $$ > ${dir}/pid\nexec sleep 60`);
    const r = await queryJournal(servicesAt(), {}, { executable: exe, timeoutMs: 400 });
    assert.equal(r.available, true);
    assert.equal(r.entries.length, 0);
    assert.equal(r.scanLimited, true);
    assert.ok(r.warnings.some((w) => /killed after its time limit/.test(w)), r.warnings.join('; '));
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  test('a cancelled call kills journalctl at once', { timeout: 20_000 }, async () => {
    const exe = script('hang2', `echo $$ > ${dir}/pid2\nexec sleep 60`);
    const ac = new AbortController();
    // Aborted once the stand-in runs. Its time limit (30 s) is past the test's timeout (20 s), so only the abort
    // can end the call in time, and the warnings must name the cancellation, not the time limit.
    const pidWritten = (): boolean => {
      try {
        return /^\d+\n$/.test(readFileSync(join(dir, 'pid2'), 'utf8'));
      } catch {
        return false;
      }
    };
    const started = async (): Promise<void> => {
      while (!pidWritten()) await new Promise((r) => setTimeout(r, 10));
      ac.abort();
    };
    const [r] = await Promise.all([queryJournal(servicesAt(), {}, { executable: exe, signal: ac.signal, timeoutMs: 30_000 }), started()]);
    assert.ok(r.warnings.some((w) => /cancelled/.test(w)), r.warnings.join('; '));
    assert.ok(!r.warnings.some((w) => /time limit/.test(w)), r.warnings.join('; '));
    assert.throws(() => process.kill(Number(readFileSync(join(dir, 'pid2'), 'utf8')), 0), /ESRCH/);
  });

  test('output past the cap is cut at a line boundary and said', async () => {
    const line = JSON.stringify({ __REALTIME_TIMESTAMP: '1700000000000000', MESSAGE: 'x'.repeat(100), PRIORITY: '6' });
    const exe = script('flood', `while :; do echo '${line}'; done`);
    const r = await queryJournal(servicesAt(), {}, { executable: exe, maxOutputBytes: 64 * 1024, timeoutMs: 10_000 });
    assert.equal(r.truncatedByCap, true);
    assert.equal(r.scanLimited, true);
    assert.equal(r.garbageLines, 0);
    assert.equal(r.entries.length, Math.floor((64 * 1024) / (line.length + 1)));
    assert.ok(r.warnings.some((w) => /64 KiB cap/.test(w)));
  });

  test('journal files we may not read: available:false naming the permission', async () => {
    const exe = script('denied', "echo 'No journal files were opened due to insufficient permissions.' >&2");
    const r = await queryJournal(servicesAt(), {}, { executable: exe });
    assert.equal(r.available, false);
    assert.match(r.reason ?? '', /insufficient permissions.*systemd-journal/);
  });

  test('a missing journalctl is available:false with the reason', async () => {
    const r = await queryJournal(servicesAt(), {}, { executable: join(dir, 'does-not-exist') });
    assert.equal(r.available, false);
    assert.match(r.reason ?? '', /journalctl is not available.*ENOENT/);
  });
});


describe('real journal files (systemd-journal-remote → journalctl --directory)', () => {
  let dir: string;
  const services = servicesAt();
  const all = readExportEntries();
  const since = '2026-11-19T00:00:00Z';
  before(() => {
    dir = buildJournal(mkdtempSync(join(tmpdir(), 'hostlens-journal-')));
    services.limits = { ...services.limits, journalDirectory: dir };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every entry, newest first, with its fields', async () => {
    const r = await queryJournal(services, { since });
    assert.equal(r.available, true, r.reason ?? '');
    assert.deepEqual(r.warnings, []);
    assert.equal(r.matched, all.length);
    assert.equal(r.scanLimited, false);
    const us = r.entries.map((e) => e.tsUs);
    assert.deepEqual(us, [...us].sort((a, b) => b - a));
    assert.equal(r.entries[0]!.tsUs, Math.max(...all.map((e) => Number(e.__REALTIME_TIMESTAMP))));
    const oom = r.entries.find((e) => e.message.startsWith('Out of memory: Killed process 1234'));
    assert.deepEqual({ ...oom, ts: undefined, tsUs: undefined, message: undefined }, {
      ts: undefined, tsUs: undefined, message: undefined, priority: 3, priorityName: 'err', unit: null, identifier: 'kernel', pid: null, bootId: BOOT_2, transport: 'kernel',
    });
    const systemdLine = r.entries.find((e) => e.message.startsWith("nginx.service: Failed with result"));
    assert.equal(systemdLine?.unit, 'nginx.service'); // UNIT=, not init.scope
  });

  test('filters select what the export says they should', async () => {
    const count = (f: (e: Record<string, string>) => boolean): number => all.filter(f).length;
    const cases: Array<[Parameters<typeof queryJournal>[1], number]> = [
      [{ since, units: ['nginx.service'] }, count((e) => e._SYSTEMD_UNIT === 'nginx.service' || e.UNIT === 'nginx.service')],
      [{ since, kernel: true }, count((e) => e._TRANSPORT === 'kernel')],
      [{ since, kernel: true, boot: -1 }, count((e) => e._TRANSPORT === 'kernel' && e._BOOT_ID === BOOT_1)],
      [{ since, boot: 0 }, count((e) => e._BOOT_ID === BOOT_2)],
      [{ since, boot: BOOT_1 }, count((e) => e._BOOT_ID === BOOT_1)],
      [{ since, priority: 'err' }, count((e) => Number(e.PRIORITY) <= 3)],
      [{ since, priority: 'notice..warning' }, count((e) => Number(e.PRIORITY) >= 4 && Number(e.PRIORITY) <= 5)],
      [{ since, identifier: 'sshd' }, count((e) => e.SYSLOG_IDENTIFIER === 'sshd')],
      [{ since, grep: 'FAILED PASSWORD' }, count((e) => (e.MESSAGE ?? '').toLowerCase().includes('failed password'))],
      [{ since: '2026-11-21T09:10:00Z', until: '2026-11-21T09:20:00Z' }, count((e) => { const t = Number(e.__REALTIME_TIMESTAMP) / 1000; return t >= Date.parse('2026-11-21T09:10:00Z') && t < Date.parse('2026-11-21T09:20:00Z'); })],
    ];
    for (const [q, expected] of cases) {
      const r = await queryJournal(services, q);
      assert.ok(expected > 0, JSON.stringify(q));
      assert.equal(r.matched, expected, JSON.stringify(q));
      assert.equal(r.entries.length, expected);
    }
  });

  test('maxScan bounds the scan to the newest entries and says so', async () => {
    const r = await queryJournal(services, { since, maxScan: 50 });
    assert.equal(r.scanned, 50);
    assert.equal(r.scanLimited, true);
    assert.equal(r.entries[0]!.tsUs, Math.max(...all.map((e) => Number(e.__REALTIME_TIMESTAMP))));
  });

  test('countJournal: the true total for the filters, bounded by maxCount', async () => {
    const nginx = all.filter((e) => e._SYSTEMD_UNIT === 'nginx.service' || e.UNIT === 'nginx.service').length;
    assert.deepEqual(await countJournal(services, { since, units: ['nginx.service'] }), { count: nginx, atLeast: false, warning: null });
    assert.deepEqual(await countJournal(services, { since }, { maxCount: 10 }), { count: 10, atLeast: true, warning: null });
    const hung = await countJournal(services, { since }, { executable: '/bin/sleep-not-here' });
    assert.equal(hung.count, null);
    assert.match(hung.warning ?? '', /not counted/);
  });

  test('a boot that is not in the journal is a warning with no entries', async () => {
    const r = await queryJournal(services, { since, boot: -5 });
    assert.equal(r.available, true);
    assert.equal(r.entries.length, 0);
    assert.ok(r.warnings.some((w) => /boot is not in the journal/.test(w)), r.warnings.join('; '));
  });
});

test('no journal files: available:false with a reason, journalctl never run', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'hostlens-nojournal-'));
  try {
    const s = servicesAt();
    s.limits = { ...s.limits, journalDirectory: empty };
    const r = await queryJournal(s, { since: '-1h' });
    assert.equal(r.available, false);
    assert.match(r.reason ?? '', /no journal files/);
    const fixture = await queryJournal(fixtureServices('busy'), {});
    assert.equal(fixture.available, false);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
