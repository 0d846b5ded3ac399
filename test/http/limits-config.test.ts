/**
 * The limit settings through the config loader: defaults, HOSTLENS_* variables
 * (HOSTLENS_RATE_LIMIT=rps[,burst]), config-file values, and refusals naming
 * the key.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/app/config-load.js';
import { isHostlensError } from '../../src/contracts/errors.js';

describe('limit settings', () => {
  test('defaults: 20 requests/s burst 40, 16 streams, 4 concurrent calls per tool, 30 s deadline, head 10 s, body 30 s', () => {
    const c = loadConfig({ flags: {}, env: {} });
    assert.deepEqual(c.rateLimit, { requestsPerSec: 20, burst: 40 });
    assert.equal(c.maxStreamsPerPrincipal, 16);
    assert.equal(c.toolConcurrency, 4);
    assert.equal(c.toolTimeoutSec, 30);
    assert.equal(c.headerTimeoutSec, 10);
    assert.equal(c.bodyTimeoutSec, 30);
  });

  test('environment variables', () => {
    const c = loadConfig({
      flags: {},
      env: {
        HOSTLENS_RATE_LIMIT: '100, 250',
        HOSTLENS_MAX_STREAMS_PER_PRINCIPAL: '64',
        HOSTLENS_TOOL_CONCURRENCY: '8',
        HOSTLENS_TOOL_TIMEOUT_SEC: '12.5',
        HOSTLENS_HEADER_TIMEOUT_SEC: '5',
        HOSTLENS_BODY_TIMEOUT_SEC: '60',
      },
    });
    assert.deepEqual(c.rateLimit, { requestsPerSec: 100, burst: 250 });
    assert.equal(c.maxStreamsPerPrincipal, 64);
    assert.equal(c.toolConcurrency, 8);
    assert.equal(c.toolTimeoutSec, 12.5);
    assert.equal(c.headerTimeoutSec, 5);
    assert.equal(c.bodyTimeoutSec, 60);
    assert.deepEqual(loadConfig({ flags: {}, env: { HOSTLENS_RATE_LIMIT: '0' } }).rateLimit, { requestsPerSec: 0, burst: 40 }, 'rps alone keeps the default burst; 0 = off');
  });

  test('config file, and bad values refused naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostlens-limits-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ rateLimit: { requestsPerSec: 5 }, toolConcurrency: 2 }));
      const c = loadConfig({ flags: {}, env: {}, configFile: file });
      assert.deepEqual(c.rateLimit, { requestsPerSec: 5, burst: 40 });
      assert.equal(c.toolConcurrency, 2);
      writeFileSync(file, JSON.stringify({ rateLimit: { requestsPerSec: 5, bucket: 3 } }));
      assert.throws(() => loadConfig({ flags: {}, env: {}, configFile: file }), (e: unknown) => isHostlensError(e, 'invalid_argument') && /"bucket"/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const refused: Array<[Record<string, string>, RegExp]> = [
      [{ HOSTLENS_RATE_LIMIT: '1,2,3' }, /rateLimit/],
      [{ HOSTLENS_RATE_LIMIT: 'fast' }, /rateLimit/],
      [{ HOSTLENS_TOOL_CONCURRENCY: '0' }, /toolConcurrency/],
      [{ HOSTLENS_TOOL_CONCURRENCY: '2.5' }, /toolConcurrency/],
      [{ HOSTLENS_TOOL_TIMEOUT_SEC: '0' }, /toolTimeoutSec/],
      [{ HOSTLENS_HEADER_TIMEOUT_SEC: '0.1' }, /headerTimeoutSec/],
      [{ HOSTLENS_BODY_TIMEOUT_SEC: '-1' }, /bodyTimeoutSec/],
      [{ HOSTLENS_MAX_STREAMS_PER_PRINCIPAL: '0' }, /maxStreamsPerPrincipal/],
    ];
    for (const [env, key] of refused) {
      assert.throws(() => loadConfig({ flags: {}, env }), (e: unknown) => isHostlensError(e, 'invalid_argument') && key.test(e.message), JSON.stringify(env));
    }
  });
});
