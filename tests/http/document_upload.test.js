'use strict';
/*
 * document_upload — issue 15's PDFs agents prepared elsewhere, on the back office's request
 * page: the «Documents» section lists the request's documents (the receipt first) with their
 * version, issuer, visibility, size, SHA-256 and verification code; an agent of the request's
 * department uploads a PDF, stored rewritten clean (`qpdf --check` on the stored bytes) with
 * its hash; the same title again is version 2; each refusal (no title, no file, not a PDF,
 * damaged, encrypted with and without a password to open it, JavaScript, an embedded file,
 * too many pages) is a 400 with its message beside its field, the title kept; a document kept
 * for the agents is a 404 for the citizen and a 200 for the agent (whose reading is
 * audited), a visible one is on the tracking page; an élu reads but may not upload (403), an
 * agent of another department gets a 404, an anonymous visitor the login page.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const net = require('node:net');
const H = require('./harness');
const F = require('../browser/bo_flows');

let srv;
let req;
let pdf; /* a valid two-page PDF: a receipt written by `guichet document receipt` */
const agents = {};
const clients = {};

function mustRun(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
}

/* POSTs the upload form as client: multipart with the CSRF token, the title, the visibility
 * and the file (none when data is null). */
async function upload(client, ref, { title, visible, data, filename = 'document.pdf' }) {
    if (!client.csrf) await client.get(`/agent/demandes/${ref}`);
    const fd = new FormData();
    fd.append('csrf_token', client.csrf || '');
    fd.append('document_titre', title);
    if (visible) fd.append('document_visible', '1');
    if (data !== null) fd.append('document_fichier', new Blob([data], { type: 'application/pdf' }), filename);
    const headers = client.jar.size ? { Cookie: client.cookieHeader() } : {};
    const r = await fetch(srv.url + `/agent/demandes/${ref}/documents`, {
        method: 'POST', body: fd, headers, redirect: 'manual', signal: AbortSignal.timeout(30000),
    });
    return { status: r.status, text: await r.text(), location: r.headers.get('location') };
}

/* The answer's head to a multipart POST of which only the headers are sent. */
function headersOnly(target) {
    const u = new URL(srv.url);
    return new Promise((resolve, reject) => {
        const sock = net.connect(Number(u.port), u.hostname, () => {
            sock.write(`POST ${target} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: multipart/form-data; ` +
                       'boundary=XyZ\r\nContent-Length: 100000\r\n\r\n');
        });
        let got = '';
        sock.setTimeout(20000, () => { sock.destroy(); reject(new Error('no answer on the headers')); });
        sock.on('data', (c) => {
            got += c;
            if (got.includes('\r\n\r\n')) { sock.destroy(); resolve(got); }
        });
        sock.on('error', reject);
    });
}

function documents(ref) {
    const out = spawnSync('sqlite3', ['-batch', '-json', srv.db,
        `SELECT d.id, d.kind, d.version, d.title, d.citizen_visible, d.sha256, d.size, d.agent_id, hex(d.content) AS hex FROM documents d JOIN requests r ON r.id = d.request_id WHERE r.reference = '${ref}' ORDER BY d.id`],
    { encoding: 'utf8' }).stdout;
    return JSON.parse(out || '[]');
}

/* A one-page PDF written by hand with extra catalogue entries. */
function handmade(catalogue) {
    const objs = [
        `<< /Type /Catalog /Pages 2 0 R ${catalogue} >>`,
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
    ];
    let s = '%PDF-1.7\n';
    const off = [];
    objs.forEach((o, i) => { off.push(s.length); s += `${i + 1} 0 obj\n${o}\nendobj\n`; });
    const x = s.length;
    s += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
    for (const o of off) s += `${String(o).padStart(10, '0')} 00000 n \n`;
    s += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`;
    return Buffer.from(s, 'latin1');
}

test.before(async () => {
    srv = await H.startServer({ requests: 0 });
    req = await F.fileRequest(srv, { service: 'nid-de-poule' });
    const other = req.department === 'voirie' ? 'proprete' : 'voirie';
    const add = (key, role, departments) => {
        agents[key] = F.addAgent(srv, { email: `${key}.${process.pid}@ville-demo.test`, name: `Agent ${key}`, role, departments });
    };
    add('agenta', 'agent', [req.department]);
    add('agentb', 'agent', [other]);
    add('elu', 'elected', []);
    for (const k of Object.keys(agents)) clients[k] = await F.login(srv, agents[k]);
    const out = path.join(srv.dir, 'source.pdf');
    const r = srv.guichet(['document', 'receipt', '--db', srv.db, '--request', req.reference, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    pdf = fs.readFileSync(out);
});

test.after(() => srv && srv.stop());

test('the request page lists the receipt and offers the upload form', async () => {
    const page = await clients.agenta.get(`/agent/demandes/${req.reference}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /<h2 id="documents-titre">Documents<\/h2>/);
    assert.match(page.text, /<caption>Documents de la demande, du plus ancien au plus récent<\/caption>/);
    const [receipt] = documents(req.reference);
    assert.equal(receipt.kind, 'receipt');
    assert.ok(page.text.includes(`href="/documents/${req.reference}/${receipt.id}"`), 'a link to the receipt');
    assert.ok(page.text.includes('Accusé de réception'));
    assert.ok(page.text.includes('guichet (automatique)'));
    assert.ok(page.text.includes(receipt.sha256.slice(0, 12)));
    assert.match(page.text, /enctype="multipart\/form-data"/);
    assert.match(page.text, /<label for="document_titre">Titre du document<\/label>/);
    assert.match(page.text, /<input type="file" id="document_fichier" name="document_fichier" accept="application\/pdf" aria-describedby="document_fichier-hint">/);
    /* An élu reads the list, without the form. */
    const elu = await clients.elu.get(`/agent/demandes/${req.reference}`);
    assert.equal(elu.status, 200);
    assert.ok(elu.text.includes(`href="/documents/${req.reference}/${receipt.id}"`));
    assert.ok(!elu.text.includes('name="document_fichier"'));
});

