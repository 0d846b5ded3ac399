/**
 * `hostlens serve --store redis://…` at start: a store that does not answer
 * within the bounded retry is exit code 2 with a message naming the store's
 * address and never its password (by flag and by HOSTLENS_STORE); a store
 * that comes up during the retry is used, and the server listens.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { delay, freePort, killAll, runHostlens, spawnHostlens } from '../e2e/helpers.js';
import { redisSkip, startRedis } from '../support/redis-server.js';
import type { RedisServer } from '../support/redis-server.js';

const PASSWORD = 'cli-Redis-pass-4b9d02';

describe('--store at start', { timeout: 240_000 }, () => {
  let redis: RedisServer | undefined;
  after(async () => {
    await killAll();
    await redis?.stop();
  });

  const expectRefused = (r: { code: number | null; stdout: string; stderr: string }, port: number): void => {
    const text = `${r.stdout}${r.stderr}`;
    assert.equal(r.code, 2, `exit ${r.code}: ${text.slice(-800)}`);
    assert.match(text, /redis|store/i, 'the message names the store');
    assert.match(text, new RegExp(`127\\.0\\.0\\.1:${port}\\b`), 'and where it was looked for');
    assert.doesNotMatch(text, /Unknown option/i, 'the setting itself is accepted');
    assert.ok(!text.includes(PASSWORD), 'never the password');
    assert.ok(!text.includes('"msg":"listening"'), 'it never listened');
  };

  test('--store redis://:password@127.0.0.1:<closed port> exits 2 with a clear message and no password', async () => {
    const port = await freePort();
    const r = await runHostlens(['serve', '--port', '0', '--store', `redis://:${PASSWORD}@127.0.0.1:${port}`], { timeoutMs: 45_000 });
    expectRefused(r, port);
  });

  test('HOSTLENS_STORE with a closed port: the same', async () => {
    const port = await freePort();
    const r = await runHostlens(['serve', '--port', '0'], { env: { HOSTLENS_STORE: `redis://:${PASSWORD}@127.0.0.1:${port}/0` }, timeoutMs: 45_000 });
    expectRefused(r, port);
  });

  test('a store URL that is neither memory nor redis:// is refused at start (exit 2)', async () => {
    const r = await runHostlens(['serve', '--port', '0', '--store', 'mysql://127.0.0.1:3306'], { timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /store/i);
    assert.match(r.stderr, /mysql|redis:\/\/|memory/i, 'the message says what was given or what is accepted');
    assert.doesNotMatch(r.stderr, /Unknown option/i, 'the setting itself is accepted');
  });

  test('Redis that comes up during the start-up retry is used', { skip: redisSkip }, async () => {
    redis = await startRedis({ password: PASSWORD });
    await redis.stop();
    const server = spawnHostlens(['serve', '--port', '0', '--store', redis.url]);
    try {
      await delay(500);
      await redis.restart();
      const { url } = await server.listening(60_000);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      assert.ok(!server.stderr().includes(PASSWORD), 'never the password');
    } finally {
      await server.kill();
    }
  });
});
