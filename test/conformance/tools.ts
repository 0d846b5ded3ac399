/**
 * Conformance fixture tools that are not multi-round-trip: content shapes,
 * logging, progress, the 2025-era push requests (sampling, elicitation),
 * SSE polling, JSON Schema 2020-12 preservation and the stateless-era probes.
 *
 * Names and observable outputs follow what the conformance scenarios look
 * for; nothing here is part of hostlens' product catalogue.
 */
import type { CallToolResult, ElicitRequestFormParams, McpServer, ServerContext } from '@modelcontextprotocol/server';
import { fromJsonSchema, inputRequired, inputResponse } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';

import type { FixtureNotifier } from './fixtures.js';
import { PNG_BASE64, WAV_BASE64 } from './media.js';

const NO_ARGS = z.object({});

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

/** What an elicitation/create answered, rendered for the tool result. */
function describeElicitation(result: { action: string; content?: unknown }): string {
  return `action=${result.action} content=${JSON.stringify(result.content ?? {})}`;
}

/**
 * Runs a 2025-era server-to-client request. On a 2026-07-28 request the SDK
 * refuses to push requests (the era uses input_required instead), which we
 * report as a tool error rather than a protocol error.
 */
async function legacyPush(label: string, run: () => Promise<string>): Promise<CallToolResult> {
  try {
    return text(await run());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { isError: true, content: [{ type: 'text', text: `${label} unavailable on this connection: ${reason}` }] };
  }
}

async function elicitForm(ctx: ServerContext, params: ElicitRequestFormParams): Promise<string> {
  const answer = await ctx.mcpReq.elicitInput(params);
  return describeElicitation(answer);
}

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

/** 2025-era tools that push sampling/elicitation requests over the session. */
export function registerLegacyPushTools(server: McpServer): void {
  server.registerTool(
    'test_sampling',
    {
      description: 'Asks the client to sample an LLM completion for the prompt and returns the text.',
      inputSchema: z.object({ prompt: z.string().describe('Prompt for the LLM') }),
    },
    async ({ prompt }, ctx) =>
      legacyPush('sampling', async () => {
        const answer = await ctx.mcpReq.requestSampling({
          messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
          maxTokens: 100,
        });
        const blocks = Array.isArray(answer.content) ? answer.content : [answer.content];
        const reply = blocks.map((block) => (block.type === 'text' ? block.text : `[${block.type}]`)).join(' ');
        return `LLM response: ${reply}`;
      }),
  );

  server.registerTool(
    'test_elicitation',
    {
      description: 'Asks the user (via elicitation) for a username and an email address.',
      inputSchema: z.object({ message: z.string().describe('Message shown to the user') }),
    },
    async ({ message }, ctx) =>
      legacyPush('elicitation', async () =>
        `User response: ${await elicitForm(ctx, {
          message,
          requestedSchema: {
            type: 'object',
            properties: {
              username: { type: 'string', description: 'Your username' },
              email: { type: 'string', description: 'Your email address' },
            },
            required: ['username', 'email'],
          },
        })}`,
      ),
  );

  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicits a form whose string, integer, number, enum and boolean fields all carry defaults.', inputSchema: NO_ARGS },
    async (_args, ctx) =>
      legacyPush('elicitation', async () =>
        `Elicitation completed: ${await elicitForm(ctx, {
          message: 'Review the pre-filled fields',
          requestedSchema: {
            type: 'object',
            properties: {
              name: { type: 'string', description: 'Name', default: 'John Doe' },
              age: { type: 'integer', description: 'Age', default: 30 },
              score: { type: 'number', description: 'Score', default: 95.5 },
              status: { type: 'string', description: 'Status', enum: ['active', 'inactive', 'pending'], default: 'active' },
              verified: { type: 'boolean', description: 'Verified', default: true },
            },
            required: [],
          },
        })}`,
      ),
  );

  server.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicits a form using all five enum shapes (untitled/titled single, legacy enumNames, untitled/titled multi).', inputSchema: NO_ARGS },
    async (_args, ctx) =>
      legacyPush('elicitation', async () =>
        `Elicitation completed: ${await elicitForm(ctx, {
          message: 'Pick from the enum fields',
          requestedSchema: {
            type: 'object',
            properties: {
              untitledSingle: { type: 'string', description: 'Pick one', enum: ['option1', 'option2', 'option3'] },
              titledSingle: {
                type: 'string',
                description: 'Pick one (titled)',
                oneOf: [
                  { const: 'value1', title: 'First Option' },
                  { const: 'value2', title: 'Second Option' },
                  { const: 'value3', title: 'Third Option' },
                ],
              },
              legacyEnum: {
                type: 'string',
                description: 'Pick one (legacy titles)',
                enum: ['opt1', 'opt2', 'opt3'],
                enumNames: ['Option One', 'Option Two', 'Option Three'],
              },
              untitledMulti: {
                type: 'array',
                description: 'Pick several',
                minItems: 1,
                maxItems: 3,
                items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
              },
              titledMulti: {
                type: 'array',
                description: 'Pick several (titled)',
                minItems: 1,
                maxItems: 3,
                items: {
                  anyOf: [
                    { const: 'value1', title: 'First Choice' },
                    { const: 'value2', title: 'Second Choice' },
                    { const: 'value3', title: 'Third Choice' },
                  ],
                },
              },
            },
            required: [],
          },
        })}`,
      ),
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
