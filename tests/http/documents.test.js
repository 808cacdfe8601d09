'use strict';
/*
 * documents — issue 15's PDF documents. `guichet document receipt` on the demo commune's
 * database: the accusé de réception of a request filed over Open311 is a valid PDF
 * (`qpdf --check`), tagged with its title (`pdfinfo`), whose text (`pdftotext`) holds the
 * reference and the CRPA's mentions (receipt date, department and its contact, delay, appeal);
 * a procedure on the silence-vaut-accord workflow adds what silence means; a request filed in
 * English gets its receipt in English; an unknown reference writes nothing. The server's job
 * issues each request's receipt right after its creation, stored with its SHA-256 and a
 * verification code the PDF prints beside its QR code (read back with zbarimg);
 * /verifier/{code} confirms the reference, the date and the
 * hash without personal data, in French and English, and says so when a code is unknown.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const H = require('./harness');

let srv;
const refs = {};

function run(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.error) throw r.error;
    return r;
}

function mustRun(cmd, args) {
    const r = run(cmd, args);
    assert.strictEqual(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
}

const CITIZEN = { first_name: 'Camille', last_name: 'Martin', email: 'camille.martin@example.org' };

async function file(code, lang) {
    const extra = Object.assign({}, CITIZEN, lang ? { lang } : {});
    const r = await H.request(srv, 'POST', '/open311/v2/requests.json',
                              { form: await H.validPostBody(srv, code, extra) });
    assert.strictEqual(r.status, 200, `${code}: ${r.text}`);
    return r.json[0].service_request_id;
}

function receipt(ref, name) {
    const out = path.join(srv.dir, name);
    const r = srv.guichet(['document', 'receipt', '--db', srv.db, '--request', ref, '--out', out]);
    return { r, out };
}

/* The text of a PDF with its lines joined: a sentence may be broken anywhere. */
function text(pdf) {
    return mustRun('pdftotext', ['-enc', 'UTF-8', pdf, '-']).replace(/\s+/g, ' ');
}

test.before(async () => {
    srv = await H.startServer({ requests: 0 });
    /* «Graffiti» moves to the shipped silence-vaut-accord workflow (no request is in it yet). */
    const doc = JSON.parse(srv.guichet(['procedure', 'export', '--db', srv.db]).stdout);
    doc.procedures.find((p) => p.code === 'graffiti').workflow = 'demarche_sva';
    const f = path.join(srv.dir, 'procedures.json');
    fs.writeFileSync(f, JSON.stringify(doc));
    const imp = srv.guichet(['procedure', 'import', '--db', srv.db, f]);
    assert.strictEqual(imp.status, 0, imp.stderr);
    await H.sleep(1200); /* the server notices the change */
    refs.fr = await file('eclairage-panne');
    refs.sva = await file('graffiti');
    refs.en = await file('graffiti', 'en');
});

test.after(() => srv && srv.stop());

test('the receipt: a valid, tagged PDF with its title, the reference and the CRPA mentions', () => {
    const { r, out } = receipt(refs.fr, 'fr.pdf');
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(mustRun('qpdf', ['--check', out]), /No syntax or stream encoding errors/);
    const info = mustRun('pdfinfo', [out]);
    assert.match(info, /^Tagged:\s+yes$/m);
    assert.match(info, new RegExp(`^Title:\\s+Accusé de réception de la demande ${refs.fr}$`, 'm'));
    assert.match(info, /^Pages:\s+1$/m);
    const t = text(out);
    assert.ok(t.includes('Ville de Démo'), t);
    assert.ok(t.includes(`votre demande n° ${refs.fr}`), t);
    assert.match(t, /Nous avons bien reçu votre demande « Éclairage public en panne », enregistrée le \d{1,2}(er)? [a-zéû]+ \d{4} à \d{1,2} h \d\d sous la référence/);
    assert.ok(t.includes('Service chargé de votre demande'), t);
    assert.ok(t.includes('par courriel : '), t);
    assert.match(t, /Le délai prévu pour traiter votre demande est de 7 jours ; une réponse vous sera apportée au plus tard le/);
    assert.ok(t.includes('Voies et délais de recours'), t);
    assert.ok(t.includes('tribunal administratif'), t);
    assert.ok(t.includes('page 1 / 1'), t);
    /* An incident's workflow gives silence no meaning: nothing is said of it. */
    assert.ok(!t.includes('réputée'), t);
    /* /Lang, which cairo cannot write, is there. */
    assert.ok(fs.readFileSync(out).includes('/Lang (fr-FR)'));
    assert.ok(!fs.existsSync(out + '.tmp'));
});

