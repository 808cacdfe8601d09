'use strict';
/*
 * The RGPD lifecycle against a real `guichet serve` on the demo commune: a citizen deletes
 * their account from «Mes préférences» (the page says what goes and what stays; the CSRF
 * token and the password are required; closed requests are anonymised at once, open ones
 * keep what the mairie needs and are anonymised once closed); an administrator deletes an
 * account on a citizen's request; `guichet retention run` (dry run, then for real) anonymises
 * requests past their procedure's retention — the clock override is a closure moved back
 * with the sqlite3 CLI — after which Open311 and the JSON API show nothing personal of them;
 * with the archives' visa required the pass builds a bordereau d'élimination that an
 * administrator reads, downloads as CSV and approves (audited) before anything is erased;
 * the procedure editor takes a retention; and the server's scheduler runs the pass alone.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');

const PASSWORD = 'une phrase de passe assez longue';
const MONTH = 31 * 86400;

let srv;
let admin; /* an administrator, logged in (F.Client) */
let adminRow;

const sqlq = F.sqlq;

function sqlJson(query) {
    const out = require('node:child_process').execFileSync('sqlite3', ['-batch', '-json', srv.db, query],
        { encoding: 'utf8' }).trim();
    return out ? JSON.parse(out) : [];
}

function sqlNumber(query) {
    return Number(srv.sql(query).trim());
}

function api(method, p, json) {
    return H.request(srv, method, p, { json, headers: { Authorization: `Bearer ${srv.keys.api}` } });
}

/* Closes a request through the JSON API, with a public note naming the citizen. */
async function close(req) {
    const r = await api('PATCH', `/api/v1/requests/${req.reference}`,
        { status: 'resolved', note: `Réparé, merci ${req.first} ${req.last}.` });
    assert.equal(r.status, 200, r.text);
}

/* The clock override: the request was closed `months` months ago. */
function closedMonthsAgo(req, months) {
    srv.sql(`UPDATE requests SET closed_at = closed_at - ${months * MONTH} WHERE id = ${req.id}`);
}

function retention(...args) {
    return srv.guichet(['retention', 'run', '--db', srv.db, ...args]);
}

function audits(where) {
    return sqlJson(`SELECT * FROM audit_log WHERE ${where} ORDER BY id`);
}

/* Views and downloads are audited without making the page wait: their entries may commit
 * just after the answer. Waits until `n` entries match (or 10 s). */
async function auditsSoon(where, n) {
    const deadline = Date.now() + 10000;
    let rows = audits(where);
    while (rows.length < n && Date.now() < deadline) {
        await H.sleep(50);
        rows = audits(where);
    }
    return rows;
}

/* Signs a citizen up through the pages and verifies the address with the e-mailed link:
 * a logged-in F.Client. */
async function citizen(email) {
    const b = new F.Client(srv, email);
    await b.get('/compte/inscription');
    const r = await b.post('/compte/inscription', {
        email, display_name: 'Jeanne Témoin', password: PASSWORD, password_confirm: PASSWORD,
    }, { tokenFrom: '/compte/inscription' });
    assert.equal(r.status, 200, r.text.slice(0, 500));
    const params = JSON.parse(srv.sql('SELECT params FROM outbox WHERE template = \'account_verify\' AND ' +
        `recipient = ${sqlq(email)} ORDER BY id DESC LIMIT 1`).trim());
    const v = await b.useLink(params.link);
    assert.equal(v.status, 200, v.text.slice(0, 500));
    return b;
}

/* The form's fields as a browser would send them (text inputs, checked boxes and radios,
 * selected options, textareas), for a page whose whole form is posted again. */
