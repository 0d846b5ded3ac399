/**
 * Phase `context`: what tools/list costs a model's context and a client's CPU.
 *
 * The tools/list of the real product server, per toolset: the product factory and createHttpApp
 * in-process (no socket), one modern-era tools/list through app.fetch per selection of toolsets
 * (`core`, each other toolset alone, and all of them), and one legacy initialize for the server
 * instructions. Per selection:
 *  - model-visible bytes: UTF-8 JSON of {name, title, description, inputSchema} per tool, summed
 *    (what a client puts into the model's context for each tool), and an estimated token count;
 *  - output schema bytes: UTF-8 JSON of each tool's outputSchema, total and per tool on average
 *    (clients that validate structuredContent compile these; few show them to the model).
 *
 * Client compile time: the SDK client's own validator (AjvJsonSchemaValidator, which Client uses for
 * every tool's outputSchema on the first callTool after a tools/list; SDK v1 clients did it on every
 * listTools) compiling every outputSchema of the all-toolsets list, beside a baseline measured in
 * the same run: the same number of the bench echo tool's trivial output schema ({echo: string}).
 * Rounds alternate between the two, each on a fresh validator whose engine is warmed by one trivial
 * compile first (so neither side pays for building Ajv); reported as p50 ms and the ratio of p50s.
 *
 * Targets: model-visible ≤ 16 KB for core, output schemas ≤ 2.5 KB per tool on average (all tools);
 * KB = 1,000 bytes.
 */
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import type { JsonSchemaType } from '@modelcontextprotocol/client';
import { productCatalogue } from '../src/catalogue/index.js';
import { TOOLSETS } from '../src/contracts/scopes.js';
import type { Toolset } from '../src/contracts/scopes.js';
import { createHttpApp } from '../src/http/app.js';
import { createProductFactory } from '../src/app/product-factory.js';
import { benchServices, captureLogger } from './server-env.js';
import { now, round, roundSummary, summarize, table } from './stats.js';
import type { Summary } from './stats.js';
import { INITIALIZE, legacyHeaders, modernRequest, resultOf } from './wire.js';

export const CONTEXT_TARGETS = { coreVisibleBytes: 16_000, outputBytesPerTool: 2_500 } as const;

export interface ContextOptions {
  /** Compile rounds per side (hostlens schemas, baseline). */
  rounds: number;
  log: (line: string) => void;
}

export interface ToolsetFootprint {
  /** `core`, another toolset alone, or `all`. */
  toolsets: string;
  tools: number;
  visibleBytes: number;
  visibleTokens: number;
  outputBytes: number;
  outputBytesPerTool: number;
  /** The largest tools by model-visible bytes, for where to look next. */
  largest: Array<{ tool: string; visibleBytes: number; outputBytes: number }>;
}

export interface ContextResult {
  footprints: ToolsetFootprint[];
  /** initialize's instructions (model-visible too, once per server rather than per tool). */
  instructionsBytes: number;
  tokenEstimator: string;
  compile: { tools: number; rounds: number; hostlensMs: Summary; baselineMs: Summary; ratio: number };
  table: string;
}

interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: unknown;
  outputSchema?: unknown;
}

export const TOKEN_ESTIMATOR =
  'char classes: a letter run split at camelCase, one token per ≤ 8 letters of each piece; one per ≤ 3 digits; one per 2 adjacent punctuation characters; one per other non-ASCII character; spaces free';

/**
 * A tokenizer-free estimate of BPE tokens (cl100k/o200k-like vocabularies): common English words and
 * camelCase pieces are one token, numbers split in groups of three, JSON punctuation merges in pairs
 * (`":`, `",`, `{"`). Good to perhaps ±20 %; meant for before/after comparisons, not billing.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  for (const run of text.match(/[A-Za-z]+|[0-9]+|\s+|[!-/:-@[-`{-~]+|[^\x00-\x7f]/g) ?? []) {
    const c = run.charCodeAt(0);
    if (/[A-Za-z]/.test(run[0] ?? '')) {
      for (const piece of run.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])/g) ?? []) tokens += Math.ceil(piece.length / 8);
    } else if (c >= 48 && c <= 57) tokens += Math.ceil(run.length / 3);
    else if (/\s/.test(run)) continue;
    else if (c < 128) tokens += Math.ceil(run.length / 2);
    else tokens += 1;
  }
  return tokens;
}

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** The model-visible part of one listed tool. */
const visiblePart = (t: ListedTool): string => JSON.stringify({ name: t.name, title: t.title, description: t.description, inputSchema: t.inputSchema });

async function listTools(toolsets: readonly Toolset[]): Promise<{ tools: ListedTool[]; instructions: string }> {
  const factory = createProductFactory({ services: benchServices(), toolsets });
  const app = createHttpApp({ factory, host: '127.0.0.1', port: 0, logger: captureLogger([]), version: 'bench' });
  try {
    const ask = async (headers: Record<string, string>, body: string, what: string): Promise<Record<string, unknown>> => {
      const response = await app.fetch(new Request('http://127.0.0.1/mcp', { method: 'POST', headers: { ...headers, host: '127.0.0.1' }, body }));
      const text = await response.text();
      return resultOf({ status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? '' }, body: text }, what);
    };
    const { headers, body } = modernRequest(1, 'tools/list', {});
    const listed = await ask(headers, body, `tools/list (${toolsets.join(',')})`);
    const init = await ask(legacyHeaders(), INITIALIZE, 'initialize');
    if (typeof listed.nextCursor === 'string') throw new Error('tools/list answered in pages; the bench reads one page');
    return { tools: listed.tools as ListedTool[], instructions: typeof init.instructions === 'string' ? init.instructions : '' };
  } finally {
    await app.close().catch(() => undefined);
  }
}

