'use strict';
/*
 * The location field kind and the procedure editor's preview (issue 13, «Forms» and
 * «Editing»). A démarche asks «Lieu de la fête», a place other than an incident's own: filed
 * without JavaScript the address typed is looked up in the collectivité's list as the report
 * flow does (one address: taken with its position; several: offered; none: kept as
 * written), filed with the combobox's position it is not looked up; it is stored as
 * {address, lat, lon}, shown in the back office with a link to its position, and not exposed
 * by Open311. «Prévisualiser» shows the definition being edited as the portal draws it,
 * conditions as «Affiché si …» notes, and saves nothing.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const { Browser, procedureForm, fill, parseForms, finishFiling, confirmation, decodeEntities } = require('./portal_client');

let srv, admin;

const CODE = 'fete-quartier';
const FORM = [
    { code: 'lieu', datatype: 'location', required: true, description: 'Lieu de la fête', description_en: 'Place of the party',
      datatype_description: 'L’adresse, ou un lieu-dit' },
    { code: 'buvette', datatype: 'yesno', required: true, description: 'Y aura-t-il une buvette ?' },
    { code: 'licence', datatype: 'string', required: true, description: 'Numéro de la licence',
      show_if: { field: 'buvette', equals: 'oui' } },
];

const editorFields = (attributes, extra = {}) => Object.assign({
    name: 'Déclarer une fête de quartier', kind: 'demarche', department: 'voirie', delay_days: '10',
    active: '1', open311: '1', open311_detail: 'full', attributes: JSON.stringify(attributes),
    description: 'Déclarez votre fête de quartier.',
}, extra);

test.before(async () => {
    srv = await H.startServer({ requests: 0 });
    const row = F.addAgent(srv, { email: `admin.lieu.${process.pid}@ville-demo.test`, name: 'Admin Lieux', role: 'admin' });
    admin = await F.login(srv, row);
    await admin.get('/agent/admin/demarches/nouvelle');
    const saved = await admin.post('/agent/admin/demarches/nouvelle', editorFields(FORM, { code: CODE }));
    assert.equal(saved.status, 303, F.textOf(saved.text).slice(0, 800));
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

const hidden = (html, name) => {
    const m = new RegExp(`<input type="hidden"[^>]* name="${name.replace(/[[\]]/g, '\\$&')}" value="([^"]*)">`).exec(html);
    return m ? decodeEntities(m[1]) : null;
};
const stepOf = (html) => (/<input type="hidden" name="step" value="([^"]+)">/.exec(html) || [])[1];

/* The form's fields as a browser sends them, `given` in place of theirs (null: left out). */
function answers(form, given) {
    const fields = fill(form).filter(([k]) => !(k in given));
    for (const [k, v] of Object.entries(given)) if (v !== null) fields.push([k, v]);
    return fields;
}

/* The first step of the démarche sent with `given`: the answer. */
async function formStep(b, given) {
    const form = procedureForm((await b.get(`/demarches/${CODE}`)).text);
    return b.submit(form, answers(form, Object.assign({ 'attribute[buvette]': 'non' }, given)));
}

function stored(reference) {
    return JSON.parse(srv.sql(`SELECT attributes FROM requests WHERE reference = '${reference}'`).trim());
}

test('the location question: the address combobox filling its own position fields', async () => {
    const b = new Browser(srv);
    const r = await b.get(`/demarches/${CODE}`);
    assert.equal(r.status, 200);
    const html = decodeEntities(r.text);
    assert.match(html, /<label for="attr-lieu">Lieu de la fête \(obligatoire\)<\/label>/);
    assert.match(html, /<input type="text" id="attr-lieu" name="attribute\[lieu\]" value="" autocomplete="street-address" data-address-search data-lat-input="attr-lieu-lat" data-lon-input="attr-lieu-lon" data-for-input="attr-lieu-pour"/);
    assert.match(html, /<input type="hidden" id="attr-lieu-lat" name="attribute\[lieu\]\[lat\]" value="">/);
    assert.match(html, /<input type="hidden" id="attr-lieu-lon" name="attribute\[lieu\]\[lon\]" value="">/);
    assert.match(r.text, /<script src="\/static\/js\/address.js"><\/script>/);
});

