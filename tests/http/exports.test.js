'use strict';
/*
 * exports — issue 17's files: the inbox list downloaded as CSV, XLSX and GeoJSON with the
 * inbox's filters (every matching row, not only the page; only what the agent may see;
 * audited as an export), read back (CSV parsed here, XLSX with SheetJS, GeoJSON as JSON).
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const XLSX = require('xlsx');
const H = require('./harness');
const F = require('../browser/bo_flows');

let srv, agent, admin, agentRow, dept, otherDept;

test.before(async () => {
    srv = await H.startServer({ requests: 400 });
    const rows = srv.sql(`SELECT d.code, count(r.id) FROM departments d JOIN requests r
                          ON r.department_id = d.id AND r.closed_at IS NULL
                          GROUP BY d.id ORDER BY count(r.id) DESC, d.code`).trim().split('\n');
    dept = rows[0].split('|')[0];
    otherDept = rows[1].split('|')[0];
    agentRow = F.addAgent(srv, { email: `exp.agent.${process.pid}@ville-demo.test`, name: 'Agent Export', role: 'agent', departments: [dept] });
    const ad = F.addAgent(srv, { email: `exp.admin.${process.pid}@ville-demo.test`, name: 'Admin Export', role: 'admin' });
    agent = await F.login(srv, agentRow);
    admin = await F.login(srv, ad);
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

/* fetch with the client's cookies, the body as bytes. */
async function download(client, p) {
    const r = await fetch(srv.url + p, { headers: { Cookie: client.cookieHeader() }, redirect: 'manual', signal: AbortSignal.timeout(120000) });
    return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

/* RFC 4180 with «;»: rows of fields. */
function parseCsv(text) {
    const rows = [];
    let row = [], field = '', quoted = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quoted) {
            if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
            else if (c === '"') quoted = false;
            else field += c;
        } else if (c === '"') quoted = true;
        else if (c === ';') { row.push(field); field = ''; }
        else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
        else field += c;
    }
    assert.equal(field, '', 'the file ends inside a row');
    assert.equal(row.length, 0, 'the last row has no line end');
    return rows;
}

