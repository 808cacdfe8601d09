'use strict';
/*
 * routing — the routing rules against a real server on the demo commune, its department
 * territories replaced by two of the test's own (propreté's with a hole): rules added on
 * /agent/admin/routage and refused there with their precise messages, a portal filing and
 * Open311 creates routed by area (a point in the hole goes to the procedure's department)
 * and by a field's value, the timeline naming the rule (internal: not on the citizen's
 * page), the tester, and «Re-router»: refused to an agent, moving the request for a manager
 * with its events and audit entry, then saying nothing changed.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const H = require('./harness');
const F = require('../browser/bo_flows');
const { Browser, procedureForm, fill, confirmation } = require('./portal_client');

const square = (x0, y0, x1, y1) => [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
const feature = (code, rings) => ({ type: 'Feature', properties: { code, nom: code },
                                    geometry: { type: 'Polygon', coordinates: rings } });
/* The portal's sample point (45.764, 4.8357) is in espaces-verts' territory; propreté's lies
 * west, with a hole around (45.765, 4.81). */
const TERRITORIES = { type: 'FeatureCollection', features: [
    feature('espaces-verts', [square(4.83, 45.76, 4.84, 45.77)]),
    feature('proprete', [square(4.80, 45.76, 4.82, 45.77), square(4.805, 45.762, 4.815, 45.768)]),
] };

let srv, admin, manager, agent;

