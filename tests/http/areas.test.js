'use strict';
/*
 * areas — `guichet area import` and `guichet area list` against the demo commune's database
 * while its server runs: the demo's own areas listed, a GeoJSON file replacing one kind's
 * areas whole (counts printed, the other kinds kept, an area whose code stays keeping its
 * id), refused while a broadcast still being queued targets an area it drops, and a bad file
 * (an outline wholly outside the collectivité's territory included) refused with every
 * problem named by feature and code, exit status 2, nothing written.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, REPO } = require('./harness');

const FIXTURE = path.join(REPO, 'tests', 'fixtures', 'areas-demo.geojson');

async function withServer(t) {
    const srv = await startServer({ requests: 10 });
    t.after(() => srv.stop());
    return srv;
}

function list(srv, extra = []) {
    const r = srv.guichet(['area', 'list', '--db', srv.db, ...extra]);
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout.trimEnd().split('\n').filter(Boolean).map((l) => l.split('\t'));
}

function importFile(srv, kind, file) {
    return srv.guichet(['area', 'import', '--db', srv.db, '--kind', kind, file]);
}

test('the demo has areas of every kind; an import replaces its kind whole and keeps the others', async (t) => {
    const srv = await withServer(t);
    assert.deepStrictEqual(list(srv).map((r) => [r[0], r[1]]), [
        ['broadcast', 'commune'],
        ['department', 'espaces-verts'], ['department', 'proprete'], ['department', 'voirie'],
        ['quartier', 'centre'], ['quartier', 'nord'], ['quartier', 'sud'],
    ]);

    const idOf = (kind, code) => srv.sql(`SELECT id FROM areas WHERE kind = '${kind}' AND code = '${code}';`).trim();
    const proprete = idOf('department', 'proprete');
    let r = importFile(srv, 'department', FIXTURE);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /4 department area\(s\), 30 positions, imported for ville-demo \(areas of the same code keep their ids\), deleting 0\n/);
    assert.strictEqual(idOf('department', 'proprete'), proprete, 'the area whose code stays keeps its id');
    /* The file's order is kept, the names read from «nom», «name» and «libelle». */
    assert.deepStrictEqual(list(srv, ['--kind', 'department']), [
        ['department', 'eclairage', 'Place de l\'Hôtel de Ville', '5'],
        ['department', 'proprete', 'Centre-ville (hors place)', '10'],
        ['department', 'espaces-verts', 'Parcs du Nord et du Sud', '10'],
        ['department', 'voirie', 'Toute la commune', '5'],
    ]);
    assert.deepStrictEqual(list(srv, ['--kind', 'quartier']).map((row) => row[1]), ['centre', 'nord', 'sud']);

    /* The same file as quartiers: codes need not be departments' there. A broadcast still
     * being queued to quartier nord, which the file drops, holds the import back. */
    srv.sql(`INSERT INTO broadcasts (id, tenant_id, subject, body, areas, base_url, created_by, created_at)
             SELECT 900, tenant_id, 'Fête du quartier', 'Samedi', json_array(id), 'https://x', 'test', 1
             FROM areas WHERE kind = 'quartier' AND code = 'nord';`);
    r = importFile(srv, 'quartier', FIXTURE);
    assert.strictEqual(r.status, 2, r.stdout + r.stderr);
    assert.deepStrictEqual(r.stderr.trimEnd().split('\n'), [
        'guichet area import: broadcast 900 («Fête du quartier»), not yet sent to all its recipients, targets area nord, which the file no longer has: keep the area\'s code, or import once the broadcast is sent',
        'guichet area import: 1 problem(s): nothing imported, ville-demo keeps its quartier areas',
    ]);
    assert.deepStrictEqual(list(srv, ['--kind', 'quartier']).map((row) => row[1]), ['centre', 'nord', 'sud']);
    srv.sql('UPDATE broadcasts SET queued_at = 2 WHERE id = 900;');
    r = importFile(srv, 'quartier', FIXTURE);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /4 quartier area\(s\), 30 positions, imported for ville-demo \(areas of the same code keep their ids\), deleting 3\n/);
    assert.strictEqual(list(srv, ['--kind', 'department']).length, 4);
    assert.strictEqual(list(srv, ['--kind', 'broadcast']).length, 1);
});

