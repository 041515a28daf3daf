import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from '../support/workspace/browser.js';
import { postmasterRunning, startLocalRunProcess, type LocalRunProcess } from '../support/workspace/local-run.js';

let run: LocalRunProcess;
let browser: Browser;

beforeAll(async () => {
  run = await startLocalRunProcess();
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
  await run?.stop();
  if (run) rmSync(dirname(run.dataDir), { recursive: true, force: true }); // the demo's temp folder
});

/** Ground truth from the demo server itself. */
async function activity(pids: number[]): Promise<{ pid: number; state: string; waiting: boolean }[]> {
  const client = new pg.Client({ connectionString: run.monitorUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; state: string; waiting: boolean }>(
      "SELECT pid, state, wait_event_type IS NOT DISTINCT FROM 'Lock' AS waiting FROM pg_stat_activity WHERE pid = ANY ($1) ORDER BY pid",
      [pids],
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('npm start with nothing configured: the local workspace in a real browser', () => {
  it('starts a blocking chain, /pg locks, Terminate, switch to the approver, Approve (confirm), sees the outcome; the root session is gone', async () => {
    const { page } = browser;
    await page.goto(run.pageUrl);
    // The printed token became a cookie; the address bar (and history) no longer shows it.
    expect(page.url()).toBe(`${run.url}/`);
    await page.getByTestId('start-blocking-chain').click();
    const status = await page.locator('#chain-status', { hasText: 'Blocking chain running' }).textContent();
    const [rootPid, ...waitingPids] = [...(status ?? '').matchAll(/\d+/g)].map((m) => Number(m[0]));
    expect((await activity([rootPid!, ...waitingPids])).map((r) => [r.state, r.waiting])).toEqual([
      ['idle in transaction', false],
      ['active', true],
      ['active', true],
    ]);

    // The alert watch (every 2 s here) raises the chain once its waiters have waited lockWaitSeconds (10 s).
    const alertPost = page.locator('[data-testid=message]', {
      has: page.locator('.bk-header', { hasText: 'Blocking chain on demo' }),
    });
    await alertPost.first().waitFor({ timeout: 40_000 });
    const alert = page.locator(`[data-message-id="${await alertPost.first().getAttribute('data-message-id')}"]`);
    expect(await alert.textContent()).toContain(`Session ${rootPid}`);

    await page.getByTestId('composer').fill('/pg locks');
    await page.getByTestId('composer').press('Enter');
    const report = page.locator('[data-testid=message]', { has: page.locator('.bk-header', { hasText: 'Locks' }) });
    await expect
      .poll(() => report.locator('pre').allTextContents(), { timeout: 15_000 })
      .toContainEqual(expect.stringContaining('UPDATE accounts'));
    await report.getByRole('button', { name: `Terminate ${rootPid}` }).click();
    // The suggested action asks first (its confirm dialog), as Slack does.
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('runs only after a second person approves it');
    await dialog.getByRole('button', { name: 'Request approval' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const pending = page.locator('[data-testid=message]', { hasText: 'Approval needed' });
    await pending.waitFor();
    // The card is updated in place: follow it by its message id, not by its changing text.
    const card = page.locator(`[data-message-id="${await pending.getAttribute('data-message-id')}"]`);
    expect(await card.textContent()).toContain(`${rootPid}`);
    await page.getByTestId('user-switcher').selectOption('U0SAM');
    await card.getByRole('button', { name: 'Approve' }).click();
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('demo');
    await dialog.locator('#confirm-ok').click();

    await card.filter({ hasText: `Session ${rootPid} was terminated and has exited.` }).waitFor({ timeout: 15_000 });
    expect(await card.textContent()).toContain('Approved by @sam');
    expect(await card.getByRole('button').count()).toBe(0);
    expect(await activity([rootPid!])).toEqual([]);
    // With the root gone the alert resolves: the same message, edited in place.
    await alert.filter({ hasText: 'Resolved' }).waitFor({ timeout: 30_000 });
    expect(await alert.getByRole('button').count()).toBe(0);
    await expect.poll(async () => (await activity(waitingPids)).some((r) => r.waiting)).toBe(false);
    expect(await page.locator('.bk-unknown').count()).toBe(0);
    const { problems } = (await (
      await fetch(`${run.url}/workspace/problems`, { headers: { cookie: run.cookie } })
    ).json()) as { problems: string[] };
    expect(problems).toEqual([]);
  });

  it('the demo keeps its problems present: bloat, a vacuum-starved table, an unused and a duplicate index, slow statements', async () => {
    const { page } = browser;
    const reportWith = async (command: string, header: string, expected: string[]) => {
      await page.getByTestId('composer').fill(command);
      await page.getByTestId('composer').press('Enter');
      const report = page
        .locator('[data-testid=message]', { has: page.locator('.bk-header', { hasText: header }) })
        .last();
      for (const text of expected) await report.filter({ hasText: text }).waitFor({ timeout: 15_000 });
      return report;
    };
    // The test seeds a small shop (20,000 orders): its unused index is below the default 1 MB and bloat's 100 MB floors.
    await reportWith('/pg indexes --min-size 100kB', 'Indexes', [
      'orders_created_at_idx',
      'customers_signed_up_idx2',
      'exact duplicate of customers_signed_up_idx',
    ]);
    const vacuum = await reportWith('/pg vacuum', 'Vacuum', ['events', 'OFF for this table']);
    // Its tables are Slack's native table: a header row, the figures right-aligned, the status in its own column.
    const table = vacuum.locator('table.bk-table').first();
    expect(await table.locator('thead th').allTextContents()).toEqual(
      expect.arrayContaining(['status', 'table', 'dead', 'trigger', 'autovacuum']),
    );
    const events = table
      .locator('tbody tr', { hasText: 'OFF for this table' })
      .filter({ has: page.locator('td', { hasText: /^events$/ }) });
    expect(await events.locator('td').nth(0).textContent()).toMatch(/⚠️|‼️/);
    expect(
      await events
        .locator('td')
        .nth(2)
        .evaluate((td) => getComputedStyle(td).textAlign),
    ).toBe('right');
    await reportWith('/pg bloat --min-size 1MB', 'Bloat', ['Worst: orders']);
    await reportWith('/pg slow-queries', 'Slow queries', ['SELECT customer_id, count(*) AS orders']);
    // The on-demand digest: a summary in the channel, each section's full report as a reply in its thread.
    await page.getByTestId('composer').fill('/pg digest');
    await page.getByTestId('composer').press('Enter');
    await page
      .locator('.message.thread', { has: page.locator('.bk-header', { hasText: 'Vacuum' }) })
      .first()
      .waitFor({ timeout: 20_000 });
    expect(await page.locator('.bk-unknown').count()).toBe(0);
    // A trend chart from the snapshot that digest stored: a PNG upload the page shows and the browser decodes.
    await page.getByTestId('composer').fill('/pg trend dead-tuples');
    await page.getByTestId('composer').press('Enter');
    const chart = page.locator('.file-image img[alt*="dead tuples"]').last();
    await chart.waitFor({ timeout: 30_000 });
    expect(
      await chart.evaluate(
        (img) =>
          (img as unknown as { complete: boolean; naturalWidth: number }).complete &&
          (img as unknown as { naturalWidth: number }).naturalWidth,
      ),
    ).toBeGreaterThan(1000);
  });

  it('pages and sorts a data table: /pg sizes --limit 30 lists more tables than a phone screen', async () => {
    const { page } = browser;
    await page.getByTestId('composer').fill('/pg sizes --limit 30');
    await page.getByTestId('composer').press('Enter');
    const report = page.locator('[data-testid=message]', { has: page.locator('.bk-header', { hasText: 'Sizes' }) });
    const table = report.last().locator('table.bk-data-table');
    await table.waitFor({ timeout: 15_000 });
    expect(await table.locator('caption').textContent()).toMatch(/^Largest tables in /);
    expect(await table.locator('thead th').allTextContents()).toEqual(['table', 'total', 'heap', 'indexes', 'TOAST']);
    const names = () => table.locator('tbody tr th').allTextContents();
    const position = report.last().locator('.bk-page-position');
    // Ten rows a page, the figures right-aligned.
    expect(await position.textContent()).toBe('1–10 of 30');
    const first = await names();
    expect(first).toHaveLength(10);
    const total = table.locator('tbody tr').first().locator('td').first();
    expect(await total.evaluate((td) => getComputedStyle(td).textAlign)).toBe('right');
    await report.last().getByTestId('page-next').click();
    expect(await position.textContent()).toBe('11–20 of 30');
    const second = await names();
    expect(second).toHaveLength(10);
    expect(second.filter((name) => first.includes(name))).toEqual([]);
    // Another message redraws the channel; the reader stays on the page they chose.
    const before = await page.locator('[data-testid=message]').count();
    await page.getByTestId('composer').fill('/pg help');
    await page.getByTestId('composer').press('Enter');
    await page.waitForFunction((count) => document.querySelectorAll('[data-testid=message]').length > count, before, {
      timeout: 15_000,
    });
    expect(await position.textContent()).toBe('11–20 of 30');
    expect(await names()).toEqual(second);
    await report.last().getByTestId('page-next').click();
    expect(await position.textContent()).toBe('21–30 of 30');
    // The last page: Next is off, Previous goes back.
    expect(await report.last().getByTestId('page-next').isDisabled()).toBe(true);
    await report.last().getByTestId('page-previous').click();
    expect(await names()).toEqual(second);

    // Sorting by "heap" (twice: descending) brings the table with the largest heap up: PostgreSQL's own answer.
    await table
      .locator('thead th', { hasText: /^heap$/ })
      .getByRole('button')
      .click();
    await table.locator('thead th[aria-sort=ascending]', { hasText: /^heap$/ }).waitFor({ timeout: 10_000 });
    await table
      .locator('thead th', { hasText: /^heap$/ })
      .getByRole('button')
      .click();
    expect(await table.locator('thead th[aria-sort=descending]').textContent()).toBe('heap');
    expect(await position.textContent()).toBe('1–10 of 30');
    const client = new pg.Client({ connectionString: run.monitorUrl });
    await client.connect();
    const shown = [...first, ...second, ...(await names())];
    const { rows } = await client
      .query<{ name: string }>(
        `SELECT name FROM unnest($1::text[]) AS name
         ORDER BY pg_table_size(name::regclass) - coalesce(pg_total_relation_size(NULLIF((SELECT reltoastrelid FROM pg_class WHERE oid = name::regclass), 0)), 0) DESC LIMIT 1`,
        [shown],
      )
      .finally(() => client.end());
    expect((await names())[0]).toBe(rows[0]!.name);
    // The chart the trend command uploaded earlier is still on the page, decoded.
    expect(
      await page
        .locator('.file-image img')
        .first()
        .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(1000);
    expect(await page.locator('.bk-unknown').count()).toBe(0);
  });

  it('opens the App Home tab: the bot publishes it with the demo target and the commands', async () => {
    const { page } = browser;
    await page.getByTestId('open-home').click();
    const home = page.getByTestId('home');
    await home.filter({ hasText: 'demo' }).filter({ hasText: 'slow-queries' }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('composer').isVisible()).toBe(false);
    await page.locator('#open-channel').click();
    expect(await page.getByTestId('composer').isVisible()).toBe(true);
  });

  it("serves the bot's /healthz, /readyz and /metrics on the page's port", async () => {
    const get = async (path: string) => {
      const response = await fetch(`${run.url}${path}`);
      return { status: response.status, text: await response.text() };
    };
    expect((await get('/healthz')).status).toBe(200);
    expect(await get('/readyz')).toEqual({
      status: 200,
      text: JSON.stringify({ ready: true, checks: { stateDatabase: 'ok' } }),
    });
    const metrics = await get('/metrics');
    expect(metrics.text).toMatch(/^pgmedic_commands_total\{command="locks",status="(ok|warn|crit)"\} \d+$/m);
    expect(metrics.text).toMatch(/^pgmedic_approval_requests\{status="succeeded"\} 1$/m);
  });

  it('SIGTERM stops the bot and the embedded server', async () => {
    expect(postmasterRunning(run.dataDir)).toBe(true);
    expect(await run.stop()).toBe(0);
    expect(postmasterRunning(run.dataDir)).toBe(false);
  });
});
