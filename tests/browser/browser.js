'use strict';
/*
 * browser — the browser tests' harness: Debian's Chromium (/usr/bin/chromium) driven by
 * playwright-core against a real `guichet serve` started by tests/http/harness.js, and
 * axe-core run inside the page. Every test file in tests/browser builds on it:
 *
 *   const B = require('./browser');
 *   const env = await B.start();                 // a guichet (demo commune) + a browser
 *   const page = await env.newPage({ javaScriptEnabled: false });
 *   await B.goto(page, env.srv.url + '/');
 *   await B.assertAccessible(page, 'home');       // zero axe violations, HTML < 100 KB
 *   await env.stop();
 *
 * Chromium is started with the flags that keep it off the network (this machine's network is
 * closed: without them it floods it with connections) and a fresh profile directory
 * (Playwright's, removed at close). CHROMIUM=/path overrides the binary.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { chromium } = require('playwright-core');
const H = require('../http/harness');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE_JS = require.resolve('axe-core/axe.min.js');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const MAX_HTML_BYTES = 100 * 1024;
/* Generous: the ASan build is several times slower than the normal one. */
const TIMEOUT_MS = 30000;

const CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    '--disable-default-apps', '--disable-extensions', '--no-default-browser-check',
    '--disable-dev-shm-usage',
];

/* Starts Chromium; resolves to {browser, close}. Playwright's launch() gives Chromium a
 * fresh --user-data-dir of its own (a new temp dir, removed when the browser closes; it
 * refuses the flag from us and wants launchPersistentContext instead, which would tie the
 * browser to a single context where the tests need several, one per visitor). */
async function launch() {
    if (!fs.existsSync(CHROMIUM)) {
        throw new Error(`${CHROMIUM} not found (run scripts/install-deps test: Debian package chromium)`);
    }
    const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        timeout: 60000,
    });
    return {
        browser,
        close: () => browser.close(),
    };
}

/*
 * start(opts) → env: a guichet (startServer(opts.server), demo commune by default) and a
 * browser. env.newPage({javaScriptEnabled, locale, viewport}) opens a page in a context of
 * its own (its own cookies); env.stop() closes everything, browser first.
 */
async function start(opts = {}) {
    const srv = await H.startServer(Object.assign({ demo: true, requests: 30 }, opts.server || {}));
    let b;
    try {
        b = await launch();
    } catch (e) {
        await srv.stop();
        throw e;
    }
    const contexts = [];
    return {
        srv,
        browser: b.browser,
        async newPage({ javaScriptEnabled = true, locale = 'fr-FR', viewport } = {}) {
            const ctx = await b.browser.newContext({
                javaScriptEnabled,
                locale,
                viewport: viewport || { width: 1280, height: 900 },
                /* Local files only: nothing may leave the machine. */
                serviceWorkers: 'block',
            });
            ctx.setDefaultTimeout(TIMEOUT_MS);
            ctx.setDefaultNavigationTimeout(TIMEOUT_MS);
            contexts.push(ctx);
            /* Nothing leaves the machine: a request to anywhere but this guichet (map tiles
             * from a configured tile server, say) is refused and recorded, so that a page
             * that needs the network to work shows up in the tests. */
            const blocked = [];
            await ctx.route((u) => !u.href.startsWith(srv.url + '/') && u.protocol !== 'data:' && u.protocol !== 'blob:',
                            (route) => {
                                blocked.push(route.request().url());
                                return route.abort('blockedbyclient');
                            });
            const page = await ctx.newPage();
            page.blocked = blocked;
            page.consoleErrors = [];
            page.on('console', (m) => {
                if (m.type() !== 'error') return;
                /* The refusals above are reported as console errors: not the page's. */
                const where = (m.location() && m.location().url) || '';
                if (/ERR_BLOCKED_BY_CLIENT/.test(m.text()) || (where && !where.startsWith(srv.url))) return;
                page.consoleErrors.push(m.text());
            });
            page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
            return page;
        },
        /* Closes the browser, stops guichet; resolves to guichet's exit status (0 after a
         * clean SIGTERM; an ASan build reports leaks and errors through it). */
        async stop() {
            for (const c of contexts) await c.close().catch(() => {});
            try {
                await b.close();
            } finally {
                /* Kept on failure for the post-mortem of server.log. */
                const code = await srv.stop('SIGTERM', { keep: true });
                if (code !== 0) {
                    console.log(`guichet exited ${code}; server.log (tail):\n${srv.log().split('\n').slice(-40).join('\n')}`);
                }
                srv.cleanup();
                return code;
            }
        },
    };
}

