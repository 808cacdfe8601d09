'use strict';
/*
 * procedures — `guichet procedure export` and `guichet procedure import` against the demo
 * commune's database while its server runs: the export matches the committed JSON Schema and
 * goes through a freshly initialised database unchanged (export → import → export gives the
 * same bytes), with department areas and routing rules too, and so does a fresh database's own
 * export (the shipped workflows alone); the running server sees an
 * imported procedure; a bad document is refused with every problem listed, exit 2 and nothing
 * written; --code exports one procedure with what it refers to; a document on standard input;
 * a form changed makes one new version, an unchanged one none.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, request, sleep, BIN } = require('./harness');
const { validateSchemaFile } = require('./schemas');

const SCHEMA = 'procedures.schema.json';

async function withServer(t) {
    const srv = await startServer({ requests: 10 });
    t.after(() => srv.stop());
    return srv;
}

function exportDoc(srv, db, extra = []) {
    const r = srv.guichet(['procedure', 'export', '--db', db || srv.db, ...extra]);
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout;
}

function importFile(srv, db, file) {
    return srv.guichet(['procedure', 'import', '--db', db || srv.db, file]);
}

function writeDoc(srv, name, doc) {
    const file = path.join(srv.dir, name);
    fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 1));
    return file;
}

/* A new database holding only the demo's collectivité, none of its definitions. */
function freshDb(srv, name) {
    const db = path.join(srv.dir, name);
    for (const args of [['init', '--db', db],
                        ['tenant', 'add', '--db', db, '--slug', 'ville-demo', '--name', 'Ville de Démo']]) {
        const r = srv.guichet(args);
        assert.strictEqual(r.status, 0, r.stderr);
    }
    return db;
}

/* The demo's definitions with routing that needs department areas: a rule on a named area,
 * one on the area holding the location, one on a field's value; and a new procedure. */
function withRouting(doc) {
    doc.routing = {
        default_department: 'accueil',
        rules: [
            { name: 'Nids de poule sur piste cyclable', active: true, procedure: 'nid-de-poule',
              field: 'emplacement', value: 'piste-cyclable', area: 'none', area_code: null,
              department: 'voirie' },
            { name: 'Graffitis du centre', active: true, procedure: 'graffiti', field: null,
              value: null, area: 'named', area_code: 'proprete', department: 'proprete' },
            { name: 'Par secteur', active: false, procedure: null, field: null, value: null,
              area: 'own', area_code: null, department: null },
        ],
    };
    doc.procedures.push({
        code: 'banc-casse', name: 'Banc cassé', name_en: 'Broken bench', kind: 'incident',
        group: 'Voirie', description: 'Un banc public abîmé.', workflow: 'incident',
        department: 'voirie', open311: true, open311_detail: 'status',
        form: [{ code: 'lieu', datatype: 'string', description: 'Où ?', required: true,
                 variable: true, order: 1 }],
    });
    return doc;
}

async function services(srv) {
    const r = await request(srv, 'GET', '/open311/v2/services.json');
    assert.strictEqual(r.status, 200);
    return r.json.map((s) => s.service_code);
}

test('export matches the schema and goes through a fresh database unchanged, areas and rules included', async (t) => {
    const srv = await withServer(t);
    const first = exportDoc(srv);
    const doc = JSON.parse(first);
    validateSchemaFile(SCHEMA, doc);
    assert.deepStrictEqual(doc.areas, [], 'the demo has no routing rule, so no area is needed');

    /* Import routing rules and a procedure into the running server's database. */
    let r = importFile(srv, null, writeDoc(srv, 'routing.json', withRouting(doc)));
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stdout,
        'guichet procedure import: for ville-demo: 0 department(s) and 0 area(s) created; ' +
        '0 workflow(s) created, 0 updated; 1 procedure(s) created, 13 updated ' +
        '(0 new form version(s)); routing replaced (3 rule(s))\n');
    /* The server notices the change (config_version) without a restart. */
    let codes = [];
    for (let i = 0; i < 50 && !codes.includes('banc-casse'); i++) {
        codes = await services(srv);
        if (!codes.includes('banc-casse')) await sleep(100);
    }
    assert.ok(codes.includes('banc-casse'), codes.join(' '));

    const a = exportDoc(srv);
    const exported = JSON.parse(a);
    validateSchemaFile(SCHEMA, exported);
    /* A rule routes by the area holding the location: every department area comes along,
     * in the order they are tried. */
    assert.deepStrictEqual(exported.areas.map((x) => [x.code, x.department]),
        [['espaces-verts', 'espaces-verts'], ['proprete', 'proprete'], ['voirie', 'voirie']]);
    assert.deepStrictEqual(exported.routing.rules.map((x) => x.name),
        ['Nids de poule sur piste cyclable', 'Graffitis du centre', 'Par secteur']);
    assert.strictEqual(exported.routing.default_department, 'accueil');
    assert.doesNotMatch(a, /"id"|_at"/, 'no database id nor timestamp');

    const fresh = freshDb(srv, 'fresh.db');
    r = importFile(srv, fresh, writeDoc(srv, 'a.json', a));
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /: 9 department\(s\) and 3 area\(s\) created; 0 workflow\(s\) created, 0 updated; 14 procedure\(s\) created, 0 updated/);
    assert.strictEqual(exportDoc(srv, fresh), a, 'export → import → export gives the same bytes');

    /* Importing the same document again changes nothing that shows. */
    r = importFile(srv, fresh, path.join(srv.dir, 'a.json'));
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /0 department\(s\) and 0 area\(s\) created; 0 workflow\(s\) created, 0 updated; 0 procedure\(s\) created, 14 updated \(0 new form version\(s\)\)/);
    assert.strictEqual(exportDoc(srv, fresh), a);
});

