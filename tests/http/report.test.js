'use strict';
/*
 * report — the report flow's server side, without JavaScript (issue 12): a place typed is
 * looked up in the collectivité's address list (one address: taken with its position;
 * several: offered to choose from, or to keep as typed; none: kept as written); the problem's
 * step shows the public open incidents near the place, each with a «moi aussi» of its own, and
 * proposes the category two of them share when the citizen's words propose none.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./harness');
const { Browser, decodeEntities, procedureForm, fill, confirmation } = require('./portal_client');

/* The form's fields as sent, with `extra` replacing or adding values. */
function answers(form, extra = {}) {
    const fields = fill(form).filter(([k]) => !(k in extra));
    for (const [k, v] of Object.entries(extra)) if (v !== null) fields.push([k, v]);
    return fields;
}

const hidden = (html, name) => {
    const m = new RegExp(`<input type="hidden" name="${name.replace(/[[\]]/g, '\\$&')}" value="([^"]*)">`).exec(html);
    return m ? decodeEntities(m[1]) : null;
};
const stepOf = (html) => (/<input type="hidden" name="step" value="([^"]+)">/.exec(html) || [])[1];

/* From /signaler, the place step sent with `place` (address, lat, long): the answer. */
async function placeStep(b, place) {
    const first = await b.get('/signaler');
    assert.equal(first.status, 200);
    const form = procedureForm(first.text);
    return b.submit(form, answers(form, Object.assign({ lat: '', long: '' }, place)));
}

