/** investigate_service: the playbook names the unit in every step's arguments, refuses non-unit names, and completes unit names from list_services. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostlensError } from '../contracts/errors.js';
import { servicesAt } from '../../test/fixtures/fixture-services.js';
import { listServices } from '../diagnostics/systemd-units.js';
import { investigateServicePrompt } from './investigate-service.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/systemd/', import.meta.url));

test('the playbook walks get_service → search_logs → recent_changes → get_process → get_cgroup for the unit', () => {
  const services = servicesAt(join(FIX, 'host'));
  const [msg] = investigateServicePrompt.build({ unit: 'nginx', symptom: 'site down' }, services);
  const text = msg!.text;
  assert.match(text, /diag:\/\/runbooks\/service-crashloop/);
  assert.match(text, /"site down"/);
  const order = ['get_service with unit "nginx.service"', 'search_logs with units ["nginx.service"]', 'recent_changes', 'get_process', 'get_cgroup with target {"unit": "nginx.service"}'];
  let at = -1;
  for (const step of order) {
    const i = text.indexOf(step);
    assert.ok(i > at, `${step} after the previous step`);
    at = i;
  }
});

test('a unit argument that is not a unit name is refused', () => {
  const services = servicesAt(join(FIX, 'host'));
  for (const bad of ['x; rm -rf /', '--help', '../x']) assert.throws(() => investigateServicePrompt.build({ unit: bad }, services), HostlensError);
});

test('completion offers unit names list_services saw (recorded systemctl output)', async () => {
  const saved = process.env.PATH;
  process.env.PATH = `${join(FIX, 'bin')}:${saved ?? ''}`;
  try {
    const services = servicesAt(join(FIX, 'host'));
    const complete = investigateServicePrompt.complete!.unit!;
    assert.deepEqual(complete('n', services), [], 'cold cache: a background refresh starts');
    for (let i = 0; i < 50 && complete('n', services).length === 0; i += 1) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(complete('n', services), ['nginx.service']);
    const other = servicesAt(join(FIX, 'host'));
    await listServices(other, { state: 'all' });
    assert.deepEqual(complete('s', other), ['ssh.service', 'systemd-journald.service']);
  } finally {
    process.env.PATH = saved;
  }
});
