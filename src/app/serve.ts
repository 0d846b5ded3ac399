/**
 * `hostlens serve`: builds the services once, then serves the product
 * catalogue over Streamable HTTP or stdio until SIGTERM/SIGINT (or stdin EOF
 * on stdio), and shuts down gracefully with exit code 0.
 *
 * The HTTP side (app, telemetry with prom-client, authenticator) and the stdio
 * transport are imported only by the mode that uses them: a stdio server
 * without the HTTP modules idles at ≈ 75 MiB VmRSS instead of ≈ 82 MiB.
 */
import { productCatalogue } from '../catalogue/index.js';
import { resolveLocalUsers } from '../collectors/local-users.js';
import type { Config } from './config-schema.js';
import type { Authenticator } from '../http/auth/authenticate.js';
import { scopeIndex } from '../catalogue/scope-index.js';
import { servedTools } from '../catalogue/served-tools.js';
import { createProductFactory } from './product-factory.js';
import { ownSecretPaths } from './own-secrets.js';
import { createServices } from './create-services.js';
import { resourceExists, startOverviewWatch, trackServers } from '../server/subscriptions.js';
import { createLogger } from '../util/log.js';
import type { Logger } from '../util/log.js';
import { VERSION } from './version.js';
import { randomUUID } from 'node:crypto';
import { DEFAULT_STORE, redactStoreUrl } from '../http/store/store-setting.js';
import type { SessionStore } from '../http/store/types.js';

/**
 * `configFile`: the --config file (HOSTLENS_CONFIG otherwise), protected from the file tools with the token and audit files.
 * `nodeFlags`: how the entry applied the node flags (node-flags.ts), logged once so an operator can see the process runs with them.
 */
export async function runServe(config: Config, opts: { configFile?: string; nodeFlags?: Record<string, string> } = {}): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
  if (opts.nodeFlags) logger.info('node flags', { nodeFlags: opts.nodeFlags });
  const services = createServices({
    root: config.root,
    thresholds: config.thresholds,
    samplerIntervalMs: config.samplerIntervalMs,
    maxResultBytes: config.maxResultBytes,
    scanRoots: config.scanRoots,
    logFiles: config.logFiles,
    configFiles: config.configFiles,
    ...(config.containerSocket !== undefined ? { containerSocket: config.containerSocket } : {}),
    ...(config.journalDirectory !== undefined ? { journalDirectory: config.journalDirectory } : {}),
    toolConcurrency: config.toolConcurrency,
    toolTimeoutSec: config.toolTimeoutSec,
    protect: ownSecretPaths(config, opts.configFile ?? process.env.HOSTLENS_CONFIG),
    logger,
  });
  const factory = createProductFactory({ services, toolsets: config.toolsets });
  // The audit log is on by default when auth is on (see createTelemetry).
  const telemetry = config.stdio
    ? { audit: null, metrics: null }
    : (await import('../http/telemetry.js')).createTelemetry({
        auditLog: config.auditLog,
        metrics: config.metrics,
        authOn: Boolean(config.authToken) || config.auth.tokens.length > 0 || config.auth.oauth !== undefined,
        sampler: services.sampler,
        samplerIntervalMs: config.samplerIntervalMs,
        toolNames: productCatalogue.tools.map((t) => t.name),
        logger,
      });
  if (telemetry.audit) services.audit = telemetry.audit;

  let stopping = false;
  /** `why`: the signal received, or what else ended the server (stdin closed on stdio), as the log line's fields. */
  const shutDown = (stop: () => Promise<void>, why: { signal: NodeJS.Signals } | { reason: string }): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', why);
    const force = setTimeout(() => process.exit(1), (config.shutdownGraceSec + 5) * 1000);
    force.unref();
    void stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  const onSignal = (stop: () => Promise<void>) => (signal: NodeJS.Signals) => shutDown(stop, { signal });

  const watchOverview = (resourceUpdated: (uri: string) => void) =>
    startOverviewWatch({ services, servedTools: servedTools(productCatalogue.tools, config.toolsets), periodMs: config.overviewCheckSec * 1000, resourceUpdated, logger });

  if (config.stdio) {
    const { serveStdio, StdioServerTransport } = await import('@modelcontextprotocol/server/stdio');
    const { answerParseErrors } = await import('../server/stdio-parse-errors.js');
    const tracked = trackServers(factory);
    // A line that is not JSON gets a -32700 answer (stdio-parse-errors.ts) instead of silence.
    const transport = new StdioServerTransport(answerParseErrors(process.stdin, process.stdout), process.stdout);
    const handle = serveStdio(tracked.factory, { legacy: 'serve', transport, onerror: (e) => logger.warn('stdio error', { error: e.message }) });
    const watch = watchOverview(tracked.resourceUpdated);
    const stop = async (): Promise<void> => {
      watch.stop();
      await handle.close();
      services.stop();
    };
    process.once('SIGTERM', onSignal(stop));
    process.once('SIGINT', onSignal(stop));
    process.stdin.once('end', () => shutDown(stop, { reason: 'stdin closed' }));
    logger.info('serving on stdio', { version: VERSION, toolsets: config.toolsets });
    return;
  }

  const { createHttpApp } = await import('../http/app.js');
  const store = await openSessionStore(config, logger);
  const app = createHttpApp({
    factory,
    store,
    host: config.host,
    port: config.port,
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
    ...(await authenticatorOf(config, logger)),
    scopeIndex: scopeIndex(productCatalogue, config.toolsets),
    maxBodyBytes: config.maxBodyBytes,
    sessionTtlMs: config.sessionTtlSec * 1000,
    maxSessions: config.maxSessions,
    shutdownGraceMs: config.shutdownGraceSec * 1000,
    rateLimit: config.rateLimit,
    maxStreamsPerPrincipal: config.maxStreamsPerPrincipal,
    headerTimeoutMs: config.headerTimeoutSec * 1000,
    ...(config.maxSessionsPerPrincipal !== undefined ? { maxSessionsPerPrincipal: config.maxSessionsPerPrincipal } : {}),
    bodyTimeoutMs: config.bodyTimeoutSec * 1000,
    readiness: services.readiness,
    resourceExists: (uri) => resourceExists(productCatalogue, services, uri),
    version: VERSION,
    logger,
    telemetry,
    // Auth off: only root, this process's user and allowedLocalUsers are served (src/http/local-peers.ts).
    localPeers: { allowedUids: resolveLocalUsers(config.allowedLocalUsers).uids },
  });
  // Replicas sharing a store watch the same host: only the lease holder announces a change (once, not once per replica).
  const periodMs = config.overviewCheckSec * 1000;
  const announcer = holdLease(store, 'overview-announcer', periodMs, (e) => logger.warn('session store lease', { error: e.message }));
  const watch = watchOverview((uri) => {
    if (announcer.held()) app.notify.resourceUpdated(uri);
  });
  const stop = async (): Promise<void> => {
    announcer.stop();
    watch.stop();
    await app.close();
    await telemetry.audit?.close(); // the queued audit lines reach the file before exit
    services.stop();
  };
  await app.listen();
  process.once('SIGTERM', onSignal(stop));
  process.once('SIGINT', onSignal(stop));
}

