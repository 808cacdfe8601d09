'use strict';
/*
 * The back office's areas (/agent/admin/zones): an admin creates an area from pasted
 * GeoJSON, sees each refusal beside its field with what was typed kept (a ring that crosses
 * itself named by its ring, a collection of two features, a code taken, an outline wholly
 * outside the collectivité's territory), each worded in French (in English with ?lang=en),
 * renames and redraws it, and cannot delete one a routing rule names; every write audited.
 * A manager sees the list and the map without the forms; an agent gets 403.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');

const square = (x0, y0, x1, y1) => [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
const polygon = (...rings) => JSON.stringify({ type: 'Polygon', coordinates: rings });

let srv, admin, agent, manager;

test.before(async () => {
    srv = await H.startServer({ requests: 0 });
    const tag = process.pid;
    admin = await F.login(srv, F.addAgent(srv, { email: `admin.zones.${tag}@ville-demo.test`, name: 'Admin Zones', role: 'admin' }));
    agent = await F.login(srv, F.addAgent(srv, { email: `agent.zones.${tag}@ville-demo.test`, name: 'Agent Zones', role: 'agent',
                                                 departments: ['voirie'] }));
    manager = await F.login(srv, F.addAgent(srv, { email: `resp.zones.${tag}@ville-demo.test`, name: 'Responsable Zones', role: 'manager',
                                                   departments: ['voirie'] }));
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

async function save(fields) {
    await admin.get('/agent/admin/zones');
    return admin.post('/agent/admin/zones', fields);
}

const areaId = (code) => srv.sql(`SELECT id FROM areas WHERE code = ${F.sqlq(code)};`).trim();

/* The whole access matrix (a visitor to the login, every other role 403) is in
 * backoffice_matrix.test.js. */
test('only admins reach the areas', async () => {
    const r = await agent.get('/agent/admin/zones');
    assert.equal(r.status, 403);
    const page = await admin.get('/agent/admin/zones');
    assert.equal(page.status, 200);
    assert.match(page.text, /<caption>Zones de la collectivité<\/caption>/);
    assert.match(page.text, /<label for="geojson">/);
});

test('a manager sees the areas and the map, read only', async () => {
    const page = await manager.get('/agent/admin/zones');
    assert.equal(page.status, 200);
    assert.match(page.text, /<caption>Zones de la collectivité<\/caption>/);
    assert.match(page.text, /id="zone-map"/);
    assert.match(F.textOf(page.text), /seuls les administrateurs les créent et les modifient/);
    assert.doesNotMatch(page.text, /<form method="post"[^>]*zones/, 'no form');
    assert.doesNotMatch(page.text, /modifier=/, 'no edit link');
    const r = await manager.post('/agent/admin/zones', { kind: 'quartier', code: 'resp', name: 'Resp', geojson: polygon(square(4.83, 45.76, 4.84, 45.77)) },
        { tokenFrom: '/agent/diffusions' });
    assert.equal(r.status, 403, 'writing stays with admins');
    const broadcasts = await manager.get('/agent/diffusions');
    if (/name="areas"/.test(broadcasts.text)) assert.match(broadcasts.text, /href="\/agent\/admin\/zones"/);
});

