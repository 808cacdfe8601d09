'use strict';
/*
 * Versioned forms, new field kinds and conditional display (issue 13, «Forms»): a form with
 * sections, a yes/no question and questions shown only for some answers, filed on the portal
 * without JavaScript (the step comes back with the questions an answer shows, a hidden
 * question's value is dropped), shown after the form changed with the labels of the version
 * it was filed under (back office, tracking page), the editor's history, and the Open311
 * service definition derived from it (a POST missing a question whose condition holds is a
 * 400 naming it).
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const { Browser, procedureForm, fill, finishFiling, confirmation, decodeEntities } = require('./portal_client');

let srv, admin;

const CODE = 'salle-fetes';
const VALID_SIRET = '123 456 782 00010';

const FORM_V1 = [
    { code: 'demandeur', datatype: 'section', description: 'Le demandeur', description_en: 'The applicant',
      datatype_description: 'Qui réserve la salle' },
    { code: 'courriel_contact', datatype: 'email', description: 'Courriel de contact' },
    { code: 'asso', datatype: 'yesno', required: true, description: 'Réservez-vous pour une association ?',
      description_en: 'Are you booking for an association?' },
    { code: 'siret', datatype: 'string', format: 'siret', required: true, description: 'SIRET de l’association',
      show_if: { field: 'asso', equals: 'oui' } },
    { code: 'objet', datatype: 'singlevaluelist', required: true, description: 'Objet de la réservation',
      values: [{ key: 'fete', name: 'Fête familiale' }, { key: 'autre', name: 'Autre' }] },
    { code: 'precisions', datatype: 'section', description: 'Précisions', show_if: { field: 'objet', in: ['autre'] } },
    { code: 'detail', datatype: 'text', required: true, description: 'Décrivez l’événement' },
];

const editorFields = (attributes, extra = {}) => Object.assign({
    name: 'Réserver la salle des fêtes', kind: 'demarche', department: 'voirie', delay_days: '10',
    active: '1', open311: '1', open311_detail: 'full', attributes: JSON.stringify(attributes),
    description: 'Réservez la salle des fêtes municipale.',
}, extra);

test.before(async () => {
    srv = await H.startServer({ requests: 0 });
    const row = F.addAgent(srv, { email: `admin.forms.${process.pid}@ville-demo.test`, name: 'Admin Formulaires', role: 'admin' });
    admin = await F.login(srv, row);
    await admin.get('/agent/admin/demarches/nouvelle');
    const saved = await admin.post('/agent/admin/demarches/nouvelle', editorFields(FORM_V1, { code: CODE }));
    assert.equal(saved.status, 303, F.textOf(saved.text).slice(0, 800));
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

/* The element (a field's wrapper or a section) that carries data-code="code", its opening tag. */
function wrapperOf(html, code) {
    const m = new RegExp(`<div [^>]*data-code="${code}"[^>]*>`).exec(html);
    assert.ok(m, `no element for ${code}`);
    return m[0];
}

/* The fields of form with sample answers, the given ones in place of theirs. */
function answers(form, given) {
    const fields = fill(form).filter(([k]) => !(k in given));
    for (const [k, v] of Object.entries(given)) fields.push([k, v]);
    return fields;
}

function stored(reference) {
    return JSON.parse(srv.sql(`SELECT attributes FROM requests WHERE reference = '${reference}'`).trim());
}

let filedV1; /* a request filed under version 1: {reference, token} */

test('the form without JavaScript: a section heading, a yes/no as radio buttons in a fieldset, conditional questions hidden', async () => {
    const b = new Browser(srv);
    const r = await b.get(`/demarches/${CODE}`);
    assert.equal(r.status, 200);
    const html = decodeEntities(r.text);
    assert.match(html, /<div class="form-section" id="attr-demandeur">\s*<h3>Le demandeur<\/h3>\s*<p class="hint">Qui réserve la salle<\/p>/);
    assert.match(html, /<fieldset[^>]*>\s*<legend>Réservez-vous pour une association \? \(obligatoire\)<\/legend>/);
    assert.match(html, /<input type="radio" id="attr-asso-0" name="attribute\[asso\]" value="oui"[^>]*><label for="attr-asso-0">Oui<\/label>/);
    assert.match(html, /<input type="radio" id="attr-asso-1" name="attribute\[asso\]" value="non"[^>]*><label for="attr-asso-1">Non<\/label>/);
    assert.match(html, /<input type="email" id="attr-courriel_contact"/);
    /* Hidden until «oui»; the script has what it needs to show it at once. */
    const siret = wrapperOf(html, 'siret');
    assert.match(siret, / hidden/);
    assert.match(siret, /data-show-name="attribute\[asso\]" data-show-values="\[&quot;oui&quot;\]"|data-show-values="\["oui"\]"/);
    assert.match(wrapperOf(html, 'precisions'), / hidden/);
    assert.match(wrapperOf(html, 'detail'), /data-section="attr-precisions"[^>]* hidden/);
    assert.match(r.text, /<input type="hidden" name="questions_affichees" value="" data-conditions-shown>/);
    assert.match(r.text, /<script src="\/static\/js\/conditions.js"><\/script>/);
});

