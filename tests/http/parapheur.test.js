'use strict';
/*
 * parapheur — issue 16's élus' signing queues on the back office. A throwaway CA and the élus'
 * PKCS#12 files are made by ./signers; an administrator saves each élu's key on
 * /agent/admin/signatures (a wrong PIN refused beside its field, the certificate shown). An
 * agent who may change the request sends a PDF for signature to the maire then an adjoint;
 * an agent of another department cannot (404), an élu not in the circuit cannot sign (403);
 * a wrong PIN is a 400 beside the field, nothing signed, the failure counted; the maire
 * signs, the adjoint's step is signed by a conseiller holding the adjoint's délégation (which
 * the adjoint recorded); the last version is the citizen's, each signed version a new row
 * with its own hash, all listed on /verifier/{code}; the final file verified by `guichet pdf
 * verify --ca` and poppler's `pdfsig` (whose output is read). A refusal needs a comment and
 * goes back to the sending agent by e-mail. «Signer la sélection» with one document not
 * waiting for the élu signs the others and says which failed. Five wrong PINs lock the key.
 * The PKCS#12 files are sealed at rest, and one stored in clear (before sealing) is sealed at
 * the next start and still signs. No PIN is left in the server's memory. A key on the
 * server's PKCS#11 token (SoftHSM2, `--pkcs11-module`) signs end to end, pdfsig agreeing.
 * The level (B-T with a local TSA; B-LT) and the visible box an administrator sets are the
 * parapheur's.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const H = require('./harness');
const F = require('../browser/bo_flows');
const { signers } = require('./signers');

const PIN = 'code élu 1234';
let srv;
let req;
let pdf;
const agents = {};
const clients = {};
const f = (name) => path.join(srv.dir, name);

function run(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    return r;
}

/* A multipart POST as client (its CSRF token first), files as {field: [bytes, name]}. */
async function multipart(client, target, fields, files = {}) {
    if (!client.csrf) await client.get('/agent/');
    const fd = new FormData();
    fd.append('csrf_token', client.csrf || '');
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    for (const [k, [data, name]] of Object.entries(files)) fd.append(k, new Blob([data]), name);
    const r = await fetch(srv.url + target, {
        method: 'POST', body: fd, headers: { Cookie: client.cookieHeader() }, redirect: 'manual',
        signal: AbortSignal.timeout(60000),
    });
    const text = await r.text();
    const token = F.csrfOf(text);
    if (token) client.csrf = token;
    return { status: r.status, text, location: r.headers.get('location') };
}

function documents(ref) {
    const out = run('sqlite3', ['-batch', '-json', srv.db,
        `SELECT d.id, d.kind, d.version, d.title, d.citizen_visible, d.sha256, d.code, hex(d.content) AS hex FROM documents d JOIN requests r ON r.id = d.request_id WHERE r.reference = '${ref}' ORDER BY d.id`]).stdout;
    return JSON.parse(out || '[]');
}

/* An upload of the request as agenta, kept for the agents; its document id. */
async function uploadDoc(title) {
    const r = await multipart(clients.agenta, `/agent/demandes/${req.reference}/documents`,
        { document_titre: title }, { document_fichier: [pdf, 'doc.pdf'] });
    assert.equal(r.status, 303, r.text.slice(0, 1000));
    const d = documents(req.reference).filter((x) => x.title === title);
    return d[d.length - 1].id;
}

async function send(client, documentId, elus, message = '') {
    await client.get(`/agent/demandes/${req.reference}/signature`);
    const fields = { document: String(documentId), message };
    elus.forEach((id, i) => { fields[`elu${i + 1}`] = String(id); });
    return client.post(`/agent/demandes/${req.reference}/signature`, fields);
}

function circuitOf(documentId) {
    return Number(srv.sql(`SELECT id FROM sign_circuits WHERE document_id = ${documentId} ORDER BY id DESC LIMIT 1`).trim());
}

/* agent_id's stored PKCS#12 file is sealed (core/seal.h's blob: "gsb1", nonce, MAC, then as
 * many bytes as the file), not name's file as uploaded. */
function assertSealed(agentId, name) {
    const stored = Buffer.from(srv.sql(`SELECT hex(p12) FROM sign_keys WHERE agent_id = ${agentId}`).trim(), 'hex');
    const p12 = fs.readFileSync(f(`${name}.p12`));
    assert.equal(stored.subarray(0, 4).toString('latin1'), 'gsb1');
    assert.equal(stored.length, p12.length + 4 + 24 + 16);
    assert.notEqual(stored[0], 0x30, 'not a DER SEQUENCE');
    assert.equal(stored.indexOf(p12.subarray(0, 64)), -1);
    assert.equal(stored.indexOf(p12.subarray(p12.length - 64)), -1);
}

async function saveKey(name, pin = PIN) {
    return multipart(clients.admin, '/agent/admin/signatures',
        { agent: String(agents[name].id), quality: name === 'maire' ? 'Maire' : 'Adjoint', kind: 'p12', pin },
        { p12: [fs.readFileSync(f(`${name}.p12`)), `${name}.p12`] });
}

