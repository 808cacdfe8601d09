'use strict';
/*
 * backoffice_work — the agents' daily work against a real server on the demo commune, with
 * agents created by `guichet agent add`: login (no second factor for the agent role), inbox
 * tabs with their counts, filters, full-text search (accents ignored, by phone), triage
 * (open → assign → reply → resolve: the citizen sees the reply on /suivi, never the internal
 * note), bulk assignment, phone intake (channel phone, actor agent), a request of another
 * department is a 404, and the audit rows (view, list, search, change) hold ids, never the
 * search terms.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./harness');
const { textOf } = require('../browser/bo_flows');

const PASSWORD = 'un-mot-de-passe-solide';

function browser(srv) {
    const jar = new Map();
    const keep = (r) => {
        for (const c of r.headers.getSetCookie()) {
            const [pair, ...attrs] = c.split(';');
            const i = pair.indexOf('=');
            const name = pair.slice(0, i).trim();
            const value = pair.slice(i + 1).trim();
            if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
            else jar.set(name, value);
        }
    };
    const send = async (method, path, body, headers = {}) => {
        const h = Object.assign({}, headers);
        if (jar.size) h.Cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
        const r = await fetch(srv.url + path, { method, headers: h, body, redirect: 'manual',
                                                 signal: AbortSignal.timeout(30000) });
        keep(r);
        return { status: r.status, text: await r.text(), location: r.headers.get('location') };
    };
    return {
        cookie: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        get: (path) => send('GET', path),
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
            return send('POST', path, p.toString(), { 'Content-Type': 'application/x-www-form-urlencoded' });
        },
    };
}

const csrfOf = (html) => {
    const m = html.match(/name="csrf_token" value="([^"]+)"/);
    assert.ok(m, 'the page holds a CSRF token');
    return m[1];
};

function addAgent(srv, email, name, role, departments) {
    const args = ['agent', 'add', '--db', srv.db, '--email', email, '--name', name, '--role', role];
    if (departments) args.push('--department', departments);
    args.push('--password-stdin');
    const { spawnSync } = require('node:child_process');
    const bin = require('node:path').resolve(__dirname, '..', '..', process.env.GUICHET_BIN || 'build/guichet');
    const r = spawnSync(bin, args, { input: PASSWORD + '\n', encoding: 'utf8', env: srv.env });
    assert.equal(r.status, 0, `agent add ${email}: ${r.stderr}`);
}

async function login(srv, email) {
    const b = browser(srv);
    const page = await b.get('/agent/connexion');
    assert.equal(page.status, 200);
    const r = await b.post('/agent/connexion', { csrf_token: csrfOf(page.text), email, password: PASSWORD });
    assert.equal(r.status, 303, `login of ${email}: ${r.text.slice(0, 300)}`);
    const inbox = await b.get('/agent/');
    assert.equal(inbox.status, 200, 'the inbox opens after login');
    return b;
}

/* The references listed in the inbox table. */
const refsOf = (html) => [...html.matchAll(/<a href="\/agent\/demandes\/([0-9A-Za-z-]+)" data-open>/g)].map((m) => m[1]);
const tabCount = (html, label) => {
    const m = html.match(new RegExp(`>${label} <span class="tabs__count">(\\d+)`));
    return m ? Number(m[1]) : null;
};


