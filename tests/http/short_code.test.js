'use strict';
/*
 * The short tracking code (issue 12) against a real server on the demo commune, with a real
 * relay (OpenSMTPD, tests/http/mta.js) when this machine can run one: shown on the
 * confirmation and its receipt, never in clear in the database; the code read aloud (lower
 * case, a space) finds the request on «Suivre une demande» and opens the same tracking page
 * as the long link; after a wrong code the next entry waits (2 s, then 4 s), the right code
 * included, with the wait said in French or English and what was typed kept; another client
 * (X-Forwarded-For through a trusted proxy) waits only for the reference's own delay, never
 * for the first client's; the acknowledgement e-mail carries the code; phone intake ends on
 * the code and a printable receipt in the request's language, and an agent gives a new code
 * (audited, e-mailed to a citizen who chose news by e-mail) that replaces the old one.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const P = require('./portal_client');
const { startMta, mtaAvailable } = require('./mta');

const FROM = 'ne-pas-repondre@ville-demo.test';
const CODE_RE = /class="reference short-code">([2-9A-Z]{4}-[2-9A-Z]{4})</;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* A citizen's browser behind the trusted proxy, seen by the server as `address`. */
function citizenAt(srv, address) {
    const c = new F.Client(srv, address);
    const headers = { 'X-Forwarded-For': address };
    return {
        get: (p, extra = {}) => c.req('GET', p, { headers: Object.assign({}, headers, extra) }),
        async lookup(reference, code, extra = {}) {
            const page = await c.req('GET', '/suivi', { headers: Object.assign({}, headers, extra) });
            assert.equal(page.status, 200);
            return c.req('POST', '/suivi', { form: { csrf_token: F.csrfOf(page.text), reference, code },
                                             headers: Object.assign({}, headers, extra) });
        },
    };
}

/* The error summary's text of a page. */
const summary = (html) => F.textOf((html.match(/<div class="error-summary"[\s\S]*?<\/div>/) || [''])[0]);
/* The wait the page announces, in seconds. */
function announcedWait(r) {
    const m = /réessayez dans (\d+) secondes?/.exec(summary(r.text)) || /try again in (\d+) seconds?/.exec(summary(r.text));
    assert.ok(m, `a wait in: ${summary(r.text)}`);
    return Number(m[1]);
}

/* The lower-case, spaced form someone reading the code aloud would have typed. */
const spoken = (code) => code.replace('-', ' ').toLowerCase();
const wrongFor = (code) => (code.replace('-', '') === '22222222' ? '3333-3333' : '2222-2222');