/* The server's PKCS#11 module: a SoftHSM2 token in its own directory, made before the server
 * starts (its key and certificate are written once the CA exists). */
const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const TOKEN_PIN = 'jeton-5678';
let hsm;
const makers = {};

test.before(async () => {
    hsm = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'guichet-hsm-'));
    fs.mkdirSync(path.join(hsm, 'tokens'));
    const conf = path.join(hsm, 'softhsm2.conf');
    fs.writeFileSync(conf, `directories.tokendir = ${path.join(hsm, 'tokens')}\nobjectstore.backend = file\n`);
    hsm = { dir: hsm, env: Object.assign({}, process.env, { SOFTHSM2_CONF: conf }) };
    const init = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', 'mairie', '--pin', TOKEN_PIN,
                                             '--so-pin', '87654321'], { env: hsm.env, encoding: 'utf8' });
    assert.equal(init.status, 0, init.stderr);
    /* The test TSA answers on loopback: the server asks it only with --crl-private-ok. */
    srv = await H.startServer({ requests: 0, env: { GUICHET_PKCS11_MODULE: SOFTHSM, SOFTHSM2_CONF: conf, GUICHET_CRL_PRIVATE_OK: '1' } });
    req = await F.fileRequest(srv, { service: 'nid-de-poule' });
    const other = req.department === 'voirie' ? 'proprete' : 'voirie';
    const add = (key, role, departments) => {
        agents[key] = F.addAgent(srv, { email: `${key}.${process.pid}@ville-demo.test`, name: `Élu ${key}`, role, departments });
    };
    add('agenta', 'agent', [req.department]);
    add('agentb', 'agent', [other]);
    add('maire', 'elected', []);
    add('adjoint', 'elected', []);
    add('conseiller', 'elected', []);
    add('intrus', 'elected', []);
    add('admin', 'admin', []);
    add('jeton', 'elected', []);
    for (const k of Object.keys(agents)) clients[k] = await F.login(srv, agents[k]);
    const { ca, elu, nss, tsa, startTsa } = signers(srv.dir, PIN);
    ca('ca', 'Autorité de test du parapheur');
    tsa('tsa', 'ca');
    makers.startTsa = startTsa;
    for (const n of ['maire', 'adjoint', 'conseiller', 'intrus', 'jeton']) elu(n, `Élu ${n}`, 'ca');
    nss('nss', 'ca');
    const out = f('source.pdf');
    const r = srv.guichet(['document', 'receipt', '--db', srv.db, '--request', req.reference, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    pdf = fs.readFileSync(out);
});

test.after(async () => {
    /* A clean exit: an ASan build reports leaks and errors through it. */
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
    if (hsm) fs.rmSync(hsm.dir, { recursive: true, force: true });
});

test('an administrator saves the élus\' keys: a wrong PIN is refused, the certificate shown', async () => {
    const bad = await saveKey('maire', 'pas le bon');
    assert.equal(bad.status, 400);
    assert.ok(bad.text.includes('id="pin-error"'));
    assert.ok(bad.text.includes('Ce code PIN n’ouvre pas la clé'));
    assert.ok(bad.text.includes('value="Maire"'), 'the quality typed is kept');
    assert.equal(srv.sql('SELECT count(*) FROM sign_keys').trim(), '0');
    for (const n of ['maire', 'adjoint', 'conseiller', 'intrus']) {
        const r = await saveKey(n);
        assert.equal(r.status, 303, r.text.slice(0, 1500));
    }
    const page = await clients.admin.get('/agent/admin/signatures');
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('Élu maire'));
    assert.ok(page.text.includes('Autorité de test du parapheur'), 'the issuer is shown');
    /* Sealed at rest: no PKCS#12 DER in the column, nor any run of its bytes; the PIN
     * nowhere in the database. */
    assertSealed(agents.maire.id, 'maire');
    const dump = run('sqlite3', [srv.db, '.dump']).stdout;
    assert.ok(!dump.includes(PIN));
    assert.equal(srv.sql("SELECT count(*) FROM audit_log WHERE action = 'sign_key'").trim(), '4');
    /* Only admins. */
    const no = await clients.maire.get('/agent/admin/signatures');
    assert.equal(no.status, 403);
});

let docId;
let circuit;