test('a fresh database: its export (the shipped workflows alone) goes through another unchanged', async (t) => {
    const srv = await withServer(t);
    const one = freshDb(srv, 'one.db');
    const text = exportDoc(srv, one);
    const doc = JSON.parse(text);
    validateSchemaFile(SCHEMA, doc);
    assert.deepStrictEqual(doc.workflows.map((w) => w.code), ['demarche', 'demarche_sva', 'incident', 'question']);
    assert.deepStrictEqual([doc.departments, doc.procedures, doc.routing.rules], [[], [], []]);
    const two = freshDb(srv, 'two.db');
    const r = importFile(srv, two, writeDoc(srv, 'one.json', text));
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /0 workflow\(s\) created, 0 updated; 0 procedure\(s\) created/);
    assert.strictEqual(exportDoc(srv, two), text);
});

test('a bad document: every problem listed with its place, exit 2, nothing written', async (t) => {
    const srv = await withServer(t);
    const before = exportDoc(srv);
    const versions = srv.sql('SELECT count(*) FROM procedure_versions').trim();
    const doc = JSON.parse(before);
    const incident = doc.workflows.find((w) => w.code === 'incident');
    incident.transitions[2].to = 'fermee';
    const demarche = doc.workflows.find((w) => w.code === 'demarche');
    demarche.statuses.push(Object.assign({}, demarche.statuses[1], { code: 'orpheline' }));
    const question = doc.workflows.find((w) => w.code === 'question');
    question.transitions.push({ from: 'answered', to: 'new', label: 'Rouvrir', label_en: null,
                                roles: ['agent'], comment_required: false });
    question.statuses[0].initial = false;
    doc.procedures[1].workflow = 'inconnu';
    doc.procedures[2].form.push({ code: 'suite', datatype: 'string', description: 'Suite',
                                  order: 9, required: false, variable: true,
                                  show_if: { field: 'zz', equals: 'x' } });
    doc.procedures[3].form.push(Object.assign({}, doc.procedures[3].form[0]));
    doc.procedures.push(Object.assign({}, doc.procedures[0]));
    doc.areas.push({ kind: 'department', code: 'z1', name: 'Zone', department: 'voirie',
                     geometry: { type: 'Polygon',
                                 coordinates: [[[4.83, 45.76], [4.84, 45.77], [4.84, 45.76],
                                                [4.83, 45.77], [4.83, 45.76]]] } });
    doc.routing.rules.push({ name: 'r1', procedure: 'piscine', area: 'named', area_code: 'z9',
                             department: 'voirie' });
    doc.routing.rules.push({ name: 'r2', procedure: 'nid-de-poule', field: 'couleur',
                             value: 'rouge', department: 'voirie' });
    doc.surprise = true;
    const r = importFile(srv, null, writeDoc(srv, 'bad.json', doc));
    assert.strictEqual(r.status, 2, r.stdout + r.stderr);
    assert.strictEqual(r.stdout, '');
    const p = 'guichet procedure import: ';
    assert.deepStrictEqual(r.stderr.trimEnd().split('\n'), [
        p + 'document: unknown member "surprise"',
        p + 'areas[0] (z1): geometry: ring 1 crosses or touches itself near [4.84, 45.76]',
        p + 'workflows[0] (demarche): status "orpheline" is not reachable from the initial status "submitted"',
        p + 'workflows[2] (incident): transition new → fermee goes to unknown status "fermee"',
        p + 'workflows[3] (question): it has no initial status (it needs exactly one)',
        p + 'workflows[3] (question): transition answered → new leaves final status "answered"',
        p + 'procedures[1] (aide-ccas): workflow "inconnu" is neither in the file nor in the database',
        p + 'procedures[2] (arbre-dangereux): form[3] (suite) has a condition on an unknown field: "zz"',
        p + 'procedures[3] (depot-sauvage): form[3] (types_dechets) repeats the code of an earlier field',
        p + 'procedures[13] (acte-etat-civil): the code "acte-etat-civil" is an earlier procedure\'s',
        p + 'routing.rules[0] (r1): procedure "piscine" is neither in the file nor in the database',
        p + 'routing.rules[0] (r1): department area "z9" is neither in the file nor in the database',
        p + 'routing.rules[1] (r2): procedure "nid-de-poule" has no field "couleur"',
        p + '13 problem(s): nothing imported',
    ]);
    assert.strictEqual(exportDoc(srv), before);
    assert.strictEqual(srv.sql('SELECT count(*) FROM procedure_versions').trim(), versions);
});

