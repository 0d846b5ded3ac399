/**
 * Prompt registration, with argument completion. A prompt is built for the
 * request's principal (what it embeds is filtered by its scopes, e.g. the
 * sections of a snapshot; reader-scope.ts), from arguments clipped to
 * MAX_ARG_CHARS, and every message text is redacted and clipped to
 * MAX_PROMPT_CHARS: a prompt echoes nothing unredacted or unbounded.
 */
import { completable } from '@modelcontextprotocol/server';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { PromptDefinition } from '../definitions/types.js';
import type { Services } from '../definitions/host-services.js';
import { redact } from '../redaction/redact.js';
import { readerOf } from './principal.js';

/** Longest string argument passed on to a prompt (the schemas' own maxima are lower; this holds for any prompt). */
const MAX_ARG_CHARS = 500;
/** Longest message text a prompt returns. */
const MAX_PROMPT_CHARS = 24_000;

function clipped(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…[+${text.length - max} chars]` : text;
}

function clipArgs(args: unknown): unknown {
  if (args === null || typeof args !== 'object') return args;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args as Record<string, unknown>)) out[k] = typeof v === 'string' ? clipped(v, MAX_ARG_CHARS) : v;
  return out;
}

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
    async (args: unknown, ctx) => {
      // An argument the prompt cannot use throws invalid_argument: -32602 (shared.ts answers through error-mapping.ts).
      const messages = prompt.build(clipArgs(args) as never, services, readerOf(ctx?.http?.authInfo));
      return {
        description: prompt.description,
        messages: messages.map((m) => ({ role: m.role, content: { type: 'text' as const, text: clipped(redact(m.text).text, MAX_PROMPT_CHARS) } })),
      };
    },
  );
}
