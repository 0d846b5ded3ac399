/**
 * 2025-era fixtures that push server-to-client requests over the legacy
 * session (sampling/createMessage, elicitation/create), for the
 * tools-call-sampling, tools-call-elicitation and elicitation-sep1034 /
 * sep1330 scenarios. The 2026-07-28 era forbids such pushes (mrtr.ts covers
 * its input_required replacement), so on a modern request these tools answer
 * with a tool error instead.
 */
import type { CallToolResult, ElicitRequestFormParams, McpServer, ServerContext } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';

import { NO_ARGS, text } from './shared.js';

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
