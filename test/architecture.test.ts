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

/**
 * Dead exports: an export of a src/ module (tests beside the code excepted)
 * that no file of src/, test/ or bench/ imports is either used only in its
 * own file (then it need not be exported) or not used at all (then it goes).
 * Found from the syntax alone (TypeScript's parser, no type check), over
 * every form an export can be reached by: named, default and namespace
 * imports, `export … from` and `export * from` chains, `import('…').Name`
 * types and dynamic `import()` (a destructured one reaches only the names it
 * takes). hostlens is a program, not a library (package.json has a bin and
 * no main), so no module's exports count as public API by themselves.
 */
interface DeadExport {
  file: string;
  line: number;
  name: string;
}

interface ModuleFacts {
  /** Exported names declared or listed in this module → line. */
  own: Map<string, number>;
  /** `export { original as name } from` (and `export * as name from`: original '*'). */
  named: Map<string, { from: string; original: string; line: number }>;
  /** `export * from`. */
  stars: string[];
  /** What this module takes from other modules: name, or '*' for all of them. */
  uses: Array<{ from: string; name: string }>;
}

/** The repo-relative .ts file a relative specifier names, or null (packages, node: builtins). */
function resolveSpecifier(fromFile: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const target = join(dirname(fromFile), spec);
  return target.endsWith('.js') ? `${target.slice(0, -3)}.ts` : target.endsWith('.ts') ? target : `${target}.ts`;
}

function moduleFacts(file: string, text: string): ModuleFacts {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const facts: ModuleFacts = { own: new Map(), named: new Map(), stars: [], uses: [] };
  const lineOf = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const bindingNames = (name: ts.BindingName): ts.Identifier[] =>
    ts.isIdentifier(name) ? [name] : name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(e.name)));
  const use = (spec: string, name: string): void => {
    const from = resolveSpecifier(file, spec);
    if (from !== null) facts.uses.push({ from, name });
  };
  for (const statement of source.statements) {
    const modifiers = ts.canHaveModifiers(statement) ? (ts.getModifiers(statement) ?? []) : [];
    const exported = modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    const isDefault = modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
    if (exported && ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) for (const id of bindingNames(d.name)) facts.own.set(id.text, lineOf(id));
    } else if (exported && (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement) || ts.isModuleDeclaration(statement))) {
      const name = isDefault ? 'default' : statement.name && ts.isIdentifier(statement.name) ? statement.name.text : undefined;
      if (name) facts.own.set(name, lineOf(statement));
    } else if (ts.isExportAssignment(statement)) {
      facts.own.set('default', lineOf(statement));
    } else if (ts.isExportDeclaration(statement)) {
      const spec = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
      const from = spec === undefined ? null : resolveSpecifier(file, spec);
      const clause = statement.exportClause;
      if (spec === undefined && clause && ts.isNamedExports(clause)) {
        for (const e of clause.elements) facts.own.set(e.name.text, lineOf(e));
      } else if (from !== null && clause && ts.isNamedExports(clause)) {
        for (const e of clause.elements) facts.named.set(e.name.text, { from, original: (e.propertyName ?? e.name).text, line: lineOf(e) });
      } else if (from !== null && clause && ts.isNamespaceExport(clause)) {
        facts.named.set(clause.name.text, { from, original: '*', line: lineOf(clause) });
      } else if (from !== null) {
        facts.stars.push(from);
      }
    } else if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const spec = statement.moduleSpecifier.text;
      const clause = statement.importClause;
      if (clause?.name) use(spec, 'default');
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) use(spec, '*');
      else if (bindings) for (const e of bindings.elements) use(spec, (e.propertyName ?? e.name).text);
    }
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      let q: ts.EntityName | undefined = node.qualifier;
      while (q && ts.isQualifiedName(q)) q = q.left;
      use(node.argument.literal.text, q ? q.text : '*');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      const spec = node.arguments[0].text;
      const awaited = ts.isAwaitExpression(node.parent) ? node.parent : undefined;
      const declared = awaited && ts.isVariableDeclaration(awaited.parent) ? awaited.parent : undefined;
      if (declared && ts.isObjectBindingPattern(declared.name) && declared.name.elements.every((e) => !e.dotDotDotToken)) {
        for (const e of declared.name.elements) use(spec, (e.propertyName && ts.isIdentifier(e.propertyName) ? e.propertyName : (e.name as ts.Identifier)).text);
      } else {
        use(spec, '*');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return facts;
}

