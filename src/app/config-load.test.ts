/**
 * loadConfig: sources (flags, HOSTLENS_* variables, a JSON config file named by
 * --config or HOSTLENS_CONFIG), per-key precedence flag > env > file, one
 * strict schema (unknown keys and bad values refused with an invalid_argument HostlensError that
 * names the key and where it came from), and error messages that never echo
 * the auth token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromEnv, loadConfig } from './config-load.js';
import { isHostlensError } from '../contracts/errors.js';
import { configSchema, DEFAULT_PORT } from './config-schema.js';
import { DEFAULT_HOST } from '../http/app.js';
import { TOOLSETS } from '../contracts/scopes.js';

const TOKEN = 'unit-test-token-0123456789abcdef';
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hostlens-config-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

/** Expects loadConfig to throw an invalid_argument HostlensError whose message matches every pattern; returns the message. */
function refused(input: Parameters<typeof loadConfig>[0], ...patterns: RegExp[]): string {
  let message = '';
  assert.throws(
    () => loadConfig(input),
    (e: unknown) => {
      assert.ok(isHostlensError(e, 'invalid_argument'), `expected an invalid_argument HostlensError, got ${String(e)}`);
      message = e.message;
      return true;
    },
  );
  for (const p of patterns) assert.match(message, p);
  return message;
}

describe('defaults', () => {
  test('no flags, no env, no file: every setting takes its schema default', () => {
    assert.deepEqual(loadConfig({ flags: {}, env: {} }), configSchema.parse({}));
  });

  test('variables that are not HOSTLENS_* are ignored', () => {
    const c = loadConfig({ flags: {}, env: { PORT: '1', HOST: 'example.com', HOSTLENS: 'x', hostlens_port: '2' } });
    assert.equal(c.port, DEFAULT_PORT);
    assert.equal(c.host, DEFAULT_HOST);
  });
});

describe('sources', () => {
  test('every HOSTLENS_* variable is parsed into its setting', () => {
    const tokenFile = file('token-env', `${TOKEN}\n`);
    const c = loadConfig({
      flags: {},
      env: {
        HOSTLENS_HOST: '127.0.0.2',
        HOSTLENS_PORT: '9001',
        HOSTLENS_STDIO: 'true',
        HOSTLENS_AUTH_TOKEN_FILE: tokenFile,
        HOSTLENS_ALLOWED_HOSTS: 'a.example, b.example,,',
        HOSTLENS_ALLOWED_ORIGINS: 'https://ui.example.com',
        HOSTLENS_MAX_BODY_BYTES: '65536',
        HOSTLENS_SESSION_TTL_SEC: '60',
        HOSTLENS_MAX_SESSIONS: '10',
        HOSTLENS_SHUTDOWN_GRACE_SEC: '2.5',
        HOSTLENS_TOOLSETS: 'core',
        HOSTLENS_ROOT: '/srv/root',
        HOSTLENS_SAMPLER_INTERVAL_MS: '500',
        HOSTLENS_LOG_LEVEL: 'debug',
      },
    });
    assert.equal(c.host, '127.0.0.2');
    assert.equal(c.port, 9001);
    assert.equal(c.stdio, true);
    assert.equal(c.authTokenFile, tokenFile);
    assert.equal(c.authToken, TOKEN, 'the token file is read and trimmed');
    assert.deepEqual(c.allowedHosts, ['a.example', 'b.example']);
    assert.deepEqual(c.allowedOrigins, ['https://ui.example.com']);
    assert.equal(c.maxBodyBytes, 65536);
    assert.equal(c.sessionTtlSec, 60);
    assert.equal(c.maxSessions, 10);
    assert.equal(c.shutdownGraceSec, 2.5);
    assert.deepEqual(c.toolsets, ['core']);
    assert.equal(c.root, '/srv/root');
    assert.equal(c.samplerIntervalMs, 500);
    assert.equal(c.logLevel, 'debug');
  });

  test('HOSTLENS_STDIO accepts 1/true/yes/on and 0/false/no/off, case-insensitively', () => {
    for (const v of ['1', 'true', 'YES', 'On']) assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_STDIO: v } }).stdio, true, v);
    for (const v of ['0', 'false', 'No', 'OFF']) assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_STDIO: v } }).stdio, false, v);
    refused({ flags: {}, env: { HOSTLENS_STDIO: 'maybe' } }, /"stdio"/, /HOSTLENS_STDIO/);
  });

  test('HOSTLENS_AUTH_TOKEN sets the token', () => {
    assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_AUTH_TOKEN: TOKEN } }).authToken, TOKEN);
  });

  test('a config file (configFile) sets any key, thresholds included', () => {
    const p = file('full.json', {
      host: 'localhost',
      port: 0,
      allowedHosts: ['mcp.internal'],
      logLevel: 'warn',
      thresholds: { 'cpu.busyPct': { warning: 70, critical: 90 } },
    });
    const c = loadConfig({ flags: {}, env: {}, configFile: p });
    assert.equal(c.host, 'localhost');
    assert.equal(c.port, 0);
    assert.deepEqual(c.allowedHosts, ['mcp.internal']);
    assert.equal(c.logLevel, 'warn');
    assert.deepEqual(c.thresholds, { 'cpu.busyPct': { warning: 70, critical: 90 } });
  });

  test('HOSTLENS_CONFIG names the config file; an explicit configFile beats it', () => {
    const a = file('env-config.json', { port: 1111 });
    const b = file('flag-config.json', { port: 2222 });
    assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_CONFIG: a } }).port, 1111);
    assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_CONFIG: a }, configFile: b }).port, 2222);
  });

  test('authTokenFile from the config file is read; HOSTLENS_AUTH_TOKEN beats it', () => {
    const tokenFile = file('token-file', `  ${TOKEN}  \n`);
    const p = file('with-token-file.json', { authTokenFile: tokenFile });
    assert.equal(loadConfig({ flags: {}, env: {}, configFile: p }).authToken, TOKEN);
    const envToken = 'env-token-abcdefghijklmnop';
    assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_AUTH_TOKEN: envToken }, configFile: p }).authToken, envToken);
  });
});

