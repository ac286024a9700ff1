// The person at the browser, for Latchkey's e2e tests: the program LATCHKEY_BROWSER names.
//
//   node browser.mjs URL
//
// Starts Debian's chromium (headless, fresh profile) through playwright-core, opens the authorization
// URL, signs in on oidc-provider's dev login page (any login and password), approves the consent page,
// and waits until the browser lands on the loopback redirect (http://127.0.0.1:PORT/callback) and
// Latchkey's page there has loaded. Exit 0 then, 1 on any failure, 2 on bad usage.
//
// The daemon starts this detached: nothing here depends on its stdin/stdout/stderr. What happened goes
// to $LATCHKEY_BROWSER_LOG (appended, one JSON object per line: {"event":"open"|"login"|"consent"|
// "callback"|"error",...}) — the tests count visits with it and assert that no browser was opened.
// Secrets (code, state) are never written: the callback is logged by its origin, path and parameter names.
//
// LATCHKEY_BROWSER_LOGIN sets the login name (default "e2e-user"); LATCHKEY_BROWSER_TIMEOUT_MS the
// overall deadline (default 60000).
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const logPath = process.env.LATCHKEY_BROWSER_LOG;
function log(event, details = {}) {
    if (!logPath) {
        return;
    }
    try {
        appendFileSync(logPath, `${JSON.stringify({ event, pid: process.pid, time: Date.now(), ...details })}\n`);
    } catch {
        // Nowhere else to say it.
    }
}
// A detached child may have lost whatever stdio it inherited: never die of EPIPE.
for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {});
}

function describe(url) {
    try {
        const parsed = new URL(url);
        return { origin: parsed.origin, path: parsed.pathname, params: [...parsed.searchParams.keys()].sort() };
    } catch {
        return { origin: 'unparsable' };
    }
}

function isCallback(url) {
    try {
        const parsed = new URL(url);
        return parsed.protocol === 'http:' && parsed.hostname === '127.0.0.1' && parsed.pathname === '/callback';
    } catch {
        return false;
    }
}

const target = process.argv[2];
if (process.argv.length !== 3 || !/^https?:\/\//.test(target ?? '')) {
    log('error', { message: 'usage: node browser.mjs URL' });
    process.exit(2);
}

const deadline = Date.now() + Number.parseInt(process.env.LATCHKEY_BROWSER_TIMEOUT_MS ?? '60000', 10);
const remaining = () => Math.max(1, deadline - Date.now());
const login = process.env.LATCHKEY_BROWSER_LOGIN || 'e2e-user';
const profile = mkdtempSync(join(tmpdir(), 'latchkey-browser-'));

log('open', describe(target));
let context;
let status = 1;
try {
    context = await chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium',
        headless: true,
        timeout: remaining(),
        args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-dev-shm-usage',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--no-default-browser-check',
        ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(remaining());

    // Where the browser ends up after each step: the login page, the consent page, or our callback.
    const settle = async () => {
        await page.waitForLoadState('load', { timeout: remaining() });
        if (isCallback(page.url())) {
            return 'callback';
        }
        const prompt = page.locator('input[name="prompt"]');
        await prompt.first().waitFor({ state: 'attached', timeout: remaining() });
        return await prompt.first().getAttribute('value');
    };

    await page.goto(target, { waitUntil: 'load', timeout: remaining() });
    for (let step = 0; step < 6; step += 1) {
        const where = await settle();
        if (where === 'callback') {
            log('callback', { ...describe(page.url()), body: (await page.textContent('body'))?.slice(0, 200) });
            status = 0;
            break;
        }
        const before = page.url();
        const navigated = page.waitForURL((url) => url.href !== before, { timeout: remaining() });
        if (where === 'login') {
            log('login', describe(page.url()));
            await page.fill('input[name="login"]', login);
            await page.fill('input[name="password"]', 'any-password');
            await page.click('button[type="submit"]');
        } else if (where === 'consent') {
            log('consent', describe(page.url()));
            await page.click('button[type="submit"]');
        } else {
            throw new Error(`unexpected page at ${page.url()} (prompt ${where})`);
        }
        await navigated;
    }
    if (status !== 0) {
        throw new Error(`no callback after the expected steps; at ${describe(page.url()).origin}${describe(page.url()).path}`);
    }
} catch (error) {
    log('error', { message: String(error?.message ?? error).split('\n')[0].slice(0, 300) });
    status = 1;
} finally {
    try {
        await context?.close();
    } catch {
        // The browser is gone already.
    }
    rmSync(profile, { recursive: true, force: true });
}
log('exit', { status });
process.exit(status);
