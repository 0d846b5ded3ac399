/**
 * Test-only entry: serves the conformance fixture catalogue through the
 * product's own HTTP app on loopback and prints the endpoint URL as a single
 * line on stdout, then serves until SIGTERM/SIGINT.
 *
 *   node --import tsx test/conformance/serve.ts [--port N]
 *
 * The port comes from --port, else CONFORMANCE_PORT, else 0 (any free
 * port). Request logs go to stderr at CONFORMANCE_LOG_LEVEL (default
 * warn).
 */
import { parseArgs } from 'node:util';

import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp } from '../../src/http/app.js';
import { createLogger } from '../../src/util/log.js';
import type { LogLevel } from '../../src/util/log.js';
import { createConformanceFactory } from './fixtures.js';

function fail(message: string): never {
  process.stderr.write(`conformance serve: ${message}\n`);
  process.exit(2);
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid port "${raw}"`);
  return port;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' } }, strict: true });
  const port = parsePort(values.port ?? process.env.CONFORMANCE_PORT);
  const wanted = process.env.CONFORMANCE_LOG_LEVEL ?? 'warn';
  const level = LEVELS.find((l) => l === wanted) ?? fail(`invalid log level "${wanted}"`);

  let app: HttpApp | undefined;
  const factory = createConformanceFactory(() => {
    if (!app) throw new Error('fixture notifier used before the app exists');
    return app.notify;
  });
  app = createHttpApp({
    factory,
    host: '127.0.0.1',
    port,
    // Short enough that the SSE-polling scenario reconnects quickly.
    sseRetryMs: 500,
    shutdownGraceMs: 2_000,
    logger: createLogger({ level }),
  });

  const { url } = await app.listen();
  process.stdout.write(`${url}\n`);

  const running = app;
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`conformance serve: ${signal}, closing\n`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
