import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { McpServer } from '@modelcontextprotocol/server';
import { loadConfig } from '../../app/config-load.js';
import { createHttpApp } from '../app.js';
import { isHostlensError } from '../../contracts/errors.js';
import { createAuthenticator } from './authenticate.js';
import { sha256Hex } from './static-tokens.js';

const TOKEN = { name: 'ops', sha256: 'b'.repeat(64), scopes: ['hostlens:read'] };

describe('auth config', () => {
  test('the auth block from a file and from HOSTLENS_AUTH; off by default', () => {
    assert.deepEqual(loadConfig({ flags: {}, env: {} }).auth, { tokens: [] });
    const dir = mkdtempSync(join(tmpdir(), 'hostlens-auth-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ auth: { tokens: [TOKEN], oauth: { issuer: 'http://127.0.0.1:9000', requiredScopes: ['hostlens:read'] } } }));
    const fromFile = loadConfig({ flags: {}, env: {}, configFile: file });
    assert.equal(fromFile.auth.tokens[0]?.name, 'ops');
    assert.equal(fromFile.auth.oauth?.issuer, 'http://127.0.0.1:9000');
    const fromEnv = loadConfig({ flags: {}, env: { HOSTLENS_AUTH: JSON.stringify({ tokens: [TOKEN] }) } });
    assert.equal(fromEnv.auth.tokens.length, 1);
    assert.throws(() => loadConfig({ flags: {}, env: { HOSTLENS_AUTH: '{not json' } }), (e: unknown) => isHostlensError(e, 'invalid_argument'));
    assert.throws(() => loadConfig({ flags: {}, env: { HOSTLENS_AUTH: JSON.stringify({ tokens: [{ ...TOKEN, sha256: 'short' }] }) } }), /sha256/);
  });

  test('a config token named "default" next to authToken is refused (the legacy token is "default")', () => {
    assert.throws(
      () => loadConfig({ flags: {}, env: { HOSTLENS_AUTH_TOKEN: 'x'.repeat(20), HOSTLENS_AUTH: JSON.stringify({ tokens: [{ ...TOKEN, name: 'default' }] }) } }),
      /"default"/,
    );
  });

  test('a non-loopback bind is allowed with scoped tokens or OAuth, refused with neither', () => {
    const factory = () => new McpServer({ name: 't', version: '1' });
    assert.throws(() => createHttpApp({ factory, host: '0.0.0.0' }), (e: unknown) => isHostlensError(e, 'invalid_argument'));
    void createHttpApp({ factory, host: '0.0.0.0', authenticator: createAuthenticator({ tokens: [{ ...TOKEN, scopes: ['hostlens:read'] }] }) }).close();
    void createHttpApp({ factory, host: '0.0.0.0', authenticator: createAuthenticator({ oauth: { issuer: 'http://127.0.0.1:1', algorithms: ['RS256'], clockSkewSec: 0 } }) }).close();
  });
});

describe('hostlens hash-token', () => {
  const cli = fileURLToPath(new URL('../../app/cli.ts', import.meta.url));
  const run = (input: string) => spawnSync(process.execPath, ['--import', 'tsx', cli, 'hash-token'], { input, encoding: 'utf8', timeout: 30_000 });

  test('prints the sha256 of the token on stdin (one trailing newline dropped), never the token', () => {
    const token = 'hash-me-please-0123456789';
    const r = run(`${token}\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${sha256Hex(token)}\n`);
    assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token));
  });

  test('a short or blank token → exit 2', () => {
    const r = run('short\n');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
  });
});