/**
 * Exports of `files` (repo-relative path → text) under src/, outside *.test.ts,
 * that nothing imports. Every file of the map is a consumer.
 */
function deadExports(files: ReadonlyMap<string, string>): DeadExport[] {
  const facts = new Map([...files].map(([file, text]) => [file, moduleFacts(file, text)] as const));
  const used = new Set<string>();
  const mark = (file: string, name: string): void => {
    const f = facts.get(file);
    if (!f) return;
    if (name === '*') {
      for (const n of [...f.own.keys(), ...f.named.keys()]) mark(file, n);
      for (const s of f.stars) if (!used.has(`${s}\0*`)) (used.add(`${s}\0*`), mark(s, '*'));
      return;
    }
    const key = `${file}\0${name}`;
    if (used.has(key)) return;
    used.add(key);
    const via = f.named.get(name);
    if (via) mark(via.from, via.original);
    else if (!f.own.has(name)) for (const s of f.stars) mark(s, name);
  };
  for (const f of facts.values()) for (const u of f.uses) mark(u.from, u.name);
  const dead: DeadExport[] = [];
  for (const [file, f] of facts) {
    if (!file.startsWith(`src${sep}`) || file.endsWith('.test.ts')) continue;
    for (const [name, line] of f.own) if (!used.has(`${file}\0${name}`)) dead.push({ file, line, name });
    for (const [name, { line }] of f.named) if (!used.has(`${file}\0${name}`)) dead.push({ file, line, name });
  }
  return dead.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** Every .ts file of src/, test/ and bench/ (fixtures included: some are modules), repo-relative. */
function repoFiles(): Map<string, string> {
  const repo = resolve(dirname(new URL(import.meta.url).pathname), '..');
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'results') walk(p);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.set(relative(repo, p), readFileSync(p, 'utf8'));
    }
  };
  for (const top of ['src', 'test', 'bench']) walk(join(repo, top));
  return out;
}

const reportDead = (dead: readonly DeadExport[]): string => dead.map((d) => `${d.file}:${d.line} ${d.name}`).join('\n');

describe('architecture: no dead exports', () => {
  const files = repoFiles();

  it('every export of src/ is imported by src/, test/ or bench/', () => {
    const dead = deadExports(files);
    assert.equal(dead.length, 0, `exported but imported nowhere (unexport what the file itself uses, delete the rest):\n${reportDead(dead)}`);
  });

  it('catches a planted unused export, a local listed for export and a barrel nothing imports; named, type, import(…) type, dynamic and star imports count', () => {
    const planted = new Map(files);
    const at = (...parts: string[]): string => join(...parts);
    planted.set(at('src', 'util', 'planted.ts'), 'export const unusedConst = 1;\nexport function usedByName(): void {}\nexport interface UsedAsType { a: number }\nexport const viaDynamic = 2;\nexport const viaStar = 3;\nconst local = 4;\nexport { local as listedLocal };\n');
    planted.set(at('src', 'util', 'planted-barrel.ts'), "export { unusedConst } from './planted.js';\nexport * from './planted.js';\n");
    planted.set(at('src', 'util', 'planted-user.ts'), "import { usedByName } from './planted.js';\nexport type T = import('./planted.js').UsedAsType;\nexport const load = async () => { const { viaDynamic } = await import('./planted.js'); return viaDynamic; };\nusedByName();\n");
    planted.set(at('test', 'planted-consumer.ts'), "import { load } from '../src/util/planted-user.js';\nimport type { T } from '../src/util/planted-user.js';\nimport { viaStar } from '../src/util/planted-barrel.js';\nexport const x: T | number = viaStar;\nvoid load;\n");
    const found = deadExports(planted).filter((d) => d.file.includes('planted'));
    assert.deepEqual(
      found.map((d) => `${d.file}:${d.line} ${d.name}`),
      [`${at('src', 'util', 'planted-barrel.ts')}:1 unusedConst`, `${at('src', 'util', 'planted.ts')}:1 unusedConst`, `${at('src', 'util', 'planted.ts')}:7 listedLocal`],
    );
  });
});
