'use strict';
/*
 * Questions in English (issue 12): a procedure's questions carry optional English texts
 * (description_en, datatype_description_en, each value's name_en), edited in the back office's
 * JSON editor and shown on English pages — the form, its review, the receipt, the tracking page
 * and Open311 when English is asked — with the French where none is given. The editor's
 * refusals say in French what is wrong and where.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const { Browser, reviewStep, confirmation, fill, decodeEntities, trackingPath, procedureForm } = require('./portal_client');

let srv, admin;

test.before(async () => {
    srv = await H.startServer({ requests: 0 });
    const row = F.addAgent(srv, { email: `admin.questions.${process.pid}@ville-demo.test`, name: 'Admin Questions', role: 'admin' });
    admin = await F.login(srv, row);
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

const text = (html) => decodeEntities(html);

test('the demo pothole form in English: questions, hints and values in English, through the review, the receipt and the tracking page', async () => {
    const b = new Browser(srv);
    /* The category's questions come with the contact details, on the last step. */
    const { form } = await reviewStep(b, 'nid-de-poule?lang=en');
    const send = await b.submit(form, fill(form));
    const questions = text(send.text);
    assert.match(questions, /Size of the pothole/);
    assert.match(questions, /Small \(under 20 cm\)/, 'the values by their English names');
    assert.doesNotMatch(questions, /Taille du nid de poule|Petit \(moins de 20 cm\)/);
    const sendForm = procedureForm(send.text);
    const done = await confirmation(b, await b.submit(sendForm, fill(sendForm)));
    const receiptPath = /href="(\/recu\/[^"]+)"/.exec(text(done.page.text));
    assert.ok(receiptPath, 'the confirmation links to the receipt');
    const receiptUrl = receiptPath[1] + (receiptPath[1].includes('lang=en') ? '' : '&lang=en');
    const receipt = text((await b.get(receiptUrl)).text);
    assert.match(receipt, /Size of the pothole/);
    assert.match(receipt, /Small \(under 20 cm\)/);
    const track = text((await b.get(`${trackingPath(done.reference, done.token)}&lang=en`)).text);
    assert.match(track, /Size of the pothole/);
    assert.match(track, /Small \(under 20 cm\)/);
    const trackFr = text((await b.get(trackingPath(done.reference, done.token))).text);
    assert.match(trackFr, /Taille du nid de poule/);
    assert.match(trackFr, /Petit \(moins de 20 cm\)/);
});

test('the French form keeps the French texts', async () => {
    const b = new Browser(srv);
    const { form } = await reviewStep(b, 'nid-de-poule');
    const questions = text((await b.submit(form, fill(form))).text);
    assert.match(questions, /Taille du nid de poule/);
    assert.match(questions, /Petit \(moins de 20 cm\)/);
    assert.doesNotMatch(questions, /Size of the pothole|Small \(under 20 cm\)/);
});

const fields = (attributes) => ({
    code: 'permis-velo', name: 'Stationnement vélo', kind: 'demarche', department: 'voirie',
    delay_days: '10', active: '1', open311: '1', open311_detail: 'full', attributes, description: 'Demandez un arceau vélo.',
});

test('a date question saved from the editor: a date input on the portal, a datetime asking for a day on Open311', async () => {
    const attributes = JSON.stringify([
        { code: 'naissance', datatype: 'date', required: true, description: 'Date de naissance',
          description_en: 'Date of birth', order: 1 },
    ]);
    await admin.get('/agent/admin/demarches/nouvelle');
    const ok = await admin.post('/agent/admin/demarches/nouvelle',
                                Object.assign(fields(attributes), { code: 'carte-jeune', name: 'Carte jeune' }));
    assert.equal(ok.status, 303, F.textOf(ok.text).slice(0, 500));
    const form = (await H.request(srv, 'GET', '/demarches/carte-jeune')).text;
    assert.match(form, /<input type="date" id="attr-naissance" name="attribute\[naissance\]" value="" required>/);
    const def = (await H.request(srv, 'GET', '/open311/v2/services/carte-jeune.json')).json;
    assert.equal(def.attributes[0].datatype, 'datetime');
    assert.equal(def.attributes[0].datatype_description,
                 'Une date sans heure, AAAA-MM-JJ ; d’une date et heure, seule la date écrite est gardée.');
    /* The editor's help names the datatype. */
    const editor = F.unescapeHtml((await admin.get('/agent/admin/demarches/carte-jeune')).text);
    assert.match(editor, /date \(un jour, sans heure : une date de naissance\)/);
});

