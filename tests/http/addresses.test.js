'use strict';
/*
 * addresses — the collectivité's address list: `guichet address import` (the BAN's CSV: counts
 * printed, a re-import replacing the list whole, bad lines named and nothing imported, or the
 * good ones with --skip-invalid, standard input as «-») while the server runs, and the JSON
 * endpoints the location step's scripts call: GET /adresses?q= (hits, bounds, errors in JSON
 * in the visitor's language) and GET /adresses/proche (the nearest address within 150 m, or
 * 404), each rate-limited per client.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, request, REPO, BIN } = require('./harness');

const FIXTURE = path.join(REPO, 'tests', 'fixtures', 'adresses-99.csv');

/* The fixture's header and its lines, to write variants of it. */
function fixtureLines() {
    return fs.readFileSync(FIXTURE, 'utf8').trimEnd().split('\n');
}

/* A server on a database holding one collectivité and no address list yet. */
async function withServer(t) {
    const srv = await startServer({
        demo: false,
        beforeInit(dir) {
            const r = spawnSync(BIN, ['tenant', 'add', '--db', path.join(dir, 'g.db'), '--slug', 'bourg',
                                      '--name', 'Bourg-Exemple'], { encoding: 'utf8' });
            assert.strictEqual(r.status, 0, r.stderr);
        },
    });
    t.after(() => srv.stop());
    return srv;
}

function importFile(srv, file, extra = []) {
    return srv.guichet(['address', 'import', '--db', srv.db, ...extra, file]);
}

const labels = (json) => json.map((h) => h.label);

test('import: counts printed, the search finds the file\'s addresses, a re-import replaces the list whole', async (t) => {
    const srv = await withServer(t);
    let r = importFile(srv, FIXTURE);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /80 addresses in 8 streets imported for bourg/);

    let a = await request(srv, 'GET', '/adresses?q=' + encodeURIComponent('12 r de la paix'));
    assert.strictEqual(a.status, 200);
    assert.match(a.headers.get('content-type'), /^application\/json/);
    assert.deepStrictEqual(a.json[0], {
        label: '12 Rue de la Paix, 99100 Bourg-Exemple', lat: 45.7012, lon: 4.9, type: 'address',
    });
    assert.deepStrictEqual(labels(a.json).slice(0, 3), [
        '12 Rue de la Paix, 99100 Bourg-Exemple',
        '12 bis Rue de la Paix, 99100 Bourg-Exemple',
        '12 ter Rue de la Paix, 99100 Bourg-Exemple',
    ]);
    /* The number after the words: every street with «paix» in its name and a number 12,
     * before the streets themselves. */
    a = await request(srv, 'GET', '/adresses?q=paix+12');
    assert.ok(labels(a.json).includes('12 Rue de la Paix, 99100 Bourg-Exemple'));
    assert.ok(labels(a.json).includes('12 Place de la Paix, 99100 Bourg-Exemple'));
    assert.deepStrictEqual(a.json.map((h) => h.type).slice(0, 5),
                           ['address', 'address', 'address', 'address', 'address']);
    a = await request(srv, 'GET', '/adresses?q=' + encodeURIComponent('SAINT EXUPERY'));
    assert.deepStrictEqual(a.json[0], {
        label: 'Avenue Saint-Exupéry, 99100 Bourg-Exemple', lat: a.json[0].lat, lon: a.json[0].lon,
        type: 'street',
    });

    /* A new file with only Val-Voisin's street: the former list goes, whole. */
    const lines = fixtureLines();
    const small = path.join(srv.dir, 'small.csv');
    fs.writeFileSync(small, [lines[0], ...lines.filter((l) => l.includes(';Val-Voisin;'))].join('\n') + '\n');
    r = importFile(srv, small);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /5 addresses in 1 streets imported for bourg, replacing 80/);
    a = await request(srv, 'GET', '/adresses?q=paix');
    assert.deepStrictEqual(labels(a.json), ['Rue de la Paix, 99200 Val-Voisin']);
    assert.strictEqual(srv.sql("SELECT count(*) FROM addresses").trim(), '5');
    assert.strictEqual(srv.sql("SELECT group_concat(state) FROM address_sets").trim(), 'current');

    /* Standard input as «-» (zcat … | guichet address import … -). */
    const piped = spawnSync(BIN, ['address', 'import', '--db', srv.db, '-'],
                            { input: fs.readFileSync(FIXTURE), env: srv.env, encoding: 'utf8' });
    assert.strictEqual(piped.status, 0, piped.stderr);
    assert.match(piped.stdout, /80 addresses in 8 streets imported for bourg, replacing 5/);
});

