// Development aid: drives the built dashboard against the fake API in Chromium and saves screenshots.
// Usage: node renderer/dev/screenshots.mjs [outDir]   (run `npm run build:renderer` first)
import { chromium } from 'playwright-core';
import { startFakeApiServer } from './fake-api-server.mjs';

const outDir = process.argv[2] ?? '/tmp/xares/screenshots';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
async function page(fake, size) {
  const context = await browser.newContext({ viewport: size });
  const p = await context.newPage();
  p.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await p.goto(`${fake.url}/admin/#code=${fake.signInCode}`);
  return p;
}
const sizes = { '1280': { width: 1280, height: 800 }, '1920': { width: 1920, height: 1080 } };
try {
  for (const [label, size] of Object.entries(sizes)) {
    const fake = await startFakeApiServer({ scenario: 'populated' });
    const p = await page(fake, size);
    await p.getByTestId('workspace-table').waitFor();
    await p.getByTestId('connection-status').and(p.locator('[data-phase=live]')).waitFor();
    if (p.url().includes('code=')) problems.push('sign-in code still in the URL');
    const overflow = await p.evaluate(() => {
      const card = document.querySelector('.table-card');
      return card.scrollWidth - card.clientWidth;
    });
    if (overflow > 0) problems.push(`table scrolls horizontally by ${overflow}px at ${label}`);
    await p.screenshot({ path: `${outDir}/list-${label}.png` });
    await p.getByTestId('new-workspace-button').click();
    await p.getByTestId('create-dialog').waitFor();
    for (let i = 0; i < 25; i++) await p.keyboard.press(i % 3 === 0 ? 'Shift+Tab' : 'Tab');
    const focusInside = await p.evaluate(() => document.querySelector('[data-testid=create-dialog]').contains(document.activeElement));
    if (!focusInside) problems.push('focus escaped the create dialog');
    await p.getByTestId('create-name').fill('a');
    await p.getByTestId('create-password-protected').check({ force: true });
    await p.getByTestId('create-password').fill('short');
    await p.screenshot({ path: `${outDir}/create-invalid-${label}.png` });
    await p.getByTestId('create-name').fill('Seat 1');
    await p.getByTestId('create-password').fill('long-enough-1');
    await p.getByTestId('create-submit').click();
    await p.getByTestId('create-error').waitFor();
    await p.screenshot({ path: `${outDir}/create-server-error-${label}.png` });
    await p.keyboard.press('Escape');
    await p.getByTestId('create-dialog').waitFor({ state: 'detached' });
    await fake.close();
  }
  for (const scenario of ['empty', 'docker-down', 'building']) {
    const fake = await startFakeApiServer({ scenario });
    const p = await page(fake, sizes['1280']);
    await p.getByTestId('connection-status').and(p.locator('[data-phase=live]')).waitFor();
    await p.screenshot({ path: `${outDir}/${scenario}-1280.png` });
    await fake.close();
  }
  {
    const fake = await startFakeApiServer({ scenario: 'populated' });
    const p = await page(fake, sizes['1280']);
    await p.getByTestId('workspace-table').waitFor();
    const protectedRow = [...fake.state.projects.values()].find((x) => x.passwordProtected);
    await p.getByTestId(`workspace-stop-${protectedRow.id}`).click();
    await p.getByTestId('confirm-password').fill('wrong-password');
    await p.getByTestId('confirm-submit').click();
    await p.getByTestId('confirm-error').waitFor();
    await p.screenshot({ path: `${outDir}/confirm-stop-error-1280.png` });
    await p.keyboard.press('Escape');
    fake.dropStreams();
    await p.getByTestId('connection-status').and(p.locator('[data-phase=reconnecting]')).waitFor();
    await p.screenshot({ path: `${outDir}/reconnecting-1280.png` });
    await p.getByTestId('connection-status').and(p.locator('[data-phase=live]')).waitFor({ timeout: 10_000 });
    await fake.close();
    const p2 = await browser.newPage({ viewport: sizes['1280'] });
    await p2.goto(`${fake.url.replace(/:\d+$/, ':1')}/admin/`).catch(() => {});
  }
  {
    // Desktop app: the preload bridge provides the token; links open through shell:open-external.
    const fake = await startFakeApiServer({ scenario: 'populated' });
    const context = await browser.newContext({ viewport: sizes['1280'] });
    const p = await context.newPage();
    await p.addInitScript((token) => {
      window.__opened = [];
      window.xares = {
        invoke: async (channel, request) => {
          if (channel === 'session:get') return { ok: true, value: { serverUrl: location.origin, adminToken: token, dashboardUrl: location.href } };
          if (channel === 'shell:open-external') {
            window.__opened.push(request.url);
            return { ok: true, value: undefined };
          }
          return { ok: false, error: { name: 'Error', message: 'unknown channel' } };
        },
      };
    }, fake.token);
    await p.goto(`${fake.url}/admin/`);
    await p.getByTestId('workspace-table').waitFor();
    if (await p.getByTestId('sign-out').count()) problems.push('desktop mode shows a sign-out button');
    const running = [...fake.state.projects.values()].find((x) => x.status === 'running');
    await p.getByTestId(`workspace-open-${running.id}`).click();
    const opened = await p.evaluate(() => window.__opened);
    if (opened[0] !== running.workspaceUrl) problems.push(`desktop open went to ${JSON.stringify(opened)}`);
    if (context.pages().length !== 1) problems.push('desktop open also opened a browser tab');
    if (await p.evaluate(() => localStorage.getItem('xares.adminToken'))) problems.push('desktop token stored in localStorage');
    await context.close();
    await fake.close();
  }
  {
    const fake = await startFakeApiServer({ scenario: 'populated' });
    const context = await browser.newContext({ viewport: sizes['1280'] });
    const p = await context.newPage();
    await p.goto(`${fake.url}/admin/#code=already-used`);
    await p.getByTestId('signin-screen').waitFor();
    await p.screenshot({ path: `${outDir}/signin-1280.png` });
    await fake.close();
  }
} finally {
  await browser.close();
}
console.log(problems.length ? `Problems:\n${problems.join('\n')}` : 'No console errors.');
