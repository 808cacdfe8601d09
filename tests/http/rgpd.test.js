'use strict';
/*
 * The citizens' rights against a real `guichet serve` on the demo commune:
 *  - a citizen's export (RGPD art. 15 and 20, «Mes données personnelles»): one ZIP, streamed,
 *    read back with Python's zipfile (CRCs checked), holding exactly their account and their
 *    requests — those of their account and of their verified address, never another
 *    citizen's — with the public timeline (their message, the mairie's reply) but no internal
 *    note, no agent's name and no file of an internal event; their attachments byte for byte
 *    as stored; attachment, no-store, CSRF, login and a rate limit per account;
 *  - an administrator's export of the same data for an address (a request received by post),
 *    with its audit entries (who, account id, request ids) committed before the answer; an
 *    agent may not; an unknown address is answered, and audited, too;
 *  - the record of processing activities (art. 30): every demo procedure with its data
 *    categories and recipients on the admin page, in CSV and JSON, printable; and the CLI
 *    `guichet register` in both formats.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const H = require('./harness');
const F = require('../browser/bo_flows');

const PASSWORD = 'une phrase de passe assez longue';
const NOTE = 'Note interne confidentielle Zorglub';
const REPLY = 'Réponse publique de la mairie Bazinga';
const MESSAGE = 'Message de l’usager avec son justificatif';
const PDF = Buffer.from(
    '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n' +
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n' +
    'xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n' +
    '0000000115 00000 n \ntrailer << /Size 4 /Root 1 0 R >>\nstartxref\n190\n%%EOF\n');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-rgpd-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

let srv;
let citizen; /* Client of citizen A, logged in */
let a1; /* A's request filed by Open311 with A's address */
let a2; /* A's request filed from A's account with another contact address */
let other; /* another citizen's request */
let agentRow, adminRow, agent, admin;
let accountId;
let fieldPhotoId, pdfId;
let firstZip;

