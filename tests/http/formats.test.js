'use strict';
/*
 * Question formats (issue 13): a string question may carry "format" (siret, siren, iban,
 * code_postal, telephone, email). The portal gives its input the keyboard and autocomplete
 * the format wants, refuses a wrong value with a precise French message and keeps what was
 * typed; a right one is stored normalised. The editor refuses an unknown format; Open311's
 * service definition says what a format accepts. Valid numbers here are invented, their
 * check digits computed (see tests/unit/test_fr_ids.c).
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const { Browser, procedureForm, fill, finishFiling, confirmation, decodeEntities } = require('./portal_client');

let srv, admin;

test.before(async () => {
    srv = await H.startServer({ requests: 0 });
    const row = F.addAgent(srv, { email: `admin.formats.${process.pid}@ville-demo.test`, name: 'Admin Formats', role: 'admin' });
    admin = await F.login(srv, row);
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

const VALID_SIRET = '123 456 782 00010'; /* SIREN 12345678 + Luhn key 2, NIC 0001 + key 0 */
const VALID_IBAN = 'FR08 1234 5678 9001 2345 6789 A58'; /* RIB key 58, check digits 08 */

/* The <input> of a question, as the page has it. */
function inputOf(html, code) {
    const m = new RegExp(`<input [^>]*name="attribute\\[${code}\\]"[^>]*>`).exec(html);
    assert.ok(m, `no input for ${code}`);
    return m[0];
}

/* The fields of form with sample answers, the given ones in place of theirs. */
function answers(form, given) {
    const fields = fill(form).filter(([k]) => !(k in given));
    for (const [k, v] of Object.entries(given)) if (form.controls.some((c) => c.name === k)) fields.push([k, v]);
    return fields;
}

/* Goes through the procedure's steps with sample answers up to the step that asks for
 * `name`; returns {page, form}. */
async function stepWith(b, code, name, given = {}) {
    let r = await b.get(`/demarches/${code}`);
    assert.equal(r.status, 200);
    for (let i = 0; i < 8; i++) {
        const form = procedureForm(r.text);
        assert.ok(form, 'no procedure form');
        if (form.controls.some((c) => c.name === name)) return { page: r, form };
        r = await b.submit(form, answers(form, given));
        assert.equal(r.status, 200);
    }
    assert.fail(`no step asks for ${name}`);
}

/* The message of the field's error, as the citizen reads it. */
function errorsOf(html) {
    return decodeEntities(html);
}

const subsidy = {
    'attribute[montant_demande]': '1500',
    'attribute[nombre_adherents]': '42',
    'attribute[numero_rna]': 'W691234567',
};

test('the subsidy form asks for a SIRET: a numeric keyboard, precise refusals, the value kept, stored as 14 digits', async () => {
    const b = new Browser(srv);
    const { page, form } = await stepWith(b, 'subvention-association', 'attribute[siret]', subsidy);
    const input = inputOf(page.text, 'siret');
    assert.match(input, /type="text"/);
    assert.match(input, /inputmode="numeric"/);
    assert.match(input, /autocomplete="off"/);
    assert.match(input, / required/);
    assert.match(inputOf(page.text, 'numero_rna'), /type="text"/, 'the RNA number question is still there');

    const refusals = [
        ['123 456 782 0001', 'Le numéro SIRET doit comporter 14 chiffres ; celui-ci en a 13.'],
        ['123 456 782 00011', 'Ce numéro SIRET n’existe pas : sa clé de contrôle ne correspond pas.'],
        ['123456782OOO1O', 'Le numéro SIRET ne comporte que des chiffres (les espaces sont acceptés).'],
    ];
    for (const [typed, message] of refusals) {
        const r = await b.submit(form, answers(form, Object.assign({ 'attribute[siret]': typed }, subsidy)));
        assert.equal(r.status, 400, typed);
        const html = errorsOf(r.text);
        assert.ok(html.includes(message), `${typed}: ${message} not in\n${html.slice(0, 2000)}`);
        const again = inputOf(html, 'siret');
        assert.match(again, /aria-invalid="true"/, typed);
        assert.ok(again.includes(`value="${typed}"`), `${typed} kept: ${again}`);
    }
    const ok = await b.submit(form, answers(form, Object.assign({ 'attribute[siret]': VALID_SIRET }, subsidy)));
    assert.equal(ok.status, 200);
    assert.doesNotMatch(ok.text, /aria-invalid="true"/, errorsOf(ok.text).slice(0, 2000));
    const done = await confirmation(b, await finishFiling(b, ok));
    const stored = JSON.parse(srv.sql(`SELECT attributes FROM requests WHERE reference = '${done.reference}'`).trim());
    assert.equal(stored.siret, '12345678200010', 'stored without blanks');
    assert.equal(stored.numero_rna, 'W691234567');
});