test('condition false: nothing more is asked, the hidden question’s value is dropped', async () => {
    const b = new Browser(srv);
    const form = procedureForm((await b.get(`/demarches/${CODE}`)).text);
    /* What a browser sends: the hidden SIRET input too, with a value that is no SIRET. */
    const r = await b.submit(form, answers(form, { 'attribute[asso]': 'non', 'attribute[objet]': 'fete',
                                                  'attribute[siret]': 'pas un siret', 'attribute[detail]': 'rien' }));
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.text, /aria-invalid="true"/);
    assert.doesNotMatch(r.text, /questions s’affichent|questions s&#39;affichent|D’autres questions/);
    const review = decodeEntities(r.text);
    assert.ok(!review.includes('SIRET de l’association'), 'a hidden question is not on the review');
    const done = await confirmation(b, await finishFiling(b, r));
    const attrs = stored(done.reference);
    assert.equal(attrs.asso, 'non');
    assert.equal(attrs.objet, 'fete');
    assert.ok(!('siret' in attrs), 'the hidden SIRET is not stored');
    assert.ok(!('detail' in attrs), 'the hidden section’s question is not stored');
    assert.equal(srv.sql(`SELECT procedure_version FROM requests WHERE reference = '${done.reference}'`).trim(), '1');
    filedV1 = done;
});

test('condition true: «Continuer» brings the step back with the SIRET, what was typed kept, then it is required and stored', async () => {
    const b = new Browser(srv);
    let form = procedureForm((await b.get(`/demarches/${CODE}`)).text);
    let r = await b.submit(form, answers(form, { 'attribute[asso]': 'oui', 'attribute[objet]': 'autre',
                                                 'attribute[courriel_contact]': 'asso@exemple.fr' }));
    assert.equal(r.status, 200);
    let html = decodeEntities(r.text);
    assert.ok(html.includes('D’autres questions s’affichent selon vos réponses'), html.slice(0, 3000));
    assert.doesNotMatch(r.text, /aria-invalid="true"/, 'asked, not refused');
    assert.doesNotMatch(wrapperOf(html, 'siret'), / hidden/);
    assert.doesNotMatch(wrapperOf(html, 'detail'), / hidden/);
    assert.match(html, /value="asso@exemple.fr"/, 'the answers are kept');
    assert.match(r.text, /name="questions_affichees" value="siret precisions detail"/);

    /* Now required: left empty, refused with a message linked to the field. */
    form = procedureForm(r.text);
    r = await b.submit(form, answers(form, { 'attribute[siret]': '', 'attribute[detail]': 'Une kermesse' }));
    assert.equal(r.status, 400);
    html = decodeEntities(r.text);
    assert.match(html, /<input type="text" id="attr-siret" name="attribute\[siret\]"[^>]*aria-describedby="attr-siret-error"[^>]*aria-invalid="true"/);
    assert.match(html, /<p class="field-error" id="attr-siret-error">/);

    form = procedureForm(r.text);
    r = await b.submit(form, answers(form, { 'attribute[siret]': VALID_SIRET, 'attribute[detail]': 'Une kermesse' }));
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.text, /aria-invalid="true"/, decodeEntities(r.text).slice(0, 2000));
    const done = await confirmation(b, await finishFiling(b, r));
    const attrs = stored(done.reference);
    assert.equal(attrs.siret, '12345678200010');
    assert.equal(attrs.detail, 'Une kermesse');
    assert.equal(attrs.courriel_contact, 'asso@exemple.fr');
});

test('the editor refuses a condition on an unknown or a later question with a precise message', async () => {
    const cases = [
        [[{ code: 'a', datatype: 'string', show_if: { field: 'b', equals: 'x' } }, { code: 'b', datatype: 'yesno' }],
         'Question 1 (« a ») : « show_if » porte sur la question « b », qui vient après elle ; une condition ne porte que sur une question posée avant.'],
        [[{ code: 'a', datatype: 'yesno' }, { code: 'b', datatype: 'string', show_if: { field: 'z', equals: 'oui' } }],
         'Question 2 (« b ») : « show_if » porte sur la question « z », qui n’existe pas.'],
        [[{ code: 'a', datatype: 'yesno' }, { code: 'a', datatype: 'string' }],
         'Question 2 (« a ») : ce code est déjà celui d’une question précédente ; chaque question a le sien.'],
        [[{ code: 'a', datatype: 'signature' }],
         'Question 1 (« a ») : le « datatype » « signature » n’existe pas.'],
    ];
    for (const [attributes, message] of cases) {
        await admin.get('/agent/admin/demarches/nouvelle');
        const r = await admin.post('/agent/admin/demarches/nouvelle', editorFields(attributes, { code: 'refusee-forms' }));
        assert.equal(r.status, 400);
        const html = F.unescapeHtml(r.text);
        assert.ok(html.includes(`Les questions ne sont pas valides : ${message}`), `${message} not in ${F.textOf(r.text).slice(0, 1500)}`);
    }
    assert.equal(srv.sql("SELECT count(*) FROM procedures WHERE code = 'refusee-forms'").trim(), '0');
});

