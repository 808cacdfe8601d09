'use strict';
/*
 * Argon2id on its own pool (core/hasher, guichet serve --hash-threads / --hash-queue): with
 * one hashing thread and room for one waiting password, a burst of logins gets some 503
 * answers with Retry-After — the login form again, in French or English, keeping the e-mail
 * typed but never the password — while a page read sent during the burst is answered 200
 * (the server threads never hash); once the burst is over, logins work as before. No timing
 * is asserted: only that the read is answered. Stopping the server during a burst drains the
 * waiting checks (or fails what is left) and exits 0, with no leak under the ASan build.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./harness');

const DEMO_PASSWORD = 'demo-guichet-2026'; /* AGENT_DEMO_PASSWORD */
const BURST = 16;

/* A browser's CSRF cookie and token for one form page. */
async function formSession(srv, path, lang = 'fr') {
    const r = await fetch(srv.url + path, { headers: { 'Accept-Language': lang } });
    const text = await r.text();
    assert.equal(r.status, 200, `GET ${path}: ${r.status}`);
    const m = text.match(/name="csrf_token" value="([0-9a-f]{64})"/);
    assert.ok(m, `${path} has a CSRF token`);
    const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    return { cookie, token: m[1], lang };
}

async function post(srv, s, path, fields) {
    const r = await fetch(srv.url + path, {
        method: 'POST',
        redirect: 'manual',
        headers: {
            Cookie: s.cookie,
            'Accept-Language': s.lang,
            'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(Object.assign({ csrf_token: s.token }, fields)).toString(),
        signal: AbortSignal.timeout(30000),
    });
    return { status: r.status, headers: r.headers, text: await r.text() };
}

test('a burst of logins: some 503 with Retry-After, reads still answered, logins work after', async (t) => {
    const srv = await startServer({
        requests: 20,
        /* Rate limits off: the burst is one address and must reach the pool. */
        env: { GUICHET_RATE_IP: '0', GUICHET_HASH_THREADS: '1', GUICHET_HASH_QUEUE: '1' },
    });
    t.after(() => srv.stop());

    await t.test('citizens\' login: 503 pages keep the e-mail, never the password', async () => {
        for (const lang of ['fr', 'en']) {
            const s = await formSession(srv, '/compte/connexion', lang);
            const password = `mot-de-passe-secret-${lang}-4821`;
            const logins = Array.from({ length: BURST }, (_, i) =>
                post(srv, s, '/compte/connexion', { email: `rafale-${i}@exemple.fr`, password }));
            /* A page read sent while the logins wait for the pool. */
            const read = fetch(srv.url + '/', { signal: AbortSignal.timeout(30000) })
                .then(async (r) => ({ status: r.status, text: await r.text() }));
            const [answers, page] = await Promise.all([Promise.all(logins), read]);
            assert.equal(page.status, 200, 'the home page is answered during the burst');

            const busy = answers.filter((a) => a.status === 503);
            const refused = answers.filter((a) => a.status === 400);
            assert.ok(busy.length > 0, `some logins are turned away (${answers.map((a) => a.status)})`);
            assert.ok(refused.length > 0, 'the first ones were checked (unknown address: 400)');
            assert.equal(busy.length + refused.length, BURST, `${answers.map((a) => a.status)}`);
            for (const a of busy) {
                assert.ok(Number(a.headers.get('retry-after')) > 0, 'Retry-After on every 503');
                assert.match(a.headers.get('content-type'), /^text\/html/);
                assert.match(a.text, lang === 'fr' ? /très sollicité/ : /very busy/);
                assert.match(a.text, /value="rafale-\d+@exemple\.fr"/, 'the e-mail is kept');
                assert.ok(!a.text.includes(password), 'the password is never sent back');
                assert.match(a.text, /name="csrf_token"/, 'the form can be sent again');
            }
            for (const a of refused)
                assert.match(a.text, lang === 'fr' ? /adresse e-mail ou le mot de passe est incorrect/
                                                   : /The e-mail address or the password is wrong/);
        }
    });

    await t.test('agents\' login: a burst gets 503, then the demo agent logs in', async () => {
        const s = await formSession(srv, '/agent/connexion');
        const logins = Array.from({ length: BURST }, () =>
            post(srv, s, '/agent/connexion', { email: 'martin.durand@ville-demo.test', password: 'pas le bon' }));
        const read = fetch(srv.url + '/open311/v2/services.json', { signal: AbortSignal.timeout(30000) });
        const [answers, r] = await Promise.all([Promise.all(logins), read]);
        assert.equal(r.status, 200, 'an API read is answered during the burst');
        await r.arrayBuffer();
        const busy = answers.filter((a) => a.status === 503);
        assert.ok(busy.length > 0, `some agents' logins are turned away (${answers.map((a) => a.status)})`);
        for (const a of busy) {
            assert.ok(Number(a.headers.get('retry-after')) > 0);
            assert.match(a.text, /très sollicité/);
            assert.match(a.text, /value="martin\.durand@ville-demo\.test"/);
            assert.ok(!a.text.includes('pas le bon'));
        }

        /* The burst is over: the right password logs in (303 to the back office, a session). */
        const ok = await post(srv, s, '/agent/connexion',
                              { email: 'martin.durand@ville-demo.test', password: DEMO_PASSWORD });
        assert.equal(ok.status, 303, ok.text.slice(0, 500));
        assert.match(ok.headers.get('location'), /^\/agent\//);
        assert.ok(ok.headers.getSetCookie().some((c) => c.startsWith('guichet_agent=') &&
                                                       !c.startsWith('guichet_agent=;')),
                  'a session cookie');
    });

    await t.test('the server stops cleanly', async () => {
        assert.equal(await srv.stop('SIGTERM', { keep: true }), 0);
        srv.cleanup();
    });
});

test('stopping during a burst: the waiting logins are answered or dropped, the server exits 0', async () => {
    const srv = await startServer({
        requests: 0,
        env: { GUICHET_RATE_IP: '0', GUICHET_HASH_THREADS: '1', GUICHET_HASH_QUEUE: '8' },
    });
    try {
        const s = await formSession(srv, '/agent/connexion');
        const logins = Array.from({ length: 12 }, () =>
            post(srv, s, '/agent/connexion', { email: 'martin.durand@ville-demo.test', password: 'pas le bon' })
                .then((a) => a.status, () => 'dropped'));
        /* Once some are queued behind the running one (a check takes tens of ms). */
        await new Promise((r) => setTimeout(r, 30));
        const code = await srv.stop('SIGTERM', { keep: true });
        const statuses = await Promise.all(logins);
        assert.equal(code, 0, `exit status after SIGTERM (answers: ${statuses})\n${srv.log().slice(-2000)}`);
        for (const st of statuses)
            assert.ok([200, 400, 503, 'dropped'].includes(st), `an answer or a closed connection: ${st}`);
    } finally {
        srv.cleanup();
    }
});
