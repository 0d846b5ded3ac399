/**
 * diag://admin/audit on its own: the query filter (any order, bounds, hostile
 * input refused by name), the answer when the audit log is off, and the cut
 * to maxResultBytes saying why.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Services } from '../definitions/host-services.js';
import { HostlensError } from '../contracts/errors.js';
import { createAuditLog } from '../http/audit.js';
import { auditEntryOf } from '../http/audit-entry.js';
import { auditResource, auditTemplate, parseAuditQuery } from './audit.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function servicesWith(audit: Services['audit'], maxResultBytes = 24 * 1024): Services {
  return { limits: { maxResultBytes }, ...(audit ? { audit } : {}) } as unknown as Services;
}

describe('diag://admin/audit', () => {
  test('query: keys in any order, all optional; since relative or RFC 3339; limit 1–500', () => {
    const now = Date.UTC(2026, 5, 1, 12);
    assert.deepEqual(parseAuditQuery('', now), { filter: {}, limit: 50, shown: {} });
    const q = parseAuditQuery('?limit=20&since=-2h&tool=get_cpu&principal=oauth%3Ahttp%3A%2F%2Fidp%23svc&outcome=tool_error', now);
    assert.deepEqual(q.filter, { principal: 'oauth:http://idp#svc', tool: 'get_cpu', outcome: 'tool_error', sinceMs: now - 2 * 3600_000 });
    assert.equal(q.limit, 20);
    assert.equal(parseAuditQuery('?since=2026-06-01T10:00:00Z', now).filter.sinceMs, Date.UTC(2026, 5, 1, 10));
  });

  test('hostile or wrong queries are resource-not-found naming the problem', () => {
    const cases: Array<[string, RegExp]> = [
      ['/../x', /filters go after "\?"/],
      ['%2F..%2Fetc', /filters go after "\?"/],
      ['?limit=0', /limit must be an integer 1–500/],
      ['?limit=501', /limit must be an integer 1–500/],
      ['?limit=1e3', /limit must be an integer/],
      ['?since=yesterday', /since "yesterday" is not a time/],
      ['?__proto__=x', /unknown audit filter "__proto__"/],
      ['?tool\u0000=x', /unknown audit filter/],
    ];
    for (const [query, message] of cases) {
      assert.throws(() => parseAuditQuery(query), (e: unknown) => e instanceof HostlensError && message.test(e.message), query);
    }
    const nul = parseAuditQuery('?tool=get_cpu%00x');
    assert.equal(nul.filter.tool, 'get_cpu\u0000x', 'a NUL in a value only fails to match');
  });

  test('audit log off: enabled false with how to turn it on, no entries', async () => {
    const body = JSON.parse(await auditResource.read(servicesWith(undefined))) as { enabled: boolean; note: string; entries: unknown[] };
    assert.equal(body.enabled, false);
    assert.deepEqual(body.entries, []);
    assert.match(body.note, /auditLog\.path/);
  });

  test('cut to maxResultBytes, newest first, truncated says budget; the template filters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostlens-audit-res-'));
    dirs.push(dir);
    const audit = createAuditLog({ path: join(dir, 'audit.jsonl'), maxBytes: 64 * 1024, keep: 3 });
    for (let i = 0; i < 300; i++) {
      audit.write(
        auditEntryOf({
          startedAtMs: Date.now() - (300 - i) * 1000,
          principal: i % 2 ? 'static:a' : 'static:b',
          era: 'modern',
          httpMethod: 'POST',
          method: 'tools/call',
          tool: 'get_cpu',
          args: { i },
          durationMs: 1,
          httpStatus: 200,
          rpcErrorCode: null,
          toolError: i % 10 === 0,
          bytes: 100,
          sessionRef: null,
          requestId: i,
        }),
      );
    }
    const services = servicesWith(audit, 8192);
    const text = await auditResource.read(services);
    assert.ok(Buffer.byteLength(text) <= 8192, `${Buffer.byteLength(text)} bytes`);
    const body = JSON.parse(text) as { entries: Array<{ requestId: number }>; truncated: { cutBy: string }; returned: number };
    assert.equal(body.truncated.cutBy, 'budget');
    assert.equal(body.entries[0]!.requestId, 299);
    assert.ok(body.returned > 5 && body.returned < 50);

    const filtered = JSON.parse(await auditTemplate.read(new URL('diag://admin/audit?outcome=tool_error&limit=3'), { query: '?outcome=tool_error&limit=3' }, services)) as {
      entries: Array<{ requestId: number; outcome: string }>;
      truncated: { cutBy: string };
    };
    assert.deepEqual(filtered.entries.map((e) => e.requestId), [290, 280, 270]);
    assert.equal(filtered.truncated.cutBy, 'limit');
    await audit.close();
  });
});