test('Open311: the definition is derived (no section, yes/no as oui/non, conditional not required) and the server checks conditions', async () => {
    const def = (await H.request(srv, 'GET', `/open311/v2/services/${CODE}.json`)).json;
    const codes = def.attributes.map((a) => a.code);
    assert.deepEqual(codes, ['courriel_contact', 'asso', 'siret', 'objet', 'detail']);
    const by = Object.fromEntries(def.attributes.map((a) => [a.code, a]));
    assert.equal(by.asso.datatype, 'singlevaluelist');
    assert.deepEqual(by.asso.values.map((v) => v.key), ['oui', 'non']);
    assert.equal(by.asso.required, true);
    assert.equal(by.siret.required, false);
    assert.equal(by.detail.required, false);
    assert.equal(by.objet.required, true);

    const base = {
        api_key: srv.keys.open311, service_code: CODE, lat: '45.764', long: '4.8357',
        description: 'Réservation par une application', email: 'app@exemple.fr',
        'attribute[asso]': 'oui', 'attribute[objet]': 'fete',
    };
    const body = (o) => new URLSearchParams(o).toString();
    const missing = await H.request(srv, 'POST', '/open311/v2/requests.json', { form: body(base) });
    assert.equal(missing.status, 400, missing.text);
    assert.ok(missing.json[0].description.includes('attribute[siret]'), missing.text);
    const hidden = await H.request(srv, 'POST', '/open311/v2/requests.json',
                                   { form: body(Object.assign({}, base, { 'attribute[asso]': 'non', 'attribute[siret]': 'xyz' })) });
    assert.equal(hidden.status, 200, hidden.text);
    const attrs = stored(hidden.json[0].service_request_id);
    assert.ok(!('siret' in attrs), 'a hidden question sent by a client is dropped');
});

test('after the form changed, the old request shows with its version’s labels; the editor lists the versions', async () => {
    assert.ok(filedV1, 'a request was filed under version 1');
    const v2 = FORM_V1.filter((a) => a.code !== 'detail' && a.code !== 'precisions')
        .map((a) => (a.code === 'asso' ? Object.assign({}, a, { description: 'Êtes-vous une association déclarée ?' }) : a));
    await admin.get(`/agent/admin/demarches/${CODE}`);
    let saved = await admin.post(`/agent/admin/demarches/${CODE}`, editorFields(v2, { version_summary: 'Question association reformulée' }));
    assert.equal(saved.status, 303, F.textOf(saved.text).slice(0, 800));
    /* Saved again unchanged: no new version. */
    await admin.get(`/agent/admin/demarches/${CODE}`);
    saved = await admin.post(`/agent/admin/demarches/${CODE}`, editorFields(v2));
    assert.equal(saved.status, 303);
    assert.equal(srv.sql(`SELECT count(*) FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = '${CODE}'`).trim(), '2');

    const page = F.unescapeHtml((await admin.get(`/agent/demandes/${filedV1.reference}`)).text);
    assert.ok(page.includes('<dt>Réservez-vous pour une association ?</dt><dd>Non</dd>'), F.textOf(page).slice(0, 3000));
    assert.ok(!page.includes('Êtes-vous une association déclarée'));
    assert.match(page, /<h3>Le demandeur<\/h3>/);
    assert.match(page, /Formulaire : version 1/);

    const track = decodeEntities((await new Browser(srv).get(`/suivi/${filedV1.reference}?jeton=${encodeURIComponent(filedV1.token)}`)).text);
    assert.ok(track.includes('Réservez-vous pour une association ?'), 'the tracking page too');

    const editor = F.unescapeHtml((await admin.get(`/agent/admin/demarches/${CODE}`)).text);
    assert.match(editor, /<h2 id="versions-titre">Versions du formulaire<\/h2>/);
    assert.match(editor, /Voir la version 2<\/a> \(en vigueur\)/);
    assert.ok(editor.includes('Admin Formulaires'), 'the agent who saved version 2 is named');
    assert.ok(editor.includes('Question association reformulée'));
    const old = await admin.get(`/agent/admin/demarches/${CODE}/versions/1`);
    assert.equal(old.status, 200);
    const oldHtml = F.unescapeHtml(old.text);
    assert.match(oldHtml, /<h1>Version 1 du formulaire<\/h1>/);
    assert.match(oldHtml, /<textarea id="definition"[^>]* readonly>/);
    assert.ok(oldHtml.includes('Réservez-vous pour une association ?'));
    assert.equal((await admin.get(`/agent/admin/demarches/${CODE}/versions/9`)).status, 404);
});

