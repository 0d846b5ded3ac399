/** Prompt registration, with argument completion. */
import { completable, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { PromptArgumentError } from '../catalogue/types.js';
import type { PromptDefinition } from '../catalogue/types.js';
import type { Services } from '../catalogue/services.js';

/**
 * Prompt argument schemas carry completion metadata that the SDK attaches to
 * the schema object itself, so each is built once per (services, prompt) and
 * reused by every McpServer instance.
 */
const promptSchemas = new WeakMap<Services, Map<string, z.ZodObject>>();

function promptArgsSchema(prompt: PromptDefinition, services: Services): z.ZodObject {
  let cache = promptSchemas.get(services);
  if (!cache) {
    cache = new Map();
    promptSchemas.set(services, cache);
  }
  const cached = cache.get(prompt.name);
  if (cached) return cached;
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(prompt.args.shape as Record<string, z.ZodType>)) {
    const complete = (prompt.complete as Record<string, ((v: string, s: Services) => string[]) | undefined> | undefined)?.[key];
    if (!complete) {
      shape[key] = field;
      continue;
    }
    // The SDK looks for completion metadata inside .optional(), so wrap the inner type.
    const optional = field instanceof z.ZodOptional;
    const inner = optional ? (field.unwrap() as z.ZodType) : field;
    // completable() brands the schema object itself, so brand a private copy: the
    // definitions' schemas are shared by every Services in the process.
    const wrapped = completable(inner.clone(), (value) => complete(String(value ?? ''), services));
    shape[key] = optional ? wrapped.optional() : wrapped;
  }
  const schema = z.object(shape);
  cache.set(prompt.name, schema);
  return schema;
}

export function registerPrompt(server: McpServer, prompt: PromptDefinition, services: Services): void {
  server.registerPrompt(
    prompt.name,
    { title: prompt.title, description: prompt.description, argsSchema: promptArgsSchema(prompt, services) },
    async (args: unknown) => {
      let messages;
      try {
        messages = prompt.build(args as never, services);
      } catch (error) {
        if (error instanceof PromptArgumentError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
        throw error;
      }
      return {
        description: prompt.description,
        messages: messages.map((m) => ({ role: m.role, content: { type: 'text' as const, text: m.text } })),
      };
    },
  );
}
