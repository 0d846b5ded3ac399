import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeFileTree } from '../../test/fixtures/files/tree.js';
import type { FileTree } from '../../test/fixtures/files/tree.js';
import { createCollectorContext } from './context.js';
import type { CollectorContext } from './context.js';
import { checkFilePath, contentDenyReason, denyReason, globToRegExp, listRotations, matchesGlob, rotationBase } from './file-policy.js';
import type { AllowList } from './file-policy.js';

const CONFIG: AllowList = { name: 'configFiles', globs: ['/etc/**'] };
const LOGS: AllowList = { name: 'logFiles', globs: ['/var/log/*.log', '/var/log/*/*.log', '/var/log/syslog'], rotations: true };

function refusal(r: ReturnType<typeof checkFilePath>): string {
  assert.ok('error' in r, `expected a refusal, got ${JSON.stringify(r)}`);
  return r.error;
}

describe('glob matcher', () => {
  test('* and ? stay within a segment, ** spans segments', () => {
    assert.ok(matchesGlob('/var/log/syslog.log', '/var/log/*.log'));
    assert.ok(!matchesGlob('/var/log/nginx/access.log', '/var/log/*.log'));
    assert.ok(matchesGlob('/var/log/nginx/access.log', '/var/log/*/*.log'));
    assert.ok(matchesGlob('/etc/a/b/c.conf', '/etc/**'));
    assert.ok(matchesGlob('/etc/x', '/etc/**'));
    assert.ok(!matchesGlob('/etcetera/x', '/etc/**'));
    assert.ok(matchesGlob('/srv/a/b/app.log', '/srv/**/app.log'));
    assert.ok(matchesGlob('/srv/app.log', '/srv/**/app.log'));
    assert.ok(matchesGlob('/var/log/a1.log', '/var/log/a?.log'));
    assert.ok(!matchesGlob('/var/log/a/.log', '/var/log/a?.log'));
  });
  test('regex metacharacters in a glob are literal', () => {
    assert.ok(matchesGlob('/etc/a+b(1).conf', '/etc/a+b(1).conf'));
    assert.ok(!matchesGlob('/etc/aab(1).conf', '/etc/a+b(1).conf'));
    assert.ok(!globToRegExp('/var/log/*.log').test('/var/log/xlog'));
  });
  test('rotation suffixes map to their base file', () => {
    assert.equal(rotationBase('/var/log/app.log.1'), '/var/log/app.log');
    assert.equal(rotationBase('/var/log/app.log.12.gz'), '/var/log/app.log');
    assert.equal(rotationBase('/var/log/syslog-20261124.gz'), '/var/log/syslog');
    assert.equal(rotationBase('/var/log/app.log'), null);
  });
});

describe('deny-list', () => {
  test('names the rule for each built-in entry', () => {
    for (const p of ['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-']) assert.equal(denyReason(p), 'password hashes', p);
    for (const p of ['/etc/ssl/private/x.pem', '/root/id_rsa', '/home/a/id_ed25519', '/etc/ssh/ssh_host_ed25519_key', '/etc/app/tls.key', '/etc/x.p12']) assert.equal(denyReason(p), 'private key', p);
    for (const p of ['/root/.ssh/config', '/home/bob/.ssh/authorized_keys', '/root/.ssh']) assert.equal(denyReason(p), 'ssh directory', p);
    for (const p of ['/proc/1/environ', '/proc/self/environ', '/proc/thread-self/environ', '/proc/12/task/13/environ']) assert.equal(denyReason(p), 'process environment', p);
    assert.equal(denyReason('/proc/1/mem'), 'process memory');
    for (const p of ['/etc/ppp/chap-secrets', '/etc/ppp/pap-secrets', '/etc/ipsec.secrets', '/etc/ldap.secret', '/root/.netrc', '/home/a/.aws/credentials']) assert.equal(denyReason(p), 'credentials file', p);
  });
  test('ordinary files are not denied (no over-blocking)', () => {
    for (const p of ['/etc/hostname', '/etc/ssh/sshd_config', '/etc/ssh/ssh_host_ed25519_key.pub', '/etc/passwd', '/etc/keyboard', '/etc/app/keys.conf', '/etc/shadowsocks.json', '/etc/secrets.conf', '/etc/app/secret-rotation.yaml']) {
      assert.equal(denyReason(p), null, p);
    }
  });
  test('content: a PRIVATE KEY marker denies, a certificate does not', () => {
    assert.equal(contentDenyReason('x\n-----BEGIN OPENSSH PRIVATE KEY-----\nabc'), 'private key');
    assert.equal(contentDenyReason('-----BEGIN CERTIFICATE-----\nabc'), null);
  });
});

