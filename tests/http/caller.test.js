'use strict';
/*
 * The caller lookup of the telephone channel against a real server on the demo commune: the
 * page /agent/appel (a form when empty; the caller's card and requests within the agent's
 * departments, each linking to its page, whatever form the number is typed in; the button
 * that opens the intake prefilled with the number, the name, the e-mail and the channel
 * phone, carried through the intake's first step; an unknown number said so with the intake
 * offered; a refused number said precisely, in French and in English), the JSON API
 * GET /api/v1/callers (the collectivité's requests, validated against docs/openapi.yaml by the
 * harness; 400 on tel with the reason; 401 and 403), and the audit rows of each read (ids,
 * never the number).
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');

/* The same caller's number, as people type it. */
const e164 = (national) => `+33${national.slice(1)}`;
const forms = (national) => [
    national,
    national.replace(/(\d\d)(?=\d)/g, '$1 '),
    `+33 ${national.slice(1, 2)} ${national.slice(2)}`,
    `0033 (0)${national.slice(1)}`.replace('(0)', ''),
    national.replace(/(\d\d)(?=\d)/g, '$1.'),
];

function api(srv, p, key = srv.keys.api) {
    const headers = key === null ? {} : { Authorization: `Bearer ${key}` };
    return H.request(srv, 'GET', p, { headers });
}

/* The search rows of the audit log by actor and kind: their object_ids, oldest first. */
const searches = (srv, actor, kind) => srv.sql(
    `SELECT ifnull(object_ids, '') FROM audit_log WHERE action = 'search' AND actor = ${F.sqlq(actor)} ` +
    `AND object_kind = ${F.sqlq(kind)} ORDER BY id`).split('\n').filter((l) => l.length > 0);

/* Waits (a few seconds at most) until the audit log holds more than `before` rows for actor and
 * kind: reads are recorded in the background. */
const searchesAfter = (srv, actor, kind, before) =>
    H.until(() => searches(srv, actor, kind), (rows) => rows.length > before);

