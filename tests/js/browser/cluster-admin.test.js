// The System Console's High Availability page (/admin/cluster) in a real headless Chromium, through the edge:
// it signs an admin in, lists every node green, survives a reload (session cookie), and turns a node red within
// 10 s of its SIGKILL. Run by the integration test ClusterAdminPageTests, which starts the nodes.
//
// CHAT_EDGE_URL          the edge in front of the api nodes
// CHAT_ADMIN_LOGIN       a system admin's username; CHAT_ADMIN_PASSWORD its password
// CHAT_EXPECTED_NODES    comma-separated hostnames the page must list
// CHAT_KILL_PID          pid of the node to SIGKILL; CHAT_KILL_NODE its hostname
// CHROMIUM_PATH          the browser (default /usr/bin/chromium, Debian's package)
// CHAT_SCREENSHOT        optional: where to save a screenshot of the page after the kill
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set`);
  return value;
};

const GREEN = 'rgb(26, 127, 55)';
const RED = 'rgb(207, 34, 46)';
const statusColor = (page, hostname) =>
  page.$eval(`tr[data-hostname="${hostname}"] td.status`, (td) => getComputedStyle(td).color);

test('the cluster page signs in, lists the nodes and shows a killed node as down within 10 s', async () => {
  const edge = env('CHAT_EDGE_URL');
  const expected = env('CHAT_EXPECTED_NODES').split(',').sort();
  const victim = env('CHAT_KILL_NODE');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    // Chromium's sandbox cannot start as root (containers, CI).
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${edge}/admin/cluster`);
    await page.waitForSelector('#login:not([hidden])', { timeout: 10_000 });

    // A wrong password is refused with the server's message, and the form stays.
    await page.fill('#login-id', env('CHAT_ADMIN_LOGIN'));
    await page.fill('#password', 'not-the-password');
    await page.click('#login-submit');
    await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0, null, { timeout: 10_000 });

    await page.fill('#password', env('CHAT_ADMIN_PASSWORD'));
    await page.click('#login-submit');
    await page.waitForSelector('#cluster:not([hidden])', { timeout: 10_000 });
    await page.waitForFunction((n) => document.querySelectorAll('#nodes tr[data-status="ok"]').length === n, expected.length, { timeout: 10_000 });
    const hostnames = await page.$$eval('#nodes tr', (rows) => rows.map((r) => r.dataset.hostname).sort());
    assert.deepEqual(hostnames, expected);
    assert.equal(await statusColor(page, victim), GREEN);
    assert.match(await page.textContent('#whoami'), new RegExp(env('CHAT_ADMIN_LOGIN')));

    // The session cookie keeps the admin signed in across a reload.
    await page.reload();
    await page.waitForFunction((n) => document.querySelectorAll('#nodes tr[data-status="ok"]').length === n, expected.length, { timeout: 10_000 });
    assert.equal(await page.isHidden('#login'), true);

    const killedAt = Date.now();
    process.kill(Number(env('CHAT_KILL_PID')), 'SIGKILL');
    await page.waitForSelector(`tr[data-hostname="${victim}"][data-status="down"]`, { timeout: 10_000 });
    const seconds = (Date.now() - killedAt) / 1000;
    console.log(`# the page showed ${victim} down ${seconds.toFixed(1)} s after SIGKILL`);
    assert.ok(seconds <= 10, `${victim} turned red only after ${seconds} s`);
    assert.equal(await statusColor(page, victim), RED);
    assert.equal(await page.textContent(`tr[data-hostname="${victim}"] td.status`), 'down');
    for (const other of expected.filter((h) => h !== victim)) {
      assert.equal(await page.getAttribute(`tr[data-hostname="${other}"]`, 'data-status'), 'ok');
    }
    if (process.env.CHAT_SCREENSHOT) {
      await page.screenshot({ path: process.env.CHAT_SCREENSHOT, fullPage: true });
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