/* Files a request through the intake form as `desk`; returns {reference, token}. */
async function intake(srv, desk, proc, contact) {
    const form = await desk.get(`/agent/saisie?canal=phone&demarche=${proc}`);
    assert.equal(form.status, 200);
    assert.match(form.text, new RegExp(`name="demarche" value="${proc}"`));
    /* The language of the e-mails: French unless the agent says otherwise. */
    assert.match(form.text, /<input type="radio" id="langue-fr" name="langue" value="fr" checked>/);
    assert.match(form.text, /<input type="radio" id="langue-en" name="langue" value="en">/);
    const fields = [['csrf_token', csrfOf(form.text)], ['canal', 'phone'], ['demarche', proc],
                    ['prenom', contact.first], ['nom', contact.last], ['tel', contact.phone],
                    ['email', contact.email || ''], ['langue', contact.lang || 'fr'],
                    ['description', 'Appel téléphonique : chaussée abîmée devant la mairie.'],
                    ['adresse', '1 place de la Mairie'], ['lat', '45.764'], ['long', '4.8357']];
    /* Every attribute field with its first choice or a simple value. */
    for (const m of form.text.matchAll(/<select id="attr-[^"]+" name="(attr_[^"]+)"[^>]*><option value="">—<\/option>\s*<option value="([^"]+)"/g)) fields.push([m[1], m[2]]);
    for (const m of form.text.matchAll(/<input type="checkbox" id="attr-[^"]+" name="(attr_[^"]+)" value="([^"]+)"/g)) {
        if (!fields.some(([k]) => k === m[1])) fields.push([m[1], m[2]]);
    }
    for (const m of form.text.matchAll(/<input type="(text|datetime-local|date)" id="attr-[^"]+" name="(attr_[^"]+)"( inputmode="decimal")?/g)) {
        /* A summer date typed in any season: read in the collectivité's zone at that date. */
        const typed = { 'datetime-local': '2026-07-15T10:30', date: '2026-07-15' };
        fields.push([m[2], m[3] ? '2' : typed[m[1]] || 'Valeur']);
    }
    const sentDatetime = fields.some(([, v]) => v === '2026-07-15T10:30');
    const r = await desk.post('/agent/saisie', fields, []);
    assert.equal(r.status, 201, r.text.slice(0, 2000));
    const ref = r.text.match(/<span class="reference">([0-9-]+)<\/span>/);
    const code = r.text.match(/<dd class="mono bo-secret">([2-9A-Z]{4}-[2-9A-Z]{4})<\/dd>/);
    assert.ok(ref && code, 'the reference and the short tracking code are shown');
    /* The citizen types them on «Suivre une demande», which opens the tracking page. */
    const citizen = browser(srv);
    const lookup = await citizen.get('/suivi');
    const found = await citizen.post('/suivi', { csrf_token: csrfOf(lookup.text), reference: ref[1], code: code[1] });
    assert.equal(found.status, 303, 'the reference and the code find the request');
    return { reference: ref[1], code: code[1], trackPath: found.location, sentDatetime };
}

test('the agents\' work: inbox, triage, bulk, intake, scope and audit', async (t) => {
    const srv = await startServer({ demo: true, requests: 120 });
    t.after(() => srv.stop());
    addAgent(srv, 'agnes.voirie@ville-demo.test', 'Agnès Voirie', 'agent', 'voirie');
    addAgent(srv, 'chef.voirie@ville-demo.test', 'Chef Voirie', 'manager', 'voirie');
    addAgent(srv, 'accueil.test@ville-demo.test', 'Accueil Test', 'agent', 'accueil');
    const voirieId = srv.sql("SELECT id FROM departments WHERE code='voirie'").trim();
    const otherRef = srv.sql(`SELECT reference FROM requests WHERE department_id<>${voirieId} AND assignee IS NULL LIMIT 1`).trim();
    assert.ok(otherRef, 'the demo has a request of another department');
    const proc = srv.sql(`SELECT code FROM procedures WHERE department_id=${voirieId} AND active=1 ORDER BY code LIMIT 1`).trim();
    const desk = await login(srv, 'accueil.test@ville-demo.test');
    const filed = await intake(srv, desk, proc, { first: 'Hélène', last: 'Éthève', phone: '0612345678', email: 'helene@example.test' });
    const ref = filed.reference;

    const agent = await login(srv, 'agnes.voirie@ville-demo.test');
    const chef = await login(srv, 'chef.voirie@ville-demo.test');

    await t.test('intake: a date and time typed without offset is read in the collectivité\'s zone at that date', async () => {
        const dated = srv.sql("SELECT code FROM procedures WHERE active=1 AND attributes LIKE '%date_constat%' ORDER BY code LIMIT 1").trim();
        assert.ok(dated, 'the demo has a procedure with a date and time');
        const f = await intake(srv, desk, dated, { first: 'Jean', last: 'Été', phone: '0612345679', email: '', lang: 'en' });
        assert.ok(f.sentDatetime, 'the intake form offers the date and time');
        /* Summer time in Paris whatever the season of filing: the offset of the date typed,
         * not of today. */
        const attrs = srv.sql(`SELECT attributes FROM requests WHERE reference='${f.reference}'`).trim();
        assert.match(attrs, /"2026-07-15T10:30:00\+02:00"/, attrs);
        /* Said to want English: the request keeps it, the others are French. */
        assert.equal(srv.sql(`SELECT lang FROM requests WHERE reference='${f.reference}'`).trim(), 'en');
        assert.equal(srv.sql(`SELECT lang FROM requests WHERE reference='${ref}'`).trim(), 'fr');
    });

    await t.test('the request page writes a date question\'s day in words, with no time', async () => {
        const ref = srv.sql("SELECT r.reference FROM requests r JOIN procedures p ON p.id = r.procedure_id " +
                            "WHERE p.code = 'acte-etat-civil' ORDER BY r.id LIMIT 1").trim();
        assert.ok(ref, 'the demo has a request for a civil status certificate');
        const day = srv.sql(`SELECT json_extract(attributes, '$.date_acte') FROM requests WHERE reference = '${ref}'`).trim();
        assert.match(day, /^\d{4}-\d\d-\d\d$/, 'the demo answers a date question with a day');
        addAgent(srv, 'etat.civil@ville-demo.test', 'Agent État civil', 'agent', 'etat-civil');
        const civil = await login(srv, 'etat.civil@ville-demo.test');
        const page = await civil.get(`/agent/demandes/${ref}`);
        assert.equal(page.status, 200);
        const months = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août',
                        'septembre', 'octobre', 'novembre', 'décembre'];
        const [y, m, d] = day.split('-').map(Number);
        const words = `${d === 1 ? '1er' : d} ${months[m - 1]} ${y}`;
        assert.match(page.text, new RegExp(`<dt>Date de l&#39;acte</dt><dd>${words}</dd>`));
    });

    await t.test('a multipart form arriving in small pieces keeps every field (a slow phone line)', async () => {
        /* libmicrohttpd announces a part with an empty call before its first bytes when they
         * are not there yet: taken as a field of its own, it hid the real value (the CSRF
         * token lost: 403; the language chosen ignored). Sent 3 bytes at a time. */
        const form = await desk.get('/agent/saisie?canal=phone&demarche=nid-de-poule');
        const boundary = `----piece${Date.now()}`;
        const fields = [['csrf_token', csrfOf(form.text)], ['canal', 'phone'], ['demarche', 'nid-de-poule'],
                        ['prenom', 'Jeanne-Marie'], ['nom', 'Dupont-Lajoie'], ['tel', '0612345679'],
                        ['langue', 'en'], ['description', '']];
        let body = '';
        for (const [k, v] of fields) body += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
        body += `--${boundary}--\r\n`;
        const head = `POST /agent/saisie HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${desk.cookie()}\r\n` +
            `Origin: ${srv.url}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
        const answer = await new Promise((resolve, reject) => {
            const sock = require('node:net').connect(srv.port, '127.0.0.1', async () => {
                sock.setNoDelay(true);
                sock.write(head);
                const bytes = Buffer.from(body);
                for (let i = 0; i < bytes.length; i += 3) {
                    sock.write(bytes.subarray(i, i + 3));
                    await new Promise((r) => setTimeout(r, 1));
                }
            });
            let out = '';
            sock.on('data', (d) => { out += d; });
            sock.on('end', () => resolve(out));
            sock.on('error', reject);
            sock.setTimeout(30000, () => reject(new Error('no answer')));
        });
        /* The description is missing: the form comes back with everything else as typed. */
        assert.match(answer, /^HTTP\/1\.1 400 /, answer.slice(0, 300));
        assert.match(answer, /name="prenom"[^>]*value="Jeanne-Marie"/);
        assert.match(answer, /name="nom"[^>]*value="Dupont-Lajoie"/);
        assert.match(answer, /name="tel"[^>]*value="0612345679"/);
        assert.match(answer, /id="langue-en"[^>]*checked/);
    });

    await t.test('phone intake: channel phone, actor agent, same tracking as online', async () => {
        const row = srv.sql(`SELECT channel, phone, department_id FROM requests WHERE reference='${ref}'`).trim();
        assert.equal(row, `phone|+33612345678|${voirieId}`);
        const actor = srv.sql(`SELECT actor FROM request_events WHERE kind='created' AND request_id=(SELECT id FROM requests WHERE reference='${ref}')`).trim();
        assert.match(actor, /^agent:\d+$/);

        const tracking = await fetch(`${srv.url}${filed.trackPath}`);
        assert.equal(tracking.status, 200, 'the citizen opens it with the tracking code');
        await tracking.text();
    });

    await t.test('nothing under /agent/ without a session', async () => {
        const anon = browser(srv);
        for (const p of ['/agent/', `/agent/demandes/${ref}`, '/agent/saisie', '/agent/terrain']) {
            const r = await anon.get(p);
            assert.equal(r.status, 303, p);
            assert.match(r.location, /\/agent\/connexion/);
        }
    });

    await t.test('tabs with counts, filters and search', async () => {
        const inbox = await agent.get('/agent/?onglet=service');
        assert.equal(inbox.status, 200);
        const open = Number(srv.sql(`SELECT count(*) FROM requests WHERE department_id=${voirieId} AND status IN ('new','acknowledged','in_progress')`).trim());
        assert.equal(tabCount(inbox.text, 'Mon service'), open, '«Mon service» counts the open requests of voirie');
        assert.equal(tabCount(inbox.text, 'À traiter'), 0, 'nothing is assigned to a new agent yet');
        assert.match(inbox.text, /Raccourcis clavier/);
        for (const r of refsOf(inbox.text)) {
            const dep = srv.sql(`SELECT department_id FROM requests WHERE reference='${r}'`).trim();
            assert.equal(dep, voirieId, `${r} belongs to voirie`);
        }
        const closed = await agent.get('/agent/?onglet=service&statut=resolved');
        assert.ok(refsOf(closed.text).length > 0, 'resolved voirie requests are listed');
        for (const r of refsOf(closed.text)) {
            assert.equal(srv.sql(`SELECT status FROM requests WHERE reference='${r}'`).trim(), 'resolved');
        }
        const byChannel = await agent.get('/agent/?onglet=service&statut=&canal=phone');
        assert.ok(refsOf(byChannel.text).includes(ref), 'the phone request is listed');
        for (const r of refsOf(byChannel.text)) {
            assert.equal(srv.sql(`SELECT channel FROM requests WHERE reference='${r}'`).trim(), 'phone');
        }
        /* Accents and case ignored; by phone. */
        const s1 = await agent.get('/agent/?onglet=service&q=' + encodeURIComponent('helene etheve'));
        assert.deepEqual(refsOf(s1.text), [ref]);
        const s2 = await agent.get('/agent/?onglet=service&q=0612345678');
        assert.deepEqual(refsOf(s2.text), [ref]);
        const none = await agent.get('/agent/?onglet=service&q=zzzintrouvable');
        assert.deepEqual(refsOf(none.text), []);
    });

    await t.test('a request of another department is a 404, as an unknown one', async () => {
        const r = await agent.get(`/agent/demandes/${otherRef}`);
        assert.equal(r.status, 404);
        const u = await agent.get('/agent/demandes/2099-999999');
        assert.equal(u.status, 404);
        /* The same page but for the path it repeats: nothing tells them apart. */
        assert.equal(r.text.split(otherRef).join('X'), u.text.split('2099-999999').join('X'));
        const page = await agent.get(`/agent/demandes/${ref}`);
        const p = await agent.post(`/agent/demandes/${otherRef}/traiter`, { csrf_token: csrfOf(page.text), note: 'x' });
        assert.equal(p.status, 404);
    });

    await t.test('triage: assign, reply, internal note, resolve', async () => {
        let page = await chef.get(`/agent/demandes/${ref}`);
        assert.equal(page.status, 200);
        assert.match(page.text, /Hélène Éthève/);
        assert.match(page.text, /geo:|Aucune localisation/);
        let r = await chef.post(`/agent/demandes/${ref}/traiter`, {
            csrf_token: csrfOf(page.text), assigner: 'agent:agnes.voirie', statut: 'in_progress',
        });
        assert.equal(r.status, 303, r.text.slice(0, 500));
        assert.equal(srv.sql(`SELECT assignee FROM requests WHERE reference='${ref}'`).trim(), 'agent:agnes.voirie');
        const mine = await agent.get('/agent/?onglet=moi');
        assert.ok(refsOf(mine.text).includes(ref), 'the request is now in «À traiter»');
        assert.equal(tabCount(mine.text, 'À traiter'), 1);

        /* An agent may not assign. */
        page = await agent.get(`/agent/demandes/${ref}`);
        r = await agent.post(`/agent/demandes/${ref}/traiter`, { csrf_token: csrfOf(page.text), assigner: 'agent:chef.voirie' });
        assert.equal(r.status, 403);

        /* Reply and close in one submission, with an internal note. */
        r = await agent.post(`/agent/demandes/${ref}/traiter`, {
            csrf_token: csrfOf(page.text), reponse: 'Le trou a été rebouché ce matin.',
            note: 'Note interne : enrobé à froid, à reprendre.', statut: 'resolved',
        });
        assert.equal(r.status, 303, r.text.slice(0, 500));
        assert.match(r.location, /^\/agent\//);
        assert.equal(srv.sql(`SELECT status FROM requests WHERE reference='${ref}'`).trim(), 'resolved');
        /* One e-mail: the resolved status's (its notify_citizen action), carrying the reply. */
        const mails = srv.sql(`SELECT template, params LIKE '%rebouché ce matin%' FROM outbox WHERE recipient='helene@example.test'
                               AND template IN ('request_reply', 'request_status')`).trim();
        assert.equal(mails, 'request_status|1', 'the reply is queued by e-mail, with the new status');
        const ev = srv.sql(`SELECT is_public, actor FROM request_events WHERE request_id=(SELECT id FROM requests WHERE reference='${ref}') AND kind='note' ORDER BY id`).trim().split('\n');
        assert.equal(ev.length, 2);
        assert.ok(ev.every((l) => /\|agent:\d+$/.test(l)), 'notes carry the agent as actor');

        /* The citizen: the reply is there, the internal note is not. */
        const tracking = await fetch(`${srv.url}${filed.trackPath}`);
        assert.equal(tracking.status, 200);
        const html = await tracking.text();
        assert.match(html, /Le trou a été rebouché ce matin/);
        assert.doesNotMatch(html, /enrobé à froid/);
    });

    await t.test('bulk assignment by a manager; refused to an agent', async () => {
        const inbox = await chef.get('/agent/?onglet=service&statut=resolved&agent=aucun');
        const refs = refsOf(inbox.text).slice(0, 2);
        assert.equal(refs.length, 2, 'two unassigned voirie requests');
        const r = await chef.post('/agent/lot', [
            ['csrf_token', csrfOf(inbox.text)], ['action', 'assigner'], ['agent', 'agent:agnes.voirie'],
            ['ids', refs[0]], ['ids', refs[1]], ['ids', otherRef], ['retour', '/agent/?onglet=service'],
        ]);
        assert.equal(r.status, 303);
        assert.match(r.location, /fait=lot&n=2&sur=3$/);
        /* The notice says two of three, and why the third was left as it was. */
        const back = await chef.get(r.location);
        assert.match(textOf(back.text), /Demandes modifiées : 2 sur 3\. Les autres sont restées telles quelles : déjà dans cet état, ou le changement n’est pas permis/);
        for (const x of refs) assert.equal(srv.sql(`SELECT assignee FROM requests WHERE reference='${x}'`).trim(), 'agent:agnes.voirie');
        assert.equal(srv.sql(`SELECT ifnull(assignee,'') FROM requests WHERE reference='${otherRef}'`).trim(), '', 'out of scope: untouched');
        const a = await agent.get('/agent/');
        const denied = await agent.post('/agent/lot', [['csrf_token', csrfOf(a.text)], ['action', 'assigner'], ['agent', 'agent:agnes.voirie'], ['ids', refs[0]]]);
        assert.equal(denied.status, 403);
    });

    await t.test('field agents: requests near me, resolve on the spot', async () => {
        const near = srv.sql(`SELECT reference, lat, lon FROM requests WHERE department_id=${voirieId} AND status IN ('new','acknowledged','in_progress') AND lat IS NOT NULL AND reference<>'${ref}' LIMIT 1`).trim();
        assert.ok(near, 'an open located voirie request');
        const [nref, lat, lon] = near.split('|');
        const page = await agent.get(`/agent/terrain?lat=${lat}&long=${lon}&rayon=250`);
        assert.equal(page.status, 200);
        assert.match(page.text, new RegExp(`id="d-${nref}"`));
        assert.match(page.text, /href="geo:/);
        assert.match(page.text, /capture="environment"/);
        const r = await agent.post(`/agent/terrain/${nref}`, [['csrf_token', csrfOf(page.text)], ['action', 'resolu'],
                                                               ['note', 'Réparé sur place.'], ['retour', `lat=${lat}&long=${lon}`]], []);
        assert.equal(r.status, 303, r.text.slice(0, 500));
        assert.equal(srv.sql(`SELECT status FROM requests WHERE reference='${nref}'`).trim(), 'resolved');
        const far = await agent.get('/agent/terrain?lat=10&long=10&rayon=250');
        assert.doesNotMatch(far.text, new RegExp(nref));
        const contacts = await desk.get('/agent/saisie?canal=counter&cherche=0612345678');
        assert.equal(contacts.status, 200);
    });

    await t.test('publication: an internal event on the request page, never on the public side', async () => {
        const pub = srv.sql(`SELECT r.reference FROM requests r JOIN procedures p ON p.id = r.procedure_id
                             WHERE r.department_id=${voirieId} AND p.is_public=1 AND r.is_public=0 LIMIT 1`).trim();
        assert.ok(pub, 'a voirie request of a public procedure, not yet public');
        const page = await chef.get(`/agent/demandes/${pub}`);
        assert.equal(page.status, 200);
        assert.doesNotMatch(page.text, /Demande publiée sur la liste publique/);
        const r = await chef.post(`/agent/demandes/${pub}/publication`, { csrf_token: csrfOf(page.text), public: '1' });
        assert.equal(r.status, 303, r.text.slice(0, 500));
        assert.match(r.location, /fait=publication/);
        assert.equal(srv.sql(`SELECT is_public FROM requests WHERE reference='${pub}'`).trim(), '1');
        const chefId = srv.sql("SELECT id FROM agents WHERE email='chef.voirie@ville-demo.test'").trim();
        assert.equal(srv.sql(`SELECT e.kind || '|' || e.is_public || '|' || e.actor || '|' || e.body FROM request_events e
                              JOIN requests r ON r.id = e.request_id WHERE r.reference='${pub}' ORDER BY e.id DESC LIMIT 1`).trim(),
                     `publication|0|agent:${chefId}|1`);
        const after = await chef.get(`/agent/demandes/${pub}`);
        assert.match(after.text, /Demande publiée sur la liste publique/);
        assert.match(after.text, /Chef Voirie/);
        const publicPage = await fetch(`${srv.url}/signalements/${pub}`);
        assert.equal(publicPage.status, 200, 'the request is on the public list now');
        assert.doesNotMatch(await publicPage.text(), /publiée sur la liste/);
        const hide = await chef.post(`/agent/demandes/${pub}/publication`, { csrf_token: csrfOf(after.text), public: '0' });
        assert.equal(hide.status, 303);
        assert.match((await chef.get(`/agent/demandes/${pub}`)).text, /Demande retirée de la liste publique/);
    });

    await t.test('audit rows: view, list, search and change, ids only', async () => {
        const rows = srv.sql('SELECT action, object_kind, ifnull(object_ids,\'\') FROM audit_log').trim().split('\n');
        const actions = new Set(rows.map((l) => l.split('|')[0]));
        for (const a of ['view', 'list', 'search', 'change']) assert.ok(actions.has(a), `an audit row for ${a}`);
        const all = srv.sql('SELECT * FROM audit_log');
        for (const term of ['helene', 'etheve', '0612345678', 'zzzintrouvable', 'rebouch']) {
            assert.doesNotMatch(all.toLowerCase(), new RegExp(term), `no «${term}» in the audit log`);
        }
        for (const l of rows) assert.match(l.split('|')[2], /^[0-9,]*$/, 'object ids only');
    });
});

/*
 * A text search walks the years from the newest and stops once its time budget is spent
 * (here 0: one year per page): the page says from which year it searched and links to the
 * years before, which go on from there, down to the oldest request, where no link is left.
 */
test('a search stopped by its time budget says from which year, and goes on before it', async (t) => {
    const srv = await startServer({ requests: 120, years: 4, env: { GUICHET_SEARCH_BUDGET_MS: '0' } });
    t.after(() => srv.stop());
    /* An élu: the «Tout» tab, every request. */
    const F = require('../browser/bo_flows');
    const elu = await F.login(srv, F.addAgent(srv, { email: 'elu.annees@ville-demo.test', name: 'Élu Années', role: 'elected' }));
    const now = new Date().getUTCFullYear();
    /* One request of each of the last three years gets a word no other request has. */
    const marked = [];
    for (const y of [now, now - 1, now - 2]) {
        const ref = srv.sql(`SELECT reference FROM requests WHERE strftime('%Y', created_at, 'unixepoch') = '${y}' ORDER BY id LIMIT 1`).trim();
        assert.ok(ref, `a demo request filed in ${y}`);
        srv.sql(`UPDATE requests SET description = 'Borne zorglubienne renversée' WHERE reference = '${ref}'`);
        marked.push([y, ref]);
    }
    let url = '/agent/?onglet=tout&q=zorglubienne';
    for (const [y, ref] of marked) {
        const page = await elu.get(url);
        assert.equal(page.status, 200);
        assert.deepEqual(refsOf(page.text), [ref], `the ${y} request alone`);
        assert.doesNotMatch(page.text, /href="\/agent\/terrain"/, 'no field view for an élu');
        assert.match(page.text, new RegExp(`depuis le 1er janvier ${y}\\.`), 'the page says where the search stopped');
        assert.match(page.text, /tabs__count">1\+/, 'the count says «at least»');
        const m = page.text.match(/<p class="hint" role="status" data-search-stopped>[^]*?<a href="([^"]+)">Chercher aussi dans les demandes déposées avant (\d{4})<\/a>/);
        assert.ok(m, 'a link to the years before');
        assert.equal(Number(m[2]), y);
        url = m[1].replace(/&amp;/g, '&');
        assert.match(url, new RegExp(`avant=${y}`));
        assert.match(url, /q=zorglubienne/, 'the link keeps the search');
    }
    /* Before the oldest year that holds a match: the walk reaches the oldest request. */
    const rest = await elu.get(url);
    assert.equal(rest.status, 200);
    const older = refsOf(rest.text);
    assert.deepEqual(older, [], 'nothing older holds the word');
    assert.doesNotMatch(rest.text, /tabs__count">0/, 'no «0+» for a search that stopped without a match');
    /* The walk still stops at each year on its way down: the oldest years are offered until
     * the oldest request's year has been searched. */
    const oldest = Number(srv.sql("SELECT strftime('%Y', min(created_at), 'unixepoch') FROM requests").trim());
    let guard = 0;
    let last = rest;
    while (/data-search-stopped/.test(last.text) && guard++ < 10) {
        const m = last.text.match(/data-search-stopped>[^]*?<a href="([^"]+)">/);
        last = await elu.get(m[1].replace(/&amp;/g, '&'));
        assert.deepEqual(refsOf(last.text), []);
    }
    assert.doesNotMatch(last.text, /data-search-stopped/, `no link once ${oldest} is searched`);
});

/*
 * «Je prends»: an agent takes an open, unassigned request of their department from the inbox
 * (one button per row, no JavaScript) or from its page, and comes back to the list told which
 * request they took; a request already taken, or of another department, cannot be taken; a
 * manager's assignment list shows the request's department's agents first.
 */
test('«Je prends» from the inbox and the request page; the department\'s agents first', async (t) => {
    const F = require('../browser/bo_flows');
    const srv = await startServer({ requests: 10 });
    t.after(() => srv.stop());
    const agentRow = F.addAgent(srv, { email: 'prend.voirie@ville-demo.test', name: 'Paul Voirie', role: 'agent', departments: ['voirie'] });
    const otherRow = F.addAgent(srv, { email: 'prend.proprete@ville-demo.test', name: 'Anne Propreté', role: 'agent', departments: ['proprete'] });
    const managerRow = F.addAgent(srv, { email: 'prend.manager@ville-demo.test', name: 'Marc Chef', role: 'manager', departments: ['voirie', 'proprete'] });
    const mine = await F.fileRequest(srv, { service: 'nid-de-poule' });
    const second = await F.fileRequest(srv, { service: 'nid-de-poule' });
    assert.equal(mine.department, 'voirie');
    const agent = await F.login(srv, agentRow);
    const other = await F.login(srv, otherRow);

    /* The inbox row of an unassigned voirie request has the button; posting it takes it. */
    const inbox = await agent.get('/agent/?onglet=service');
    assert.equal(inbox.status, 200);
    assert.match(inbox.text, /<a href="\/agent\/terrain">Sur le terrain<\/a>/, 'the field view in the menu');
    /* The filters beyond the search folded while none is used; open, and counted, once one is. */
    assert.match(inbox.text, /<details class="filters">\n<summary>Plus de filtres<\/summary>/);
    const filtered = await agent.get('/agent/?onglet=service&canal=web&priorite=1');
    assert.match(filtered.text, /<details class="filters" open>\n<summary>Plus de filtres \(2\)<\/summary>/);
    const button = new RegExp(`formaction="/agent/demandes/${mine.reference}/traiter" formnovalidate data-take>Je prends`);
    assert.match(inbox.text, button, 'a «Je prends» button on the row');
    const back = '/agent/?onglet=service&';
    const took = await agent.post(`/agent/demandes/${mine.reference}/traiter`, { prendre: '1', retour: back });
    assert.equal(took.status, 303, took.text.slice(0, 300));
    assert.equal(took.headers.get('location'), `${back}fait=pris&demande=${mine.reference}`);
    const assignee = srv.sql(`SELECT assignee FROM requests WHERE reference = '${mine.reference}'`).trim();
    assert.equal(assignee, 'agent:prend.voirie');
    const after = await agent.get(`${back}fait=pris&demande=${mine.reference}`);
    assert.match(F.textOf(after.text), new RegExp(`Vous avez pris la demande ${mine.reference}`));
    assert.doesNotMatch(after.text, button, 'no button once taken');
    /* Taken once: a second take (by anyone) is refused, and nothing changes. */
    const again = await agent.post(`/agent/demandes/${mine.reference}/traiter`, { prendre: '1' });
    assert.equal(again.status, 403);
    /* Another department's request: not this agent's to take (not even to see). */
    const foreign = await other.post(`/agent/demandes/${second.reference}/traiter`, { prendre: '1' });
    assert.ok([403, 404].includes(foreign.status), `another department: ${foreign.status}`);
    assert.equal(srv.sql(`SELECT ifnull(assignee, '') FROM requests WHERE reference = '${second.reference}'`).trim(), '');

    /* From the request's page: its own button, back to the page. */
    const page = await agent.get(`/agent/demandes/${second.reference}`);
    assert.match(page.text, /id="prendre" aria-keyshortcuts="p">Je prends</);
    /* Two columns: the citizen's words first (the first screen on a phone), then the
     * request's state and the «Traiter» form. */
    const at = (re) => page.text.search(re);
    assert.ok(at(/class="request-main"/) >= 0 && at(/class="request-side"/) > at(/class="request-main"/));
    assert.ok(at(/id="donnees-titre"/) < at(/<dt>Déposée le<\/dt>/), 'the citizen\'s words before the metadata');
    assert.ok(at(/id="donnees-titre"/) < at(/id="traiter-titre"/), 'the citizen\'s words before the form');
    const fromPage = await agent.post(`/agent/demandes/${second.reference}/traiter`, { prendre: '1' });
    assert.equal(fromPage.status, 303);
    assert.match(fromPage.headers.get('location'), new RegExp(`/agent/demandes/${second.reference}\\?fait=1`));
    assert.equal(srv.sql(`SELECT assignee FROM requests WHERE reference = '${second.reference}'`).trim(), 'agent:prend.voirie');

    /* Landing on the tab that has work: the agent on «À traiter» (two requests taken), the
     * other agent on «Mon service» (nothing assigned), the manager on «Nouvelles». */
    const current = (html) => F.unescapeHtml((/href="\/agent\/\?onglet=[^"]*" aria-current="page">([^<]+?) ?</.exec(html) || [])[1] || '').trim();
    assert.equal(current((await agent.get('/agent/')).text), 'À traiter');
    assert.equal(current((await other.get('/agent/')).text), 'Mon service');
    const manager = await F.login(srv, managerRow);
    const landing = await manager.get('/agent/');
    assert.equal(current(landing.text), 'Nouvelles');
    for (const r of refsOf(landing.text)) {
        assert.equal(srv.sql(`SELECT status FROM requests WHERE reference = '${r}'`).trim(), 'new');
    }
    const unassigned = await manager.get('/agent/?onglet=non-assignees');
    assert.ok(refsOf(unassigned.text).length > 0);
    for (const r of refsOf(unassigned.text)) {
        assert.equal(srv.sql(`SELECT ifnull(assignee, '') FROM requests WHERE reference = '${r}'`).trim(), '');
    }
    assert.ok(!refsOf(unassigned.text).includes(mine.reference), 'a taken request is not unassigned');

    /* The manager's assignment list: voirie's agents first, in their own group. */
    const mpage = await manager.get(`/agent/demandes/${mine.reference}`);
    const groups = [...mpage.text.matchAll(/<optgroup label="([^"]+)">([^]*?)<\/optgroup>/g)].map((m) => [F.unescapeHtml(m[1]), m[2]]);
    assert.ok(groups.length >= 2, 'two groups of agents');
    assert.match(groups[0][0], /^Agents du service Voirie/i);
    assert.match(groups[0][1], /Paul Voirie/);
    assert.doesNotMatch(groups[0][1], /Anne Propreté/);
    assert.equal(groups[1][0], 'Autres agents');
    assert.match(F.unescapeHtml(groups[1][1]), /Anne Propreté/);
});
