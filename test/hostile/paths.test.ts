/**
 * Path traversal and symlink escapes against every path-taking tool and
 * resource, in process through the real server (SDK client over
 * InMemoryTransport): read_log_file, get_config, diag://local/config/{+path},
 * find_space_hogs, get_cgroup {path}, get_sysctl prefix, and the path-like
 * filters of get_filesystems (mount) and get_disk_io (devices).
 *
 * A temp tree holds allow-listed dirs (logs/, conf/, scan/) and, outside them,
 * a canary file (random content and a random file name). Symlinks inside the
 * allow-list point at the canary, at /etc/shadow, at / and at each other
 * (loops). Every case is a clear refusal (isError naming the rule, or
 * resource-not-found / -32602) and neither the canary nor a line of
 * /etc/shadow ever appears in any answer. /proc/self/fd/N of an /etc/shadow
 * this very process holds open is refused too.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertNotPolluted, classify, startInProcess, textOf } from './harness.js';
import type { InProcess } from './harness.js';

const CANARY = `CANARY-${randomBytes(8).toString('hex')}`;
const CANARY_NAME = `canary-name-${randomBytes(6).toString('hex')}`;
/** What a refusal says: the rule, never the content. */
const REASON = /denied|allow-list|not found|outside|refused|must be an absolute|not a regular file|no such directory|not a directory|cannot resolve|invalid|not accessible|percent-encoding|no cgroup|Input validation error/i;