function formFields(html, action) {
    const start = html.indexOf(`action="${action}`);
    assert.ok(start >= 0, `no form posting to ${action}`);
    const form = html.slice(start, html.indexOf('</form>', start));
    const fields = {};
    const attr = (tag, name) => {
        const m = new RegExp(`\\b${name}="([^"]*)"`).exec(tag);
        return m ? F.unescapeHtml(m[1]) : null;
    };
    for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
        const name = attr(tag, 'name');
        const type = attr(tag, 'type') || 'text';
        if (!name) continue;
        if ((type === 'checkbox' || type === 'radio') && !/\bchecked\b/.test(tag)) continue;
        fields[name] = attr(tag, 'value') || '';
    }
    for (const m of form.matchAll(/<textarea\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g))
        fields[m[1]] = F.unescapeHtml(m[2]);
    for (const m of form.matchAll(/<select\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
        const sel = /<option value="([^"]*)"[^>]*\bselected\b/.exec(m[2]);
        fields[m[1]] = sel ? F.unescapeHtml(sel[1]) : '';
    }
    return fields;
}

test.before(async () => {
    /* No scheduler here: each pass is run by the test, with the CLI. */
    srv = await H.startServer({ requests: 30, env: { GUICHET_RETENTION_INTERVAL_S: '0' } });
    adminRow = F.addAgent(srv, { email: `retention.admin.${process.pid}@ville-demo.test`, name: 'Admin Conservation', role: 'admin' });
    admin = await F.login(srv, adminRow);
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

test('a citizen deletes their account from «Mes préférences»: password and CSRF required, closed requests anonymised at once, open ones when closed', async () => {
    const email = `suppression.${process.pid}@exemple.fr`;
    const b = await citizen(email);
    const accountId = sqlNumber(`SELECT id FROM accounts WHERE email = ${sqlq(email)}`);
    /* Two requests filed with the account's (verified) address: «Mes demandes» shows them. */
    const done = await F.fileRequest(srv, { tag: `sup${process.pid}a` });
    const open = await F.fileRequest(srv, { tag: `sup${process.pid}b` });
    srv.sql(`UPDATE requests SET email = ${sqlq(email)} WHERE id IN (${done.id}, ${open.id})`);
    done.email = open.email = email;
    await close(done);

    const prefs = await b.get('/compte/preferences');
    assert.equal(prefs.status, 200);
    assert.match(prefs.text, /href="\/compte\/supprimer\?lang=fr"/);
    const page = await b.get('/compte/supprimer');
    assert.equal(page.status, 200);
    const text = F.textOf(page.text);
    assert.match(text, /Ce qui est effacé/);
    assert.match(text, /Ce qui est conservé/);
    assert.match(text, /anonymisées dès qu'elles seront closes/);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    const en = await b.get('/compte/supprimer?lang=en');
    assert.match(F.textOf(en.text), /What is erased.*What is kept/);

    /* Without the CSRF token: refused, nothing changes. */
    let r = await b.req('POST', '/compte/supprimer', { form: { password: PASSWORD } });
    assert.equal(r.status, 403);
    /* A wrong password: the form again, with the error; nothing changes. */
    await b.get('/compte/supprimer');
    r = await b.post('/compte/supprimer', { password: 'pas le bon mot de passe' });
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Le mot de passe est incorrect/);
    assert.equal(sqlNumber(`SELECT count(*) FROM accounts WHERE id = ${accountId}`), 1);

    r = await b.post('/compte/supprimer', { password: PASSWORD });
    assert.equal(r.status, 200, r.text.slice(0, 500));
    assert.match(F.textOf(r.text), /Votre compte est supprimé/);
    assert.ok(!b.jar.has('guichet_session'), 'the session cookie is cleared');
    r = await b.get('/compte/preferences');
    assert.equal(r.status, 303);

    assert.equal(sqlNumber(`SELECT count(*) FROM accounts WHERE id = ${accountId}`), 0);
    assert.equal(sqlNumber(`SELECT count(*) FROM sessions WHERE account_id = ${accountId}`), 0);
    assert.equal(sqlNumber(`SELECT count(*) FROM account_tokens WHERE account_id = ${accountId}`), 0);
    assert.equal(sqlNumber(`SELECT count(*) FROM outbox WHERE request_id IS NULL AND recipient = ${sqlq(email)}`), 0);
    const [d] = sqlJson(`SELECT * FROM requests WHERE id = ${done.id}`);
    assert.ok(d.anonymised_at > 0, 'the closed request is anonymised at once');
    for (const k of ['email', 'first_name', 'last_name', 'phone', 'description', 'address', 'token_hash', 'status_notes'])
        assert.equal(d[k], null, `closed request: ${k}`);
    const [o] = sqlJson(`SELECT * FROM requests WHERE id = ${open.id}`);
    assert.equal(o.anonymised_at, null, 'the open request is not anonymised yet');
    assert.ok(o.erase_requested_at > 0);
    assert.equal(o.email, email, 'the mairie can still answer');
    assert.equal(sqlNumber(`SELECT count(*) FROM request_events WHERE request_id = ${open.id} AND kind = 'account_deleted' AND is_public = 0`), 1);
    const del = audits(`action = 'delete' AND object_kind = 'account' AND object_ids = '${accountId}'`);
    assert.equal(del.length, 1);
    assert.equal(del[0].actor, 'citizen');
    /* The old credentials open nothing. */
    const again = new F.Client(srv);
    await again.get('/compte/connexion');
    r = await again.post('/compte/connexion', { email, password: PASSWORD }, { tokenFrom: '/compte/connexion' });
    assert.equal(r.status, 400);

    /* Closed later: the next pass erases it, long before its retention. */
    await close(open);
    const run = retention();
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /retention ville-demo: 1 anonymised \(1 on request\)/);
    const [o2] = sqlJson(`SELECT * FROM requests WHERE id = ${open.id}`);
    assert.ok(o2.anonymised_at > 0);
    assert.equal(o2.email, null);
});

test('an administrator deletes a citizen\'s account on request: found by address, confirmation required, audited', async () => {
    const email = `guichet.${process.pid}@exemple.fr`;
    await citizen(email);
    const id = sqlNumber(`SELECT id FROM accounts WHERE email = ${sqlq(email)}`);
    let r = await admin.get(`/agent/admin/comptes?email=${encodeURIComponent(email.toUpperCase())}`);
    assert.equal(r.status, 200);
    assert.match(F.textOf(r.text), /Compte trouvé/);
    assert.match(r.text, new RegExp(`action="/agent/admin/comptes/${id}/supprimer"`));
    assert.equal((await auditsSoon(`action = 'view' AND object_kind = 'account' AND object_ids = '${id}'`, 1)).length, 1);
    r = await admin.get('/agent/admin/comptes?email=personne%40exemple.fr');
    assert.match(F.textOf(r.text), /Aucun compte n'a cette adresse/);

    /* An agent who is not an administrator: 403. */
    const agentRow = F.addAgent(srv, { email: `retention.agent.${process.pid}@ville-demo.test`, name: 'Agent Voirie', role: 'agent', departments: ['voirie'] });
    const agent = await F.login(srv, agentRow);
    r = await agent.get(`/agent/admin/comptes?email=${encodeURIComponent(email)}`);
    assert.equal(r.status, 403);
    r = await agent.post(`/agent/admin/comptes/${id}/supprimer`, { confirm: '1' });
    assert.equal(r.status, 403);

    r = await admin.post(`/agent/admin/comptes/${id}/supprimer`, {});
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Cochez la case/);
    assert.equal(sqlNumber(`SELECT count(*) FROM accounts WHERE id = ${id}`), 1);
    r = await admin.post(`/agent/admin/comptes/${id}/supprimer`, { confirm: '1' });
    assert.equal(r.status, 303, r.text.slice(0, 300));
    assert.match(F.locPath(r, srv), /^\/agent\/admin\/comptes\?fait=account_deleted/);
    assert.equal(sqlNumber(`SELECT count(*) FROM accounts WHERE id = ${id}`), 0);
    const del = audits(`action = 'delete' AND object_kind = 'account' AND object_ids = '${id}'`);
    assert.equal(del.length, 1);
    assert.equal(del[0].actor, `agent:${adminRow.id}`);
    r = await admin.post(`/agent/admin/comptes/${id}/supprimer`, { confirm: '1' });
    assert.equal(r.status, 404);
});

test('guichet retention run: the dry run changes nothing; the run anonymises what is past its retention, and Open311 and the JSON API show nothing personal of it', async () => {
    const req = await F.fileRequest(srv, { tag: `ret${process.pid}` });
    const fresh = await F.fileRequest(srv, { tag: `fra${process.pid}` });
    await close(req);
    await close(fresh);
    let r = await api('POST', `/api/v1/requests/${req.reference}/events`, { body: `Note interne sur ${req.last}`, public: false });
    assert.ok([200, 201].includes(r.status), r.text);
    closedMonthsAgo(req, 23);
    let run = retention('--dry-run');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /retention ville-demo \(dry run\): 0 to anonymise/);
    closedMonthsAgo(req, 2); /* 25 months now: past an incident's 24 */
    run = retention('--dry-run');
    assert.match(run.stdout, /retention ville-demo \(dry run\): 1 to anonymise \(0 on request\)/);
    assert.equal(sqlNumber(`SELECT count(*) FROM requests WHERE anonymised_at IS NOT NULL AND id = ${req.id}`), 0);

    run = retention('--compact');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /retention ville-demo: 1 anonymised \(0 on request\), 0 listed on 0 new bordereau\(x\), 0 awaiting the archives' visa, 0 still due/);
    assert.match(run.stdout, /compacted/);
    const [row] = sqlJson(`SELECT * FROM requests WHERE id = ${req.id}`);
    assert.ok(row.anonymised_at > 0);
    for (const k of ['email', 'first_name', 'last_name', 'phone', 'description', 'address', 'token_hash', 'status_notes', 'device_id', 'account_id', 'media_url', 'citizen_id'])
        assert.equal(row[k], null, k);
    assert.equal(row.reference, req.reference);
    assert.equal(row.status, 'resolved');
    assert.equal(sqlNumber(`SELECT count(*) FROM request_events WHERE request_id = ${req.id} AND body LIKE '%${req.tag}%'`), 0);
    assert.equal(sqlNumber(`SELECT count(*) FROM requests WHERE anonymised_at IS NOT NULL AND id = ${fresh.id}`), 0);
    /* Idempotent: nothing more the second time. */
    run = retention();
    assert.match(run.stdout, /retention ville-demo: 0 anonymised/);
    assert.equal(audits(`action = 'anonymise' AND object_ids = '${req.id}'`).length, 1);

    const personal = F.secretsOf(req).filter(([what]) => what !== 'reference');
    const noLeak = (body, what) => {
        for (const [label, value] of personal)
            assert.ok(!body.includes(value), `${what} shows the ${label} («${value}»)`);
    };
    r = await H.request(srv, 'GET', `/open311/v2/requests/${req.reference}.json?extensions=true`);
    assert.equal(r.status, 200, r.text);
    noLeak(r.text, 'Open311 JSON');
    assert.equal(r.json[0].service_request_id, req.reference);
    assert.equal(r.json[0].description ?? null, null);
    r = await H.request(srv, 'GET', `/open311/v2/requests/${req.reference}.xml`);
    assert.equal(r.status, 200);
    noLeak(r.text, 'Open311 XML');
    r = await api('GET', `/api/v1/requests/${req.reference}`);
    assert.equal(r.status, 200, r.text);
    noLeak(r.text, 'the JSON API');
    for (const k of ['description', 'address', 'address_id', 'media_url', 'status_notes'])
        assert.equal(r.json[k], null, `JSON API ${k}`);
    assert.deepEqual(r.json.contact, { first_name: null, last_name: null, email: null, phone: null });
    for (const e of r.json.timeline) {
        if (!['assign', 'priority', 'department'].includes(e.kind))
            assert.equal(e.body, null, `JSON API timeline: the body of a ${e.kind} event`);
    }
    assert.equal(r.json.timeline[r.json.timeline.length - 1].kind, 'anonymised');
    r = await api('GET', `/api/v1/requests?updated_since=${encodeURIComponent(new Date(Date.now() - 3600e3).toISOString())}&limit=100`);
    assert.equal(r.status, 200, r.text);
    noLeak(r.text, 'the JSON API list');
    /* The back office says what happened, and still shows nothing of it. */
    r = await admin.get(`/agent/demandes/${req.reference}`);
    assert.equal(r.status, 200);
    assert.match(F.textOf(r.text), /Demande anonymisée le/);
    noLeak(r.text, 'the request page');
});

