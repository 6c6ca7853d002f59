import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { ModelManagementService } from '#src/modules/models/model-management.service';
import { createAdminUser } from '#test/factories/admin-fixtures';
import { createKey, createModel, createProvider } from '#test/factories/gateway-fixtures';
import { signatureValid, WebhookReceiver } from '#test/alerts/webhook-receiver';
import { startApi, type TestApp } from '#test/utils/app';
import { horizontalOverflow, launchChromium, seriousViolations, settled, watchedPage } from '#test/utils/browser';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { freePort, IDP_CLIENT_ID, IDP_CLIENT_SECRET, TestIdp } from '#test/utils/oidc-idp';
import { waitFor } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';

/** `UPDATE_SCREENSHOTS=1` rewrites docs/console/*.png (committed); a normal run only checks. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/console' : null;
const WEBHOOK_SECRET = 'whsec-canary-e2e-4d9c2b71';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** Fixed locale and time zone, so dates and amounts render the same on every machine. */
const CONTEXT = { locale: 'en-US', timezoneId: 'UTC', colorScheme: 'light', reducedMotion: 'reduce' } as const;
const PEOPLE = {
  admin: { email: 'ops@example.com', password: 'canary-e2e-admin-pw-3b8d1f' },
  editor: { email: 'dev@example.com', password: 'canary-e2e-editor-pw-7c2e9a' },
  viewer: { email: 'finance@example.com', password: 'canary-e2e-viewer-pw-5a4f0d' },
};
type Person = keyof typeof PEOPLE;
/** What an editor's or a viewer's menu offers: no webhooks, admin users, service tokens or audit log. */
const EDITOR_MENU = ['Overview', 'API keys', 'Teams', 'Providers', 'Models', 'Aliases', 'Usage'];
/** Buttons that change something: a viewer must see none of them. */
const CHANGING = /^(Add|Create|Edit|Delete|Revoke|Regenerate|Import|Test connection|Resend)\b/;