test('without JavaScript, one address found: taken with its position, stored as {address, lat, lon}', async () => {
    const b = new Browser(srv);
    const r = await formStep(b, { 'attribute[lieu]': '12 rue victor hugo' });
    assert.equal(r.status, 200);
    assert.equal(stepOf(r.text), 'review');
    assert.equal(hidden(r.text, 'attribute[lieu]'), '12 Rue Victor Hugo, 69999 Ville de Démo');
    assert.match(hidden(r.text, 'attribute[lieu][lat]'), /^45\.\d+$/);
    assert.match(decodeEntities(r.text), /Lieu de la fête<\/dt>\s*<dd>12 Rue Victor Hugo, 69999 Ville de Démo<\/dd>/);
    const done = await confirmation(b, await finishFiling(b, r));
    const lieu = stored(done.reference).lieu;
    assert.equal(lieu.address, '12 Rue Victor Hugo, 69999 Ville de Démo');
    assert.ok(Math.abs(lieu.lat - 45.7) < 1 && Math.abs(lieu.lon - 4.9) < 1, JSON.stringify(lieu));

    /* The JSON API gives the stored object (the harness checks it against docs/openapi.yaml). */
    const api = await H.request(srv, 'GET', `/api/v1/requests/${encodeURIComponent(done.reference)}`,
                                { headers: { Authorization: `Bearer ${srv.keys.api}` } });
    assert.equal(api.status, 200, api.text);
    assert.deepEqual(api.json.attributes.lieu, lieu);

    /* The back office shows the address with the map at its position. */
    const page = await admin.get(`/agent/demandes/${encodeURIComponent(done.reference)}`);
    assert.equal(page.status, 200);
    const text = decodeEntities(page.text);
    assert.match(text, /<dt>Lieu de la fête<\/dt><dd>12 Rue Victor Hugo, 69999 Ville de Démo <a href="https:\/\/www\.openstreetmap\.org\/\?mlat=45\.\d{6}&mlon=4\.\d{6}#map=18\/45\.\d{6}\/4\.\d{6}" rel="noopener noreferrer">Voir sur OpenStreetMap<span class="visually-hidden"> : Lieu de la fête<\/span><\/a><\/dd>/);
});

test('without JavaScript, several addresses: offered on the same step, the one chosen taken', async () => {
    const b = new Browser(srv);
    const r = await formStep(b, { 'attribute[lieu]': 'rue de la' });
    assert.equal(r.status, 200);
    assert.equal(stepOf(r.text), 'form');
    const html = decodeEntities(r.text);
    assert.match(html, /<legend>Précisez l’adresse<\/legend>/);
    assert.match(html, /Plusieurs adresses de la commune correspondent à « rue de la »/);
    assert.match(html, /name="attribute\[lieu\]\[choix\]" value="Rue de la Paix, 69999 Ville de Démo"/);
    const form = procedureForm(r.text);

    /* Sent again without a choice: said so, linked to the choices. */
    const again = await b.submit(form, answers(form, { 'attribute[lieu][choix]': null }));
    assert.equal(again.status, 400);
    assert.match(decodeEntities(again.text), /<a href="#attr-lieu-choix-0">Choisissez l’une des adresses proposées/);

    const chosen = await b.submit(form, answers(form, { 'attribute[lieu][choix]': 'Rue de la Paix, 69999 Ville de Démo' }));
    assert.equal(stepOf(chosen.text), 'review');
    assert.equal(hidden(chosen.text, 'attribute[lieu]'), 'Rue de la Paix, 69999 Ville de Démo');
    const done = await confirmation(b, await finishFiling(b, chosen));
    const lieu = stored(done.reference).lieu;
    assert.equal(lieu.address, 'Rue de la Paix, 69999 Ville de Démo');
    assert.equal(typeof lieu.lat, 'number');

    /* «garder tel quel»: the words typed, without a position. */
    const asTyped = await b.submit(form, answers(form, { 'attribute[lieu][choix]': 'telle-quelle' }));
    assert.equal(stepOf(asTyped.text), 'review');
    assert.equal(hidden(asTyped.text, 'attribute[lieu]'), 'rue de la');
    assert.equal(hidden(asTyped.text, 'attribute[lieu][lat]'), null);
});

