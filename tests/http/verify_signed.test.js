'use strict';
/*
 * verify_signed — the public /verifier page checking an uploaded signed PDF: for each
 * signature who signed, when, in which capacity (/Reason, /Name), the level, whether it chains
 * to the collectivité's trust anchors (added here on the admin page) and whether the file
 * changed since; whether the file is one the mairie issued (its SHA-256 a stored document's:
 * then the link to /verifier/{code}). A document timestamp (`guichet pdf timestamp`, by a TSA
 * on loopback whose certificate the collectivité trusts) shows as its own row. Refusals beside
 * the field (no file, not a PDF, no signature), the CSRF token required, and the form without
 * JavaScript is plain HTML.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const H = require('./harness');
const F = require('../browser/bo_flows');
const { signers } = require('./signers');

let srv, admin, dir;
const f = (name) => path.join(dir, name);

function mustRun(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
}

/* A CA and a signer it issued (PKCS#12 with password "pw"). */
function caAndSigner(name, cn, signer) {
    mustRun('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`),
                        '-days', '30', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE',
                        '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    mustRun('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}-elu.key`), '-out', f(`${name}-elu.csr`),
                        '-subj', `/CN=${signer}`, '-utf8']);
    mustRun('openssl', ['x509', '-req', '-in', f(`${name}-elu.csr`), '-CA', f(`${name}.pem`), '-CAkey', f(`${name}.key`),
                        '-CAcreateserial', '-out', f(`${name}-elu.pem`), '-days', '30', '-extfile', f('ext.cnf'), '-extensions', 'elu']);
    mustRun('openssl', ['pkcs12', '-export', '-inkey', f(`${name}-elu.key`), '-in', f(`${name}-elu.pem`), '-certfile', f(`${name}.pem`),
                        '-out', f(`${name}.p12`), '-passout', 'pass:pw']);
}

function sign(input, name, out, extra = []) {
    const r = srv.guichet(['pdf', 'sign', '--p12', f(`${name}.p12`), '--password-file', f('pw'), ...extra, f(input), f(out)]);
    assert.equal(r.status, 0, r.stderr);
}

test.before(async () => {
    srv = await H.startServer({ requests: 1 });
    dir = fs.mkdtempSync(path.join(srv.dir, 'verify-'));
    admin = await F.login(srv, F.addAgent(srv, { email: `admin.verify.${process.pid}@ville-demo.test`, name: 'Admin Vérif', role: 'admin' }));
    fs.writeFileSync(f('ext.cnf'), '[elu]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, nonRepudiation\n');
    fs.writeFileSync(f('pw'), 'pw\n');
    caAndSigner('mairie', 'Autorité de la mairie', 'Camille Maire');
    caAndSigner('autre', 'Une autre autorité', 'Dominique Inconnu');
    const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
                  '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>'];
    let pdf = '%PDF-1.7\n';
    const offs = objs.map((o, i) => { const at = pdf.length; pdf += `${i + 1} 0 obj\n${o}\nendobj\n`; return at; });
    const x = pdf.length;
    pdf += `xref\n0 4\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
    pdf += `trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`;
    fs.writeFileSync(f('in.pdf'), pdf);
    sign('in.pdf', 'mairie', 'one.pdf', ['--reason', 'Le maire', '--name', 'Camille Maire, maire']);
    sign('one.pdf', 'autre', 'two.pdf', ['--reason', 'Adjoint, par délégation']);
    fs.writeFileSync(f('changed.pdf'), Buffer.concat([fs.readFileSync(f('one.pdf')), Buffer.from('% later\n')]));
    await admin.get('/agent/admin/certificats');
    const r = await admin.post('/agent/admin/certificats', { certificate: fs.readFileSync(f('mairie.pem'), 'utf8') });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 300));
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

