/**
 * The audit writer on its own: rotation by size keeps `keep` files and never
 * loses or splits a line, permissions, write errors (logged once, never
 * thrown, counted), tail() newest first across rotated files with limit,
 * budget and filters, and argument redaction.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLogger } from '../util/log.js';
import { createAuditLog, DEFAULT_AUDIT_KEEP, DEFAULT_AUDIT_MAX_BYTES, defaultAuditPath, rotatedPath } from './audit.js';
import type { AuditEntry } from '../contracts/audit.js';
import { auditEntryOf, MAX_ARGS_JSON, outcomeOf, redactArgs } from './audit-entry.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hostlens-audit-unit-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function entry(seq: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return auditEntryOf({
    startedAtMs: Date.UTC(2026, 0, 1) + seq * 1000,
    principal: seq % 2 === 0 ? 'static:even' : 'static:odd',
    era: 'modern',
    httpMethod: 'POST',
    method: 'tools/call',
    tool: seq % 3 === 0 ? 'get_cpu' : 'get_memory',
    args: { seq, pad: 'p'.repeat(100) },
    durationMs: 1.25,
    httpStatus: 200,
    rpcErrorCode: null,
    toolError: false,
    bytes: 10,
    sessionRef: null,
    requestId: seq,
    ...extra,
  } as Parameters<typeof auditEntryOf>[0]);
}

function readAll(path: string, keep: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let n = keep; n >= 0; n--) {
    const p = rotatedPath(path, n);
    if (!existsSync(p)) continue;
    for (const line of readFileSync(p, 'utf8').split('\n')) if (line !== '') out.push(JSON.parse(line) as AuditEntry);
  }
  return out;
}

describe('audit writer', () => {
  test('rotation at a tiny maxBytes keeps exactly `keep` rotated files, each ≤ maxBytes, and the lines left are an unbroken run ending at the last', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const log = createAuditLog({ path, maxBytes: 4096, keep: 3 });
    const order: number[] = [];
    // Bursts from "concurrent" callers: writes interleave with the writer's drains.
    await Promise.all(
      Array.from({ length: 10 }, async (_, burst) => {
        for (let i = 0; i < 100; i++) {
          order.push(burst * 100 + i);
          log.write(entry(burst * 100 + i));
          if (i % 7 === 0) await new Promise((r) => setImmediate(r));
        }
      }),
    );
    await log.close();
    assert.ok(existsSync(rotatedPath(path, 3)));
    assert.ok(!existsSync(rotatedPath(path, 4)), 'no file beyond keep');
    for (let n = 0; n <= 3; n++) assert.ok(statSync(rotatedPath(path, n)).size <= 4096, `file ${n} ≤ maxBytes`);
    const lines = readAll(path, 3);
    const written = log.stats().written;
    assert.equal(written, 1000);
    assert.ok(log.stats().rotations > 3);
    // Writes were queued in call order, so the surviving lines are the newest, in order, with no gap.
    const seqs = lines.map((l) => (l.args as { seq: number }).seq);
    assert.ok(seqs.length > 40, `${seqs.length} lines kept`);
    assert.deepEqual(seqs, order.slice(order.length - seqs.length));
  });

  test('no line is lost across many rotations: with room for all, every line is there exactly once', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const log = createAuditLog({ path, maxBytes: 4096, keep: 100 });
    for (let i = 0; i < 600; i++) log.write(entry(i));
    await log.flush();
    for (let i = 600; i < 800; i++) log.write(entry(i));
    await log.close();
    const lines = readAll(path, 100);
    assert.equal(lines.length, 800);
    assert.deepEqual(
      lines.map((l) => l.requestId),
      Array.from({ length: 800 }, (_, i) => i),
    );
    assert.equal(log.stats().dropped, 0);
  });

  test('files are 0600 (an existing wider file is narrowed), a created directory 0700', async () => {
    const base = tempDir();
    const path = join(base, 'a', 'b', 'audit.jsonl');
    const log = createAuditLog({ path, maxBytes: 4096, keep: 1 });
    log.write(entry(1));
    await log.flush();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(base, 'a')).mode & 0o777, 0o700);
    assert.equal(statSync(join(base, 'a', 'b')).mode & 0o777, 0o700);
    await log.close();

    const wide = join(base, 'wide.jsonl');
    writeFileSync(wide, '');
    chmodSync(wide, 0o644);
    const log2 = createAuditLog({ path: wide, maxBytes: 4096, keep: 1 });
    log2.write(entry(2));
    await log2.close();
    assert.equal(statSync(wide).mode & 0o777, 0o600);
  });

  test('a write error is logged once, never thrown, counted as dropped; writing resumes (and says so) when the path works again', async () => {
    const base = tempDir();
    const blocker = join(base, 'blocker');
    writeFileSync(blocker, 'not a directory');
    const logged: Array<{ level: string; msg: string }> = [];
    const logger = createLogger({ level: 'debug', write: (l) => void logged.push(JSON.parse(l) as { level: string; msg: string }) });
    const path = join(blocker, 'audit.jsonl');
    const log = createAuditLog({ path, maxBytes: 4096, keep: 1, logger });
    for (let i = 0; i < 5; i++) {
      assert.doesNotThrow(() => log.write(entry(i)));
      await log.flush();
    }
    assert.equal(log.stats().dropped, 5);
    assert.ok(log.stats().writeErrors >= 1);
    assert.equal(logged.filter((l) => l.level === 'warn').length, 1, 'logged once');
    rmSync(blocker);
    mkdirSync(blocker);
    log.write(entry(9));
    await log.close();
    assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 1);
    assert.ok(logged.some((l) => l.msg === 'audit log writing again'));
  });

  test('writes after close are dropped, not thrown', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const log = createAuditLog({ path, maxBytes: 4096, keep: 1 });
    await log.close();
    log.write(entry(1));
    assert.equal(log.stats().dropped, 1);
  });

  test('tail: newest first across rotated files and the queue, with filters, limit and byte budget', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const log = createAuditLog({ path, maxBytes: 4096, keep: 50 });
    for (let i = 0; i < 200; i++) log.write(entry(i));
    await log.flush();
    assert.ok(existsSync(rotatedPath(path, 3)), 'spread over rotated files');
    log.write(entry(200)); // possibly still queued: tail sees it
    const all = await log.tail({}, 500, 10 * 1024 * 1024);
    assert.equal(all.entries.length, 201);
    assert.deepEqual(
      all.entries.map((e) => e.requestId),
      Array.from({ length: 201 }, (_, i) => 200 - i),
    );
    assert.equal(all.cutBy, null);
    assert.ok(all.filesRead > 3);

    const limited = await log.tail({}, 10, 10 * 1024 * 1024);
    assert.deepEqual(limited.entries.map((e) => e.requestId), [200, 199, 198, 197, 196, 195, 194, 193, 192, 191]);
    assert.equal(limited.cutBy, 'limit');

    const budget = await log.tail({}, 500, 2000);
    assert.equal(budget.cutBy, 'budget');
    const used = budget.entries.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)) + 1, 0);
    assert.ok(used <= 2000 && budget.entries.length > 0);

    const filtered = await log.tail({ principal: 'static:even', tool: 'get_cpu', sinceMs: Date.UTC(2026, 0, 1) + 100_000 }, 500, 10 * 1024 * 1024);
    const want = Array.from({ length: 201 }, (_, i) => 200 - i).filter((s) => s % 2 === 0 && s % 3 === 0 && s >= 100);
    assert.deepEqual(filtered.entries.map((e) => e.requestId), want);
    await log.close();
  });

  test('defaultAuditPath: $XDG_STATE_HOME/hostlens/audit.jsonl, else ~/.local/state', () => {
    assert.equal(defaultAuditPath({ XDG_STATE_HOME: '/x/state' }), '/x/state/hostlens/audit.jsonl');
    assert.equal(defaultAuditPath({ HOME: '/home/u' }), '/home/u/.local/state/hostlens/audit.jsonl');
    assert.equal(defaultAuditPath({ HOME: '/home/u', XDG_STATE_HOME: 'relative' }), '/home/u/.local/state/hostlens/audit.jsonl');
  });
});

describe('audit entries', () => {
  test('outcome: non-2xx status first, then a JSON-RPC error, then a tool error', () => {
    assert.equal(outcomeOf({ httpStatus: 429, rpcErrorCode: null, toolError: false }), 'http_429');
    assert.equal(outcomeOf({ httpStatus: 200, rpcErrorCode: -32602, toolError: false }), 'rpc_error');
    assert.equal(outcomeOf({ httpStatus: 200, rpcErrorCode: null, toolError: true }), 'tool_error');
    assert.equal(outcomeOf({ httpStatus: 202, rpcErrorCode: null, toolError: false }), 'ok');
  });

  test('arguments: secrets redacted by value and by key, long strings clipped, deep and wide structures cut, __proto__ stays data', () => {
    const secret = 'Zq8vN3kLm2Xp7RtY9wB4cD6fG1hJ5sA0';
    const args = JSON.parse(
      JSON.stringify({
        grep: 'password=hunter2-planted',
        token: 'hunter3-planted-value',
        header: `Authorization: Bearer ${secret}`,
        url: 'https://user:hunter4-planted@example.com/x',
        deep: { a: { b: { c: { d: { e: { f: { g: 'deep' } } } } } } },
        wide: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])),
        long: `${'y'.repeat(300)}`,
      }).replace('"grep"', '"__proto__":{"polluted":1},"grep"'),
    ) as Record<string, unknown>;
    const shown = redactArgs(args) as Record<string, unknown>;
    const text = JSON.stringify(shown);
    for (const s of ['hunter2', 'hunter3', 'hunter4', secret]) assert.ok(!text.includes(s), `${s} must be redacted: ${text}`);
    assert.match(text, /password=\[REDACTED\]/);
    assert.equal(shown.token, '[REDACTED]');
    assert.match(String(shown.long), /^y{256}…\[\+44 chars\]$/);
    assert.match(text, /\[object\]/, 'depth cut');
    assert.equal(Object.keys(shown.wide as object).length, 33, '32 keys and a marker');
    assert.deepEqual(shown['[__proto__]'], { polluted: 1 }, 'a __proto__ key is shown, renamed');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok(text.length <= MAX_ARGS_JSON);
  });

  test('arguments over 2 KiB of JSON become their clipped JSON text; a line stays under 4 KiB', () => {
    const args = { list: Array.from({ length: 32 }, (_, i) => `${i}-${'z'.repeat(250)}`) };
    const shown = redactArgs(args) as { clippedJson?: string };
    assert.equal(typeof shown.clippedJson, 'string');
    assert.match(shown.clippedJson!, /…\[\+\d+ chars\]$/);
    const line = JSON.stringify(entry(1, {}));
    const big = JSON.stringify(auditEntryOf({ ...JSON.parse(line), startedAtMs: 0, rpcErrorCode: null, toolError: false, args, resource: 'diag://x/'.padEnd(5000, 'r') }));
    assert.ok(Buffer.byteLength(big) < 4096, `${Buffer.byteLength(big)} bytes`);
  });
});

describe('audit and metrics config', () => {
  test('defaults, HOSTLENS_AUDIT_LOG (path or off), HOSTLENS_METRICS, a config file block, and refusals naming the key', async () => {
    const { loadConfig } = await import('../app/config-load.js');
    const d = loadConfig({ flags: {}, env: {} });
    assert.deepEqual(d.auditLog, { maxBytes: DEFAULT_AUDIT_MAX_BYTES, keep: DEFAULT_AUDIT_KEEP });
    assert.equal(d.metrics, true);
    assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_AUDIT_LOG: 'off' } }).auditLog.path, null);
    assert.deepEqual(loadConfig({ flags: {}, env: { HOSTLENS_AUDIT_LOG: '/var/lib/hostlens/audit.jsonl' } }).auditLog, {
      path: '/var/lib/hostlens/audit.jsonl',
      maxBytes: DEFAULT_AUDIT_MAX_BYTES,
      keep: DEFAULT_AUDIT_KEEP,
    });
    assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_METRICS: 'false' } }).metrics, false);
    assert.throws(() => loadConfig({ flags: {}, env: { HOSTLENS_AUDIT_LOG: 'relative.jsonl' } }), /auditLog/);
    const file = join(tempDir(), 'config.json');
    writeFileSync(file, JSON.stringify({ auditLog: { path: null, maxBytes: 65536, keep: 2 }, metrics: false }));
    const c = loadConfig({ flags: {}, env: {}, configFile: file });
    assert.deepEqual(c.auditLog, { path: null, maxBytes: 65536, keep: 2 });
    assert.equal(c.metrics, false);
    writeFileSync(file, JSON.stringify({ auditLog: { maxBytes: 100, rotate: true } }));
    assert.throws(() => loadConfig({ flags: {}, env: {}, configFile: file }), /auditLog/);
  });
});
