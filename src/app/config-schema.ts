/**
 * The one zod schema every setting passes through, whatever its source
 * (flag, HOSTLENS_* variable, config file). Unknown keys are refused.
 * Every default is a constant of the module that applies the setting (config-schema.test.ts
 * holds them side by side), so a default is changed in one place.
 */
import { z } from 'zod';
import { DEFAULT_CONFIG_FILES, DEFAULT_LOG_FILES, DEFAULT_MAX_RESULT_BYTES, DEFAULT_SCAN_ROOTS } from '../diagnostics/host-inputs.js';
import { DEFAULT_TOOLSETS, TOOLSETS } from '../contracts/scopes.js';
import type { Toolset } from '../contracts/scopes.js';
import { DEFAULT_ROOT } from '../collectors/context.js';
import { DEFAULT_SAMPLER_INTERVAL_MS } from '../collectors/sampler.js';
import { DEFAULT_LOG_LEVEL } from '../util/log.js';
import { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_HEADER_TIMEOUT_MS, DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_SHUTDOWN_GRACE_MS } from '../http/app.js';
import { DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_TTL_MS } from '../http/sessions/manager.js';
import { DEFAULT_STORE, isStoreSetting } from '../http/store/store-setting.js';
import { DEFAULT_BURST, DEFAULT_REQUESTS_PER_SEC } from '../http/rate-limit.js';
import { DEFAULT_MAX_STREAMS_PER_PRINCIPAL } from '../http/stream-cap.js';
import { DEFAULT_AUDIT_KEEP, DEFAULT_AUDIT_MAX_BYTES } from '../http/audit.js';
import { DEFAULT_TOOL_CONCURRENCY, DEFAULT_TOOL_TIMEOUT_SEC } from '../server/tool-limits.js';
import { DEFAULT_OVERVIEW_CHECK_MS } from '../server/subscriptions.js';
import { authConfigSchema } from '../http/auth/auth-config.js';
import { thresholdOverridesSchema } from '../diagnostics/thresholds.js';

export const DEFAULT_PORT = 8765;

const MAX_UID = 4294967294;
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;
/** A uid, a uid as text (flags and variables are text), or a user name as useradd accepts it (never all digits). */
const localUserSchema = z
  .union([z.number(), z.string()])
  .refine((v) => (typeof v === 'number' ? Number.isInteger(v) && v >= 0 && v <= MAX_UID : /^\d{1,10}$/.test(v) ? Number(v) <= MAX_UID : USER_NAME.test(v)), {
    error: 'allowedLocalUsers entries are user names (letters, digits, _ . -, not starting with a digit or -) or uids (0-4294967294)',
  })
  .transform((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v));

/** A list of toolsets in which `all` stands for every one; a string is read like --toolsets (comma list); duplicates are dropped. */
const toolsetsSchema = z
  .preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.enum([...TOOLSETS, 'all'] as const)).min(1))
  .transform((names): Toolset[] => (names.includes('all') ? [...TOOLSETS] : [...new Set(names.filter((n): n is Toolset => n !== 'all'))]));