test('the refusal in English for a visitor reading the portal in English', async () => {
    const b = new Browser(srv);
    const { form } = await stepWith(b, 'subvention-association?lang=en', 'attribute[siret]', subsidy);
    const r = await b.submit(form, answers(form, Object.assign({ 'attribute[siret]': '123 456 782 0001' }, subsidy)));
    assert.equal(r.status, 400);
    const html = errorsOf(r.text);
    assert.ok(html.includes('A SIRET number has 14 digits; this one has 13.'), html.slice(0, 2000));
    assert.ok(!html.includes('celui-ci en a'));
});

const fields = (attributes, code) => ({
    code, name: 'Remboursement de caution', kind: 'demarche', department: 'voirie',
    delay_days: '10', active: '1', open311: '1', open311_detail: 'full', attributes,
    description: 'Demandez le remboursement de votre caution.',
});

test('an IBAN question saved from the editor: refusals with the exact French messages, the IBAN stored compact, Open311 says what it accepts', async () => {
    const attributes = JSON.stringify([
        { code: 'iban', datatype: 'string', format: 'iban', required: true, description: 'IBAN du compte', order: 1 },
        { code: 'tel', datatype: 'string', format: 'telephone', required: false, description: 'Téléphone', order: 2 },
        { code: 'cp', datatype: 'string', format: 'code_postal', required: false, description: 'Code postal', order: 3 },
    ]);
    await admin.get('/agent/admin/demarches/nouvelle');
    const saved = await admin.post('/agent/admin/demarches/nouvelle', fields(attributes, 'caution'));
    assert.equal(saved.status, 303, F.textOf(saved.text).slice(0, 500));

    const b = new Browser(srv);
    const { page, form } = await stepWith(b, 'caution', 'attribute[iban]');
    assert.match(inputOf(page.text, 'iban'), /inputmode="text"/);
    assert.match(inputOf(page.text, 'tel'), /type="tel"[^>]* inputmode="tel" autocomplete="tel"/);
    assert.match(inputOf(page.text, 'cp'), /inputmode="numeric" autocomplete="postal-code"/);
    const refusals = [
        [{ 'attribute[iban]': 'FR08 1234 5678 9001 2345 6789 A68' }, 'iban',
         'La clé de contrôle de l’IBAN ne correspond pas : vérifiez-le.'],
        [{ 'attribute[iban]': 'FR08 1234 5678 9001 2345 6789 A5' }, 'iban',
         'Un IBAN commençant par FR doit comporter 27 caractères ; celui-ci en a 26.'],
        [{ 'attribute[iban]': 'US12 3456 7890' }, 'iban',
         'Un IBAN commence par le code d’un pays de la zone SEPA, par exemple FR ; « US » n’en est pas un.'],
        /* Right check digits over a wrong RIB key. */
        [{ 'attribute[iban]': 'FR78 1234 5678 9001 2345 6789 A59' }, 'iban',
         'La clé RIB de cet IBAN (ses deux derniers chiffres) ne correspond pas'],
        [{ 'attribute[iban]': VALID_IBAN, 'attribute[tel]': '06 12 34 56 7' }, 'tel',
         'Le numéro de téléphone doit comporter 10 chiffres ; celui-ci en a 9.'],
        [{ 'attribute[iban]': VALID_IBAN, 'attribute[cp]': '2A004' }, 'cp',
         'Les codes postaux de Corse commencent par 20 : 2A et 2B sont des numéros de département'],
    ];
    for (const [given, code, message] of refusals) {
        const r = await b.submit(form, answers(form, given));
        assert.equal(r.status, 400);
        const html = errorsOf(r.text);
        assert.ok(html.includes(message), `${JSON.stringify(given)}: ${message} not in\n${html.slice(0, 2000)}`);
        const again = inputOf(html, code);
        assert.match(again, /aria-invalid="true"/);
        assert.ok(again.includes(`value="${given[`attribute[${code}]`]}"`), `value kept: ${again}`);
    }
    const ok = await b.submit(form, answers(form, { 'attribute[iban]': VALID_IBAN.toLowerCase(),
                                                     'attribute[tel]': '+33 (0)6 12 34 56 78',
                                                     'attribute[cp]': '69002' }));
    assert.doesNotMatch(ok.text, /aria-invalid="true"/, errorsOf(ok.text).slice(0, 2000));
    const done = await confirmation(b, await finishFiling(b, ok));
    const stored = JSON.parse(srv.sql(`SELECT attributes FROM requests WHERE reference = '${done.reference}'`).trim());
    assert.deepEqual(stored, { iban: 'FR0812345678900123456789A58', tel: '+33612345678', cp: '69002' });

    const def = (await H.request(srv, 'GET', '/open311/v2/services/caution.json')).json;
    assert.equal(def.attributes[0].datatype, 'string');
    assert.match(def.attributes[0].datatype_description, /^IBAN d’un pays de la zone SEPA, clé de contrôle vérifiée/);
    const defEn = (await H.request(srv, 'GET', '/open311/v2/services/caution.json?lang=en')).json;
    assert.match(defEn.attributes[1].datatype_description, /^French telephone number: 10 digits/);
});