describe('precedence: flag > env > file, per key', () => {
  test('each key comes from the highest source that sets it', () => {
    const p = file('layers.json', { host: '127.0.0.3', port: 1001, logLevel: 'error', maxSessions: 7 });
    const c = loadConfig({
      flags: { logLevel: 'debug' },
      env: { HOSTLENS_PORT: '1002', HOSTLENS_LOG_LEVEL: 'warn' },
      configFile: p,
    });
    assert.equal(c.host, '127.0.0.3', 'file only');
    assert.equal(c.maxSessions, 7, 'file only');
    assert.equal(c.port, 1002, 'env beats file');
    assert.equal(c.logLevel, 'debug', 'flag beats env and file');
  });

  test('a flag beats env and file for the port', () => {
    const p = file('port.json', { port: 1001 });
    assert.equal(loadConfig({ flags: { port: 1003 }, env: { HOSTLENS_PORT: '1002' }, configFile: p }).port, 1003);
    assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_PORT: '1002' }, configFile: p }).port, 1002);
    assert.equal(loadConfig({ flags: {}, env: {}, configFile: p }).port, 1001);
  });

  test('lists are replaced, not merged', () => {
    const p = file('hosts.json', { allowedHosts: ['from-file'] });
    const c = loadConfig({ flags: { allowedHosts: ['from-flag'] }, env: { HOSTLENS_ALLOWED_HOSTS: 'from-env' }, configFile: p });
    assert.deepEqual(c.allowedHosts, ['from-flag']);
  });

  test('a bad value is blamed on the source it came from', () => {
    const p = file('bad-port.json', { port: 70000 });
    refused({ flags: {}, env: {}, configFile: p }, /"port"/, new RegExp(`config file ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    refused({ flags: {}, env: { HOSTLENS_PORT: '70000' }, configFile: p }, /"port"/, /environment variable HOSTLENS_PORT/);
    refused({ flags: { port: 70000 }, env: { HOSTLENS_PORT: '1' }, configFile: p }, /"port"/, /flag --port/);
    refused({ flags: { maxBodyBytes: 1 }, env: {} }, /"maxBodyBytes"/, /flag --max-body-bytes/);
  });
});

describe('strictness', () => {
  test('an unknown key in the config file is refused, naming the key and the file', () => {
    const p = file('unknown.json', { port: 1, colour: 'blue', shape: 'round' });
    const msg = refused({ flags: {}, env: {}, configFile: p }, /"colour"/, /"shape"/);
    assert.ok(msg.includes(p), msg);
  });

  test('an unknown key in the flags object is refused', () => {
    refused({ flags: { portt: 1 }, env: {} }, /"portt"/, /flag --portt/);
  });

  test('an unknown HOSTLENS_* variable is refused, listing the known ones', () => {
    const msg = refused({ flags: {}, env: { HOSTLENS_FOO: '1' } }, /HOSTLENS_FOO/, /HOSTLENS_PORT/);
    assert.doesNotMatch(msg, /HOSTLENS_CONFIG\b.*HOSTLENS_CONFIG\b/);
    assert.throws(() => fromEnv({ HOSTLENS_PROT: '1' }), (e: unknown) => isHostlensError(e, 'invalid_argument'));
  });

  test('HOSTLENS_CONFIG is not a setting but is not refused either', () => {
    const p = file('empty.json', {});
    assert.deepEqual(fromEnv({ HOSTLENS_CONFIG: p }).values, {});
    assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_CONFIG: p } }).port, DEFAULT_PORT);
  });

  test('unknown threshold names are refused', () => {
    const p = file('bad-threshold-name.json', { thresholds: { 'cpu.busyPercent': { warning: 1, critical: 2 } } });
    refused({ flags: {}, env: {}, configFile: p }, /cpu\.busyPercent/, /thresholds/);
  });

  test(
    'an unknown key inside a threshold is refused',
    () => {
      const p = file('bad-threshold-key.json', { thresholds: { 'cpu.busyPct': { warning: 70, critical: 90, warnign: 60 } } });
      refused({ flags: {}, env: {}, configFile: p }, /warnign/);
    },
  );

  test('bad values are refused, each naming its key', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ port: -1 }, /"port"/],
      [{ port: 65536 }, /"port"/],
      [{ port: 80.5 }, /"port"/],
      [{ port: '8080' }, /"port"/],
      [{ host: '' }, /"host"/],
      [{ stdio: 'yes' }, /"stdio"/],
      [{ allowedHosts: 'a.example' }, /"allowedHosts"/],
      [{ allowedOrigins: ['not a url'] }, /"allowedOrigins\.0"/],
      [{ maxBodyBytes: 1023 }, /"maxBodyBytes"/],
      [{ maxBodyBytes: 64 * 1024 * 1024 + 1 }, /"maxBodyBytes"/],
      [{ sessionTtlSec: 0 }, /"sessionTtlSec"/],
      [{ maxSessions: 0 }, /"maxSessions"/],
      [{ shutdownGraceSec: 301 }, /"shutdownGraceSec"/],
      [{ toolsets: [] }, /"toolsets"/],
      [{ toolsets: ['core', 'kitchen-sink'] }, /"toolsets\.1"/],
      [{ root: '' }, /"root"/],
      [{ samplerIntervalMs: 50 }, /"samplerIntervalMs"/],
      [{ logLevel: 'loud' }, /"logLevel"/],
      [{ thresholds: { 'cpu.busyPct': { warning: 'high', critical: 90 } } }, /"thresholds\.cpu\.busyPct\.warning"/],
    ];
    for (const [content, pattern] of cases) {
      const p = file('bad-value.json', content);
      refused({ flags: {}, env: {}, configFile: p }, pattern, /config file/);
    }
  });

  test('toolsets: "all" enables every toolset from a flag, a variable or the config file (a list or a comma string)', () => {
    const every = [...TOOLSETS];
    assert.deepEqual(loadConfig({ flags: { toolsets: ['all'] }, env: {} }).toolsets, every);
    assert.deepEqual(loadConfig({ flags: {}, env: { HOSTLENS_TOOLSETS: 'all' } }).toolsets, every);
    assert.deepEqual(loadConfig({ flags: {}, env: {}, configFile: file('all-string.json', { toolsets: 'all' }) }).toolsets, every);
    assert.deepEqual(loadConfig({ flags: {}, env: {}, configFile: file('all-list.json', { toolsets: ['core', 'all'] }) }).toolsets, every);
    assert.deepEqual(loadConfig({ flags: {}, env: {}, configFile: file('two-string.json', { toolsets: 'core, logs' }) }).toolsets, ['core', 'logs']);
    assert.deepEqual(loadConfig({ flags: {}, env: { HOSTLENS_TOOLSETS: 'logs,core,logs' } }).toolsets, ['logs', 'core'], 'duplicates dropped, order kept');
    refused({ flags: {}, env: {}, configFile: file('none-string.json', { toolsets: ' , ' }) }, /"toolsets"/);
  });

  test('bad HOSTLENS_* values are refused naming the key and the variable', () => {
    refused({ flags: {}, env: { HOSTLENS_PORT: '99999' } }, /"port"/, /HOSTLENS_PORT/);
    refused({ flags: {}, env: { HOSTLENS_PORT: 'abc' } }, /"port"/, /HOSTLENS_PORT/);
    refused({ flags: {}, env: { HOSTLENS_MAX_SESSIONS: '1.5' } }, /"maxSessions"/, /HOSTLENS_MAX_SESSIONS/);
    refused({ flags: {}, env: { HOSTLENS_LOG_LEVEL: 'verbose' } }, /"logLevel"/, /HOSTLENS_LOG_LEVEL/);
    refused({ flags: {}, env: { HOSTLENS_TOOLSETS: 'core,nope' } }, /"toolsets\.1"/, /HOSTLENS_TOOLSETS/);
    refused({ flags: {}, env: { HOSTLENS_ALLOWED_ORIGINS: 'https://ok.example,nope' } }, /"allowedOrigins\.1"/);
  });

  test('an empty numeric variable is refused rather than read as 0 (Number("") === 0)', () => {
    refused({ flags: {}, env: { HOSTLENS_PORT: '' } }, /"port"/, /HOSTLENS_PORT/);
    refused({ flags: {}, env: { HOSTLENS_SHUTDOWN_GRACE_SEC: ' ' } }, /"shutdownGraceSec"/, /HOSTLENS_SHUTDOWN_GRACE_SEC/);
    refused({ flags: {}, env: { HOSTLENS_MAX_SESSIONS: '' } }, /"maxSessions"/);
    assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_PORT: ' 8080 ' } }).port, 8080, 'surrounding blanks are fine');
  });

  test(
    'a bad value in the config file is refused even when a higher source overrides the key',
    () => {
      const p = file('overridden.json', { port: 'not-a-port' });
      refused({ flags: { port: 0 }, env: {}, configFile: p }, /"port"/, /config file/);
    },
  );

  test('the config file must be readable JSON holding an object', () => {
    refused({ flags: {}, env: {}, configFile: join(dir, 'missing.json') }, /cannot read config file/, /ENOENT/);
    const sub = join(dir, 'a-directory.json');
    mkdirSync(sub, { recursive: true });
    refused({ flags: {}, env: {}, configFile: sub }, /cannot read config file/, /EISDIR/);
    refused({ flags: {}, env: {}, configFile: file('broken.json', '{"port": 1,') }, /not valid JSON/);
    for (const body of ['[]', '"port"', '42', 'null']) refused({ flags: {}, env: {}, configFile: file('not-object.json', body) }, /must hold a JSON object/);
  });
});

describe('the auth token never appears in an error message', () => {
  const secret = 'do-not-echo-this-secret-value!';

  test('a short HOSTLENS_AUTH_TOKEN', () => {
    const msg = refused({ flags: {}, env: { HOSTLENS_AUTH_TOKEN: 'short-secret' } }, /"authToken"/, /HOSTLENS_AUTH_TOKEN/);
    assert.ok(!msg.includes('short-secret'), msg);
  });

  test('a token of the wrong type from flags', () => {
    const msg = refused({ flags: { authToken: 12345678901234567890 }, env: {} }, /"authToken"/);
    assert.ok(!msg.includes('1234567890'), msg);
  });

  test('a token stored in the config file is refused by name only', () => {
    const p = file('token-in-file.json', { authToken: secret });
    const msg = refused({ flags: {}, env: {}, configFile: p }, /authToken/, /authTokenFile|HOSTLENS_AUTH_TOKEN/);
    assert.ok(!msg.includes(secret), msg);
  });

  test('a too-short or unreadable token file', () => {
    const short = file('short-token', 'tiny-secret\n');
    const msg = refused({ flags: { authTokenFile: short }, env: {} }, /at least 16/);
    assert.ok(!msg.includes('tiny-secret'), msg);
    refused({ flags: { authTokenFile: join(dir, 'no-token-here') }, env: {} }, /cannot read authTokenFile/, /ENOENT/);
  });

  test('other errors while a valid token is set do not echo it', () => {
    const env = { HOSTLENS_AUTH_TOKEN: secret, HOSTLENS_PORT: 'abc', HOSTLENS_LOG_LEVEL: 'loud' };
    const msg = refused({ flags: { maxSessions: -1 }, env }, /"port"/, /"logLevel"/, /"maxSessions"/);
    assert.ok(!msg.includes(secret), msg);
  });

  test('a token put in a wrong variable is named, not echoed', () => {
    const msg = refused({ flags: {}, env: { HOSTLENS_TOKEN: secret } }, /HOSTLENS_TOKEN/);
    assert.ok(!msg.includes(secret), msg);
  });

  test('a token pasted into a broken config file is not echoed', () => {
    const p = file('broken-with-secret.json', `{"authTokenFile": "${secret}`);
    const msg = refused({ flags: {}, env: {}, configFile: p }, /not valid JSON/);
    assert.ok(!msg.includes(secret), msg);
  });
});

describe('number and path forms', () => {
  test('numeric variables take plain decimals only', () => {
    assert.equal(loadConfig({ flags: {}, env: { HOSTLENS_PORT: '8080' } }).port, 8080);
    for (const v of ['0x1F90', '1e3', '80 80', '8080abc']) refused({ flags: {}, env: { HOSTLENS_PORT: v } }, /"port"/, /HOSTLENS_PORT/);
  });

  test('a relative authTokenFile in a config file is relative to that file', () => {
    const sub = join(dir, 'nested');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'token.txt'), 'relative-token-0123456789\n');
    const p = join(sub, 'relative.json');
    writeFileSync(p, JSON.stringify({ authTokenFile: 'token.txt' }));
    assert.equal(loadConfig({ flags: {}, env: {}, configFile: p }).authToken, 'relative-token-0123456789');
  });
});