test('silence vaut accord: the date the request is deemed accepted', () => {
    const { r, out } = receipt(refs.sva, 'sva.pdf');
    assert.strictEqual(r.status, 0, r.stderr);
    const t = text(out);
    assert.match(t, /En l’absence de réponse au \d{1,2}(er)? [a-zéû]+ \d{4}, votre demande sera réputée acceptée/);
    assert.ok(t.includes('attestation d’acceptation'), t);
});

test('a request filed in English gets its receipt in English', () => {
    const { r, out } = receipt(refs.en, 'en.pdf');
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(mustRun('pdfinfo', [out]), /^Title:\s+Acknowledgement of receipt of request /m);
    const t = text(out);
    assert.ok(t.includes(`Acknowledgement of receipt of your request no. ${refs.en}`), t);
    assert.match(t, /your request will be deemed accepted/);
    assert.ok(t.includes('How to appeal'), t);
    assert.ok(fs.readFileSync(out).includes('/Lang (en-GB)'));
});

test('an unknown reference: exit 1, nothing written; a malformed one: exit 2', () => {
    let { r, out } = receipt('1999-999999', 'none.pdf');
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /no request 1999-999999/);
    assert.ok(!fs.existsSync(out));
    ({ r, out } = receipt('../etc', 'bad.pdf'));
    assert.strictEqual(r.status, 2);
    assert.ok(!fs.existsSync(out));
});

function sql(query) {
    return JSON.parse(execFileSync('sqlite3', ['-batch', '-json', srv.db, query], { encoding: 'utf8' }) || '[]');
}

/* The stored receipt of reference ref, once the server's job has issued it. */
async function storedReceipt(ref) {
    for (let i = 0; i < 100; i++) {
        const rows = sql(`SELECT d.id, d.code, d.sha256, d.size, d.version, hex(d.content) AS hex FROM documents d JOIN requests r ON r.id = d.request_id WHERE r.reference = '${ref}' AND d.kind = 'receipt'`);
        if (rows.length) return rows;
        await H.sleep(100);
    }
    throw new Error(`no receipt issued for ${ref}`);
}

test('the job issues the receipt, stored with its hash; /verifier/{code} confirms it without personal data', async () => {
    const rows = await storedReceipt(refs.fr);
    assert.strictEqual(rows.length, 1);
    const d = rows[0];
    assert.strictEqual(d.version, 1);
    const bytes = Buffer.from(d.hex, 'hex');
    assert.strictEqual(bytes.length, d.size);
    assert.strictEqual(crypto.createHash('sha256').update(bytes).digest('hex'), d.sha256);
    assert.match(d.code, /^[23456789ACDEFHJKMNPQRTVWXY]{8}$/);
    const shown = `${d.code.slice(0, 4)}-${d.code.slice(4)}`;
    const pdf = path.join(srv.dir, 'stored.pdf');
    fs.writeFileSync(pdf, bytes);
    assert.match(mustRun('qpdf', ['--check', pdf]), /No syntax or stream encoding errors/);
    const t = text(pdf);
    assert.ok(t.includes(`/verifier/${shown} avec le code ${shown}`), t);
    assert.ok(t.includes('Destinataire : Camille Martin'), t);
    /* One QR code in the document, beside that line, leads to the same page. */
    const pages = Number(mustRun('pdfinfo', [pdf]).match(/^Pages:\s+(\d+)$/m)[1]);
    mustRun('pdftoppm', ['-gray', '-r', '150', pdf, path.join(srv.dir, 'stored')]);
    const images = Array.from({ length: pages }, (_, i) => path.join(srv.dir, `stored-${i + 1}.pgm`));
    const qr = run('zbarimg', ['-q', '--raw', ...images]).stdout.trim();
    assert.match(qr, new RegExp(`^https://[^/]+/verifier/${shown}$`));
    assert.ok(bytes.includes('/Alt'), 'the QR code has its alternative text');

    /* Immutable: the store refuses to change it. */
    const upd = spawnSync('sqlite3', [srv.db, `UPDATE documents SET sha256 = sha256 WHERE id = ${d.id}`], { encoding: 'utf8' });
    assert.notStrictEqual(upd.status, 0);
    assert.match(upd.stderr, /documents are immutable/);

    const page = await H.request(srv, 'GET', `/verifier/${shown}`);
    assert.strictEqual(page.status, 200);
    assert.ok(page.text.includes('Ce document a bien été émis par'), page.text);
    assert.ok(page.text.includes(refs.fr));
    assert.ok(page.text.includes(d.sha256));
    assert.ok(page.text.includes('Accusé de réception'));
    assert.match(page.text, /<caption>/);
    for (const secret of ['Camille', 'Martin', 'camille.martin', 'chaussée abîmée'])
        assert.ok(!page.text.includes(secret), `the page shows ${secret}`);

    /* Typed as people type it: lower case, blanks, no dash; and in English. */
    const typed = await H.request(srv, 'GET', `/verifier?code=${encodeURIComponent(' ' + d.code.toLowerCase() + ' ')}&lang=en`);
    assert.strictEqual(typed.status, 200);
    assert.ok(typed.text.includes('This document was indeed issued by'), typed.text);
    assert.ok(typed.text.includes('Acknowledgement of receipt'));
    assert.ok(typed.text.includes(d.sha256));
});