test('an area is created from pasted GeoJSON; bad outlines are refused beside the field, what was typed kept', async () => {
    const crossing = polygon([[4.80, 45.76], [4.82, 45.77], [4.82, 45.76], [4.80, 45.77], [4.80, 45.76]]);
    const cases = [
        [{ kind: 'quartier', code: 'essai', name: 'Centre', geojson: crossing },
         'Le tracé n’est pas accepté : l’anneau 1 se croise ou se touche près de [4.82, 45.76].', 'geojson'],
        [{ kind: 'quartier', code: 'essai', name: 'Centre', geojson: polygon(square(45.7, 4.8, 45.8, 4.9)) },
         'Le tracé n’est pas accepté : il est entièrement hors du territoire de la collectivité (longitude', 'geojson'],
        [{ kind: 'quartier', code: 'essai', name: 'Centre', geojson: polygon([[4.8, 45.7], [4.9, 45.7], [4.9, 95], [4.8, 45.7]]) },
         'l’anneau 1, position 3 : [4.9, 95] sort des limites (longitude de -180 à 180, latitude de -90 à 90).', 'geojson'],
        [{ kind: 'quartier', code: 'essai', name: 'Centre',
           geojson: JSON.stringify({ type: 'FeatureCollection', features: [
               { type: 'Feature', properties: {}, geometry: JSON.parse(polygon(square(4.8, 45.7, 4.9, 45.8))) },
               { type: 'Feature', properties: {}, geometry: JSON.parse(polygon(square(4.9, 45.7, 5.0, 45.8))) }] }) },
         'la collection contient 2 objets Feature ; un seul est attendu.', 'geojson'],
        [{ kind: 'quartier', code: 'essai', name: 'Centre', geojson: '' },
         'Le tracé n’est pas accepté', 'geojson'],
        [{ kind: 'quartier', code: 'es sai', name: 'Centre', geojson: polygon(square(4.8, 45.7, 4.9, 45.8)) },
         'Indiquez un code fait de lettres', 'code'],
        [{ kind: 'department', code: 'lune', name: 'Lune', geojson: polygon(square(4.8, 45.7, 4.9, 45.8)) },
         'le code d’un service existant', 'code'],
        [{ kind: 'quartier', code: 'essai', name: '', geojson: polygon(square(4.8, 45.7, 4.9, 45.8)) },
         'Indiquez le nom de la zone', 'name'],
    ];
    for (const [fields, message, field] of cases) {
        const r = await save(fields);
        assert.equal(r.status, 400, `${fields.code}: ${F.textOf(r.text).slice(0, 300)}`);
        assert.ok(F.textOf(r.text).includes(message), `«${message}» not in ${F.textOf(r.text).slice(0, 1500)}`);
        assert.match(r.text, new RegExp(`<a href="#${field}">`), 'the summary links to the field');
        assert.match(r.text, new RegExp(`id="${field}"[^>]*aria-invalid="true"`));
        if (fields.name) assert.ok(r.text.includes(`value="${fields.name}"`), 'the name typed is kept');
    }
    /* In English, the same reason in English. */
    await admin.get('/agent/admin/zones?lang=en');
    const en = await admin.post('/agent/admin/zones?lang=en', { kind: 'quartier', code: 'essai', name: 'Centre', geojson: crossing });
    assert.equal(en.status, 400);
    assert.ok(F.textOf(en.text).includes('The outline is not accepted: ring 1 crosses or touches itself near [4.82, 45.76].'),
        F.textOf(en.text).slice(0, 1500));
    assert.equal(srv.sql("SELECT count(*) FROM areas WHERE code IN ('essai', 'es sai', 'lune');").trim(), '0');

    let r = await save({ kind: 'quartier', code: 'essai', name: 'Centre', geojson: polygon(square(4.83, 45.76, 4.84, 45.77)) });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.match(r.location, /\/agent\/admin\/zones\?fait=zone_saved/);
    const id = areaId('essai');
    assert.ok(Number(id) > 0);
    assert.equal(srv.sql(`SELECT kind || ':' || name || ':' || vertices FROM areas WHERE id = ${id};`).trim(), 'quartier:Centre:5');
    const page = await admin.get('/agent/admin/zones');
    assert.match(F.textOf(page.text), /Centre essai Quartier 5 0/);
    assert.equal(srv.sql(`SELECT count(*) FROM audit_log WHERE action = 'admin' AND object_kind = 'area' AND object_ids = '${id}';`).trim(), '1');

    /* A file sent instead of the field: checked the same way, saved the same way. */
    await admin.get('/agent/admin/zones');
    /* The form as a browser sends it: multipart, the file a part of its own. */
    const upload = async (geojson, code) => {
        const fd = new FormData();
        for (const [k, v] of Object.entries({ csrf_token: admin.csrf, kind: 'broadcast', code, name: 'Par fichier', geojson: '' })) fd.append(k, v);
        fd.append('fichier', new Blob([geojson], { type: 'application/geo+json' }), 'zone.geojson');
        const res = await fetch(`${srv.url}/agent/admin/zones`, { method: 'POST', headers: { Cookie: admin.cookieHeader() },
                                                                  body: fd, redirect: 'manual' });
        return { status: res.status, text: await res.text() };
    };
    r = await upload(polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]), 'fichier');
    assert.equal(r.status, 400, F.textOf(r.text).slice(0, 500));
    assert.ok(F.textOf(r.text).includes('Le tracé n’est pas accepté : l’anneau 1 se croise ou se touche'));
    assert.doesNotMatch(F.textOf(r.text), /crosses/, 'no English after the French sentence');
    r = await upload(polygon(square(4.81, 45.75, 4.82, 45.76)), 'fichier');
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.equal(srv.sql("SELECT kind || ':' || vertices FROM areas WHERE code = 'fichier';").trim(), 'broadcast:5');

    /* The kind has the code already. */
    r = await save({ kind: 'quartier', code: 'essai', name: 'Autre', geojson: polygon(square(4.8, 45.7, 4.9, 45.8)) });
    assert.equal(r.status, 400);
    assert.ok(F.textOf(r.text).includes('Une zone de ce type porte déjà ce code'));

    /* Renamed, the outline kept; then redrawn. */
    r = await save({ id, name: 'Cœur de ville', geojson: '' });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.equal(srv.sql(`SELECT name || ':' || vertices || ':' || min_lon FROM areas WHERE id = ${id};`).trim(), 'Cœur de ville:5:4.83');
    r = await save({ id, name: 'Cœur de ville', geojson: JSON.stringify({ type: 'Feature', properties: {},
        geometry: JSON.parse(polygon([[4.8, 45.7], [4.9, 45.7], [4.85, 45.8], [4.8, 45.7]])) }) });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.equal(srv.sql(`SELECT vertices || ':' || min_lon FROM areas WHERE id = ${id};`).trim(), '4:4.8');
    assert.equal(srv.sql(`SELECT count(*) FROM audit_log WHERE object_kind = 'area' AND object_ids = '${id}';`).trim(), '3');
});

