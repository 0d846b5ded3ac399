/**
 * The contract between hostlens and the SDK members the patches in this
 * folder rely on (README.md). On the pinned SDK every install-time check
 * passes; against an object lacking a member, or holding it with another
 * kind or arity, each check throws naming that member, and so do the
 * patches themselves when the SDK class lacks one (nothing silently becomes
 * a no-op). Each patch's observable behaviour is exercised once through a
 * real server: tools/list and tools/call through the shared tool table, the
 * captured prompt, resource and completion handlers, and malformed params
 * answered -32602 naming the method and the offending field. No source
 * file outside this folder names those members.
 */
import { publishedInput } from '../host-argument.js';
import { compactOutputSchema, withoutDefaultDialect } from '../output-schema.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer, ProtocolError, Server } from '@modelcontextprotocol/server';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { productCatalogue } from '../../catalogue/index.js';
import type { Toolset } from '../../contracts/scopes.js';
import type { Catalogue } from '../../definitions/types.js';
import { FIXTURE_HOSTS, servicesAt } from '../../../test/fixtures/fixture-services.js';
import { buildServer } from '../build.js';
import { envelopeSchema } from '../envelope.js';
import { invalidParamsForMalformedRequests } from '../params-errors.js';
import { CAPTURE_MEMBERS, captureRequestHandlers, checkHandlerCapture } from './handler-capture.js';
import { requireMembers, SdkPatchError } from './members.js';
import type { MemberSpec } from './members.js';
import { checkRequestHandlerHooks, checkWireCodec, CODEC_MEMBERS, SERVER_MEMBERS, wrapEveryRequestHandler } from './request-handlers.js';
import { checkRegisteredTool, checkToolTemplate, createToolRegistry, REGISTERED_TOOL_MEMBERS, TEMPLATE_MEMBERS } from './tool-registry.js';

const services = servicesAt(`${FIXTURE_HOSTS}idle`);
const CORE: Toolset[] = ['core'];

/** An object meeting every spec: functions of the stated arity, Maps, properties. */
function stubOf(specs: readonly MemberSpec[]): Record<string, unknown> {
  const stub: Record<string, unknown> = {};
  for (const spec of specs) {
    if (spec.kind === 'function') stub[spec.name] = Object.defineProperty(() => undefined, 'length', { value: spec.arity ?? 0 });
    else if (spec.kind === 'map') stub[spec.name] = new Map();
    else stub[spec.name] = undefined;
  }
  return stub;
}

function throwsNaming(run: () => unknown, member: string, problem: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof SdkPatchError, `an SdkPatchError, not ${String(e)}`);
    assert.equal(e.member, member);
    assert.ok(e.message.includes(member), e.message);
    assert.match(e.message, problem);
    return true;
  });
}

const legacyServer = () => new McpServer({ name: 'contract', version: '0' }, { capabilities: { tools: {}, prompts: {}, resources: {} } });
const lowOf = (server: McpServer): unknown => server.server;

const CHECKS: Array<{ owner: string; specs: readonly MemberSpec[]; check: (target: unknown) => void; real: () => unknown }> = [
  { owner: 'McpServer', specs: TEMPLATE_MEMBERS, check: checkToolTemplate, real: legacyServer },
  {
    owner: 'RegisteredTool',
    specs: REGISTERED_TOOL_MEMBERS,
    check: checkRegisteredTool,
    real: () => legacyServer().registerTool('t', { outputSchema: envelopeSchema(productCatalogue.tools[0]!.data) }, async () => ({ content: [] })),
  },
  { owner: 'Server', specs: CAPTURE_MEMBERS, check: checkHandlerCapture, real: () => lowOf(legacyServer()) },
  { owner: 'Server', specs: SERVER_MEMBERS, check: checkRequestHandlerHooks, real: () => lowOf(legacyServer()) },
  {
    owner: 'WireCodec',
    specs: CODEC_MEMBERS,
    check: checkWireCodec,
    real: () => (lowOf(legacyServer()) as { _negotiatedWireCodec(): unknown })._negotiatedWireCodec(),
  },
];