test('/verifier: the form alone, and an unknown code refused on its field', async () => {
    const form = await H.request(srv, 'GET', '/verifier');
    assert.strictEqual(form.status, 200);
    assert.match(form.text, /<label for="code">Code de vérification<\/label>/);
    assert.ok(!form.text.includes('aria-invalid'));
    const none = await H.request(srv, 'GET', '/verifier/2345-6789');
    assert.strictEqual(none.status, 404);
    assert.match(none.text, /id="code-error"/);
    assert.match(none.text, /aria-describedby="code-hint code-error" aria-invalid="true"/);
    assert.ok(none.text.includes('Aucun document ne porte ce code.'));
    const junk = await H.request(srv, 'GET', '/verifier/%3Cscript%3E');
    assert.strictEqual(junk.status, 404);
    assert.ok(!junk.text.includes('<script>'));
});

test('each request gets one receipt, in its language', async () => {
    const en = await storedReceipt(refs.en);
    assert.strictEqual(en.length, 1);
    const pdf = path.join(srv.dir, 'stored-en.pdf');
    fs.writeFileSync(pdf, Buffer.from(en[0].hex, 'hex'));
    assert.ok(text(pdf).includes('This document can be verified at'));
    const jobs = sql("SELECT state, count(*) AS n FROM jobs WHERE kind = 'document_receipt' GROUP BY state");
    assert.deepStrictEqual(jobs, [{ state: 'done', n: 3 }]);
});

test('the tracking page lists the receipt; its citizen downloads it, nobody else', async () => {
    const { setToken } = require('./portal_client');
    const [d] = await storedReceipt(refs.fr);
    const token = 'jeton-de-test-' + 'd'.repeat(30);
    setToken(srv, refs.fr, token);
    const page = await H.request(srv, 'GET', `/suivi/${refs.fr}?jeton=${encodeURIComponent(token)}`);
    assert.strictEqual(page.status, 200);
    assert.ok(page.text.includes('Documents de la mairie'), page.text);
    const link = `/documents/${refs.fr}/${d.id}?jeton=${encodeURIComponent(token)}`;
    assert.ok(page.text.includes(link.replace(/&/g, '&amp;')), page.text);
    const r = await fetch(srv.url + link);
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.headers.get('content-type'), 'application/pdf');
    assert.match(r.headers.get('content-disposition'), new RegExp(`^attachment; filename="receipt-${refs.fr}-v1\\.pdf"$`));
    assert.strictEqual(r.headers.get('cache-control'), 'private, no-store');
    const bytes = Buffer.from(await r.arrayBuffer());
    assert.strictEqual(crypto.createHash('sha256').update(bytes).digest('hex'), d.sha256);
    for (const bad of [`/documents/${refs.fr}/${d.id}`, `/documents/${refs.fr}/${d.id}?jeton=mauvais`,
                       `/documents/${refs.sva}/${d.id}?jeton=${encodeURIComponent(token)}`,
                       `/documents/${refs.fr}/0${d.id}?jeton=${encodeURIComponent(token)}`]) {
        const no = await H.request(srv, 'GET', bad);
        assert.strictEqual(no.status, 404, bad);
        assert.ok(!no.text.startsWith('%PDF'), bad);
    }
});