test('an area a routing rule names cannot be deleted; once the rule is gone it can', async () => {
    /* A department without a territory yet. */
    const dept = srv.sql("SELECT d.code FROM departments d JOIN tenants t ON t.id = d.tenant_id WHERE t.slug = 'ville-demo' AND NOT EXISTS (SELECT 1 FROM areas a WHERE a.kind = 'department' AND a.code = d.code AND a.tenant_id = d.tenant_id) ORDER BY d.code LIMIT 1;").trim();
    assert.ok(dept, 'every department has a territory');
    let r = await save({ kind: 'department', code: dept, name: 'Territoire de test', geojson: polygon(square(5.80, 45.76, 5.82, 45.77)) });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    const id = srv.sql(`SELECT id FROM areas WHERE kind = 'department' AND code = ${F.sqlq(dept)};`).trim();
    await admin.get('/agent/admin/routage');
    r = await admin.post('/agent/admin/routage', { active: '1', nom: 'Territoire de test', zone: 'named', territoire: dept, service: dept });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    const page = await admin.get('/agent/admin/zones');
    assert.match(F.textOf(page.text), new RegExp(`Territoire de test ${dept} Territoire de service \\(routage\\) 5 1`));

    r = await admin.post(`/agent/admin/zones/${id}/supprimer`, {});
    assert.equal(r.status, 409);
    assert.ok(F.textOf(r.text).includes('Cette zone ne peut pas être supprimée : une règle de routage l’utilise.'));
    assert.equal(srv.sql(`SELECT count(*) FROM areas WHERE id = ${id};`).trim(), '1');

    const rule = srv.sql("SELECT id FROM routing_rules WHERE name = 'Territoire de test';").trim();
    await admin.get('/agent/admin/routage');
    r = await admin.post(`/agent/admin/routage/${rule}/supprimer`, {});
    assert.equal(r.status, 303);
    await admin.get('/agent/admin/zones');
    r = await admin.post(`/agent/admin/zones/${id}/supprimer`, {});
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.match(r.location, /fait=zone_deleted/);
    assert.equal(srv.sql(`SELECT count(*) FROM areas WHERE id = ${id};`).trim(), '0');
    assert.equal(srv.sql(`SELECT count(*) FROM audit_log WHERE action = 'delete' AND object_kind = 'area' AND object_ids = '${id}';`).trim(), '1');
});
