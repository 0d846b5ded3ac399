/**
 * Other names for a secret, on the real file system, through the tools: hard links (in the allowed directory and as
 * rotations x.log.2 / x.log-20261201), renames of the server's own token, config and audit files into an allowed
 * directory (same inode, one link: caught by inode), backup names (shadow.bak, id_rsa.orig, …), content (a key
 * file by any name, password-hash lines), a key logged inside a log (masked, not refused), FIFOs, device nodes,
 * /proc/self paths, find_space_hogs listings and the change watcher. No answer carries a planted secret or names a
 * symlink's target. A COPY of a protected file is another inode and is readable if its name and content pass: the
 * protection is of the server's own files, not of every byte sequence they hold.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { requireCapability } from './file-guard.js';
import { classify, startInProcess } from './harness.js';
import type { InProcess } from './harness.js';

const CANARY = 'CANARY-7f3a9c-links';
const KEY_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDLinksPlantedBody';
const KEY_TAIL = 'Zq9LinksTail==';

describe('hard links, renames, backup names and content rules', { timeout: 120_000 }, () => {
  let base: string;
  let logs: string;
  let own: string;
  let p: InProcess;
  const seen: string[] = [];
  /** Answers of the file readers (find_space_hogs may name the canary file itself: it lists the scan root). */
  const readerAnswers: string[] = [];
  const call = async (tool: string, args: Record<string, unknown>) => {
    const o = classify(tool, await p.call(tool, args, 20_000), `${tool} ${JSON.stringify(args)}`);
    const text = o.kind === 'ok' ? JSON.stringify(o.result) : o.kind === 'tool-error' ? o.text : JSON.stringify(o);
    seen.push(text);
    if (tool !== 'find_space_hogs') readerAnswers.push(text);
    return { o, text };
  };
  const refused = async (tool: string, args: Record<string, unknown>, want: RegExp) => {
    const { o, text } = await call(tool, args);
    assert.equal(o.kind, 'tool-error', `${tool} ${String(args.path)} should be refused: ${text.slice(0, 300)}`);
    assert.match(text, want, String(args.path));
  };
  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'hostlens-links-'));
    logs = join(base, 'logs');
    own = join(base, 'own');
    mkdirSync(logs);
    mkdirSync(own, { mode: 0o700 });
    writeFileSync(join(base, 'canary.txt'), `${CANARY}\n`, { mode: 0o600 });
    writeFileSync(join(own, 'token'), `tok-${CANARY}-0123456789\n`, { mode: 0o600 });
    writeFileSync(join(own, 'config.json'), `{"note": "${CANARY}"}\n`, { mode: 0o600 });
    writeFileSync(join(own, 'audit.jsonl'), `{"a": "${CANARY}"}\n`, { mode: 0o600 });
    writeFileSync(join(own, 'audit.jsonl.1'), `{"b": "${CANARY}"}\n`, { mode: 0o600 });
    writeFileSync(join(logs, 'app.log'), 'Nov 24 10:00:00 host app: current\n');
    p = await startInProcess({
      startSampler: false,
      logFiles: [`${logs}/*.log`, `${logs}/*`],
      configFiles: [`${logs}/**`, '/proc/**'],
      scanRoots: [base],
      protect: { files: [join(own, 'token'), join(own, 'config.json')], families: [join(own, 'audit.jsonl')] },
    });
  });
  after(async () => {
    await p?.close();
    rmSync(base, { recursive: true, force: true });
    for (const text of seen) {
      assert.ok(!text.includes(CANARY), `an answer carries the canary: ${text.slice(0, 300)}`);
      assert.ok(!text.includes(KEY_BODY) && !text.includes(KEY_TAIL), `an answer carries the planted key: ${text.slice(0, 300)}`);
    }
    for (const text of readerAnswers) assert.ok(!text.includes('canary.txt'), `an answer names a link target: ${text.slice(0, 300)}`);
  });

  test('hard links: in the directory, as rotations .2 and -20261201, and to /etc/shadow', async (t) => {
    linkSync(join(base, 'canary.txt'), join(logs, 'hard.log'));
    for (const tool of ['read_log_file', 'get_config']) await refused(tool, { path: join(logs, 'hard.log') }, /^refused: .*hard-linked/);
    linkSync(join(base, 'canary.txt'), join(logs, 'app.log.2'));
    linkSync(join(base, 'canary.txt'), join(logs, 'app.log-20261201'));
    const { o, text } = await call('read_log_file', { path: join(logs, 'app.log'), includeRotated: true, lines: 1000 });
    assert.equal(o.kind, 'ok', text);
    assert.match(text, /rotation skipped: .*app\.log\.2: refused: .*hard-linked/);
    assert.match(text, /current/);
    const sameFs = statSync('/etc/shadow', { throwIfNoEntry: false })?.dev === statSync(logs).dev;
    if (!requireCapability(t, sameFs && process.getuid?.() === 0, 'root and /etc on the same file system as the temp dir (hard link to /etc/shadow)')) return;
    linkSync('/etc/shadow', join(logs, 'sh.log'));
    try {
      for (const tool of ['read_log_file', 'get_config']) await refused(tool, { path: join(logs, 'sh.log') }, /^denied: a file the server protects|^refused: .*hard-linked/);
    } finally {
      rmSync(join(logs, 'sh.log'));
    }
  });

  test("the server's own token, config and audit files renamed into an allowed directory: denied by inode", async () => {
    const moves: Array<[string, string]> = [
      [join(own, 'token'), join(logs, 'token.log')],
      [join(own, 'config.json'), join(logs, 'config.log')],
      [join(own, 'audit.jsonl.1'), join(logs, 'audit.log')],
    ];
    for (const [from, to] of moves) {
      renameSync(from, to);
      assert.equal(statSync(to).nlink, 1, 'one link: only the inode rule can catch it');
      for (const tool of ['read_log_file', 'get_config']) await refused(tool, { path: to }, /^denied: a file the server protects/);
      renameSync(to, from);
    }
    // A copy is another inode: readable when its name and content pass (it is not the server's file).
    copyFileSync(join(own, 'audit.jsonl'), join(logs, 'copy.log'));
    const { o } = await call('read_log_file', { path: join(logs, 'copy.log') });
    assert.equal(o.kind, 'ok');
    seen.pop(); // the copy's content is the test's own, read on purpose
    readerAnswers.pop();
  });

  test('backup and editor names of shadow and keys are denied whether or not they exist', async () => {
    const names = ['shadow.bak', 'shadow~', 'shadow.old', 'gshadow-', '.shadow.swp', '#shadow#', 'etc-shadow.1', 'opasswd.orig', 'id_rsa.bak', 'id_ed25519~', 'server.key.orig', 'x.key.1', 'ssh_host_rsa_key.old', '.netrc.bak', 'chap-secrets.dpkg-old'];
    for (const n of names) {
      if (n.length % 2 === 0) writeFileSync(join(logs, n), `${CANARY}\n`);
      for (const tool of ['read_log_file', 'get_config']) await refused(tool, { path: join(logs, n) }, /^denied: (password hashes|private key|credentials file)/);
    }
    await refused('get_config', { path: '/var/backups/shadow.bak' }, /^denied: password hashes/);
  });

  test('content: a key file by any name is denied; a log with a key among its lines is read with the key masked', async () => {
    const pem = ['-----BEGIN OPENSSH PRIVATE KEY-----', KEY_BODY, KEY_TAIL, '-----END OPENSSH PRIVATE KEY-----'];
    writeFileSync(join(logs, 'cert.log'), ['', '  ', ...pem, ''].join('\n'));
    writeFileSync(join(logs, 'bundle.log'), ['Bag Attributes', '    localKeyID: 01', '-----BEGIN CERTIFICATE-----', 'MIIB', '-----END CERTIFICATE-----', ...pem, ''].join('\n'));
    writeFileSync(join(logs, 'putty.log'), `PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\n${KEY_BODY}\nPrivate-MAC: 00\n`);
    for (const f of ['cert.log', 'bundle.log', 'putty.log']) for (const tool of ['read_log_file', 'get_config']) await refused(tool, { path: join(logs, f) }, /^denied: private key/);
    writeFileSync(join(logs, 'svc.log'), ['Nov 24 10:00:00 host svc: starting', 'Nov 24 10:00:01 host svc: loaded key:', ...pem, 'Nov 24 10:00:02 host svc: ready', ''].join('\n'));
    const { o, text } = await call('read_log_file', { path: join(logs, 'svc.log') });
    assert.equal(o.kind, 'ok', text);
    assert.match(text, /ready/);
    assert.match(text, /\[REDACTED\]/);
    const grep = await call('read_log_file', { path: join(logs, 'svc.log'), grep: KEY_TAIL.slice(0, 8) });
    assert.equal(grep.o.kind, 'ok', 'grep for a piece of the key body finds the line but returns it masked');
    await refused('get_config', { path: join(logs, 'svc.log') }, /^denied: private key/);
  });

  test('content: password-hash lines of every crypt id are denied, also inside a .gz rotation', async () => {
    for (const id of ['1', '2b', '5', '6', '7', 'y', 'gy', 'apr1']) {
      writeFileSync(join(logs, `h${id}.log`), `note\nsvc:$${id}$salt$${CANARY}:19000:0:99999:7:::\n`);
      for (const tool of ['read_log_file', 'get_config']) await refused(tool, { path: join(logs, `h${id}.log`) }, /^denied: password hashes/);
    }
    writeFileSync(join(logs, 'app.log.3.gz'), gzipSync(`svc:!$6$salt$${CANARY}:19000::::::\n`));
    const { text } = await call('read_log_file', { path: join(logs, 'app.log'), includeRotated: true });
    assert.match(text, /app\.log\.3\.gz: denied: password hashes/);
  });

  test('FIFOs, device nodes and /proc/self paths are refused without blocking or following', async (t) => {
    if (requireCapability(t, spawnSync('mkfifo', [join(logs, 'pipe.log')]).status === 0, 'mkfifo')) {
      for (const tool of ['read_log_file', 'get_config']) await refused(tool, { path: join(logs, 'pipe.log') }, /^not a regular file/);
    }
    for (const path of ['/proc/self/fd/0', '/proc/self/root/etc/hostname', '/proc/self/cwd/x.conf', `/proc/${process.pid}/root/etc/passwd`]) {
      await refused('get_config', { path }, /^refused: a symlink in the path|^not a regular file|^not found/);
    }
    if (!requireCapability(t, spawnSync('mknod', [join(logs, 'null.log'), 'c', '1', '3']).status === 0, 'root (mknod)')) return;
    for (const tool of ['read_log_file', 'get_config']) await refused(tool, { path: join(logs, 'null.log') }, /^not a regular file/);
  });

  test('find_space_hogs lists no name inside .ssh or of a key or protected file; their bytes are one withheld entry', async () => {
    const home = join(base, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'id_rsa'), 'k'.repeat(20_000));
    writeFileSync(join(home, '.ssh', 'authorized_keys'), 'k'.repeat(5000));
    writeFileSync(join(home, 'server.key'), 'k'.repeat(9000));
    writeFileSync(join(home, 'notes.txt'), 'n'.repeat(3000));
    chmodSync(join(home, '.ssh'), 0o700);
    const { o, text } = await call('find_space_hogs', { path: base, depth: 3, limit: 100 });
    assert.equal(o.kind, 'ok', text);
    assert.doesNotMatch(text, /id_rsa|authorized_keys|server\.key|\.ssh/);
    assert.match(text, /notes\.txt/);
    const entries = (o.kind === 'ok' ? (o.result.structuredContent as { data: { entries: Array<{ path: string; type: string; sizeBytes: number }> } }).data.entries : []);
    const withheld = entries.find((e) => e.path === `${home}/(withheld)`);
    assert.ok(withheld && withheld.type === 'withheld' && withheld.sizeBytes >= 32_000, JSON.stringify(entries));
    assert.ok(!entries.some((e) => e.path.startsWith(own) && e.type !== 'withheld' && /token|config\.json|audit/.test(e.path)), 'protected files are withheld');
  });

  test('the change watcher neither lists nor fingerprints protected files', async () => {
    const { createChangeWatcher } = await import('../../src/collectors/change-watch.js');
    const w = createChangeWatcher({ ctx: p.services.collectors, configFiles: [`${own}/**`, `${logs}/**`], watchListeners: false, protect: p.services.protectedFiles! });
    await w.scan();
    const listed = [...w.files().keys()];
    assert.ok(!listed.some((f) => f.startsWith(own)), listed.join(', '));
  });
});