/* The CSV download as {head, rows (objects by heading)}. */
function readCsv(r) {
    assert.equal(r.status, 200, r.bytes.toString().slice(0, 400));
    assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.deepEqual([...r.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'no UTF-8 BOM');
    const all = parseCsv(r.bytes.subarray(3).toString('utf8'));
    const head = all[0];
    for (const x of all) assert.equal(x.length, head.length, `a row of ${x.length} fields: ${x}`);
    return { head, rows: all.slice(1).map((x) => Object.fromEntries(head.map((h, i) => [h, x[i]]))) };
}

const refs = (query) => srv.sql(query).trim().split('\n').filter(Boolean).sort();

test('an agent exports their department\'s resolved requests: every page, nothing outside their scope, audited', async () => {
    const did = srv.sql(`SELECT id FROM departments WHERE code = '${dept}'`).trim();
    const want = refs(`SELECT reference FROM requests WHERE department_id = ${did} AND status = 'resolved'`);
    assert.ok(want.length > 50, `only ${want.length} resolved requests in ${dept}: not more than a page`);
    const mark = Number(srv.sql('SELECT coalesce(max(id), 0) FROM audit_log').trim());
    const r = await download(agent, '/agent/export/csv?onglet=service&statut=resolved');
    assert.match(r.headers.get('content-disposition'), /^attachment; filename="demandes-\d{4}-\d{2}-\d{2}\.csv"$/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const { head, rows } = readCsv(r);
    assert.deepEqual(head, ['Référence', 'Déposée le', 'Canal', 'Démarche', 'Service', 'Statut', 'Échéance', 'Délai',
                            'Priorité', 'Adresse', 'Quartier', 'Latitude', 'Longitude', 'Agent assigné', 'Close le']);
    assert.deepEqual(rows.map((x) => x['Référence']).sort(), want);
    const deptName = srv.sql(`SELECT name FROM departments WHERE id = ${did}`).trim();
    for (const x of rows) {
        assert.equal(x.Service, deptName);
        assert.match(x['Déposée le'], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
        assert.match(x['Close le'], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
        assert.equal(x.Statut, 'Résolue');
    }
    /* The rows' cells against the store for one request. */
    const one = srv.sql(`SELECT reference, channel, address, printf('%.6f', lat) FROM requests
                         WHERE department_id = ${did} AND status = 'resolved' AND address IS NOT NULL
                         AND lat IS NOT NULL LIMIT 1`).trim().split('|');
    const got = rows.find((x) => x['Référence'] === one[0]);
    assert.equal(got.Adresse, one[2]);
    assert.equal(got.Latitude, one[3]);
    assert.ok(got.Canal && got.Canal !== one[1] || one[1] === '', `channel ${one[1]} not in words: ${got.Canal}`);

    /* Every request written out is in an export entry of the agent's. */
    const audit = JSON.parse(require('node:child_process').execFileSync('sqlite3', ['-batch', '-json', srv.db,
        `SELECT * FROM audit_log WHERE id > ${mark} AND action = 'export'`], { encoding: 'utf8' }) || '[]');
    assert.ok(audit.length >= 1, 'no export entry');
    const ids = new Set();
    for (const a of audit) {
        assert.equal(a.actor, `agent:${agentRow.id}`);
        assert.equal(a.object_kind, 'request');
        for (const id of a.object_ids.split(',')) ids.add(Number(id));
    }
    const wantIds = refs(`SELECT id FROM requests WHERE department_id = ${did} AND status = 'resolved'`).map(Number);
    assert.deepEqual([...ids].sort((a, b) => a - b), wantIds.sort((a, b) => a - b));

    /* Another department's requests are out of reach whatever the query asks. */
    const other = await download(agent, `/agent/export/csv?onglet=tout&service=${otherDept}&statut=resolved`);
    assert.equal(readCsv(other).rows.length, 0);
});

test('the XLSX export holds the same rows as the CSV one, with the same filters', async () => {
    const q = 'onglet=tout&canal=phone';
    const csv = readCsv(await download(admin, `/agent/export/csv?${q}`));
    const want = refs(`SELECT reference FROM requests WHERE channel = 'phone'`);
    assert.deepEqual(csv.rows.map((x) => x['Référence']).sort(), want);
    const r = await download(admin, `/agent/export/xlsx?${q}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.match(r.headers.get('content-disposition'), /\.xlsx"$/);
    const wb = XLSX.read(r.bytes, { type: 'buffer' });
    assert.deepEqual(wb.SheetNames, ['Demandes']);
    const sheet = XLSX.utils.sheet_to_json(wb.Sheets.Demandes, { defval: '' });
    assert.deepEqual(sheet.map((x) => x['Référence']).sort(), want);
    const byRef = Object.fromEntries(csv.rows.map((x) => [x['Référence'], x]));
    for (const x of sheet) {
        const c = byRef[x['Référence']];
        for (const k of ['Canal', 'Démarche', 'Statut', 'Adresse', 'Déposée le', 'Agent assigné'])
            assert.equal(String(x[k]), c[k], `${x['Référence']} ${k}`);
        /* Coordinates are numbers in the sheet. */
        if (c.Latitude !== '') assert.equal(typeof x.Latitude, 'number');
    }
});

test('a formula typed into an address is written as text, never as a formula', async () => {
    const ref = srv.sql(`SELECT reference FROM requests WHERE channel = 'counter' ORDER BY id LIMIT 1`).trim();
    srv.sql(`UPDATE requests SET address = '=HYPERLINK("http://evil.example/";"x")' WHERE reference = '${ref}'`);
    const csv = readCsv(await download(admin, '/agent/export/csv?onglet=tout&canal=counter'));
    assert.equal(csv.rows.find((x) => x['Référence'] === ref).Adresse, '\'=HYPERLINK("http://evil.example/";"x")');
    const wb = XLSX.read((await download(admin, '/agent/export/xlsx?onglet=tout&canal=counter')).bytes, { type: 'buffer' });
    const cells = Object.values(wb.Sheets.Demandes).filter((c) => c && typeof c === 'object' && 'v' in c);
    assert.ok(cells.every((c) => !c.f), 'a cell holds a formula');
    assert.ok(cells.some((c) => c.v === '=HYPERLINK("http://evil.example/";"x")' && c.t === 's'));
});

test('the GeoJSON export holds the located requests of the filters as points', async () => {
    const r = await download(admin, '/agent/export/geojson?onglet=tout&canal=web');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/geo+json');
    const doc = JSON.parse(r.bytes.toString('utf8'));
    assert.equal(doc.type, 'FeatureCollection');
    const want = refs(`SELECT reference FROM requests WHERE channel = 'web' AND lat IS NOT NULL`);
    assert.deepEqual(doc.features.map((f) => f.properties['Référence']).sort(), want);
    const f = doc.features[0];
    const [lat, lon] = srv.sql(`SELECT lat, lon FROM requests WHERE reference = '${f.properties['Référence']}'`).trim().split('|').map(Number);
    assert.equal(f.geometry.type, 'Point');
    assert.ok(Math.abs(f.geometry.coordinates[0] - lon) < 1e-6 && Math.abs(f.geometry.coordinates[1] - lat) < 1e-6);
});

test('the inbox links to its exports with its filters; an unknown format or no session gets nothing', async () => {
    const page = await agent.get('/agent/?onglet=service&canal=web');
    assert.equal(page.status, 200);
    assert.match(page.text, /<a href="\/agent\/export\/csv\?onglet=service&amp;canal=web&amp;" download>Exporter \(CSV\)<\/a>/);
    assert.match(page.text, /<a href="\/agent\/export\/xlsx\?onglet=service&amp;canal=web&amp;" download>Exporter \(Excel\)<\/a>/);
    assert.equal((await download(agent, '/agent/export/pdf?onglet=service')).status, 404);
    const anon = await fetch(srv.url + '/agent/export/csv', { redirect: 'manual' });
    assert.notEqual(anon.status, 200);
});
