'use strict';
/*
 * Host names and the links built from them (penetration test, issue 9 «Hardening»):
 * e-mailed links (verification, password reset, login link) and announced URLs come from the
 * configuration, never from the Host header a client sent; with several collectivités a Host
 * that names none of them is refused; host names are unique across collectivités and only the
 * CLI assigns them (the back office cannot take another collectivité's host); and the
 * language link of a page never turns a request path such as //evil.example/x into a link to
 * another site.
 *
 * fetch() ignores a Host header, so requests here go through node:http, with a small cookie
 * jar and the CSRF token of the last page seen.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { startServer } = require('./harness');
const F = require('../browser/bo_flows');

const PASSWORD = 'Une phrase de passe assez longue, 2026';
const EVIL = 'evil.test';

/* One request with an explicit Host header: {status, headers, text}. */
function raw(srv, method, path, { host, headers = {}, form } = {}) {
    const body = form === undefined ? null : new URLSearchParams(form).toString();
    const h = Object.assign({ Host: host || `127.0.0.1:${srv.port}` }, headers);
    if (body !== null) {
        h['Content-Type'] = 'application/x-www-form-urlencoded';
        h['Content-Length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
        const rq = http.request({ host: '127.0.0.1', port: srv.port, method, path, headers: h,
                                  timeout: 30000 }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                          text: Buffer.concat(chunks).toString('utf8') }));
        });
        rq.on('timeout', () => rq.destroy(new Error(`${method} ${path}: timed out`)));
        rq.on('error', reject);
        if (body !== null) rq.write(body);
        rq.end();
    });
}

/* A browser that always sends the same Host: cookies kept, CSRF token of the last page. */
class HostBrowser {
    constructor(srv, host) {
        this.srv = srv;
        this.host = host;
        this.jar = new Map();
        this.csrf = null;
    }

    async req(method, path, form) {
        const headers = {};
        if (this.jar.size) headers.Cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
        const r = await raw(this.srv, method, path, { host: this.host, headers, form });
        for (const c of r.headers['set-cookie'] || []) {
            const [pair] = c.split(';');
            const eq = pair.indexOf('=');
            this.jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
        }
        const m = /name="csrf_token" value="([^"]+)"/.exec(r.text);
        if (m) this.csrf = m[1];
        return r;
    }

    /* GETs the form's page, then POSTs the fields with its CSRF token. */
    async submit(path, fields) {
        const page = await this.req('GET', path);
        assert.equal(page.status, 200, `GET ${path} with Host ${this.host}: ${page.status}`);
        return this.req('POST', path, Object.assign({ csrf_token: this.csrf }, fields));
    }
}

