#!/usr/bin/env node
/**
 * hostlens command line: `hostlens serve [--host ADDR] [--port N] [--stdio]
 * [--config FILE] …`, `hostlens --help`, `hostlens --version`.
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
 *
 * The node flags (node-flags.ts) are set first, so every launch path runs with
 * them: the static imports below are only these small modules and everything
 * else is imported when a command needs it, because V8 grows the young
 * generation while modules load and the semi-space cap only holds from when it
 * is set (set in the body of a module that imports serve.js statically: new
 * space 16 MiB instead of 2, idle RSS ≈ 97 MiB instead of ≈ 80.5).
 */
import { parseArgs } from 'node:util';
import { applyNodeFlags } from './node-flags.js';
import { VERSION } from './version.js';
import { TOOLSETS } from '../contracts/scopes.js';
import { isHostlensError } from '../contracts/errors.js';

const nodeFlags = applyNodeFlags();

/** The usage text; the defaults are the config schema's own (imported only when help is printed: see the header). */
async function helpText(): Promise<string> {
  const { configSchema } = await import('./config-schema.js');
  const defaults = configSchema.parse({});
  return `hostlens ${VERSION}: an MCP server for diagnosing this Linux host, read-only.

Usage:
  hostlens serve [options]     serve MCP over Streamable HTTP (default) or stdio
  hostlens hash-token          read a token on stdin, print its sha256 (for auth.tokens[].sha256)
  hostlens --help              show this help
  hostlens --version           print the version

Options for serve (flags beat HOSTLENS_* variables, which beat the config file):
  --host ADDR               bind address (default ${defaults.host}; non-loopback needs auth)
  --port N                  TCP port (default ${defaults.port}; 0 = any free port)
  --stdio                   speak MCP over stdin/stdout instead of HTTP
  --config FILE             JSON config file (or HOSTLENS_CONFIG)
  --auth-token-file FILE    file holding a static bearer token with every scope (or HOSTLENS_AUTH_TOKEN);
                            scoped tokens (sha256 only) and OAuth go in the config file's "auth" block
  --allowed-host NAME       extra Host name to accept (repeatable)
  --allowed-origin ORIGIN   extra exact Origin to accept (repeatable)
  --allowed-local-user USER with auth off, a local user (name or uid) served besides root and
                            the user hostlens runs as (repeatable)
  --toolsets LIST           comma-separated toolsets to enable, or all (default core; see below)
  --root DIR                root the collectors read /proc, /sys and /etc under (default /)
  --session-ttl-sec N       idle legacy session lifetime (default 1800)
  --max-sessions N          legacy session cap (default ${defaults.maxSessions}; with Redis, cluster-wide)
  --store memory|URL        where legacy sessions live: memory (default) or redis://[:password@]HOST:PORT[/DB],
                            shared by replicas behind a load balancer (or HOSTLENS_STORE)
  --max-body-bytes N        largest accepted request body (default 4194304)
  --max-result-bytes N      largest structured tool result (default 24576)
  --scan-root DIR           directory find_space_hogs may walk (repeatable)
  --log-level LEVEL         debug | info | warn | error (default ${defaults.logLevel})

The MCP endpoint is http://HOST:PORT/mcp; /healthz and /readyz answer JSON.
Logs are JSON lines on stderr. See README.md for every setting.
`;
}

/** The help's toolsets section, from the catalogue this build serves. */
async function toolsetsHelp(): Promise<string> {
  const { productCatalogue } = await import('../catalogue/index.js');
  const lines = [
    '',
    `Toolsets (--toolsets core,logs, HOSTLENS_TOOLSETS=core,logs or "toolsets" in the config file;`,
    `default core; all = every toolset, ${productCatalogue.tools.length} tools):`,
  ];
  const width = Math.max(...TOOLSETS.map((t) => t.length)) + 2;
  const indent = ' '.repeat(width + 2);
  for (const set of TOOLSETS) {
    const names = productCatalogue.tools.filter((t) => t.toolset === set).map((t) => t.name);
    let line = `  ${set.padEnd(width)}${names.length} tool${names.length === 1 ? '' : 's'}:`;
    for (const [i, name] of names.entries()) {
      const word = i < names.length - 1 ? `${name},` : name;
      if (line.length + 1 + word.length > 100) {
        lines.push(line);
        line = indent + word;
      } else line += ` ${word}`;
    }
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}

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
  store: { type: 'string' },
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
    process.stdout.write((await helpText()) + (await toolsetsHelp()));
    return;
  }
  if (positionals.length === 0) {
    // Usage as an error: to stderr, exit 2.
    process.stderr.write((await helpText()) + (await toolsetsHelp()));
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
  set('store', values.store);
  set('maxBodyBytes', num('max-body-bytes', values['max-body-bytes']));
  set('maxResultBytes', num('max-result-bytes', values['max-result-bytes']));
  set('scanRoots', values['scan-root']);
  set('logLevel', values['log-level']);

  const { loadConfig } = await import('./config-load.js');
  let config;
  try {
    config = loadConfig({ flags, env: process.env, ...(values.config ? { configFile: values.config } : {}) });
  } catch (error) {
    if (isHostlensError(error, 'invalid_argument')) usageError(error.message);
    throw error;
  }
  const { runServe } = await import('./serve.js');
  try {
    await runServe(config, { nodeFlags, ...(values.config ? { configFile: values.config } : {}) });
  } catch (error) {
    if (isHostlensError(error, 'invalid_argument')) usageError(error.message);
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
  const { sha256Hex } = await import('../http/auth/static-tokens.js');
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