/* A visitor's browser: the page fetched for its CSRF cookie and token, then the file sent. */
async function check(bytes, { csrf = true, name = 'document.pdf' } = {}) {
    const page = await fetch(`${srv.url}/verifier`);
    const cookie = (page.headers.get('set-cookie') || '').split(';')[0];
    const token = /name="csrf_token" value="([^"]+)"/.exec(await page.text())[1];
    const fd = new FormData();
    fd.append('csrf_token', csrf ? token : 'faux');
    if (bytes) fd.append('fichier', new Blob([bytes], { type: 'application/pdf' }), name);
    const res = await fetch(`${srv.url}/verifier`, { method: 'POST', headers: { Cookie: cookie }, body: fd, redirect: 'manual' });
    return { status: res.status, text: await res.text() };
}

/* The signatures' table rows, as text cells. */
const rows = (html) => [...html.matchAll(/<tr><td>(\d+)<\/td>([\s\S]*?)<\/tr>/g)]
    .map((m) => [m[1], ...[...m[2].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => F.textOf(c[1]).trim())]);

test('the page offers the upload form, without JavaScript, its field labelled', async () => {
    const r = await fetch(`${srv.url}/verifier`);
    const html = await r.text();
    assert.equal(r.status, 200);
    assert.match(html, /<form method="post" action="\/verifier" enctype="multipart\/form-data"/);
    assert.match(html, /<label for="fichier">Fichier PDF signé<\/label>/);
    assert.match(html, /<input type="file" id="fichier" name="fichier" accept=".pdf,application\/pdf" aria-describedby="fichier-hint">/);
    assert.match(html, /<h2 id="pdf-title">Vérifier un document signé électroniquement<\/h2>/);
});