let srv;
test.before(async () => {
    srv = await startServer({ demo: true });
});
test.after(async () => {
    /* A clean exit: an ASan build (GUICHET_BIN) reports leaks and errors through it. */
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

test('a place typed is looked up in the address list', async () => {
    const b = new Browser(srv);
    /* One address: taken, with its position, as the list writes it. */
    let r = await placeStep(b, { address: '12 rue victor hugo' });
    assert.equal(r.status, 200);
    assert.equal(stepOf(r.text), 'what');
    assert.equal(hidden(r.text, 'address'), '12 Rue Victor Hugo, 69999 Ville de Démo');
    assert.match(hidden(r.text, 'lat'), /^45\.\d+$/);
    assert.match(hidden(r.text, 'long'), /^4\.\d+$/);

    /* Several streets: the same step again, to choose — or to keep what was typed. */
    r = await placeStep(b, { address: 'rue de la' });
    assert.equal(r.status, 200);
    assert.equal(stepOf(r.text), 'location');
    const text = decodeEntities(r.text);
    assert.match(text, /<legend>Précisez l’adresse<\/legend>/);
    assert.match(text, /Plusieurs adresses de la commune correspondent à « rue de la »/);
    assert.match(text, /value="Rue de la Paix, 69999 Ville de Démo"/);
    assert.match(text, /Aucune de celles-ci : garder « rue de la » tel que je l’ai écrit/);
    const choose = procedureForm(r.text);
    const chosen = await b.submit(choose, answers(choose, { adresse_choisie: 'Rue de la Paix, 69999 Ville de Démo' }));
    assert.equal(stepOf(chosen.text), 'what');
    assert.equal(hidden(chosen.text, 'address'), 'Rue de la Paix, 69999 Ville de Démo');
    assert.match(hidden(chosen.text, 'lat'), /^45\.\d+$/);
    const asTyped = await b.submit(choose, answers(choose, { adresse_choisie: 'telle-quelle' }));
    assert.equal(stepOf(asTyped.text), 'what');
    assert.equal(hidden(asTyped.text, 'address'), 'rue de la');
    assert.equal(hidden(asTyped.text, 'lat'), null);

    /* Nothing in the list: a landmark stays as written, without a position. */
    r = await placeStep(b, { address: 'devant le stade municipal' });
    assert.equal(stepOf(r.text), 'what');
    assert.equal(hidden(r.text, 'address'), 'devant le stade municipal');
    assert.equal(hidden(r.text, 'lat'), null);

    /* A position given (the map, «Me localiser»): the address is not looked up. */
    r = await placeStep(b, { address: '12 rue victor hugo', lat: '45.79', long: '4.91' });
    assert.equal(hidden(r.text, 'address'), '12 rue victor hugo');
    assert.equal(hidden(r.text, 'lat'), '45.79');
});

test('an address changed after its position was found is looked up again', async () => {
    const b = new Browser(srv);
    let r = await placeStep(b, { address: '12 rue victor hugo' });
    assert.equal(hidden(r.text, 'lieu_position'), '12 Rue Victor Hugo, 69999 Ville de Démo');
    const first = hidden(r.text, 'lat');
    /* Back to the place: its position and what it was found for come along. */
    let form = procedureForm(r.text);
    r = await b.submit(form, [...answers(form), ['goto', 'location']]);
    assert.equal(stepOf(r.text), 'location');
    assert.match(r.text, /<input type="hidden" id="lieu_position" name="lieu_position" value="12 Rue Victor Hugo, 69999 Ville de Démo">/);
    form = procedureForm(r.text);
    r = await b.submit(form, answers(form, { address: '12 rue de la paix' }));
    assert.equal(stepOf(r.text), 'what');
    assert.equal(hidden(r.text, 'address'), '12 Rue de la Paix, 69999 Ville de Démo');
    assert.notEqual(hidden(r.text, 'lat'), first, 'the old address\'s position was kept');
    /* A landmark typed instead: no position at all rather than the old one. */
    form = procedureForm((await b.submit(procedureForm(r.text), [...answers(procedureForm(r.text)), ['goto', 'location']])).text);
    r = await b.submit(form, answers(form, { address: 'devant la boulangerie' }));
    assert.equal(stepOf(r.text), 'what');
    assert.equal(hidden(r.text, 'address'), 'devant la boulangerie');
    assert.equal(hidden(r.text, 'lat'), null);
});

test('addresses offered and none chosen: said so, not offered again in silence', async () => {
    const b = new Browser(srv);
    const r = await placeStep(b, { address: 'rue de la' });
    assert.equal(r.status, 200);
    const form = procedureForm(r.text);
    const again = await b.submit(form, answers(form, { adresse_choisie: null }).filter(([k]) => k !== 'adresse_choisie'));
    assert.equal(again.status, 400);
    assert.equal(stepOf(again.text), 'location');
    assert.match(decodeEntities(again.text), /<a href="#adresse_choisie-0">Choisissez l’une des adresses proposées/);
});

test('a category that no longer exists is refused, even on a report begun from another', async () => {
    const b = new Browser(srv);
    const first = await b.get('/demarches/nid-de-poule');
    let form = procedureForm(first.text);
    let r = await b.submit(form, answers(form, { address: 'devant la poste' }));
    form = procedureForm(r.text);
    r = await b.submit(form, answers(form, { description: 'Un trou.', categorie: 'plus-de-categorie' }));
    assert.equal(r.status, 400);
    assert.match(decodeEntities(r.text), /Cette catégorie n’existe plus/);
});

test('the incidents near the place, «moi aussi», and the category they share', async () => {
    /* Two street lights out at a place of their own, far from the demo's incidents; the
     * procedure publishes them at once. */
    const place = { address: 'Chemin des Essais', lat: '45.7301', long: '4.8902' };
    const refs = [];
    for (let i = 0; i < 2; i++) {
        const b = new Browser(srv);
        const r = await placeStep(b, place);
        const form = procedureForm(r.text);
        const what = await b.submit(form, answers(form, { description: 'Le lampadaire reste éteint la nuit.', categorie: 'eclairage-panne' }));
        assert.equal(stepOf(what.text), 'send', what.text.slice(0, 2000));
        const send = procedureForm(what.text);
        refs.push((await confirmation(b, await b.submit(send, answers(send, { 'attribute[nombre_lampadaires]': '2' })))).reference);
    }
    for (const ref of refs)
        assert.equal(srv.sql(`SELECT is_public FROM requests WHERE reference = '${ref}'`).trim(), '1');

    const b = new Browser(srv);
    const r = await placeStep(b, { address: 'Chemin des Essais', lat: '45.7302', long: '4.8903' });
    assert.equal(stepOf(r.text), 'what');
    const text = decodeEntities(r.text);
    assert.match(text, /<h2 id="nearby-title">Déjà signalé près d’ici \?<\/h2>/);
    const cards = text.split('<li class="card incident-card">').slice(1);
    assert.equal(cards.length, 2, 'both lights out are shown');
    for (const ref of refs) {
        const card = cards.find((c) => c.includes(`/signalements/${ref}"`));
        assert.ok(card, `no card for ${ref}`);
        assert.match(card, new RegExp(`<form method="post" action="/signalements/${ref}/moi-aussi">`));
    }
    /* The «moi aussi» forms stand outside the report's form (forms do not nest). */
    const nearbyEnd = text.indexOf('</section>', text.indexOf('nearby-title'));
    assert.ok(nearbyEnd > 0 && nearbyEnd < text.indexOf('name="step" value="what"'));
    /* No words yet: the category both share is proposed, and said to be. */
    assert.match(text, /value="eclairage-panne" data-keywords="[^"]*" checked/);
    assert.match(text, /Nous vous proposons « Éclairage public en panne », la catégorie des signalements voisins/);

    /* «Moi aussi» on one of them counts once. */
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(r.text)[1];
    const before = Number(srv.sql(`SELECT supporters FROM requests WHERE reference = '${refs[0]}'`).trim());
    const me = await b.submit({ enctype: 'application/x-www-form-urlencoded', action: `/signalements/${refs[0]}/moi-aussi` },
                              [['csrf_token', csrf], ['retour', '']]);
    assert.equal(me.status, 303);
    assert.equal(Number(srv.sql(`SELECT supporters FROM requests WHERE reference = '${refs[0]}'`).trim()), before + 1);

    /* The place's proposal sent back as it was while the words say a pothole: the words'
     * proposal is shown to confirm; the citizen's choice then stands. */
    const what = procedureForm(r.text);
    const said = 'Un grand trou dans la chaussée.';
    const check = await b.submit(what, answers(what, { description: said }));
    assert.equal(check.status, 400);
    assert.match(decodeEntities(check.text), /Nous vous proposons « Nid de poule » d’après ce que vous avez écrit/);
    assert.match(check.text, /value="nid-de-poule" data-keywords="[^"]*" checked/);
    const insist = procedureForm(check.text);
    const kept = await b.submit(insist, answers(insist, { description: said, categorie: 'eclairage-panne' }));
    assert.equal(kept.status, 200);
    assert.equal(stepOf(kept.text), 'send');
    assert.equal(hidden(kept.text, 'categorie'), 'eclairage-panne');

    /* Far from them: no list, no proposal. */
    const far = await placeStep(new Browser(srv), { address: 'Ailleurs', lat: '45.7001', long: '4.8002' });
    assert.equal(far.status, 200);
    assert.equal(stepOf(far.text), 'what');
    assert.doesNotMatch(far.text, /nearby-title/);
    assert.doesNotMatch(far.text, /name="categorie" value="[^"]*" data-keywords="[^"]*" checked/);
});