/* Navigates and asserts the status (200 unless told); returns the response. */
async function goto(page, url, status = 200) {
    const r = await page.goto(url, { waitUntil: 'load' });
    assert.ok(r, `no response for ${url}`);
    assert.equal(r.status(), status, `GET ${url}: status ${r.status()}, expected ${status}`);
    return r;
}

/* Runs axe-core in the page with the WCAG 2.1 A/AA rules; returns the violations. */
async function axe(page) {
    const has = await page.evaluate(() => typeof window.axe !== 'undefined');
    /* Injected as a script element's text would be refused by the portal's CSP; addScriptTag
     * with content too. Evaluating the source through the DevTools protocol is not subject to
     * the page's CSP. */
    if (!has) await page.evaluate(fs.readFileSync(AXE_JS, 'utf8'));
    const res = await page.evaluate(async (tags) => {
        /* eslint-disable-next-line no-undef */
        const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
        return r.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html, summary: n.failureSummary })),
        }));
    }, AXE_TAGS);
    return res;
}

/* A readable report of axe violations. */
function formatViolations(label, violations) {
    return violations.map((v) => {
        const nodes = v.nodes.slice(0, 8).map((n) => {
            /* The first reason only: the full list of "fix any of" repeats for every node. */
            const why = (n.summary || '').split('\n').slice(0, 2).map((l) => l.trim()).join(' ');
            return `      at ${n.target}\n        ${n.html.slice(0, 240)}\n        ${why}`;
        });
        if (v.nodes.length > 8) nodes.push(`      … and ${v.nodes.length - 8} more node(s)`);
        return `  [${label}] ${v.id} (${v.impact}): ${v.help}\n${nodes.join('\n')}`;
    }).join('\n');
}

/*
 * assertAccessible(page, label): zero axe violations (each printed with its rule, help and
 * nodes when not), a lang attribute (expectedLang when given), and the document's HTML under
 * 100 KB (as served: the response body of the last navigation when known).
 */
async function assertAccessible(page, label, { lang, response } = {}) {
    const v = await axe(page);
    if (v.length) console.log(`axe violations on ${label} (${page.url()}):\n${formatViolations(label, v)}`);
    assert.equal(v.length, 0, `axe: ${v.length} violation(s) on ${label} (${page.url()}):\n${formatViolations(label, v)}`);
    const docLang = await page.evaluate(() => document.documentElement.getAttribute('lang'));
    assert.ok(docLang, `${label}: <html> has no lang attribute`);
    if (lang) assert.equal(docLang, lang, `${label}: <html lang="${docLang}">, expected ${lang}`);
    let size;
    if (response) {
        size = (await response.body()).length;
    } else {
        size = Buffer.byteLength(await page.content(), 'utf8');
    }
    assert.ok(size < MAX_HTML_BYTES, `${label}: HTML is ${size} bytes, over ${MAX_HTML_BYTES}`);
    return { violations: 0, bytes: size };
}

/* The focused element and how its focus shows: its own outline or box-shadow, or the one a
 * close ancestor takes on while it holds the focus (a card around a link, via :has()). */
async function focusStyle(page) {
    return page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const look = (node) => {
            const s = getComputedStyle(node);
            const outline = s.outlineStyle !== 'none' && (parseFloat(s.outlineWidth) || 0) >= 1 &&
                !/rgba\(\d+, \d+, \d+, 0\)/.test(s.outlineColor);
            const shadow = !!s.boxShadow && s.boxShadow !== 'none';
            return { outline, shadow, s };
        };
        const own = look(el);
        let shownBy = own.outline || own.shadow ? 'self' : null;
        for (let n = el.parentElement, depth = 0; !shownBy && n && n !== document.body && depth < 3; n = n.parentElement, depth++) {
            const l = look(n);
            if ((l.outline || l.shadow) && n.matches(':focus-within')) shownBy = n.tagName.toLowerCase() + (n.className ? '.' + String(n.className).split(' ')[0] : '');
        }
        return {
            tag: el.tagName.toLowerCase(),
            id: el.id,
            name: el.getAttribute('name'),
            type: el.getAttribute('type'),
            text: (el.textContent || '').trim().slice(0, 80),
            focusVisible: el.matches(':focus-visible'),
            outlineStyle: own.s.outlineStyle,
            outlineWidth: parseFloat(own.s.outlineWidth) || 0,
            outlineColor: own.s.outlineColor,
            boxShadow: own.s.boxShadow,
            shownBy,
        };
    });
}