test('archives\' visa: the pass builds a bordereau, the administrator reads it, downloads it and records the visa (audited); only then is anything erased', async () => {
    let r = await admin.get('/agent/admin/conservation');
    assert.equal(r.status, 200);
    assert.match(F.textOf(r.text), /Visa des Archives requis/);
    r = await admin.post('/agent/admin/conservation', { archives_visa: '1' });
    assert.equal(r.status, 303);
    assert.equal(sqlNumber('SELECT archives_visa FROM tenants'), 1);
    assert.equal(audits("action = 'admin' AND object_kind = 'retention'").length, 1);

    const a = await F.fileRequest(srv, { tag: `bda${process.pid}` });
    const b = await F.fileRequest(srv, { tag: `bdb${process.pid}` });
    for (const req of [a, b]) {
        await close(req);
        closedMonthsAgo(req, 25);
    }
    let run = retention('--dry-run');
    assert.match(run.stdout, /2 to list on 1 new bordereau\(x\)/);
    run = retention();
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /0 anonymised \(0 on request\), 2 listed on 1 new bordereau\(x\), 2 awaiting the archives' visa/);
    const id = sqlNumber('SELECT max(id) FROM disposal_lists');
    assert.equal(sqlNumber(`SELECT count(*) FROM requests WHERE anonymised_at IS NOT NULL AND id IN (${a.id}, ${b.id})`), 0);
    /* Waiting for its visa: another pass builds nothing and erases nothing. */
    run = retention();
    assert.match(run.stdout, /0 anonymised \(0 on request\), 0 listed on 0 new bordereau\(x\), 2 awaiting/);

    r = await admin.get('/agent/admin/conservation');
    assert.match(r.text, new RegExp(`href="/agent/admin/conservation/bordereaux/${id}"`));
    assert.match(F.textOf(r.text), /En attente du visa/);
    r = await admin.get(`/agent/admin/conservation/bordereaux/${id}`);
    assert.equal(r.status, 200);
    assert.ok(r.text.includes(a.reference) && r.text.includes(b.reference));
    F.assertNoLeak(r.text.split(a.reference).join('').split(b.reference).join(''), a, 'the bordereau page');
    assert.equal((await auditsSoon(`action = 'view' AND object_kind = 'disposal' AND object_ids = '${id}'`, 1)).length, 1);
    r = await admin.get(`/agent/admin/conservation/bordereaux/${id}/csv`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(r.headers.get('content-disposition'), new RegExp(`attachment; filename="bordereau-${id}.csv"`));
    assert.equal(r.headers.get('cache-control'), 'private, no-store');
    /* fetch() drops the byte-order mark when it decodes: look at the bytes. */
    const raw = Buffer.from(await (await fetch(`${srv.url}/agent/admin/conservation/bordereaux/${id}/csv`,
        { headers: { Cookie: admin.cookieHeader() } })).arrayBuffer());
    assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.ok(r.text.replace(/^\ufeff/, '').startsWith('"Référence";"Démarche";"Service";"Déposée le";"Close le";"Sort"\r\n'), r.text.slice(0, 200));
    const lines = r.text.trim().split('\r\n');
    assert.equal(lines.length, 3);
    assert.ok(lines.some((l) => l.startsWith(`"${a.reference}";"Nid de poule";`) && l.endsWith('"À détruire"')), lines.join('\n'));
    F.assertNoLeak(r.text.split(a.reference).join(''), a, 'the bordereau CSV');
    /* Each of the two downloads is audited. */
    assert.equal((await auditsSoon(`action = 'export' AND object_kind = 'disposal' AND object_ids = '${id}'`, 2)).length, 2);
    r = await admin.get(`/agent/admin/conservation/bordereaux/999999`);
    assert.equal(r.status, 404);

    /* The visa: an attestation is required, then recorded once, by whom and when. */
    r = await admin.post(`/agent/admin/conservation/bordereaux/${id}/viser`, {});
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Cochez la case pour attester/);
    r = await admin.post(`/agent/admin/conservation/bordereaux/${id}/viser`, { confirm: '1' });
    assert.equal(r.status, 303, r.text.slice(0, 300));
    const [list] = sqlJson(`SELECT * FROM disposal_lists WHERE id = ${id}`);
    assert.equal(list.status, 'approved');
    assert.equal(list.approved_by, adminRow.id);
    assert.ok(list.approved_at > 0);
    const visa = audits(`action = 'approve' AND object_kind = 'disposal' AND object_ids = '${id}'`);
    assert.equal(visa.length, 1);
    assert.equal(visa[0].actor, `agent:${adminRow.id}`);
    r = await admin.post(`/agent/admin/conservation/bordereaux/${id}/viser`, { confirm: '1' });
    assert.equal(r.status, 409);

    run = retention();
    assert.match(run.stdout, /retention ville-demo: 2 anonymised/);
    assert.equal(sqlNumber(`SELECT count(*) FROM requests WHERE anonymised_at IS NOT NULL AND id IN (${a.id}, ${b.id})`), 2);
    assert.equal(sqlNumber(`SELECT status = 'done' FROM disposal_lists WHERE id = ${id}`), 1);
    r = await admin.get(`/agent/admin/conservation/bordereaux/${id}`);
    assert.match(F.textOf(r.text), /Terminé/);

    /* Back to no visa, for the other tests. */
    r = await admin.post('/agent/admin/conservation', {});
    assert.equal(r.status, 303);
    assert.equal(sqlNumber('SELECT archives_visa FROM tenants'), 0);
});

