'use strict';
/*
 * bo_flows — what the back-office tests share: agents created with the CLI
 * (`guichet agent add … --password-stdin`), TOTP codes computed here (RFC 6238, HMAC-SHA1,
 * 30 s steps, 6 digits; the secret read back from the enrolment page), an HTTP client that
 * logs an agent in like a browser without JavaScript (cookie jar, CSRF token, no automatic
 * redirects, the second factor and the enrolment when the server asks for them), requests
 * filed with known personal data (to look for leaks), and the same login in a Playwright
 * page. Used by tests/http/backoffice_matrix.test.js, tests/http/audit.test.js and
 * tests/browser/backoffice*.test.js.
 */

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const H = require('../http/harness');

const PASSWORD = 'Phrase de passe des agents, 2026 !';
/* The agent's pages and their field names (bo_auth.c). */
const LOGIN = '/agent/connexion';
const CODE = '/agent/connexion/code';
const ENROL = '/agent/totp';
const LOGOUT = '/agent/deconnexion';
const COOKIE = 'guichet_agent';

/* ---- TOTP (RFC 6238 over RFC 4226) ---- */

/* RFC 4648 base32 (upper or lower case, spaces, dashes and padding ignored) → Buffer. */
function base32Decode(s) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    const clean = String(s).toUpperCase().replace(/[\s=-]/g, '');
    let bits = 0;
    let value = 0;
    const out = [];
    for (const ch of clean) {
        const v = alphabet.indexOf(ch);
        if (v < 0) throw new Error(`base32Decode: «${ch}» is not a base32 character in «${s}»`);
        value = (value << 5) | v;
        bits += 5;
        if (bits >= 8) {
            out.push((value >>> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    return Buffer.from(out);
}

/* HOTP(key, counter) with `digits` digits (RFC 4226 §5.3, dynamic truncation). */
function hotp(key, counter, digits = 6, algo = 'sha1') {
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(BigInt(counter));
    const mac = crypto.createHmac(algo, key).update(msg).digest();
    const off = mac[mac.length - 1] & 0x0f;
    const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
    return String(bin % 10 ** digits).padStart(digits, '0');
}

/* The TOTP code of a base32 secret (or a Buffer key) at time ms (default now). */
function totp(secret, { time = Date.now(), step = 30, digits = 6, algo = 'sha1' } = {}) {
    const key = Buffer.isBuffer(secret) ? secret : base32Decode(secret);
    return hotp(key, Math.floor(time / 1000 / step), digits, algo);
}

/* A code for secret that was not given before: the server never accepts a time step at or
 * before the last one it accepted (replay, RFC 6238 §5.2) and accepts the next step (clock
 * drift). So a second login within the same 30 s uses the next step's code, and a third
 * waits for the next step: the protocol's wait, not a guess about the server's speed. */
const lastStep = new Map();
async function freshCode(secret) {
    for (;;) {
        const now = Math.floor(Date.now() / 30000);
        const last = lastStep.has(secret) ? lastStep.get(secret) : -1;
        const s = Math.max(now, last + 1);
        /* Not the last second of a step for now+1: the server's clock reads it a moment later. */
        if (s === now || (s === now + 1 && Date.now() % 30000 < 25000)) {
            lastStep.set(secret, s);
            return totp(secret, { time: s * 30000 });
        }
        await H.sleep(30000 - (Date.now() % 30000) + 50);
    }
}

/* After a login the second factor let through: the server takes the step of the login's own
 * instant as spent too (no code of that step or before opens another session, even after a
 * restart), which is a step later than the code's when the code was typed at a step's very
 * end — the next fresh code must come after it. */
function loginDone(secret) {
    const now = Math.floor(Date.now() / 30000);
    if (!lastStep.has(secret) || lastStep.get(secret) < now) lastStep.set(secret, now);
}

/* The base32 secret shown on the enrolment page: <code id="totp-secret">, else the longest
 * run of base32 groups in the text. */
function secretFromHtml(html) {
    const marked = /id="totp-secret"[^>]*>([^<]*)</i.exec(html) || /data-totp-secret[^>]*>([^<]*)</i.exec(html);
    if (marked) {
        const s = marked[1].replace(/[\s\u00a0-]+/g, '');
        if (/^[A-Z2-7]{16,}$/i.test(s)) return s.toUpperCase();
    }
    const text = html.replace(/<[^>]*>/g, ' ');
    const runs = text.match(/\b[A-Z2-7]{4}(?:[ \u00a0]?[A-Z2-7]{4}){3,}\b/g) || [];
    runs.sort((a, b) => b.length - a.length);
    assert.ok(runs.length, 'the enrolment page shows no base32 secret (#totp-secret)');
    return runs[0].replace(/[ \u00a0]/g, '');
}

/* ---- agents (CLI) ---- */

/*
 * addAgent(srv, {email, name, role, departments, password}) → agent {email, name, role,
 * departments, password, id, secret: null}. The password goes on standard input.
 */
function addAgent(srv, a) {
    const agent = Object.assign({ password: PASSWORD, departments: [], secret: null }, a);
    const args = ['agent', 'add', '--db', srv.db, '--email', agent.email, '--name', agent.name, '--role', agent.role];
    if (agent.departments.length) args.push('--department', agent.departments.join(','));
    args.push('--password-stdin');
    const r = spawnSync(H.BIN, args, { input: agent.password + '\n', env: srv.env, encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, `guichet ${args.join(' ')} exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    const id = srv.sql(`SELECT id FROM agents WHERE email = ${sqlq(agent.email.toLowerCase())}`).trim();
    assert.ok(id, `no agents row for ${agent.email} after agent add`);
    agent.id = Number(id);
    return agent;
}

function sqlq(s) {
    return "'" + String(s).replace(/'/g, "''") + "'";
}

/* ---- an HTTP client with cookies ---- */

/* Decodes the entities the template engine writes. */
function unescapeHtml(s) {
    return String(s).replace(/&#39;/g, "'").replace(/&#x27;/g, "'").replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function csrfOf(html) {
    const m = /name="csrf_token" value="([^"]+)"/.exec(html) || /value="([^"]+)" name="csrf_token"/.exec(html);
    return m ? m[1] : null;
}

/* A browser without JavaScript: cookies kept (Max-Age=0 deletes), redirects not followed,
 * the last CSRF token seen kept for the next POST. */
class Client {
    constructor(srv, label = 'client') {
        this.srv = srv;
        this.label = label;
        this.jar = new Map();
        this.csrf = null;
    }

    cookieHeader() {
        return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    }

    async req(method, p, { form, headers = {}, json } = {}) {
        const h = Object.assign({}, headers);
        if (this.jar.size) h.Cookie = this.cookieHeader();
        let body;
        if (form !== undefined) {
            body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
            h['Content-Type'] = 'application/x-www-form-urlencoded';
        } else if (json !== undefined) {
            body = JSON.stringify(json);
            h['Content-Type'] = 'application/json';
        }
        const r = await fetch(this.srv.url + p, {
            method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(30000),
        });
        const text = await r.text();
        for (const c of r.headers.getSetCookie()) {
            const [pair, ...attrs] = c.split(';').map((s) => s.trim());
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq);
            const value = pair.slice(eq + 1);
            if (attrs.some((x) => /^max-age=0$/i.test(x)) || value === '') this.jar.delete(name);
            else this.jar.set(name, value);
        }
        const token = csrfOf(text);
        if (token) this.csrf = token;
        const location = r.headers.get('location');
        return { status: r.status, headers: r.headers, text, location, method, path: p };
    }

    get(p) {
        return this.req('GET', p);
    }

    /* POSTs fields with the CSRF token (fetching `tokenFrom` first when none is known). */
    async post(p, fields = {}, { tokenFrom = LOGIN } = {}) {
        if (!this.csrf) await this.get(tokenFrom);
        return this.req('POST', p, { form: Object.assign({ csrf_token: this.csrf || '' }, fields) });
    }

    /* Uses an e-mailed link (verification, login) as a person does: its GET shows a page
     * with one button, whose POST spends the token. Returns the POST's answer. */
    async useLink(link) {
        const u = new URL(link, this.srv.url);
        const page = await this.get(u.pathname + u.search);
        assert.equal(page.status, 200, `GET ${u.pathname}: ${page.status}`);
        const action = /<form method="post" action="([^"]+)">/.exec(page.text);
        const jeton = /name="jeton" value="([^"]*)"/.exec(page.text);
        assert.ok(action && jeton, `no button on the page of ${u.pathname}`);
        return this.req('POST', unescapeHtml(action[1]), { form: { csrf_token: this.csrf, jeton: jeton[1] } });
    }

    /* Follows 303/302 redirects from r (GET), at most 5; returns the last response. */
    async follow(r) {
        for (let i = 0; i < 5 && r.status >= 300 && r.status < 400 && r.location; i++) {
            const u = new URL(r.location, this.srv.url);
            r = await this.get(u.pathname + u.search);
        }
        return r;
    }
}

/* The path of a redirect's Location ('' when none). */
function locPath(r, srv) {
    if (!r.location) return '';
    const u = new URL(r.location, srv.url);
    return u.pathname + u.search;
}

/*
 * login(srv, agent, client?) → client logged in as agent: password, then the second factor
 * when asked (enrolment on first login: the secret is read from the page and kept in
 * agent.secret; the code step afterwards). Fails with the page's text when a step refuses.
 */
async function login(srv, agent, client = new Client(srv, agent.email)) {
    await client.get(LOGIN);
    let r = await client.post(LOGIN, { email: agent.email, password: agent.password });
    assert.equal(r.status, 303, `${agent.email}: POST ${LOGIN} answered ${r.status}, not 303:\n${textOf(r.text).slice(0, 800)}`);
    for (let i = 0; i < 4; i++) {
        const where = locPath(r, srv);
        if (where.startsWith(ENROL)) {
            const page = await client.get(where);
            assert.equal(page.status, 200, `${agent.email}: GET ${where}: ${page.status}`);
            agent.secret = secretFromHtml(page.text);
            r = await client.post(ENROL, { code: await freshCode(agent.secret) });
        } else if (where.startsWith(CODE)) {
            assert.ok(agent.secret, `${agent.email}: the server asks for a TOTP code but the agent never enrolled`);
            const page = await client.get(where);
            assert.equal(page.status, 200, `${agent.email}: GET ${where}: ${page.status}`);
            r = await client.post(CODE, { code: await freshCode(agent.secret) });
        } else {
            break;
        }
        assert.equal(r.status, 303, `${agent.email}: second factor answered ${r.status}:\n${textOf(r.text).slice(0, 800)}`);
        loginDone(agent.secret);
    }
    const where = locPath(r, srv);
    assert.ok(where.startsWith('/agent/') && !where.startsWith(LOGIN) && !where.startsWith(ENROL),
              `${agent.email}: after login, redirected to «${where}»`);
    assert.ok(client.jar.has(COOKIE), `${agent.email}: no ${COOKIE} cookie after login`);
    /* The inbox gives the session's CSRF token (rotated at login). */
    const inbox = await client.get('/agent/');
    assert.equal(inbox.status, 200, `${agent.email}: GET /agent/ after login: ${inbox.status}`);
    return client;
}

/* The visible text of an HTML page (tags dropped, entities decoded, spaces collapsed). */
function textOf(html) {
    return unescapeHtml(String(html).replace(/<script[\s\S]*?<\/script>/g, ' ').replace(/<[^>]*>/g, ' '))
        .replace(/\s+/g, ' ').trim();
}

/* ---- requests with known personal data ---- */

/*
 * fileRequest(srv, {service, tag, lat, long}) → {reference, id, department, email, first,
 * last, phone, description, tag}: a request filed through Open311 with personal data made
 * unique by `tag`, so that a test can look for any of it in a body or a table.
 */
async function fileRequest(srv, { service = 'nid-de-poule', tag, lat = '45.764', long = '4.8357' } = {}) {
    const t = tag || crypto.randomBytes(4).toString('hex');
    const who = {
        email: `usager.${t}@exemple.fr`,
        first: `Prenomtemoin${t}`,
        last: `Nomtemoin${t}`,
        /* A mobile number of its own for any tag (hex or not): what core stores in E.164. A
         * metropolitan one (06 1…): an overseas number (06 90… is Guadeloupe) keeps its
         * national digits in E.164 (+590 690…), so the caller lookup's heading, which echoes
         * the number looked up, would contain it. */
        phone: `061${String(crypto.createHash('sha256').update(t).digest().readUInt32BE(0) % 10000000).padStart(7, '0')}`,
        description: `Description témoin ${t} : un trou dans la chaussée devant la boulangerie.`,
        tag: t,
    };
    const body = await H.validPostBody(srv, service, {
        email: who.email, first_name: who.first, last_name: who.last, phone: who.phone,
        description: who.description, lat, long,
    });
    const r = await H.request(srv, 'POST', '/open311/v2/requests.json', { form: body });
    assert.ok([200, 201].includes(r.status), `POST requests.json (${service}): ${r.status} ${r.text.slice(0, 500)}`);
    const ref = r.json[0].service_request_id;
    const row = srv.sql(`SELECT r.id, d.code FROM requests r LEFT JOIN departments d ON d.id = r.department_id WHERE r.reference = ${sqlq(ref)}`).trim();
    const [id, department] = row.split('|');
    await receiptSettled(srv, Number(id));
    return Object.assign(who, { reference: ref, id: Number(id), department, service });
}

/* Waits until the receipt job a new request schedules has run: it writes the request's
 * accusé de réception after the create's commit, so a test that compares the database
 * before and after an action (the access matrix) must not see it land in between. */
async function receiptSettled(srv, requestId, timeoutMs = 30000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
        const left = Number(srv.sql(`SELECT count(*) FROM jobs WHERE request_id = ${requestId} AND kind = 'document_receipt' ` +
                                    "AND state IN ('pending', 'running')").trim());
        if (left === 0) return;
        assert.ok(Date.now() < until, `the receipt of request ${requestId} was not issued within ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 25));
    }
}

/* The personal data of a filed request to look for in a body: [label, value] pairs. */
function secretsOf(req) {
    return [
        ['reference', req.reference],
        ['e-mail', req.email],
        ['first name', req.first],
        ['last name', req.last],
        ['phone', req.phone],
        ['description', `Description témoin ${req.tag}`],
    ];
}

/* The body without what merely echoes the visitor's own input: the search box's value, the
 * query kept in hidden fields, links to the requested path itself (tabs, pages, the language
 * switch), so that what is left can only come from the database. */
function withoutEcho(text, path) {
    /* The search box, and the hidden copies of the query (saving a filter, coming back); the
     * caller lookup's number as the agent typed it. */
    let out = String(text).replace(/<input\b[^>]*\bname="(q|requete|retour)"[^>]*>/g, '')
        .replace(/<input\b[^>]*\bname="tel" type="tel"[^>]*>/g, '');
    if (path) {
        const p = path.split('?')[0];
        const esc = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        out = out.replace(new RegExp(`href="${esc(p)}(\\?[^"]*)?"`, 'g'), 'href=""');
        out = out.replace(new RegExp(`value="${esc(p)}(\\?[^"]*)?"`, 'g'), 'value=""');
    }
    return out;
}

/* Asserts that none of req's personal data appears in text (raw and entity-decoded), once
 * the echo of the visitor's own input (path: the requested path) is taken out. */
function assertNoLeak(text, req, label, path) {
    const body = withoutEcho(text, path);
    const plain = unescapeHtml(body);
    for (const [what, value] of secretsOf(req)) {
        assert.ok(!body.includes(value) && !plain.includes(value),
                  `${label}: the body shows the request's ${what} («${value}»)`);
    }
}

/* The unix time of the first midnight in Europe/Paris (the demo collectivité's zone) after
 * unix time t: a due date before it and not before now is «due today». */
function nextParisMidnight(t) {
    const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    const [h, m, s] = fmt.format(new Date(t * 1000)).split(':').map(Number);
    return t + 86400 - (h * 3600 + m * 60 + s);
}

/* ---- the same in a Playwright page ---- */

/*
 * loginPage(page, srv, agent): logs in through the pages, typing like a user: e-mail and
 * password, then the enrolment (secret read from the page's text) or the code step.
 */
async function loginPage(page, srv, agent) {
    const B = require('./browser');
    await B.goto(page, srv.url + LOGIN);
    await page.getByLabel(/e-?mail|courriel|adresse/i).first().fill(agent.email);
    await page.locator('main input[type=password]').first().fill(agent.password);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('main form button[type=submit], main form input[type=submit]').last().click()]);
    for (let i = 0; i < 3; i++) {
        const u = new URL(page.url());
        if (u.pathname.startsWith(ENROL)) {
            agent.secret = secretFromHtml(await page.content());
        } else if (!u.pathname.startsWith(CODE)) {
            break;
        }
        assert.ok(agent.secret, `${agent.email}: asked for a code without an enrolment`);
        await page.locator('main input[name=code]').fill(await freshCode(agent.secret));
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('main input[name=code]').press('Enter')]);
        loginDone(agent.secret);
    }
    const u = new URL(page.url());
    assert.ok(u.pathname.startsWith('/agent/') && ![LOGIN, CODE, ENROL].some((p) => u.pathname.startsWith(p)),
              `${agent.email}: not logged in, the browser is at ${page.url()}`);
}