test('an agent sends for signature; another department cannot; an élu not in it cannot sign', async () => {
    docId = await uploadDoc('Arrêté de voirie');
    const stranger = await send(clients.agentb, docId, [agents.maire.id]);
    assert.equal(stranger.status, 404);
    const none = await send(clients.agenta, docId, []);
    assert.equal(none.status, 400);
    assert.ok(none.text.includes('id="elu1-error"'));
    const twice = await send(clients.agenta, docId, [agents.maire.id, agents.maire.id]);
    assert.equal(twice.status, 400);
    const r = await send(clients.agenta, docId, [agents.maire.id, agents.adjoint.id], 'Urgent : conseil du 12.');
    assert.equal(r.status, 303, r.text.slice(0, 1500));
    circuit = circuitOf(docId);
    assert.ok(circuit > 0);
    const again = await send(clients.agenta, docId, [agents.maire.id]);
    assert.equal(again.status, 409, 'one pending circuit per document');
    /* The maire's queue lists it; the adjoint's does not yet. */
    const q = await clients.maire.get('/agent/parapheur');
    assert.equal(q.status, 200);
    assert.ok(q.text.includes(`data-circuit="${circuit}"`));
    assert.ok(q.text.includes('Arrêté de voirie'));
    assert.ok(q.text.includes(req.reference));
    assert.ok(q.text.includes('Élu agenta'));
    const qa = await clients.adjoint.get('/agent/parapheur');
    assert.ok(!qa.text.includes(`data-circuit="${circuit}"`));
    /* An agent has no queue; an élu not in the circuit may not sign. */
    assert.equal((await clients.agenta.get('/agent/parapheur')).status, 403);
    await clients.intrus.get('/agent/parapheur');
    const intrus = await clients.intrus.post(`/agent/parapheur/${circuit}/signer`, { pin: PIN });
    assert.equal(intrus.status, 403);
    const adj = await clients.adjoint.post(`/agent/parapheur/${circuit}/signer`, { pin: PIN });
    assert.equal(adj.status, 403, 'not the adjoint\'s turn yet');
    const page = await clients.agenta.get(`/agent/demandes/${req.reference}?fait=signature`);
    assert.ok(page.text.includes('Le document est envoyé à la signature'));
    assert.ok(page.text.includes('Envoyé à la signature de'));
    assert.ok(page.text.includes('Élu maire, Élu adjoint'));
});

