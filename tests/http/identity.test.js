'use strict';
/*
 * The portal's identity (issue 12, «A look a mairie is proud of»), against a real `guichet
 * serve` on the demo commune without requests: the home page's first screen («Signaler un
 * problème» and the three procedures most asked for over the last 90 days, ties and
 * procedures without any in French order), and the procedures' icons (chosen in the
 * procedure editor among the embedded set, checked there, shown beside the names).
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');

let srv, admin;

test.before(async () => {
    srv = await H.startServer({ requests: 0 });
    admin = await F.login(srv, F.addAgent(srv, {
        email: `admin.identite.${process.pid}@ville-demo.test`, name: 'Admin Identité', role: 'admin' }));
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

/* The names of the home page's shortcuts, in order. */
async function shortcuts(query = '') {
    const r = await H.request(srv, 'GET', '/' + query);
    assert.equal(r.status, 200);
    const list = /<ul class="shortcuts">([\s\S]*?)<\/ul>/.exec(r.text);
    if (!list) return [];
    return [...list[1].matchAll(/<a class="shortcut" href="([^"]+)">[\s\S]*?<span>([^<]*)<\/span><\/a>/g)]
        .map((m) => F.unescapeHtml(m[2]));
}

async function file(code, n) {
    for (let i = 0; i < n; i++) {
        const r = await H.request(srv, 'POST', '/open311/v2/requests.json',
                                  { form: await H.validPostBody(srv, code) });
        assert.equal(r.status, 200, `${code}: ${r.text}`);
    }
}

/* The response cache keeps a page for a second after a change made by another process. */
const afterCache = () => H.sleep(1200);

test('home: «Signaler un problème» first, then three procedures, in French order while none was asked for', async () => {
    const r = await H.request(srv, 'GET', '/');
    const html = r.text;
    const report = html.indexOf('href="/signaler"');
    assert.ok(report > 0, 'the home page links to /signaler');
    assert.ok(report < html.indexOf('class="shortcuts"'), '«Signaler un problème» comes before the shortcuts');
    assert.ok(html.indexOf('class="shortcuts"') < html.indexOf('role="search"'), 'the shortcuts come before the search');
    assert.match(F.unescapeHtml(html), /Signaler un problème<\/a>/);
    /* No requests at all: the first three active procedures by name, accents ignored. */
    assert.deepEqual(await shortcuts(), ['Arbre dangereux', "Demande d'acte d'état civil", "Demande d'aide sociale (CCAS)"]);
    /* The report flow (/signaler) is another branch's: the link may lead nowhere yet, and
     * nowhere else than to a page or a plain «not found». */
    const flow = await H.request(srv, 'GET', '/signaler', { schema: false });
    assert.ok([200, 404].includes(flow.status), `/signaler answered ${flow.status}`);
    /* A search shows its results, not the first screen. */
    const search = await H.request(srv, 'GET', '/?q=arbre');
    assert.doesNotMatch(search.text, /class="shortcuts"/);
    /* English visitors get the English names, and the link keeps their language. */
    const en = await H.request(srv, 'GET', '/?lang=en');
    assert.match(en.text, /href="\/signaler\?lang=en"/);
    assert.match(F.unescapeHtml(en.text), /Report a problem/);
});

test('home: the three procedures with the most requests over 90 days, ties in French order, fewer than three filled up', async () => {
    /* One procedure asked for: it leads, the alphabetical ones follow. */
    await file('nid-de-poule', 1);
    await afterCache();
    assert.deepEqual(await shortcuts(), ['Nid de poule', 'Arbre dangereux', "Demande d'acte d'état civil"]);
    /* Ties broken by name in French order: «Éclairage» before «Tag» (bytes would put it after). */
    await file('graffiti', 2);
    await file('eclairage-panne', 2);
    await file('mobilier-urbain', 3);
    await afterCache();
    assert.deepEqual(await shortcuts(), ['Mobilier urbain dégradé', 'Éclairage public en panne', 'Tag ou graffiti']);
    /* Requests filed more than 90 days ago no longer count (the kept counts follow the date). */
    srv.sql(`UPDATE requests SET created_at = created_at - 100 * 86400 WHERE procedure_id =
             (SELECT id FROM procedures WHERE code = 'mobilier-urbain')`);
    await afterCache();
    assert.deepEqual(await shortcuts(), ['Éclairage public en panne', 'Tag ou graffiti', 'Nid de poule']);
    assert.equal(srv.sql(`SELECT ifnull(sum(n), 0) FROM procedure_day_counts WHERE procedure_id =
                          (SELECT id FROM procedures WHERE code = 'mobilier-urbain')
                          AND day >= unixepoch() / 86400 - 89`).trim(), '0');
    /* An inactive procedure is never offered, however asked for. */
    srv.sql("UPDATE procedures SET active = 0 WHERE code = 'eclairage-panne'");
    await afterCache();
    const list = await shortcuts();
    assert.ok(!list.includes('Éclairage public en panne'), list.join(', '));
    srv.sql("UPDATE procedures SET active = 1 WHERE code = 'eclairage-panne'");
    await afterCache();
});