module.exports = {
    nextParisMidnight,
    PASSWORD,
    LOGIN,
    CODE,
    ENROL,
    LOGOUT,
    COOKIE,
    base32Decode,
    hotp,
    totp,
    freshCode,
    loginDone,
    secretFromHtml,
    addAgent,
    sqlq,
    Client,
    locPath,
    login,
    textOf,
    unescapeHtml,
    csrfOf,
    fileRequest,
    secretsOf,
    assertNoLeak,
    withoutEcho,
    loginPage,
};

/* ---- keyboard only ---- */

/*
 * tabTo(page, test, {max, back}): presses Tab (Shift+Tab with back) until the focused
 * element satisfies test (a function run in the page on document.activeElement), at most
 * max presses; fails naming what was focused on the way.
 */
async function tabTo(page, test, { max = 150, back = false, what = 'the element', arg } = {}) {
    const seen = [];
    for (let i = 0; i < max; i++) {
        await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
        const hit = await page.evaluate(test, arg);
        if (hit) return i + 1;
        seen.push(await page.evaluate(() => {
            const e = document.activeElement;
            if (!e) return '(none)';
            return `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.name ? '[name=' + e.name + ']' : ''} «${(e.textContent || e.value || '').trim().slice(0, 30)}»`;
        }));
    }
    throw new Error(`tabTo: ${what} never got the focus in ${max} Tab presses on ${page.url()}; focused: ${seen.slice(0, 40).join(', ')}`);
}

/* Presses key and waits for the navigation it causes. */
async function pressAndWait(page, key) {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press(key)]);
}

module.exports.tabTo = tabTo;
module.exports.pressAndWait = pressAndWait;
