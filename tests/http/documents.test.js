'use strict';
/*
 * documents — issue 15's PDF documents. `guichet document receipt` on the demo commune's
 * database: the accusé de réception of a request filed over Open311 is a valid PDF
 * (`qpdf --check`), tagged with its title (`pdfinfo`), whose text (`pdftotext`) holds the
 * reference and the CRPA's mentions (receipt date, department and its contact, delay, appeal);
 * a procedure on the silence-vaut-accord workflow adds what silence means; a request filed in
 * English gets its receipt in English; an unknown reference writes nothing.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
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

async function file(code, lang) {
    const r = await H.request(srv, 'POST', '/open311/v2/requests.json',
                              { form: await H.validPostBody(srv, code, lang ? { lang } : {}) });
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
