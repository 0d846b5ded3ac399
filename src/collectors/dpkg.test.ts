process.env.TZ = 'UTC'; // dpkg/apt times are host local time: pin the zone for exact epochs
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createCollectorContext } from './context.js';
import { parseAptHistory, parseDpkgLog, parseLocalTime, readPackageHistory } from './dpkg.js';

const FIXTURE = join(import.meta.dirname, '../../test/fixtures/dpkg/basic');
const tmp = mkdtempSync(join(tmpdir(), 'hostlens-dpkg-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('parseLocalTime: dpkg and apt (two spaces) forms, invalid dates are null', () => {
  assert.equal(parseLocalTime('2026-11-24 10:15:01'), Date.parse('2026-11-24T10:15:01Z'));
  assert.equal(parseLocalTime('2026-11-24  10:15:00'), Date.parse('2026-11-24T10:15:00Z'));
  assert.equal(parseLocalTime('2026-13-24 10:15:01'), null);
  assert.equal(parseLocalTime('2026-11-24 25:15:01'), null);
  assert.equal(parseLocalTime('yesterday'), null);
});

test('parseDpkgLog: exact Debian lines; only install/upgrade/remove/purge become entries', () => {
  const text = [
    '2026-11-24 10:15:00 startup archives unpack',
    '2026-11-24 10:15:01 install nginx:amd64 <none> 1.22.1-9',
    '2026-11-24 10:15:01 status half-installed nginx:amd64 1.22.1-9',
    '2026-11-24 10:15:02 configure nginx:amd64 1.22.1-9 <none>',
    '2026-11-24 10:15:02 status installed nginx:amd64 1.22.1-9',
    '2026-11-24 10:15:03 trigproc man-db:amd64 2.11.2-2 <none>',
    '2026-11-24 10:15:03 conffile /etc/nginx/nginx.conf keep',
    '2026-11-24 12:40:11 upgrade libssl3:amd64 3.0.11-1~deb12u1 3.0.11-1~deb12u2',
    '2026-11-24 14:00:00 remove telnet:amd64 0.17+2.4-2 <none>',
    '2026-11-24 14:02:30 purge telnet:amd64 0.17+2.4-2 <none>',
  ].join('\n');
  const r = parseDpkgLog(text);
  assert.equal(r.badLines, 0);
  assert.deepEqual(r.entries, [
    { tsMs: Date.parse('2026-11-24T10:15:01Z'), action: 'install', package: 'nginx:amd64', fromVersion: null, toVersion: '1.22.1-9' },
    { tsMs: Date.parse('2026-11-24T12:40:11Z'), action: 'upgrade', package: 'libssl3:amd64', fromVersion: '3.0.11-1~deb12u1', toVersion: '3.0.11-1~deb12u2' },
    { tsMs: Date.parse('2026-11-24T14:00:00Z'), action: 'remove', package: 'telnet:amd64', fromVersion: '0.17+2.4-2', toVersion: null },
    { tsMs: Date.parse('2026-11-24T14:02:30Z'), action: 'purge', package: 'telnet:amd64', fromVersion: '0.17+2.4-2', toVersion: null },
  ]);
});

test('parseDpkgLog: malformed lines are counted, not thrown', () => {
  const r = parseDpkgLog(
    [
      '2026-11-24 12:4 garbled line cut by a full disk',
      'not a dpkg line at all',
      '2026-11-24 10:15:01 install nginx:amd64',
      '2026-11-24 10:15:01 frobnicate nginx:amd64 1 2',
      '\u0000\u0000\u0000',
      '2026-11-24 10:15:01 upgrade a:amd64 1 2',
    ].join('\n'),
  );
  assert.equal(r.badLines, 5);
  assert.equal(r.entries.length, 1);
  assert.equal(r.entries[0]!.package, 'a:amd64');
});

