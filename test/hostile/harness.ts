/**
 * The hostile suite's shared pieces: the product server with every toolset in
 * process (an SDK Client over InMemoryTransport, for volume), a classifier for
 * tools/call outcomes, the leak checks every error must pass (no stack trace,
 * no source path, no JS runtime error text), and the prototype-pollution check.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import type { CallToolResult, JsonSchemaType, Tool } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { productCatalogue } from '../../src/catalogue/index.js';
import { DEFAULT_MAX_RESULT_BYTES } from '../../src/diagnostics/host-inputs.js';
import { TOOLSETS } from '../../src/contracts/scopes.js';
import { buildServer } from '../../src/server/build.js';
import { createServices } from '../../src/app/create-services.js';
import type { CreateServicesOptions, RunningServices } from '../../src/app/create-services.js';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp, HttpAppOptions } from '../../src/http/app.js';
import { createProductFactory } from '../../src/app/product-factory.js';
import { resourceExists } from '../../src/server/subscriptions.js';
import { killAll, repoRoot, spawnHostlens } from '../e2e/helpers.js';
import type { Spawned } from '../e2e/helpers.js';

export { within, delay } from '../support/async.js';

/** Text that must never reach a client: stacks, our source tree, node internals, raw JS runtime errors. */
const LEAKS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\n\s+at .+:\d+:\d+/, 'a stack trace'],
  [/node:internal|node_modules\//, 'a node internal path'],
  [/\.(?:ts|mjs|cjs):\d+/, 'a source location'],
  [/\b(?:TypeError|ReferenceError|RangeError|SyntaxError)\b/, 'a raw JS error'],
  [/Cannot read propert|is not a function|is not iterable|undefined is not|Maximum call stack/i, 'a raw JS error message'],
  [/<html|<!doctype/i, 'HTML'],
];

export function assertNoLeak(text: string, what: string): void {
  assert.ok(!text.includes(repoRoot), `${what} names the server's source directory: ${text.slice(0, 300)}`);
  for (const [re, name] of LEAKS) assert.doesNotMatch(text, re, `${what} carries ${name}: ${text.slice(0, 300)}`);
}

export function assertNotPolluted(): void {
  const probe = {} as Record<string, unknown>;
  assert.equal(probe.polluted, undefined, 'Object.prototype.polluted was set');
  assert.equal(probe.isAdmin, undefined, 'Object.prototype.isAdmin was set');
  assert.deepEqual(Object.keys(Object.prototype), [], 'Object.prototype gained enumerable keys');
}

export type Outcome =
  | { kind: 'ok'; result: CallToolResult }
  | { kind: 'invalid-input'; text: string }
  | { kind: 'tool-error'; text: string }
  | { kind: 'rpc-error'; code: number; message: string };

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/**
 * Classifies one tools/call answer and fails on the outcomes that are bugs: a JSON-RPC error other
 * than -32602, an isError that is really an unexpected exception (`<tool> failed: …`) or an output
 * the server's own schema refused, and any leak in error text.
 */
export function classify(name: string, answer: { result?: CallToolResult; error?: unknown }, what: string): Outcome {
  if (answer.error !== undefined) {
    const e = answer.error as { code?: unknown; message?: unknown };
    assert.equal(typeof e.code, 'number', `${what}: a thrown non-protocol error: ${String(answer.error)}`);
    const message = String(e.message);
    assertNoLeak(message, `${what}: error message`);
    assert.equal(e.code, -32602, `${what}: JSON-RPC error ${String(e.code)} (only -32602 is acceptable): ${message}`);
    return { kind: 'rpc-error', code: e.code as number, message };
  }
  const result = answer.result as CallToolResult;
  if (!result.isError) return { kind: 'ok', result };
  const text = textOf(result);
  assert.ok(text.trim().length > 0, `${what}: an isError result without text`);
  assertNoLeak(text, `${what}: isError text`);
  if (/Input validation error/i.test(text)) return { kind: 'invalid-input', text };
  assert.doesNotMatch(text, /Output validation error/i, `${what}: the tool produced output its own schema refuses: ${text.slice(0, 400)}`);
  assert.ok(!text.startsWith(`${name} failed:`), `${what}: an unexpected exception escaped the tool: ${text.slice(0, 400)}`);
  return { kind: 'tool-error', text };
}

export interface InProcess {
  services: RunningServices;
  client: Client;
  tools: Map<string, Tool>;
  /** Scan root for find_space_hogs (a fresh temp dir). */
  scanDir: string;
  call(name: string, args: unknown, timeoutMs?: number): Promise<{ result?: CallToolResult; error?: unknown }>;
  /** Validates a successful result against the tool's published outputSchema and the result budget. */
  checkOk(name: string, result: CallToolResult, what: string): void;
  close(): Promise<void>;
}