test('import: bad lines are named and nothing is imported, unless --skip-invalid', async (t) => {
    const srv = await withServer(t);
    assert.strictEqual(importFile(srv, FIXTURE).status, 0);
    const lines = fixtureLines();
    const bad = lines.slice(0, 6);
    bad[2] = bad[2].replace(/;45\.[0-9]+;entrée/, ';145.7;entrée'); /* line 3: latitude */
    bad[4] = bad[4].replace(';99100;', ';991;');                       /* line 5: postcode */
    const file = path.join(srv.dir, 'bad.csv');
    fs.writeFileSync(file, bad.join('\n') + '\n');
    let r = importFile(srv, file);
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /line 3: lat must be -90 to 90/);
    assert.match(r.stderr, /line 5: code_postal must be five digits/);
    assert.match(r.stderr, /2 invalid line\(s\) of 5: nothing imported, bourg keeps its current list/);
    assert.strictEqual(srv.sql("SELECT count FROM address_sets WHERE state = 'current'").trim(), '80');

    r = importFile(srv, file, ['--skip-invalid']);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /3 addresses in 1 streets imported for bourg, replacing 80/);
    assert.match(r.stdout, /2 invalid line\(s\) left out/);

    /* Not the BAN's format at all: the header says which column is missing. */
    fs.writeFileSync(file, 'a,b,c\n1,2,3\n');
    r = importFile(srv, file);
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /line 1: no column 'id'/);
    /* A missing file, a missing argument. */
    r = importFile(srv, path.join(srv.dir, 'absent.csv'));
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /cannot open/);
    r = srv.guichet(['address', 'import', '--db', srv.db]);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /missing FILE\.csv/);
});

test('GET /adresses: bounds and errors in JSON, in the visitor\'s language', async (t) => {
    const srv = await withServer(t);
    /* Before any import: no hit, no error. */
    let a = await request(srv, 'GET', '/adresses?q=paix');
    assert.strictEqual(a.status, 200);
    assert.deepStrictEqual(a.json, []);
    assert.strictEqual(importFile(srv, FIXTURE).status, 0);

    a = await request(srv, 'GET', '/adresses');
    assert.strictEqual(a.status, 400);
    assert.strictEqual(a.json.error.argument, 'q');
    assert.strictEqual(a.json.error.message, 'Indiquez une adresse, en 200 caractères au plus.');
    assert.strictEqual(a.headers.get('cache-control'), 'no-store');
    a = await request(srv, 'GET', '/adresses?q=' + 'a'.repeat(201));
    assert.strictEqual(a.status, 400);
    assert.strictEqual(a.json.error.argument, 'q');
    a = await request(srv, 'GET', '/adresses?q=' + 'é'.repeat(200));
    assert.strictEqual(a.status, 200, 'the bound counts characters, not bytes');
    a = await request(srv, 'GET', '/adresses?q=paix&limit=21', { headers: { 'Accept-Language': 'en' } });
    assert.strictEqual(a.status, 400);
    assert.strictEqual(a.json.error.argument, 'limit');
    assert.strictEqual(a.json.error.message, 'The number of answers asked for must be 1 to 20.');
    for (const l of ['0', 'x', '2.5', '']) {
        a = await request(srv, 'GET', '/adresses?q=paix&limit=' + l);
        assert.strictEqual(a.status, 400, `limit=${l}`);
    }
    a = await request(srv, 'GET', '/adresses?q=paix&limit=2');
    assert.strictEqual(a.json.length, 2);
    a = await request(srv, 'GET', '/adresses?q=%FF');
    assert.strictEqual(a.status, 400);
    a = await request(srv, 'POST', '/adresses?q=paix', { form: {} });
    assert.strictEqual(a.status, 405);
    assert.strictEqual(a.json.error.code, 'method_not_allowed');
});

test('GET /adresses/proche: the nearest address within 150 m, else 404', async (t) => {
    const srv = await withServer(t);
    assert.strictEqual(importFile(srv, FIXTURE).status, 0);
    let a = await request(srv, 'GET', '/adresses/proche?lat=45.70121&lon=4.90001');
    assert.strictEqual(a.status, 200);
    assert.strictEqual(a.json.label, '12 Rue de la Paix, 99100 Bourg-Exemple');
    assert.strictEqual(a.json.lat, 45.7012);
    assert.strictEqual(a.json.distance, 1);
    /* A comma as decimal mark is read too. */
    a = await request(srv, 'GET', '/adresses/proche?lat=45,6801&lon=4,9201');
    assert.strictEqual(a.json.label, 'Les Grands Champs, 99100 Bourg-Exemple');
    /* 2 km from any address. */
    a = await request(srv, 'GET', '/adresses/proche?lat=45.72&lon=4.88');
    assert.strictEqual(a.status, 404);
    assert.strictEqual(a.json.error.argument, 'nearby');
    assert.strictEqual(a.json.error.message, 'Aucune adresse connue à moins de 150 mètres de ce point.');
    for (const [q, arg] of [['lat=91&lon=4.9', 'lat'], ['lat=45.7&lon=-181', 'lon'], ['lon=4.9', 'lat'],
                            ['lat=45.7&lon=abc', 'lon'], ['lat=NaN&lon=4.9', 'lat'],
                            ['lat=' + '1'.repeat(40) + '&lon=4.9', 'lat']]) {
        a = await request(srv, 'GET', '/adresses/proche?' + q);
        assert.strictEqual(a.status, 400, q);
        assert.strictEqual(a.json.error.argument, arg, q);
    }
});

test('the address endpoints are rate-limited per client, in JSON with Retry-After', async (t) => {
    const srv = await withServer(t);
    let limited = null;
    for (let i = 0; i < 60 && !limited; i++) {
        const a = await request(srv, 'GET', `/adresses?q=paix${i}`);
        if (a.status === 429) limited = a;
        else assert.strictEqual(a.status, 200);
    }
    assert.ok(limited, 'a burst of 60 searches meets the limit');
    assert.strictEqual(limited.json.error.code, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    const a = await request(srv, 'GET', '/adresses/proche?lat=45.7&lon=4.9');
    assert.strictEqual(a.status, 429, 'the nearest address shares the bucket');
});
