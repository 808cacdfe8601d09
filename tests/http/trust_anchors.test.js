'use strict';
/*
 * trust_anchors — the collectivité's trust anchors for signed PDF files
 * (/agent/admin/certificats) and `guichet pdf verify --db`: an admin adds a CA certificate by
 * upload (multipart) or pasted, sees its subject, validity and SHA-256 fingerprint, removes
 * it; a signer's certificate (not a CA's), bytes that are no certificate, nothing, and a
 * certificate already there are refused beside the field with what was pasted kept; every
 * change audited; an agent gets 403. The command checks a signed file against the anchors of
 * the database's collectivité: exit 0 once the CA is there, 1 for a signer of another CA, 2
 * when the collectivité has no anchor or --ca and --db are both given.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const H = require('./harness');
const F = require('../browser/bo_flows');

let srv, admin, agent, dir;
const f = (name) => path.join(dir, name);

function mustRun(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
}

/* A CA (name.pem, name.key) and a signer it issued, with its PKCS#12 (password "pw"). */
function caAndSigner(name, cn) {
    mustRun('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`),
                        '-days', '30', '-subj', `/CN=${cn}/O=Ville de Démo`, '-utf8',
                        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    mustRun('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}-elu.key`), '-out', f(`${name}-elu.csr`),
                        '-subj', '/CN=Camille Maire']);
    mustRun('openssl', ['x509', '-req', '-in', f(`${name}-elu.csr`), '-CA', f(`${name}.pem`), '-CAkey', f(`${name}.key`),
                        '-CAcreateserial', '-out', f(`${name}-elu.pem`), '-days', '30', '-extfile', f('ext.cnf'), '-extensions', 'elu']);
    mustRun('openssl', ['pkcs12', '-export', '-inkey', f(`${name}-elu.key`), '-in', f(`${name}-elu.pem`), '-certfile', f(`${name}.pem`),
                        '-out', f(`${name}.p12`), '-passout', 'pass:pw']);
}

function signWith(name, out) {
    const r = srv.guichet(['pdf', 'sign', '--p12', f(`${name}.p12`), '--password-file', f('pw'), f('in.pdf'), f(out)]);
    assert.equal(r.status, 0, r.stderr);
}

const verifyDb = (file, extra = []) => srv.guichet(['pdf', 'verify', '--db', srv.db, ...extra, f(file)]);