test('without JavaScript, nothing found: the place kept as written, without a position', async () => {
    const b = new Browser(srv);
    const r = await formStep(b, { 'attribute[lieu]': 'le square derrière la médiathèque' });
    assert.equal(stepOf(r.text), 'review');
    const done = await confirmation(b, await finishFiling(b, r));
    assert.deepEqual(stored(done.reference).lieu, { address: 'le square derrière la médiathèque' });
});

test('with JavaScript: the position the combobox found is kept, not looked up; a bad one refused', async () => {
    const b = new Browser(srv);
    let r = await formStep(b, {
        'attribute[lieu]': 'Place des Fêtes, 69999 Ville de Démo', 'attribute[lieu][lat]': '45.751234',
        'attribute[lieu][lon]': '4.861234', 'attribute[lieu][pour]': 'Place des Fêtes, 69999 Ville de Démo',
    });
    assert.equal(stepOf(r.text), 'review');
    const done = await confirmation(b, await finishFiling(b, r));
    assert.deepEqual(stored(done.reference).lieu, { address: 'Place des Fêtes, 69999 Ville de Démo', lat: 45.751234, lon: 4.861234 });

    /* A position found for another address than the one sent is dropped: looked up afresh. */
    r = await formStep(b, {
        'attribute[lieu]': '12 rue victor hugo', 'attribute[lieu][lat]': '45.751234',
        'attribute[lieu][lon]': '4.861234', 'attribute[lieu][pour]': 'Place des Fêtes, 69999 Ville de Démo',
    });
    assert.equal(hidden(r.text, 'attribute[lieu]'), '12 Rue Victor Hugo, 69999 Ville de Démo');
    assert.notEqual(hidden(r.text, 'attribute[lieu][lat]'), '45.751234');

    /* Degrees out of range: refused with a message that says what to do. */
    r = await formStep(b, { 'attribute[lieu]': 'Place des Fêtes', 'attribute[lieu][lat]': '91', 'attribute[lieu][lon]': '4.86' });
    assert.equal(r.status, 400);
    assert.match(decodeEntities(r.text), /<a href="#attr-lieu">La position reçue pour « Lieu de la fête » n’est pas valide/);
});

test('at the counter the place is a line of text, stored as the address alone', async () => {
    const page = await admin.get(`/agent/saisie?canal=counter&demarche=${CODE}`);
    assert.equal(page.status, 200);
    assert.match(decodeEntities(page.text), /<label for="attr-lieu">Lieu de la fête/);
    const form = parseForms(page.text).find((f) => f.action === '/agent/saisie' && f.method === 'post');
    assert.ok(form, 'the intake form');
    const fields = Object.fromEntries(fill(form).filter(([k]) => k !== 'csrf_token'));
    Object.assign(fields, { attr_lieu: 'Salle polyvalente', attr_buvette: 'non', description: 'Déclarée au guichet.' });
    const r = await admin.post('/agent/saisie', fields);
    assert.equal(r.status, 201, F.textOf(r.text).slice(0, 800));
    const last = srv.sql(`SELECT r.attributes FROM requests r JOIN procedures p ON p.id = r.procedure_id WHERE p.code = '${CODE}' ORDER BY r.id DESC LIMIT 1`).trim();
    assert.deepEqual(JSON.parse(last).lieu, { address: 'Salle polyvalente' });
});

