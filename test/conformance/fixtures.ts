/**
 * The conformance fixture catalogue: the `test_*` tools, resources and
 * prompts the MCP conformance suite drives, served by hostlens' own HTTP app
 * (`createHttpApp`) exactly like the product catalogue is. Test-only: nothing
 * under src/ imports this, and the product never registers these names.
 */
import { McpServer } from '@modelcontextprotocol/server';

import { registerLegacyPushTools } from './legacy.js';
import { createFlowStateCodec, registerMrtrFixtures } from './mrtr.js';
import { registerPromptFixtures, registerResourceFixtures } from './resources.js';
import type { SubscriptionSink } from '../../src/server/subscriptions.js';
import { registerContentTools, registerStatelessProbeTools, registerUtilityTools } from './tools.js';

/** The change-notification fan-out the HTTP app exposes as `app.notify`. */
export interface FixtureNotifier {
  toolsChanged(): void;
  promptsChanged(): void;
  resourcesChanged(): void;
  resourceUpdated(uri: string): void;
}

/** Mirrors the app's factory contract (`McpFactory` in src/http/app.ts). */
export interface FixtureFactoryContext {
  era: 'legacy' | 'modern';
  subscriptions?: SubscriptionSink;
}

export type FixtureFactory = (ctx: FixtureFactoryContext) => McpServer;

export const FIXTURE_SERVER_INFO = { name: 'hostlens-conformance-fixtures', version: '0.1.0' } as const;

/**
 * Builds the factory. `notifier` is resolved lazily, on each trigger call,
 * because the app that owns the fan-out is created from this very factory.
 * One requestState codec (and so one HMAC key) is shared by every instance
 * the factory makes: a multi-round flow spans several per-request servers.
 */
export function createConformanceFactory(notifier: () => FixtureNotifier): FixtureFactory {
  const flowState = createFlowStateCodec();

  return (ctx) => {
    const server = new McpServer(FIXTURE_SERVER_INFO, {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        // Deprecated in 2026-07-28, still negotiated by 2025-era sessions.
        logging: {},
        completions: {},
      },
      instructions: 'Conformance fixtures for hostlens. Test-only; not the hostlens diagnostics catalogue.',
      requestState: { verify: flowState.verify },
    });

    registerContentTools(server);
    registerUtilityTools(server);
    registerLegacyPushTools(server);
    registerStatelessProbeTools(server, notifier);
    registerMrtrFixtures(server, flowState);
    registerResourceFixtures(server, ctx.subscriptions);
    registerPromptFixtures(server);
    return server;
  };
}