test('two signatures: the maire’s trusted, the other’s intact but not trusted; who, when, capacity, level, changes', async () => {
    const r = await check(fs.readFileSync(f('two.pdf')));
    assert.equal(r.status, 200, F.textOf(r.text).slice(0, 500));
    assert.ok(F.textOf(r.text).includes('Au moins une signature n’est pas valide ou pas reconnue'));
    const [one, two] = rows(r.text);
    assert.equal(one[1], 'Camille Maire');
    assert.match(one[2], /^\d{1,2} \S+ \d{4} à \d{1,2} h \d\d$/);
    assert.equal(one[3], 'Le maire — Camille Maire, maire');
    assert.equal(one[4], 'B-B');
    assert.equal(one[5], 'Oui');
    assert.equal(one[6], 'Complété ensuite (voir les signatures suivantes)');
    assert.equal(two[1], 'Dominique Inconnu');
    assert.equal(two[3], 'Adjoint, par délégation — Dominique Inconnu');
    assert.match(two[5], /^Non : signature intacte mais certificat non reconnu \(the signer does not chain to the trusted CA: /);
    assert.equal(two[6], 'Non');
    assert.ok(F.textOf(r.text).includes('Ce fichier ne correspond à aucun document émis par la mairie.'));
    assert.match(r.text, /<caption>Signatures du fichier, dans l’ordre<\/caption>/);
});

test('one trusted signature over the whole file: all valid; bytes appended: changed since', async () => {
    let r = await check(fs.readFileSync(f('one.pdf')));
    assert.equal(r.status, 200);
    assert.ok(F.textOf(r.text).includes('Toutes les signatures sont valides, reconnues par la collectivité'));
    assert.deepEqual(rows(r.text).map((row) => [row[5], row[6]]), [['Oui', 'Non']]);
    r = await check(fs.readFileSync(f('changed.pdf')));
    assert.equal(r.status, 200);
    assert.deepEqual(rows(r.text).map((row) => row[6]), ['Oui : le fichier a été modifié après cette signature']);
    assert.ok(F.textOf(r.text).includes('Au moins une signature'));
});

test('a file the mairie issued: the link to its verification page', async () => {
    const bytes = fs.readFileSync(f('one.pdf'));
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    const req = srv.sql('SELECT id || \'|\' || tenant_id FROM requests ORDER BY id LIMIT 1;').trim().split('|');
    srv.sql(`INSERT INTO documents (tenant_id, request_id, kind, version, code, sha256, size, content, created_at, title, citizen_visible) VALUES (${req[1]}, ${req[0]}, 'upload', 1, 'K7QM4TXH', '${sha}', ${bytes.length}, x'00', 1796000000, 'Arrêté signé', 1);`);
    const r = await check(bytes);
    assert.equal(r.status, 200);
    assert.match(r.text, /Ce fichier est un document émis par la mairie : <a href="\/verifier\/K7QM4TXH">voir le document K7QM4TXH<\/a>/);
    assert.ok(r.text.includes(sha));
});

test('a document timestamp after the signature: its own row, the TSA named, the file unchanged but for validation data', async () => {
    /* The TSA's certificate is its own anchor here (the trust anchors are CA certificates):
     * CA:TRUE, no keyUsage, EKU timeStamping alone, as RFC 3161 asks of a TSA. */
    mustRun('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('tsa.key'), '-out', f('tsa.pem'),
                        '-days', '30', '-subj', '/CN=Horodatage de la mairie', '-utf8',
                        '-addext', 'basicConstraints=critical,CA:TRUE',
                        '-addext', 'extendedKeyUsage=critical,timeStamping']);
    fs.writeFileSync(f('tsaserial'), '01\n');
    fs.writeFileSync(f('tsa.cnf'), `[tsa]\ndefault_tsa = tsa1\n[tsa1]\nserial = ${f('tsaserial')}\n` +
        `crypto_device = builtin\nsigner_cert = ${f('tsa.pem')}\nsigner_key = ${f('tsa.key')}\n` +
        'signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\naccuracy = secs:1\n' +
        'ess_cert_id_alg = sha256\n');
    const r0 = await admin.post('/agent/admin/certificats', { certificate: fs.readFileSync(f('tsa.pem'), 'utf8') });
    assert.equal(r0.status, 303, F.textOf(r0.text).slice(0, 300));
    const tsa = await signers(dir, 'pw').startTsa('tsa.cnf');
    let out;
    try {
        /* Spawned, not spawnSync: the TSA answers from this process. */
        out = await new Promise((resolve, reject) => {
            const child = spawn(H.BIN, ['pdf', 'timestamp', '--tsa', tsa.url, f('one.pdf'), f('one-ts.pdf')]);
            let err = '';
            child.stderr.on('data', (d) => { err += d; });
            child.on('error', reject);
            child.on('close', (status) => resolve({ status, err }));
        });
    } finally {
        await tsa.close();
    }
    assert.equal(out.status, 0, out.err);
    const r = await check(fs.readFileSync(f('one-ts.pdf')));
    assert.equal(r.status, 200, F.textOf(r.text).slice(0, 500));
    assert.ok(F.textOf(r.text).includes('Toutes les signatures sont valides, reconnues par la collectivité'));
    const [one, two] = rows(r.text);
    assert.equal(one[1], 'Camille Maire');
    assert.equal(one[4], 'B-B');
    assert.equal(one[6], 'Non (seules des données de validation ont été ajoutées)');
    assert.equal(two[1], 'Horodatage du document — Horodatage de la mairie');
    assert.match(two[2], /^\d{1,2} \S+ \d{4} à \d{1,2} h \d\d$/, 'the TSA\'s time, the row being the timestamp');
    assert.equal(two[4], 'DocTS');
    assert.equal(two[5], 'Oui');
    assert.equal(two[6], 'Non (seules des données de validation ont été ajoutées)');
});

test('refusals beside the field; the CSRF token is required', async () => {
    const cases = [
        [null, 'Choisissez le fichier PDF à vérifier.'],
        [Buffer.from('pas un PDF'), 'Ce fichier n’est pas un PDF lisible.'],
        [fs.readFileSync(f('in.pdf')), 'Ce fichier PDF ne porte aucune signature électronique.'],
    ];
    for (const [bytes, message] of cases) {
        const r = await check(bytes);
        assert.equal(r.status, 400, message);
        assert.ok(F.textOf(r.text).includes(message), `«${message}» in ${F.textOf(r.text).slice(0, 800)}`);
        assert.match(r.text, /id="fichier" name="fichier" accept="[^"]*" aria-describedby="fichier-hint fichier-error" aria-invalid="true"/);
    }
    const r = await check(fs.readFileSync(f('one.pdf')), { csrf: false });
    assert.equal(r.status, 403);
});