/**
 * The session store: memory, or Redis (imported only then: node-redis and its
 * modules cost memory a single process does not need). An unreachable Redis
 * is retried for a bounded time, then refused like any bad setting (exit 2).
 */
async function openSessionStore(config: Config, logger: Logger): Promise<SessionStore> {
  const onerror = (e: Error): void => logger.warn('session store error', { error: e.message });
  if (config.store === DEFAULT_STORE) {
    const { createMemoryStore } = await import('../http/store/memory-store.js');
    return createMemoryStore({ onerror });
  }
  const { connectRedisStore } = await import('../http/store/redis-store.js');
  const { EVENT_RETENTION_MS } = await import('../http/sessions/manager.js');
  logger.info('session store connecting', { store: redactStoreUrl(config.store) });
  const store = await connectRedisStore({
    url: config.store,
    eventTtlMs: Math.min(config.sessionTtlSec * 1000, EVENT_RETENTION_MS),
    onerror,
    onstate: (health) => (health.ok ? logger.info('session store reachable', {}) : logger.warn('session store unreachable', { detail: health.detail })),
  });
  logger.info('session store ready', { store: redactStoreUrl(config.store) });
  return store;
}

/** Keeps (or waits to take) a lease in the store, renewed every `periodMs` and valid for three periods: a dead holder's lease passes on within three periods. */
function holdLease(store: SessionStore, key: string, periodMs: number, onerror: (e: Error) => void): { held(): boolean; stop(): void } {
  const holder = randomUUID();
  let held = false;
  const renew = (): void =>
    void store.lease(key, holder, periodMs * 3).then(
      (ok) => void (held = ok),
      (error: Error) => {
        // The store is unreachable: every replica announces what it sees (the bus delivers locally meanwhile);
        // a duplicate beats a change nobody hears of.
        held = true;
        onerror(error);
      },
    );
  renew();
  const timer = setInterval(renew, periodMs);
  timer.unref();
  return { held: () => held, stop: () => clearInterval(timer) };
}

/** Static tokens (config + the legacy authToken) and OAuth, when any is configured: JWKS fetched lazily, on first use. */
async function authenticatorOf(config: Config, logger: Logger): Promise<{ authenticator?: Authenticator }> {
  const { createAuthenticator } = await import('../http/auth/authenticate.js');
  const { legacyTokenEntry } = await import('../http/auth/static-tokens.js');
  const tokens = [...config.auth.tokens, ...(config.authToken ? [legacyTokenEntry(config.authToken)] : [])];
  if (tokens.length === 0 && !config.auth.oauth) return {};
  return { authenticator: createAuthenticator({ tokens, ...(config.auth.oauth ? { oauth: config.auth.oauth } : {}), logger }) };
}
