/**
 * Conformance fixture resources and prompts: static text and binary
 * resources, a URI template, a subscribable "watched" resource, and the
 * prompts the prompts-* and completion scenarios fetch.
 */
import type { GetPromptResult, McpServer, ReadResourceResult } from '@modelcontextprotocol/server';
import { completable, ResourceTemplate } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';

import { handleResourceSubscriptions } from '../../src/server/subscriptions.js';
import type { SubscriptionSink } from '../../src/server/subscriptions.js';
import { PNG_BASE64 } from './media.js';

export const WATCHED_RESOURCE_URI = 'test://watched-resource';

/** Values offered by completion/complete; filtered by the typed prefix. */
const ARG1_SUGGESTIONS = ['alpha', 'bravo', 'charlie', 'test-value', 'testing'];
const TEMPLATE_IDS = ['1', '42', '123'];

const byPrefix = (values: readonly string[], prefix: string | undefined): string[] =>
  values.filter((value) => value.startsWith(prefix ?? ''));

export function registerResourceFixtures(server: McpServer, subscriptions?: SubscriptionSink): void {
  server.registerResource(
    'static-text',
    'test://static-text',
    { title: 'Static text', description: 'A fixed plain-text resource.', mimeType: 'text/plain' },
    async (uri): Promise<ReadResourceResult> => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
    }),
  );

  server.registerResource(
    'static-binary',
    'test://static-binary',
    { title: 'Static binary', description: 'A fixed 1x1 PNG image, as a base64 blob.', mimeType: 'image/png' },
    async (uri): Promise<ReadResourceResult> => ({
      contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG_BASE64 }],
    }),
  );

  server.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', {
      list: undefined,
      complete: { id: (value) => byPrefix(TEMPLATE_IDS, value) },
    }),
    { title: 'Templated data', description: 'JSON data for the id in the URI.', mimeType: 'application/json' },
    async (uri, variables): Promise<ReadResourceResult> => {
      const id = Array.isArray(variables.id) ? variables.id.join(',') : String(variables.id ?? '');
      return {
        contents: [
          {
            uri: uri.href,
            mimeType: 'application/json',
            text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
          },
        ],
      };
    },
  );

  server.registerResource(
    'watched-resource',
    WATCHED_RESOURCE_URI,
    { title: 'Watched resource', description: 'A resource clients may subscribe to for update notifications.', mimeType: 'text/plain' },
    async (uri): Promise<ReadResourceResult> => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }],
    }),
  );

  // 2025-era per-resource subscriptions: the product's own handlers, so the HTTP
  // app's notify fan-out reaches subscribed sessions. The 2026-07-28 era has no
  // such methods (the SDK answers them with -32601) and uses subscriptions/listen.
  handleResourceSubscriptions(server, () => true, undefined, subscriptions);
}

export function registerPromptFixtures(server: McpServer): void {
  server.registerPrompt(
    'test_simple_prompt',
    { title: 'Simple prompt', description: 'A prompt without arguments.' },
    async (): Promise<GetPromptResult> => ({
      messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
    }),
  );

  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      title: 'Prompt with arguments',
      description: 'Echoes its two required arguments; arg1 supports completion.',
      argsSchema: z.object({
        arg1: completable(z.string().describe('First test argument'), (value) => byPrefix(ARG1_SUGGESTIONS, value)),
        arg2: z.string().describe('Second test argument'),
      }),
    },
    async ({ arg1, arg2 }): Promise<GetPromptResult> => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }],
    }),
  );

  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      title: 'Prompt with embedded resource',
      description: 'Embeds the resource named by resourceUri, followed by an instruction.',
      argsSchema: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }),
    },
    async ({ resourceUri }): Promise<GetPromptResult> => ({
      messages: [
        {
          role: 'user',
          content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );

  server.registerPrompt(
    'test_prompt_with_image',
    { title: 'Prompt with image', description: 'An image message followed by a text message.' },
    async (): Promise<GetPromptResult> => ({
      messages: [
        { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  );
}
