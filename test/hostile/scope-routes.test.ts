/**
 * Read-time scope filtering over every route, as each of the 16 combinations
 * of {read, processes, logs, config} plus every-scope-with-admin (real HTTP,
 * in process, 2026-07-28 stateless): every tool of every toolset with minimal
 * arguments, every resource and template instance, every prompt (with a
 * secret in its free-text argument), every completion, snapshots captured by
 * an every-scope principal then read, diffed and embedded in incident_report.
 * Without hostlens:processes the planted command line never appears; without
 * hostlens:config neither the planted config path nor its content; a prompt
 * never echoes the secret; and a principal holding the scope does see the
 * markers through the indirect routes (snapshot, recent_changes), so each
 * assertion can fail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { productCatalogue } from '../../src/catalogue/index.js';
import type { Scope } from '../../src/contracts/scopes.js';
import { scopeOfTool } from '../../src/contracts/scopes.js';
import { exampleArgs } from '../support/tool-examples.js';
import { ARGV_MARKERS, BASE, CONFIG_MARKERS, CONFIG_PATH, modernCall, nameOf, PID, PROMPT_SECRET, scopeCombos, startHarness } from './scope-routes-harness.js';
import type { Answer, Harness } from './scope-routes-harness.js';

const ALL: Scope[] = scopeCombos().at(-1)!;
const OVERRIDES: Record<string, Record<string, unknown>> = {
  get_process: { pid: PID },
  get_cgroup: { target: { pid: PID } },
  top_processes: { sortBy: 'memory' },
  get_config: { path: CONFIG_PATH },
  recent_changes: { since: '-1d', limit: 200 },
};

function promptArgs(name: string, ids: string): Record<string, string> {
  const secret = `password=${PROMPT_SECRET}`;
  if (name === 'incident_report') return { startedAt: '2026-05-04T13:20:00Z', severity: 'sev2', summary: secret, snapshotIds: ids };
  if (name === 'investigate_service') return { unit: 'nginx', symptom: secret };
  if (name === 'capacity_review') return { horizonDays: '30' };
  if (name === 'change_correlation') return { since: '-1d', symptom: secret };
  return { symptom: secret };
}

interface Seen {
  scopes: Scope[];
  answers: Map<string, Answer>;
}

describe('every route filtered by the reader\'s scopes at read time', { timeout: 300_000 }, () => {
  let h: Harness;
  let snapA = '';
  let snapB = '';
  const seen: Seen[] = [];

  before(async () => {
    h = await startHarness();
    const capture = async (label: string): Promise<string> => {
      const r = await modernCall(h.url, ALL, 'tools/call', { name: 'capture_snapshot', arguments: { label } });
      const id = (r.message?.result?.structuredContent as { data?: { snapshotId?: string } } | undefined)?.data?.snapshotId;
      assert.ok(id, r.text.slice(0, 500));
      return id;
    };
    snapA = await capture('before');
    snapB = await capture('after');
    for (const scopes of scopeCombos()) {
      const answers = new Map<string, Answer>();
      const ask = async (key: string, method: string, params: Record<string, unknown> = {}): Promise<Answer> => {
        const a = await modernCall(h.url, scopes, method, params);
        answers.set(key, a);
        return a;
      };
      for (const tool of productCatalogue.tools) {
        const args = { ...exampleArgs(tool, { serverPid: PID }), ...(OVERRIDES[tool.name] ?? {}), ...(tool.name === 'diff_snapshots' ? { a: snapA, b: snapB } : {}) };
        await ask(`tool ${tool.name}`, 'tools/call', { name: tool.name, arguments: args });
      }
      const listed = await ask('resources/list', 'resources/list');
      const uris = new Set(((listed.message?.result?.resources ?? []) as Array<{ uri: string }>).map((r) => r.uri));
      for (const uri of ['diag://thresholds', 'diag://local/overview', 'diag://local/capabilities', 'diag://admin/audit', 'diag://runbooks/high-cpu', `diag://snapshots/${snapA}`, `diag://snapshots/${snapB}`, `diag://local/config${CONFIG_PATH}`]) uris.add(uri);
      for (const uri of uris) await ask(`read ${uri}`, 'resources/read', { uri });
      await ask('resources/templates/list', 'resources/templates/list');
      await ask('prompts/list', 'prompts/list');
      for (const prompt of productCatalogue.prompts) {
        await ask(`prompt ${prompt.name}`, 'prompts/get', { name: prompt.name, arguments: promptArgs(prompt.name, `${snapA},${snapB}`) });
        for (const arg of Object.keys(prompt.complete ?? {})) {
          await ask(`complete ${prompt.name}.${arg}`, 'completion/complete', { ref: { type: 'ref/prompt', name: prompt.name }, argument: { name: arg, value: '' } });
        }
      }
      for (const t of productCatalogue.templates ?? []) {
        for (const v of Object.keys(t.complete ?? {})) {
          await ask(`complete ${t.uriTemplate}.${v}`, 'completion/complete', { ref: { type: 'ref/resource', uri: t.uriTemplate }, argument: { name: v, value: '' } });
        }
      }
      seen.push({ scopes, answers });
    }
  });
  after(async () => {
    await h?.close();
  });

  test('the matrix ran every route for every combination', () => {
    assert.equal(seen.length, 17);
    const routes = seen[0]!.answers.size;
    assert.ok(routes >= productCatalogue.tools.length + productCatalogue.prompts.length + 8, `${routes} routes`);
    for (const s of seen) assert.equal(s.answers.size >= routes, true, nameOf(s.scopes));
  });

  test('a direct call beyond the scopes is 403; within them it is answered', () => {
    for (const { scopes, answers } of seen) {
      for (const tool of productCatalogue.tools) {
        const a = answers.get(`tool ${tool.name}`)!;
        assert.equal(a.status, scopes.includes(scopeOfTool(tool)) ? 200 : 403, `${nameOf(scopes)} ${tool.name}: ${a.text.slice(0, 200)}`);
      }
    }
  });

  test('without hostlens:processes the planted command line never appears, on any route', () => {
    for (const { scopes, answers } of seen) {
      if (scopes.includes('hostlens:processes')) continue;
      for (const [route, a] of answers) for (const m of ARGV_MARKERS) assert.ok(!a.text.includes(m), `${nameOf(scopes)} ${route} shows ${m}`);
    }
  });

  test('without hostlens:config neither the planted config path nor its content appears, on any route', () => {
    for (const { scopes, answers } of seen) {
      if (scopes.includes('hostlens:config')) continue;
      for (const [route, a] of answers) for (const m of CONFIG_MARKERS) assert.ok(!a.text.includes(m), `${nameOf(scopes)} ${route} shows ${m}`);
    }
  });

  test('no prompt ever echoes the secret passed as an argument', () => {
    for (const { scopes, answers } of seen) for (const [route, a] of answers) assert.ok(!a.text.includes(PROMPT_SECRET), `${nameOf(scopes)} ${route}`);
  });

  test('with the scope, the indirect routes do show the markers (so the tests above can fail)', () => {
    for (const { scopes, answers } of seen) {
      if (!scopes.includes('hostlens:read')) continue;
      const snapshot = answers.get(`read diag://snapshots/${snapA}`)!.text;
      const report = answers.get('prompt incident_report')!.text;
      const changes = answers.get('tool recent_changes')!.text;
      if (scopes.includes('hostlens:processes')) {
        assert.ok(snapshot.includes(ARGV_MARKERS[0]!), `${nameOf(scopes)}: the snapshot shows the command line`);
      } else {
        const body = JSON.parse((answers.get(`read diag://snapshots/${snapA}`)!.message!.result!.contents as Array<{ text: string }>)[0]!.text) as { sections: Record<string, { withheld?: boolean; requiredScope?: string }> };
        assert.deepEqual([body.sections.processesByCpu?.withheld, body.sections.processesByCpu?.requiredScope], [true, 'hostlens:processes'], nameOf(scopes));
        assert.match(report, /Withheld from this report.*processesByCpu \(needs hostlens:processes\)/, nameOf(scopes));
      }
      assert.equal(changes.includes(CONFIG_MARKERS[0]!), scopes.includes('hostlens:config'), `${nameOf(scopes)}: recent_changes lists the planted config file iff it holds hostlens:config`);
      assert.equal(answers.get(`read diag://local/config${CONFIG_PATH}`)!.text.includes(CONFIG_MARKERS[1]!), scopes.includes('hostlens:config'));
    }
  });

  test('triage and the overview suggest only tools the reader may call', () => {
    for (const { scopes, answers } of seen) {
      if (!scopes.includes('hostlens:read')) continue;
      const triage = answers.get('tool triage_host')!.message?.result?.structuredContent as { data: { nextSteps: Array<{ tool: string }> } };
      const overview = JSON.parse((answers.get('read diag://local/overview')!.message!.result!.contents as Array<{ text: string }>)[0]!.text) as { triage: { data: { nextSteps: Array<{ tool: string }> } } };
      for (const step of [...triage.data.nextSteps, ...overview.triage.data.nextSteps]) {
        const tool = productCatalogue.tools.find((t) => t.name === step.tool)!;
        assert.ok(scopes.includes(scopeOfTool(tool)), `${nameOf(scopes)} is told to call ${step.tool}`);
      }
    }
  });

  test('diff_snapshots: a reader without processes gets no figure, finding or status from the process sections', () => {
    for (const { scopes, answers } of seen) {
      const a = answers.get('tool diff_snapshots')!;
      if (a.status !== 200) continue;
      const d = a.message?.result?.structuredContent as { data: { changed: Array<{ path: string }> } };
      if (!scopes.includes('hostlens:processes')) assert.ok(!d.data.changed.some((c) => c.path.startsWith('processes')), nameOf(scopes));
    }
  });

  test('capture_snapshot shows its caller only its scopes; the stored sweep is whole for a stronger reader', async () => {
    const reader: Scope[] = ['hostlens:read'];
    const r = await modernCall(h.url, reader, 'tools/call', { name: 'capture_snapshot', arguments: { label: 'weak' } });
    const data = (r.message?.result?.structuredContent as { data: { snapshotId: string; summary: { withheldSections: Array<{ section: string; requiredScope: string }> } } }).data;
    assert.deepEqual(data.summary.withheldSections.map((w) => w.section).sort(), ['processesByCpu', 'processesByMemory']);
    const strong = await modernCall(h.url, ['hostlens:read', 'hostlens:processes'], 'resources/read', { uri: `diag://snapshots/${data.snapshotId}` });
    assert.ok(strong.text.includes(ARGV_MARKERS[0]!), 'the weak capture holds the whole sweep for a reader with the scope');
    const weak = await modernCall(h.url, reader, 'resources/read', { uri: `diag://snapshots/${data.snapshotId}` });
    assert.ok(!weak.text.includes(ARGV_MARKERS[0]!), 'and is filtered again for its own capturer');
  });

  test('completions: a prompt completion needs hostlens:read; a config path completion needs hostlens:config', () => {
    for (const { scopes, answers } of seen) {
      const unit = answers.get('complete investigate_service.unit')!;
      assert.equal(unit.status, scopes.includes('hostlens:read') ? 200 : 403, nameOf(scopes));
      const path = [...answers].find(([k]) => k.startsWith('complete diag://local/config/'))![1];
      assert.equal(path.status, scopes.includes('hostlens:config') ? 200 : 403, nameOf(scopes));
    }
    assert.equal(BASE.length, 4);
  });
});