test('English texts saved from the editor, the French shown where none is given', async () => {
    const attributes = JSON.stringify([
        { code: 'nombre', datatype: 'number', required: true, description: 'Nombre d’arceaux',
          description_en: 'Number of racks', datatype_description: 'De 1 à 10',
          datatype_description_en: 'From 1 to 10', order: 1 },
        { code: 'lieu', datatype: 'singlevaluelist', required: true, description: 'Lieu souhaité', order: 2,
          values: [{ key: 'ecole', name: 'Devant l’école', name_en: 'Outside the school' },
                   { key: 'mairie', name: 'Devant la mairie' }] },
    ]);
    await admin.get('/agent/admin/demarches/nouvelle');
    const ok = await admin.post('/agent/admin/demarches/nouvelle', fields(attributes));
    assert.equal(ok.status, 303, F.textOf(ok.text).slice(0, 500));
    const en = text((await H.request(srv, 'GET', '/demarches/permis-velo?lang=en')).text);
    assert.match(en, /Number of racks/);
    assert.match(en, /From 1 to 10/);
    assert.match(en, /Outside the school/);
    assert.match(en, /Lieu souhaité/, 'no English label: the French one');
    assert.match(en, /Devant la mairie/, 'no English name: the French one');
    const fr = text((await H.request(srv, 'GET', '/demarches/permis-velo')).text);
    assert.match(fr, /Nombre d’arceaux/);
    assert.match(fr, /Devant l’école/);
    assert.doesNotMatch(fr, /Number of racks|Outside the school/);
    /* Open311: French unless English is asked (?lang=en or Accept-Language). */
    const def = (await H.request(srv, 'GET', '/open311/v2/services/permis-velo.json')).json;
    const defEn = (await H.request(srv, 'GET', '/open311/v2/services/permis-velo.json',
                                   { headers: { 'Accept-Language': 'en-GB,en;q=0.8' } })).json;
    assert.equal(def.attributes[0].description, 'Nombre d’arceaux');
    assert.equal(def.attributes[1].values[0].name, 'Devant l’école');
    assert.equal(defEn.attributes[0].description, 'Number of racks');
    assert.equal(defEn.attributes[0].datatype_description, 'From 1 to 10');
    assert.equal(defEn.attributes[1].description, 'Lieu souhaité', 'the French where no English is given');
    assert.equal(defEn.attributes[1].values[0].name, 'Outside the school');
    assert.equal(defEn.attributes[1].values[0].key, 'ecole', 'keys never change');
});

test('the editor refuses faulty questions with a precise French message', async () => {
    const cases = [
        ['[{"code": "a", "datatype": "string"', /Le texte n’est pas du JSON valide \(ligne 1, colonne \d+\)/],
        ['{"code": "a"}', /doit être un tableau JSON de questions/],
        ['[{"code": "a", "datatype": "string", "descripton_en": "A"}]',
         /Question 1 \(« a »\) : le champ « descripton_en » n’existe pas\./],
        ['[{"datatype": "string"}]', /Question 1 : le champ « code » manque/],
        ['[{"code": "a b", "datatype": "string"}]', /Question 1 : le « code » fait au plus 48 caractères/],
        ['[{"code": "a", "datatype": "string"}, {"code": "a", "datatype": "text"}]',
         /Question 2 \(« a »\) : ce code est déjà celui d’une question précédente/],
        ['[{"code": "a"}]', /Question 1 \(« a »\) : le champ « datatype » manque/],
        ['[{"code": "a", "datatype": "colour"}]',
         /Question 1 \(« a »\) : le « datatype » « colour » n’existe pas\. Valeurs possibles : string, text, number, date, datetime, email, phone, singlevaluelist, multivaluelist, yesno, section, file\./],
        ['[{"code": "a", "datatype": "string", "description_en": 3}]',
         /Question 1 \(« a »\) : le champ « description_en » est un texte entre guillemets de 2000 caractères au plus\./],
        ['[{"code": "a", "datatype": "string", "description_en": "' + 'x'.repeat(2001) + '"}]',
         /le champ « description_en » est un texte entre guillemets de 2000 caractères au plus/],
        ['[{"code": "a", "datatype": "string", "required": "oui"}]', /le champ « required » vaut true ou false/],
        ['[{"code": "a", "datatype": "string", "order": "1"}]', /le champ « order » est un nombre entier/],
        ['[{"code": "a", "datatype": "singlevaluelist"}]', /Question 1 \(« a »\) : une question à choix .* de 1 à 200 valeurs/],
        ['[{"code": "a", "datatype": "singlevaluelist", "values": ["x"]}]',
         /Question 1 \(« a »\), valeur 1 : chaque valeur est un objet/],
        ['[{"code": "a", "datatype": "singlevaluelist", "values": [{"key": "x", "name": "X", "nom_en": "X"}]}]',
         /Question 1 \(« a »\), valeur 1 : le champ « nom_en » n’existe pas\. Champs possibles : key, name, name_en\./],
        ['[{"code": "a", "datatype": "singlevaluelist", "values": [{"name": "X"}]}]', /valeur 1 : le champ « key » manque/],
        ['[{"code": "a", "datatype": "singlevaluelist", "values": [{"key": "x"}]}]', /valeur 1 : le champ « name » manque/],
        ['[{"code": "a", "datatype": "singlevaluelist", "values": [{"key": "x", "name": "X", "name_en": 1}]}]',
         /valeur 1 : le champ « name_en » est un texte/],
        ['[{"code": "a", "datatype": "multivaluelist", "values": [{"key": "x", "name": "X"}, {"key": "x", "name": "Y"}]}]',
         /Question 1 \(« a »\), valeur 2 : la clé « x » est déjà celle d’une valeur précédente\./],
        ['[1]', /Question 1 : chaque question est un objet JSON/],
    ];
    for (const [attributes, message] of cases) {
        await admin.get('/agent/admin/demarches/nouvelle');
        const r = await admin.post('/agent/admin/demarches/nouvelle', Object.assign(fields(attributes), { code: 'refusee' }));
        assert.equal(r.status, 400, attributes);
        const page = F.unescapeHtml(r.text);
        assert.match(page, /<a href="#attributes">/, attributes);
        assert.match(page, /Les questions ne sont pas valides : /, attributes);
        assert.match(page, message, attributes);
    }
    assert.equal(srv.sql("SELECT count(*) FROM procedures WHERE code = 'refusee'").trim(), '0');
    /* The same refusal in English for an agent reading the back office in English. */
    await admin.get('/agent/admin/demarches/nouvelle?lang=en');
    const en = await admin.post('/agent/admin/demarches/nouvelle?lang=en',
                                Object.assign(fields('[{"code": "a", "datatype": "colour"}]'), { code: 'refusee' }));
    assert.equal(en.status, 400);
    assert.match(F.unescapeHtml(en.text), /Question 1 \(“a”\): there is no datatype “colour”/);
});