test.before(async () => {
    srv = await H.startServer({ requests: 0 });
    dir = fs.mkdtempSync(path.join(srv.dir, 'trust-'));
    const tag = process.pid;
    admin = await F.login(srv, F.addAgent(srv, { email: `admin.trust.${tag}@ville-demo.test`, name: 'Admin Certificats', role: 'admin' }));
    agent = await F.login(srv, F.addAgent(srv, { email: `agent.trust.${tag}@ville-demo.test`, name: 'Agent Certificats', role: 'agent',
                                                 departments: ['voirie'] }));
    fs.writeFileSync(f('ext.cnf'), '[elu]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, nonRepudiation\n');
    fs.writeFileSync(f('pw'), 'pw\n');
    caAndSigner('mairie', 'Autorité de la mairie');
    caAndSigner('autre', 'Une autre autorité');
    const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
                  '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>'];
    let pdf = '%PDF-1.7\n';
    const offs = objs.map((o, i) => { const at = pdf.length; pdf += `${i + 1} 0 obj\n${o}\nendobj\n`; return at; });
    const x = pdf.length;
    pdf += `xref\n0 4\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
    pdf += `trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`;
    fs.writeFileSync(f('in.pdf'), pdf);
    signWith('mairie', 'mairie.pdf');
    signWith('autre', 'autre.pdf');
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

async function paste(certificate) {
    await admin.get('/agent/admin/certificats');
    return admin.post('/agent/admin/certificats', { certificate });
}

/* The form as a browser sends it: multipart, the file a part of its own. */
async function upload(bytes) {
    await admin.get('/agent/admin/certificats');
    const fd = new FormData();
    fd.append('csrf_token', admin.csrf);
    fd.append('certificate', '');
    fd.append('fichier', new Blob([bytes], { type: 'application/x-pem-file' }), 'ca.pem');
    const res = await fetch(`${srv.url}/agent/admin/certificats`, { method: 'POST', headers: { Cookie: admin.cookieHeader() },
                                                                   body: fd, redirect: 'manual' });
    return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

test('only admins reach the trust anchors; the collectivité has none at first and verify --db says so', async () => {
    assert.equal((await agent.get('/agent/admin/certificats')).status, 403);
    const page = await admin.get('/agent/admin/certificats');
    assert.equal(page.status, 200);
    assert.match(page.text, /<caption>Certificats d’autorité reconnus par la collectivité<\/caption>/);
    assert.ok(F.textOf(page.text).includes('Aucun certificat pour l’instant'));
    const r = verifyDb('mairie.pdf');
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /guichet pdf verify: ville-demo: the collectivité has no trust anchor/);
    /* One source of anchors, not two. */
    const both = srv.guichet(['pdf', 'verify', '--db', srv.db, '--ca', f('mairie.pem'), f('mairie.pdf')]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /give --ca FILE, or --db FILE \[--tenant SLUG\]/);
});

test('refusals beside the field, what was pasted kept: a signer’s certificate, no certificate, nothing', async () => {
    const leaf = fs.readFileSync(f('mairie-elu.pem'), 'utf8');
    const cases = [
        [leaf, 'n’est pas celui d’une autorité de certification'],
        ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'Ce n’est pas un certificat lisible'],
        ['', 'Envoyez un fichier ou collez le certificat.'],
    ];
    for (const [pem, message] of cases) {
        const r = await paste(pem);
        assert.equal(r.status, 400, F.textOf(r.text).slice(0, 300));
        assert.ok(F.textOf(r.text).includes(message), `«${message}» not in ${F.textOf(r.text).slice(0, 1500)}`);
        assert.match(r.text, /<a href="#certificate">/, 'the summary links to the field');
        assert.match(r.text, /id="certificate"[^>]*aria-describedby="certificate-hint certificate-error"[^>]*aria-invalid="true"/);
        if (pem) assert.ok(r.text.includes(pem.split('\n')[1]), 'what was pasted is kept');
    }
    assert.equal(srv.sql('SELECT count(*) FROM trust_anchors;').trim(), '0');
});

test('a CA uploaded is listed with its fingerprint and trusted by verify --db; removed, it is not', async () => {
    let r = await upload(fs.readFileSync(f('mairie.pem')));
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.match(r.location, /\/agent\/admin\/certificats\?fait=trust_anchor_added/);
    const fp = mustRun('openssl', ['x509', '-in', f('mairie.pem'), '-noout', '-fingerprint', '-sha256']).trim().split('=')[1];
    const page = await admin.get('/agent/admin/certificats');
    const text = F.textOf(page.text);
    assert.ok(text.includes('CN=Autorité de la mairie,O=Ville de Démo'), text.slice(0, 2000));
    assert.ok(text.includes(fp), `${fp} in the list`);
    const id = srv.sql('SELECT id FROM trust_anchors;').trim();
    assert.equal(srv.sql(`SELECT count(*) FROM audit_log WHERE action = 'admin' AND object_kind = 'trust_anchor' AND object_ids = '${id}';`).trim(), '1');

    /* The same certificate again, pasted this time. */
    r = await paste(fs.readFileSync(f('mairie.pem'), 'utf8'));
    assert.equal(r.status, 400);
    assert.ok(F.textOf(r.text).includes('La collectivité a déjà ce certificat.'));

    r = verifyDb('mairie.pdf');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^signature 1: signer «Camille Maire», .*, B-B, covers the whole file: valid$/m);
    assert.equal(verifyDb('mairie.pdf', ['--tenant', 'ville-demo']).status, 0);
    r = verifyDb('mairie.pdf', ['--tenant', 'nulle-part']);
    assert.equal(r.status, 2);
    r = verifyDb('autre.pdf');
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /INVALID: the signer does not chain to the trusted CA/);

    await admin.get('/agent/admin/certificats');
    r = await admin.post(`/agent/admin/certificats/${id}/supprimer`, {});
    assert.equal(r.status, 303);
    assert.match(r.location, /fait=trust_anchor_removed/);
    assert.equal(srv.sql('SELECT count(*) FROM trust_anchors;').trim(), '0');
    assert.equal(srv.sql(`SELECT count(*) FROM audit_log WHERE object_kind = 'trust_anchor' AND object_ids = '${id}';`).trim(), '2');
    assert.equal(verifyDb('mairie.pdf').status, 2);
    /* Another's id, or one gone: not found. */
    await admin.get('/agent/admin/certificats');
    assert.equal((await admin.post(`/agent/admin/certificats/${id}/supprimer`, {})).status, 404);
});