/** Issue 16 / SPEC §15: the built console in headless Chromium against the API on real PostgreSQL and Redis. */
describe('console in a real browser', () => {
  let api: TestApp;
  let upstream: FakeOpenAi;
  /** The webhook's receiver: answers 500 to its first POST, then 200. */
  let receiver: WebhookReceiver;
  let browser: Browser;
  let idp: TestIdp;
  let admin: { context: BrowserContext; page: Page; errors: string[] };
  const key = { name: 'e2e-app', secret: '', url: '' };
  let ciKey = '';
  /** Pages made by the tests below, checked with axe too: a team's page and a webhook's deliveries. */
  const made = { team: '', webhook: '' };

  const chat = async (
    secret: string,
    model = 'gpt-4o-mini',
    user?: string,
    extra: Record<string, unknown> = {},
  ): Promise<number> => {
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }], user, ...extra }),
    });
    await res.arrayBuffer();
    return res.status;
  };

  const fillSignIn = async (page: Page, who: Person, password = PEOPLE[who].password): Promise<void> => {
    await page.getByLabel('Email').fill(PEOPLE[who].email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  };

  /** Waits until the billing processor has written `n` usage records. */
  const usageRecords = (n: number) =>
    waitFor(async () => {
      const [row] = await api.get(DataSource).query<{ n: number }[]>('SELECT count(*)::int AS n FROM usage_records');
      return row.n === n ? true : undefined;
    });

  /** A fresh browser context (its own cookies) signed in through the form. */
  const signedIn = async (who: Person, viewport = DESKTOP) => {
    const context = await browser.newContext({ ...CONTEXT, viewport });
    const watched = await watchedPage(context);
    await watched.page.goto(`${api.url}/ui/`);
    await fillSignIn(watched.page, who);
    await menu(watched.page).waitFor();
    await settled(watched.page);
    return { context, ...watched };
  };

  const menu = (page: Page) => page.getByRole('navigation', { name: 'Console' });
  const menuLabels = (page: Page) => menu(page).getByRole('link').allInnerTexts();

  /** Opens a page from the side menu, as a person would, and waits until it has loaded. */
  const open = async (page: Page, label: string): Promise<void> => {
    const link = menu(page).getByRole('link', { name: label, exact: true });
    await link.click();
    await link.and(page.locator('[aria-current="page"]')).waitFor();
    await settled(page);
  };

  const shoot = async (page: Page, name: string): Promise<void> => {
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, animations: 'disabled' });
  };

  /** Same-origin requests from a page of `context` that the console itself never makes (not watched). */
  const probe = async <T>(context: BrowserContext, fn: () => Promise<T>): Promise<T> => {
    const page = await context.newPage();
    await page.goto(`${api.url}/health/live`);
    try {
      return await page.evaluate(fn);
    } finally {
      await page.close();
    }
  };

  beforeAll(async () => {
    await resetState();
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
    upstream = await new FakeOpenAi().start();
    receiver = await new WebhookReceiver().start();
    // SSO against a real identity provider on another site (localhost) than the gateway (127.0.0.1)
    const port = await freePort();
    idp = await new TestIdp().start([`http://127.0.0.1:${port}/ui/auth/oidc/callback`], { host: 'localhost' });
    // the browser talks to http://127.0.0.1: a Secure cookie would not be sent back
    api = await startApi({
      UI_COOKIE_SECURE: 'false',
      GATEWAY_HTTP_PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: IDP_CLIENT_ID,
      OIDC_CLIENT_SECRET: IDP_CLIENT_SECRET,
      // the test IdP releases the groups claim with the groups scope, as Okta does
      OIDC_SCOPES: 'openid email profile groups',
      // the webhook's receiver listens on loopback
      CATALOG_ALLOW_PRIVATE_URLS: 'true',
      // a failed delivery's automatic retry waits an hour: within the test only Resend sends it again
      WEBHOOK_RETRY_BASE_DELAY: '1h',
    });
    await createAdminUser(api, { ...PEOPLE.admin, roles: ['admin'] });
    await createAdminUser(api, { ...PEOPLE.editor, roles: ['editor'] });
    await createAdminUser(api, { ...PEOPLE.viewer, roles: ['viewer'] });
    const provider = await createProvider(api, { name: 'openai', baseUrl: upstream.url });
    const model = await createModel(api, { providerId: provider.id, name: 'gpt-4o-mini' });
    await api.get(ModelManagementService).createAlias({ name: 'fast', modelId: model.id, config: { temperature: 0 } });
    const ci = await createKey(api, {
      name: 'ci-pipeline',
      rateLimit: 60,
      monthlyBudget: '25',
      tags: { team: 'platform' },
    });
    ciKey = ci.id;
    // a few hundred tokens: a cost the console shows in more than zeros
    upstream.reset({ usage: { prompt_tokens: 1200, completion_tokens: 350 } });
    // some history for the overview, usage and key pages
    for (const name of ['fast', 'fast', 'gpt-4o-mini']) expect(await chat(ci.key, name)).toBe(200);
    await usageRecords(3);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await upstream?.stop();
    await receiver?.stop();
    await idp?.stop();
  });

  it('signs in through the form; the session cookie is HttpOnly, SameSite=Strict and hidden from document.cookie', async () => {
    const context = await browser.newContext({ ...CONTEXT, viewport: DESKTOP });
    const { page, errors } = await watchedPage(context);
    await page.goto(`${api.url}/ui/`);
    await settled(page);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await seriousViolations(page)).toEqual([]);
    await shoot(page, 'sign-in');

    await fillSignIn(page, 'admin', 'not-the-password');
    await page.getByText('The email or password is not right.').waitFor();
    // the wrong password's 401 is the one expected failure: Chromium logs every failed request as a console error
    expect(errors).toEqual([expect.stringMatching(/Failed to load resource: .*401/)]);
    errors.length = 0;

    await fillSignIn(page, 'admin');
    await menu(page).waitFor();
    await settled(page);
    expect(await menuLabels(page)).toEqual([
      'Overview',
      'API keys',
      'Teams',
      'Providers',
      'Models',
      'Aliases',
      'Usage',
      'Webhooks',
      'Admin users',
      'Service tokens',
      'Audit log',
    ]);
    expect(await page.evaluate<string>('document.cookie')).not.toContain('llmgw_session');
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'llmgw_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(errors).toEqual([]);
    admin = { context, page, errors };
  });

  it('signs in with SSO through the identity provider and back (cross-site), with the mapped role; a refusal is explained', async () => {
    idp.accounts.set('sso-editor', { email: 'sso-editor@corp.example', email_verified: true, groups: ['gw-editors'] });
    idp.loginAs = 'sso-editor';
    const context = await browser.newContext({ ...CONTEXT, viewport: DESKTOP });
    const { page, errors } = await watchedPage(context);
    await page.goto(`${api.url}/ui/`);
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await menu(page).waitFor();
    await settled(page);
    expect(page.url()).toBe(`${api.url}/ui/`);
    expect(await menuLabels(page)).toEqual(EDITOR_MENU);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'llmgw_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookies.filter((c) => c.name === 'llmgw_oidc')).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();

    idp.accounts.set('sso-nobody', { email: 'sso-nobody@corp.example', email_verified: true, groups: ['marketing'] });
    idp.loginAs = 'sso-nobody';
    const refused = await browser.newContext({ ...CONTEXT, viewport: DESKTOP });
    const watched = await watchedPage(refused);
    await watched.page.goto(`${api.url}/ui/`);
    await watched.page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await watched.page.getByText('no group that grants a gateway role', { exact: false }).waitFor();
    expect(new URL(watched.page.url()).searchParams.get('sso_error')).toBe('sso_no_role');
    await settled(watched.page);
    expect(await seriousViolations(watched.page)).toEqual([]);
    expect(watched.errors).toEqual([]);
    await refused.close();
  });

  it('creates a key, shows it once, and its proxied call shows in usage and on the key’s page', async () => {
    const { page, errors } = admin;
    await open(page, 'API keys');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    await dialog.getByLabel('Name').fill(key.name);
    await dialog.getByRole('button', { name: 'Create key' }).click();
    key.secret = await page.getByLabel(`New key "${key.name}" (shown once)`).inputValue();
    expect(key.secret).toMatch(/^sk-gw-/);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.content()).not.toContain(key.secret);

    await page.getByRole('link', { name: key.name }).click();
    await page.waitForURL(/\/ui\/keys\/[0-9a-f-]{36}$/);
    await settled(page);
    key.url = page.url();
    expect(await page.content()).not.toContain(key.secret);
    expect(await page.getByText('No calls in the last 30 days.').count()).toBe(1);
    // heading and empty state follow the range chosen
    await page.getByRole('combobox', { name: 'Range' }).selectOption({ label: 'Last 7 days' });
    await page.getByRole('heading', { level: 2, name: 'Usage, last 7 days' }).waitFor();
    await page.getByText('No calls in the last 7 days.').waitFor();

    expect(await chat(key.secret)).toBe(200);
    await usageRecords(4);

    await open(page, 'Usage');
    await page.getByRole('combobox', { name: 'API key' }).selectOption({ label: key.name });
    await settled(page);
    await page.getByText(/^1 calls · \$/).waitFor();
    expect(await page.getByRole('cell', { name: 'gpt-4o-mini' }).count()).toBe(1);

    await page.goto(key.url);
    await settled(page);
    await page.getByText(/^1 calls, \$/).waitFor();
    await page.getByRole('combobox', { name: 'Range' }).selectOption({ label: 'Last 24 hours' });
    await page.getByRole('heading', { level: 2, name: 'Usage, last 24 hours' }).waitFor();
    await settled(page);
    await page.getByText(/^1 calls, \$/).waitFor();
    await page.getByText('Table: calls, errors, latency and cost per hour').waitFor();
    expect(errors).toEqual([]);
  });

  it('revokes the key behind a confirmation, and the next proxied call is refused', async () => {
    const { page, errors } = admin;
    await page.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: `Revoke "${key.name}"?` });
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1, name: `${key.name} revoked` }).waitFor();
    expect(await chat(key.secret)).toBe(401);
    expect(errors).toEqual([]);
  });

  it('refuses the session cookie on an admin call without x-requested-with: llmgw-console', async () => {
    const answers = await probe(admin.context, async () => {
      const bare = await fetch('/admin/api-keys');
      const console = await fetch('/admin/api-keys', { headers: { 'x-requested-with': 'llmgw-console' } });
      return { bare: bare.status, code: ((await bare.json()) as { code: string }).code, console: console.status };
    });
    expect(answers).toEqual({ bare: 403, code: 'console_header_required', console: 200 });
  });

  it('charts the overview over days chosen by hand, and refuses an end in the future in words', async () => {
    const { page, errors } = admin;
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    await open(page, 'Overview');
    await page.getByRole('combobox', { name: 'Range' }).selectOption({ label: 'Custom range…' });
    const form = page.getByRole('form', { name: 'Custom range' });
    const show = () => form.getByRole('button', { name: 'Show these days' }).click();
    await form.getByLabel('From (UTC day)').fill(day(-2));
    await form.getByLabel('Until, included (UTC day)').fill(day(1));
    await show();
    await form.getByText(`The last day is in the future: choose ${day(0)} (today, UTC) or earlier.`).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await form.getByLabel('Until, included (UTC day)').fill(day(0));
    await show();
    const label = `${day(-2)} to ${day(0)}`;
    await page.getByText(`${label}, per hour (UTC).`, { exact: false }).waitFor();
    await settled(page);
    expect(await form.getByRole('alert').count()).toBe(0);
    // the four calls made so far, all within these three days
    const calls = page.locator('.cards article', { hasText: `Calls, ${label}` });
    expect(await calls.locator('.value').innerText()).toBe('4');
    await page.getByText('Table: calls, errors, latency and cost per hour').waitFor();
    expect(errors).toEqual([]);
  });

  it('offers a viewer no control that changes anything, and the API refuses a viewer’s change', async () => {
    const viewer = await signedIn('viewer');
    const labels = await menuLabels(viewer.page);
    expect(labels).toEqual(EDITOR_MENU);
    for (const label of labels) {
      await open(viewer.page, label);
      const buttons = await viewer.page.getByRole('main').getByRole('button').allInnerTexts();
      expect({ label, changing: buttons.filter((b) => CHANGING.test(b.trim())) }).toEqual({ label, changing: [] });
    }
    await open(viewer.page, 'API keys');
    await viewer.page.getByRole('link', { name: 'ci-pipeline' }).click();
    await viewer.page.waitForURL(`${api.url}/ui/keys/${ciKey}`);
    await settled(viewer.page);
    expect(await viewer.page.getByRole('main').getByRole('button').count()).toBe(0);
    const status = await probe(viewer.context, async () => {
      const res = await fetch('/admin/api-keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-requested-with': 'llmgw-console' },
        body: JSON.stringify({ name: 'from-a-viewer' }),
      });
      return res.status;
    });
    expect(status).toBe(403);
    expect(viewer.errors).toEqual([]);
    await viewer.context.close();
  });

  it('lets an editor create a team with a weekly budget and a key in it, shown with its team; no admin pages', async () => {
    const editor = await signedIn('editor');
    const { page } = editor;
    expect(await menuLabels(page)).toEqual(EDITOR_MENU);
    await open(page, 'Teams');
    await page.getByRole('button', { name: 'Create team' }).click();
    const teamForm = page.getByRole('dialog', { name: 'Create a team' });
    await teamForm.getByLabel('Name').fill('search');
    await teamForm.getByLabel('Requests per minute').fill('600');
    await teamForm.getByLabel('Budget (USD)', { exact: true }).fill('200');
    await teamForm.getByLabel('Budget period', { exact: true }).selectOption('week');
    await teamForm.getByLabel('Budget alerts (% of the budget)').fill('50, 80, 100');
    await teamForm.getByRole('button', { name: 'Create team' }).click();
    await teamForm.waitFor({ state: 'detached' });
    const teamRow = page.getByRole('row', { name: /^search / });
    await teamRow.getByText('$200.00 / week').waitFor();

    await open(page, 'API keys');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const keyForm = page.getByRole('dialog', { name: 'Create an API key' });
    await keyForm.getByLabel('Name').fill('search-backend');
    await keyForm.getByLabel('Team', { exact: true }).selectOption({ label: 'search' });
    await keyForm.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByLabel('New key "search-backend" (shown once)').inputValue();
    await page.getByRole('button', { name: 'I have copied it' }).click();
    const keyRow = page.getByRole('row', { name: /^search-backend / });
    await keyRow.getByRole('link', { name: 'search', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: /^Team search/ }).waitFor();
    made.team = page.url();
    await page.getByRole('link', { name: 'search-backend' }).waitFor();

    // a call with an end user shows on the team's page, per end user
    expect(await chat(secret, 'gpt-4o-mini', 'alice@example.com')).toBe(200);
    await usageRecords(5);
    await page.reload();
    await settled(page);
    expect(await page.getByRole('cell', { name: 'alice@example.com' }).count()).toBe(1);

    await page.goto(`${api.url}/ui/webhooks`);
    await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
    await page.goto(`${api.url}/ui/users`);
    await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
    expect(editor.errors).toEqual([]);
    await editor.context.close();
  });

  it('lets the admin add a webhook with a secret (listed as "secret set"); a failed delivery is listed, and Resend delivers it', async () => {
    const { page, errors } = admin;
    const hookUrl = `${receiver.url}/llm-gateway`;
    receiver.failFirst('/llm-gateway', 1);
    await open(page, 'Webhooks');
    await page.getByText('No webhooks yet', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const form = page.getByRole('dialog', { name: 'Add a webhook' });
    await form.getByLabel('URL').fill(hookUrl);
    await form.getByLabel('Secret').fill(WEBHOOK_SECRET);
    await form.getByLabel(/^key\.expiring/).check();
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await form.waitFor({ state: 'detached' });
    const row = page.getByRole('row', { name: /\/llm-gateway/ });
    await row.getByText('secret set', { exact: true }).waitFor();
    expect(await row.getByRole('cell', { name: 'budget.threshold, budget.exceeded, key.expiring' }).count()).toBe(1);
    expect(await page.content()).not.toContain(WEBHOOK_SECRET);
    await row.getByRole('link', { name: hookUrl }).click();
    await page.getByRole('heading', { level: 1, name: 'Webhook deliveries' }).waitFor();
    await settled(page);
    made.webhook = page.url();
    await page.getByText('No deliveries yet', { exact: false }).waitFor();

    // a real event: one call takes a key past 20 % of its daily budget, and the receiver answers 500
    const alerting = await createKey(api, {
      name: 'alerting-app',
      budget: '0.001',
      budgetPeriod: 'day',
      alertThresholds: [0.2],
    });
    expect(await chat(alerting.key, 'gpt-4o-mini', undefined, { max_tokens: 50 })).toBe(200);
    const [first] = await waitFor(async () => {
      const posts = receiver.at('/llm-gateway');
      return posts.length > 0 ? posts : undefined;
    });
    const event = JSON.parse(first.body) as { id: string; type: string };
    expect(event).toMatchObject({ type: 'budget.threshold', id: expect.stringContaining(alerting.id) });
    expect(signatureValid(first.headers['x-gateway-signature'], first.body, WEBHOOK_SECRET)).toBe(true);

    // listed with its failed attempt (the page refreshes itself while a delivery is pending)
    await page.reload();
    await settled(page);
    const delivery = page.getByRole('row', { name: event.id });
    await delivery.getByRole('cell', { name: 'HTTP 500', exact: true }).waitFor();
    expect(await delivery.getByText('pending', { exact: true }).count()).toBe(1);

    await delivery.getByRole('button', { name: 'Resend' }).click();
    await delivery.getByText('delivered', { exact: true }).waitFor();
    await delivery.getByRole('cell', { name: 'HTTP 200', exact: true }).waitFor();
    expect(await delivery.getByRole('cell', { name: '2', exact: true }).count()).toBe(1);
    const posts = receiver.at('/llm-gateway');
    expect(posts).toHaveLength(2);
    expect(posts[1].body).toBe(first.body);
    expect(signatureValid(posts[1].headers['x-gateway-signature'], posts[1].body, WEBHOOK_SECRET)).toBe(true);
    expect(await page.content()).not.toContain(WEBHOOK_SECRET);
    expect(errors).toEqual([]);
  });

  // one test per colour scheme, so that each stays within the test timeout on a busy machine
  it.each(['light', 'dark'] as const)(
    'has no serious or critical axe violation and no console error on any page (%s)',
    async (scheme) => {
      const { page, errors } = admin;
      const labels = await menuLabels(page);
      const violations: Record<string, string[]> = {};
      const check = async (name: string) => {
        const found = await seriousViolations(page);
        if (found.length > 0) violations[`${name} (${scheme})`] = found;
        if (scheme === 'light') await shoot(page, name);
      };
      await page.emulateMedia({ colorScheme: scheme });
      for (const label of labels) {
        await open(page, label);
        await check(label.toLowerCase().replace(/ /g, '-'));
      }
      // a team's and a webhook's pages reuse the list pages' parts: checked in light mode only, to keep the run short
      const pages = [['api-key', `${api.url}/ui/keys/${ciKey}`]];
      if (scheme === 'light') pages.push(['team', made.team], ['webhook', made.webhook]);
      for (const [name, url] of pages) {
        await page.goto(url);
        await settled(page);
        await check(name);
      }
      await page.emulateMedia({ colorScheme: 'light' });
      expect(violations).toEqual({});
      expect(errors).toEqual([]);
    },
  );

  it('fits a phone’s width: no horizontal page scroll', async () => {
    const phone = await signedIn('admin', PHONE);
    const overflow: Record<string, number> = { Overview: await horizontalOverflow(phone.page) };
    const labels = ['API keys', 'Teams', 'Models', 'Usage', 'Webhooks', 'Audit log'];
    for (const label of labels) {
      await open(phone.page, label);
      overflow[label] = await horizontalOverflow(phone.page);
    }
    await phone.page.goto(made.team);
    await settled(phone.page);
    overflow['a team'] = await horizontalOverflow(phone.page);
    expect(overflow).toEqual(Object.fromEntries(['Overview', ...labels, 'a team'].map((l) => [l, 0])));
    expect(phone.errors).toEqual([]);
    await phone.context.close();
  });

  it('signs out: back to the sign-in form, and the old cookie no longer opens the admin API', async () => {
    const { context, page, errors } = admin;
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'llmgw_session');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in to the LLM Gateway console' }).waitFor();
    expect((await context.cookies()).filter((c) => c.name === 'llmgw_session')).toEqual([]);
    const res = await fetch(`${api.url}/admin/api-keys`, {
      headers: { cookie: `llmgw_session=${cookie.value}`, 'x-requested-with': 'llmgw-console' },
    });
    await res.arrayBuffer();
    expect(res.status).toBe(401);
    expect(errors).toEqual([]);
    await context.close();
  });
});