describe('sdk-patches: install-time checks', () => {
  for (const { owner, specs, check, real } of CHECKS) {
    const names = specs.map((s) => s.name).join(', ');
    test(`${owner} (${names}): passes on the pinned SDK`, () => {
      check(real());
    });
    test(`${owner} (${names}): a stub lacking a member, or holding it changed, is refused naming it`, () => {
      check(stubOf(specs));
      for (const spec of specs) {
        const missing = stubOf(specs);
        delete missing[spec.name];
        throwsNaming(() => check(missing), `${owner}.${spec.name}`, /is missing/);
        if (spec.kind === 'function') {
          throwsNaming(() => check({ ...stubOf(specs), [spec.name]: {} }), `${owner}.${spec.name}`, /no longer a function/);
          if (spec.arity !== undefined) {
            const other = Object.defineProperty(() => undefined, 'length', { value: spec.arity + 1 });
            throwsNaming(() => check({ ...stubOf(specs), [spec.name]: other }), `${owner}.${spec.name}`, new RegExp(`takes ${spec.arity + 1} parameters, not ${spec.arity}`));
          }
        }
        if (spec.kind === 'map') throwsNaming(() => check({ ...stubOf(specs), [spec.name]: {} }), `${owner}.${spec.name}`, /no longer a Map/);
      }
    });
  }

  test('requireMembers refuses a target that is not an object', () => {
    throwsNaming(() => requireMembers('p', 'Server', undefined, [{ name: 'x', kind: 'property' }]), 'Server.x', /is missing/);
  });

  test('the patches refuse to install when the SDK class lacks a member or re-signs it (simulated on the prototype, then restored)', () => {
    /** Runs `run` with `proto[name]` deleted (`replacement` undefined) or replaced. */
    const withMember = (proto: object, name: string, replacement: ((...args: never[]) => unknown) | undefined, run: () => void): void => {
      const saved = Object.getOwnPropertyDescriptor(proto, name);
      assert.ok(saved, `${name} is on the prototype`);
      if (replacement === undefined) delete (proto as Record<string, unknown>)[name];
      else Object.defineProperty(proto, name, { ...saved, value: replacement });
      try {
        run();
      } finally {
        Object.defineProperty(proto, name, saved);
      }
    };
    withMember(McpServer.prototype, 'validateToolOutput', undefined, () => throwsNaming(() => createToolRegistry(), 'McpServer.validateToolOutput', /is missing/));
    // Server overrides Protocol's _wrapHandler: deleting it would only uncover the inherited one, so it is re-signed instead.
    const oneParameter = (method: unknown) => method;
    withMember(Server.prototype, '_wrapHandler', oneParameter, () => throwsNaming(() => invalidParamsForMalformedRequests(legacyServer()), 'Server._wrapHandler', /takes 1 parameters, not 2/));
    // _requestHandlers is an instance field: an McpServer-shaped stub stands in.
    const stubServer = { server: { ...stubOf(SERVER_MEMBERS), _requestHandlers: undefined } } as unknown as McpServer;
    throwsNaming(() => wrapEveryRequestHandler(stubServer, (_m, h) => h), 'Server._requestHandlers', /no longer a Map/);
    // McpServer stops installing a handler through setRequestHandler: the capture names the method.
    throwsNaming(() => captureRequestHandlers(() => undefined, new Set(['prompts/list']), new Set(['prompts/list'])), 'Server.setRequestHandler', /prompts\/list/);
  });
});

describe('sdk-patches: the only place that names them', () => {
  const here = resolve(fileURLToPath(new URL('.', import.meta.url)));
  const src = resolve(here, '../..');
  /** Every non-test source file under src/ outside this folder. */
  function outside(dir: string, out: string[] = []): string[] {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== here) outside(path, out);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
    }
    return out;
  }
  // The private members the patches use, and McpServer's private registries (the state sharing replaces).
  const names = [...new Set([...TEMPLATE_MEMBERS, ...REGISTERED_TOOL_MEMBERS, ...SERVER_MEMBERS, ...CODEC_MEMBERS].map((m) => m.name))];
  names.push('_registeredTools', '_registeredPrompts', '_registeredResources', '_registeredResourceTemplates');

  test('no file outside sdk-patches/ names an SDK member a patch relies on, or replaces setRequestHandler', () => {
    const files = outside(src);
    assert.ok(files.some((f) => f.endsWith(join('server', 'tools.ts'))), 'the walk reaches src/server');
    const found: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const name of names) if (new RegExp(`\\b${name}\\b`).test(text)) found.push(`${relative(src, file)}: ${name}`);
      if (/\.setRequestHandler\s*=[^=]/.test(text)) found.push(`${relative(src, file)}: replaces setRequestHandler`);
    }
    assert.deepEqual(found, []);
  });
});