function footprint(label: string, tools: readonly ListedTool[]): ToolsetFootprint {
  const per = tools.map((t) => ({ tool: t.name, visible: visiblePart(t), outputBytes: t.outputSchema === undefined ? 0 : bytes(t.outputSchema) }));
  const visibleBytes = per.reduce((n, t) => n + Buffer.byteLength(t.visible, 'utf8'), 0);
  const outputBytes = per.reduce((n, t) => n + t.outputBytes, 0);
  return {
    toolsets: label,
    tools: tools.length,
    visibleBytes,
    visibleTokens: per.reduce((n, t) => n + estimateTokens(t.visible), 0),
    outputBytes,
    outputBytesPerTool: tools.length ? Math.round(outputBytes / tools.length) : 0,
    largest: per
      .map((t) => ({ tool: t.tool, visibleBytes: Buffer.byteLength(t.visible, 'utf8'), outputBytes: t.outputBytes }))
      .sort((a, b) => b.visibleBytes - a.visibleBytes)
      .slice(0, 3),
  };
}

/** The bench echo tool's output schema (bench/targets/load-target.ts), as the SDK lists it. */
const TRIVIAL_OUTPUT_SCHEMA = JSON.stringify({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { echo: { type: 'string' } },
  required: ['echo'],
  additionalProperties: false,
});

/** ms to compile `schemas` (fresh objects, so Ajv's per-object cache never answers) on a fresh, warmed validator. */
function compileMs(schemas: readonly string[]): number {
  const validator = new AjvJsonSchemaValidator();
  validator.getValidator(JSON.parse(TRIVIAL_OUTPUT_SCHEMA) as JsonSchemaType);
  const objects = schemas.map((s) => JSON.parse(s) as JsonSchemaType);
  const t0 = now();
  for (const schema of objects) validator.getValidator(schema);
  return now() - t0;
}

export async function runContext(options: ContextOptions): Promise<ContextResult> {
  const { log } = options;
  const selections: Array<{ label: string; toolsets: readonly Toolset[] }> = [
    { label: 'core', toolsets: ['core'] },
    ...TOOLSETS.filter((s) => s !== 'core' && productCatalogue.tools.some((t) => t.toolset === s)).map((s) => ({ label: s, toolsets: [s] })),
    { label: 'all', toolsets: TOOLSETS },
  ];
  const empty = TOOLSETS.filter((s) => !productCatalogue.tools.some((t) => t.toolset === s));
  const footprints: ToolsetFootprint[] = [];
  let instructions = '';
  let all: ListedTool[] = [];
  for (const s of selections) {
    const listed = await listTools(s.toolsets);
    footprints.push(footprint(s.label, listed.tools));
    instructions = listed.instructions;
    if (s.label === 'all') all = listed.tools;
  }
  if (empty.length) log(`  toolsets without tools (not listed): ${empty.join(', ')}`);

  const outputs = all.filter((t) => t.outputSchema !== undefined).map((t) => JSON.stringify(t.outputSchema));
  const trivial = outputs.map(() => TRIVIAL_OUTPUT_SCHEMA);
  const hostlensMs: number[] = [];
  const baselineMs: number[] = [];
  compileMs(outputs); // warm-up: JIT, Ajv's own first-use costs
  compileMs(trivial);
  for (let r = 0; r < options.rounds; r++) {
    hostlensMs.push(compileMs(outputs));
    baselineMs.push(compileMs(trivial));
  }
  const h = roundSummary(summarize(hostlensMs));
  const b = roundSummary(summarize(baselineMs));
  const compile = { tools: outputs.length, rounds: options.rounds, hostlensMs: h, baselineMs: b, ratio: round(h.p50 / b.p50, 1) };
  log(`  ${outputs.length} output schemas compiled ${options.rounds} times per side`);

  const kb = (n: number): string => (n / 1000).toFixed(1);
  const rows = footprints.map((f) => [
    f.toolsets,
    String(f.tools),
    kb(f.visibleBytes),
    String(f.visibleTokens),
    kb(f.outputBytes),
    kb(f.outputBytesPerTool),
    f.largest.map((l) => `${l.tool} ${kb(l.visibleBytes)}`).join(', '),
  ]);
  const core = footprints.find((f) => f.toolsets === 'core');
  const whole = footprints.find((f) => f.toolsets === 'all');
  const lines = [
    table(['toolsets', 'tools', 'visible KB', '≈ tokens', 'output KB', 'output KB/tool', 'largest model-visible (KB)'], rows),
    '',
    `model-visible, core: ${kb(core?.visibleBytes ?? 0)} KB (target ≤ ${kb(CONTEXT_TARGETS.coreVisibleBytes)} KB); output schemas, all: ${kb(whole?.outputBytesPerTool ?? 0)} KB per tool (target ≤ ${kb(CONTEXT_TARGETS.outputBytesPerTool)} KB)`,
    `server instructions (initialize, once per server): ${instructions.length ? kb(Buffer.byteLength(instructions, 'utf8')) : '0'} KB, ≈ ${estimateTokens(instructions)} tokens`,
    `client compile of ${compile.tools} output schemas (SDK AjvJsonSchemaValidator): p50 ${h.p50} ms, p90 ${h.p90} ms; baseline (${compile.tools} × the echo tool's {echo: string}) p50 ${b.p50} ms; ratio ${compile.ratio}×`,
    `≈ tokens: ${TOKEN_ESTIMATOR}`,
  ];
  return { footprints, instructionsBytes: Buffer.byteLength(instructions, 'utf8'), tokenEstimator: TOKEN_ESTIMATOR, compile, table: lines.join('\n') };
}