test('an upload is stored clean with its hash; the same title again is version 2', async () => {
    const r = await upload(clients.agenta, req.reference, { title: '  Plan de situation ', visible: false, data: pdf });
    assert.equal(r.status, 303, r.text.slice(0, 2000));
    assert.match(r.location, new RegExp(`/agent/demandes/${req.reference}\\?fait=document#documents$`));
    let docs = documents(req.reference).filter((d) => d.kind === 'upload');
    assert.equal(docs.length, 1);
    const d = docs[0];
    assert.equal(d.title, 'Plan de situation');
    assert.equal(d.version, 1);
    assert.equal(d.citizen_visible, 0);
    assert.equal(d.agent_id, agents.agenta.id);
    const bytes = Buffer.from(d.hex, 'hex');
    assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'), d.sha256);
    const stored = path.join(srv.dir, 'stored.pdf');
    fs.writeFileSync(stored, bytes);
    assert.match(mustRun('qpdf', ['--check', stored]), /No syntax or stream encoding errors/);
    /* Rewritten: object streams, not the bytes sent. */
    assert.ok(!bytes.equals(pdf));
    assert.ok(bytes.includes('/ObjStm'));
    /* The timeline says it, and the audit log holds the upload. */
    const page = await clients.agenta.get(`/agent/demandes/${req.reference}?fait=document`);
    assert.ok(page.text.includes('Le document est déposé.'));
    assert.ok(page.text.includes('Document déposé'));
    assert.ok(page.text.includes('Non, réservé aux agents'));
    assert.ok(page.text.includes('Agent agenta'));
    const audit = srv.sql(`SELECT count(*) FROM audit_log WHERE action = 'document_upload' AND object_kind = 'request' AND object_ids = '${req.id}'`).trim();
    assert.equal(audit, '1');

    const again = await upload(clients.agenta, req.reference, { title: 'Plan de situation', visible: false, data: pdf });
    assert.equal(again.status, 303);
    docs = documents(req.reference).filter((x) => x.kind === 'upload');
    assert.deepEqual(docs.map((x) => x.version), [1, 2]);
    const other = await upload(clients.agenta, req.reference, { title: 'Arrêté de voirie', visible: true, data: pdf });
    assert.equal(other.status, 303);
    docs = documents(req.reference).filter((x) => x.kind === 'upload');
    assert.deepEqual(docs.map((x) => [x.title, x.version]), [['Plan de situation', 1], ['Plan de situation', 2], ['Arrêté de voirie', 1]]);
});

