'use strict';
/*
 * tracking — the citizen's side after filing, against a real server on the demo commune: a
 * request filed through the portal's own form is found by reference and tracking code,
 * shown only with its token (404 otherwise), answered with a message, hidden notes stay
 * hidden, a resolved incident is rated and reopened; the public incidents list carries no
 * personal data and never the procedures that are not public; «moi aussi» counts once per
 * browser and client address, or per account; «Mes demandes» needs a login; looking requests
 * up is rate-limited; pages with personal data are never stored by caches.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, request } = require('./harness');

/* A browser: a cookie jar over fetch, redirects not followed. */
function browser(srv) {
    const jar = new Map();
    const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const keep = (r) => {
        for (const c of r.headers.getSetCookie()) {
            const [pair, ...attrs] = c.split(';');
            const i = pair.indexOf('=');
            const name = pair.slice(0, i).trim();
            const value = pair.slice(i + 1).trim();
            const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
            if (gone) jar.delete(name);
            else jar.set(name, value);
        }
    };
    const send = async (method, path, body, headers = {}) => {
        const h = Object.assign({}, headers);
        if (jar.size) h.Cookie = cookieHeader();
        const r = await fetch(srv.url + path, { method, headers: h, body, redirect: 'manual',
                                                 signal: AbortSignal.timeout(30000) });
        keep(r);
        const text = await r.text();
        return { status: r.status, headers: r.headers, text, location: r.headers.get('location') };
    };
    return {
        jar,
        get: (path) => send('GET', path),
        /* fields: object or array of [name, value]; files: [{name, filename, type, data}] */
        post(path, fields, files) {
            const entries = Array.isArray(fields) ? fields : Object.entries(fields);
            if (files) {
                const fd = new FormData();
                for (const [k, v] of entries) fd.append(k, v);
                for (const f of files) fd.append(f.name, new Blob([f.data], { type: f.type }), f.filename);
                return send('POST', path, fd);
            }
            const p = new URLSearchParams();
            for (const [k, v] of entries) p.append(k, v);
            return send('POST', path, p.toString(),
                        { 'Content-Type': 'application/x-www-form-urlencoded' });
        },
    };
}

const decode = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function attr(tag, name) {
    const m = tag.match(new RegExp(`\\s${name}="([^"]*)"`));
    return m ? decode(m[1]) : null;
}

function csrfOf(html) {
    const m = html.match(/name="csrf_token" value="([^"]+)"/);
    assert.ok(m, 'the page holds a CSRF token');
    return m[1];
}

/* The first POST form of a page: its action, encoding and the values a person in a hurry
 * would give (hidden values kept, required fields filled, a location for incidents). */
