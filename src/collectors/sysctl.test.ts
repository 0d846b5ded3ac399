import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { readSysctl, SYSCTL_PREFIX_RE, sysctlValue } from './sysctl.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const busy = () => createCollectorContext({ root: FIX + 'busy' });

test('sysctlValue: one integer is a number, anything else collapsed text', () => {
  assert.equal(sysctlValue('60\n'), 60);
  assert.equal(sysctlValue('-1\n'), -1);
  assert.equal(sysctlValue('32768\t60999\n'), '32768 60999');
  assert.equal(sysctlValue('cubic\n'), 'cubic');
  assert.equal(sysctlValue('99999999999999999999\n'), '99999999999999999999', 'beyond 2^53 stays exact as text');
  assert.equal(sysctlValue(''), '');
  assert.equal(sysctlValue('x'.repeat(600)).toString().length, 513);
});

test('readSysctl: a subtree prefix on the busy fixture, sorted, numbers parsed', () => {
  const r = readSysctl(busy(), 'vm.');
  assert.deepEqual(r.values, [
    { key: 'vm.dirty_background_ratio', value: 10 },
    { key: 'vm.dirty_ratio', value: 20 },
    { key: 'vm.overcommit_memory', value: 0 },
    { key: 'vm.swappiness', value: 60 },
  ]);
  assert.equal(r.total, 4);
  assert.deepEqual(r.warnings, []);
});

test('readSysctl: partial last segment, exact key, nested directories', () => {
  assert.deepEqual(readSysctl(busy(), 'vm.dirty_').values.map((v) => v.key), ['vm.dirty_background_ratio', 'vm.dirty_ratio']);
  assert.deepEqual(readSysctl(busy(), 'kernel.pid_max').values, [{ key: 'kernel.pid_max', value: 4194304 }]);
  const net = readSysctl(busy(), 'net.');
  const netKeys = net.values.map((v) => v.key);
  for (const k of ['net.core.netdev_max_backlog', 'net.core.somaxconn', 'net.ipv4.ip_local_port_range']) assert.ok(netKeys.includes(k), k);
  assert.deepEqual(netKeys, [...netKeys].sort(), 'sorted across directories');
  assert.equal(net.values.find((v) => v.key === 'net.ipv4.ip_local_port_range')?.value, '32768 60999');
  assert.deepEqual(readSysctl(busy(), 'n').values.map((v) => v.key), netKeys, 'a top-level partial name');
});

test('readSysctl: the key limit cuts but counts the total', () => {
  const r = readSysctl(busy(), 'vm.', 2);
  assert.equal(r.values.length, 2);
  assert.equal(r.total, 4);
});

test('readSysctl: unknown prefixes warn, never throw', () => {
  const r = readSysctl(busy(), 'nosuch.');
  assert.deepEqual(r.values, []);
  assert.match(r.warnings.join(), /no sysctl directory/);
  assert.match(readSysctl(busy(), 'vm.nosuch').warnings.join(), /no sysctl key matches/);
  assert.match(readSysctl(createCollectorContext({ root: '/nonexistent-root' }), 'vm.').warnings.join(), /no sysctl/);
});

test('readSysctl: path tricks are refused before any read', () => {
  for (const bad of ['..', '../etc', 'vm/../../etc', '/etc/passwd', 'vm..swappiness', '.vm', 'vm.*', 'vm swappiness', '', 'net\\core']) {
    assert.equal(SYSCTL_PREFIX_RE.test(bad), false, bad);
    const r = readSysctl(busy(), bad);
    assert.deepEqual(r.values, [], bad);
    assert.match(r.warnings.join(), /invalid prefix/, bad);
  }
});

test('readSysctl: symlinks inside proc/sys are not followed; unreadable entries are counted', () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-sysctl-'));
  try {
    mkdirSync(join(root, 'proc/sys/vm'), { recursive: true });
    mkdirSync(join(root, 'secret'));
    writeFileSync(join(root, 'secret/key'), 'hunter2');
    writeFileSync(join(root, 'proc/sys/vm/swappiness'), '1\n');
    symlinkSync(join(root, 'secret'), join(root, 'proc/sys/vm/link'));
    symlinkSync(join(root, 'secret/key'), join(root, 'proc/sys/vm/leak'));
    mkdirSync(join(root, 'proc/sys/vm/drop_caches')); // a directory named like a key reads as a subtree (empty)
    const r = readSysctl(createCollectorContext({ root }), 'vm.');
    assert.deepEqual(r.values, [{ key: 'vm.swappiness', value: 1 }]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('readSysctl: live /proc/sys (sanity)', () => {
  const r = readSysctl(createCollectorContext(), 'kernel.');
  assert.ok(r.values.length > 0 && r.values.length <= 200);
  const pidMax = readSysctl(createCollectorContext(), 'kernel.pid_max').values[0];
  assert.equal(typeof pidMax?.value, 'number');
  const all = readSysctl(createCollectorContext(), 'net.', 200);
  assert.ok(all.values.length <= 200);
});