const ajv = new AjvJsonSchemaValidator();
const compiled = new WeakMap<object, ReturnType<AjvJsonSchemaValidator['getValidator']>>();

/** A JSON Schema validator, compiled once per schema object (compiling costs tens of ms). */
export function validatorFor(schema: object): ReturnType<AjvJsonSchemaValidator['getValidator']> {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.getValidator(schema as JsonSchemaType);
    compiled.set(schema, v);
  }
  return v;
}

export function outputChecker(tools: Map<string, Tool>, maxBytes = DEFAULT_MAX_RESULT_BYTES) {
  return (name: string, result: CallToolResult, what: string): void => {
    const schema = tools.get(name)?.outputSchema;
    assert.ok(schema, `${name} has an outputSchema`);
    const verdict = validatorFor(schema)(result.structuredContent);
    assert.ok(verdict.valid, `${what}: structuredContent does not match outputSchema: ${verdict.errorMessage}`);
    const bytes = Buffer.byteLength(JSON.stringify(result.structuredContent));
    assert.ok(bytes <= maxBytes, `${what}: ${bytes} bytes over the ${maxBytes}-byte budget`);
  };
}

/** The full product (every toolset) over InMemoryTransport, real root, sampler running. */
export async function startInProcess(options: CreateServicesOptions = {}): Promise<InProcess> {
  const scanDir = mkdtempSync(join(tmpdir(), 'hostlens-hostile-scan-'));
  const services = createServices({ root: '/', scanRoots: [scanDir], changeWatch: false, samplerIntervalMs: 500, ...options });
  const server = buildServer({ catalogue: productCatalogue, services, toolsets: [...TOOLSETS], name: 'hostile', version: '0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'hostile', version: '0' });
  await client.connect(b);
  const tools = new Map<string, Tool>();
  for (const t of (await client.listTools()).tools) tools.set(t.name, t);
  return {
    services,
    client,
    tools,
    scanDir,
    async call(name, args, timeoutMs = 15_000) {
      try {
        // The raw request: the SDK client's callTool would validate structuredContent itself and throw.
        const result = (await client.request(
          { method: 'tools/call', params: { name, arguments: args as Record<string, unknown> } },
          { timeout: timeoutMs },
        )) as CallToolResult;
        return { result };
      } catch (error) {
        return { error };
      }
    },
    checkOk: outputChecker(tools),
    async close() {
      await client.close().catch(() => undefined);
      await server.close().catch(() => undefined);
      services.stop();
      rmSync(scanDir, { recursive: true, force: true });
    },
  };
}

/** The product (every toolset) behind the real HTTP app, in this process (so Object.prototype can be checked), on 127.0.0.1:0. */
export async function startProductHttp(appOptions: Partial<HttpAppOptions> = {}): Promise<{ app: HttpApp; url: string; port: number; services: RunningServices; close(): Promise<void> }> {
  const services = createServices({ root: '/', changeWatch: false, samplerIntervalMs: 500 });
  const app = createHttpApp({
    factory: createProductFactory({ services, toolsets: [...TOOLSETS] }),
    port: 0,
    // as serve.ts wires it: subscriptions/listen acknowledges only URIs that name a resource
    resourceExists: (uri) => resourceExists(productCatalogue, services, uri),
    ...appOptions,
  });
  const { url, port } = await app.listen();
  return {
    app,
    url,
    port,
    services,
    async close() {
      await app.close();
      services.stop();
    },
  };
}

export type ProductHttp = Awaited<ReturnType<typeof startProductHttp>>;

/** Runs the product HTTP app for the enclosing describe (before/after hooks); the getter is for use inside tests. */
export function productHttpPerSuite(appOptions: Partial<HttpAppOptions> = {}): () => ProductHttp {
  let h: ProductHttp | undefined;
  before(async () => {
    h = await startProductHttp(appOptions);
  });
  after(async () => {
    await h?.close();
  });
  return () => h!;
}

export interface ServedProcess {
  server: Spawned;
  url: string;
  port: number;
}

/** Spawns `hostlens serve --port 0` with `env` for the enclosing describe (killed after it); the getter is for tests. */
export function servePerSuite(env: Record<string, string>, args: readonly string[] = []): () => ServedProcess {
  let served: ServedProcess | undefined;
  before(async () => {
    const server = spawnHostlens(['serve', '--port', '0', ...args], { env });
    const { url, port } = await server.listening();
    served = { server, url, port };
  });
  after(async () => {
    await killAll();
  });
  return () => served!;
}