test('Open311 does not expose the location question, and files without it', async () => {
    const r = await H.request(srv, 'GET', `/open311/v2/services/${CODE}.json`);
    assert.equal(r.status, 200);
    const codes = r.json.attributes.map((a) => a.code);
    assert.ok(!codes.includes('lieu'), codes.join(','));
    assert.ok(codes.includes('buvette'));
    /* Required on the portal, not asked here: a client files without it, and a value sent
     * anyway is dropped, not stored. */
    const body = await H.validPostBody(srv, CODE, { 'attribute[buvette]': 'non', 'attribute[lieu]': 'Place des Fêtes' });
    const created = await H.request(srv, 'POST', '/open311/v2/requests.json', { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(created.status, 200, created.text);
    const id = created.json[0].service_request_id;
    const attrs = JSON.parse(srv.sql(`SELECT attributes FROM requests WHERE reference = '${id}'`).trim());
    assert.deepEqual(attrs, { buvette: 'non' });
});

test('«Prévisualiser»: the unsaved definition drawn as the portal draws it, conditions noted, nothing saved', async () => {
    const versions = () => srv.sql(`SELECT count(*) FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = '${CODE}'`).trim();
    const before = versions();
    const definition = () => srv.sql(`SELECT attributes FROM procedures WHERE code = '${CODE}'`).trim();
    const saved = definition();
    const edited = [...FORM, { code: 'horaire', datatype: 'singlevaluelist', description: 'Horaire',
                               values: [{ key: 'midi', name: 'Midi' }, { key: 'soir', name: 'Soir' }],
                               show_if: { field: 'buvette', in: ['oui', 'non'] } }];
    await admin.get(`/agent/admin/demarches/${CODE}`);
    const r = await admin.post(`/agent/admin/demarches/${CODE}`, Object.assign(editorFields(edited), { previsualiser: '1' }));
    assert.equal(r.status, 200, F.textOf(r.text).slice(0, 800));
    const html = decodeEntities(r.text);
    /* The editor again, with what was typed. */
    assert.match(html, /<textarea id="attributes"[^>]*>[^<]*horaire/);
    assert.match(html, /<h2 id="apercu-titre">Aperçu du formulaire<\/h2>/);
    const preview = html.slice(html.indexOf('id="apercu"'));
    /* The portal's own fields: the combobox's input, yes/no radios, the new list. */
    assert.match(preview, /<input type="text" id="attr-lieu" name="attribute\[lieu\]" value="" autocomplete="street-address"[^>]* required/);
    assert.match(preview, /<input type="radio" id="attr-buvette-0" name="attribute\[buvette\]" value="oui"[^>]*><label for="attr-buvette-0">Oui<\/label>/);
    assert.match(preview, /<input type="radio" id="attr-horaire-1" name="attribute\[horaire\]" value="soir"[^>]*><label for="attr-horaire-1">Soir<\/label>/);
    /* Conditional questions shown, with when they show. */
    assert.match(preview, /<label for="attr-licence">Numéro de la licence \(obligatoire\)<\/label>\s*<p class="hint form-preview__condition">Affiché si la réponse à « Y aura-t-il une buvette \? » est « Oui »\.<\/p>/);
    assert.match(preview, /Affiché si la réponse à « Y aura-t-il une buvette \? » est « Oui » ou « Non »\./);
    assert.doesNotMatch(preview, / hidden[ >]/);
    /* Nothing saved. */
    assert.equal(versions(), before);
    assert.equal(definition(), saved);
});

test('«Prévisualiser» an invalid definition: its error as on saving, no preview; a new procedure is not created', async () => {
    await admin.get(`/agent/admin/demarches/${CODE}`);
    const bad = [{ code: 'x', datatype: 'location', show_if: { field: 'inconnu', equals: 'oui' } }];
    let r = await admin.post(`/agent/admin/demarches/${CODE}`, Object.assign(editorFields(bad), { previsualiser: '1' }));
    assert.equal(r.status, 400);
    const html = decodeEntities(r.text);
    assert.match(html, /<p class="field-error" id="attributes-error">/);
    assert.ok(!html.includes('id="apercu"'), 'no preview of an invalid definition');

    await admin.get('/agent/admin/demarches/nouvelle');
    r = await admin.post('/agent/admin/demarches/nouvelle', Object.assign(editorFields(FORM, { code: 'apercu-seul' }), { previsualiser: '1' }));
    assert.equal(r.status, 200);
    assert.match(decodeEntities(r.text), /Aperçu du formulaire/);
    assert.equal(srv.sql(`SELECT count(*) FROM procedures WHERE code = 'apercu-seul'`).trim(), '0');
});