test('a workflow may not lose a status requests are in, nor a procedure move to one without it', async (t) => {
    const srv = await withServer(t);
    const before = exportDoc(srv);
    const [proc, status] = srv.sql(
        "SELECT p.code, r.status FROM requests r JOIN procedures p ON p.id = r.procedure_id " +
        "WHERE r.status <> 'new' ORDER BY p.code, r.status LIMIT 1").trim().split('|');
    const doc = JSON.parse(before);
    const incident = doc.workflows.find((w) => w.code === 'incident');
    incident.statuses = incident.statuses.filter((s) => s.code !== status);
    incident.transitions = incident.transitions.filter((x) => x.from !== status && x.to !== status);
    for (const s of incident.statuses) if (s.reopen_to === status) s.reopen_to = null;
    const r = importFile(srv, null, writeDoc(srv, 'gone.json', doc));
    assert.strictEqual(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`workflows\\[2\\] \\(incident\\): status "${status}" would disappear, ` +
                                      `but \\d+ request\\(s\\) of procedure "${proc}" are in it`));
    assert.strictEqual(exportDoc(srv), before);
});

test('--code: one procedure with its department and workflow, no routing; unknown code refused', async (t) => {
    const srv = await withServer(t);
    const one = JSON.parse(exportDoc(srv, null, ['--code', 'nid-de-poule']));
    validateSchemaFile(SCHEMA, one);
    assert.deepStrictEqual(one.procedures.map((p) => p.code), ['nid-de-poule']);
    assert.deepStrictEqual(one.departments.map((d) => d.code), ['voirie']);
    assert.deepStrictEqual(one.workflows.map((w) => w.code), ['incident']);
    assert.deepStrictEqual(one.areas, []);
    assert.strictEqual(one.routing, undefined);

    const fresh = freshDb(srv, 'one.db');
    const r = importFile(srv, fresh, writeDoc(srv, 'one.json', one));
    assert.strictEqual(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /routing/);
    assert.deepStrictEqual(JSON.parse(exportDoc(srv, fresh, ['--code', 'nid-de-poule'])), one);

    const bad = srv.guichet(['procedure', 'export', '--db', srv.db, '--code', 'piscine']);
    assert.strictEqual(bad.status, 2);
    assert.strictEqual(bad.stdout, '');
    assert.strictEqual(bad.stderr, 'guichet procedure export: no procedure has the code "piscine"\n');
});

test('standard input; a changed form makes one new version by the command line, an unchanged one none', async (t) => {
    const srv = await withServer(t);
    const doc = JSON.parse(exportDoc(srv));
    const nid = doc.procedures.find((p) => p.code === 'nid-de-poule');
    const count = () => Number(srv.sql(
        "SELECT count(*) FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id " +
        "WHERE p.code = 'nid-de-poule'").trim());
    const versions = count();
    nid.form[0].description = 'Taille du trou (environ)';
    const run = (text) => spawnSync(BIN, ['procedure', 'import', '--db', srv.db, '-'],
                                    { input: text, encoding: 'utf8' });
    let r = run(JSON.stringify(doc));
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /13 updated \(1 new form version\(s\)\)/);
    assert.strictEqual(count(), versions + 1);
    assert.strictEqual(srv.sql(
        "SELECT v.created_by || ' ' || v.summary FROM procedure_versions v JOIN procedures p ON " +
        "p.id = v.procedure_id WHERE p.code = 'nid-de-poule' ORDER BY v.version DESC LIMIT 1").trim(),
        'cli import');
    /* The same form with its members in another order is the same form. */
    const again = JSON.parse(exportDoc(srv));
    const form = again.procedures.find((p) => p.code === 'nid-de-poule').form;
    form[0] = Object.fromEntries(Object.entries(form[0]).reverse());
    r = run(JSON.stringify(again));
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /\(0 new form version\(s\)\)/);
    assert.strictEqual(count(), versions + 1);

    r = run('{"format": "guichet-procedures", "version": 2}');
    assert.strictEqual(r.status, 2);
    assert.strictEqual(r.stderr,
        'guichet procedure import: document: "version" is not 1 (the only version this guichet reads)\n' +
        'guichet procedure import: 1 problem(s): nothing imported\n');
    r = run('{"format": ');
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /^guichet procedure import: not JSON: line 1, column \d+: /);
});
