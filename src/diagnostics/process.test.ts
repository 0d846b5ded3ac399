/** get_process over garbage: every part that does not parse is null (with a warning), nothing throws. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ToolContext } from '../definitions/types.js';
import { servicesAt } from '../../test/fixtures/fixture-services.js';
import { getProcess } from '../tools/get-process.js';

test('get_process on a garbage proc tree: nulls and warnings, never a throw; the environ values stay out', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-gp-'));
  try {
    const d = join(root, 'proc/77');
    mkdirSync(join(d, 'fd'), { recursive: true });
    mkdirSync(join(root, 'proc/net'), { recursive: true });
    writeFileSync(join(d, 'stat'), '77 (we ird) S 1 77 77 0 -1 4194560 0 0 0 0 10 5 0 0 20 0 1 0 500 1000 50 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n');
    writeFileSync(join(d, 'status'), '\u0000\u0001garbage\nState:\nUid: x\nVmRSS: lots kB\n');
    writeFileSync(join(d, 'limits'), 'Limit Soft Hard Units\nMax open files  many  more  files\n');
    writeFileSync(join(d, 'io'), 'read_bytes: -1\n');
    writeFileSync(join(d, 'cgroup'), 'not a cgroup line\n0::\n');
    writeFileSync(join(d, 'cmdline'), 'app\0--password\0hunter2secret\0');
    writeFileSync(join(d, 'environ'), Buffer.concat([Buffer.from('GOOD=1\0'), Buffer.from([0xff, 0xfe, 0x3d, 0x41, 0]), Buffer.from('API_KEY=verysecretvalue\0TRAILING')]));
    writeFileSync(join(d, 'oom_score'), 'high\n');
    symlinkSync('socket:[999]', join(d, 'fd/0'));
    symlinkSync('weird', join(d, 'fd/1'));
    writeFileSync(join(root, 'proc/net/tcp'), 'header\n   0: zz\n');
    const ctx = { services: servicesAt(root), served: new Map(), signal: new AbortController().signal, progress: async () => {} } as ToolContext;
    const r = await getProcess.handler(getProcess.input.parse({ pid: 77, windowSec: 0.2 }), ctx);
    const g = r.data;
    assert.equal(g.comm, 'we ird', 'falls back to the stat comm');
    assert.equal(g.state, 'S', 'an empty State: line falls back to the stat state letter');
    assert.deepEqual([g.uid, g.user, g.fdLimit, g.fdUsedPct, g.io, g.oomScore, g.startedAt], [null, null, null, null, null, null, null]);
    assert.equal(g.rssBytes, 50 * 4096, 'stat rss pages when status has none');
    assert.deepEqual(g.limits, []);
    assert.deepEqual(g.fdsByType, { socket: 1, file: 0, pipe: 0, anon: 0, other: 1 });
    assert.deepEqual(g.listeningPorts, []);
    assert.equal(g.cgroup, '');
    assert.equal(g.unit, null);
    assert.equal(g.cmdline, 'app --password [REDACTED]');
    assert.equal(g.redactions, 1);
    assert.deepEqual(g.envNames, ['API_KEY', 'GOOD'], 'the non-UTF-8 name is skipped, the unterminated tail is not an entry');
    const text = JSON.stringify(r) + getProcess.render(r);
    for (const secret of ['hunter2secret', 'verysecretvalue']) assert.ok(!text.includes(secret), secret);
    assert.match(r.warnings!.join('\n'), /limits: 1 malformed line/);
    assert.match(r.warnings!.join('\n'), /proc\/net\/tcp: 1 malformed line/);
    assert.equal(r.assessments![0]!.status, 'unknown');
    // A process whose stat does not parse is not reported as missing: the error says which case it is.
    mkdirSync(join(root, 'proc/78'));
    writeFileSync(join(root, 'proc/78/stat'), '78 (trunc');
    await assert.rejects(getProcess.handler(getProcess.input.parse({ pid: 78, windowSec: 0.2 }), ctx), /process 78 exited during the call or its proc\/78\/stat could not be parsed/);
    await assert.rejects(getProcess.handler(getProcess.input.parse({ pid: 79, windowSec: 0.2 }), ctx), /^HostlensError: no process with pid 79$/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