function sqlq(s) {
    return "'" + String(s).replace(/'/g, "''") + "'";
}

/* A PNG of 40 × 30 pixels (made with libvips' CLI). */
function png() {
    const file = path.join(work, 'terrain.png');
    execFileSync('vips', ['black', file, '40', '30']);
    return fs.readFileSync(file);
}

/* Entries of a ZIP read by Python's zipfile after testzip() (every CRC): {name: Buffer},
 * plus utf8 flags by name. */
function unzip(buf) {
    const file = path.join(work, `a${Date.now()}${Math.random()}.zip`);
    fs.writeFileSync(file, buf);
    const script = [
        'import base64, json, sys, zipfile',
        'z = zipfile.ZipFile(sys.argv[1])',
        'print(json.dumps({"bad": z.testzip(), "entries": [{"name": i.filename,',
        '  "utf8": bool(i.flag_bits & 0x800), "data": base64.b64encode(z.read(i)).decode()}',
        '  for i in z.infolist()]}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }));
    fs.rmSync(file);
    assert.equal(out.bad, null, `corrupt entry in the archive: ${out.bad}`);
    const files = {};
    const utf8 = {};
    for (const e of out.entries) {
        files[e.name] = Buffer.from(e.data, 'base64');
        utf8[e.name] = e.utf8;
    }
    return { files, utf8 };
}

/* fetch with the client's cookies, the body as bytes. */
async function raw(client, method, p, { body, headers = {} } = {}) {
    const h = Object.assign({ Cookie: client.cookieHeader() }, headers);
    const r = await fetch(srv.url + p, { method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(60000) });
    return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

async function exportAsCitizen(client = citizen) {
    const page = await client.get('/compte/donnees');
    assert.equal(page.status, 200, `GET /compte/donnees: ${page.status}`);
    const body = new URLSearchParams({ csrf_token: client.csrf }).toString();
    return raw(client, 'POST', '/compte/donnees', { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
}

async function exportAsAgent(client, email) {
    await client.get('/agent/admin/export');
    const body = new URLSearchParams({ csrf_token: client.csrf, email }).toString();
    return raw(client, 'POST', '/agent/admin/export', { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
}

function auditRows(after) {
    const out = execFileSync('sqlite3', ['-batch', '-json', srv.db,
        `SELECT * FROM audit_log WHERE id > ${Number(after)} ORDER BY id`], { encoding: 'utf8' }).trim();
    return out ? JSON.parse(out) : [];
}

function lastAuditId() {
    return Number(srv.sql('SELECT coalesce(max(id), 0) FROM audit_log').trim());
}

function references(zip) {
    return Object.keys(zip.files).filter((n) => /^demandes\/[^/]+\/demande\.json$/.test(n))
        .map((n) => n.split('/')[1]).sort();
}

test.before(async () => {
    srv = await H.startServer({ requests: 20 });
    agentRow = F.addAgent(srv, { email: `rgpd.agent.${process.pid}@ville-demo.test`, name: 'Agente Secretissime', role: 'agent', departments: ['voirie'] });
    adminRow = F.addAgent(srv, { email: `rgpd.admin.${process.pid}@ville-demo.test`, name: 'Admin Rgpd', role: 'admin' });

    a1 = await F.fileRequest(srv, { service: 'nid-de-poule' });
    other = await F.fileRequest(srv, { service: 'nid-de-poule' });
    const b = await F.fileRequest(srv, { service: 'depot-sauvage' });

    /* A signs up with the address of a1 and verifies it. */
    citizen = new F.Client(srv, 'citizen A');
    await citizen.get('/compte/inscription');
    const su = await citizen.post('/compte/inscription', {
        email: a1.email, display_name: 'Jeanne Exportée', password: PASSWORD, password_confirm: PASSWORD,
    });
    assert.equal(su.status, 200, F.textOf(su.text).slice(0, 300));
    const params = JSON.parse(srv.sql(`SELECT params FROM outbox WHERE template = 'account_verify' AND recipient = ${sqlq(a1.email)} ORDER BY id DESC LIMIT 1`).trim());
    const v = await citizen.useLink(params.link);
    assert.equal(v.status, 200, F.textOf(v.text).slice(0, 300));
    accountId = Number(srv.sql(`SELECT id FROM accounts WHERE email = ${sqlq(a1.email)}`).trim());
    assert.ok(accountId > 0);

    /* a2: filed from A's account with another contact address (as the portal form does when
     * logged in), so only the account links it to A. */
    a2 = b;
    srv.sql(`UPDATE requests SET citizen_id = ${accountId} WHERE id = ${a2.id}`);

    /* A's message with a PDF on a1, through the tracking page. */
    const page = await citizen.get(`/suivi/${a1.reference}`);
    assert.equal(page.status, 200, 'A cannot open a1 from the account');
    const fd = new FormData();
    fd.append('csrf_token', citizen.csrf);
    fd.append('message', MESSAGE);
    fd.append('fichiers', new Blob([PDF], { type: 'application/pdf' }), 'justificatif été.pdf');
    const m = await raw(citizen, 'POST', `/suivi/${a1.reference}/message`, { body: fd });
    assert.equal(m.status, 303, `message: ${m.status} ${m.bytes.toString().slice(0, 300)}`);
    pdfId = Number(srv.sql(`SELECT id FROM attachments WHERE request_id = ${a1.id} AND content_type = 'application/pdf'`).trim());

    /* The agent: an internal note, a public reply, a field photo on an internal note. */
    agent = await F.login(srv, agentRow);
    const note = await agent.post(`/agent/demandes/${a1.reference}/traiter`, { note: NOTE });
    assert.equal(note.status, 303, F.textOf(note.text).slice(0, 300));
    const reply = await agent.post(`/agent/demandes/${a1.reference}/traiter`, { reponse: REPLY });
    assert.equal(reply.status, 303, F.textOf(reply.text).slice(0, 300));
    await agent.get('/agent/terrain');
    const pf = new FormData();
    pf.append('csrf_token', agent.csrf);
    pf.append('action', 'photo');
    pf.append('photo', new Blob([png()], { type: 'image/png' }), 'chantier.png');
    const ph = await raw(agent, 'POST', `/agent/terrain/${a1.reference}`, { body: pf });
    assert.equal(ph.status, 303, `field photo: ${ph.status} ${ph.bytes.toString().slice(0, 300)}`);
    fieldPhotoId = Number(srv.sql(`SELECT a.id FROM attachments a JOIN request_events e ON e.id = a.event_id WHERE a.request_id = ${a1.id} AND e.is_public = 0`).trim());
    assert.ok(fieldPhotoId > 0, 'the field photo was not recorded on an internal event');

    admin = await F.login(srv, adminRow);
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

test('the citizen\'s archive holds exactly their data: account, both requests, public timeline, their files byte for byte', async () => {
    const r = await exportAsCitizen();
    assert.equal(r.status, 200, r.bytes.toString().slice(0, 500));
    assert.equal(r.headers.get('content-type'), 'application/zip');
    assert.match(r.headers.get('content-disposition'), /^attachment; filename="donnees-ville-demo-\d{4}-\d{2}-\d{2}\.zip"$/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('transfer-encoding'), 'chunked', 'the archive is not streamed');
    const zip = unzip(r.bytes);
    firstZip = zip;

    assert.deepEqual(references(zip), [a1.reference, a2.reference].sort(), 'not exactly A\'s requests');
    assert.ok(zip.files['LISEZMOI.txt'].toString().includes('compte.json'));
    const account = JSON.parse(zip.files['compte.json']);
    assert.equal(account.format, 'guichet-export-1');
    assert.equal(account.account.email, a1.email);
    assert.equal(account.account.display_name, 'Jeanne Exportée');
    assert.ok(account.account.email_verified_at, 'no verification date');
    assert.equal(account.request_count, 2);
    assert.equal(account.requests_left_out, 0);
    assert.deepEqual(account.requests.map((x) => x.reference).sort(), [a1.reference, a2.reference].sort());
    assert.ok(!('password_hash' in account.account));

    const d1 = JSON.parse(zip.files[`demandes/${a1.reference}/demande.json`]);
    assert.equal(d1.reference, a1.reference);
    assert.equal(d1.procedure.code, 'nid-de-poule');
    assert.equal(d1.description, a1.description);
    assert.equal(d1.contact.email, a1.email);
    assert.equal(d1.contact.last_name, a1.last);
    assert.equal(d1.contact.lang, 'fr', 'the language of the messages about it');
    assert.ok(d1.location.lat && d1.location.long, 'no location');
    assert.ok(d1.attributes.length > 0 && d1.attributes.every((x) => x.code && x.label), 'attributes without labels');
    const texts = d1.timeline.map((e) => e.text).filter(Boolean);
    assert.ok(texts.includes(MESSAGE), 'the citizen\'s message is missing');
    assert.ok(texts.includes(REPLY), 'the mairie\'s public reply is missing');
    assert.equal(d1.timeline.find((e) => e.text === MESSAGE).by, 'citizen');
    assert.equal(d1.timeline.find((e) => e.text === REPLY).by, 'mairie');

    const d2 = JSON.parse(zip.files[`demandes/${a2.reference}/demande.json`]);
    assert.equal(d2.contact.email, a2.email, 'a2 keeps the contact address it was filed with');

    /* Nothing internal, nothing of another citizen, no agent. */
    const everything = Object.values(zip.files).map((b) => b.toString('latin1')).join('\n') +
        Object.values(zip.files).map((b) => b.toString('utf8')).join('\n');
    for (const [label, value] of [['internal note', NOTE], ['agent name', agentRow.name], ['agent e-mail', agentRow.email],
        ['agent actor', `agent:${agentRow.id}`], ['other citizen', other.email], ['other citizen', other.last],
        ['other reference', other.reference], ['field photo', `/${fieldPhotoId}-`]]) {
        assert.ok(!everything.includes(value), `the archive holds the ${label} (${value})`);
    }

    /* The PDF: as sent, as stored, named in UTF-8. */
    const pdfEntry = Object.keys(zip.files).find((n) => n.startsWith(`demandes/${a1.reference}/pieces-jointes/${pdfId}-`));
    assert.ok(pdfEntry, `no PDF in ${Object.keys(zip.files).join(', ')}`);
    assert.ok(pdfEntry.endsWith('justificatif été.pdf'), pdfEntry);
    assert.ok(zip.utf8[pdfEntry], 'the UTF-8 name flag is not set');
    assert.ok(zip.files[pdfEntry].equals(PDF), 'the PDF is not byte-identical to what was sent');
    const stored = srv.sql(`SELECT storage_name FROM attachments WHERE id = ${pdfId}`).trim();
    assert.ok(zip.files[pdfEntry].equals(fs.readFileSync(path.join(srv.dir, 'uploads', stored))));
    const listed = d1.attachments.find((x) => x.file === pdfEntry.slice(`demandes/${a1.reference}/`.length));
    assert.ok(listed, 'the PDF is not listed in demande.json');
    assert.equal(listed.size, PDF.length);
    const msgEvent = d1.timeline.find((e) => e.text === MESSAGE);
    assert.deepEqual(msgEvent.attachments, [listed.file], 'the message does not name its file');
});

test('the citizen\'s archive: login, CSRF, no-store page, and a rate limit per account', async () => {
    const anon = new F.Client(srv, 'anonymous');
    const g = await anon.get('/compte/donnees');
    assert.equal(g.status, 303);
    assert.equal(F.locPath(g, srv), '/compte/connexion?retour=/compte/donnees');

    const page = await citizen.get('/compte/donnees');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(F.textOf(page.text), /droit d’accès/);
    const prefs = await citizen.get('/compte/preferences');
    assert.ok(prefs.text.includes('href="/compte/donnees'), 'the preferences page does not lead to the export');

    const noToken = await raw(citizen, 'POST', '/compte/donnees', { body: 'csrf_token=0000', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(noToken.status, 403);

    /* Five an hour per account: the first test spent one. */
    for (let i = 0; i < 4; i++) assert.equal((await exportAsCitizen()).status, 200, `export ${i + 2}`);
    const limited = await exportAsCitizen();
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0, 'no Retry-After');
    assert.match(limited.headers.get('content-type'), /^text\/html/);
});

test('an administrator exports the same data for an address; the read and its audit entries commit together', async () => {
    const mark = lastAuditId();
    const r = await exportAsAgent(admin, a1.email.toUpperCase());
    assert.equal(r.status, 200, r.bytes.toString().slice(0, 500));
    assert.equal(r.headers.get('content-type'), 'application/zip');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    /* Committed before the first byte: no waiting. */
    const rows = auditRows(mark).filter((x) => x.action === 'export');
    const acc = rows.find((x) => x.object_kind === 'account');
    const reqs = rows.find((x) => x.object_kind === 'request');
    assert.ok(acc && reqs, `no export entries: ${JSON.stringify(auditRows(mark))}`);
    assert.equal(Number(acc.agent_id), adminRow.id);
    assert.equal(acc.actor, `agent:${adminRow.id}`);
    assert.equal(acc.object_ids, String(accountId));
    assert.deepEqual(reqs.object_ids.split(',').map(Number).sort(), [a1.id, a2.id].sort());
    assert.match(acc.source, /^web /);
    for (const row of rows) assert.ok(!JSON.stringify(row).includes(a1.email), 'an audit entry holds the e-mail address');

    const zip = unzip(r.bytes);
    assert.deepEqual(references(zip), references(firstZip));
    for (const name of Object.keys(firstZip.files)) {
        assert.ok(name in zip.files, `${name} missing from the agent's export`);
        if (name.includes('/pieces-jointes/')) assert.ok(zip.files[name].equals(firstZip.files[name]), `${name} differs`);
    }
    assert.equal(srv.guichet(['audit', 'verify', '--db', srv.db]).status, 0, 'the audit chain is broken');
});

test('an agent may not export; an unknown address is answered and audited; a malformed one is refused', async () => {
    let mark = lastAuditId();
    const denied = await exportAsAgent(agent, a1.email);
    assert.equal(denied.status, 403);
    assert.equal((await agent.get('/agent/admin/export')).status, 403);
    assert.equal(auditRows(mark).filter((x) => x.action === 'export').length, 0, 'a refused export was audited as done');

    mark = lastAuditId();
    const unknown = await exportAsAgent(admin, `personne.${process.pid}@exemple.fr`);
    assert.equal(unknown.status, 200);
    assert.match(unknown.headers.get('content-type'), /^text\/html/);
    assert.match(F.textOf(unknown.bytes.toString()), /Aucun compte ni aucune demande/);
    const rows = auditRows(mark).filter((x) => x.action === 'export');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].object_ids, null);

    const bad = await exportAsAgent(admin, 'pas une adresse');
    assert.equal(bad.status, 400);
    assert.match(F.textOf(bad.bytes.toString()), /adresse e-mail valide/);
});

/* The demo's procedures with their variable attributes' labels, from the database. */
function procedures() {
    const out = execFileSync('sqlite3', ['-batch', '-json', srv.db, 'SELECT code, name, attributes FROM procedures'], { encoding: 'utf8' });
    return JSON.parse(out).map((p) => ({
        code: p.code,
        name: p.name,
        /* Sections and notices ask nothing: no data. */
        labels: JSON.parse(p.attributes || '[]').filter((x) => x.variable !== false && x.datatype !== 'section')
            .map((x) => x.description || x.code),
    }));
}

test('the register lists every procedure with its data categories and recipients: page, CSV, JSON, printable', async () => {
    const procs = procedures();
    assert.ok(procs.length >= 10);
    const page = await admin.get('/agent/admin/registre');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    const text = F.textOf(page.text);
    for (const p of procs) {
        assert.ok(text.includes(p.name), `the register page misses ${p.name}`);
        for (const l of p.labels) assert.ok(text.includes(l), `the register page misses ${p.name}: ${l}`);
    }
    assert.match(text, /Comptes des usagers du portail/);
    assert.match(text, /Journal des accès aux données personnelles/);
    assert.match(text, /365 jours/, 'the audit log retention is not shown');
    /* What the channels keep outside requests, each with its retention (issue 14). */
    assert.match(text, /Courriels reçus retenus comme indésirables/);
    assert.match(text, /30 jours après la réception, puis suppression/, 'the held mail retention is not shown');
    assert.match(text, /Numéros opposés aux SMS/);
    assert.match(text, /Tant que l’opposition dure/);
    assert.match(text, /Abonnés aux messages de la mairie/);
    /* The agents are data subjects too (issue 14). */
    assert.match(text, /Comptes des agents de la collectivité/);
    /* The documents issued and the post room's letters (issue 15). */
    assert.match(text, /Documents émis par la mairie \(accusés de réception, courriers, décisions\)/);
    assert.match(text, /supprimés à son anonymisation/);
    assert.match(text, /Courrier papier reçu \(numérisation et lecture automatique\)/);
    assert.match(text, /secret du second facteur \(TOTP\) chiffré/);
    assert.match(text, /ses entrées du journal d’audit sont supprimées 365 jours après leur date/);
    assert.match(text, /supprimé 30 jours après le désabonnement/);
    assert.match(text, /mois après la clôture de la demande, puis anonymisation irréversible/);
    assert.match(text, /Logiciel « test-api »/, 'the API key with scope api is not a recipient');
    assert.match(text, /Open311 \(public\)/);

    const csv = await raw(admin, 'GET', '/agent/admin/registre.csv');
    assert.equal(csv.status, 200);
    assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(csv.headers.get('content-disposition'), /^attachment; filename="registre-ville-demo-\d{4}-\d{2}-\d{2}\.csv"$/);
    assert.equal(csv.headers.get('cache-control'), 'no-store');
    assert.ok(csv.bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'no byte order mark');
    const rows = csv.bytes.toString('utf8').slice(1).trim().split('\r\n');
    assert.equal(rows.length, 1 + procs.length + 8, 'one row per procedure, the accounts, the audit log, the agents, held mail, SMS opt-outs, subscribers, documents, the post room');
    assert.ok(rows[0].startsWith('Traitement;Finalité;Base légale;'), rows[0]);
    for (const p of procs) {
        const row = rows.find((x) => x.startsWith(p.name.includes(';') || p.name.includes('"') ? `"${p.name}` : `${p.name};`));
        assert.ok(row, `no CSV row for ${p.name}`);
        for (const l of p.labels) assert.ok(row.includes(l), `CSV row ${p.name} misses ${l}`);
    }

    const json = await admin.get('/agent/admin/registre.json');
    assert.equal(json.status, 200);
    assert.match(json.headers.get('content-type'), /^application\/json/);
    const reg = JSON.parse(json.text);
    for (const p of procs) {
        const e = reg.entries.find((x) => x.id === `procedure:${p.code}`);
        assert.ok(e, `no JSON entry for ${p.code}`);
        const codes = e.data.filter((d) => d.category === 'attribute').map((d) => d.label);
        assert.deepEqual(codes.sort(), [...p.labels].sort(), `data categories of ${p.code}`);
        for (const cat of ['identity', 'contact', 'description', 'attachments']) assert.ok(e.data.some((d) => d.category === cat), `${p.code} lacks ${cat}`);
        /* each procedure's retention, as the retention pass applies it */
        const months = Number(srv.sql(`SELECT retention_months FROM procedures WHERE code = '${p.code}';`).trim());
        assert.ok(months > 0, `no retention for ${p.code}`);
        assert.equal(e.retention_months, months);
        assert.equal(e.retention_text, `${months} mois après la clôture de la demande, puis anonymisation irréversible`);
        assert.ok(e.recipients.some((x) => x.kind === 'api_key' && x.name === 'test-api'));
    }
    const nid = reg.entries.find((x) => x.id === 'procedure:nid-de-poule');
    assert.ok(nid.data.some((d) => d.category === 'location'), 'an incident lacks its location');
    assert.ok(nid.recipients.some((x) => x.kind === 'department' && x.detail === 'voirie'));

    const print = await admin.get('/agent/admin/registre/imprimer');
    assert.equal(print.status, 200);
    assert.ok(!print.text.includes('bo-nav'), 'the printable page has the navigation');
    assert.ok(F.textOf(print.text).includes(procs[0].name));

    const en = await admin.get('/agent/admin/registre?lang=en');
    assert.match(F.textOf(en.text), /Record of processing activities/);
    for (const p of ['/agent/admin/registre', '/agent/admin/registre.csv', '/agent/admin/registre/imprimer']) {
        assert.equal((await agent.get(p)).status, 403, `${p} for an agent`);
    }
    assert.equal((await admin.get('/agent/admin/registre.xml')).status, 404);
});

test('guichet register prints the register as JSON and CSV; a wrong format is a usage error', async () => {
    const procs = procedures();
    const j = srv.guichet(['register', '--db', srv.db]);
    assert.equal(j.status, 0, j.stderr);
    const reg = JSON.parse(j.stdout);
    assert.equal(reg.controller.name, 'Ville de Démo');
    /* One entry per procedure, the accounts, the audit log, the agents, held mail, SMS
     * opt-outs, subscribers, the documents issued, the post room. */
    assert.equal(reg.entries.length, procs.length + 8);
    for (const p of procs) assert.ok(reg.entries.some((e) => e.code === p.code && e.name === p.name), `no entry for ${p.code}`);

    const c = srv.guichet(['register', '--db', srv.db, '--format', 'csv', '--lang', 'en']);
    assert.equal(c.status, 0, c.stderr);
    const lines = c.stdout.replace(/^\uFEFF/, '').trim().split('\r\n');
    assert.ok(lines[0].startsWith('Processing activity;Purpose;Legal basis;'), lines[0]);
    assert.equal(lines.length, 1 + procs.length + 8); /* the header, then the entries */

    const bad = srv.guichet(['register', '--db', srv.db, '--format', 'xml']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--format/);
});