describe('sdk-patches: observable behaviour on the pinned SDK', () => {
  const clients: Client[] = [];
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
  });

  async function connect(server: McpServer): Promise<Client> {
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 'contract', version: '0' });
    await client.connect(b);
    clients.push(client);
    return client;
  }

  test('tool registry: tools/list is what McpServer.registerTool on the server itself lists; tools/call runs, validates and projects', async () => {
    const tools = productCatalogue.tools.filter((t) => CORE.includes(t.toolset));
    const plain = new McpServer({ name: 'plain', version: '0' });
    for (const tool of tools) plain.registerTool(tool.name, { title: tool.title, description: tool.description, inputSchema: publishedInput(tool), outputSchema: envelopeSchema(tool.data) }, async () => ({ content: [] }));
    const expected = (await (await connect(plain)).listTools()).tools;
    const client = await connect(buildServer({ catalogue: productCatalogue, services, toolsets: CORE, name: 'contract', version: '0' }));
    const listed = (await client.listTools()).tools;
    // The same conversion, then the same wire compaction (output-schema.ts) the table applies on top of it.
    assert.deepEqual(
      listed.map((t) => [t.name, t.inputSchema, t.outputSchema]),
      expected.map((t) => [t.name, withoutDefaultDialect(t.inputSchema), t.outputSchema ? compactOutputSchema(t.outputSchema) : undefined]),
    );
    const ok = await client.callTool({ name: 'get_system_info', arguments: {} });
    assert.notEqual(ok.isError, true, JSON.stringify(ok.content).slice(0, 300));
    assert.equal((ok.structuredContent as { host?: string }).host, 'local');
    const bad = await client.callTool({ name: 'get_system_info', arguments: { nope: 1 } });
    assert.equal(bad.isError, true);
    assert.match((bad.content as Array<{ text: string }>)[0]!.text, /^Input validation error: Invalid arguments for tool get_system_info/);
  });

  test('tool registry: validateOutput is McpServer\'s own output check', async () => {
    const registry = createToolRegistry();
    const tool = productCatalogue.tools[0]!;
    registry.register(tool.name, { inputSchema: tool.input, outputSchema: envelopeSchema(tool.data) });
    assert.equal(registry.listedOutputSchema(tool.name)?.type, 'object');
    await assert.rejects(registry.validateOutput(tool.name, { content: [], structuredContent: { host: 5 } }), (e: unknown) => {
      assert.ok(e instanceof ProtocolError);
      assert.equal(e.code, -32602);
      assert.match(e.message, new RegExp(`^Output validation error: Invalid structured content for tool ${tool.name}`));
      return true;
    });
  });

  test('the servers built hold no registrations of their own: tools, prompts and resources live in the shared tables', () => {
    const full: Catalogue = { tools: productCatalogue.tools, resources: productCatalogue.resources, templates: productCatalogue.templates ?? [], prompts: productCatalogue.prompts };
    for (let i = 0; i < 2; i++) {
      const server = buildServer({ catalogue: full, services, toolsets: CORE, name: 'contract', version: '0' }) as unknown as Record<string, Record<string, unknown>>;
      for (const registry of ['_registeredTools', '_registeredPrompts', '_registeredResources', '_registeredResourceTemplates']) {
        assert.ok(registry in server, `McpServer.${registry} still exists (else this test proves nothing)`);
        assert.deepEqual(Object.keys(server[registry] ?? {}), [], `${registry} of server ${i} is empty`);
      }
    }
  });

  test('handler capture: prompts, resources and completion answer through the captured handlers', async () => {
    const client = await connect(buildServer({ catalogue: productCatalogue, services, toolsets: CORE, name: 'contract', version: '0' }));
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    assert.deepEqual(prompts, productCatalogue.prompts.map((p) => p.name));
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    assert.ok(templates.includes('diag://runbooks/{topic}'), templates.join(' '));
    const runbook = await client.readResource({ uri: 'diag://runbooks/oom' });
    assert.match(String((runbook.contents[0] as { text?: string }).text), /oom/i);
    const completed = await client.complete({ ref: { type: 'ref/prompt', name: 'triage' }, argument: { name: 'symptom', value: 'disk' } });
    assert.ok(completed.completion.values.includes('disk full'), completed.completion.values.join(', '));
  });

  test('request handler hooks: malformed params of a spec request are -32602 naming the method and the field; long echoes are clipped', async () => {
    const server = buildServer({ catalogue: productCatalogue, services, toolsets: CORE, name: 'contract', version: '0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const answers = new Map<unknown, { error?: { code: number; message: string } }>();
    const waiting = new Map<unknown, () => void>();
    b.onmessage = (m: JSONRPCMessage) => {
      const id = (m as { id?: unknown }).id;
      answers.set(id, m as never);
      waiting.get(id)?.();
    };
    await server.connect(a);
    await b.start();
    const ask = async (id: number, method: string, params: unknown) => {
      const answered = new Promise<void>((resolve) => waiting.set(id, resolve));
      await b.send({ jsonrpc: '2.0', id, method, params } as JSONRPCMessage);
      await answered;
      return answers.get(id)!;
    };
    await ask(1, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'contract', version: '0' } });
    await b.send({ jsonrpc: '2.0', method: 'notifications/initialized' } as JSONRPCMessage);
    const malformed = await ask(2, 'prompts/get', { name: 5 });
    assert.equal(malformed.error?.code, -32602, JSON.stringify(malformed));
    assert.match(malformed.error!.message, /^Invalid params for prompts\/get: /);
    assert.match(malformed.error!.message, /"name"[\s\S]*expected string, received number/);
    const long = await ask(3, 'prompts/get', { name: 'x'.repeat(100_000) });
    assert.equal(long.error?.code, -32602);
    assert.ok(long.error!.message.length < 300, `clipped: ${long.error!.message.length} characters`);
    await b.close();
  });
});