test('caller lookup: /agent/appel and GET /api/v1/callers', async (t) => {
    const srv = await H.startServer({ requests: 10 });
    t.after(() => srv.stop());
    const agent = F.addAgent(srv, { email: 'appel.voirie@ville-demo.test', name: 'Agnès Appel', role: 'agent', departments: ['voirie'] });
    const desk = await F.login(srv, agent);
    /* One caller, two requests (voirie, then propreté), the same number typed the same way. */
    const pothole = await F.fileRequest(srv, { service: 'nid-de-poule', tag: 'appel042' });
    const dump = await F.fileRequest(srv, { service: 'depot-sauvage', tag: 'appel042' });
    assert.equal(pothole.department, 'voirie');
    assert.equal(dump.department, 'proprete');
    const number = pothole.phone;
    assert.equal(srv.sql(`SELECT count(*) FROM requests WHERE phone = ${F.sqlq(e164(number))}`).trim(), '2');
    /* Their portal account, with that number (as the portal stores it) and SMS notices. */
    const tenantId = srv.sql('SELECT tenant_id FROM requests LIMIT 1').trim();
    srv.sql(`INSERT INTO accounts (tenant_id, email, display_name, phone, notify, lang, created_at) VALUES ` +
            `(${tenantId}, 'compte.appel@exemple.fr', 'Compte Appel', ${F.sqlq(e164(number))}, 'sms', 'en', 1700000000)`);
    const accountId = srv.sql("SELECT id FROM accounts WHERE email = 'compte.appel@exemple.fr'").trim();

    await t.test('without a number: a form with a labelled field', async () => {
        const r = await desk.get('/agent/appel');
        assert.equal(r.status, 200);
        assert.match(r.text, /<label for="tel">Numéro de l’appelant<\/label>/);
        assert.match(r.text, /<form method="get" action="\/agent\/appel"/);
        assert.doesNotMatch(r.text, /id="caller-title"/);
        assert.match(r.text, /href="\/agent\/appel"[^>]*>Appel</, 'the navigation links to the page');
        const intake = await desk.get('/agent/saisie');
        assert.match(intake.text, /<a href="\/agent\/appel">/, 'the intake page links to it');
    });

    await t.test('every form of the number: the card and the agent\'s requests only', async () => {
        for (const typed of forms(number)) {
            const r = await desk.get(`/agent/appel?tel=${encodeURIComponent(typed)}`);
            assert.equal(r.status, 200, `${typed}: ${F.textOf(r.text).slice(0, 500)}`);
            const text = F.unescapeHtml(r.text);
            assert.match(text, new RegExp(`Appelant \\${e164(number)}`), typed);
            assert.match(r.text, new RegExp(`<a href="/agent/demandes/${pothole.reference}">${pothole.reference}</a>`));
            assert.doesNotMatch(r.text, new RegExp(dump.reference), 'a request of another department stays hidden');
            assert.match(r.text, /<caption>Demandes de l’appelant, les plus récentes d’abord<\/caption>/);
            assert.match(r.text, /<th scope="col">Référence<\/th>/);
            assert.ok(text.includes(`${pothole.first} ${pothole.last}`), 'the name of the latest request');
            assert.ok(text.includes(pothole.email));
            assert.match(text, /Compte Appel — compte\.appel@exemple\.fr — langue : anglais — avis : par SMS/);
        }
    });

    await t.test('«Nouvelle demande pour cet appelant» opens the intake prefilled, channel phone', async () => {
        const r = await desk.get(`/agent/appel?tel=${number}`);
        const m = /<a class="btn" href="([^"]+)" id="caller-intake">Nouvelle demande pour cet appelant<\/a>/.exec(r.text);
        assert.ok(m, 'the button is there');
        const href = F.unescapeHtml(m[1]);
        const u = new URL(href, srv.url);
        assert.equal(u.pathname, '/agent/saisie');
        assert.equal(u.searchParams.get('canal'), 'phone');
        assert.equal(u.searchParams.get('tel'), e164(number));
        assert.equal(u.searchParams.get('prenom'), pothole.first);
        assert.equal(u.searchParams.get('nom'), pothole.last);
        assert.equal(u.searchParams.get('email'), pothole.email);
        /* Step 1 carries the contact along while the agent picks the procedure… */
        const step1 = await desk.get(href);
        assert.equal(step1.status, 200);
        assert.match(step1.text, /<input type="radio" id="canal-phone" name="canal" value="phone" checked>/);
        assert.ok(step1.text.includes(`<input type="hidden" name="tel" value="${e164(number)}">`));
        /* …and step 2 shows it in its fields. */
        const step2 = await desk.get(`${href}&demarche=nid-de-poule`);
        assert.equal(step2.status, 200);
        assert.ok(step2.text.includes(`id="tel" name="tel" value="${e164(number)}"`));
        assert.ok(step2.text.includes(`id="prenom" name="prenom" value="${pothole.first}"`));
        assert.ok(F.unescapeHtml(step2.text).includes(`id="email" name="email" value="${pothole.email}"`));
    });

    await t.test('an unknown number says so and offers the intake with the number', async () => {
        const r = await desk.get('/agent/appel?tel=01%2099%2088%2077%2066');
        assert.equal(r.status, 200);
        assert.match(r.text, /id="caller-unknown"/);
        assert.match(r.text, /Aucune demande ni aucun compte ne porte ce numéro/);
        assert.match(F.unescapeHtml(r.text), /href="\/agent\/saisie\?canal=phone&tel=%2B33199887766"/);
    });

    await t.test('a refused number: the reason, in French and in English', async () => {
        const fr = await desk.get('/agent/appel?tel=06%2012%2034');
        assert.equal(fr.status, 400);
        assert.match(F.unescapeHtml(fr.text), /Un numéro français comporte 10 chiffres, par exemple 06 12 34 56 78 ; celui-ci en a 6\./);
        assert.match(fr.text, /aria-invalid="true"/);
        assert.match(fr.text, /<title>Erreur/);
        const en = await desk.get('/agent/appel?tel=06%2012%2034&lang=en');
        assert.equal(en.status, 400);
        assert.match(F.unescapeHtml(en.text), /A French number has 10 digits, for example 06 12 34 56 78; this one has 6\./);
        const letters = await desk.get('/agent/appel?tel=06%20AB');
        assert.equal(letters.status, 400);
        assert.match(F.unescapeHtml(letters.text), /ne comporte que des chiffres/);
        const long = await desk.get(`/agent/appel?tel=${'0'.repeat(41)}`);
        assert.equal(long.status, 400);
        assert.match(F.unescapeHtml(long.text), /Ce numéro est trop long : 40 caractères au plus/);
    });

    await t.test('the page\'s reads are audited: ids of the requests and accounts, never the number', async () => {
        const actor = `agent:${agent.id}`;
        const before = searches(srv, actor, 'request').length;
        await desk.get(`/agent/appel?tel=${encodeURIComponent(forms(number)[1])}`);
        const rows = await searchesAfter(srv, actor, 'request', before);
        assert.equal(rows.length, before + 1);
        assert.equal(rows[rows.length - 1], String(pothole.id));
        const accounts = await searchesAfter(srv, actor, 'account', 0);
        assert.equal(accounts[accounts.length - 1], accountId);
        const all = srv.sql('SELECT * FROM audit_log');
        assert.ok(!all.includes(number.slice(1)), 'no number in the audit log');
    });

    await t.test('API: the collectivité\'s requests, most recent first', async () => {
        const r = await api(srv, `/api/v1/callers?tel=${encodeURIComponent(forms(number)[2])}`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.phone, e164(number));
        assert.equal(r.json.known, true);
        assert.equal(r.json.count, 2);
        assert.deepEqual(r.json.requests.map((x) => x.reference), [dump.reference, pothole.reference]);
        assert.equal(r.json.requests[0].procedure, 'depot-sauvage');
        assert.equal(r.json.requests[0].closed, false);
        assert.deepEqual(r.json.contact, { first_name: dump.first, last_name: dump.last, email: dump.email });
        assert.deepEqual(r.json.accounts, [{ name: 'Compte Appel', email: 'compte.appel@exemple.fr', lang: 'en', notify: 'sms' }]);
        const keyId = srv.sql("SELECT id FROM api_keys WHERE name = 'test-api'").trim();
        const rows = await searchesAfter(srv, `api:${keyId}`, 'request', 0);
        assert.equal(rows[rows.length - 1], `${dump.id},${pothole.id}`);
        const unknown = await api(srv, '/api/v1/callers?tel=%2B32470123456');
        assert.equal(unknown.status, 200);
        assert.equal(unknown.json.phone, '+32470123456');
        assert.equal(unknown.json.known, false);
        assert.equal(unknown.json.count, 0);
    });

    await t.test('API: 400 on tel with the reason, 401 without a key, 403 with another scope', async () => {
        const bad = await api(srv, '/api/v1/callers?tel=06%2012%2034');
        assert.equal(bad.status, 400);
        assert.equal(bad.json.error.code, 'invalid_argument');
        assert.equal(bad.json.error.argument, 'tel');
        assert.match(bad.json.error.detail, /A French number has 10 digits.*this one has 6/);
        const missing = await api(srv, '/api/v1/callers');
        assert.equal(missing.status, 400);
        assert.equal(missing.json.error.code, 'missing_argument');
        assert.equal(missing.json.error.argument, 'tel');
        const other = await api(srv, `/api/v1/callers?tel=${number}&limit=3`);
        assert.equal(other.status, 400);
        assert.equal(other.json.error.argument, 'limit');
        const none = await api(srv, `/api/v1/callers?tel=${number}`, null);
        assert.equal(none.status, 401);
        for (const key of [srv.keys.open311, srv.keys.gateway]) {
            const r = await api(srv, `/api/v1/callers?tel=${number}`, key);
            assert.equal(r.status, 403);
            assert.equal(r.json.error.code, 'forbidden');
        }
    });
});