test('a wrong PIN is refused beside its field, nothing signed, the failure counted', async () => {
    const before = documents(req.reference).length;
    const page = await clients.maire.get(`/agent/parapheur/${circuit}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('Urgent : conseil du 12.'));
    assert.ok(page.text.includes(`href="/documents/${req.reference}/${docId}"`));
    const r = await clients.maire.post(`/agent/parapheur/${circuit}/signer`, { pin: 'faux' });
    assert.equal(r.status, 400);
    assert.ok(r.text.includes('id="pin-error"'));
    assert.ok(r.text.includes('aria-invalid="true"'));
    assert.ok(r.text.includes('Ce code PIN n’ouvre pas votre clé'));
    assert.equal(documents(req.reference).length, before);
    assert.equal(srv.sql(`SELECT pin_failures FROM sign_keys WHERE agent_id = ${agents.maire.id}`).trim(), '1');
});

test('the maire signs, then the conseiller for the adjoint by délégation; the citizen gets the signed file', async () => {
    const r = await clients.maire.post(`/agent/parapheur/${circuit}/signer`, { pin: PIN });
    assert.equal(r.status, 303, r.text.slice(0, 1500));
    assert.match(r.location, /\/agent\/parapheur\?fait=signed$/);
    assert.equal(srv.sql(`SELECT pin_failures FROM sign_keys WHERE agent_id = ${agents.maire.id}`).trim(), '0');
    let docs = documents(req.reference).filter((d) => d.title === 'Arrêté de voirie');
    assert.deepEqual(docs.map((d) => [d.version, d.citizen_visible]), [[1, 0], [2, 0]]);
    /* The adjoint delegates to the conseiller for today. */
    const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' });
    await clients.adjoint.get('/agent/parapheur');
    const bad = await clients.adjoint.post('/agent/parapheur/delegation', { delegate: String(agents.conseiller.id), starts_on: today, ends_on: '2000-01-01' });
    assert.equal(bad.status, 400);
    assert.ok(bad.text.includes('id="ends_on-error"'));
    const d = await clients.adjoint.post('/agent/parapheur/delegation', { delegate: String(agents.conseiller.id), starts_on: today, ends_on: today });
    assert.equal(d.status, 303, d.text.slice(0, 1000));
    const q = await clients.conseiller.get('/agent/parapheur');
    assert.ok(q.text.includes(`data-circuit="${circuit}"`), 'the délégation puts it in the conseiller\'s queue');
    assert.ok(q.text.includes('par délégation'));
    const s = await clients.conseiller.post(`/agent/parapheur/${circuit}/signer`, { pin: PIN });
    assert.equal(s.status, 303, s.text.slice(0, 1500));
    docs = documents(req.reference).filter((x) => x.title === 'Arrêté de voirie');
    assert.deepEqual(docs.map((x) => [x.version, x.citizen_visible]), [[1, 0], [2, 0], [3, 1]]);
    assert.equal(srv.sql(`SELECT state FROM sign_circuits WHERE id = ${circuit}`).trim(), 'signed');
    /* Each version its own hash and code. */
    assert.equal(new Set(docs.map((x) => x.sha256)).size, 3);
    assert.equal(new Set(docs.map((x) => x.code)).size, 3);
    const last = Buffer.from(docs[2].hex, 'hex');
    assert.equal(crypto.createHash('sha256').update(last).digest('hex'), docs[2].sha256);
    fs.writeFileSync(f('final.pdf'), last);
    /* guichet's verifier: two signatures, both valid, the last covering the file. */
    const v = run(H.BIN, ['pdf', 'verify', '--ca', f('ca.pem'), f('final.pdf')]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /signature 1: signer «Élu maire»/);
    assert.match(v.stdout, /signature 2: signer «Élu conseiller»/);
    /* poppler's pdfsig: exits 0 whatever it finds, so its words are read. */
    const p = run('pdfsig', ['-nssdir', `sql:${f('nss')}`, f('final.pdf')]);
    assert.equal(p.status, 0, p.stderr);
    const sigs = p.stdout.split(/^Signature #\d+:$/m).slice(1);
    assert.equal(sigs.length, 2, p.stdout);
    for (const sig of sigs) {
        assert.match(sig, /Signature Validation: Signature is Valid\./);
        assert.match(sig, /Certificate Validation: Certificate is Trusted\./);
    }
    assert.match(sigs[1], /Total document signed/);
    /* Each signature's /Reason, a UTF-16BE hex string: the capacity, and the délégation. */
    const reasons = [...last.toString('latin1').matchAll(/\/Reason <FEFF([0-9A-Fa-f]*)>/g)].map((m) => {
        const b = Buffer.from(m[1], 'hex');
        return b.swap16().toString('utf16le');
    });
    assert.deepEqual(reasons, ['Maire', 'Pour le maire et par délégation, Élu conseiller, Adjoint']);
    /* The timeline, the citizen's notice and the verification page. */
    const page = await clients.agenta.get(`/agent/demandes/${req.reference}`);
    assert.ok(page.text.includes('Signé par'));
    assert.ok(page.text.includes('Élu conseiller pour Élu adjoint'));
    assert.equal(srv.sql(`SELECT count(*) FROM outbox WHERE template = 'document_issued' AND request_id = ${req.id}`).trim(), '1');
    const code = docs[0].code;
    const ver = await H.request(srv, 'GET', `/verifier/${code}`);
    assert.equal(ver.status, 200);
    for (const x of docs) assert.ok(ver.text.includes(x.sha256), `version ${x.version}'s hash listed`);
    assert.equal(srv.sql("SELECT count(*) FROM audit_log WHERE action = 'sign'").trim(), '2');
});

test('a refusal needs a comment and goes back to the sending agent', async () => {
    const id = await uploadDoc('Permis refusé');
    assert.equal((await send(clients.agenta, id, [agents.maire.id])).status, 303);
    const c = circuitOf(id);
    await clients.maire.get(`/agent/parapheur/${c}`);
    const empty = await clients.maire.post(`/agent/parapheur/${c}/refuser`, { comment: '   ' });
    assert.equal(empty.status, 400);
    assert.ok(empty.text.includes('id="comment-error"'));
    const r = await clients.maire.post(`/agent/parapheur/${c}/refuser`, { comment: 'Il manque le plan.' });
    assert.equal(r.status, 303, r.text.slice(0, 1000));
    assert.equal(srv.sql(`SELECT state FROM sign_circuits WHERE id = ${c}`).trim(), 'refused');
    const mail = srv.sql(`SELECT recipient FROM outbox WHERE template = 'sign_refused'`).trim();
    assert.equal(mail, agents.agenta.email.toLowerCase());
    const page = await clients.agenta.get(`/agent/demandes/${req.reference}`);
    assert.ok(page.text.includes('Refusé à la signature par'));
    assert.ok(page.text.includes('Il manque le plan.'));
    const after = await clients.maire.post(`/agent/parapheur/${c}/signer`, { pin: PIN });
    assert.equal(after.status, 409, 'a refused circuit is over');
});

test('«Signer la sélection»: each title shown, one PIN, each signed on its own, the bad one named', async () => {
    const a = await uploadDoc('Lot A');
    const b = await uploadDoc('Lot B');
    const other = await uploadDoc('Lot C');
    for (const [id, elu] of [[a, 'maire'], [b, 'maire'], [other, 'adjoint']]) {
        assert.equal((await send(clients.agenta, id, [agents[elu].id])).status, 303);
    }
    const ca = circuitOf(a), cb = circuitOf(b), cc = circuitOf(other);
    await clients.maire.get('/agent/parapheur');
    const body = `csrf_token=${encodeURIComponent(clients.maire.csrf)}&c=${ca}&c=${cb}&c=${cc}`;
    const confirm = await clients.maire.req('POST', '/agent/parapheur/selection', { form: body });
    assert.equal(confirm.status, 200);
    assert.ok(confirm.text.includes('Lot A') && confirm.text.includes('Lot B'));
    assert.ok(!confirm.text.includes('Lot C'), 'a document not waiting for the élu is not listed');
    const signBody = `csrf_token=${encodeURIComponent(clients.maire.csrf)}&c=${ca}&c=${cb}&c=${cc}&pin=${encodeURIComponent(PIN)}`;
    const done = await clients.maire.req('POST', '/agent/parapheur/selection/signer', { form: signBody });
    assert.equal(done.status, 200, done.text.slice(0, 1500));
    assert.match(done.text, /Documents signés : 2/);
    assert.match(done.text, new RegExp(`data-circuit="${cc}" class="is-failed"`));
    assert.equal(srv.sql(`SELECT state FROM sign_circuits WHERE id IN (${ca}, ${cb}) ORDER BY id`).trim(), 'signed\nsigned');
    assert.equal(srv.sql(`SELECT state FROM sign_circuits WHERE id = ${cc}`).trim(), 'pending');
});

test('five wrong PINs lock the key for a while', async () => {
    const id = await uploadDoc('Verrou');
    assert.equal((await send(clients.agenta, id, [agents.intrus.id])).status, 303);
    const c = circuitOf(id);
    await clients.intrus.get(`/agent/parapheur/${c}`);
    for (let i = 0; i < 4; i++) {
        assert.equal((await clients.intrus.post(`/agent/parapheur/${c}/signer`, { pin: 'faux' })).status, 400);
    }
    const fifth = await clients.intrus.post(`/agent/parapheur/${c}/signer`, { pin: 'faux' });
    assert.equal(fifth.status, 429);
    assert.ok(fifth.text.includes('bloquée pour 15 minutes'));
    const right = await clients.intrus.post(`/agent/parapheur/${c}/signer`, { pin: PIN });
    assert.equal(right.status, 429, 'locked even with the right PIN');
    assert.equal(srv.sql(`SELECT state FROM sign_circuits WHERE id = ${c}`).trim(), 'pending');
    /* Wrong PINs sent at the same time each count: five at once lock the key as five in a
     * row do (each once read the same count, and the lock was lost to the last write). */
    srv.sql(`UPDATE sign_keys SET pin_failures = 0, locked_until = 0 WHERE agent_id = ${agents.intrus.id}`);
    const burst = await Promise.all(Array.from({ length: 5 }, () =>
        clients.intrus.post(`/agent/parapheur/${c}/signer`, { pin: 'faux' })));
    for (const r of burst) assert.ok(r.status === 400 || r.status === 429, `status ${r.status}`);
    assert.equal(srv.sql(`SELECT locked_until > CAST(strftime('%s', 'now') AS INTEGER) FROM sign_keys WHERE agent_id = ${agents.intrus.id}`).trim(), '1');
    const after = await clients.intrus.post(`/agent/parapheur/${c}/signer`, { pin: PIN });
    assert.equal(after.status, 429, 'locked after the burst');
    assert.equal(srv.sql(`SELECT state FROM sign_circuits WHERE id = ${c}`).trim(), 'pending');
});

test('a signature waiting past the collectivité\'s days reminds its élu and the délégataire of the day, then once a day', async () => {
    await clients.admin.get('/agent/admin/signatures');
    const bad = await clients.admin.post('/agent/admin/signatures/relance', { remind_days: '0' });
    assert.equal(bad.status, 400);
    assert.ok(bad.text.includes('id="remind_days-error"'));
    const ok = await clients.admin.post('/agent/admin/signatures/relance', { remind_days: '2' });
    assert.equal(ok.status, 303, ok.text.slice(0, 1000));
    const id = await uploadDoc('Relance');
    assert.equal((await send(clients.agenta, id, [agents.adjoint.id])).status, 303);
    const c = circuitOf(id);
    const row = srv.sql(`SELECT j.due_at - c.waiting_since FROM jobs j, sign_circuits c WHERE c.id = ${c} AND j.kind = 'sign_remind' AND j.state = 'pending' AND j.payload LIKE '%"circuit":${c},%'`).trim();
    assert.equal(row, String(2 * 86400), 'due two days after the step started waiting');
    /* Two days pass while the server is down. */
    await srv.stop('SIGTERM', { keep: true });
    srv.sql(`UPDATE jobs SET due_at = CAST(strftime('%s', 'now') AS INTEGER) - 60 WHERE kind = 'sign_remind' AND state = 'pending' AND payload LIKE '%"circuit":${c},%'`);
    await srv.restart();
    const email = agents.adjoint.email.toLowerCase();
    for (let i = 0; i < 100 && srv.sql(`SELECT count(*) FROM outbox WHERE template = 'sign_remind' AND recipient = '${email}'`).trim() !== '1'; i++) {
        await H.sleep(200);
    }
    assert.equal(srv.sql(`SELECT count(*) FROM outbox WHERE template = 'sign_remind' AND recipient = '${email}'`).trim(), '1');
    assert.notEqual(srv.sql(`SELECT reminded_at FROM sign_circuits WHERE id = ${c}`).trim(), '0');
    /* The conseiller holds the adjoint's délégation today (recorded above): reminded too,
     * told for whom; the élu's own mail names nobody. Both name the document. */
    const params = (to) => JSON.parse(srv.sql(`SELECT params FROM outbox WHERE template = 'sign_remind' AND recipient = '${to}' ORDER BY id DESC LIMIT 1`).trim());
    const own = params(email);
    assert.equal(own.document, 'Relance');
    assert.equal(own.for, undefined);
    const delegate = params(agents.conseiller.email.toLowerCase());
    assert.equal(delegate.document, 'Relance');
    assert.equal(delegate.for, 'Élu adjoint');
    assert.equal(srv.sql("SELECT count(*) FROM outbox WHERE template = 'sign_remind'").trim(), '2', 'nobody else (the délégation of another élu, none ended)');
    /* The next one a day later, not before. */
    const next = Number(srv.sql(`SELECT min(due_at) - CAST(strftime('%s', 'now') AS INTEGER) FROM jobs WHERE kind = 'sign_remind' AND state = 'pending' AND payload LIKE '%"circuit":${c},%'`).trim());
    assert.ok(next > 86000 && next <= 86400, `next reminder in ${next} s`);
});

test('a PKCS#12 file stored in clear (before sealing) is sealed at the next start and still signs', async () => {
    /* The maire's row as an earlier guichet left it: the file as uploaded. */
    await srv.stop('SIGTERM', { keep: true });
    const clear = fs.readFileSync(f('maire.p12')).toString('hex');
    srv.sql(`UPDATE sign_keys SET p12 = X'${clear}' WHERE agent_id = ${agents.maire.id}`);
    await srv.restart();
    for (let i = 0; i < 100 && !srv.log().includes('parapheur: 1 PKCS#12 file(s) stored in clear sealed'); i++) {
        await H.sleep(100);
    }
    assert.ok(srv.log().includes('parapheur: 1 PKCS#12 file(s) stored in clear sealed'), 'the sealing logged with its count');
    assertSealed(agents.maire.id, 'maire');
    for (const n of ['adjoint', 'conseiller', 'intrus']) assertSealed(agents[n].id, n);
    /* Idempotent: the next start finds nothing in clear and says nothing. */
    await srv.stop('SIGTERM', { keep: true });
    const sealedBefore = srv.sql(`SELECT hex(p12) FROM sign_keys ORDER BY agent_id`);
    await srv.restart();
    for (const k of Object.keys(clients)) clients[k] = await F.login(srv, agents[k]);
    assert.equal(srv.sql(`SELECT hex(p12) FROM sign_keys ORDER BY agent_id`), sealedBefore);
    assert.equal(srv.log().split('stored in clear sealed').length - 1, 1);
    /* The sealed file opens with the élu's PIN and signs. */
    const id = await uploadDoc('Après le scellement');
    assert.equal((await send(clients.agenta, id, [agents.maire.id])).status, 303);
    const c = circuitOf(id);
    const r = await clients.maire.post(`/agent/parapheur/${c}/signer`, { pin: PIN });
    assert.equal(r.status, 303, r.text.slice(0, 1500));
    assert.equal(srv.sql(`SELECT state FROM sign_circuits WHERE id = ${c}`).trim(), 'signed');
    const docs = documents(req.reference).filter((d) => d.title === 'Après le scellement');
    fs.writeFileSync(f('sealed-signed.pdf'), Buffer.from(docs[docs.length - 1].hex, 'hex'));
    const v = run(H.BIN, ['pdf', 'verify', '--ca', f('ca.pem'), f('sealed-signed.pdf')]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
});

/* Whether the live process pid holds any of needles (Buffers) in its readable memory, read
 * through /proc/pid/mem (the test is the server's parent, which Yama's ptrace scope 1
 * allows). Regions over 256 MiB (ASan's shadow, reserved and mostly untouched) are skipped. */
function memoryHolds(pid, needles) {
    const found = new Set();
    const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
    try {
        for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
            const m = /^([0-9a-f]+)-([0-9a-f]+) r/.exec(line);
            if (!m || /\[(vvar|vsyscall|vdso)\]/.test(line)) continue;
            const from = parseInt(m[1], 16);
            const len = parseInt(m[2], 16) - from;
            if (len > 256 * 1024 * 1024) continue;
            const b = Buffer.alloc(len);
            try {
                fs.readSync(fd, b, 0, len, from);
            } catch {
                continue;
            }
            needles.forEach((n, i) => { if (b.includes(n)) found.add(i); });
        }
    } finally {
        fs.closeSync(fd);
    }
    return [...found];
}

test('no PIN is left in the server\'s memory once its requests are answered, signed or refused', async (t) => {
    if (!fs.existsSync(`/proc/${srv.pid()}/mem`)) {
        t.skip('no /proc');
        return;
    }
    const WRONG = 'Mauvais-PIN-7319';
    const id = await uploadDoc('Sans trace du PIN');
    assert.equal((await send(clients.agenta, id, [agents.maire.id])).status, 303);
    const c = circuitOf(id);
    /* A wrong PIN (its page answered with the field's error), then the right one. */
    const bad = await clients.maire.post(`/agent/parapheur/${c}/signer`, { pin: WRONG });
    assert.equal(bad.status, 400);
    const ok = await clients.maire.post(`/agent/parapheur/${c}/signer`, { pin: PIN });
    assert.equal(ok.status, 303, ok.text.slice(0, 1000));
    /* A PIN sent with a bad CSRF token: refused before the handler reads it. */
    const forged = await fetch(`${srv.url}/agent/parapheur/${c}/signer`, {
        method: 'POST', body: new URLSearchParams({ csrf_token: 'x', pin: 'Forge-PIN-4471' }),
        headers: { Cookie: clients.maire.cookieHeader() }, redirect: 'manual',
    });
    assert.equal(forged.status, 403);
    await forged.text();
    const needles = [PIN, WRONG, 'Forge-PIN-4471', new URLSearchParams({ pin: PIN }).toString(),
        new URLSearchParams({ pin: WRONG }).toString()].map((s) => Buffer.from(s));
    /* What the scan sees: the database's path is in the server's memory. */
    const control = Buffer.from(srv.db);
    const found = memoryHolds(srv.pid(), [control, ...needles]);
    assert.ok(found.includes(0), 'the scan reads the server\'s memory');
    assert.deepEqual(found.filter((i) => i > 0).map((i) => needles[i - 1].toString()), []);
});

test('a key on the server\'s PKCS#11 token (SoftHSM2) signs through the parapheur; pdfsig reads it valid', async () => {
    /* The élu's key and certificate on the token, paired by their id. */
    run('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', f('jeton.key'), '-outform', 'DER', '-out', f('jeton.key.der')]);
    run('openssl', ['x509', '-in', f('jeton.pem'), '-outform', 'DER', '-out', f('jeton.der')]);
    for (const [file, type] of [['jeton.key.der', 'privkey'], ['jeton.der', 'cert']]) {
        const w = spawnSync('pkcs11-tool', ['--module', SOFTHSM, '--token-label', 'mairie', '--login', '--pin', TOKEN_PIN,
                                            '--write-object', f(file), '--type', type, '--id', '02', '--label', 'jeton'],
                            { env: hsm.env, encoding: 'utf8' });
        assert.equal(w.status, 0, w.stderr);
    }
    const save = (pin) => multipart(clients.admin, '/agent/admin/signatures',
        { agent: String(agents.jeton.id), quality: 'Adjoint aux finances', kind: 'pkcs11', token: 'mairie', key: 'jeton', pin });
    const bad = await save('pas-le-bon');
    assert.equal(bad.status, 400);
    assert.ok(bad.text.includes('id="pin-error"'));
    const ok = await save(TOKEN_PIN);
    assert.equal(ok.status, 303, ok.text.slice(0, 1500));
    assert.equal(srv.sql(`SELECT kind || ' ' || token_label || ' ' || key_label || ' ' || (p12 IS NULL) FROM sign_keys WHERE agent_id = ${agents.jeton.id}`).trim(),
                 'pkcs11 mairie jeton 1');
    const id = await uploadDoc('Signé sur le jeton');
    assert.equal((await send(clients.agenta, id, [agents.jeton.id])).status, 303);
    const c = circuitOf(id);
    const wrong = await clients.jeton.post(`/agent/parapheur/${c}/signer`, { pin: '0000' });
    assert.equal(wrong.status, 400);
    assert.ok(wrong.text.includes('id="pin-error"'));
    const r = await clients.jeton.post(`/agent/parapheur/${c}/signer`, { pin: TOKEN_PIN });
    assert.equal(r.status, 303, r.text.slice(0, 1500));
    assert.equal(srv.sql(`SELECT state FROM sign_circuits WHERE id = ${c}`).trim(), 'signed');
    const docs = documents(req.reference).filter((d) => d.title === 'Signé sur le jeton');
    assert.deepEqual(docs.map((d) => [d.version, d.citizen_visible]), [[1, 0], [2, 1]]);
    fs.writeFileSync(f('jeton-signed.pdf'), Buffer.from(docs[1].hex, 'hex'));
    const v = run(H.BIN, ['pdf', 'verify', '--ca', f('ca.pem'), f('jeton-signed.pdf')]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^signature 1: signer «Élu jeton», .*covers the whole file: valid$/m);
    const p = run('pdfsig', ['-nssdir', `sql:${f('nss')}`, f('jeton-signed.pdf')]);
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /Signer Certificate Common Name: Élu jeton/);
    assert.match(p.stdout, /Signature Validation: Signature is Valid\./);
    assert.match(p.stdout, /Certificate Validation: Certificate is Trusted\./);
    assert.match(p.stdout, /Total document signed/);
    assert.match(p.stdout, /Signature Type: ETSI\.CAdES\.detached/);
    const qc = run('qpdf', ['--check', f('jeton-signed.pdf')]);
    assert.match(qc.stdout, /No syntax or stream encoding errors/);
});

