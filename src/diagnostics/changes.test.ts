process.env.TZ = 'UTC'; // dpkg/apt times are host local time: pin the zone for exact epochs
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HostlensError } from '../contracts/errors.js';
import { createServices } from '../app/create-services.js';
import type { RunningServices } from '../app/create-services.js';
import { recentChanges } from '../tools/recent-changes.js';
import { aptVersionDetail, changesDataSchema, collectChanges } from './changes.js';
import { classifyServiceMessage } from './changes-journal.js';

const FIXTURE = join(import.meta.dirname, '../../test/fixtures/dpkg/basic');
const NOW = Date.parse('2026-11-25T00:00:00Z');
const PLANTED = 'hunter2secret';
const tmp = mkdtempSync(join(tmpdir(), 'hostlens-changes-'));
const running: RunningServices[] = [];
after(() => {
  for (const s of running) s.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function services(root: string, extra: Parameters<typeof createServices>[0] = {}): RunningServices {
  const s = createServices({ root, startSampler: false, ...extra });
  running.push(s);
  return s;
}

/** A dpkg.log line in the exact Debian format, at a time relative to now (local time = UTC here). */
function dpkgLine(msAgo: number, rest: string): string {
  return `${new Date(Date.now() - msAgo).toISOString().slice(0, 19).replace('T', ' ')} ${rest}`;
}

function root(name: string, files: Record<string, string>): string {
  const r = join(tmp, name);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(r, p, '..'), { recursive: true });
    writeFileSync(join(r, p), text);
  }
  return r;
}

test('fixture: package changes newest first with versions and the apt command line; counts and sources per kind', async () => {
  const r = await collectChanges(services(FIXTURE), { since: '-30d', nowMs: NOW });
  assert.deepEqual(
    r.changes.map((c) => `${c.action} ${c.subject}`),
    ['purge telnet:amd64', 'upgrade openssl:amd64', 'upgrade libssl3:amd64', 'install nginx-common:all', 'install nginx:amd64', 'remove telnet:amd64', 'upgrade tzdata:all', 'install curl:amd64'],
  );
  const upgrade = r.changes.find((c) => c.subject === 'libssl3:amd64')!;
  assert.equal(upgrade.detail, '3.0.11-1~deb12u1 → 3.0.11-1~deb12u2; via "/usr/bin/unattended-upgrade"');
  assert.equal(upgrade.tsMs, Date.parse('2026-11-24T12:40:11Z'));
  assert.equal(r.countsByKind.package, 8);
  assert.equal(r.countsByKind.service, 0);
  assert.equal(r.sources.package, 'ok');
  assert.equal(r.sources.service, 'unavailable');
  assert.equal(r.sources.reboot, 'unavailable', 'the fixture has no proc/stat');
  assert.ok(r.warnings.some((w) => w.startsWith('service: ')), r.warnings.join('; '));
  assert.ok(r.warnings.some((w) => w.includes('1 malformed line')));
});

