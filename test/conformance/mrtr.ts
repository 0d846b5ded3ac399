/**
 * Multi-round-trip (input_required, SEP-2322) fixtures for the 2026-07-28
 * conformance scenarios. Every handler is write-once: on each entry it reads
 * what the retried request carries (`inputResponses`, verified
 * `requestState`) and either finishes or asks for what is still missing.
 *
 * `requestState` is minted and verified with the SDK's HMAC codec; the
 * verifying half is installed on the server (`requestState.verify`), so a
 * tampered or expired state is refused with -32602 before a handler runs.
 * On a 2025-era session the SDK's legacy shim serves the same handlers by
 * pushing real server-to-client requests.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import type {
  CallToolResult,
  ClientCapabilities,
  GetPromptResult,
  InputRequests,
  InputRequiredResult,
  McpServer,
  RequestStateCodec,
  ServerContext,
} from '@modelcontextprotocol/server';
import {
  acceptedContent,
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  inputRequired,
  inputResponse,
} from '@modelcontextprotocol/server';
import * as z from 'zod/v4';

import { NO_ARGS, text } from './shared.js';

/** What the fixtures keep in `requestState`; the codec signs it, it is not secret. */
export interface FlowState {
  flow: 'request_state' | 'multiple_inputs' | 'multi_round' | 'tampered_state';
  round?: number;
  name?: string;
  nonce: string;
}

/**
 * One codec per fixture catalogue (i.e. per process): the 2026-07-28 path
 * builds a fresh server for every request, so the key has to outlive the
 * instances. Minted state is bound to the JSON-RPC method it was issued for.
 */
export function createFlowStateCodec(): RequestStateCodec<FlowState> {
  return createRequestStateCodec<FlowState>({
    key: randomBytes(32),
    ttlSeconds: 300,
    bind: (ctx) => ctx.mcpReq.method,
  });
}

type ToolOutcome = CallToolResult | InputRequiredResult;

const NameAnswer = z.object({ name: z.string() });
const ColorAnswer = z.object({ color: z.string() });
const ConfirmAnswer = z.object({ ok: z.boolean() });
const ContextAnswer = z.object({ context: z.string() });

const askName = (message = 'What is your name?') =>
  inputRequired.elicit({
    message,
    requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  });

const askConfirm = () =>
  inputRequired.elicit({
    message: 'Please confirm',
    requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
  });

const askSample = (prompt: string, maxTokens: number) =>
  inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens });

/** The text of a sampling answer, or undefined when the key holds no sampling result. */
function sampledText(ctx: ServerContext, key: string): string | undefined {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  if (view.kind !== 'sampling') return undefined;
  const blocks = Array.isArray(view.result.content) ? view.result.content : [view.result.content];
  return blocks.map((block) => (block.type === 'text' ? block.text : `[${block.type}]`)).join(' ');
}

/** The roots of a roots/list answer, or undefined when the key holds none. */
function rootUris(ctx: ServerContext, key: string): string[] | undefined {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  return view.kind === 'roots' ? view.roots.map((root) => root.uri) : undefined;
}