export const configSchema = z
  .object({
    host: z.string().min(1).default(DEFAULT_HOST).describe('address to bind; non-loopback needs auth'),
    port: z.number().int().min(0).max(65535).default(DEFAULT_PORT).describe('TCP port (0 = any free port)'),
    stdio: z.boolean().default(false).describe('serve MCP over stdin/stdout instead of HTTP'),
    authToken: z.string().min(16, 'authToken must be at least 16 characters').optional().describe('static bearer token (environment only)'),
    authTokenFile: z.string().min(1).optional().describe('file holding the static bearer token'),
    auth: authConfigSchema.default({ tokens: [] }).describe('static hashed tokens with scopes, and the OAuth issuer (src/http/auth/auth-config.ts)'),
    allowedHosts: z.array(z.string().min(1)).default([]).describe('extra Host names accepted besides loopback'),
    allowedOrigins: z.array(z.string().url()).default([]).describe('extra exact Origins accepted besides loopback'),
    maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(DEFAULT_MAX_BODY_BYTES),
    sessionTtlSec: z.number().int().min(1).max(7 * 86400).default(DEFAULT_SESSION_TTL_MS / 1000),
    maxSessions: z.number().int().min(1).max(100_000).default(DEFAULT_MAX_SESSIONS).describe('legacy sessions open at once (with a Redis store: in the whole cluster)'),
    store: z
      .string()
      .refine(isStoreSetting, { error: 'store must be "memory" or a Redis URL redis://[:password@]HOST:PORT[/DB] (rediss:// for TLS)' })
      .default(DEFAULT_STORE)
      .describe('where legacy sessions live: memory (this process) or a Redis URL shared by replicas'),
    shutdownGraceSec: z.number().min(0).max(300).default(DEFAULT_SHUTDOWN_GRACE_MS / 1000),
    // Per-client limits: src/http/rate-limit.ts, stream-cap.ts, server/tool-limits.ts, slow-client timeouts in http/app.ts.
    rateLimit: z
      .object({
        requestsPerSec: z.number().min(0).max(100_000).default(DEFAULT_REQUESTS_PER_SEC).describe('sustained /mcp requests per second per principal (0 = no limit)'),
        burst: z.number().int().min(1).max(1_000_000).default(DEFAULT_BURST).describe('requests a principal may make at once'),
      })
      .strict()
      .default({ requestsPerSec: DEFAULT_REQUESTS_PER_SEC, burst: DEFAULT_BURST })
      .describe('token bucket per principal on /mcp; over it → 429 with Retry-After'),
    maxSessionsPerPrincipal: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('legacy sessions one principal (auth off: one local client) may hold; default a quarter of maxSessions; at it, its least recently used idle session is closed'),
    toolConcurrency: z.number().int().min(1).max(1024).default(DEFAULT_TOOL_CONCURRENCY).describe('calls of one tool running at once, server-wide; 4x as many may wait per principal, 16x in all, served round-robin'),
    toolTimeoutSec: z.number().min(1).max(3600).default(DEFAULT_TOOL_TIMEOUT_SEC).describe('deadline of one tool call; the handler is aborted and the call answers a tool error'),
    headerTimeoutSec: z.number().min(1).max(600).default(DEFAULT_HEADER_TIMEOUT_MS / 1000).describe('the request head must arrive within this (else 408)'),
    bodyTimeoutSec: z.number().min(1).max(3600).default(DEFAULT_BODY_TIMEOUT_MS / 1000).describe('the request body must arrive within this after the head time (else 408)'),
    maxStreamsPerPrincipal: z.number().int().min(1).max(100_000).default(DEFAULT_MAX_STREAMS_PER_PRINCIPAL).describe('open SSE streams and calls per principal (auth off: per local client); one more → 429'),
    toolsets: toolsetsSchema.default([...DEFAULT_TOOLSETS]).describe('toolsets to enable; "all" = every toolset'),
    root: z.string().min(1).default(DEFAULT_ROOT).describe('root directory the collectors read (/proc, /sys, /etc under it)'),
    samplerIntervalMs: z.number().int().min(100).max(60_000).default(DEFAULT_SAMPLER_INTERVAL_MS),
    overviewCheckSec: z.number().min(0.5).max(3600).default(DEFAULT_OVERVIEW_CHECK_MS / 1000).describe('how often diag://local/overview re-checks assessment statuses for subscribers'),
    maxResultBytes: z
      .number()
      .int()
      .min(4096)
      .max(1024 * 1024)
      .default(DEFAULT_MAX_RESULT_BYTES)
      .describe('largest structured tool result; longer lists are cut and say so in truncated{returned,total,nextCursor}'),
    scanRoots: z
      .array(z.string().regex(/^\//, 'scanRoots entries must be absolute paths'))
      .default([...DEFAULT_SCAN_ROOTS])
      .describe('directories find_space_hogs may walk (resolved with realpath; the walk never leaves them)'),
    logFiles: z
      .array(z.string().regex(/^\//, 'logFiles entries must be absolute globs'))
      .default([...DEFAULT_LOG_FILES])
      .describe('globs of the log files read_log_file may read (checked after realpath)'),
    configFiles: z
      .array(z.string().regex(/^\//, 'configFiles entries must be absolute globs'))
      .default([...DEFAULT_CONFIG_FILES])
      .describe('globs of the config files get_config may read; the built-in deny-list cannot be lifted'),
    containerSocket: z.string().regex(/^\//, 'containerSocket must be an absolute path').optional().describe('Docker/Podman API socket (default: the usual places)'),
    journalDirectory: z.string().regex(/^\//, 'journalDirectory must be an absolute path').optional().describe('journal directory for journalctl --directory (default: the system journal)'),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default(DEFAULT_LOG_LEVEL),
    thresholds: thresholdOverridesSchema.default({}),
    // The audit log and metrics: src/http/audit.ts and src/http/metrics.ts.
    auditLog: z
      .object({
        path: z.string().regex(/^\//, 'auditLog.path must be an absolute path').nullable().optional().describe('JSONL audit file; null = off; unset = on at $XDG_STATE_HOME/hostlens/audit.jsonl when auth is on, off otherwise'),
        maxBytes: z.number().int().min(4096).max(1024 * 1024 * 1024).default(DEFAULT_AUDIT_MAX_BYTES).describe('rotate the audit file when it would grow past this'),
        keep: z.number().int().min(1).max(100).default(DEFAULT_AUDIT_KEEP).describe('rotated audit files kept (audit.jsonl.1 … .keep)'),
      })
      .strict()
      .default({ maxBytes: DEFAULT_AUDIT_MAX_BYTES, keep: DEFAULT_AUDIT_KEEP }),
    metrics: z.boolean().default(true).describe('serve Prometheus metrics on GET /metrics (hostlens:admin when auth is on)'),
    allowedLocalUsers: z
      .array(localUserSchema)
      .max(64)
      .default([])
      .describe('with auth off, local users (names in /etc/passwd, or uids) served besides root and the user hostlens runs as'),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
