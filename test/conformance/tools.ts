/**
 * Conformance fixture tools that are neither multi-round-trip (mrtr.ts) nor
 * 2025-era push requests (legacy.ts): content shapes, logging, progress, SSE
 * polling, JSON Schema 2020-12 preservation and the stateless-era probes.
 *
 * Names and observable outputs follow what the conformance scenarios look
 * for; nothing here is part of hostlens' product catalogue.
 */
import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { fromJsonSchema, inputRequired, inputResponse } from '@modelcontextprotocol/server';

import type { FixtureNotifier } from './fixtures.js';
import { PNG_BASE64, WAV_BASE64 } from './media.js';
import { NO_ARGS, sleep, text } from './shared.js';

export function registerContentTools(server: McpServer): void {
  server.registerTool(
    'test_simple_text',
    { description: 'Answers with one fixed text block.', inputSchema: NO_ARGS },
    async () => text('This is a simple text response for testing.'),
  );

  server.registerTool(
    'test_image_content',
    { description: 'Answers with one base64 PNG image block.', inputSchema: NO_ARGS },
    async (): Promise<CallToolResult> => ({ content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }] }),
  );

  server.registerTool(
    'test_audio_content',
    { description: 'Answers with one base64 WAV audio block.', inputSchema: NO_ARGS },
    async (): Promise<CallToolResult> => ({ content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }] }),
  );

  server.registerTool(
    'test_embedded_resource',
    { description: 'Answers with one embedded text resource.', inputSchema: NO_ARGS },
    async (): Promise<CallToolResult> => ({
      content: [
        {
          type: 'resource',
          resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' },
        },
      ],
    }),
  );

  server.registerTool(
    'test_multiple_content_types',
    { description: 'Answers with a text, an image and an embedded JSON resource block.', inputSchema: NO_ARGS },
    async (): Promise<CallToolResult> => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ fixture: 'mixed-content', value: 123 }),
          },
        },
      ],
    }),
  );

  server.registerTool(
    'test_error_handling',
    { description: 'Always fails, as a tool-level error result.', inputSchema: NO_ARGS },
    async (): Promise<CallToolResult> => ({
      isError: true,
      content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
    }),
  );
}

export function registerUtilityTools(server: McpServer): void {
  server.registerTool(
    'test_tool_with_logging',
    { description: 'Emits three info log messages about 50 ms apart while it runs.', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const steps = ['Tool execution started', 'Tool processing data', 'Tool execution completed'];
      for (const [index, step] of steps.entries()) {
        if (index > 0) await sleep(50, ctx.mcpReq.signal);
        await ctx.mcpReq.log('info', step, 'conformance-fixtures');
      }
      return text('Tool with logging executed successfully');
    },
  );

  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100 when the request carries a progressToken.', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const token = ctx.mcpReq._meta?.progressToken;
      if (token === undefined) return text('no progress token supplied; nothing reported');
      for (const progress of [0, 50, 100]) {
        if (progress > 0) await sleep(50, ctx.mcpReq.signal);
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken: token, progress, total: 100, message: `step ${progress}/100` },
        });
      }
      return text(`progress reported for token ${String(token)}`);
    },
  );

  server.registerTool(
    'test_reconnection',
    {
      description:
        'Closes its own SSE response stream mid-call (after the priming event) and answers once the client has reconnected with Last-Event-ID.',
      inputSchema: NO_ARGS,
    },
    async (_args, ctx) => {
      const closeStream = ctx.http?.closeSSE;
      closeStream?.();
      // Give the client time to notice the closed stream and come back.
      await sleep(200, ctx.mcpReq.signal);
      return text(
        closeStream
          ? 'Reconnection test completed: the stream was closed mid-call and the result was delivered after the client reconnected.'
          : 'Reconnection test completed without closing the stream (no resumable stream on this connection).',
      );
    },
  );

  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Advertises an input schema that uses JSON Schema 2020-12 keywords; echoes its arguments.',
      inputSchema: fromJsonSchema<Record<string, unknown>>({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        $defs: {
          address: {
            $anchor: 'addressDef',
            type: 'object',
            properties: { street: { type: 'string' }, city: { type: 'string' } },
          },
        },
        properties: {
          name: { type: 'string' },
          address: { $ref: '#/$defs/address' },
          contactMethod: { type: 'string', enum: ['phone', 'email'] },
          phone: { type: 'string' },
          email: { type: 'string' },
        },
        allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
        if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
        then: { required: ['phone'] },
        else: { required: ['email'] },
        additionalProperties: false,
      }),
    },
    async (args) => text(`json_schema_2020_12_tool received ${JSON.stringify(args)}`),
  );
}