function fillForm(html) {
    const m = html.match(/<form[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/);
    assert.ok(m, 'the page holds a form');
    const formTag = m[0].slice(0, m[0].indexOf('>') + 1);
    const body = m[1];
    const fields = [];
    const radios = new Map();
    for (const tag of body.match(/<input[^>]*>/g) || []) {
        const name = attr(tag, 'name');
        const type = (attr(tag, 'type') || 'text').toLowerCase();
        if (!name || type === 'submit' || type === 'button' || type === 'file') continue;
        const value = attr(tag, 'value') || '';
        const required = /\srequired[\s>]/.test(tag);
        if (type === 'hidden') {
            fields.push([name, value]);
        } else if (type === 'radio' || type === 'checkbox') {
            if (/\schecked[\s>]/.test(tag)) radios.set(name, value);
            else if ((required || /\sradio_required/.test(tag)) && !radios.has(name)) radios.set(name, value);
            else if (!radios.has(name) && type === 'radio') radios.set(name, radios.get(name) || null);
        } else if (value) {
            fields.push([name, value]);
        } else if (name === 'lat') {
            fields.push([name, '45.764']);
        } else if (name === 'long' || name === 'lon') {
            fields.push([name, '4.8357']);
        } else if (/adresse|address/.test(name)) {
            fields.push([name, '12 rue Victor Hugo']);
        } else if (/mail/.test(name) || type === 'email') {
            fields.push([name, 'suivi.test@example.org']);
        } else if (required) {
            fields.push([name, type === 'number' ? '3' : 'Valeur de test']);
        }
    }
    for (const [name, value] of radios) if (value !== null) fields.push([name, value]);
    for (const sm of body.matchAll(/<select[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
        const opt = [...sm[2].matchAll(/<option value="([^"]*)"/g)].map((o) => decode(o[1]))
            .find((v) => v !== '');
        if (opt !== undefined) fields.push([sm[1], opt]);
    }
    for (const tm of body.matchAll(/<textarea([^>]*)>([\s\S]*?)<\/textarea>/g)) {
        const name = attr(tm[1], 'name');
        const existing = decode(tm[2]);
        fields.push([name, existing || 'Chaussée abîmée devant le numéro 12, trou profond.']);
    }
    return {
        action: decode(attr(formTag, 'action') || ''),
        multipart: /multipart\/form-data/.test(formTag),
        fields,
    };
}

/* Files a request through the portal's procedure form, step by step, and returns
 * {reference, token} read from the confirmation's tracking link. */
async function fileThroughPortal(b, code) {
    let page = await b.get(`/demarches/${code}`);
    assert.equal(page.status, 200, `GET /demarches/${code}: ${page.text.slice(0, 300)}`);
    let path = `/demarches/${code}`;
    for (let step = 0; step < 8; step++) {
        const link = page.text.match(/\/suivi\/([0-9A-Za-z-]+)\?jeton=([A-Za-z0-9_%.~-]+)/);
        if (link) return { reference: link[1], token: decodeURIComponent(link[2]) };
        const form = fillForm(page.text);
        const action = form.action || path;
        const r = await b.post(action, form.fields, form.multipart ? [] : undefined);
        if (r.status === 303) {
            path = r.location;
            page = await b.get(r.location);
            assert.equal(page.status, 200, `GET ${r.location}`);
            continue;
        }
        assert.equal(r.status, 200, `POST ${action} (step ${step}): ${r.status} ${r.text.slice(0, 2000)}`);
        assert.doesNotMatch(r.text, /class="error-summary"/,
                            `the form was refused: ${(r.text.match(/<div class="error-summary"[\s\S]*?<\/div>/) || [''])[0]}`);
        page = r;
        path = action;
    }
    throw new Error('no confirmation with a tracking link after 8 steps');
}

/* Signs up `email`, confirms it through the link waiting in the outbox and logs in. */
async function loggedIn(srv, email) {
    const b = browser(srv);
    const password = 'Pelouse-Violette-Girafe-2031';
    const form = await b.get('/compte/inscription');
    const signup = await b.post('/compte/inscription', {
        csrf_token: csrfOf(form.text), email, display_name: 'Camille Essai', password,
        password_confirm: password,
    });
    assert.ok(signup.status === 200 || signup.status === 303, `sign-up: ${signup.status}`);
    const params = srv.sql(`SELECT params FROM outbox WHERE template = 'account_verify' AND recipient = '${email}'`).trim();
    assert.ok(params, 'a verification e-mail is queued');
    /* The link's page, then its button, which spends the token. */
    const link = new URL(JSON.parse(params.split('\n')[0]).link);
    const confirm = await b.get(link.pathname + link.search);
    assert.equal(confirm.status, 200, `verification page: ${confirm.status}`);
    const jeton = /name="jeton" value="([^"]*)"/.exec(confirm.text)[1];
    const verified = await b.post('/compte/verifier', { csrf_token: csrfOf(confirm.text), jeton });
    assert.ok(verified.status < 400, `verification: ${verified.status}`);
    const page = await b.get('/compte/connexion');
    const login = await b.post('/compte/connexion', { csrf_token: csrfOf(page.text), email, password });
    assert.equal(login.status, 303, `login: ${login.text.slice(0, 500)}`);
    return b;
}

const api = (srv, method, path, json) =>
    request(srv, method, path, { json, headers: { Authorization: `Bearer ${srv.keys.api}` } });

/* A 1×1 PNG. */
const PNG = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC',
    'base64');