test('the editor refuses an unknown format, and a format on another datatype, with a precise message', async () => {
    const cases = [
        ['[{"code": "s", "datatype": "string", "format": "sirette"}]',
         'Question 1 (« s ») : le « format » « sirette » n’existe pas. Valeurs possibles : siret, siren, iban, code_postal, telephone, email.'],
        ['[{"code": "n", "datatype": "number", "format": "siret"}]',
         'Question 1 (« n ») : un « format » ne se donne qu’à une question de datatype string (email et phone ont déjà le leur).'],
    ];
    for (const [attributes, message] of cases) {
        await admin.get('/agent/admin/demarches/nouvelle');
        const r = await admin.post('/agent/admin/demarches/nouvelle', fields(attributes, 'refusee'));
        assert.equal(r.status, 400, attributes);
        const html = F.unescapeHtml(r.text);
        assert.ok(html.includes(`Les questions ne sont pas valides : ${message}`), `${message} not in ${F.textOf(r.text).slice(0, 1500)}`);
    }
    assert.equal(srv.sql("SELECT count(*) FROM procedures WHERE code = 'refusee'").trim(), '0');
    /* The editor's help lists the formats. */
    const editor = F.unescapeHtml((await admin.get('/agent/admin/demarches/nouvelle')).text);
    assert.match(editor, /<li>format \(questions string seulement\) : siret, siren, iban, code_postal, telephone ou email ;/);
});

test('at the counter, an agent typing a wrong SIRET reads the same precise message as a citizen, what was typed kept', async () => {
    const form = await admin.get('/agent/saisie?canal=phone&demarche=subvention-association');
    assert.equal(form.status, 200);
    const given = {
        canal: 'phone', demarche: 'subvention-association', description: 'Demande de subvention reçue par téléphone.',
        attr_nom_association: 'Les Amis du Parc', attr_numero_rna: 'W691234567', attr_siret: '123 456 782 0001',
        attr_montant_demande: '1500', attr_nombre_adherents: '42',
    };
    const type = /name="attr_type_subvention"[^>]*value="([^"]+)"/.exec(form.text) ||
                 /<select[^>]*name="attr_type_subvention"[\s\S]*?<option value="([^"]+)"/.exec(form.text);
    assert.ok(type, 'the intake asks the type of subsidy');
    /* Every question is drawn at the counter; the conditional one says when it applies. */
    assert.ok(F.textOf(form.text).includes('Lieu du projet ou de l\'événement À remplir seulement si la réponse à « Type de subvention » est « Projet ou événement ». Son adresse dans la commune, ou le nom du lieu.'),
              F.textOf(form.text).slice(0, 3000));
    given.attr_type_subvention = type[1];
    const before = srv.sql('SELECT count(*) FROM requests;').trim();
    const r = await admin.post('/agent/saisie', given);
    assert.equal(r.status, 400, F.textOf(r.text).slice(0, 600));
    assert.ok(F.textOf(r.text).includes('Le numéro SIRET doit comporter 14 chiffres ; celui-ci en a 13.'), F.textOf(r.text).slice(0, 1500));
    assert.match(r.text, /id="attr-siret"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="attr-siret"/);
    assert.ok(r.text.includes('value="123 456 782 0001"'), 'what was typed is kept');
    assert.equal(srv.sql('SELECT count(*) FROM requests;').trim(), before, 'nothing filed');
});