test('the planted proxy password in an apt Commandline never comes back; the redaction is counted', async () => {
  const s = services(FIXTURE);
  const r = await collectChanges(s, { since: '-30d', nowMs: NOW, kinds: ['package'] });
  const json = JSON.stringify(r);
  assert.ok(!json.includes(PLANTED), 'planted secret leaked');
  assert.ok(r.redactions >= 1);
  assert.match(r.changes.find((c) => c.subject === 'nginx:amd64')!.detail, /Proxy=http:\/\/deploy:\[REDACTED\]@proxy\.internal:3128 nginx" by admin \(1000\)/);
});

test('since and kinds filters', async () => {
  const s = services(FIXTURE);
  const r = await collectChanges(s, { since: '2026-11-24T12:00:00Z', nowMs: NOW, kinds: ['package'] });
  assert.deepEqual(r.changes.map((c) => c.action), ['purge', 'upgrade', 'upgrade']);
  assert.deepEqual(Object.keys(r.sources), ['package']);
  assert.deepEqual(r.countsByKind, { package: 3 });
  const none = await collectChanges(s, { since: '-1h', nowMs: NOW, kinds: ['package'] });
  assert.deepEqual(none.changes, []);
  const cfg = await collectChanges(s, { since: '-30d', nowMs: NOW, kinds: ['config'] });
  assert.ok(cfg.changes.every((c) => c.kind === 'config'));
});

test('since: more than 30 days back, in the future or not a time is a HostlensError', async () => {
  const s = services(FIXTURE);
  await assert.rejects(collectChanges(s, { since: '-31d', nowMs: NOW }), (e: unknown) => e instanceof HostlensError && /30 days/.test(e.message));
  await assert.rejects(collectChanges(s, { since: '2026-12-01T00:00:00Z', nowMs: NOW }), HostlensError);
  await assert.rejects(collectChanges(s, { since: 'last tuesday', nowMs: NOW }), HostlensError);
});

test('kernel package installed while another kernel runs → a kernel change saying a reboot is needed; the current boot is a reboot change', async () => {
  const bootSec = Math.floor(Date.now() / 1000) - 3600;
  const r = root('kernel', {
    'var/log/dpkg.log': `${dpkgLine(600_000, 'install linux-image-6.1.0-28-amd64:amd64 <none> 6.1.119-1')}\n`,
    'proc/sys/kernel/osrelease': '6.1.0-27-amd64\n',
    'proc/stat': `cpu  1 2 3 4 5 6 7 8 9 10\nbtime ${bootSec}\n`,
  });
  const out = await collectChanges(services(r), { since: '-2h', kinds: ['kernel', 'reboot'] });
  assert.deepEqual(out.changes.map((c) => `${c.kind} ${c.action} ${c.subject}`), ['kernel installed 6.1.0-28-amd64', 'reboot booted current boot']);
  assert.equal(out.changes[1]!.detail, 'host booted kernel 6.1.0-27-amd64 (proc/stat btime)');
  assert.match(out.changes[0]!.detail, /running 6\.1\.0-27-amd64: a reboot is needed/);
  assert.equal(out.changes[1]!.tsMs, bootSec * 1000);
  assert.deepEqual(out.sources, { kernel: 'ok', reboot: 'ok' });
  const old = await collectChanges(services(r), { since: '-30m', kinds: ['reboot'] });
  assert.deepEqual(old.changes, [], 'a boot before since is not a change in the range');
});

test('config without a running watcher: files by mtime within since, with the "not observed" detail', async () => {
  const r = root('cfg', { 'etc/app.conf': 'a=1\n', 'etc/old.conf': 'b=1\n' });
  const past = new Date(Date.now() - 10 * 86_400_000);
  utimesSync(join(r, 'etc/old.conf'), past, past);
  const out = await collectChanges(services(r), { since: '-1d', kinds: ['config'] });
  assert.deepEqual(out.changes.map((c) => c.subject), ['/etc/app.conf']);
  assert.equal(out.changes[0]!.detail, 'modified (mtime), content change not observed');
  assert.ok(out.warnings.some((w) => w.includes('not running')));
  assert.equal(out.watch, null);
});

test('config with the running watcher: a content change without digest or size, listed once', async () => {
  const r = root('cfg-watch', { 'etc/app.conf': 'a=1\n' });
  const s = services(r, { changeWatch: { intervalMs: 3_600_000 } });
  await s.changeWatch!.scan();
  writeFileSync(join(r, 'etc/app.conf'), 'a=2 changed\n');
  const later = new Date(Date.now() + 2000);
  utimesSync(join(r, 'etc/app.conf'), later, later);
  await s.changeWatch!.scan();
  const out = await collectChanges(s, { since: '-1h', kinds: ['config', 'listener'], nowMs: Date.now() + 3000 });
  const cfg = out.changes.filter((c) => c.kind === 'config');
  assert.equal(cfg.length, 1);
  assert.equal(cfg[0]!.detail, 'content changed');
  assert.equal(out.sources.listener, 'ok');
  assert.ok(out.watch && out.watch.baselineAt !== null && out.watch.filesWatched === 1);
});

test('classifyServiceMessage: systemd 252 and older message forms', () => {
  const t = 1;
  assert.deepEqual(classifyServiceMessage('Started nginx.service - A high performance web server and a reverse proxy server.', t), {
    tsMs: 1, kind: 'service', action: 'started', subject: 'nginx.service', detail: 'Started nginx.service - A high performance web server and a reverse proxy server.',
  });
  assert.equal(classifyServiceMessage('Started Daily apt upgrade and clean activities.', t)?.subject, 'Daily apt upgrade and clean activities');
  assert.deepEqual(classifyServiceMessage("web.service: Failed with result 'exit-code'.", t), { tsMs: 1, kind: 'service', action: 'failed', subject: 'web.service', detail: "failed with result 'exit-code'" });
  assert.equal(classifyServiceMessage('web.service: Scheduled restart job, restart counter is at 5.', t)?.detail, 'scheduled restart, restart counter 5');
  assert.equal(classifyServiceMessage('Stopped cron.service - Regular background program processing daemon.', t)?.action, 'stopped');
  assert.equal(classifyServiceMessage('Reloaded ssh.service - OpenBSD Secure Shell server.', t)?.action, 'reloaded');
  assert.equal(classifyServiceMessage('Starting nginx.service - A high performance web server…', t), null);
  assert.equal(classifyServiceMessage('web.service: Main process exited, code=exited, status=1/FAILURE', t), null);
});

const ctx = (s: RunningServices) => ({ services: s, served: new Map(), signal: new AbortController().signal, progress: async () => {} });

test('recent_changes tool: pages of limit 3 through 7 changes, cursor bound to the query; the planted secret is redacted', async () => {
  const lines = [
    dpkgLine(7000, 'install p1:amd64 <none> 1.0'),
    dpkgLine(6000, 'upgrade p2:amd64 1.0 2.0'),
    dpkgLine(5000, 'remove p3:amd64 1.0 <none>'),
    dpkgLine(4000, 'purge p4:amd64 1.0 <none>'),
    dpkgLine(3000, 'install p5:amd64 <none> 1.0'),
    dpkgLine(2000, 'install p6:amd64 <none> 1.0'),
    dpkgLine(1000, 'install p7:amd64 <none> 1.0'),
  ];
  const start = new Date(Date.now() - 8000).toISOString().slice(0, 19).replace('T', '  ');
  const end = new Date(Date.now()).toISOString().slice(0, 19).replace('T', '  ');
  const r = root('paging', {
    'var/log/dpkg.log': `${lines.join('\n')}\n`,
    'var/log/apt/history.log': `\nStart-Date: ${start}\nCommandline: apt-get install --password ${PLANTED} p1\nInstall: p1:amd64 (1.0)\nEnd-Date: ${end}\n`,
  });
  const s = services(r);
  const args = { since: '-1h', kinds: ['package' as const], limit: 3 };
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 3; page++) {
    const out = await recentChanges.handler({ ...args, ...(cursor ? { cursor } : {}) }, ctx(s));
    changesDataSchema.parse(out.data);
    assert.ok(!JSON.stringify(out).includes(PLANTED));
    assert.equal(out.data.matched, 7);
    assert.equal(out.page?.field, 'changes');
    seen.push(...out.data.changes.map((c) => c.subject));
    cursor = out.truncated?.nextCursor;
    if (page < 2) assert.ok(cursor, `page ${page} has a next cursor`);
  }
  assert.equal(cursor, undefined, 'the last page has no next cursor');
  assert.deepEqual(seen, ['p7:amd64', 'p6:amd64', 'p5:amd64', 'p4:amd64', 'p3:amd64', 'p2:amd64', 'p1:amd64']);
  const first = await recentChanges.handler(args, ctx(s));
  assert.ok(first.data.redactions >= 1);
  assert.match(recentChanges.render(first), /7 change\(s\) since .* \(package 7\)/);
  await assert.rejects(recentChanges.handler({ ...args, kinds: ['config'], cursor: first.truncated!.nextCursor! }, ctx(s)), HostlensError);
});

