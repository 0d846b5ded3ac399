import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHttpApp } from '../http/app.js';
import type { HttpApp } from '../http/app.js';
import { FIXTURE_HOSTS, servicesAt } from '../../test/fixtures/fixture-services.js';
import { legacyHeaders, openLegacySession, readResponse } from '../../test/http/helpers.js';
import { createProductFactory } from '../app/product-factory.js';

describe('malformed params of spec requests → -32602', () => {
  let app: HttpApp;
  let url: string;
  before(async () => {
    app = createHttpApp({ factory: createProductFactory({ services: servicesAt(`${FIXTURE_HOSTS}idle`), toolsets: ['core'] }), port: 0, shutdownGraceMs: 100 });
    ({ url } = await app.listen());
  });
  after(async () => {
    await app.close();
  });

  test('handlers installed by the constructor (initialize) and later (prompts/get, resources/read, logging/setLevel), in a session', async () => {
    const sid = await openLegacySession(url, '2025-11-25');
    const cases: Array<[string, unknown]> = [
      ['initialize', undefined],
      ['prompts/get', { name: 5 }],
      ['resources/read', {}],
      ['logging/setLevel', { level: 'loud' }],
    ];
    for (const [method, params] of cases) {
      const res = await fetch(url, { method: 'POST', headers: legacyHeaders('2025-11-25', sid), body: JSON.stringify({ jsonrpc: '2.0', id: 9, method, ...(params === undefined ? {} : { params }) }) });
      const answer = await readResponse(res);
      assert.equal(answer.error?.code, -32602, `${method}: ${JSON.stringify(answer).slice(0, 200)}`);
      assert.match(answer.error?.message ?? '', new RegExp(`^Invalid params for ${method}: `));
      assert.ok((answer.error?.message.length ?? 0) < 600, 'the message is clipped');
    }
    const ok = await readResponse(await fetch(url, { method: 'POST', headers: legacyHeaders('2025-11-25', sid), body: JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'ping' }) }));
    assert.deepEqual(ok.result, {}, 'valid requests are untouched');
  });
});
