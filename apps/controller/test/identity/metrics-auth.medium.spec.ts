/** HVS_METRICS_AUTH=token: /metrics needs a bearer token that reads; health and readiness stay open. */
import { controllerForFile } from '../api/controller-under-test';

jest.setTimeout(60_000);

const ctl = controllerForFile({ HVS_METRICS_AUTH: 'token' });

it('refuses an anonymous scrape (401, counted), serves a viewer, and never guards /healthz', async () => {
  const root = ctl.http.replace(/\/api\/v1$/, '');
  const open = await fetch(`${root}/metrics`);
  expect(open.status).toBe(401);
  expect(((await open.json()) as { code: string }).code).toBe('HVS-AUTH-UNAUTHENTICATED');
  const viewer = await ctl.tokenFor('scraper', 'viewer');
  const scraped = await fetch(`${root}/metrics`, { headers: { authorization: `Bearer ${viewer}` } });
  expect(scraped.status).toBe(200);
  expect(await scraped.text()).toMatch(/^hvs_api_unauthenticated_total\{transport="rest"\} [1-9]/m);
  expect((await fetch(`${root}/healthz`)).status).toBe(200);
});