test('parseAptHistory: blocks with command line, requester and package lists (versions with commas kept together)', () => {
  const r = parseAptHistory(
    [
      '',
      'Start-Date: 2026-11-24  12:40:09',
      'Commandline: /usr/bin/unattended-upgrade',
      'Upgrade: libssl3:amd64 (3.0.11-1~deb12u1, 3.0.11-1~deb12u2), openssl:amd64 (3.0.11-1~deb12u1, 3.0.11-1~deb12u2)',
      'End-Date: 2026-11-24  12:40:14',
      '',
      'Requested-By: stray line outside a block',
      'Start-Date: 2026-11-24  14:02:29',
      'Commandline: apt-get purge telnet',
      'Requested-By: admin (1000)',
      'Purge: telnet:amd64 (0.17+2.4-2)',
      'Bogus-Key: x',
      'End-Date: 2026-11-24  14:02:31',
    ].join('\n'),
  );
  assert.equal(r.badLines, 2);
  assert.equal(r.entries.length, 2);
  assert.deepEqual(r.entries[0]!.actions, [{ action: 'upgrade', packages: ['libssl3:amd64 (3.0.11-1~deb12u1, 3.0.11-1~deb12u2)', 'openssl:amd64 (3.0.11-1~deb12u1, 3.0.11-1~deb12u2)'] }]);
  assert.equal(r.entries[0]!.endMs, Date.parse('2026-11-24T12:40:14Z'));
  assert.equal(r.entries[1]!.requestedBy, 'admin (1000)');
  assert.equal(r.entries[1]!.commandline, 'apt-get purge telnet');
});

test('readPackageHistory: dpkg.log + .1 + .2.gz and apt history from the fixture, oldest first, since applied', () => {
  const ctx = createCollectorContext({ root: FIXTURE });
  const all = readPackageHistory(ctx, Date.parse('2026-11-01T00:00:00Z'));
  assert.equal(all.dpkgFound && all.aptFound, true);
  assert.deepEqual(
    all.dpkg.map((e) => `${e.action} ${e.package}`),
    ['install curl:amd64', 'upgrade tzdata:all', 'remove telnet:amd64', 'install nginx-common:all', 'install nginx:amd64', 'upgrade libssl3:amd64', 'upgrade openssl:amd64', 'purge telnet:amd64'],
  );
  assert.equal(all.badLines, 1, 'the garbled line in dpkg.log');
  assert.equal(all.apt.length, 3);
  const recent = readPackageHistory(ctx, Date.parse('2026-11-24T12:00:00Z'));
  assert.deepEqual(recent.dpkg.map((e) => e.action), ['upgrade', 'upgrade', 'purge']);
  assert.deepEqual(recent.apt.map((r) => r.commandline), ['/usr/bin/unattended-upgrade', 'apt-get purge telnet']);
});

test('readPackageHistory: a rotation last written before since is not read, and neither are older ones', () => {
  const root = join(tmp, 'old');
  cpSync(FIXTURE, root, { recursive: true });
  const old = new Date('2026-11-18T00:00:00Z');
  utimesSync(join(root, 'var/log/dpkg.log.1'), old, old);
  // A corrupt .2.gz would add a warning if it were read.
  writeFileSync(join(root, 'var/log/dpkg.log.2.gz'), 'not gzip');
  const r = readPackageHistory(createCollectorContext({ root }), Date.parse('2026-11-20T00:00:00Z'));
  assert.equal(r.dpkg.length, 5);
  assert.ok(!r.warnings.some((w) => w.includes('gzip')), r.warnings.join('; '));
  const all = readPackageHistory(createCollectorContext({ root }), Date.parse('2026-11-01T00:00:00Z'));
  assert.ok(all.warnings.some((w) => w.includes('dpkg.log.2.gz') && w.includes('not readable as gzip')), all.warnings.join('; '));
});

test('readPackageHistory: no logs at all → found false, no throw', () => {
  const r = readPackageHistory(createCollectorContext({ root: join(tmp, 'nothing-here') }), 0);
  assert.equal(r.dpkgFound, false);
  assert.equal(r.aptFound, false);
  assert.deepEqual(r.dpkg, []);
});

test('readPackageHistory: a .gz rotation that inflates past the cap is refused with a warning, the others are still read', () => {
  const root = join(tmp, 'bomb');
  cpSync(FIXTURE, root, { recursive: true });
  writeFileSync(join(root, 'var/log/dpkg.log.2.gz'), gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x61)));
  const r = readPackageHistory(createCollectorContext({ root }), Date.parse('2026-11-01T00:00:00Z'));
  assert.ok(r.warnings.some((w) => w.includes('dpkg.log.2.gz') && w.includes('inflates to more than')), r.warnings.join('; '));
  assert.equal(r.dpkg.length, 7, 'dpkg.log and dpkg.log.1 are still read');
});