test('icons: the demo procedures have theirs, the catalogue and the shortcuts show them, decorative', async () => {
    const html = (await H.request(srv, 'GET', '/')).text;
    for (const [code, icon] of [['nid-de-poule', 'traffic-cone'], ['eclairage-panne', 'lamp-wall-up'],
                                ['depot-sauvage', 'trash-2'], ['graffiti', 'spray-can'],
                                ['arbre-dangereux', 'tree-deciduous'], ['stationnement-genant', 'car'],
                                ['mobilier-urbain', 'park'], ['acte-etat-civil', 'scroll-text'],
                                ['inscription-scolaire', 'school'], ['aide-ccas', 'hand-heart'],
                                ['question-generale', 'circle-help']]) {
        const card = new RegExp(`<use href="/static/vendor/icons\\.svg#${icon}"></use></svg><a class="card__link" href="/demarches/${code}"`);
        assert.match(html, card, `${code} shows ${icon}`);
    }
    assert.doesNotMatch(html, /<svg class="icon"(?![^>]*aria-hidden="true")/, 'every icon is aria-hidden');
    /* The sprite holds every icon a page names. */
    const sprite = await H.request(srv, 'GET', '/static/vendor/icons.svg', { schema: false });
    assert.equal(sprite.status, 200);
    assert.match(sprite.headers.get('content-type'), /^image\/svg\+xml/);
    for (const m of html.matchAll(/icons\.svg#([a-z0-9-]+)"/g)) {
        assert.match(sprite.text, new RegExp(`<symbol id="${m[1]}" viewBox="0 0 24 24"`), m[1]);
    }
    assert.match(sprite.text, /ISC License/, 'the licence travels with the icons');
});

test('icons: chosen in the procedure editor among the embedded set, anything else refused', async () => {
    const form = await admin.get('/agent/admin/demarches/graffiti');
    assert.equal(form.status, 200);
    assert.match(form.text, /<input type="radio" id="icon-spray-can" name="icon" value="spray-can" checked>/);
    assert.match(form.text, /<label for="icon-bike"><svg class="icon" aria-hidden="true" focusable="false"><use href="\/static\/vendor\/icons\.svg#bike"><\/use><\/svg> Vélo<\/label>/);
    const fields = {
        name: 'Tag ou graffiti', kind: 'incident', department: 'proprete', delay_days: '15',
        active: '1', is_public: '1', open311: '1', open311_detail: 'full', attributes: '[]',
    };
    for (const bad of ['pas-une-icone', '../etc/passwd', 'x'.repeat(300)]) {
        const r = await admin.post('/agent/admin/demarches/graffiti', Object.assign({}, fields, { icon: bad }));
        assert.equal(r.status, 400, bad);
        assert.match(r.text, /<a href="#icon">/);
        assert.match(F.unescapeHtml(r.text), /Choisissez une icône de la liste\./);
        assert.equal(srv.sql("SELECT icon FROM procedures WHERE code = 'graffiti'").trim(), 'spray-can');
    }
    const ok = await admin.post('/agent/admin/demarches/graffiti', Object.assign({}, fields, { icon: 'bike' }));
    assert.equal(ok.status, 303, F.textOf(ok.text).slice(0, 500));
    assert.equal(srv.sql("SELECT icon FROM procedures WHERE code = 'graffiti'").trim(), 'bike');
    assert.match((await H.request(srv, 'GET', '/')).text, /icons\.svg#bike"><\/use><\/svg><a class="card__link" href="\/demarches\/graffiti"/);
    assert.match((await admin.get('/agent/admin/demarches')).text, /icons\.svg#bike"><\/use><\/svg><a href="\/agent\/admin\/demarches\/graffiti/);
    /* None chosen: the kind's default (a report's warning triangle). */
    const none = await admin.post('/agent/admin/demarches/graffiti', Object.assign({}, fields, { icon: '' }));
    assert.equal(none.status, 303);
    assert.equal(srv.sql("SELECT ifnull(icon, 'NULL') FROM procedures WHERE code = 'graffiti'").trim(), 'NULL');
    assert.match((await H.request(srv, 'GET', '/')).text, /icons\.svg#triangle-alert"><\/use><\/svg><a class="card__link" href="\/demarches\/graffiti"/);
    const again = await admin.get('/agent/admin/demarches/graffiti');
    assert.match(again.text, /<input type="radio" id="icon" name="icon" value="" checked>/);
    await admin.post('/agent/admin/demarches/graffiti', Object.assign({}, fields, { icon: 'spray-can' }));
});
