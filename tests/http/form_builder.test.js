'use strict';
/*
 * The form builder (issue 13): a procedure's form edited question by question without
 * JavaScript under /agent/admin/demarches/{code}/formulaire. Each kind of question added,
 * list values from lines, a condition on an earlier choice question, the refusals (a
 * condition on a later question, removing a question another depends on, a code taken, a
 * stale page, a code answered by requests), moves, the versions made and named, a request
 * filed under an older version kept as it was, admins only, CSRF.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const { Browser, procedureForm, fill, finishFiling, confirmation, decodeEntities } = require('./portal_client');

let srv, admin;

const CODE = 'jardins-familiaux';
const BASE = `/agent/admin/demarches/${CODE}/formulaire`;

test.before(async () => {
    srv = await H.startServer({ requests: 0 });
    const row = F.addAgent(srv, { email: `admin.builder.${process.pid}@ville-demo.test`, name: 'Admin Constructeur', role: 'admin' });
    admin = await F.login(srv, row);
    await admin.get('/agent/admin/demarches/nouvelle');
    const saved = await admin.post('/agent/admin/demarches/nouvelle', {
        code: CODE, name: 'Demander une parcelle de jardin', kind: 'demarche', department: 'voirie', delay_days: '10',
        active: '1', open311: '1', open311_detail: 'full', attributes: '[]',
        description: 'Demandez une parcelle aux jardins familiaux.',
    });
    assert.equal(saved.status, 303, F.textOf(saved.text).slice(0, 800));
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

function definition() {
    return JSON.parse(srv.sql(`SELECT attributes FROM procedures WHERE code = '${CODE}'`).trim());
}

function latestVersion() {
    return Number(srv.sql(`SELECT max(version) FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = '${CODE}'`).trim());
}

function codes() {
    return definition().map((q) => q.code);
}

/* The hidden version of the builder's page (what its forms send back). */
async function seenVersion() {
    const page = await admin.get(BASE);
    assert.equal(page.status, 200);
    const m = /name="version" value="(\d+)"/.exec(page.text);
    return m ? m[1] : String(latestVersion());
}

/* Adds a question through the new question's page: its GET, then its POST. */
async function addQuestion(type, fields, after = '') {
    const page = await admin.get(`${BASE}/nouvelle?type=${type}${after ? `&apres=${after}` : ''}`);
    assert.equal(page.status, 200, F.textOf(page.text).slice(0, 500));
    const version = /name="version" value="(\d+)"/.exec(page.text)[1];
    return admin.post(`${BASE}/questions`, Object.assign({ version, original: '', type, apres: after }, fields));
}

async function editQuestion(code, fields) {
    const page = await admin.get(`${BASE}/questions/${code}`);
    assert.equal(page.status, 200, F.textOf(page.text).slice(0, 500));
    const version = /name="version" value="(\d+)"/.exec(page.text)[1];
    return admin.post(`${BASE}/questions`, Object.assign({ version, original: code, type: '' }, fields));
}

function errorText(r) {
    return decodeEntities(F.textOf(r.text));
}

