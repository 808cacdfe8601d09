'use strict';
/*
 * public — the public incidents (issue 12) against a real server on the demo commune: the
 * citizen's description is never shown to anyone but agents (the list, the page, Open311),
 * an agent approves a public text in the back office (prefilled with the citizen's words,
 * empty and too long refused with a precise message, on the timeline and in the audit log),
 * which then shows on the list (shortened on a word boundary), the page (whole), Open311 and
 * the JSON API, and goes away when withdrawn; the cards carry the first approved photo's
 * thumbnail; «En cours», the default, lists the open public incidents and only them; the
 * incidents near a place are the public open ones within the radius, nearest first, each
 * with a «moi aussi» that comes back to that page.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { startServer, request, validPostBody } = require('./harness');
const { Browser, decodeEntities, fileIncident } = require('./portal_client');

const PASSWORD = 'un-mot-de-passe-solide';
const RAW = 'Jean Secretnom, 06 98 76 54 32, AB-123-CD : trou énorme devant chez moi';
const CLEAN = 'Trou profond sur la chaussée, devant le numéro 12.';

/* Posts fields (an object) urlencoded, as a form without files does. */
function post(b, p, fields) {
    return b.submit({ enctype: 'application/x-www-form-urlencoded', action: p }, Object.entries(fields));
}

const csrfOf = (html) => {
    const m = html.match(/name="csrf_token" value="([^"]+)"/);
    assert.ok(m, 'the page holds a CSRF token');
    return m[1];
};

function addAgent(srv, email, department) {
    const bin = path.resolve(__dirname, '..', '..', process.env.GUICHET_BIN || 'build/guichet');
    const r = spawnSync(bin, ['agent', 'add', '--db', srv.db, '--email', email, '--name', 'Agent Public',
                              '--role', 'agent', '--department', department, '--password-stdin'],
                        { input: PASSWORD + '\n', encoding: 'utf8', env: srv.env });
    assert.equal(r.status, 0, `agent add: ${r.stderr}`);
}

async function login(srv, email) {
    const b = new Browser(srv);
    const page = await b.get('/agent/connexion');
    const r = await post(b, '/agent/connexion', { csrf_token: csrfOf(page.text), email, password: PASSWORD });
    assert.equal(r.status, 303, `login: ${r.text.slice(0, 300)}`);
    return b;
}

const rows = (srv, q) => srv.sql(q).trim().split('\n').filter(Boolean);
const open311 = async (srv, ref) => {
    const r = await request(srv, 'GET', `/open311/v2/requests/${ref}.json?extensions=true`);
    assert.equal(r.status, 200, r.text);
    return r.json[0];
};
/* Every page of a list of cards, concatenated. */
async function allPages(b, first) {
    let html = '';
    let next = first;
    for (let i = 0; next && i < 50; i++) {
        const r = await b.get(next);
        assert.equal(r.status, 200);
        html += r.text;
        const m = decodeEntities(r.text).match(/<a href="([^"]+)" rel="next">/);
        next = m ? m[1] : null;
    }
    return html;
}
const cardOf = (html, ref) => {
    const cards = html.split('<li class="card incident-card">').slice(1);
    return cards.find((c) => c.includes(`href="/signalements/${ref}"`));
};