describe('checkFilePath over a fixture root', () => {
  let tree: FileTree;
  let ctx: CollectorContext;
  before(() => {
    tree = makeFileTree();
    ctx = createCollectorContext({ root: tree.root });
  });
  after(() => tree.cleanup());

  test('an allowed file resolves with size and mtime', () => {
    const r = checkFilePath(ctx, '/etc/nginx/nginx.conf', CONFIG);
    assert.ok(!('error' in r), JSON.stringify(r));
    assert.equal(r.hostPath, '/etc/nginx/nginx.conf');
    assert.ok(r.sizeBytes > 100);
    assert.ok(r.abs.startsWith(tree.root));
  });
  test('a symlink is never followed, even to an allowed file, and the refusal does not name its target', () => {
    const e = refusal(checkFilePath(ctx, '/etc/nginx/current.conf', CONFIG));
    assert.equal(e, 'refused: a symlink in the path /etc/nginx/current.conf (symlinks are never followed)');
  });
  test('denied files are refused naming the rule, even though config allows /etc/** and /**', () => {
    assert.match(refusal(checkFilePath(ctx, '/etc/shadow', CONFIG)), /^denied: password hashes/);
    assert.match(refusal(checkFilePath(ctx, '/etc/ssl/private/server.key', { name: 'configFiles', globs: ['/**'] })), /^denied: private key/);
    assert.match(refusal(checkFilePath(ctx, '/home/alice/.ssh/config', { name: 'configFiles', globs: ['/**'] })), /^denied: ssh directory/);
    assert.match(refusal(checkFilePath(ctx, '/proc/1/environ', { name: 'configFiles', globs: ['/**'] })), /^denied: process environment/);
  });
  test('a denied path answers the same whether or not it exists', () => {
    const present = refusal(checkFilePath(ctx, '/etc/shadow', CONFIG));
    const absent = refusal(checkFilePath(ctx, '/etc/gshadow', CONFIG));
    assert.equal(present, absent);
    assert.equal(refusal(checkFilePath(ctx, '/home/alice/.ssh/id_ed25519', CONFIG)), refusal(checkFilePath(ctx, '/home/nobody/.ssh/id_ed25519', CONFIG)));
  });
  test('private keys are denied by content whatever the name', () => {
    assert.match(refusal(checkFilePath(ctx, '/etc/app/tls.pem', CONFIG)), /^denied: private key/);
    assert.match(refusal(checkFilePath(ctx, '/etc/app/inline-key.conf', CONFIG)), /^denied: private key/);
    assert.ok(!('error' in checkFilePath(ctx, '/etc/app/cert.pem', CONFIG)), 'a certificate is not a secret');
  });
  test('symlink escapes are refused without being followed or named', () => {
    for (const [p, list] of [['/var/log/evil.log', LOGS], ['/etc/app/key-link.conf', CONFIG], ['/etc/app/log-link.conf', CONFIG]] as const) {
      const e = refusal(checkFilePath(ctx, p, list));
      assert.match(e, /^refused: a symlink in the path/, p);
      assert.doesNotMatch(e, /shadow|\.ssh|app\.log/, `${p}: the target is not named`);
    }
  });
  test('traversal with .. is normalised before both checks', () => {
    assert.match(refusal(checkFilePath(ctx, '/var/log/../../etc/shadow', LOGS)), /^denied: password hashes/);
    assert.match(refusal(checkFilePath(ctx, '/etc/../var/log/app.log', CONFIG)), /not in configFiles allow-list/);
    assert.match(refusal(checkFilePath(ctx, '/../../../../etc/nginx/../shadow', CONFIG)), /^denied/);
  });
  test('relative, empty and NUL paths are refused; encoded input is taken literally', () => {
    assert.match(refusal(checkFilePath(ctx, 'etc/hostname', CONFIG)), /absolute/);
    assert.match(refusal(checkFilePath(ctx, '', CONFIG)), /absolute/);
    assert.match(refusal(checkFilePath(ctx, '/etc/nginx/nginx.conf\0.log', CONFIG)), /NUL/);
    // Taken literally: a file named shadow anywhere is denied by name, before the allow-list or the file system.
    assert.match(refusal(checkFilePath(ctx, '/var/log/%2e%2e/%2e%2e/etc/shadow', LOGS)), /^denied: password hashes/);
    assert.match(refusal(checkFilePath(ctx, '/etc/%2e%2e/etc/hosts', CONFIG)), /^not found/);
  });
  test('not in the allow-list: refused before the file system is asked', () => {
    assert.equal(refusal(checkFilePath(ctx, '/opt/app/exists-or-not.conf', CONFIG)), '/opt/app/exists-or-not.conf not in configFiles allow-list (/etc/**)');
  });
  test('missing files and directories are clear errors', () => {
    assert.match(refusal(checkFilePath(ctx, '/etc/nope.conf', CONFIG)), /^not found: \/etc\/nope\.conf/);
    assert.match(refusal(checkFilePath(ctx, '/etc/nginx', CONFIG)), /^not a regular file/);
  });
  test('an absolute symlink that would leave the fixture root is refused', async () => {
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/etc/hostname', `${tree.root}/etc/abs-link.conf`);
    assert.match(refusal(checkFilePath(ctx, '/etc/abs-link.conf', CONFIG)), /^refused: a symlink in the path/);
  });
  test('rotations are allowed through their base and listed newest first', () => {
    const base = checkFilePath(ctx, '/var/log/app.log', LOGS);
    assert.ok(!('error' in base));
    assert.ok(!('error' in checkFilePath(ctx, '/var/log/app.log.1', LOGS)));
    assert.deepEqual(listRotations(ctx, base), ['/var/log/app.log.1', '/var/log/app.log.2.gz']);
  });
});