function sqlq(s) {
    return "'" + String(s).replace(/'/g, "''") + "'";
}

/* Every outbox message to `to`, params as text. */
function mailsTo(srv, to) {
    return srv.sql(`SELECT template || ' ' || params FROM outbox WHERE recipient = ${sqlq(to)} ORDER BY id`)
        .split('\n').filter(Boolean);
}

/* The link of the newest message of template tmpl to `to`. */
function linkOf(srv, tmpl, to) {
    const out = srv.sql(`SELECT params FROM outbox WHERE template = ${sqlq(tmpl)} AND recipient = ${sqlq(to)} ` +
                        'ORDER BY id DESC LIMIT 1').trim();
    assert.ok(out, `no ${tmpl} message for ${to}`);
    return JSON.parse(out).link;
}

/* Signs up `email` through Browser b (any Host). */
async function signUp(b, email) {
    const r = await b.submit('/compte/inscription', {
        email, display_name: 'Jeanne Martin', password: PASSWORD, password_confirm: PASSWORD,
    });
    assert.equal(r.status, 200, `sign-up of ${email} (Host ${b.host}): ${r.status}\n${r.text.slice(0, 400)}`);
}

let srv;
test.before(async () => {
    srv = await startServer({ requests: 5 });
});
test.after(async () => {
    if (srv) await srv.stop();
});

test('one collectivité: e-mailed links never come from the Host header', async () => {
    const b = new HostBrowser(srv, EVIL);
    const email = `hote.${process.pid}@exemple.fr`;
    await signUp(b, email);
    const reset = await b.submit('/compte/mot-de-passe-oublie', { email });
    assert.equal(reset.status, 200, reset.text.slice(0, 400));
    const login = await b.submit('/compte/lien-connexion', { email });
    assert.equal(login.status, 200, login.text.slice(0, 400));

    const mails = mailsTo(srv, email);
    assert.ok(mails.length >= 3, `verification, reset and login messages queued: ${mails.join('\n')}`);
    for (const m of mails) assert.ok(!m.includes(EVIL), `a message links to the Host sent by the client:\n${m}`);
    /* The demo commune's first host name is 127.0.0.1, a local name: plain HTTP on the
     * server's own port. */
    const base = `http://127.0.0.1:${srv.port}/`;
    for (const tmpl of ['account_verify', 'account_reset', 'account_login'])
        assert.ok(linkOf(srv, tmpl, email).startsWith(base), `${tmpl}: ${linkOf(srv, tmpl, email)}`);

    /* The URL announced by Open311 discovery is configuration too. */
    const d = await raw(srv, 'GET', '/open311/v2/discovery.json', { host: EVIL });
    assert.equal(d.status, 200);
    assert.ok(!d.text.includes(EVIL), d.text);
    assert.equal(JSON.parse(d.text).endpoints[0].url, `http://127.0.0.1:${srv.port}/open311/v2`);
});

test('the language link of a page never leads to another site', async () => {
    for (const path of ['//evil.example/x', '///evil.example/x', '/\\evil.example/x']) {
        const r = await raw(srv, 'GET', path);
        assert.equal(r.status, 404, `${path}: ${r.status}`);
        const hrefs = [...r.text.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
        assert.ok(hrefs.length > 0, 'the 404 page has links');
        for (const h of hrefs) {
            assert.ok(!/^(\/\/|\/\\|\\)/.test(h) && !h.includes('evil.example'),
                      `${path}: link ${h} leaves the site`);
        }
    }
    /* A clean path keeps its language link. */
    const ok = await raw(srv, 'GET', '/demarches');
    assert.match(ok.text, /href="\/demarches\?lang=en"/);
});

test('several collectivités: host names decide, are unique, and only the CLI sets them', async (t) => {
    /* The demo commune's administrator, made while it is the only collectivité. */
    const admin = F.addAgent(srv, { email: `hotes.admin.${process.pid}@ville-demo.test`, name: 'Hélène Hôtes', role: 'admin' });
    const add = srv.guichet(['tenant', 'add', '--db', srv.db, '--slug', 'autre-commune',
                             '--name', 'Autre Commune', '--hosts', 'autre.test www.autre.test']);
    assert.equal(add.status, 0, add.stderr);
    /* Restart rather than wait for the server to notice the change. */
    await srv.stop('SIGTERM', { keep: true });
    await srv.restart();
    const demoHost = `127.0.0.1:${srv.port}`;

    await t.test('a Host that names no collectivité is refused, and sends no mail', async () => {
        const home = await raw(srv, 'GET', '/', { host: EVIL });
        assert.equal(home.status, 421, home.text.slice(0, 300));
        assert.match(home.text, /Aucune collectivité/);
        const en = await raw(srv, 'GET', '/compte/mot-de-passe-oublie?lang=en', { host: EVIL });
        assert.equal(en.status, 421);
        assert.match(en.text, /No local authority/);
        const email = `inconnu.${process.pid}@exemple.fr`;
        const post = await raw(srv, 'POST', '/compte/lien-connexion', { host: EVIL, form: { email } });
        assert.equal(post.status, 421);
        assert.equal(mailsTo(srv, email).length, 0);
        /* The APIs choose their collectivité by parameter: still served. */
        const d = await raw(srv, 'GET', '/open311/v2/discovery.json?jurisdiction_id=autre-commune', { host: EVIL });
        assert.equal(d.status, 200, d.text);
        assert.ok(!d.text.includes(EVIL), d.text);
        assert.equal(JSON.parse(d.text).endpoints[0].url, `http://autre.test:${srv.port}/open311/v2`);
    });

    await t.test('each collectivité is served on its host names, its links on its first one', async () => {
        const demo = await raw(srv, 'GET', '/', { host: demoHost });
        assert.equal(demo.status, 200);
        assert.match(demo.text, /Ville de Démo/);
        const other = await raw(srv, 'GET', '/', { host: 'WWW.autre.test' });
        assert.equal(other.status, 200);
        assert.match(other.text, /Autre Commune/);
        const email = `autre.${process.pid}@exemple.fr`;
        await signUp(new HostBrowser(srv, 'www.autre.test'), email);
        assert.ok(linkOf(srv, 'account_verify', email).startsWith(`http://autre.test:${srv.port}/compte/verifier?jeton=`),
                  linkOf(srv, 'account_verify', email));
    });

    await t.test('the CLI refuses a host name another collectivité has', async () => {
        const dup = srv.guichet(['tenant', 'add', '--db', srv.db, '--slug', 'troisieme',
                                 '--name', 'Troisième', '--hosts', 'troisieme.test AUTRE.test']);
        assert.equal(dup.status, 2, `exit ${dup.status}: ${dup.stderr}`);
        const lines = dup.stderr.trim().split('\n');
        assert.equal(lines.length, 1, dup.stderr);
        assert.match(lines[0], /^guichet tenant add: .*autre\.test.*autre-commune/);
        assert.equal(srv.sql("SELECT count(*) FROM tenants WHERE slug = 'troisieme'").trim(), '0');
        /* Saving a collectivité again with its own host names is fine. */
        const again = srv.guichet(['tenant', 'add', '--db', srv.db, '--slug', 'autre-commune',
                                   '--name', 'Autre Commune', '--hosts', 'autre.test www.autre.test']);
        assert.equal(again.status, 0, again.stderr);
        const bad = srv.guichet(['tenant', 'add', '--db', srv.db, '--slug', 'quatrieme',
                                 '--name', 'Quatrième', '--hosts', 'evil.test/x']);
        assert.equal(bad.status, 2, bad.stderr);
        assert.match(bad.stderr, /^guichet tenant add: invalid value for --hosts/);
    });

    await t.test("a back-office administrator cannot take another collectivité's host", async () => {
        const c = await F.login(srv, admin);
        const before = srv.sql("SELECT hosts FROM tenants WHERE slug = 'ville-demo'").trim();
        const r = await c.post('/agent/admin/collectivite',
                               { name: 'Ville de Démo', contact: 'Mairie', hosts: 'autre.test www.autre.test' },
                               { tokenFrom: '/agent/admin/collectivite' });
        assert.ok(r.status === 303 || r.status === 400, `${r.status}`);
        assert.equal(srv.sql("SELECT hosts FROM tenants WHERE slug = 'ville-demo'").trim(), before);
        const other = await raw(srv, 'GET', '/', { host: 'autre.test' });
        assert.match(other.text, /Autre Commune/, 'autre.test still serves its own collectivité');
        /* The page shows the host names and says who sets them; no field to change them. */
        const page = await c.get('/agent/admin/collectivite');
        assert.equal(page.status, 200);
        assert.ok(!/name="hosts"/.test(page.text), 'no host name field in the back office');
        assert.match(page.text, /127\.0\.0\.1/, 'the host names are shown');
        assert.match(page.text, /guichet tenant add/, 'the page says who sets them');
    });
});