test('each refusal is a 400 with its message beside its field, what was typed kept', async () => {
    const dir = srv.dir;
    const plain = path.join(dir, 'plain.pdf');
    fs.writeFileSync(plain, pdf);
    const enc = (user) => {
        const out = path.join(dir, `enc-${user || 'owner'}.pdf`);
        mustRun('qpdf', ['--encrypt', user, 'owner', '256', '--', plain, out]);
        return fs.readFileSync(out);
    };
    const many = path.join(dir, 'many.pdf');
    mustRun('qpdf', ['--empty', '--pages', plain, Array(501).fill('1').join(','), '--', many]);
    const cases = [
        ['document_titre', { title: '   ', data: pdf }, 'Saisissez le titre du document.'],
        ['document_titre', { title: 'x'.repeat(121), data: pdf }, 'Le titre ne doit pas dépasser 120 caractères.'],
        ['document_fichier', { title: 'Sans fichier', data: null }, 'Choisissez le fichier PDF à déposer.'],
        ['document_fichier', { title: 'Pas un PDF', data: Buffer.from('Bonjour, ceci est un texte.\n') }, 'Ce fichier n&#39;est pas un PDF'],
        ['document_fichier', { title: 'Endommagé', data: Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages') }, 'Ce PDF est endommagé'],
        ['document_fichier', { title: 'Chiffré', data: enc('secret') }, 'Ce PDF est protégé'],
        ['document_fichier', { title: 'Chiffré sans mot de passe', data: enc('') }, 'Ce PDF est protégé'],
        ['document_fichier', { title: 'Script', data: handmade('/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>') }, 'Ce PDF contient du JavaScript'],
        ['document_fichier', { title: 'Joint', data: handmade('/Names << /EmbeddedFiles << /Names [(a.txt) << /Type /Filespec /F (a.txt) /EF << /F 3 0 R >> >>] >> >>') }, 'Ce PDF contient des fichiers joints'],
        ['document_fichier', { title: 'Trop long', data: fs.readFileSync(many) }, 'Ce PDF a trop de pages'],
    ];
    const before = documents(req.reference).length;
    for (const [field, form, message] of cases) {
        const r = await upload(clients.agenta, req.reference, Object.assign({ visible: true }, form));
        assert.equal(r.status, 400, `${form.title}: ${r.status}`);
        assert.ok(r.text.includes(`id="${field}-error"`), `${form.title}: no error beside ${field}`);
        assert.ok(r.text.includes(message), `${form.title}: «${message}» missing`);
        assert.match(r.text, new RegExp(`aria-describedby="${field}-hint ${field}-error" aria-invalid="true"`));
        assert.ok(r.text.includes(`href="#${field}"`), 'the error summary links to the field');
        if (form.title.trim() && form.title.length <= 120)
            assert.ok(r.text.includes(`value="${form.title}"`), `${form.title}: the title is kept`);
        assert.match(r.text, /id="document_visible" name="document_visible" value="1" checked/);
    }
    assert.equal(documents(req.reference).length, before, 'nothing was stored');
});

test('visibility: the citizen sees only the visible ones; an agent reads the others, audited', async () => {
    const { setToken } = require('./portal_client');
    const token = 'jeton-de-test-' + 'u'.repeat(30);
    setToken(srv, req.reference, token);
    const docs = documents(req.reference).filter((d) => d.kind === 'upload');
    const hidden = docs.find((d) => !d.citizen_visible);
    const shown = docs.find((d) => d.citizen_visible);
    const page = await H.request(srv, 'GET', `/suivi/${req.reference}?jeton=${encodeURIComponent(token)}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('Arrêté de voirie'));
    assert.ok(!page.text.includes('Plan de situation'));
    const q = `?jeton=${encodeURIComponent(token)}`;
    const no = await H.request(srv, 'GET', `/documents/${req.reference}/${hidden.id}${q}`);
    assert.equal(no.status, 404);
    assert.ok(!no.text.startsWith('%PDF'));
    const yes = await fetch(`${srv.url}/documents/${req.reference}/${shown.id}${q}`);
    assert.equal(yes.status, 200);
    assert.equal(yes.headers.get('content-type'), 'application/pdf');
    await yes.arrayBuffer();

    const audited = () => Number(srv.sql(`SELECT count(*) FROM audit_log WHERE action = 'view_document' AND object_ids = '${req.id}'`).trim());
    const n = audited();
    const agent = await clients.agenta.get(`/documents/${req.reference}/${hidden.id}`);
    assert.equal(agent.status, 200);
    assert.equal(agent.headers.get('content-type'), 'application/pdf');
    assert.equal(await H.until(audited, (k) => k > n), n + 1, 'the agent reading the document is audited');
});

test('access: an élu may not upload (403), another department 404, anonymous to the login', async () => {
    const count = documents(req.reference).length;
    const elu = await upload(clients.elu, req.reference, { title: 'Par un élu', data: pdf });
    assert.equal(elu.status, 403);
    const b = await upload(clients.agentb, req.reference, { title: 'Autre service', data: pdf });
    assert.equal(b.status, 404);
    const [receipt] = documents(req.reference);
    const bGet = await clients.agentb.get(`/documents/${req.reference}/${receipt.id}`);
    assert.equal(bGet.status, 404);
    /* Without a session the login redirect answers on the headers, the body unread: only
     * they are sent. */
    const head = await headersOnly(`/agent/demandes/${req.reference}/documents`);
    assert.match(head, /^HTTP\/1\.1 303 /);
    assert.match(head, /\r\nLocation: \/agent\/connexion/i);
    assert.equal(documents(req.reference).length, count, 'nothing was stored');
});