describe('checkFilePath on the live root, with an allow-list of everything', () => {
  const live = createCollectorContext({ root: '/' });
  const ALL: AllowList = { name: 'configFiles', globs: ['/**'] };
  test('/proc indirections are resolved before the deny-list: no way round it through /proc/self', () => {
    assert.match(refusal(checkFilePath(live, '/proc/self/environ', ALL)), /^denied: process environment/);
    assert.match(refusal(checkFilePath(live, `/proc/${process.pid}/environ`, ALL)), /^denied: process environment/);
    assert.match(refusal(checkFilePath(live, '/proc/self/root/etc/shadow', ALL)), /^denied: password hashes/);
    assert.match(refusal(checkFilePath(live, '/proc/thread-self/root/etc/gshadow', ALL)), /^denied: password hashes/);
    assert.equal(refusal(checkFilePath(live, '/proc/self/root/etc/ssl/private/none-such.pem', ALL)), refusal(checkFilePath(live, '/etc/ssl/private/none-such.pem', ALL)), 'no existence leak through /proc/self/root');
  });
  test('/proc/self/root and /proc/self/fd are magic links: refused as symlinks, never followed', () => {
    assert.match(refusal(checkFilePath(live, '/proc/self/root/etc/hostname', ALL)), /^refused: a symlink in the path/);
    assert.match(refusal(checkFilePath(live, '/proc/self/fd/0', ALL)), /^refused: a symlink in the path|^not a regular file/);
    const r = checkFilePath(live, '/etc/hostname', ALL);
    assert.ok(!('error' in r), JSON.stringify(r));
  });
});