test('live: on this Debian host recent_changes answers without error (package source ok, every change well-formed)', async () => {
  const s = services('/');
  const out = await recentChanges.handler({ since: '-30d', limit: 200 }, ctx(s));
  const d = changesDataSchema.parse(out.data);
  assert.equal(d.sources.package, 'ok', (out.warnings ?? []).join('; '));
  assert.equal(d.sources.reboot, 'ok');
  assert.ok(d.changes.length <= 200);
  for (const c of d.changes) assert.ok(Date.parse(c.ts) >= Date.now() - 30 * 86_400_000 - 2000, c.ts);
  assert.equal(d.countsByKind.reboot! <= 1, true);
});

test('service changes from a real journal (systemd-journal-remote + journalctl --directory): counts match the export fixture', async () => {
  const { buildJournal, readExportEntries } = await import('../../test/fixtures/journal/build.js');
  const dir = buildJournal(join(tmp, 'journal'), ['host.export']);
  const s = services('/', { journalDirectory: dir });
  const r = await collectChanges(s, { since: '-30d', nowMs: NOW, kinds: ['service'] });
  assert.equal(r.sources.service, 'ok', r.warnings.join('; '));
  const expected: Record<string, number> = {};
  for (const e of readExportEntries('host.export')) {
    if (e.SYSLOG_IDENTIFIER !== 'systemd' || e._PID !== '1') continue;
    const c = classifyServiceMessage(e.MESSAGE ?? '', 0);
    if (c) expected[c.action] = (expected[c.action] ?? 0) + 1;
  }
  const got: Record<string, number> = {};
  for (const c of r.changes) got[c.action] = (got[c.action] ?? 0) + 1;
  assert.deepEqual(got, expected);
  assert.ok((expected.failed ?? 0) >= 10, 'the fixture has the nginx crash loop');
  const failed = r.changes.find((c) => c.action === 'failed' && c.subject === 'nginx.service')!;
  assert.equal(failed.detail, "failed with result 'exit-code'");
  assert.ok(r.changes.every((c, i) => i === 0 || r.changes[i - 1]!.tsMs >= c.tsMs), 'newest first');
});

