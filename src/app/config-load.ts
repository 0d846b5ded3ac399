/**
 * Settings come from flags, then HOSTLENS_* environment variables, then the
 * config file (JSON): the first source that sets a key wins. Everything is
 * validated once by `configSchema`; any problem is an invalid_argument
 * HostlensError naming the key and the source, which the CLI turns into exit
 * code 2.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { resolveLocalUsers } from '../collectors/local-users.js';
import { HostlensError } from '../contracts/errors.js';
import { configSchema } from './config-schema.js';
import type { Config } from './config-schema.js';

type Raw = Record<string, unknown>;

/** HOSTLENS_* variable → config key and how to parse its text. */
const ENV_KEYS: Record<string, { key: string; parse: (v: string) => unknown }> = {
  HOSTLENS_HOST: { key: 'host', parse: (v) => v },
  HOSTLENS_PORT: { key: 'port', parse: num },
  HOSTLENS_STDIO: { key: 'stdio', parse: parseBool },
  HOSTLENS_AUTH_TOKEN: { key: 'authToken', parse: (v) => v },
  HOSTLENS_AUTH_TOKEN_FILE: { key: 'authTokenFile', parse: (v) => v },
  HOSTLENS_AUTH: { key: 'auth', parse: json },
  HOSTLENS_ALLOWED_HOSTS: { key: 'allowedHosts', parse: list },
  HOSTLENS_ALLOWED_ORIGINS: { key: 'allowedOrigins', parse: list },
  HOSTLENS_MAX_BODY_BYTES: { key: 'maxBodyBytes', parse: num },
  HOSTLENS_SESSION_TTL_SEC: { key: 'sessionTtlSec', parse: num },
  HOSTLENS_MAX_SESSIONS: { key: 'maxSessions', parse: num },
  HOSTLENS_STORE: { key: 'store', parse: (v) => v },
  HOSTLENS_SHUTDOWN_GRACE_SEC: { key: 'shutdownGraceSec', parse: num },
  HOSTLENS_MAX_SESSIONS_PER_PRINCIPAL: { key: 'maxSessionsPerPrincipal', parse: num },
  HOSTLENS_RATE_LIMIT: { key: 'rateLimit', parse: rateLimit },
  HOSTLENS_TOOL_CONCURRENCY: { key: 'toolConcurrency', parse: num },
  HOSTLENS_TOOL_TIMEOUT_SEC: { key: 'toolTimeoutSec', parse: num },
  HOSTLENS_HEADER_TIMEOUT_SEC: { key: 'headerTimeoutSec', parse: num },
  HOSTLENS_BODY_TIMEOUT_SEC: { key: 'bodyTimeoutSec', parse: num },
  HOSTLENS_MAX_STREAMS_PER_PRINCIPAL: { key: 'maxStreamsPerPrincipal', parse: num },
  HOSTLENS_TOOLSETS: { key: 'toolsets', parse: list },
  HOSTLENS_ROOT: { key: 'root', parse: (v) => v },
  HOSTLENS_SAMPLER_INTERVAL_MS: { key: 'samplerIntervalMs', parse: num },
  HOSTLENS_OVERVIEW_CHECK_SEC: { key: 'overviewCheckSec', parse: num },
  HOSTLENS_MAX_RESULT_BYTES: { key: 'maxResultBytes', parse: num },
  HOSTLENS_SCAN_ROOTS: { key: 'scanRoots', parse: list },
  HOSTLENS_LOG_FILES: { key: 'logFiles', parse: list },
  HOSTLENS_CONFIG_FILES: { key: 'configFiles', parse: list },
  HOSTLENS_CONTAINER_SOCKET: { key: 'containerSocket', parse: (v) => v },
  HOSTLENS_JOURNAL_DIRECTORY: { key: 'journalDirectory', parse: (v) => v },
  HOSTLENS_LOG_LEVEL: { key: 'logLevel', parse: (v) => v },
  HOSTLENS_METRICS: { key: 'metrics', parse: parseBool },
  HOSTLENS_ALLOWED_LOCAL_USERS: { key: 'allowedLocalUsers', parse: list },
  HOSTLENS_AUDIT_LOG: { key: 'auditLog', parse: (v) => ({ path: /^(off|none|)$/i.test(v.trim()) ? null : v }) },
};
/** Variables that are read elsewhere and are not settings. */
const ENV_OTHER = new Set(['HOSTLENS_CONFIG']);

/** Plain decimal numbers only; anything else (blank, 0x1F90, 1e3) stays text so the schema refuses it. */
function num(v: string): unknown {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
}
/** `HOSTLENS_RATE_LIMIT=20,40`: requestsPerSec, then optionally burst. */
function rateLimit(v: string): unknown {
  const [rps, burst, ...rest] = list(v);
  if (rps === undefined || rest.length > 0) return v;
  return burst === undefined ? { requestsPerSec: num(rps) } : { requestsPerSec: num(rps), burst: num(burst) };
}
/** A JSON value; text that is not JSON stays text so the schema refuses it. */
function json(v: string): unknown {
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}
function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
function parseBool(v: string): unknown {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  return v;
}

