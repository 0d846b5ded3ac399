/**
 * `hostlens serve`: builds the services once, then serves the product
 * catalogue over Streamable HTTP or stdio until SIGTERM/SIGINT (or stdin EOF
 * on stdio), and shuts down gracefully with exit code 0.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { productCatalogue } from './catalogue/index.js';
import type { Config } from './config/schema.js';
import { createHttpApp } from './http/app.js';
import { createProductFactory } from './server/factory.js';
import { createServices } from './server/services.js';
import { resourceExists, startOverviewWatch, trackServers } from './server/subscriptions.js';
import { createLogger } from './util/log.js';
import { VERSION } from './version.js';

export async function runServe(config: Config): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
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
  });
  const factory = createProductFactory({ services, toolsets: config.toolsets });

  let stopping = false;
  const onSignal = (stop: () => Promise<void>) => (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), (config.shutdownGraceSec + 5) * 1000);
    force.unref();
    void stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };

  const watchOverview = (resourceUpdated: (uri: string) => void) =>
    startOverviewWatch({ services, periodMs: config.overviewCheckSec * 1000, resourceUpdated, logger });

  if (config.stdio) {
    const tracked = trackServers(factory);
    const handle = serveStdio(tracked.factory, { legacy: 'serve', onerror: (e) => logger.warn('stdio error', { error: e.message }) });
    const watch = watchOverview(tracked.resourceUpdated);
    const stop = async (): Promise<void> => {
      watch.stop();
      await handle.close();
      services.stop();
    };
    process.once('SIGTERM', onSignal(stop));
    process.once('SIGINT', onSignal(stop));
    process.stdin.once('end', () => onSignal(stop)('SIGTERM'));
    logger.info('serving on stdio', { version: VERSION, toolsets: config.toolsets });
    return;
  }

  const app = createHttpApp({
    factory,
    host: config.host,
    port: config.port,
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
    ...(config.authToken ? { authToken: config.authToken } : {}),
    maxBodyBytes: config.maxBodyBytes,
    sessionTtlMs: config.sessionTtlSec * 1000,
    maxSessions: config.maxSessions,
    shutdownGraceMs: config.shutdownGraceSec * 1000,
    readiness: services.readiness,
    resourceExists: (uri) => resourceExists(productCatalogue, services, uri),
    version: VERSION,
    logger,
  });
  const watch = watchOverview((uri) => app.notify.resourceUpdated(uri));
  const stop = async (): Promise<void> => {
    watch.stop();
    await app.close();
    services.stop();
  };
  await app.listen();
  process.once('SIGTERM', onSignal(stop));
  process.once('SIGINT', onSignal(stop));
}