test('boots and kernel releases from the real journal: one reboot per kernel banner, a kernel change where the release differs', async () => {
  const { buildJournal, readExportEntries } = await import('../../test/fixtures/journal/build.js');
  const dir = buildJournal(join(tmp, 'journal-boots'), ['host.export']);
  const s = services('/', { journalDirectory: dir });
  const r = await collectChanges(s, { since: '-30d', nowMs: NOW, kinds: ['reboot', 'kernel'] });
  const banners = readExportEntries('host.export').filter((e) => e._TRANSPORT === 'kernel' && (e.MESSAGE ?? '').startsWith('Linux version '));
  assert.equal(banners.length, 2);
  const journalBoots = r.changes.filter((c) => c.kind === 'reboot' && c.subject.startsWith('boot '));
  assert.deepEqual(
    journalBoots.map((c) => [c.tsMs, c.subject, c.detail]).reverse(),
    banners.map((e) => [Math.floor(Number(e.__REALTIME_TIMESTAMP) / 1000), `boot ${e._BOOT_ID!.slice(0, 12)}`, `host booted kernel ${e.MESSAGE!.split(' ')[2]} (kernel banner in the journal)`]),
  );
  const changed = r.changes.find((c) => c.kind === 'kernel' && c.subject === '6.1.0-28-amd64');
  assert.equal(changed?.detail, 'booted kernel 6.1.0-28-amd64; the boot before ran 6.1.0-27-amd64');
  assert.deepEqual(r.sources, { reboot: 'ok', kernel: 'ok' });
});

test('without dpkg.log the package changes come from apt history.log (versions, automatic flag, redacted command line)', async () => {
  const r = root('apt-only', {
    'var/log/apt/history.log': [
      '',
      'Start-Date: 2026-11-24  10:14:58',
      `Commandline: apt-get install -o Acquire::http::Proxy=http://deploy:${PLANTED}@proxy.internal:3128 nginx`,
      'Install: nginx:amd64 (1.22.1-9), nginx-common:all (1.22.1-9, automatic)',
      'End-Date: 2026-11-24  10:15:03',
      '',
      'Start-Date: 2026-11-24  12:40:09',
      'Upgrade: libssl3:amd64 (3.0.11-1~deb12u1, 3.0.11-1~deb12u2)',
      'End-Date: 2026-11-24  12:40:14',
      '',
    ].join('\n'),
  });
  const out = await collectChanges(services(r), { since: '-30d', nowMs: NOW, kinds: ['package'] });
  assert.deepEqual(
    out.changes.map((c) => [c.action, c.subject, c.detail.replace(/; via .*$/, '')]),
    [
      ['upgrade', 'libssl3:amd64', '3.0.11-1~deb12u1 → 3.0.11-1~deb12u2'],
      ['install', 'nginx-common:all', 'installed 1.22.1-9 (automatic)'],
      ['install', 'nginx:amd64', 'installed 1.22.1-9'],
    ],
  );
  assert.equal(out.changes[1]!.tsMs, Date.parse('2026-11-24T10:15:03Z'), 'an apt run is dated by its End-Date');
  assert.ok(!JSON.stringify(out).includes(PLANTED));
  assert.equal(aptVersionDetail('purge', 'telnet:amd64 (0.17+2.4-2)'), 'purged 0.17+2.4-2');
});