test('public incidents: the moderated text, photos, «en cours», nearby', async (t) => {
    const srv = await startServer({ demo: true });
    /* A clean exit: an ASan build (GUICHET_BIN) reports leaks and errors through it. */
    t.after(async () => assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly'));
    /* An open public incident of the demo with a place, whose citizen wrote a name, a phone
     * number and a plate. */
    const PUBLIC_OPEN = `FROM requests r JOIN procedures p ON p.id = r.procedure_id
        WHERE r.is_public = 1 AND r.closed_at IS NULL AND p.is_public = 1 AND p.kind = 0
          AND p.active = 1`;
    const [ref, dep] = rows(srv, `SELECT r.reference || '|' || d.code ${PUBLIC_OPEN.replace('WHERE',
        'JOIN departments d ON d.id = r.department_id WHERE')} AND r.lat IS NOT NULL ORDER BY r.id LIMIT 1;`)[0].split('|');
    srv.sql(`UPDATE requests SET description = '${RAW}', public_description = NULL WHERE reference = '${ref}';`);
    const visitor = new Browser(srv);

    await t.test('before an agent approves a text, none is public', async () => {
        const page = await visitor.get(`/signalements/${ref}`);
        assert.equal(page.status, 200);
        assert.ok(!page.text.includes('Secretnom') && !page.text.includes('98 76'), 'raw text on the page');
        assert.doesNotMatch(page.text, /id="description-titre"/);
        const list = await allPages(visitor, '/signalements?etat=tous');
        assert.ok(!list.includes('Secretnom'), 'raw text on the list');
        const card = cardOf(list, ref);
        assert.ok(card, `${ref} is on the list`);
        assert.match(card, /Description en cours de relecture par nos services\./);
        const o = await open311(srv, ref);
        assert.equal(o.description, null);
        assert.ok(!JSON.stringify(o).includes('Secretnom'), 'raw text on Open311');
        /* Auto-public procedures too: a report nobody accepted yet has no public text (the
         * demo approves the words of the accepted ones, as an agent would). Whether the demo
         * drew a new report of an auto-public procedure depends on the day, so the test files
         * one of its own. */
        const filed = await request(srv, 'POST', '/open311/v2/requests.json',
            { form: await validPostBody(srv, 'mobilier-urbain', { description: RAW }) });
        assert.equal(filed.status, 200, filed.text);
        const own = filed.json[0].service_request_id;
        assert.ok(own, 'the new report has a reference');
        assert.deepEqual(rows(srv, `SELECT is_public || '|' || status || '|' || (public_description IS NULL)
            FROM requests WHERE reference = '${own}';`), ['1|new|1']);
        assert.equal((await open311(srv, own)).description, null);
        assert.equal(rows(srv, "SELECT count(*) FROM requests WHERE is_public = 1 AND status = 'new' " +
                               'AND public_description IS NOT NULL;')[0], '0');
    });

    addAgent(srv, 'public.agent@example.org', dep);
    const agent = await login(srv, 'public.agent@example.org');
    const bo = `/agent/demandes/${ref}`;

    await t.test('the back office: prefilled with the citizen\'s words, refusals in words', async () => {
        const page = await agent.get(bo);
        assert.equal(page.status, 200);
        assert.match(page.text, /<h2 id="texte-public-titre">Texte public<\/h2>/);
        const area = decodeEntities(page.text).match(/<textarea id="texte_public" name="texte_public"[^>]*>([^<]*)<\/textarea>/);
        assert.ok(area, 'the public text field');
        assert.equal(area[1], RAW, 'prefilled with the citizen\'s description');
        const csrf = csrfOf(page.text);
        const empty = await post(agent, `${bo}/texte-public`, { csrf_token: csrf, action: 'approuver', texte_public: '  ' });
        assert.equal(empty.status, 400);
        assert.match(decodeEntities(empty.text), /Saisissez le texte à publier, ou retirez le texte public\./);
        assert.match(empty.text, /aria-invalid="true"/);
        const long = 'mot '.repeat(501);
        const tooLong = await post(agent, `${bo}/texte-public`, { csrf_token: csrf, action: 'approuver', texte_public: long });
        assert.equal(tooLong.status, 400);
        assert.match(decodeEntities(tooLong.text), /Le texte public est trop long : 2 000 caractères au plus\./);
        assert.ok(decodeEntities(tooLong.text).includes(long.trim()), 'the typed text is shown again');
        const bad = await post(agent, `${bo}/texte-public`, { csrf_token: csrf, action: 'publier-tout', texte_public: CLEAN });
        assert.equal(bad.status, 403);
        assert.equal(rows(srv, `SELECT count(*) FROM requests WHERE reference = '${ref}' AND public_description IS NOT NULL;`)[0], '0');
    });

    await t.test('an approved text shows on the list, the page, Open311 and the JSON API', async () => {
        const audits = () => Number(rows(srv, `SELECT count(*) FROM audit_log_requests a JOIN audit_log l ON l.id = a.audit_id
            JOIN requests r ON r.id = a.request_id WHERE r.reference = '${ref}' AND l.action = 'change';`)[0]);
        const before = audits();
        const page = await agent.get(bo);
        const r = await post(agent, `${bo}/texte-public`, { csrf_token: csrfOf(page.text), action: 'approuver', texte_public: `  ${CLEAN}\n` });
        assert.equal(r.status, 303, r.text.slice(0, 500));
        assert.equal(r.location, `${bo}?fait=texte#texte-public`);
        assert.equal(audits(), before + 1, 'one audit entry');
        const after = await agent.get(r.location);
        assert.match(decodeEntities(after.text), /Le texte public est approuvé/);
        assert.match(after.text, /Texte public approuvé/, 'on the timeline');
        assert.match(after.text, /\[Interne\]<\/strong> Texte public approuvé/);

        const shown = await visitor.get(`/signalements/${ref}`);
        assert.match(shown.text, /<h2 id="description-titre">Description<\/h2>/);
        assert.ok(decodeEntities(shown.text).includes(`<p>${CLEAN}</p>`), 'the text on the page');
        assert.ok(!shown.text.includes('Secretnom'));
        const card = cardOf(await allPages(visitor, '/signalements'), ref);
        assert.ok(card && decodeEntities(card).includes(CLEAN), 'the text on the card');
        assert.equal((await open311(srv, ref)).description, CLEAN);
        const api = await request(srv, 'GET', `/api/v1/requests/${ref}`,
                                  { headers: { Authorization: `Bearer ${srv.keys.api}` } });
        assert.equal(api.status, 200, api.text);
        assert.equal(api.json.public_description, CLEAN);
        assert.equal(api.json.description, RAW, 'the JSON API, for agents\' software, keeps the raw text');
    });

    await t.test('the list shortens a long text on a word boundary, the page shows it whole', async () => {
        const words = 'Chaussée effondrée sur plusieurs mètres le long du trottoir nord';
        const long = `${words}, ${words}, ${words}, ${words}. Fin du texte.`;
        const page = await agent.get(bo);
        const r = await post(agent, `${bo}/texte-public`, { csrf_token: csrfOf(page.text), action: 'approuver', texte_public: long });
        assert.equal(r.status, 303);
        const card = decodeEntities(cardOf(await allPages(visitor, '/signalements'), ref));
        const text = card.match(/<p class="incident-card__text">([^<]*)<\/p>/)[1];
        assert.ok(text.endsWith('…'), text);
        assert.ok([...text].length <= 180, `${[...text].length} characters`);
        const kept = text.slice(0, -1);
        assert.ok(long.startsWith(kept), 'a prefix of the text');
        assert.match(long.slice(kept.length), /^[\s,.]/, 'cut between words');
        assert.ok(decodeEntities((await visitor.get(`/signalements/${ref}`)).text).includes(long), 'whole on the page');
    });

    await t.test('a withdrawn text is public no more', async () => {
        const page = await agent.get(bo);
        const r = await post(agent, `${bo}/texte-public`, { csrf_token: csrfOf(page.text), action: 'retirer', texte_public: '' });
        assert.equal(r.status, 303);
        assert.equal(r.location, `${bo}?fait=texte_retire#texte-public`);
        assert.match((await agent.get(bo)).text, /Texte public retiré/);
        assert.doesNotMatch((await visitor.get(`/signalements/${ref}`)).text, /id="description-titre"/);
        assert.equal((await open311(srv, ref)).description, null);
    });

    await t.test('Open311 notes never carry the citizen\'s own messages', async () => {
        const id = rows(srv, `SELECT id FROM requests WHERE reference = '${ref}';`)[0];
        srv.sql(`INSERT INTO request_events (tenant_id, request_id, created_at, kind, is_public, actor, channel, body)
                 SELECT tenant_id, id, created_at + 1, 'message', 1, 'citizen', 'web', 'Message de Jean Secretnom'
                 FROM requests WHERE id = ${id};`);
        await new Promise((resolve) => setTimeout(resolve, 1100)); /* the cache's TTL */
        const o = await open311(srv, ref);
        assert.ok(!JSON.stringify(o).includes('Secretnom'), JSON.stringify(o.notes));
    });

    await t.test('the cards carry the first approved photo\'s thumbnail', async () => {
        const work = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-public-'));
        t.after(() => fs.rmSync(work, { recursive: true, force: true }));
        execFileSync('vips', ['black', path.join(work, 'b.v'), '320', '240']);
        execFileSync('vips', ['linear', path.join(work, 'b.v'), path.join(work, 'p.jpg'), '1', '90', '--uchar']);
        const data = fs.readFileSync(path.join(work, 'p.jpg'));
        const citizen = new Browser(srv);
        const filed = await fileIncident(citizen, [{ name: 'trou.jpg', type: 'image/jpeg', data }]);
        const ref2 = filed.reference;
        srv.sql(`UPDATE requests SET is_public = 1 WHERE reference = '${ref2}';`);
        assert.doesNotMatch(cardOf(await allPages(visitor, '/signalements'), ref2), /<img/, 'no photo before moderation');
        const id = rows(srv, `SELECT a.id FROM attachments a JOIN requests r ON r.id = a.request_id
                              WHERE r.reference = '${ref2}' AND a.is_photo = 1;`)[0];
        srv.sql(`UPDATE attachments SET moderation = 'approved' WHERE id = ${id};`);
        const card = cardOf(await allPages(visitor, '/signalements'), ref2);
        const img = card.match(/<img class="incident-card__photo" src="([^"]+)" alt="([^"]+)"/);
        assert.ok(img, card);
        assert.equal(decodeEntities(img[1]), `/pieces-jointes/${ref2}/${id}?miniature=1`);
        const thumb = await visitor.get(decodeEntities(img[1]));
        assert.equal(thumb.status, 200);
        assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
        assert.ok(thumb.buf.length < data.length * 2, 'a small rendition');
    });

    await t.test('«En cours», the default, lists the open public incidents and only them', async () => {
        const expected = Number(rows(srv, `SELECT count(*) ${PUBLIC_OPEN};`)[0]);
        const closed = Number(rows(srv, `SELECT count(*) FROM requests r JOIN procedures p ON p.id = r.procedure_id
            WHERE r.is_public = 1 AND r.closed_at IS NOT NULL AND p.is_public = 1 AND p.kind = 0 AND p.active = 1;`)[0]);
        assert.ok(expected > 0 && closed > 0, 'the demo has open and closed public incidents');
        const first = await visitor.get('/signalements');
        assert.match(first.text, /<input type="radio" id="etat-ouverts" name="etat" value="ouverts" checked>/);
        const total = (html) => Number(decodeEntities(html).match(/<p>(\d+) signalements? publiés?<\/p>/)[1]);
        assert.equal(total(first.text), expected);
        const html = await allPages(visitor, '/signalements');
        const badges = [...html.matchAll(/class="badge badge--[a-z]+" data-status="([a-z_]+)"/g)].map((m) => m[1]);
        assert.equal(badges.length, expected);
        for (const b of badges) assert.ok(['new', 'acknowledged', 'in_progress'].includes(b), b);
        assert.equal(total((await visitor.get('/signalements?etat=ouverts')).text), expected);
        assert.equal(total((await visitor.get('/signalements?etat=clos')).text), closed);
        assert.equal(total((await visitor.get('/signalements?etat=tous')).text), expected + closed);
    });

    await t.test('nearby: the public open incidents within the radius, nearest first', async () => {
        /* Around a place far from the demo's: a public open incident at 0 m (A), another at
         * about 110 m (B), one at 2 km (far), a closed one at 40 m, one not accepted at 20 m,
         * and a public «stationnement gênant» at 10 m (never public). */
        const lat0 = 44.5, lon0 = 3.5;
        const pick = (cond, n) => rows(srv, `SELECT r.reference FROM requests r JOIN procedures p ON p.id = r.procedure_id
            WHERE ${cond} ORDER BY r.id DESC LIMIT ${n};`);
        const [a, b, far, closedOne, hidden] = pick(`p.is_public = 1 AND p.kind = 0 AND p.active = 1
            AND r.closed_at IS NULL AND r.reference <> '${ref}'`, 5);
        const [parking] = pick(`p.code = 'stationnement-genant'`, 1);
        assert.ok(parking, 'the demo has a stationnement gênant request');
        const place = (r, dlat, extra = '') => srv.sql(`UPDATE requests SET lat = ${lat0 + dlat}, lon = ${lon0},
            is_public = 1${extra} WHERE reference = '${r}';`);
        place(a, 0);
        place(b, 0.001);
        place(far, 0.018);
        place(closedOne, 0.00036, `, status = 'resolved', closed_at = updated_at`);
        place(hidden, 0.00018, ', is_public = 0');
        place(parking, 0.00009, `, status = 'new', closed_at = NULL`);
        const page = await visitor.get(`/signalements/autour?lat=${lat0}&lon=${lon0}&rayon=500`);
        assert.equal(page.status, 200);
        const listed = [...page.text.matchAll(/<h3><a href="\/signalements\/([0-9-]+)">/g)].map((m) => m[1]);
        assert.deepEqual(listed, [a, b]);
        assert.match(decodeEntities(page.text), /\(à 10 m\)[\s\S]*\(à 110 m\)/);
        const wider = await visitor.get(`/signalements/autour?lat=${lat0}&lon=${lon0}&rayon=2500`);
        assert.deepEqual([...wider.text.matchAll(/<h3><a href="\/signalements\/([0-9-]+)">/g)].map((m) => m[1]), [a, b, far]);
        assert.match(decodeEntities(wider.text), /\(à 2,0 km\)/);

        const bad = await visitor.get('/signalements/autour?lat=abc&lon=3.5');
        assert.equal(bad.status, 400);
        assert.match(decodeEntities(bad.text), /Le lieu n'est pas valide/);
        const badRadius = await visitor.get(`/signalements/autour?lat=${lat0}&lon=${lon0}&rayon=90000`);
        assert.equal(badRadius.status, 400);
        assert.match(decodeEntities(badRadius.text), /Le rayon n'est pas valide : indiquez un nombre de mètres entre 20 et 5000\./);
        assert.equal((await visitor.get('/signalements/autour?lat=44,5&lon=3,5')).status, 200, 'a comma works too');

        /* «Moi aussi» from this page comes back to it, naming the incident. */
        const form = decodeEntities(page.text).match(new RegExp(
            `<form method="post" action="/signalements/${a}/moi-aussi">\\s*<input type="hidden" name="csrf_token" value="([^"]+)">\\s*<input type="hidden" name="retour" value="([^"]+)">`));
        assert.ok(form, 'a «moi aussi» form on the card');
        const back = form[2];
        assert.equal(back, `/signalements/autour?lat=44.500000&lon=3.500000&rayon=500`);
        const r = await post(visitor, `/signalements/${a}/moi-aussi`, { csrf_token: form[1], retour: back });
        assert.equal(r.status, 303);
        assert.equal(r.location, `${back}&merci=1&signalement=${a}`);
        const thanked = await visitor.get(r.location);
        assert.match(decodeEntities(thanked.text), /votre soutien a été ajouté/);
        /* A return path that is not one of the portal's own pages is ignored. */
        for (const evil of ['//evil.example/x', 'https://evil.example/', '/agent/', '/signalements#x']) {
            const again = await post(visitor, `/signalements/${b}/moi-aussi`, { csrf_token: form[1], retour: evil });
            assert.equal(again.status, 303);
            assert.match(again.location, new RegExp(`^/signalements/${b}\\?(merci|deja)=1$`), evil);
        }
    });
});