test('a bad file: every problem named by feature and code, exit 2, nothing written', async (t) => {
    const srv = await withServer(t);
    const before = list(srv);
    const doc = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
    doc.features[0].properties.code = 'piscine';                       /* no such department */
    doc.features[1].geometry.coordinates[0].pop();                      /* outer ring not closed */
    doc.features[2].geometry.coordinates[1][0][2] = [200, 45.7];        /* out of range */
    delete doc.features[3].properties.nom;                              /* no name */
    doc.features.push({ type: 'Feature', properties: { code: 'voirie', nom: 'Encore' },
                        geometry: { type: 'Polygon',
                                    coordinates: [[[4.83, 45.76], [4.84, 45.77], [4.84, 45.76],
                                                   [4.83, 45.77], [4.83, 45.76]]] } });
    const bad = path.join(srv.dir, 'bad.geojson');
    fs.writeFileSync(bad, JSON.stringify(doc));
    const r = importFile(srv, 'department', bad);
    assert.strictEqual(r.status, 2, r.stdout + r.stderr);
    assert.strictEqual(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.deepStrictEqual(lines, [
        'guichet area import: feature 0 (code piscine): no department of the collectivité has this code',
        'guichet area import: feature 1 (code proprete): ring 1 is not closed (its last position must repeat its first)',
        'guichet area import: feature 2 (code espaces-verts): polygon 2, ring 1, position 3: [200, 45.7] out of range (longitude -180 to 180, latitude -90 to 90)',
        'guichet area import: feature 3 (code voirie): no name (properties "name", "nom", "libelle" or "label")',
        'guichet area import: feature 4 (code voirie): code already used by feature 3',
        'guichet area import: feature 4 (code voirie): ring 1 crosses or touches itself near [4.84, 45.76]',
        'guichet area import: 6 problem(s): nothing imported, ville-demo keeps its department areas',
    ]);
    assert.deepStrictEqual(list(srv), before);

    /* Positions written latitude first: wholly outside the collectivité's territory. */
    fs.writeFileSync(bad, JSON.stringify({ type: 'FeatureCollection', features: [
        { type: 'Feature', properties: { code: 'lac', nom: 'Lac' },
          geometry: { type: 'Polygon', coordinates: [[[45.76, 4.83], [45.76, 4.84], [45.77, 4.84], [45.76, 4.83]]] } }] }));
    let s = importFile(srv, 'broadcast', bad);
    assert.strictEqual(s.status, 2, s.stdout + s.stderr);
    assert.match(s.stderr, /^guichet area import: feature 0 \(code lac\): the geometry lies wholly outside the collectivité's bounds \(longitude [0-9.]+ to [0-9.]+, latitude [0-9.]+ to [0-9.]+\): are its positions longitude first, then latitude\?\n/);
    assert.deepStrictEqual(list(srv), before);

    /* Not JSON, an unknown kind: refused the same way. */
    fs.writeFileSync(bad, '{"type": "FeatureCollection", "features": [');
    s = importFile(srv, 'department', bad);
    assert.strictEqual(s.status, 2);
    assert.match(s.stderr, /^guichet area import: not JSON: line 1, column \d+: /);
    s = importFile(srv, 'zone', FIXTURE);
    assert.strictEqual(s.status, 2);
    assert.match(s.stderr, /unknown --kind 'zone' \(department, quartier or broadcast\)/);
    s = importFile(srv, 'quartier', path.join(srv.dir, 'absent.geojson'));
    assert.strictEqual(s.status, 1);
    assert.match(s.stderr, /cannot open/);
    assert.deepStrictEqual(list(srv), before);
});