test('the short tracking code', async (t) => {
    const noMta = mtaAvailable();
    const mta = noMta ? null : await startMta();
    const env = Object.assign({ GUICHET_TRUSTED_PROXIES: '127.0.0.1' },
                              mta ? { GUICHET_SMTP_URL: mta.url, GUICHET_MAIL_FROM: FROM, GUICHET_MAIL_BACKOFF_S: '1' } : {});
    const srv = await H.startServer({ requests: 10, env });
    t.after(async () => {
        await srv.stop();
        if (mta) await mta.stop();
    });

    const b = new P.Browser(srv);
    const filed = await P.fileIncident(b, []);
    const { reference, token } = filed;
    const m = CODE_RE.exec(filed.page.text);
    assert.ok(m, 'the confirmation shows the short code');
    const code = m[1];
    const other = await P.fileIncident(new P.Browser(srv), []);
    const otherCode = CODE_RE.exec(other.page.text)[1];

    await t.test('shown on the confirmation and its receipt, kept only as a keyed hash', async () => {
        assert.match(filed.page.text, /href="\/suivi"/, 'the confirmation links to «Suivre une demande»');
        const receipt = /href="(\/recu\/[^"]+)"/.exec(filed.page.text);
        assert.ok(receipt, 'a link to the receipt');
        const r = await b.get(P.decodeEntities(receipt[1]));
        assert.equal(r.status, 200);
        assert.ok(r.text.includes(code), 'the receipt shows the code');
        assert.match(F.textOf(r.text), /Suivre une demande/);
        const stored = srv.sql(`SELECT short_code_hash FROM requests WHERE reference = '${reference}'`).trim();
        assert.match(stored, /^[0-9a-f]{64}$/);
        assert.equal(srv.sql(`SELECT count(*) FROM requests WHERE short_code_hash LIKE '%${code.replace('-', '')}%' ` +
                             `OR description LIKE '%${code.replace('-', '')}%'`).trim(), '0');
        /* A code that is not the request's is not shown. */
        const forged = await b.get(`/recu/${reference}?jeton=${encodeURIComponent(token)}&code=${wrongFor(code).replace('-', '')}`);
        assert.equal(forged.status, 200);
        assert.doesNotMatch(forged.text, CODE_RE);
        /* The home page and every portal page link to «Suivre une demande». */
        assert.match((await b.get('/')).text, /<a href="\/suivi">/);
    });

    await t.test('read aloud, typed in lower case with a space, it opens the tracking page', async () => {
        const c = citizenAt(srv, '203.0.113.10');
        const r = await c.lookup(` ${reference} `, spoken(code));
        assert.equal(r.status, 303, summary(r.text));
        assert.match(r.location, new RegExp(`^/suivi/${reference}\\?jeton=pass\\.`));
        const page = await c.get(r.location);
        assert.equal(page.status, 200);
        assert.match(page.text, new RegExp(reference));
        assert.match(page.text, /name="message"/, 'the same page as the long link: the reply form too');
        assert.match(page.headers.get('cache-control') || '', /no-store/);
        /* The long link still works, and the long token typed in the field too. */
        assert.equal((await c.get(P.trackingPath(reference, token))).status, 200);
        const long = await c.lookup(reference, token);
        assert.equal(long.status, 303);
        assert.equal(long.location, P.trackingPath(reference, token));
        /* A code that cannot be one is a typo, said as such, and counts nothing. */
        const typo = await c.lookup(reference, 'K7QM-4TX');
        assert.equal(typo.status, 400);
        assert.match(summary(typo.text), /8 caractères/);
        assert.match(typo.text, /id="code" name="code" value="K7QM-4TX"/, 'what was typed is kept');
    });

    await t.test('wrong codes: a delay that grows, the right code refused meanwhile, never a lock', async () => {
        const x = citizenAt(srv, '198.51.100.7');
        const y = citizenAt(srv, '198.51.100.8');
        /* x fails once on another request: its own count is 1. */
        const first = await x.lookup(other.reference, wrongFor(otherCode));
        assert.equal(first.status, 429);
        assert.equal(announcedWait(first), 2);
        assert.equal(first.headers.get('retry-after'), '2');
        assert.match(summary(first.text), /n.ouvrent aucune demande/);
        await sleep(2100);
        /* Then on our request: x's second failure (4 s), the reference's first (2 s). */
        const second = await x.lookup(reference, wrongFor(code));
        assert.equal(second.status, 429);
        assert.equal(announcedWait(second), 4, 'a second wrong code: a longer delay');
        assert.match(second.text, new RegExp(`id="reference" name="reference" value="${reference}"`));
        assert.match(second.text, new RegExp(`id="code" name="code" value="${wrongFor(code)}"`));
        /* The right code during the delay: the same refusal, nothing to learn from it. */
        const during = await x.lookup(reference, code);
        assert.equal(during.status, 429);
        assert.ok(announcedWait(during) >= 1 && announcedWait(during) <= 4);
        assert.equal(summary(during.text).replace(/\d+ secondes?/, 'N'), summary(second.text).replace(/\d+ secondes?/, 'N'));
        /* The same answer for a reference that does not exist. */
        const unknown = await y.lookup('1999-999999', code);
        assert.equal(unknown.status, 429);
        assert.equal(summary(unknown.text).replace(/\d+ secondes?/, 'N'), summary(second.text).replace(/\d+ secondes?/, 'N'));
        await sleep(2100);
        /* y (another address) waits only for the reference's delay (2 s, over now), not for
         * x's: it gets in while x still waits. */
        const z = citizenAt(srv, '198.51.100.9');
        const yes = await z.lookup(reference, code);
        assert.equal(yes.status, 303, summary(yes.text));
        const still = await x.lookup(reference, code);
        assert.equal(still.status, 429, 'x still waits for its own delay');
        await sleep(announcedWait(still) * 1000 + 100);
        const after = await x.lookup(reference, spoken(code));
        assert.equal(after.status, 303, 'once the delay is over the right code works');
        /* In English for English visitors. */
        const en = await citizenAt(srv, '198.51.100.20').lookup(reference, wrongFor(code), { 'Accept-Language': 'en' });
        assert.equal(en.status, 429);
        assert.match(en.text, /<html lang="en"/);
        assert.match(summary(en.text), /open no request.*try again in 2 seconds/);
    });

    await t.test('the acknowledgement e-mail holds the code', { skip: noMta || false }, async () => {
        const [mail] = await mta.waitFor((x) => x.subject.includes(reference), 20000);
        assert.ok(mail.text.includes(code), `the code in:\n${mail.text}`);
        assert.match(mail.text, /\/suivi\n/, 'the page where it is typed');
        assert.ok(mail.html.includes(code));
    });

    await t.test('phone intake: the code to pass on, a printable receipt, the e-mail; a new code', async () => {
        const agent = F.addAgent(srv, { email: 'accueil.code@ville-demo.test', name: 'Aline Accueil', role: 'agent', departments: ['voirie'] });
        const desk = await F.login(srv, agent);
        const page = await desk.get('/agent/saisie?canal=phone&demarche=nid-de-poule');
        assert.equal(page.status, 200);
        const form = P.parseForms(page.text).find((f) => f.action === '/agent/saisie' && f.method === 'post');
        const fields = P.fill(form, {}).filter(([k]) => !['email', 'langue', 'description'].includes(k));
        fields.push(['email', 'sam.phone@exemple.test'], ['langue', 'en'], ['description', 'Pothole reported by phone.']);
        const done = await desk.req('POST', '/agent/saisie', { form: new URLSearchParams(fields.filter(([, v]) => typeof v === 'string')).toString() });
        assert.equal(done.status, 201, F.textOf(done.text).slice(0, 800));
        const ref = /Demande enregistrée sous le n° <span class="reference">([^<]+)</.exec(done.text)[1];
        const shown = /class="mono bo-secret">([2-9A-Z]{4}-[2-9A-Z]{4})</.exec(done.text);
        assert.ok(shown, 'the intake page shows the short code');
        assert.match(F.textOf(done.text), /sam\.phone@exemple\.test/);
        const hidden = /name="code" value="([2-9A-Z]{8})"/.exec(done.text)[1];
        const receipt = await desk.post(`/agent/demandes/${ref}/recu`, { code: hidden });
        assert.equal(receipt.status, 200, F.textOf(receipt.text).slice(0, 500));
        assert.match(receipt.text, /<html lang="en">/, 'in the language of the request');
        assert.ok(receipt.text.includes(shown[1]), 'the receipt shows the code');
        assert.ok(receipt.text.includes(ref));
        assert.match(F.textOf(receipt.text), /Ville de Démo/);
        assert.match(F.textOf(receipt.text), /Track a request.*\/suivi/);
        assert.match(receipt.text, /data-print-slot/);
        assert.match(receipt.text, /class="brand-(logo|emblem)"/);
        /* A forged code prints nothing. */
        const forged = await desk.post(`/agent/demandes/${ref}/recu`, { code: wrongFor(shown[1]).replace('-', '') });
        assert.equal(forged.status, 429);
        assert.ok(!forged.text.includes(wrongFor(shown[1])));
        if (!noMta) {
            const [mail] = await mta.waitFor((x) => x.to === 'sam.phone@exemple.test' && x.subject.includes(ref), 20000);
            assert.ok(mail.text.includes(shown[1]), `the code in:\n${mail.text}`);
            assert.match(mail.text, /Tracking code/);
        }
        /* A new code replaces the old one, audited. */
        const renewed = await desk.post(`/agent/demandes/${ref}/code`, {});
        assert.equal(renewed.status, 201, F.textOf(renewed.text).slice(0, 500));
        const fresh = /class="mono bo-secret">([2-9A-Z]{4}-[2-9A-Z]{4})</.exec(renewed.text)[1];
        assert.equal(srv.sql(`SELECT count(*) FROM audit_log WHERE action = 'renew_code'`).trim(), '1');
        if (!noMta) {
            /* The citizen chose news by e-mail: the new code reaches them, in English. */
            const [mail] = await mta.waitFor((x) => x.to === 'sam.phone@exemple.test' && x.subject.startsWith('Your new tracking code'), 20000);
            assert.ok(mail.text.includes(fresh), `the new code in:\n${mail.text}`);
            assert.ok(mail.text.includes(ref));
        }
        /* The forged code above counts as a wrong entry for the reference: its delay first. */
        await sleep(2100);
        const c = citizenAt(srv, '203.0.113.50');
        assert.equal((await c.lookup(ref, fresh)).status, 303);
        if (fresh !== shown[1]) {
            const old = await citizenAt(srv, '203.0.113.51').lookup(ref, shown[1]);
            assert.equal(old.status, 429, 'the old code no longer works');
        }
    });
});