test('the procedure editor takes a retention in months, and the legal notice says it', async () => {
    const path = '/agent/admin/demarches/nid-de-poule';
    let r = await admin.get(path);
    assert.equal(r.status, 200);
    const fields = formFields(r.text, path);
    assert.equal(fields.retention_months, '24');
    r = await admin.post(path, Object.assign({}, fields, { retention_months: '0' }));
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /de 1 à 1200 mois/);
    r = await admin.post(path, Object.assign({}, fields, { retention_months: '12' }));
    assert.equal(r.status, 303, r.text.slice(0, 300));
    assert.equal(sqlNumber("SELECT retention_months FROM procedures WHERE code = 'nid-de-poule'"), 12);
    r = await admin.get('/agent/admin/demarches');
    assert.match(r.text, /<td class="num" data-label="Conservation \(mois\)">12<\/td>/);
    r = await H.request(srv, 'GET', '/mentions-legales');
    assert.match(F.textOf(r.text), /Nid de poule — 12 mois/);
    /* Empty: the default of its kind again. */
    r = await admin.post(path, Object.assign({}, fields, { retention_months: '' }));
    assert.equal(r.status, 303);
    assert.equal(sqlNumber("SELECT retention_months FROM procedures WHERE code = 'nid-de-poule'"), 24);
});

test('the server\'s scheduler anonymises by itself (retention-interval)', async (t) => {
    const s2 = await H.startServer({ requests: 5, env: { GUICHET_RETENTION_INTERVAL_S: '1' } });
    t.after(() => s2.stop());
    const req = await F.fileRequest(s2, { tag: `sch${process.pid}` });
    const r = await H.request(s2, 'PATCH', `/api/v1/requests/${req.reference}`,
        { json: { status: 'rejected' }, headers: { Authorization: `Bearer ${s2.keys.api}` } });
    assert.equal(r.status, 200, r.text);
    s2.sql(`UPDATE requests SET closed_at = closed_at - ${25 * MONTH} WHERE id = ${req.id}`);
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline && !Number(s2.sql(`SELECT count(*) FROM requests WHERE id = ${req.id} AND anonymised_at IS NOT NULL`).trim()))
        await H.sleep(200);
    assert.equal(s2.sql(`SELECT email IS NULL AND anonymised_at IS NOT NULL FROM requests WHERE id = ${req.id}`).trim(), '1');
    assert.match(s2.log(), /retention: 1 request\(s\) anonymised/);
});
