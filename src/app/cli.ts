#!/usr/bin/env -S node --max-semi-space-size=1 --heap-growing-percent=20
/**
 * hostlens command line: `hostlens serve [--host ADDR] [--port N] [--stdio]
 * [--config FILE] …`, `hostlens --help`, `hostlens --version`.
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config-load.js';
import { configSchema } from './config-schema.js';
import { ConfigurationError } from '../http/app.js';
import { sha256Hex } from '../http/auth/static-tokens.js';
import { runServe } from './serve.js';
import { VERSION } from '../contracts/version.js';

const DEFAULTS = configSchema.parse({});

const HELP = `hostlens ${VERSION}: an MCP server for diagnosing this Linux host, read-only.

Usage:
  hostlens serve [options]     serve MCP over Streamable HTTP (default) or stdio
  hostlens hash-token          read a token on stdin, print its sha256 (for auth.tokens[].sha256)
  hostlens --help              show this help
  hostlens --version           print the version

Options for serve (flags beat HOSTLENS_* variables, which beat the config file):
  --host ADDR               bind address (default ${DEFAULTS.host}; non-loopback needs auth)
  --port N                  TCP port (default ${DEFAULTS.port}; 0 = any free port)
  --stdio                   speak MCP over stdin/stdout instead of HTTP
  --config FILE             JSON config file (or HOSTLENS_CONFIG)
  --auth-token-file FILE    file holding a static bearer token with every scope (or HOSTLENS_AUTH_TOKEN);
                            scoped tokens (sha256 only) and OAuth go in the config file's "auth" block
  --allowed-host NAME       extra Host name to accept (repeatable)
  --allowed-origin ORIGIN   extra exact Origin to accept (repeatable)
  --allowed-local-user USER with auth off, a local user (name or uid) served besides root and
                            the user hostlens runs as (repeatable)
  --toolsets LIST           comma-separated toolsets to enable (default ${DEFAULTS.toolsets.join(',')})
  --root DIR                root the collectors read /proc, /sys and /etc under (default ${DEFAULTS.root})
  --session-ttl-sec N       idle legacy session lifetime (default ${DEFAULTS.sessionTtlSec})
  --max-sessions N          legacy session cap (default ${DEFAULTS.maxSessions})
  --max-body-bytes N        largest accepted request body (default ${DEFAULTS.maxBodyBytes})
  --max-result-bytes N      largest structured tool result (default ${DEFAULTS.maxResultBytes})
  --scan-root DIR           directory find_space_hogs may walk (repeatable)
  --log-level LEVEL         debug | info | warn | error (default ${DEFAULTS.logLevel})

The MCP endpoint is http://HOST:PORT/mcp; /healthz and /readyz answer JSON.
Logs are JSON lines on stderr. See README.md for every setting.
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  host: { type: 'string' },
  port: { type: 'string' },
  stdio: { type: 'boolean' },
  config: { type: 'string' },
  'auth-token-file': { type: 'string' },
  'allowed-host': { type: 'string', multiple: true },
  'allowed-origin': { type: 'string', multiple: true },
  'allowed-local-user': { type: 'string', multiple: true },
  toolsets: { type: 'string' },
  root: { type: 'string' },
  'session-ttl-sec': { type: 'string' },
  'max-sessions': { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'max-result-bytes': { type: 'string' },
  'scan-root': { type: 'string', multiple: true },
  'log-level': { type: 'string' },
} as const;

function usageError(message: string): never {
  process.stderr.write(`hostlens: ${message}\nRun 'hostlens --help' for usage.\n`);
  process.exit(2);
}

function num(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) usageError(`--${name} must be a number, got "${value}"`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length === 0) {
    // Usage as an error: to stderr, exit 2.
    process.stderr.write(HELP);
    process.exitCode = 2;
    return;
  }
  const [command, ...rest] = positionals;
  if (command !== 'serve' && command !== 'hash-token') usageError(`unknown command "${command}"`);
  if (rest.length > 0) usageError(`unexpected argument "${rest[0]}"`);
  if (command === 'hash-token') {
    await hashToken();
    return;
  }

  const flags: Record<string, unknown> = {};
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) flags[key] = value;
  };
  set('host', values.host);
  set('port', num('port', values.port));
  set('stdio', values.stdio);
  set('authTokenFile', values['auth-token-file']);
  set('allowedHosts', values['allowed-host']);
  set('allowedOrigins', values['allowed-origin']);
  set('allowedLocalUsers', values['allowed-local-user']);
  set('toolsets', values.toolsets?.split(',').map((s) => s.trim()).filter(Boolean));
  set('root', values.root);
  set('sessionTtlSec', num('session-ttl-sec', values['session-ttl-sec']));
  set('maxSessions', num('max-sessions', values['max-sessions']));
  set('maxBodyBytes', num('max-body-bytes', values['max-body-bytes']));
  set('maxResultBytes', num('max-result-bytes', values['max-result-bytes']));
  set('scanRoots', values['scan-root']);
  set('logLevel', values['log-level']);

  let config;
  try {
    config = loadConfig({ flags, env: process.env, ...(values.config ? { configFile: values.config } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) usageError(error.message);
    throw error;
  }
  try {
    await runServe(config, values.config ? { configFile: values.config } : {});
  } catch (error) {
    if (error instanceof ConfigurationError) usageError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      process.stderr.write(`hostlens: cannot listen on ${config.host}:${config.port}: ${code}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** `hostlens hash-token`: the token on stdin (one trailing newline dropped) → its sha256 hex on stdout; the token is never echoed. */
async function hashToken(): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) usageError('hash-token: the token on stdin is longer than 64 KiB');
    chunks.push(chunk as Buffer);
  }
  const token = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (token.length < 16 || /\s/.test(token)) usageError('hash-token: the token must be at least 16 characters without whitespace');
  process.stdout.write(`${sha256Hex(token)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`hostlens: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
