/**
 * The layers of src/ flow one way. Every folder has a rank; a file may import
 * from its own folder or from a folder of lower rank, never from a higher one
 * or a sibling of the same rank. The graph is derived from the source with
 * TypeScript's own pre-processor, so type-only imports, `export … from` and
 * dynamic `import()` count like any other. Tests beside the code
 * (`*.test.ts`) are harnesses and may reach anywhere.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

/** Bottom to top; the README's Layout section says what each folder owns. */
export const LAYERS: ReadonlyArray<readonly string[]> = [
  ['contracts'],
  ['util'],
  ['redaction'],
  ['collectors'],
  ['diagnostics'],
  ['snapshots'],
  ['definitions'],
  ['runbooks'],
  ['tools', 'resources', 'prompts'],
  ['catalogue'],
  ['server'],
  ['http'],
  ['app'],
];

/**
 * Node modules that read or write the outside world (files, programs, sockets). Only the layers that own I/O may
 * import them: collectors read the host, http serves and writes its logs, app reads its own config. Everything
 * between works on what collectors return, so a fixture tree or a recorded output drives it whole.
 */
const IO_MODULES = new Set(['fs', 'fs/promises', 'child_process', 'net', 'dgram', 'http', 'https', 'http2', 'tls']);
const IO_LAYERS = new Set(['collectors', 'http', 'app']);

const RANK = new Map<string, number>(LAYERS.flatMap((folders, rank) => folders.map((f) => [f, rank] as const)));

export interface Violation {
  file: string;
  line: number;
  target: string;
  why: string;
}

/** The top folder under src/ of a src-relative path ('' for a file directly in src/). */
function folderOf(srcRelative: string): string {
  const parts = srcRelative.split(sep);
  return parts.length > 1 ? (parts[0] ?? '') : '';
}

/**
 * Every import in `files` (src-relative path → source text) that breaks the
 * layering, with its file and line. Imports of packages are not judged here.
 */
export function layerViolations(files: ReadonlyMap<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [file, text] of files) {
    const from = folderOf(file);
    const fromRank = RANK.get(from);
    if (fromRank === undefined) {
      out.push({ file, line: 1, target: '', why: `"${from || 'src/'}" is not a layer: every file lives in one of ${[...RANK.keys()].join(', ')}` });
      continue;
    }
    const info = ts.preProcessFile(text, true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) {
        const bare = ref.fileName.replace(/^node:/, '');
        if (IO_MODULES.has(bare) && !IO_LAYERS.has(from)) {
          const line = ts.getLineAndCharacterOfPosition(ts.createSourceFile(file, text, ts.ScriptTarget.Latest), ref.pos).line + 1;
          out.push({ file, line, target: ref.fileName, why: `${from} does I/O itself (${ref.fileName}); only ${[...IO_LAYERS].join(', ')} may` });
        }
        continue;
      }
      const target = relative('/src', resolve('/src', dirname(file), ref.fileName));
      const to = folderOf(target);
      if (to === from) continue;
      const toRank = RANK.get(to);
      const line = ts.getLineAndCharacterOfPosition(ts.createSourceFile(file, text, ts.ScriptTarget.Latest), ref.pos).line + 1;
      if (toRank === undefined) out.push({ file, line, target, why: `imports outside the layers (${to || 'src/'})` });
      else if (toRank > fromRank) out.push({ file, line, target, why: `${from} (layer ${fromRank}) imports ${to} (layer ${toRank}), a higher layer` });
      else if (toRank === fromRank) out.push({ file, line, target, why: `${from} imports its sibling ${to} (both layer ${fromRank})` });
    }
  }
  return out;
}

/** Folder → folders it imports; used to show the graph has no cycle at all. */
export function folderGraph(files: ReadonlyMap<string, string>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [file, text] of files) {
    const from = folderOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const to = folderOf(relative('/src', resolve('/src', dirname(file), ref.fileName)));
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** A cycle in the graph as a list of folders, or null. */
export function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const found = visit(node);
    if (found) return found;
  }
  return null;
}

function sourceFiles(): Map<string, string> {
  const src = resolve(dirname(new URL(import.meta.url).pathname), '..', 'src');
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.set(relative(src, p), readFileSync(p, 'utf8'));
    }
  };
  walk(src);
  return out;
}

const report = (v: readonly Violation[]): string => v.map((x) => `src/${x.file}:${x.line} → ${x.target}: ${x.why}`).join('\n');

describe('architecture: one-way layers', () => {
  const files = sourceFiles();

  it('reads the whole tree (every layer has files)', () => {
    const folders = new Set([...files.keys()].map(folderOf));
    for (const folder of RANK.keys()) assert.ok(folders.has(folder), `no file in src/${folder}`);
  });

  it('no file imports a higher layer or a sibling (type-only imports included), and only the I/O layers touch files, programs and sockets', () => {
    const violations = layerViolations(files);
    assert.equal(violations.length, 0, `upward imports:\n${report(violations)}`);
  });

  it('the folder import graph has no cycle', () => {
    assert.equal(findCycle(folderGraph(files)), null);
  });

  it('catches a planted upward import, naming the file and line', () => {
    const planted = new Map(files);
    planted.set(
      join('collectors', 'planted.ts'),
      "import { readFileSync } from 'node:fs';\n\nimport type { Services } from '../definitions/host-services.js';\nexport const x = 1;\n",
    );
    planted.set(join('diagnostics', 'planted-dynamic.ts'), "export const load = () => import('../server/build.js');\n");
    planted.set(join('tools', 'planted-sibling.ts'), "export { x } from '../prompts/triage.js';\n");
    planted.set('stray.ts', 'export const y = 2;\n');
    planted.set(join('diagnostics', 'planted-io.ts'), "import { readFileSync } from 'node:fs';\nexport const z = readFileSync;\n");
    const plantedNames = new Set([join('collectors', 'planted.ts'), join('diagnostics', 'planted-dynamic.ts'), join('tools', 'planted-sibling.ts'), join('diagnostics', 'planted-io.ts'), 'stray.ts']);
    const found = layerViolations(planted).filter((v) => plantedNames.has(v.file));
    assert.deepEqual(
      found.map((v) => `${v.file}:${v.line} ${v.target}`).sort(),
      [
        `collectors${sep}planted.ts:3 definitions${sep}host-services.js`,
        `diagnostics${sep}planted-dynamic.ts:1 server${sep}build.js`,
        `diagnostics${sep}planted-io.ts:1 node:fs`,
        'stray.ts:1 ',
        `tools${sep}planted-sibling.ts:1 prompts${sep}triage.js`,
      ].sort(),
    );
    assert.match(report(found), /src\/collectors\/planted\.ts:3 → definitions\/host-services\.js: collectors \(layer \d+\) imports definitions \(layer \d+\), a higher layer/);
    const cyclic = folderGraph(planted);
    assert.ok(findCycle(cyclic), 'the planted collectors → definitions edge closes a cycle');
  });
});