export function fromEnv(env: NodeJS.ProcessEnv): { values: Raw; sources: Record<string, string> } {
  const values: Raw = {};
  const sources: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('HOSTLENS_') || value === undefined || ENV_OTHER.has(name)) continue;
    const spec = ENV_KEYS[name];
    if (!spec) throw new HostlensError('invalid_argument', `unknown environment variable ${name} (known: ${Object.keys(ENV_KEYS).join(', ')})`);
    values[spec.key] = spec.parse(value);
    sources[spec.key] = `environment variable ${name}`;
  }
  return { values, sources };
}

function fromFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HostlensError('invalid_argument', `cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HostlensError('invalid_argument', `config file ${path} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new HostlensError('invalid_argument', `config file ${path} must hold a JSON object`);
  if ('authToken' in parsed) throw new HostlensError('invalid_argument', `config file ${path}: authToken may not be stored in a config file; use authTokenFile or HOSTLENS_AUTH_TOKEN`);
  return parsed as Raw;
}

interface LoadConfigInput {
  flags: Raw;
  env: NodeJS.ProcessEnv;
  configFile?: string;
}

export function loadConfig(input: LoadConfigInput): Config {
  const env = fromEnv(input.env);
  const file = input.configFile ?? input.env.HOSTLENS_CONFIG;
  const fileValues = file ? fromFile(file) : {};
  const sources: Record<string, string> = {};
  for (const k of Object.keys(fileValues)) sources[k] = `config file ${file}`;
  Object.assign(sources, env.sources);
  for (const k of Object.keys(input.flags)) sources[k] = `flag --${kebab(k)}`;
  // Each source is checked on its own first, so a bad value is refused even
  // where another source overrides it.
  const partial = configSchema.partial();
  const problems: string[] = [];
  const check = (values: Raw, label: (key: string) => string): void => {
    const checked = partial.safeParse(values);
    if (!checked.success) problems.push(describeIssues(checked.error, Object.fromEntries(Object.keys(values).map((k) => [k, label(k)]))));
  };
  check(fileValues, () => `config file ${file}`);
  check(env.values, (k) => env.sources[k] ?? 'environment');
  check(input.flags, (k) => `flag --${kebab(k)}`);
  if (problems.length > 0) throw new HostlensError('invalid_argument', problems.join('; '));
  const merged = { ...fileValues, ...env.values, ...input.flags };
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new HostlensError('invalid_argument', describeIssues(result.error, sources));
  const config = result.data;
  if (config.authToken === undefined && config.authTokenFile !== undefined) {
    // A relative path in the config file is relative to that file, not to the working directory.
    const fromFile = file !== undefined && sources.authTokenFile?.startsWith('config file') === true;
    config.authToken = readToken(fromFile ? resolve(dirname(file), config.authTokenFile) : config.authTokenFile);
  }
  // Names become uids now, so a misspelt user stops the start (exit 2) instead of locking that user out.
  const users = resolveLocalUsers(config.allowedLocalUsers);
  if (users.unknown.length > 0) {
    const where = sources.allowedLocalUsers ? ` (from ${sources.allowedLocalUsers})` : '';
    throw new HostlensError(
      'invalid_argument',
      `invalid value for "allowedLocalUsers"${where}: no user ${users.unknown.map((u) => `"${u}"`).join(', ')} in /etc/passwd (give users known only to LDAP/SSSD by uid)`,
    );
  }
  config.allowedLocalUsers = users.uids;
  if (config.authToken !== undefined && config.auth.tokens.some((t) => t.name === 'default')) {
    throw new HostlensError('invalid_argument', 'auth.tokens: the name "default" is taken by authToken/authTokenFile; rename that token');
  }
  return config;
}

function readToken(path: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new HostlensError('invalid_argument', `cannot read authTokenFile ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  if (token.length < 16) throw new HostlensError('invalid_argument', `authTokenFile ${path}: the token must be at least 16 characters`);
  return token;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function describeIssues(error: z.ZodError, sources: Record<string, string>): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const where = issue.path.length ? ` in ${issue.path.join('.')}` : '';
        return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}${where}${where ? '' : ` (from ${issue.keys.map((k) => sources[k] ?? 'input').join(', ')})`}`;
      }
      const key = issue.path.join('.');
      const top = String(issue.path[0] ?? '');
      const secret = top === 'authToken';
      return `invalid value for "${key}"${sources[top] ? ` (from ${sources[top]})` : ''}: ${secret ? 'token rejected' : issue.message}`;
    })
    .join('; ');
}
