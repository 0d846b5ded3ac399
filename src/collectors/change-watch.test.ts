import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { createCollectorContext } from './context.js';
import { createChangeWatcher, globBase, listConfigFiles } from './change-watch.js';
import { createServices } from '../app/create-services.js';

const tmp = mkdtempSync(join(tmpdir(), 'hostlens-watch-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const live = createCollectorContext({ root: '/' });
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function tree(name: string): string {
  const etc = join(tmp, name, 'etc');
  mkdirSync(join(etc, 'app'), { recursive: true });
  writeFileSync(join(etc, 'app/a.conf'), 'listen 80\n');
  writeFileSync(join(etc, 'b.conf'), 'x=1\n');
  writeFileSync(join(etc, 'app/server.key'), 'not really a key\n');
  writeFileSync(join(etc, 'app/notes.txt'), 'n\n');
  return etc;
}

test('globBase: the directory before the first wildcard segment', () => {
  assert.equal(globBase('/etc/**'), '/etc');
  assert.equal(globBase('/etc/nginx/*.conf'), '/etc/nginx');
  assert.equal(globBase('/var/log/*/*.log'), '/var/log');
  assert.equal(globBase('/*'), '/');
});

test('listConfigFiles: glob match, built-in deny-list, cap', async () => {
  const etc = tree('list');
  const r = await listConfigFiles(live, [`${etc}/**/*.conf`, `${etc}/**/*.key`], 100);
  assert.deepEqual(r.paths.sort(), [`${etc}/app/a.conf`, `${etc}/b.conf`], 'server.key is denied, notes.txt does not match');
  const capped = await listConfigFiles(live, [`${etc}/**`], 1);
  assert.equal(capped.paths.length, 1);
  assert.equal(capped.capped, true);
  assert.deepEqual((await listConfigFiles(live, [`${etc}/b.conf`], 10)).paths, [`${etc}/b.conf`], 'a plain path');
});

test('watcher: baseline, then modified, touched, created, deleted — never a digest or a size in a detail', async () => {
  const etc = tree('watch');
  const w = createChangeWatcher({ ctx: live, configFiles: [`${etc}/**`], watchListeners: false });
  await w.scan();
  assert.notEqual(w.baselineAtMs, null);
  assert.deepEqual(w.changes(), [], 'the first scan is the baseline');
  const fp = w.files().get(`${etc}/app/a.conf`)?.fingerprint;
  assert.match(fp ?? '', /^[0-9a-f]{64}$/);
  assert.notEqual(fp, sha('listen 80\n'), 'the fingerprint is keyed: not the public sha256 of the content');

  writeFileSync(join(etc, 'app/a.conf'), 'listen 8080\n');
  const later = new Date(Date.now() + 5000);
  utimesSync(join(etc, 'app/a.conf'), later, later);
  writeFileSync(join(etc, 'c.conf'), 'new\n');
  unlinkSync(join(etc, 'b.conf'));
  await w.scan();
  const by = (s: string) => w.changes().filter((c) => c.subject === `${etc}/${s}`);
  const mod = by('app/a.conf');
  assert.equal(mod.length, 1);
  assert.equal(mod[0]!.action, 'modified');
  assert.equal(mod[0]!.kind, 'config');
  assert.equal(mod[0]!.detail, 'content changed');
  for (const c of w.changes()) {
    assert.doesNotMatch(c.detail, /[0-9a-f]{8}|sha|bytes|\d/, `no digest, prefix or size: ${c.detail}`);
  }
  assert.equal(by('c.conf')[0]?.action, 'created');
  assert.equal(by('b.conf')[0]?.action, 'deleted');

  const again = new Date(Date.now() + 10_000);
  utimesSync(join(etc, 'app/a.conf'), again, again);
  await w.scan();
  const touched = by('app/a.conf');
  assert.equal(touched.length, 2);
  assert.match(touched[1]!.detail, /mtime changed, content unchanged/);
  await w.scan();
  assert.equal(w.changes().length, 4, 'an unchanged tree adds nothing');
});

test('watcher: files over maxHashBytes are not hashed; the change list is bounded', async () => {
  const etc = tree('bounds');
  writeFileSync(join(etc, 'big.conf'), 'y'.repeat(5000));
  const w = createChangeWatcher({ ctx: live, configFiles: [`${etc}/**`], watchListeners: false, maxHashBytes: 1000, maxChanges: 3 });
  await w.scan();
  assert.equal(w.files().get(`${etc}/big.conf`)?.fingerprint, null);
  for (let i = 0; i < 5; i++) writeFileSync(join(etc, `n${i}.conf`), String(i));
  await w.scan();
  assert.equal(w.changes().length, 3);
  assert.deepEqual(w.changes().map((c) => c.subject.slice(-7)), ['n2.conf', 'n3.conf', 'n4.conf']);
});

test('watcher: a real TCP listener opened after the baseline is a listener change with our pid; closing it is recorded', async () => {
  const w = createChangeWatcher({ ctx: live, configFiles: [], watchListeners: true });
  await w.scan();
  const server: Server = createServer();
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await w.scan();
    const opened = w.changes().find((c) => c.subject === `tcp 127.0.0.1:${port}`);
    assert.ok(opened, JSON.stringify(w.changes()));
    assert.equal(opened.kind, 'listener');
    assert.equal(opened.action, 'opened');
    assert.match(opened.detail, new RegExp(`pid ${process.pid} \\(`));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await w.scan();
    assert.ok(w.changes().some((c) => c.subject === `tcp 127.0.0.1:${port}` && c.action === 'closed'));
  } finally {
    if (server.listening) server.close();
  }
});

test('createServices starts the watcher (baseline shortly after start) and stop() ends it', async () => {
  const etc = tree('services');
  const s = createServices({ startSampler: false, changeWatch: { intervalMs: 50 }, configFiles: [`${etc}/**`] });
  try {
    assert.ok(s.changeWatch);
    for (let i = 0; i < 50 && s.changeWatch.baselineAtMs === null; i++) await sleep(20);
    assert.notEqual(s.changeWatch.baselineAtMs, null);
    assert.ok(s.changeWatch.files().has(`${etc}/b.conf`));
  } finally {
    s.stop();
  }
  const last = s.changeWatch.lastScanAtMs;
  await sleep(150);
  assert.equal(s.changeWatch.lastScanAtMs, last, 'no scans after stop()');
  const off = createServices({ startSampler: false });
  assert.equal(off.changeWatch, undefined, 'off when the sampler is off and no watcher is asked for');
  off.stop();
});

test('watcher: past the per-scan hash budget files stay unhashed and are hashed by later scans without a spurious change', async () => {
  const etc = tree('budget');
  for (let i = 0; i < 4; i++) writeFileSync(join(etc, `h${i}.conf`), 'z'.repeat(100));
  const w = createChangeWatcher({ ctx: live, configFiles: [`${etc}/*.conf`], watchListeners: false, maxHashBytesPerScan: 250 });
  await w.scan();
  const unhashed = () => [...w.files().values()].filter((f) => f.fingerprint === null).length;
  assert.equal(w.files().size, 5);
  assert.ok(unhashed() >= 2, `${unhashed()} unhashed after the first scan`);
  assert.ok(w.warnings().some((x) => x.includes('hash budget')));
  for (let i = 0; i < 4 && unhashed() > 0; i++) await w.scan();
  assert.equal(unhashed(), 0);
  assert.deepEqual(w.changes(), []);
});