test('the builder is reached from the procedure, lists no question yet and offers every kind in French', async () => {
    const proc = await admin.get(`/agent/admin/demarches/${CODE}`);
    assert.match(proc.text, new RegExp(`href="${BASE}"`), 'the procedure links to its builder');
    assert.match(proc.text, /id="attributes"/, 'the JSON editor stays for experts');
    const page = await admin.get(BASE);
    assert.equal(page.status, 200);
    const text = errorText(page);
    assert.match(text, /Ce formulaire ne pose encore aucune question/);
    for (const label of ['Texte court', 'Texte long', 'Nombre', 'Date et heure', 'Adresse électronique', 'Numéro de téléphone',
                         'Choix unique (liste)', 'Choix multiples (cases à cocher)', 'Oui / non', 'Pièce jointe', 'Adresse ou lieu', 'Section (titre)'])
        assert.ok(text.includes(label), `kind ${label} offered`);
    /* A notice written in JSON ("variable": false) is named as what it is. */
    const demo = errorText(await admin.get('/agent/admin/demarches/acte-etat-civil/formulaire'));
    assert.match(demo, /L’acte est envoyé gratuitement|L'acte est envoyé gratuitement/);
    assert.match(demo, /Information \(rien n’est demandé\)|Information \(rien n'est demandé\)/);
    const en = await admin.get(`${BASE}?lang=en`);
    assert.match(decodeEntities(en.text), /Multiple choice \(checkboxes\)/);
});

test('each kind of question is added, its code proposed from its label, each save a version its history names', async () => {
    const before = latestVersion();
    let r = await addQuestion('section', { label: 'Votre foyer', help: 'Qui cultivera la parcelle' });
    assert.equal(r.status, 303, errorText(r).slice(0, 800));
    assert.match(r.location, new RegExp(`^${BASE}\\?fait=form_saved`));
    const after = await admin.get(r.location);
    assert.match(errorText(after), /Le formulaire est enregistré/);
    const kinds = [
        ['string', { label: 'Numéro SIRET de l’association', format: 'siret' }],
        ['text', { label: 'Votre expérience du jardinage', required: '1' }],
        ['number', { label: 'Nombre de personnes' }],
        ['date', { label: 'Date souhaitée' }],
        ['datetime', { label: 'Rendez-vous de visite' }],
        ['email', { label: 'Courriel du foyer' }],
        ['phone', { label: 'Téléphone du foyer' }],
        ['multivaluelist', { label: 'Cultures prévues', values: 'Légumes\nfleurs | Fleurs | Flowers\n' }],
        ['file', { label: 'Justificatif de domicile' }],
        ['location', { label: 'Adresse du foyer' }],
    ];
    for (const [type, fields] of kinds) {
        r = await addQuestion(type, fields);
        assert.equal(r.status, 303, `${type}: ${errorText(r).slice(0, 800)}`);
    }
    const defs = definition();
    assert.deepEqual(defs.map((q) => q.datatype), ['section', ...kinds.map(([t]) => t)]);
    const siret = defs.find((q) => q.datatype === 'string');
    assert.equal(siret.code, 'numero_siret_de_l_association', 'the code is made from the label, accents dropped');
    assert.equal(siret.format, 'siret');
    assert.equal(defs.find((q) => q.datatype === 'text').required, true);
    assert.deepEqual(defs.find((q) => q.datatype === 'multivaluelist').values,
                     [{ key: 'legumes', name: 'Légumes' }, { key: 'fleurs', name: 'Fleurs', name_en: 'Flowers' }]);
    assert.equal(latestVersion(), before + 1 + kinds.length, 'a version per save');
    const summary = srv.sql(`SELECT summary FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = '${CODE}' ORDER BY version DESC LIMIT 1`).trim();
    assert.equal(summary, 'Question « Adresse du foyer » ajoutée');
    const list = errorText(await admin.get(BASE));
    assert.match(list, /Votre foyer/);
    assert.match(list, /Choix multiples \(cases à cocher\)/);
    const history = errorText(await admin.get(`/agent/admin/demarches/${CODE}`));
    assert.match(history, /Question « Adresse du foyer » ajoutée/, 'the history names the change');
});

test('a choice question and a question shown on its answer, after a given question', async () => {
    let r = await addQuestion('singlevaluelist', { label: 'Type de parcelle', code: 'type_parcelle', required: '1',
                                                   values: 'petite | Petite (50 m²) | Small\ngrande | Grande (100 m²)\nautre | Autre' }, 'votre_foyer');
    assert.equal(r.status, 303, errorText(r).slice(0, 800));
    assert.equal(codes()[1], 'type_parcelle', 'put after the given question');
    const page = await admin.get(`${BASE}/nouvelle?type=string&apres=type_parcelle`);
    assert.match(page.text, /<option value="type_parcelle">/, 'an earlier choice question is offered for the condition');
    assert.match(page.text, /name="show_value" value="type_parcelle\/autre"/);
    assert.doesNotMatch(page.text, /<option value="cultures_prevues">/, 'a later question is not offered');
    r = await addQuestion('string', { label: 'Précisez le type', show_field: 'type_parcelle', show_value: 'type_parcelle/autre' }, 'type_parcelle');
    assert.equal(r.status, 303, errorText(r).slice(0, 800));
    const q = definition().find((d) => d.code === 'precisez_le_type');
    assert.deepEqual(q.show_if, { field: 'type_parcelle', equals: 'autre' });
    const list = errorText(await admin.get(BASE));
    assert.match(list, /Affichée si « Type de parcelle » vaut « Autre »\./);
    /* Two answers: "in". */
    const form = new URLSearchParams({ label: 'Précisez le type', code: 'precisez_le_type', show_field: 'type_parcelle' });
    form.append('show_value', 'type_parcelle/autre');
    form.append('show_value', 'type_parcelle/grande');
    const edit = await admin.get(`${BASE}/questions/precisez_le_type`);
    assert.match(edit.text, /value="type_parcelle\/autre" checked/, 'the condition shows checked');
    const version = /name="version" value="(\d+)"/.exec(edit.text)[1];
    form.append('version', version);
    form.append('original', 'precisez_le_type');
    form.append('csrf_token', admin.csrf);
    r = await admin.req('POST', `${BASE}/questions`, { form: form.toString() });
    assert.equal(r.status, 303, errorText(r).slice(0, 800));
    assert.deepEqual(definition().find((d) => d.code === 'precisez_le_type').show_if,
                     { field: 'type_parcelle', in: ['autre', 'grande'] });
});

test('refusals: a condition on a later question, a code taken, a list without values, what was typed kept', async () => {
    const version = latestVersion();
    /* type_parcelle comes before precisez_le_type: it cannot depend on it, nor on a later choice. */
    let r = await editQuestion('votre_foyer', { label: 'Votre foyer', show_field: 'type_parcelle', show_value: 'type_parcelle/autre' });
    assert.equal(r.status, 400);
    assert.match(errorText(r), /Une question ne peut dépendre que d’une question à choix placée avant elle|Une question ne peut dépendre que d'une question à choix placée avant elle/);
    assert.match(r.text, /<a href="#show_field">/, 'the error summary links to the field');
    r = await addQuestion('string', { label: 'Un doublon', code: 'type_parcelle' });
    assert.equal(r.status, 400);
    assert.match(errorText(r), /Le code « type_parcelle » est déjà celui de la question « Type de parcelle »/);
    assert.match(r.text, /value="Un doublon"/, 'the label typed is kept');
    assert.match(r.text, /<a href="#code">/);
    r = await addQuestion('singlevaluelist', { label: 'Sans valeurs', values: '  \n' });
    assert.equal(r.status, 400);
    assert.match(errorText(r), /Saisissez au moins une valeur/);
    r = await addQuestion('singlevaluelist', { label: 'Valeur illisible', values: 'a b | Un | Deux | Trois' });
    assert.equal(r.status, 400);
    assert.match(errorText(r), /La ligne 1 des valeurs n’est pas lisible|La ligne 1 des valeurs n'est pas lisible/);
    r = await addQuestion('string', { label: '' });
    assert.equal(r.status, 400);
    assert.match(errorText(r), /Saisissez l’intitulé de la question|Saisissez l'intitulé de la question/);
    assert.match(r.text, /<input id="code"[^>]*value="">/, 'no code proposed from the empty label sticks');
    r = await addQuestion('string', { label: 'Mauvais code', code: 'é-x' });
    assert.equal(r.status, 400);
    assert.match(errorText(r), /Le code ne peut contenir que des lettres sans accents/);
    const unknown = await admin.get(`${BASE}/nouvelle?type=couleur`);
    assert.equal(unknown.status, 400);
    assert.match(errorText(unknown), /Choisissez un type de question de la liste/);
    assert.equal(latestVersion(), version, 'nothing refused was saved');
});

test('a question another depends on cannot be removed; the dependent can, and moves go up and down', async () => {
    const version = await seenVersion();
    let r = await admin.post(BASE, { version, op: 'remove:type_parcelle' });
    assert.equal(r.status, 400);
    assert.match(errorText(r), /La question « Type de parcelle » ne peut pas être retirée : la question « Précisez le type » ne s’affiche que selon sa réponse|ne s'affiche que selon sa réponse/);
    assert.ok(codes().includes('type_parcelle'));
    const order = codes();
    r = await admin.post(BASE, { version, op: 'down:nombre_de_personnes' });
    assert.equal(r.status, 303, errorText(r).slice(0, 800));
    const i = order.indexOf('nombre_de_personnes');
    assert.equal(codes()[i + 1], 'nombre_de_personnes', 'moved down');
    r = await admin.post(BASE, { version: await seenVersion(), op: 'up:nombre_de_personnes' });
    assert.equal(r.status, 303);
    assert.deepEqual(codes(), order, 'moved back up');
    /* Moving the dependent above its question would break its condition: refused. */
    r = await admin.post(BASE, { version: await seenVersion(), op: 'up:precisez_le_type' });
    assert.equal(r.status, 400);
    assert.match(errorText(r), /type_parcelle/);
    assert.deepEqual(codes(), order);
    r = await admin.post(BASE, { version: await seenVersion(), op: 'remove:precisez_le_type' });
    assert.equal(r.status, 303);
    assert.ok(!codes().includes('precisez_le_type'));
    const summary = srv.sql(`SELECT summary FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = '${CODE}' ORDER BY version DESC LIMIT 1`).trim();
    assert.equal(summary, 'Question « Précisez le type » retirée');
});

test('a stale page is refused with a clear message, what was typed kept', async () => {
    const page = await admin.get(`${BASE}/questions/nombre_de_personnes`);
    const old = /name="version" value="(\d+)"/.exec(page.text)[1];
    /* Someone saves meanwhile. */
    let r = await addQuestion('yesno', { label: 'Avez-vous déjà une parcelle ?' });
    assert.equal(r.status, 303);
    const version = latestVersion();
    r = await admin.post(`${BASE}/questions`, { version: old, original: 'nombre_de_personnes', label: 'Combien serez-vous ?' });
    assert.equal(r.status, 409);
    assert.match(errorText(r), /Le formulaire a été modifié par quelqu’un d’autre|Le formulaire a été modifié par quelqu'un d'autre/);
    assert.match(r.text, /<a href="#stale">/);
    assert.match(r.text, /value="Combien serez-vous \?"/, 'what was typed is kept');
    r = await admin.post(BASE, { version: old, op: 'down:nombre_de_personnes' });
    assert.equal(r.status, 409);
    assert.equal(latestVersion(), version, 'nothing saved');
});

test('a request filed under an older version keeps it; a code requests answered stays', async () => {
    const b = new Browser(srv);
    const page = await b.get(`/demarches/${CODE}`);
    assert.equal(page.status, 200);
    /* File a short form: drop the questions a sample answer cannot fill (file, location). */
    let r = await admin.post(BASE, { version: await seenVersion(), op: 'remove:justificatif_de_domicile' });
    assert.equal(r.status, 303, errorText(r).slice(0, 500));
    r = await admin.post(BASE, { version: await seenVersion(), op: 'remove:adresse_du_foyer' });
    assert.equal(r.status, 303);
    r = await admin.post(BASE, { version: await seenVersion(), op: 'remove:numero_siret_de_l_association' });
    assert.equal(r.status, 303);
    const filedUnder = latestVersion();
    const defThen = srv.sql(`SELECT definition FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = '${CODE}' AND version = ${filedUnder}`).trim();
    const form = procedureForm((await b.get(`/demarches/${CODE}`)).text);
    const answers = fill(form).map(([k, v]) => {
        if (k === 'attribute[nombre_de_personnes]') return [k, '3'];
        if (k === 'attribute[courriel_du_foyer]') return [k, 'foyer@example.org'];
        if (k === 'attribute[telephone_du_foyer]') return [k, '0612345678'];
        if (k === 'attribute[date_souhaitee]') return [k, '2027-03-01'];
        if (k === 'attribute[rendez_vous_de_visite]') return [k, '2027-03-01T10:00'];
        return [k, v];
    });
    const done = await confirmation(b, await finishFiling(b, await b.submit(form, answers)));
    assert.equal(srv.sql(`SELECT procedure_version FROM requests WHERE reference = '${done.reference}'`).trim(), String(filedUnder));
    /* The builder goes on: a new version; the request keeps its own, whose text is unchanged. */
    r = await editQuestion('nombre_de_personnes', { label: 'Combien serez-vous ?', code: 'nombre_de_personnes' });
    assert.equal(r.status, 303, errorText(r).slice(0, 500));
    assert.equal(latestVersion(), filedUnder + 1);
    assert.equal(srv.sql(`SELECT procedure_version FROM requests WHERE reference = '${done.reference}'`).trim(), String(filedUnder));
    assert.equal(srv.sql(`SELECT definition FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = '${CODE}' AND version = ${filedUnder}`).trim(), defThen);
    /* Its code is answered now: it cannot change, and the page says so. */
    const edit = await admin.get(`${BASE}/questions/nombre_de_personnes`);
    assert.match(edit.text, /id="code"[^>]*readonly/);
    r = await editQuestion('nombre_de_personnes', { label: 'Combien serez-vous ?', code: 'personnes' });
    assert.equal(r.status, 400);
    assert.match(errorText(r), /Des demandes ont déjà répondu à cette question : son code ne peut plus changer/);
    /* A question no request answered may change its code; conditions naming it follow. */
    r = await addQuestion('yesno', { label: 'Avez-vous un composteur ?', code: 'composteur' });
    assert.equal(r.status, 303);
    r = await addQuestion('string', { label: 'Quel modèle ?', show_field: 'composteur', show_value: 'composteur/oui' }, 'composteur');
    assert.equal(r.status, 303, errorText(r).slice(0, 500));
    r = await editQuestion('composteur', { label: 'Avez-vous un composteur ?', code: 'compost' });
    assert.equal(r.status, 303, (r.text.match(/error-summary[\s\S]*?<\/div>/) || [''])[0]);
    assert.deepEqual(definition().find((d) => d.code === 'quel_modele').show_if, { field: 'compost', equals: 'oui' });
});

test('admins only, and every POST carries its CSRF token', async () => {
    const row = F.addAgent(srv, { email: `agent.builder.${process.pid}@ville-demo.test`, name: 'Agent Simple', role: 'agent', departments: ['voirie'] });
    const agent = await F.login(srv, row);
    assert.equal((await agent.get(BASE)).status, 403);
    assert.equal((await agent.get(`${BASE}/nouvelle?type=string`)).status, 403);
    await agent.get('/agent');
    const version = String(latestVersion());
    let r = await agent.post(`${BASE}/questions`, { version, original: '', type: 'string', label: 'Intrus' });
    assert.equal(r.status, 403);
    r = await admin.req('POST', `${BASE}/questions`, { form: { csrf_token: 'faux', version, original: '', type: 'string', label: 'Intrus' } });
    assert.equal(r.status, 403);
    r = await admin.req('POST', BASE, { form: { version, op: 'remove:nombre_de_personnes' } });
    assert.equal(r.status, 403);
    assert.equal(latestVersion(), Number(version), 'nothing saved');
    assert.ok(!codes().includes('intrus'));
    assert.equal((await admin.get('/agent/admin/demarches/inconnue/formulaire')).status, 404);
    assert.equal((await admin.get(`${BASE}/questions/inconnue`)).status, 404);
});