test.before(async () => {
    srv = await H.startServer({ requests: 5 });
    const file = path.join(srv.dir, 'territoires.geojson');
    fs.writeFileSync(file, JSON.stringify(TERRITORIES));
    const r = srv.guichet(['area', 'import', '--db', srv.db, '--kind', 'department', file]);
    assert.equal(r.status, 0, r.stderr);
    const tag = process.pid;
    admin = await F.login(srv, F.addAgent(srv, { email: `admin.routage.${tag}@ville-demo.test`, name: 'Admin Routage', role: 'admin' }));
    manager = await F.login(srv, F.addAgent(srv, { email: `chef.routage.${tag}@ville-demo.test`, name: 'Chef Routage', role: 'manager',
                                                   departments: ['voirie', 'proprete', 'accueil', 'espaces-verts'] }));
    agent = await F.login(srv, F.addAgent(srv, { email: `agent.routage.${tag}@ville-demo.test`, name: 'Agent Routage', role: 'agent',
                                                 departments: ['voirie', 'proprete', 'accueil', 'espaces-verts'] }));
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

const departmentOf = (ref) => srv.sql(`SELECT d.code FROM requests r LEFT JOIN departments d ON d.id = r.department_id WHERE r.reference = ${F.sqlq(ref)};`).trim();
const eventsOf = (ref) => srv.sql(`SELECT e.kind || ':' || e.is_public || ':' || coalesce(e.body, '') FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = ${F.sqlq(ref)} ORDER BY e.id;`).trim().split('\n');

async function addRule(fields) {
    await admin.get('/agent/admin/routage');
    return admin.post('/agent/admin/routage', Object.assign({ active: '1' }, fields));
}

/* Files a pothole on the portal, step by step, at the point the map would have given. */
async function fileAt(b, lat, long) {
    let r = await b.get('/demarches/nid-de-poule');
    for (let step = 0; step < 12 && r.status === 200; step++) {
        const form = procedureForm(r.text);
        assert.ok(form, `no procedure form on the page:\n${r.text.slice(0, 2000)}`);
        const fields = fill(form).map(([k, v]) => [k, k === 'lat' ? lat : k === 'long' ? long : v]);
        r = await b.submit(form, fields);
    }
    return confirmation(b, r);
}

async function openRoutedRequest({ lat, long, taille = 'petit' }) {
    const body = await H.validPostBody(srv, 'nid-de-poule', { lat, long, 'attribute[taille]': taille });
    const r = await H.request(srv, 'POST', '/open311/v2/requests.json', { form: body });
    assert.ok([200, 201].includes(r.status), `POST requests.json: ${r.status} ${r.text.slice(0, 300)}`);
    return r.json[0].service_request_id;
}

test('the administration refuses a bad rule with a precise message, and keeps what was typed', async () => {
    const cases = [
        [{ nom: 'Champ inconnu', procedure: 'nid-de-poule', champ: 'couleur', valeur: 'rouge', service: 'voirie' },
         'La démarche choisie n\'a pas de champ à remplir qui porte ce code.', 'champ'],
        [{ nom: 'Option inconnue', procedure: 'nid-de-poule', champ: 'taille', valeur: 'immense', service: 'voirie' },
         'Cette valeur n\'est pas l\'une des options du champ : donnez la clé de l\'une d\'elles.', 'valeur'],
        [{ nom: 'Un quartier', zone: 'named', territoire: 'centre', service: 'voirie' },
         'Ce code est celui d\'un quartier ou d\'une zone de diffusion, pas du territoire d\'un service.', 'territoire'],
        [{ nom: 'Territoire inconnu', zone: 'named', territoire: 'lune', service: 'voirie' },
         'Aucun territoire de service ne porte ce code.', 'territoire'],
        [{ nom: 'Service en trop', zone: 'own', service: 'voirie' },
         'Avec « dans le territoire d\'un service », la demande va au service de ce territoire : ne choisissez pas de service destinataire.', 'service'],
        [{ nom: '', service: 'voirie' }, 'Donnez un nom à la règle.', 'nom'],
        [{ nom: 'Sans service' }, 'Choisissez le service qui reçoit les demandes.', 'service'],
    ];
    for (const [fields, message, field] of cases) {
        const r = await addRule(fields);
        assert.equal(r.status, 400, `${fields.nom}: ${F.textOf(r.text).slice(0, 300)}`);
        assert.ok(F.textOf(r.text).includes(message), `${fields.nom}: «${message}» not in ${F.textOf(r.text).slice(0, 1500)}`);
        assert.match(r.text, new RegExp(`<a href="#${field}">`), 'the summary links to the field');
        assert.match(r.text, new RegExp(`id="${field}"[^>]*aria-invalid="true"`));
        if (fields.nom) assert.ok(r.text.includes(`value="${fields.nom}"`), 'the name typed is kept');
    }
    assert.equal(srv.sql('SELECT count(*) FROM routing_rules;').trim(), '0');
});

test('a portal filing and Open311 creates are routed by area (not from a hole) and by a field\'s value', async () => {
    let r = await addRule({ nom: 'Territoires', zone: 'own' });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.match(r.location, /\/agent\/admin\/routage\?fait=routing_saved/);
    const rule = srv.sql("SELECT id FROM routing_rules WHERE name = 'Territoires';").trim();
    assert.ok(Number(rule) > 0);
    assert.equal(srv.sql(`SELECT count(*) FROM audit_log WHERE action = 'admin' AND object_kind = 'routing_rule' AND object_ids = '${rule}';`).trim(), '1');

    /* The portal: the sample point lies in espaces-verts' territory, not voirie's procedure. */
    const citizen = new Browser(srv);
    const filed = await fileAt(citizen, '45.764', '4.8357');
    assert.equal(departmentOf(filed.reference), 'espaces-verts');
    assert.deepEqual(eventsOf(filed.reference), ['created:1:', 'routed_rule:0:Territoires']);
    /* The citizen's page does not name the rule. */
    const track = await citizen.get(`/suivi/${encodeURIComponent(filed.reference)}?jeton=${encodeURIComponent(filed.token)}`);
    assert.equal(track.status, 200);
    assert.ok(!track.text.includes('Territoires'));

    /* Open311: in propreté's territory; in its hole, the procedure's department. */
    const west = await openRoutedRequest({ lat: '45.7615', long: '4.81' });
    assert.equal(departmentOf(west), 'proprete');
    const hole = await openRoutedRequest({ lat: '45.765', long: '4.81' });
    assert.equal(departmentOf(hole), 'voirie');
    assert.deepEqual(eventsOf(hole), ['created:1:']);

    /* A field's value, moved first: large potholes go to the accueil wherever they are. */
    r = await addRule({ nom: 'Grands trous', procedure: 'nid-de-poule', champ: 'taille', valeur: 'grand', service: 'accueil' });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    const big = srv.sql("SELECT id FROM routing_rules WHERE name = 'Grands trous';").trim();
    r = await admin.post(`/agent/admin/routage/${big}/monter`, {});
    assert.equal(r.status, 303);
    const list = await admin.get('/agent/admin/routage');
    const text = F.textOf(list.text);
    assert.ok(text.indexOf('Grands trous') < text.indexOf('Territoires'), 'moved up, it is listed first');
    assert.ok(text.includes('Taille du nid de poule : Grand (plus de 50 cm)'), 'its condition is told in words');
    const large = await openRoutedRequest({ lat: '45.7615', long: '4.81', taille: 'grand' });
    assert.equal(departmentOf(large), 'accueil');
    assert.deepEqual(eventsOf(large), ['created:1:', 'routed_rule:0:Grands trous']);

    /* The back office's timeline names the rule. */
    const page = await manager.get(`/agent/demandes/${encodeURIComponent(large)}`);
    assert.equal(page.status, 200);
    assert.ok(F.textOf(page.text).includes('Routée par la règle « Grands trous »'));

    /* The tester says the same without writing anything. */
    const before = srv.sql('SELECT count(*) FROM requests;').trim();
    const tested = await admin.get('/agent/admin/routage?t_procedure=nid-de-poule&t_champ=taille&t_valeur=grand&t_lieu=45.7615%2C+4.81');
    assert.equal(tested.status, 200);
    assert.ok(F.textOf(tested.text).includes('Routée par la règle « Grands trous ».'), F.textOf(tested.text).slice(-800));
    assert.match(F.textOf(tested.text), /Service Accueil et relations usagers/);
    const inHole = await admin.get('/agent/admin/routage?t_procedure=nid-de-poule&t_champ=&t_valeur=&t_lieu=45.765+4.81');
    assert.ok(F.textOf(inHole.text).includes('Aucune règle ne s\'applique : la demande va au service de sa démarche.'));
    const nowhere = await admin.get('/agent/admin/routage?t_procedure=nid-de-poule&t_lieu=quelque+part');
    assert.equal(nowhere.status, 400);
    assert.ok(F.textOf(nowhere.text).includes('Aucune adresse de la liste ne correspond à ce lieu'));
    assert.equal(srv.sql('SELECT count(*) FROM requests;').trim(), before);
});

test('re-router: refused to an agent; a manager moves the request with its events and entry, then nothing changes', async () => {
    const ref = await openRoutedRequest({ lat: '45.765', long: '4.81' });
    assert.equal(departmentOf(ref), 'voirie');
    const r0 = await addRule({ nom: 'Nids en propreté', procedure: 'nid-de-poule', service: 'proprete' });
    assert.equal(r0.status, 303, F.textOf(r0.text).slice(0, 500));

    const url = `/agent/demandes/${encodeURIComponent(ref)}`;
    let page = await agent.get(url);
    assert.equal(page.status, 200);
    assert.ok(!page.text.includes('/rerouter'), 'an agent is not offered the button');
    let r = await agent.post(`${url}/rerouter`, {});
    assert.equal(r.status, 403);
    assert.equal(departmentOf(ref), 'voirie');

    page = await manager.get(url);
    assert.ok(page.text.includes(`action="${url}/rerouter"`), 'a manager is offered the button');
    const entries = () => srv.sql(`SELECT count(*) FROM audit_log a JOIN requests r ON a.object_ids = CAST(r.id AS TEXT) WHERE r.reference = ${F.sqlq(ref)} AND a.action = 'change';`).trim();
    r = await manager.post(`${url}/rerouter`, {});
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.match(r.location, /\?fait=rerouter#/);
    assert.equal(departmentOf(ref), 'proprete');
    assert.deepEqual(eventsOf(ref), ['created:1:', 'department:0:proprete', 'routed_rule:0:Nids en propreté']);
    assert.equal(entries(), '1');
    page = await manager.follow(r);
    assert.ok(F.textOf(page.text).includes('La demande est routée de nouveau'));

    r = await manager.post(`${url}/rerouter`, {});
    assert.equal(r.status, 303);
    assert.match(r.location, /\?fait=rerouter_inchange#/);
    page = await manager.follow(r);
    assert.ok(F.textOf(page.text).includes('Les règles de routage confient cette demande au service qu\'elle a déjà : rien n\'a changé.'));
    assert.equal(eventsOf(ref).length, 3);
    assert.equal(entries(), '1');
});

test('an agent\'s intake choosing a department is not routed; without a choice, the rules decide', async () => {
    const intake = async (service) => {
        const form = await agent.get('/agent/saisie?canal=phone&demarche=nid-de-poule');
        assert.equal(form.status, 200);
        assert.match(form.text, /<select id="service" name="service"/);
        const r = await agent.post('/agent/saisie', {
            canal: 'phone', demarche: 'nid-de-poule', prenom: 'Jeanne', nom: 'Routage', tel: '0601020304',
            email: '', langue: 'fr', description: 'Appel : un grand trou.', adresse: '1 place de la Mairie',
            lat: '45.7615', long: '4.81', attr_taille: 'grand', service,
        });
        assert.equal(r.status, 201, F.textOf(r.text).slice(0, 800));
        return /<span class="reference">([0-9-]+)<\/span>/.exec(r.text)[1];
    };
    const chosen = await intake('voirie');
    assert.equal(departmentOf(chosen), 'voirie');
    assert.deepEqual(eventsOf(chosen), ['created:1:']);
    const routed = await intake('');
    assert.equal(departmentOf(routed), 'accueil');
    assert.deepEqual(eventsOf(routed), ['created:1:', 'routed_rule:0:Grands trous']);
    /* A manager re-routes a selection from the inbox, in one job: the rules move the
     * agent's choice and leave the routed one where it is. */
    await manager.get('/agent/');
    const body = new URLSearchParams([['csrf_token', manager.csrf], ['action', 'rerouter'], ['ids', chosen],
                                      ['ids', routed], ['retour', '/agent/?onglet=tout']]).toString();
    const lot = await manager.req('POST', '/agent/lot', { form: body });
    assert.equal(lot.status, 303, F.textOf(lot.text).slice(0, 500));
    assert.match(lot.location, /fait=lot&n=1&sur=2$/, 'one moved, the other already where the rules send it');
    assert.equal(departmentOf(chosen), 'accueil');
    assert.deepEqual(eventsOf(chosen), ['created:1:', 'department:0:accueil', 'routed_rule:0:Grands trous']);
    assert.equal(eventsOf(routed).length, 2);
    const form = await agent.get('/agent/saisie?canal=phone&demarche=nid-de-poule');
    assert.equal(form.status, 200);
    const bad = await agent.post('/agent/saisie', { canal: 'phone', demarche: 'nid-de-poule', service: 'piscine',
                                                    description: 'x', lat: '45.7615', long: '4.81', attr_taille: 'grand' });
    assert.equal(bad.status, 400);
    assert.ok(F.textOf(bad.text).includes('Ce service n\'existe pas dans la collectivité'));
});

test('only admins reach the routing administration', async () => {
    const r = await manager.get('/agent/admin/routage');
    assert.equal(r.status, 403);
    const p = await manager.post('/agent/admin/routage', { nom: 'Par un chef', service: 'voirie' });
    assert.equal(p.status, 403);
    assert.equal(srv.sql("SELECT count(*) FROM routing_rules WHERE name = 'Par un chef';").trim(), '0');
});