describe('path traversal and symlink escapes, every path-taking tool', { timeout: 120_000 }, () => {
  let p: InProcess;
  let base: string;
  let logs: string;
  let conf: string;
  let scan: string;
  let outside: string;
  let shadowLines: string[] = [];
  const answers: string[] = [];

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'hostlens-hostile-paths-'));
    logs = join(base, 'logs');
    conf = join(base, 'conf');
    scan = join(base, 'scan');
    outside = join(base, 'outside');
    for (const d of [logs, conf, scan, join(scan, 'sub'), outside]) mkdirSync(d, { recursive: true });
    writeFileSync(join(outside, 'canary.txt'), `${CANARY}\n`);
    writeFileSync(join(outside, 'canary.log'), `Nov 24 10:00:00 host app: ${CANARY}\n`);
    writeFileSync(join(outside, CANARY_NAME), CANARY.repeat(100));
    writeFileSync(join(logs, 'app.log'), 'Nov 24 10:00:00 host app: hello\n');
    writeFileSync(join(conf, 'app.conf'), 'port = 8080\n');
    writeFileSync(join(scan, 'sub', 'data.bin'), Buffer.alloc(8192, 1));
    for (const dir of [logs, conf, scan]) {
      symlinkSync(join(outside, 'canary.log'), join(dir, 'to-canary.log'));
      symlinkSync(join(outside, 'canary.txt'), join(dir, 'to-canary.conf'));
      symlinkSync('/etc/shadow', join(dir, 'shadow.log'));
      symlinkSync('/etc/shadow', join(dir, 'shadow.conf'));
      symlinkSync('../outside', join(dir, 'out-dir'));
      symlinkSync('/', join(dir, 'root-dir'));
      symlinkSync(join(dir, 'loop-b.log'), join(dir, 'loop-a.log'));
      symlinkSync(join(dir, 'loop-a.log'), join(dir, 'loop-b.log'));
    }
    symlinkSync(outside, join(scan, 'sub', 'escape'));
    if (existsSync('/etc/shadow')) {
      shadowLines = readFileSync('/etc/shadow', 'utf8')
        .split('\n')
        .filter((l) => /^[^:]+:[^:]{2,}:/.test(l));
    }
    p = await startInProcess({ logFiles: [`${logs}/*.log`], configFiles: [`${conf}/**`, '/etc/**'], scanRoots: [scan] });
  });

  after(async () => {
    await p?.close();
    rmSync(base, { recursive: true, force: true });
  });

  async function refused(name: string, args: Record<string, unknown>, what = `${name} ${JSON.stringify(args).slice(0, 160)}`): Promise<string> {
    const answer = await p.call(name, args);
    answers.push(JSON.stringify(answer.result ?? String(answer.error)));
    const outcome = classify(name, answer, what);
    assert.ok(outcome.kind === 'tool-error' || outcome.kind === 'invalid-input', `${what}: not refused: ${JSON.stringify(outcome).slice(0, 400)}`);
    const text = outcome.text;
    assert.match(text, REASON, `${what}: the refusal gives no reason: ${text}`);
    return text;
  }

  /** Hostile spellings of a file under an allowed dir whose real target is outside it (or denied). */
  function escapes(dir: string, ext: string): string[] {
    const rel = dir.slice(base.length + 1);
    return [
      `${dir}/../outside/canary${ext}`,
      `${dir}/./../outside/canary${ext}`,
      `${dir}/to-canary${ext}`,
      `${dir}/shadow${ext}`,
      `${dir}/out-dir/canary${ext}`,
      `${dir}/root-dir/etc/shadow`,
      `${dir}/root-dir${outside}/canary${ext}`,
      `${dir}/loop-a.log`,
      `/proc/self/root${outside}/canary${ext}`,
      `/proc/${process.pid}/root${outside}/canary${ext}`,
      `/proc/self/cwd/${'../'.repeat(12)}${outside.slice(1)}/canary${ext}`,
      `${dir}/%2e%2e/outside/canary${ext}`,
      `${dir}/%2e%2e%2foutside%2fcanary${ext}`,
      `${dir}/..%2f..%2f..%2fetc%2fshadow`,
      `${dir}\\..\\outside\\canary${ext}`,
      `${dir}/app.log\u0000/../../outside/canary${ext}`,
      `${dir}/app${ext}/`,
      `${dir}/*${ext}`,
      `${dir}/**`,
      `${dir}/[a-z]*${ext}`,
      `${dir}/?pp${ext}`,
      `${dir}/{app,to-canary}${ext}`,
      `${dir}/${'a/'.repeat(2_000)}x${ext}`,
      `${base}/./${rel}/../outside/canary${ext}`,
      `../../../../${outside.slice(1)}/canary${ext}`,
      `${rel}/to-canary${ext}`,
      `file://${outside}/canary${ext}`,
      `~/${rel}/to-canary${ext}`,
      `/etc/shadow`,
      `/etc//shadow`,
      `/etc/./shadow`,
      `/etc/../etc/shadow`,
      `/etc/shadow/`,
      `/proc/self/root/etc/shadow`,
      `/proc/1/root/etc/shadow`,
      `/proc/self/environ`,
      `/proc/self/task/${process.pid}/environ`,
      `/proc/self/mem`,
      `/proc/kcore`,
    ];
  }

  test('read_log_file: every escape spelling is refused with the rule, no canary', async () => {
    for (const path of escapes(logs, '.log')) await refused('read_log_file', { path });
  });

  test('get_config: every escape spelling is refused with the rule, no canary', async () => {
    for (const path of escapes(conf, '.conf')) await refused('get_config', { path });
  });

  test('a deny-listed name with a trailing slash answers the same whether the file exists or not (no existence oracle)', async () => {
    writeFileSync(join(conf, 'id_rsa'), 'not really a key\n');
    const present = await refused('get_config', { path: `${conf}/id_rsa/` });
    const absent = await refused('get_config', { path: `${conf}/id_ed25519/` });
    assert.equal(present.replace('id_rsa', 'X'), absent.replace('id_ed25519', 'X'));
    const plain = await refused('get_config', { path: `${conf}/id_rsa` });
    assert.match(plain, /denied: private key/);
  });

  test('/proc/self/fd/N and /dev/fd/N of an /etc/shadow held open by this very process are refused', async (t) => {
    if (!existsSync('/etc/shadow')) return t.diagnostic('no /etc/shadow here');
    let fd: number;
    try {
      fd = openSync('/etc/shadow', 'r');
    } catch {
      return t.diagnostic('/etc/shadow is not readable by this user');
    }
    try {
      for (const path of [`/proc/self/fd/${fd}`, `/dev/fd/${fd}`, `/proc/${process.pid}/fd/${fd}`]) {
        const text = await refused('get_config', { path });
        assert.match(text, /denied|allow-list/, `${path}: ${text}`);
        await refused('read_log_file', { path });
      }
    } finally {
      closeSync(fd);
    }
  });

  test('the allowed files themselves are served (the refusals above are not a blanket no)', async () => {
    const log = classify('read_log_file', await p.call('read_log_file', { path: `${logs}/app.log` }), 'read_log_file app.log');
    assert.equal(log.kind, 'ok');
    const cfg = classify('get_config', await p.call('get_config', { path: `${conf}/app.conf` }), 'get_config app.conf');
    assert.equal(cfg.kind, 'ok');
    if (cfg.kind === 'ok') assert.match(textOf(cfg.result), /port = 8080/);
    const dotted = classify('get_config', await p.call('get_config', { path: `${conf}/../conf/./app.conf` }), 'get_config with .. inside the allow-list');
    assert.equal(dotted.kind, 'ok', 'a .. that stays inside the allow-list is normalised and served');
  });

  test('diag://local/config/{+path}: escapes, encoded slashes, NUL and double encoding → resource-not-found (-32602 with data.uri), never content', async () => {
    const rel = conf.slice(1);
    const uris = [
      `diag://local/config/${rel}/to-canary.conf`,
      `diag://local/config/${rel}/shadow.conf`,
      `diag://local/config/${rel}/../outside/canary.conf`,
      `diag://local/config/${rel}/..%2f..%2foutside%2fcanary.conf`,
      `diag://local/config/${rel}/%2e%2e/outside/canary.txt`,
      `diag://local/config/${rel}/%252e%252e/outside/canary.txt`,
      `diag://local/config/..%2f..%2fetc%2fshadow`,
      'diag://local/config/etc/shadow',
      'diag://local/config/etc%2fshadow',
      'diag://local/config//etc/shadow',
      'diag://local/config/etc/shadow%00.conf',
      'diag://local/config/etc/hostname%00/../shadow',
      'diag://local/config/proc/self/environ',
      'diag://local/config/proc/self/root/etc/shadow',
      `diag://local/config/proc/self/root/${rel}/to-canary.conf`,
      'diag://local/config/%E0%A4%A',
      `diag://local/config/${'a/'.repeat(50_000)}x`,
    ];
    for (const uri of uris) {
      let error: { code?: number; message?: string; data?: { uri?: string } } | undefined;
      try {
        const r = await p.client.readResource({ uri });
        answers.push(JSON.stringify(r));
        assert.fail(`${uri.slice(0, 120)} was served: ${JSON.stringify(r).slice(0, 200)}`);
      } catch (e) {
        error = e as typeof error;
      }
      assert.equal(error?.code, -32602, `${uri.slice(0, 120)}: ${String(error?.message)}`);
      assert.match(String(error?.message), REASON, `${uri.slice(0, 120)}: no reason`);
      assert.ok(error?.data?.uri !== undefined, `${uri.slice(0, 120)}: data.uri`);
      answers.push(`${error?.message} ${JSON.stringify(error?.data)}`);
    }
  });

  test('find_space_hogs: escapes out of the scan root are refused without naming what lies outside; symlinks inside are never followed', async () => {
    for (const path of [
      `${scan}/..`,
      `${scan}/../outside`,
      `${scan}/out-dir`,
      `${scan}/root-dir`,
      `${scan}/sub/escape`,
      `${scan}/loop-a.log`,
      `/proc/self/root${outside}`,
      `/proc/self/cwd`,
      `/proc/1/cwd`,
      `/proc/self/fd/0`,
      `${scan}/%2e%2e`,
      `${scan}/*`,
      `${scan}\u0000/../outside`,
      'scan',
      `${scan}/${'a/'.repeat(2_000)}`,
      '/etc',
    ]) {
      const text = await refused('find_space_hogs', { path });
      const beyondTheQuestion = text.split(path.slice(0, 200)).join('');
      assert.ok(!beyondTheQuestion.includes(CANARY_NAME) && !beyondTheQuestion.includes(outside) && !/resolves to/.test(text), `${path}: the refusal names what lies outside: ${text}`);
    }
    const ok = classify('find_space_hogs', await p.call('find_space_hogs', { path: scan, depth: 3 }), 'find_space_hogs scan');
    assert.equal(ok.kind, 'ok', JSON.stringify(ok).slice(0, 300));
    if (ok.kind === 'ok') {
      const data = (ok.result.structuredContent as { data: { entries: Array<{ path: string; sizeBytes: number }> } }).data;
      answers.push(JSON.stringify(data));
      for (const e of data.entries) assert.ok(e.path.startsWith(scan), `entry ${e.path} outside the scan root`);
      assert.ok(data.entries.some((e) => e.path.endsWith('/sub/data.bin')), 'the real file is listed');
    }
  });

  test('get_cgroup {path}: traversal, encoded dots, NUL and huge paths are refused', async () => {
    for (const path of ['/..', '/../../etc', '/system.slice/../../..', '..', 'system.slice', '/%2e%2e/%2e%2e/etc', '/a\u0000b', `/${'x/'.repeat(600)}`, '/./', '//..//..']) {
      await refused('get_cgroup', { target: { path }, windowSec: 0.2 });
    }
  });

  test('get_sysctl prefixes that try to leave /proc/sys are invalid input', async () => {
    for (const prefix of ['../../etc', '..', 'kernel/../../../etc/shadow', '/etc/shadow', 'vm..', '.vm', 'kernel.\u0000', 'fs/../../self/environ']) {
      await refused('get_sysctl', { prefix });
    }
  });

  test('get_filesystems mount and get_disk_io devices are filters: traversal values match nothing, read nothing', async () => {
    for (const mount of ['/../../etc/shadow', `${outside}/canary.txt`, '/proc/self/root/', '*']) {
      const r = classify('get_filesystems', await p.call('get_filesystems', { mount }), `get_filesystems ${mount}`);
      answers.push(JSON.stringify(r));
      if (r.kind === 'ok') assert.deepEqual((r.result.structuredContent as { data: { mounts: unknown[] } }).data.mounts, [], mount);
    }
    for (const devices of [['../../../etc/shadow'], [`/dev/../${outside}/canary.txt`], ['*']]) {
      const r = classify('get_disk_io', await p.call('get_disk_io', { devices }), `get_disk_io ${devices[0]}`);
      answers.push(JSON.stringify(r));
      if (r.kind === 'ok') assert.deepEqual((r.result.structuredContent as { data: { devices: unknown[] } }).data.devices, [], devices[0]);
    }
  });

  test('no answer of this suite carried the canary, its file name or a line of /etc/shadow; Object.prototype untouched', () => {
    assert.ok(answers.length > 90, `${answers.length} answers collected`);
    for (const a of answers) {
      assert.ok(!a.includes(CANARY), `the canary content leaked: ${a.slice(0, 300)}`);
      assert.ok(!a.includes(CANARY_NAME), `the canary file name leaked: ${a.slice(0, 300)}`);
      for (const line of shadowLines) assert.ok(!a.includes(line.split(':').slice(0, 2).join(':')), 'a line of /etc/shadow leaked');
    }
    assertNotPolluted();
  });
});