const PDF = Buffer.from(
    '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n' +
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n' +
    'xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n' +
    '0000000115 00000 n \ntrailer << /Size 4 /Root 1 0 R >>\nstartxref\n190\n%%EOF\n');

test('a file question: asked with its own input, required, its document attached and named on the review, a hidden one’s left out; not on Open311', async () => {
    const code = 'piece-demandee';
    const form = [
        { code: 'piece', datatype: 'file', required: true, description: 'Justificatif de domicile' },
        { code: 'autre', datatype: 'yesno', description: 'Un second document ?' },
        { code: 'piece2', datatype: 'file', required: true, description: 'Second document',
          show_if: { field: 'autre', equals: 'oui' } },
    ];
    await admin.get('/agent/admin/demarches/nouvelle');
    const saved = await admin.post('/agent/admin/demarches/nouvelle', editorFields(form, { code, name: 'Attestation' }));
    assert.equal(saved.status, 303, F.textOf(saved.text).slice(0, 800));

    const b = new Browser(srv);
    const page = await b.get(`/demarches/${code}`);
    assert.match(page.text, /enctype="multipart\/form-data"/);
    assert.match(page.text, /<input type="file" id="attr-piece" name="attribute\[piece\]" accept="image\/\*,application\/pdf">/);
    let f = procedureForm(page.text);
    /* Without the document: refused, the message linked to its input. */
    let r = await b.submit(f, answers(f, { 'attribute[autre]': 'non' }));
    assert.equal(r.status, 400);
    let html = decodeEntities(r.text);
    assert.ok(html.includes('Joignez le document « Justificatif de domicile ».'), html.slice(0, 2000));
    assert.match(html, /<input type="file" id="attr-piece" name="attribute\[piece\]"[^>]*aria-describedby="attr-piece-error" aria-invalid="true">/);
    /* A first document, and «oui»: the step comes back with the second question, the
     * document kept and named. */
    f = procedureForm(r.text);
    r = await b.submit(f, answers(f, { 'attribute[autre]': 'oui',
                                       'attribute[piece]': { name: 'ancienne.pdf', type: 'application/pdf', data: PDF } }));
    assert.equal(r.status, 200);
    html = decodeEntities(r.text);
    assert.ok(html.includes('D’autres questions s’affichent'), html.slice(0, 2000));
    assert.match(html, /<p class="hint" id="attr-piece-kept">Document joint : ancienne.pdf<\/p>/);
    assert.match(html, /<input type="file" id="attr-piece" name="attribute\[piece\]" accept="image\/\*,application\/pdf" aria-describedby="attr-piece-kept">/);
    /* Another document replaces it; «non» hides the second question, whose document goes. */
    f = procedureForm(r.text);
    r = await b.submit(f, answers(f, { 'attribute[autre]': 'non',
                                       'attribute[piece]': { name: 'facture.pdf', type: 'application/pdf', data: PDF },
                                       'attribute[piece2]': { name: 'cache.pdf', type: 'application/pdf', data: PDF } }));
    assert.equal(r.status, 200, decodeEntities(r.text).slice(0, 2000));
    html = decodeEntities(r.text);
    assert.match(html, /<dt>Justificatif de domicile<\/dt><dd>facture.pdf<\/dd>/);
    assert.ok(!html.includes('Second document'), 'the hidden file question is not on the review');
    const done = await confirmation(b, await finishFiling(b, r));
    assert.deepEqual(stored(done.reference), { piece: 'facture.pdf', autre: 'non' });
    const files = srv.sql(`SELECT a.filename FROM attachments a JOIN requests q ON q.id = a.request_id WHERE q.reference = '${done.reference}' ORDER BY a.filename`).trim().split('\n');
    assert.deepEqual(files, ['facture.pdf'], 'the hidden question’s document is not attached');

    const def = (await H.request(srv, 'GET', `/open311/v2/services/${code}.json`)).json;
    assert.deepEqual(def.attributes.map((a) => a.code), ['autre']);
    const post = await H.request(srv, 'POST', '/open311/v2/requests.json', { form: new URLSearchParams({
        api_key: srv.keys.open311, service_code: code, lat: '45.764', long: '4.8357', email: 'app@exemple.fr',
        description: 'Depuis une application', 'attribute[piece]': 'faux.pdf' }).toString() });
    assert.equal(post.status, 200, post.text);
    assert.deepEqual(stored(post.json[0].service_request_id), {}, 'a file question’s value without its file is dropped');
});