test('the level and appearance an administrator sets: B-T with the TSA and a visible box; B-LT refused without revocation data', async () => {
    await clients.admin.get('/agent/admin/signatures');
    const level = (fields) => clients.admin.post('/agent/admin/signatures/niveau', fields);
    /* B-T without a TSA, an unknown level: refused beside their fields, what was typed kept. */
    let r = await level({ level: 'B-T', tsa_url: '', visible: '1' });
    assert.equal(r.status, 400);
    assert.ok(r.text.includes('id="tsa_url-error"'));
    assert.match(r.text, /<input type="url" id="tsa_url"[^>]*aria-describedby="tsa_url-hint tsa_url-error" aria-invalid="true"/);
    assert.match(r.text, /id="level-1" name="level" value="B-T" checked/);
    r = await level({ level: 'B-X', tsa_url: 'ftp://horodatage.test/' });
    assert.equal(r.status, 400);
    assert.ok(r.text.includes('id="level-error"'));
    r = await level({ level: 'B-T', tsa_url: 'ftp://horodatage.test/' });
    assert.equal(r.status, 400);
    assert.ok(r.text.includes('id="tsa_url-error"'));
    assert.equal(srv.sql('SELECT count(*) FROM sign_settings WHERE level <> \'B-B\'').trim(), '0');
    const tsaServer = await makers.startTsa('tsa.cnf');
    try {
        r = await level({ level: 'B-T', tsa_url: tsaServer.url, visible: '1' });
        assert.equal(r.status, 303, r.text.slice(0, 1000));
        assert.equal(srv.sql('SELECT level || \' \' || visible FROM sign_settings').trim(), 'B-T 1');
        const page = await clients.admin.get('/agent/admin/signatures');
        assert.match(page.text, /id="level-1" name="level" value="B-T" checked/);
        assert.match(page.text, /id="visible" name="visible" value="1" checked/);
        /* The maire signs: timestamped by the TSA, the box on the page. */
        const id = await uploadDoc('Arrêté horodaté');
        assert.equal((await send(clients.agenta, id, [agents.maire.id])).status, 303);
        const s1 = await clients.maire.post(`/agent/parapheur/${circuitOf(id)}/signer`, { pin: PIN });
        assert.equal(s1.status, 303, s1.text.slice(0, 1500));
        const docs = documents(req.reference).filter((d) => d.title === 'Arrêté horodaté');
        fs.writeFileSync(f('bt.pdf'), Buffer.from(docs[1].hex, 'hex'));
        const v = run(H.BIN, ['pdf', 'verify', '--ca', f('ca.pem'), f('bt.pdf')]);
        assert.equal(v.status, 0, v.stdout + v.stderr);
        assert.match(v.stdout, /^signature 1: signer «Élu maire», .*timestamped .* UTC, B-T, covers the whole file: valid$/m);
        const p = run('pdfsig', ['-nssdir', `sql:${f('nss')}`, f('bt.pdf')]);
        assert.match(p.stdout, /Signature Validation: Signature is Valid\./);
        assert.match(p.stdout, /Total document signed/);
        const text = run('pdftotext', ['-enc', 'UTF-8', f('bt.pdf'), '-']).stdout;
        assert.ok(text.includes('Signé électroniquement par'), text);
        assert.ok(text.includes('Élu maire'), text);
        assert.ok(text.includes('Maire'), text);
        /* B-LT: the élus' certificates name no CRL distribution point, so no revocation data:
         * the signature is refused beside the PIN, nothing signed, the circuit still waits. */
        r = await level({ level: 'B-LT', tsa_url: tsaServer.url });
        assert.equal(r.status, 303, r.text.slice(0, 1000));
        const id2 = await uploadDoc('Arrêté pour des décennies');
        assert.equal((await send(clients.agenta, id2, [agents.maire.id])).status, 303);
        const c2 = circuitOf(id2);
        const s2 = await clients.maire.post(`/agent/parapheur/${c2}/signer`, { pin: PIN });
        assert.equal(s2.status, 503);
        assert.ok(s2.text.includes('id="pin-error"'));
        assert.ok(s2.text.includes('au niveau fixé par l’administrateur'));
        assert.equal(srv.sql(`SELECT state FROM sign_circuits WHERE id = ${c2}`).trim(), 'pending');
        assert.equal(documents(req.reference).filter((d) => d.title === 'Arrêté pour des décennies').length, 1);
    } finally {
        await tsaServer.close();
    }
    assert.ok(Number(srv.sql("SELECT count(*) FROM audit_log WHERE action = 'sign_settings'").trim()) >= 2, 'each change audited');
    /* Back to B-B without a box. */
    r = await level({ level: 'B-B', tsa_url: '' });
    assert.equal(r.status, 303);
    assert.equal(srv.sql('SELECT level || \' \' || visible || \' \' || ifnull(tsa_url, \'-\') FROM sign_settings').trim(), 'B-B 0 -');
});
