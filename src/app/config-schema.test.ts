/**
 * Every default of the config is defined once, in the module that applies the
 * setting: the parsed defaults equal those modules' constants, key for key (a
 * new setting must be added here), and no `.default(…)` of the config schemas
 * holds a number or string literal, so a default cannot be restated beside its
 * owner and drift from it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import ts from 'typescript';
import { DEFAULT_ROOT } from '../collectors/context.js';
import { DEFAULT_SAMPLER_INTERVAL_MS } from '../collectors/sampler.js';
import { DEFAULT_TOOLSETS } from '../contracts/scopes.js';
import { DEFAULT_CONFIG_FILES, DEFAULT_LOG_FILES, DEFAULT_MAX_RESULT_BYTES, DEFAULT_SCAN_ROOTS } from '../diagnostics/host-inputs.js';
import { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_HEADER_TIMEOUT_MS, DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_SHUTDOWN_GRACE_MS } from '../http/app.js';
import { DEFAULT_AUDIT_KEEP, DEFAULT_AUDIT_MAX_BYTES } from '../http/audit.js';
import { authConfigSchema } from '../http/auth/auth-config.js';
import { DEFAULT_CLOCK_SKEW_SEC, DEFAULT_JWT_ALGORITHMS } from '../http/auth/jwt.js';
import { DEFAULT_BURST, DEFAULT_REQUESTS_PER_SEC } from '../http/rate-limit.js';
import { DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_TTL_MS } from '../http/sessions/manager.js';
import { DEFAULT_STORE } from '../http/store/store-setting.js';
import { DEFAULT_MAX_STREAMS_PER_PRINCIPAL } from '../http/stream-cap.js';
import { DEFAULT_OVERVIEW_CHECK_MS } from '../server/subscriptions.js';
import { DEFAULT_TOOL_CONCURRENCY, DEFAULT_TOOL_TIMEOUT_SEC } from '../server/tool-limits.js';
import { DEFAULT_LOG_LEVEL } from '../util/log.js';
import { configSchema, DEFAULT_PORT } from './config-schema.js';

/** A ms constant shown in seconds (`DEFAULT_X_MS / 1000`) is the owner's value, not a second one. */
const isMsToSec = (node: ts.Node): boolean =>
  ts.isNumericLiteral(node) && node.text === '1000' && ts.isBinaryExpression(node.parent) && node.parent.operatorToken.kind === ts.SyntaxKind.SlashToken && node.parent.right === node;

/** `.default(…)` calls whose argument holds a number or string literal, as "line: text". */
function literalDefaults(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const holdsLiteral = (node: ts.Node): boolean =>
    ((ts.isNumericLiteral(node) || ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && !isMsToSec(node)) ||
    ts.forEachChild(node, (child) => holdsLiteral(child) || undefined) === true;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'default' && node.arguments.some(holdsLiteral)) {
      found.push(`${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.arguments.map((a) => a.getText()).join(', ')}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('config defaults: one definition each', () => {
  test('the parsed defaults are the constants of the modules that apply them, for every key', () => {
    assert.deepEqual(configSchema.parse({}), {
      host: DEFAULT_HOST,
      port: DEFAULT_PORT,
      stdio: false,
      auth: { tokens: [] },
      allowedHosts: [],
      allowedOrigins: [],
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      sessionTtlSec: DEFAULT_SESSION_TTL_MS / 1000,
      maxSessions: DEFAULT_MAX_SESSIONS,
      store: DEFAULT_STORE,
      shutdownGraceSec: DEFAULT_SHUTDOWN_GRACE_MS / 1000,
      rateLimit: { requestsPerSec: DEFAULT_REQUESTS_PER_SEC, burst: DEFAULT_BURST },
      toolConcurrency: DEFAULT_TOOL_CONCURRENCY,
      toolTimeoutSec: DEFAULT_TOOL_TIMEOUT_SEC,
      headerTimeoutSec: DEFAULT_HEADER_TIMEOUT_MS / 1000,
      bodyTimeoutSec: DEFAULT_BODY_TIMEOUT_MS / 1000,
      maxStreamsPerPrincipal: DEFAULT_MAX_STREAMS_PER_PRINCIPAL,
      toolsets: DEFAULT_TOOLSETS,
      root: DEFAULT_ROOT,
      samplerIntervalMs: DEFAULT_SAMPLER_INTERVAL_MS,
      overviewCheckSec: DEFAULT_OVERVIEW_CHECK_MS / 1000,
      maxResultBytes: DEFAULT_MAX_RESULT_BYTES,
      scanRoots: DEFAULT_SCAN_ROOTS,
      logFiles: DEFAULT_LOG_FILES,
      configFiles: DEFAULT_CONFIG_FILES,
      logLevel: DEFAULT_LOG_LEVEL,
      thresholds: {},
      auditLog: { maxBytes: DEFAULT_AUDIT_MAX_BYTES, keep: DEFAULT_AUDIT_KEEP },
      metrics: true,
      allowedLocalUsers: [],
    });
  });

  test('an oauth block takes the verifier defaults of jwt.ts', () => {
    const { oauth } = authConfigSchema.parse({ oauth: { issuer: 'https://id.example.com' } });
    assert.deepEqual(oauth, { issuer: 'https://id.example.com', algorithms: DEFAULT_JWT_ALGORITHMS, clockSkewSec: DEFAULT_CLOCK_SKEW_SEC, requiredScopes: [] });
  });

  test('no default of the config schemas is a literal number or string', () => {
    for (const file of ['config-schema.ts', '../http/auth/auth-config.ts']) {
      const text = readFileSync(new URL(file, import.meta.url), 'utf8');
      assert.ok(text.includes('.default('), `${file} has defaults to check`);
      assert.deepEqual(literalDefaults(file, text), [], `${file}: defaults written as literals instead of their owner's constant`);
    }
  });

  test('a planted literal default is caught, with its line', () => {
    const planted = "const s = z.object({\n  a: z.number().default(DEFAULT_A),\n  b: z.number().default(256),\n  c: z.object({}).default({ keep: 5 }),\n  d: z.array(z.string()).default(['core']),\n  e: z.number().default(DEFAULT_A_MS / 1000),\n  f: z.number().default(30 * 60),\n});\n";
    assert.deepEqual(literalDefaults('planted.ts', planted), ['3: 256', '4: { keep: 5 }', "5: ['core']", '7: 30 * 60']);
  });
});