test('tracking, messages, rating, reopening, public incidents', async (t) => {
    const srv = await startServer({ demo: true, requests: 80 });
    t.after(() => srv.stop());
    const citizen = browser(srv);
    const filed = await fileThroughPortal(citizen, 'nid-de-poule');
    const { reference, token } = filed;
    const trackUrl = `/suivi/${reference}?jeton=${encodeURIComponent(token)}`;
    assert.match(reference, /^\d{4}-\d+$/);
    assert.ok(token.length >= 20, 'a long tracking token');

    await t.test('finding a request by reference and tracking code', async () => {
        const b = browser(srv);
        const form = await b.get('/suivi');
        assert.equal(form.status, 200);
        assert.match(form.text, /name="reference"/);
        assert.match(form.text, /name="code"/);
        const csrf = csrfOf(form.text);
        const ok = await b.post('/suivi', { csrf_token: csrf, reference: ` ${reference} `, code: token });
        assert.equal(ok.status, 303);
        assert.equal(ok.location, trackUrl);

        /* Not even the shape of a code: a typo, said on the code field, what was typed kept. */
        const typo = await b.post('/suivi', { csrf_token: csrf, reference, code: token + 'x' });
        assert.equal(typo.status, 400);
        assert.match(typo.text, /href="#code"/);
        assert.ok(typo.text.includes(`value="${token}x"`), 'the form keeps what was typed');

        /* A wrong short code (tests/http/short_code.test.js follows the delays it starts). */
        const wrong = await b.post('/suivi', { csrf_token: csrf, reference, code: 'k7qm 4txh' });
        const unknown = await b.post('/suivi', { csrf_token: csrf, reference: '1999-999999', code: token });
        assert.equal(wrong.status, 429);
        assert.equal(unknown.status, 429);
        const summary = (html) => (html.match(/<div class="error-summary"[\s\S]*?<\/div>/) || [''])[0]
            .replace(/\d+ secondes?/, 'N');
        assert.ok(summary(wrong.text), 'an error summary');
        assert.equal(summary(wrong.text), summary(unknown.text),
                     'the same answer whether the reference exists or not, but for the wait');
        assert.match(wrong.text, /<title>Erreur/);

        const missing = await b.post('/suivi', { csrf_token: csrf, reference: '', code: '' });
        assert.equal(missing.status, 400);
        assert.match(missing.text, /href="#reference"/);
        assert.match(missing.text, /href="#code"/);
        assert.match(missing.text, /id="reference-error"/);

        const nocsrf = await b.post('/suivi', { reference, code: token });
        assert.equal(nocsrf.status, 403);
    });

    await t.test('the citizen chooses how to hear of the request', async () => {
        srv.sql(`UPDATE requests SET phone = '+33612345678', notify = 'email' WHERE reference = '${reference}'`);
        const events = () => srv.sql(`SELECT body FROM request_events e JOIN requests r ON r.id = e.request_id
                                      WHERE r.reference = '${reference}' AND e.kind = 'news' ORDER BY e.id`).trim();
        const notify = () => srv.sql(`SELECT notify FROM requests WHERE reference = '${reference}'`).trim();
        const page = await citizen.get(trackUrl);
        assert.match(page.text, /<legend>Comment souhaitez-vous être informé \?<\/legend>/);
        assert.match(page.text, /<input type="radio" id="nouvelles-email" name="nouvelles" value="email" checked>/);
        assert.match(page.text, /<input type="radio" id="nouvelles-sms" name="nouvelles" value="sms">/);
        assert.match(page.text, /id="nouvelles-none"/);
        const csrf = csrfOf(page.text);

        const sms = await citizen.post(`/suivi/${reference}/nouvelles`, { csrf_token: csrf, jeton: token, nouvelles: 'sms' });
        assert.equal(sms.status, 303, sms.text.slice(0, 300));
        assert.equal(sms.location, `${trackUrl}&nouvelles=1`);
        assert.equal(notify(), 'sms');
        assert.equal(events(), 'sms', 'one internal event names the choice');
        assert.equal(srv.sql(`SELECT is_public FROM request_events WHERE kind = 'news' ORDER BY id DESC LIMIT 1`).trim(), '0');
        const after = await citizen.get(`${trackUrl}&nouvelles=1`);
        assert.match(after.text, /value="sms" checked>/);
        assert.match(decode(after.text), /Votre choix est enregistré\./);

        /* The same choice again writes nothing. */
        const again = await citizen.post(`/suivi/${reference}/nouvelles`, { csrf_token: csrf, jeton: token, nouvelles: 'sms' });
        assert.equal(again.status, 303);
        assert.equal(events(), 'sms');

        const bad = await citizen.post(`/suivi/${reference}/nouvelles`, { csrf_token: csrf, jeton: token, nouvelles: 'pigeon' });
        assert.equal(bad.status, 400);
        assert.match(decode(bad.text), /Choisissez l’une des possibilités proposées/);
        assert.match(bad.text, /href="#nouvelles"/);
        /* Without a number, no news by SMS; e-mail stays possible. */
        srv.sql(`UPDATE requests SET phone = NULL, notify = 'email' WHERE reference = '${reference}'`);
        const noPhone = await citizen.post(`/suivi/${reference}/nouvelles`, { csrf_token: csrf, jeton: token, nouvelles: 'sms' });
        assert.equal(noPhone.status, 400);
        assert.doesNotMatch(noPhone.text, /id="nouvelles-sms"/, 'SMS is no longer offered');
        assert.equal(notify(), 'email');
        const none = await citizen.post(`/suivi/${reference}/nouvelles`, { csrf_token: csrf, jeton: token, nouvelles: 'none' });
        assert.equal(none.status, 303);
        assert.equal(notify(), 'none');
        const restore = await citizen.post(`/suivi/${reference}/nouvelles`, { csrf_token: csrf, jeton: token, nouvelles: 'email' });
        assert.equal(restore.status, 303);
        assert.equal(events(), 'sms\nnone\nemail');

        /* Without the token or the CSRF token: nothing. */
        const stranger = browser(srv);
        const noToken = await stranger.post(`/suivi/${reference}/nouvelles`, { csrf_token: csrf, nouvelles: 'none' });
        assert.ok([403, 404].includes(noToken.status), `without the token: ${noToken.status}`);
        const noCsrf = await citizen.post(`/suivi/${reference}/nouvelles`, { jeton: token, nouvelles: 'none' });
        assert.equal(noCsrf.status, 403);
        assert.equal(notify(), 'email');
    });

    await t.test('the tracking page needs the token', async () => {
        const b = browser(srv);
        const page = await b.get(trackUrl);
        assert.equal(page.status, 200);
        assert.match(page.text, new RegExp(reference));
        assert.match(page.text, /Nid de poule/);
        assert.match(page.text, /badge badge--blue" data-status="new"/);
        assert.match(page.text, /Chaussée abîmée devant le numéro 12/);
        assert.match(page.text, /<ol class="timeline">/);
        assert.match(page.text, /Demande déposée/);
        for (const bad of [`/suivi/${reference}`, `/suivi/${reference}?jeton=`,
                           `/suivi/${reference}?jeton=${encodeURIComponent(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))}`,
                           `/suivi/1999-999999?jeton=${encodeURIComponent(token)}`]) {
            const r = await b.get(bad);
            assert.equal(r.status, 404, bad);
            assert.doesNotMatch(r.text, /Chaussée abîmée/);
        }
        const en = await b.get(`${trackUrl}&lang=en`);
        assert.equal(en.status, 200);
        assert.match(en.text, /<html lang="en"/);
        assert.match(en.text, /History and messages/);
    });

    await t.test('the citizen replies with a message and a photo', async () => {
        const page = await citizen.get(trackUrl);
        const csrf = csrfOf(page.text);
        const noToken = await citizen.post(`/suivi/${reference}/message`,
                                           { csrf_token: csrf, message: 'Sans jeton' }, []);
        assert.equal(noToken.status, 404);
        const noCsrf = await citizen.post(`/suivi/${reference}/message`,
                                          { jeton: token, message: 'Sans CSRF' }, []);
        assert.equal(noCsrf.status, 403);
        const empty = await citizen.post(`/suivi/${reference}/message`,
                                         { csrf_token: csrf, jeton: token, message: '  ' }, []);
        assert.equal(empty.status, 400);
        assert.match(empty.text, /href="#message"/);
        assert.match(empty.text, /aria-invalid="true"/);

        const sent = await citizen.post(`/suivi/${reference}/message`,
                                        { csrf_token: csrf, jeton: token,
                                          message: 'Le trou s\'est agrandi.\nIl fait maintenant 30 cm.' },
                                        [{ name: 'fichiers', filename: 'trou.png', type: 'image/png', data: PNG }]);
        assert.equal(sent.status, 303, sent.text.slice(0, 1000));
        assert.equal(sent.location, `${trackUrl}&envoye=1`);
        const after = await citizen.get(sent.location);
        assert.match(after.text, /notice--success/);
        assert.match(after.text, /<strong>Vous<\/strong> — Votre message/);
        assert.match(after.text, /<p>Le trou s&#39;est agrandi\.<\/p>\s*<p>Il fait maintenant 30 cm\.<\/p>/);
        const file = after.text.match(new RegExp(`href="(/pieces-jointes/${reference}/\\d+\\?jeton=[^"]+)">trou\\.(png|jpg)</a>`));
        assert.ok(file, 'the photo is listed with its message');
        const download = await citizen.get(decode(file[1]));
        assert.equal(download.status, 200, 'the link downloads the file');

        const bad = await citizen.post(`/suivi/${reference}/message`,
                                       { csrf_token: csrf, jeton: token, message: 'Un fichier texte' },
                                       [{ name: 'fichiers', filename: 'notes.txt', type: 'text/plain',
                                          data: Buffer.from('bonjour') }]);
        assert.equal(bad.status, 400);
        assert.match(bad.text, /href="#fichiers"/);
        assert.match(bad.text, />Un fichier texte<\/textarea>/, 'the message is kept');
    });

    await t.test('internal notes never show, public ones do', async () => {
        const internal = await api(srv, 'POST', `/api/v1/requests/${reference}/events`,
                                   { body: 'NOTE-INTERNE : voir avec le prestataire', public: false });
        assert.equal(internal.status, 201, internal.text);
        const pub = await api(srv, 'POST', `/api/v1/requests/${reference}/events`,
                              { body: 'Une équipe passera jeudi.', public: true });
        assert.equal(pub.status, 201, pub.text);
        const page = await citizen.get(trackUrl);
        assert.doesNotMatch(page.text, /NOTE-INTERNE/);
        assert.match(page.text, /<strong>La mairie<\/strong>/);
        assert.match(page.text, /Une équipe passera jeudi\./);
    });

    await t.test('a resolved incident is rated once and reopened', async () => {
        let page = await citizen.get(trackUrl);
        assert.doesNotMatch(page.text, /name="note"/, 'no rating while open');
        const res = await api(srv, 'PATCH', `/api/v1/requests/${reference}`,
                              { status: 'resolved', note: 'Le trou a été rebouché.' });
        assert.equal(res.status, 200, res.text);
        page = await citizen.get(trackUrl);
        assert.match(page.text, /badge badge--green" data-status="resolved"/);
        assert.match(page.text, /Le trou a été rebouché\./);
        assert.match(page.text, /Le problème est-il réglé/);
        assert.match(page.text, /<fieldset[^>]*>\s*<legend>/);
        for (let v = 1; v <= 5; v++) assert.match(page.text, new RegExp(`type="radio" id="note-${v}" name="note" value="${v}"`));
        const csrf = csrfOf(page.text);

        const noNote = await citizen.post(`/suivi/${reference}/avis`, { csrf_token: csrf, jeton: token });
        assert.equal(noNote.status, 400);
        assert.match(noNote.text, /href="#note-1"/);
        const rated = await citizen.post(`/suivi/${reference}/avis`,
                                         { csrf_token: csrf, jeton: token, note: '4', commentaire: 'Rapide, merci.' });
        assert.equal(rated.status, 303, rated.text.slice(0, 800));
        assert.equal(rated.location, `${trackUrl}&avis=1`);
        page = await citizen.get(rated.location);
        assert.match(page.text, /<strong>4\/5<\/strong>/);
        assert.match(page.text, /Rapide, merci\./);
        assert.doesNotMatch(page.text, /name="note"/, 'rated once');
        const again = await citizen.post(`/suivi/${reference}/avis`,
                                         { csrf_token: csrf, jeton: token, note: '1' });
        assert.equal(again.status, 409);
        assert.match(again.text, /déjà donné votre avis/);

        const ask = await citizen.get(`${trackUrl}&regle=non`);
        assert.match(ask.text, /<textarea id="explication" name="explication"/);
        const empty = await citizen.post(`/suivi/${reference}/rouvrir`,
                                         { csrf_token: csrf, jeton: token, explication: '' });
        assert.equal(empty.status, 400);
        assert.match(empty.text, /href="#explication"/);
        const reopened = await citizen.post(`/suivi/${reference}/rouvrir`,
                                            { csrf_token: csrf, jeton: token,
                                              explication: 'Le trou est revenu après la pluie.' });
        assert.equal(reopened.status, 303, reopened.text.slice(0, 800));
        assert.equal(reopened.location, `${trackUrl}&rouvert=1`);
        page = await citizen.get(reopened.location);
        assert.doesNotMatch(page.text, /data-status="resolved">/, 'no longer resolved');
        assert.match(page.text, /Le trou est revenu après la pluie\./);
        const state = await api(srv, 'GET', `/api/v1/requests/${reference}`);
        assert.notEqual(state.json.status, 'resolved');
        const twice = await citizen.post(`/suivi/${reference}/rouvrir`,
                                         { csrf_token: csrf, jeton: token, explication: 'Encore' });
        assert.equal(twice.status, 409);
    });

    await t.test('the tracking token never reaches the log', () => {
        assert.ok(!srv.log().includes(token));
    });

    await t.test('public incidents: no personal data, never non-public procedures', async () => {
        /* Publish everything, stationnement gênant included: the procedure must still keep
         * it off the public pages. */
        srv.sql('UPDATE requests SET is_public = 1');
        const list = await api(srv, 'GET', '/api/v1/requests?limit=200');
        assert.equal(list.status, 200, list.text);
        const rows = list.json.data;
        const parkingList = await api(srv, 'GET', '/api/v1/requests?procedure=stationnement-genant&limit=1');
        assert.equal(parkingList.status, 200, parkingList.text);
        const parking = parkingList.json.data[0];
        assert.ok(parking, 'the demo holds a stationnement gênant request');
        const b = browser(srv);
        const page = await b.get('/signalements');
        assert.equal(page.status, 200);
        assert.match(page.text, /class="card incident-card"/);
        assert.doesNotMatch(page.text, /@exemple\.fr/);
        assert.doesNotMatch(page.text, /suivi\.test@example\.org/);
        assert.doesNotMatch(page.text, /Stationnement gênant|stationnement-genant/);
        assert.doesNotMatch(page.text, /Chaussée abîmée devant le numéro 12/);
        const approvedTexts = rows.map((r) => r.public_description).filter(Boolean);
        for (const r of rows) {
            /* The citizen's words, unless an agent approved the same words as a public text
             * (the demo's words repeat from one report to another). */
            const start = r.description && r.description.slice(0, 30);
            if (start && r.description.length > 30 && !approvedTexts.some((a) => a.startsWith(start)))
                assert.ok(!page.text.includes(r.description.slice(0, 30)), `description of ${r.reference} shown`);
            const contact = r.contact || {};
            if (contact.phone) assert.ok(!page.text.includes(contact.phone), 'a phone number shown');
            if (contact.email) assert.ok(!page.text.includes(contact.email), 'an e-mail shown');
        }
        const data = page.text.match(/<script type="application\/json" id="map-data">([\s\S]*?)<\/script>/);
        assert.ok(data, 'map data for the enhancement');
        const markers = JSON.parse(data[1]).markers;
        assert.ok(markers.length > 0);
        for (const m of markers)
            assert.deepEqual(Object.keys(m).sort().filter((k) => k !== 'address'),
                             ['lat', 'lon', 'status', 'title', 'url']);

        const filtered = await b.get('/signalements?demarche=stationnement-genant');
        assert.equal(filtered.status, 200);
        assert.doesNotMatch(filtered.text, /class="card incident-card"/);
        const open = await b.get('/signalements?etat=ouverts');
        assert.doesNotMatch(open.text, /data-status="(resolved|rejected)"/);
        /* The filters' statuses come from the workflows (core/workflow.c): each state lists
         * requests of its own statuses, and only those (the demo has public incidents of both). */
        const badges = (html) => [...html.matchAll(/class="badge badge--[a-z]+" data-status="([a-z_]+)"/g)].map((m) => m[1]);
        const openBadges = badges(open.text);
        assert.ok(openBadges.length > 0, 'no incident listed under «ouverts»');
        for (const st of openBadges) assert.ok(['new', 'acknowledged', 'in_progress'].includes(st), `${st} under «ouverts»`);
        const closed = await b.get('/signalements?etat=clos');
        assert.equal(closed.status, 200);
        const closedBadges = badges(closed.text);
        assert.ok(closedBadges.length > 0, 'no incident listed under «clos»');
        for (const st of closedBadges) assert.ok(['resolved', 'rejected', 'duplicate'].includes(st), `${st} under «clos»`);

        const one = await b.get(`/signalements/${parking.reference}`);
        assert.equal(one.status, 404, 'stationnement gênant is never public');
        const support = await b.post(`/signalements/${parking.reference}/moi-aussi`,
                                      { csrf_token: csrfOf((await b.get('/suivi')).text) });
        assert.equal(support.status, 404, 'no «moi aussi» on a non-public procedure');
        srv.sql(`UPDATE requests SET is_public = 0 WHERE reference = '${reference}'`);
        assert.equal((await b.get(`/signalements/${reference}`)).status, 404, 'not accepted: not public');
        srv.sql(`UPDATE requests SET is_public = 1 WHERE reference = '${reference}'`);
        const mine = await b.get(`/signalements/${reference}`);
        assert.equal(mine.status, 200);
        assert.doesNotMatch(mine.text, /Chaussée abîmée|Le trou s&#39;est agrandi|Rapide, merci|suivi\.test@example\.org/);
        assert.doesNotMatch(mine.text, /pieces-jointes/, 'photos wait for moderation');
        const ids = srv.sql(`SELECT a.id FROM attachments a JOIN requests r ON r.id = a.request_id
                             WHERE r.reference = '${reference}' AND a.is_photo = 1`).trim().split('\n');
        assert.ok(ids[0], 'the photo sent with the message is stored');
        srv.sql(`UPDATE attachments SET moderation = 'approved' WHERE id = ${ids[0]}`);
        const approved = await b.get(`/signalements/${reference}`);
        assert.match(approved.text, new RegExp(`<img src="/pieces-jointes/${reference}/${ids[0]}\\?miniature=1" alt="[^"]+"`));
        assert.doesNotMatch(approved.text, /jeton=/, 'public links never carry a token');
        const thumb = await b.get(`/pieces-jointes/${reference}/${ids[0]}?miniature=1`);
        assert.equal(thumb.status, 200, 'the approved photo is served to anyone');
        assert.match(thumb.headers.get('content-type'), /^image\//);
    });

    await t.test('«moi aussi» counts once per browser, once per client address, once per account', async () => {
        const b1 = browser(srv);
        const page = await b1.get(`/signalements/${reference}`);
        assert.match(page.text, /1 personne a signalé ce problème/);
        const csrf = csrfOf(page.text);
        const noCsrf = await b1.post(`/signalements/${reference}/moi-aussi`, {});
        assert.equal(noCsrf.status, 403);
        const first = await b1.post(`/signalements/${reference}/moi-aussi`, { csrf_token: csrf });
        assert.equal(first.status, 303);
        assert.equal(first.location, `/signalements/${reference}?merci=1`);
        const again = await b1.post(`/signalements/${reference}/moi-aussi`, { csrf_token: csrf });
        assert.equal(again.status, 303);
        assert.equal(again.location, `/signalements/${reference}?deja=1`);
        let shown = await b1.get(first.location);
        assert.match(shown.text, /2 personnes ont signalé ce problème/);
        /* A script minting fresh cookies from the same address counts no more (issue 9). */
        const supporters = () => Number(srv.sql(`SELECT supporters FROM requests WHERE reference = '${reference}'`).trim());
        assert.equal(supporters(), 1);
        for (let i = 0; i < 5; i++) {
            const fresh = browser(srv);
            const p = await fresh.get(`/signalements/${reference}`);
            const r = await fresh.post(`/signalements/${reference}/moi-aussi`, { csrf_token: csrfOf(p.text) });
            assert.equal(r.status, 303);
            assert.equal(r.location, `/signalements/${reference}?deja=1`, `fresh browser ${i + 1} counted again`);
        }
        assert.equal(supporters(), 1, 'fresh cookies from one address inflated the count');
        /* A signed-in citizen counts once for the account (an account needs a verified
         * address), whatever the client address. */
        const citizen = await loggedIn(srv, 'soutien@example.org');
        const p2 = await citizen.get(`/signalements/${reference}`);
        const second = await citizen.post(`/signalements/${reference}/moi-aussi`, { csrf_token: csrfOf(p2.text) });
        assert.equal(second.location, `/signalements/${reference}?merci=1`);
        shown = await citizen.get(second.location);
        assert.match(shown.text, /3 personnes ont signalé ce problème/);
        const twice = await citizen.post(`/signalements/${reference}/moi-aussi`, { csrf_token: csrfOf(shown.text) });
        assert.equal(twice.location, `/signalements/${reference}?deja=1`);
        assert.equal(supporters(), 2);
    });

    await t.test('«Mes demandes» needs a login', async () => {
        const r = await browser(srv).get('/mes-demandes');
        assert.equal(r.status, 303);
        assert.equal(r.location, '/compte/connexion?retour=/mes-demandes');
    });

    await t.test('«Mes demandes» lists the requests of the verified address', async () => {
        const owner = await loggedIn(srv, 'suivi.test@example.org');
        const list = await owner.get('/mes-demandes');
        assert.equal(list.status, 200);
        assert.match(list.text, new RegExp(`href="/suivi/${reference}"`));
        assert.match(list.text, /Nid de poule/);
        const page = await owner.get(`/suivi/${reference}`);
        assert.equal(page.status, 200, 'no token needed for the owner');
        assert.doesNotMatch(page.text, /name="jeton"/);
        assert.match(page.text, /Le trou est revenu après la pluie\./);

        const stranger = await loggedIn(srv, 'autre.personne@example.org');
        assert.equal((await stranger.get(`/suivi/${reference}`)).status, 404);
        const other = await stranger.get('/mes-demandes');
        assert.equal(other.status, 200);
        assert.doesNotMatch(other.text, new RegExp(reference));
    });

    /* Pen-test finding (issue 9): tracking pages and «Mes demandes» hold personal data and
     * said nothing to caches. */
    await t.test('pages with personal data are never stored by caches', async () => {
        const noStore = (r, what) => {
            assert.ok(r.status < 500, `${what}: ${r.status}`);
            assert.match(r.headers.get('cache-control') || '', /no-store/, `${what}: Cache-Control`);
        };
        const anon = browser(srv);
        noStore(await anon.get(trackUrl), 'tracking page with its token');
        const lookup = await anon.get('/suivi');
        noStore(await anon.post('/suivi', { csrf_token: csrfOf(lookup.text), reference, code: 'pas-le-bon' }),
                'tracking lookup refused');
        const citizen = await loggedIn(srv, 'cache.test@example.org');
        for (const p of ['/mes-demandes', '/compte/preferences', '/', `/signalements/${reference}`])
            noStore(await citizen.get(p), `${p} for a signed-in citizen`);
    });

    await t.test('looking requests up is rate-limited', async () => {
        const b = browser(srv);
        const csrf = csrfOf((await b.get('/suivi')).text);
        let limited = null;
        for (let i = 0; i < 40 && !limited; i++) {
            const r = await b.post('/suivi', { csrf_token: csrf, reference, code: `faux-${i}` });
            if (r.status === 429) limited = r;
            else assert.equal(r.status, 400);
        }
        assert.ok(limited, '429 after a burst of wrong codes');
        assert.ok(limited.headers.get('retry-after'));
        assert.match(limited.text, /<html lang="fr"/);
    });
});