/**
 * Hand-written JSON Schema so the `x-mcp-header` annotation (SEP-2243) is
 * listed verbatim; the SDK's schema type has no such key, hence the variable.
 */
const CUSTOM_HEADER_SCHEMA = {
  type: 'object',
  properties: {
    region: { type: 'string', description: 'Region name, mirrored into Mcp-Param-Region', 'x-mcp-header': 'Region' },
    verbose: { type: 'boolean', description: 'Not mirrored' },
  },
} satisfies Record<string, unknown>;

/** Probes the 2026-07-28 `server-stateless` scenario calls by name. */
export function registerStatelessProbeTools(server: McpServer, notifier: () => FixtureNotifier): void {
  server.registerTool(
    'test_missing_capability',
    {
      description:
        'Needs an LLM completion from the client: a request that does not declare the sampling capability is refused with -32021.',
      inputSchema: NO_ARGS,
    },
    async (_args, ctx) => {
      const view = inputResponse(ctx.mcpReq.inputResponses, 'completion');
      if (view.kind === 'sampling') return text('sampling answer received');
      // The SDK checks embedded requests against the request's declared client
      // capabilities and answers MissingRequiredClientCapability (-32021) itself.
      return inputRequired({
        inputRequests: {
          completion: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'Answer with one word: ready' } }],
            maxTokens: 16,
          }),
        },
      });
    },
  );

  server.registerTool(
    'test_custom_headers',
    {
      description: 'Mirrors its "region" argument into the Mcp-Param-Region header (SEP-2243); echoes the arguments.',
      inputSchema: fromJsonSchema<{ region?: string; verbose?: boolean }>(CUSTOM_HEADER_SCHEMA),
    },
    async (args) => text(`region=${args.region ?? '(none)'} verbose=${String(args.verbose ?? false)}`),
  );

  server.registerTool(
    'test_streaming_elicitation',
    {
      description: 'Completes normally; its response stream must carry no server-to-client JSON-RPC request.',
      inputSchema: NO_ARGS,
    },
    async () => text('completed without pushing any request onto the response stream'),
  );

  server.registerTool(
    'test_logging_tool',
    {
      description: 'Logs one info message through the request-scoped channel (delivered only when the request set a logLevel).',
      inputSchema: NO_ARGS,
    },
    async (_args, ctx) => {
      await ctx.mcpReq.log('info', 'test_logging_tool ran', 'conformance-fixtures');
      return text('log message offered to the request-scoped logging channel');
    },
  );

  server.registerTool(
    'test_trigger_tool_change',
    { description: 'Publishes notifications/tools/list_changed to listeners.', inputSchema: NO_ARGS },
    async () => {
      notifier().toolsChanged();
      return text('tools list change published');
    },
  );

  server.registerTool(
    'test_trigger_prompt_change',
    { description: 'Publishes notifications/prompts/list_changed to listeners.', inputSchema: NO_ARGS },
    async () => {
      notifier().promptsChanged();
      return text('prompts list change published');
    },
  );

  server.registerTool(
    'test_trigger_resource_change',
    { description: 'Publishes notifications/resources/list_changed and an update of test://watched-resource.', inputSchema: NO_ARGS },
    async () => {
      const hub = notifier();
      hub.resourcesChanged();
      hub.resourceUpdated('test://watched-resource');
      return text('resources list change and watched-resource update published');
    },
  );
}