export function registerMrtrFixtures(server: McpServer, codec: RequestStateCodec<FlowState>): void {
  const state = (ctx: ServerContext): FlowState | undefined => ctx.mcpReq.requestState<FlowState>();

  server.registerTool(
    'test_input_required_result_elicitation',
    { description: 'Asks for the caller\'s name with an input_required elicitation, then greets them.', inputSchema: NO_ARGS },
    async (_args, ctx): Promise<ToolOutcome> => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, 'user_name', NameAnswer);
      if (!answer) return inputRequired({ inputRequests: { user_name: askName() } });
      return text(`Hello, ${answer.name}!`);
    },
  );

  server.registerTool(
    'test_input_required_result_sampling',
    { description: 'Asks the client for an LLM completion with an input_required sampling request.', inputSchema: NO_ARGS },
    async (_args, ctx): Promise<ToolOutcome> => {
      const reply = sampledText(ctx, 'capital_question');
      if (reply === undefined) {
        return inputRequired({ inputRequests: { capital_question: askSample('What is the capital of France?', 100) } });
      }
      return text(`Sampling response: ${reply}`);
    },
  );

  server.registerTool(
    'test_input_required_result_list_roots',
    { description: 'Asks the client for its roots with an input_required roots/list request.', inputSchema: NO_ARGS },
    async (_args, ctx): Promise<ToolOutcome> => {
      const roots = rootUris(ctx, 'client_roots');
      if (!roots) return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
      return text(`Client roots (${roots.length}): ${roots.join(', ') || 'none'}`);
    },
  );

  server.registerTool(
    'test_input_required_result_request_state',
    { description: 'Round-trips a signed requestState alongside a confirmation request.', inputSchema: NO_ARGS },
    async (_args, ctx): Promise<ToolOutcome> => {
      const carried = state(ctx);
      const confirmed = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', ConfirmAnswer);
      if (carried?.flow === 'request_state' && confirmed) {
        return text(`state-ok: signed requestState verified (nonce ${carried.nonce.slice(0, 8)}), confirmation ok=${confirmed.ok}`);
      }
      return inputRequired({
        inputRequests: { confirm: askConfirm() },
        requestState: await codec.mint({ flow: 'request_state', nonce: randomUUID() }, ctx),
      });
    },
  );

  server.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'Asks for an elicitation, a sampling and a roots answer in one input_required round.', inputSchema: NO_ARGS },
    async (_args, ctx): Promise<ToolOutcome> => {
      const name = acceptedContent(ctx.mcpReq.inputResponses, 'user_name', NameAnswer)?.name;
      const greeting = sampledText(ctx, 'greeting');
      const roots = rootUris(ctx, 'client_roots');
      if (state(ctx)?.flow === 'multiple_inputs' && name !== undefined && greeting !== undefined && roots) {
        return text(`${greeting} ${name}; ${roots.length} root(s) shared`);
      }
      // Only the latest round's answers come back, so a partial answer set
      // cannot be completed later: ask for all three again.
      return inputRequired({
        inputRequests: {
          user_name: askName(),
          greeting: askSample('Generate a greeting', 50),
          client_roots: inputRequired.listRoots(),
        },
        requestState: await codec.mint({ flow: 'multiple_inputs', nonce: randomUUID() }, ctx),
      });
    },
  );

  server.registerTool(
    'test_input_required_result_multi_round',
    { description: 'Two sequential elicitation rounds; the signed requestState carries the progress.', inputSchema: NO_ARGS },
    async (_args, ctx): Promise<ToolOutcome> => {
      const carried = state(ctx);
      const round = carried?.flow === 'multi_round' ? carried.round ?? 0 : 0;
      if (round === 1) {
        const answer = acceptedContent(ctx.mcpReq.inputResponses, 'step1', NameAnswer);
        if (answer) {
          return inputRequired({
            inputRequests: {
              step2: inputRequired.elicit({
                message: 'Step 2: What is your favorite color?',
                requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] },
              }),
            },
            requestState: await codec.mint({ flow: 'multi_round', round: 2, name: answer.name, nonce: randomUUID() }, ctx),
          });
        }
      }
      if (round === 2) {
        const answer = acceptedContent(ctx.mcpReq.inputResponses, 'step2', ColorAnswer);
        if (answer) return text(`Multi-round complete: ${carried?.name ?? 'someone'} likes ${answer.color}`);
      }
      if (round === 2 && carried) {
        // Step 2 unanswered: ask again, keeping what step 1 established.
        return inputRequired({
          inputRequests: {
            step2: inputRequired.elicit({
              message: 'Step 2: What is your favorite color?',
              requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] },
            }),
          },
          requestState: await codec.mint({ ...carried, nonce: randomUUID() }, ctx),
        });
      }
      return inputRequired({
        inputRequests: { step1: askName('Step 1: What is your name?') },
        requestState: await codec.mint({ flow: 'multi_round', round: 1, nonce: randomUUID() }, ctx),
      });
    },
  );

  server.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'Issues a signed requestState; a retry whose state fails verification is refused with -32602.', inputSchema: NO_ARGS },
    async (_args, ctx): Promise<ToolOutcome> => {
      const carried = state(ctx);
      if (carried?.flow === 'tampered_state' && acceptedContent(ctx.mcpReq.inputResponses, 'confirm', ConfirmAnswer)) {
        return text('integrity-ok: requestState verified');
      }
      return inputRequired({
        inputRequests: { confirm: askConfirm() },
        requestState: await codec.mint({ flow: 'tampered_state', nonce: randomUUID() }, ctx),
      });
    },
  );

  server.registerTool(
    'test_input_required_result_capabilities',
    { description: 'Asks only for the kinds of input the request\'s declared client capabilities allow.', inputSchema: NO_ARGS },
    async (_args, ctx): Promise<ToolOutcome> => {
      if (ctx.mcpReq.inputResponses && Object.keys(ctx.mcpReq.inputResponses).length > 0) {
        return text('capability-scoped input received');
      }
      // The published typings leave the envelope untyped; the SDK has already
      // checked that the key holds a capabilities object.
      const envelope: Record<string, unknown> = ctx.mcpReq.envelope ?? {};
      const declared = (envelope[CLIENT_CAPABILITIES_META_KEY] ?? {}) as ClientCapabilities;
      const wanted: InputRequests = {};
      if (declared.elicitation !== undefined) wanted.user_name = askName();
      if (declared.sampling !== undefined) wanted.greeting = askSample('Generate a short greeting', 50);
      if (declared.roots !== undefined) wanted.client_roots = inputRequired.listRoots();
      if (Object.keys(wanted).length === 0) return text('the client declared no capability that can answer an input request');
      return inputRequired({ inputRequests: wanted });
    },
  );

  server.registerPrompt(
    'test_input_required_result_prompt',
    { title: 'Input-required prompt', description: 'Asks (via input_required) for context before rendering.' },
    async (ctx): Promise<GetPromptResult | InputRequiredResult> => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, 'user_context', ContextAnswer);
      if (!answer) {
        return inputRequired({
          inputRequests: {
            user_context: inputRequired.elicit({
              message: 'What context should the prompt use?',
              requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] },
            }),
          },
        });
      }
      return {
        description: 'Prompt rendered with the context the user supplied',
        messages: [{ role: 'user', content: { type: 'text', text: `Use the following context: ${answer.context}` } }],
      };
    },
  );
}