/* True when the focus of the focused element can be seen: an outline of at least 1px (not
 * transparent) or a box-shadow, on it or on a close ancestor (see focusStyle). */
function focusVisible(st) {
    return !!(st && st.shownBy);
}

/*
 * A tiny valid JPEG photo (64x48, a gradient) made at test time: with vips (libvips-tools)
 * when there, else ImageMagick's convert; else in the browser page itself with a canvas.
 * Returns {name, mimeType, buffer}.
 */
async function makeJpeg(page, dir) {
    const out = path.join(dir || os.tmpdir(), `photo-${process.pid}-${Date.now()}.jpg`);
    const tries = [
        ['vips', ['black', out + '[Q=85]', '64', '48', '--bands', '3']],
        ['convert', ['-size', '64x48', 'gradient:blue-yellow', out]],
    ];
    for (const [cmd, args] of tries) {
        try {
            execFileSync(cmd, args, { stdio: 'ignore', timeout: 30000 });
            const buffer = fs.readFileSync(out);
            fs.rmSync(out, { force: true });
            if (buffer[0] === 0xff && buffer[1] === 0xd8) return { name: 'nid-de-poule.jpg', mimeType: 'image/jpeg', buffer };
        } catch (e) {
            /* try the next way */
        }
    }
    const b64 = await page.evaluate(() => {
        const c = document.createElement('canvas');
        c.width = 64;
        c.height = 48;
        const g = c.getContext('2d');
        const grd = g.createLinearGradient(0, 0, 64, 48);
        grd.addColorStop(0, '#246');
        grd.addColorStop(1, '#db4');
        g.fillStyle = grd;
        g.fillRect(0, 0, 64, 48);
        return c.toDataURL('image/jpeg', 0.85).split(',')[1];
    });
    return { name: 'nid-de-poule.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(b64, 'base64') };
}

/* The last e-mail queued for `recipient` (outbox row, params parsed), or null. */
function lastMail(srv, recipient, template) {
    const esc = (x) => String(x).replace(/'/g, "''");
    let q = `SELECT id, template, params, lang FROM outbox WHERE recipient = '${esc(recipient)}'`;
    if (template) q += ` AND template = '${esc(template)}'`;
    q += ' ORDER BY id DESC LIMIT 1';
    const out = execFileSync('sqlite3', ['-batch', '-json', srv.db, q], { encoding: 'utf8' }).trim();
    if (!out) return null;
    const rows = JSON.parse(out);
    if (!rows.length) return null;
    const row = rows[0];
    try {
        row.paramsJson = JSON.parse(row.params || '{}');
    } catch (e) {
        row.paramsJson = {};
    }
    return row;
}

/* A token-bearing link of an outbox message: the first string value of its params that holds
 * "jeton=" (a URL), made local to srv; or, when the params hold only the token, path+token. */
function linkFromMail(srv, row, pathIfBare) {
    assert.ok(row, 'no e-mail in the outbox');
    const values = [];
    const walk = (v) => {
        if (typeof v === 'string') values.push(v);
        else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(row.paramsJson);
    const url = values.find((s) => /jeton=/.test(s));
    if (url) {
        const u = new URL(url, srv.url);
        return srv.url + u.pathname + u.search;
    }
    const tok = row.paramsJson.token || row.paramsJson.jeton;
    assert.ok(tok && pathIfBare, `no link nor token in outbox params: ${row.params}`);
    return `${srv.url}${pathIfBare}?jeton=${encodeURIComponent(tok)}`;
}

/* The hidden CSRF input of the first form on the page. */
async function csrfOf(page) {
    return page.locator('input[type=hidden][name*=csrf]').first().getAttribute('value');
}

module.exports = {
    start,
    launch,
    goto,
    axe,
    formatViolations,
    assertAccessible,
    focusStyle,
    focusVisible,
    makeJpeg,
    lastMail,
    linkFromMail,
    csrfOf,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    MAX_HTML_BYTES,
    H,
};
