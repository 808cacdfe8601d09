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

/* The rows of a query as objects (sqlite3 -json). */
function sqlJson(query) {
    const out = require('node:child_process').execFileSync('sqlite3', ['-batch', '-json', '-cmd', '.timeout 5000', srv.db, query], { encoding: 'utf8' }).trim();
    return out ? JSON.parse(out) : [];
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
    const wantIds = refs(`SELECT id FROM requests WHERE department_id = ${did} AND status = 'resolved'`).map(Number);
    const covered = (entries) => entries.reduce((k, a) => k + a.object_ids.split(',').length, 0);
    const audit = await H.until(() => sqlJson(`SELECT * FROM audit_log WHERE id > ${mark} AND action = 'export'`),
        (entries) => covered(entries) >= wantIds.length);
    assert.ok(audit.length >= 1, 'no export entry');
    const ids = new Set();
    for (const a of audit) {
        assert.equal(a.actor, `agent:${agentRow.id}`);
        assert.equal(a.object_kind, 'request');
        for (const id of a.object_ids.split(',')) ids.add(Number(id));
    }
    assert.deepEqual([...ids].sort((a, b) => a - b), wantIds.sort((a, b) => a - b));

    /* Another department's requests are out of reach whatever the query asks. */
    const other = await download(agent, `/agent/export/csv?onglet=tout&service=${otherDept}&statut=resolved`);
    assert.equal(readCsv(other).rows.length, 0);
});

/* The references of every page of the inbox at query q, as the agent pages through them. */
async function inboxPages(client, q) {
    const out = [];
    for (let page = 1; page < 100; page++) {
        const r = await client.get(`/agent/?${q}&page=${page}`);
        assert.equal(r.status, 200);
        const refsOfPage = [...r.text.matchAll(/data-open>(\d{4}-\d{6})<\/a>/g)].map((m) => m[1]);
        out.push(...refsOfPage);
        if (!r.text.includes(`page=${page + 1}"`)) break;
    }
    return out.sort();
}

test('a search exported holds what the inbox\'s pages list; the whole list holds every request once', async () => {
    /* A name many requests carry: the search spans several pages. */
    const name = srv.sql(`SELECT last_name FROM requests WHERE last_name IS NOT NULL
                          GROUP BY last_name ORDER BY count(*) DESC LIMIT 1`).trim();
    const q = `onglet=tout&q=${encodeURIComponent(name)}`;
    const listed = await inboxPages(admin, q);
    assert.ok(listed.length > 0, `nothing found for ${name}`);
    const csv = readCsv(await download(admin, `/agent/export/csv?${q}`));
    assert.deepEqual(csv.rows.map((x) => x['Référence']).sort(), listed);
    /* Every request once, across the batches. */
    const all = readCsv(await download(admin, '/agent/export/csv?onglet=tout'));
    assert.deepEqual(all.rows.map((x) => x['Référence']).sort(), refs('SELECT reference FROM requests'));
    assert.equal(new Set(all.rows.map((x) => x['Référence'])).size, all.rows.length, 'a row twice');
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

test('exports are rate limited per agent: 30 at once, then 429 with Retry-After; another agent is not held back', async () => {
    const row = F.addAgent(srv, { email: `exp.rate.${process.pid}@ville-demo.test`, name: 'Agent Débit', role: 'agent', departments: [dept] });
    const quick = await F.login(srv, row);
    for (let i = 0; i < 30; i++)
        assert.equal((await download(quick, '/agent/export/csv?onglet=service')).status, 200, `export ${i + 1}`);
    const held = await quick.get('/agent/export/csv?onglet=service');
    assert.equal(held.status, 429);
    assert.ok(Number(held.headers.get('retry-after')) >= 1, 'Retry-After');
    assert.equal((await download(agent, '/agent/export/csv?onglet=service')).status, 200);
});

/* ---- open data ---- */

const PUBLIC_INCIDENTS = `FROM requests r JOIN procedures p ON p.id = r.procedure_id
                          WHERE r.is_public = 1 AND p.is_public = 1 AND p.kind = 0`;

test('open data: the public incidents as CSV, without a key, anonymised, positions on a ~100 m grid', async () => {
    const r = await fetch(srv.url + '/donnees-ouvertes/signalements.csv');
    const bytes = Buffer.from(await r.arrayBuffer());
    const { head, rows } = readCsv({ status: r.status, headers: r.headers, bytes });
    assert.match(r.headers.get('content-disposition'), /^attachment; filename="signalements\.csv"$/);
    assert.equal(r.headers.get('cache-control'), 'public, max-age=3600');
    assert.equal(r.headers.get('set-cookie'), null, 'a cookie would keep shared caches from keeping the file');
    assert.ok(r.headers.get('etag'));
    assert.match(r.headers.get('last-modified'), /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.deepEqual(head, ['reference', 'date_signalement', 'categorie_code', 'categorie', 'statut', 'date_cloture',
                            'quartier', 'latitude', 'longitude', 'description_publique', 'soutiens']);
    const want = refs(`SELECT r.reference ${PUBLIC_INCIDENTS}`);
    assert.ok(want.length > 50, `only ${want.length} public incidents`);
    assert.deepEqual(rows.map((x) => x.reference).sort(), want);

    /* Nothing personal of the dataset: no e-mail, telephone, name, address or the citizens'
     * own words, anywhere in the file. */
    const text = bytes.toString('utf8');
    const withoutPublicText = rows.map((x) => Object.entries(x).filter(([k]) => k !== 'description_publique')
        .map(([, v]) => v).join(';')).join('\n');
    const personal = sqlJson(`SELECT email, phone, first_name || ' ' || last_name AS name, address, description,
                              public_description FROM requests
                              WHERE email IS NOT NULL OR phone IS NOT NULL OR last_name IS NOT NULL`);
    assert.ok(personal.length > 100);
    let checked = 0;
    for (const x of personal) {
        /* A citizen's words an agent approved as the public text are public by that act. */
        const words = x.description === x.public_description ? null : x.description;
        for (const v of [x.email, x.phone]) {
            if (!v || v.length < 6) continue;
            assert.ok(!text.includes(v), `the open data holds «${v}»`);
            checked++;
        }
        /* An approved public text may say where the incident is («devant le 29 rue…»): the
         * other columns may not. */
        for (const v of [x.name && x.name.trim(), x.address, words]) {
            if (!v || v.length < 6) continue;
            assert.ok(!withoutPublicText.includes(v), `the open data holds «${v}»`);
            checked++;
        }
    }
    assert.ok(checked > 300, `only ${checked} values checked`);
    assert.ok(!/@/.test(text), 'an e-mail address in the open data');
    assert.ok(!/\+33\d{9}|0[1-9](?:[ .]?\d{2}){4}/.test(text), 'a telephone number in the open data');

    /* The public text is the approved one only. */
    const pub = Object.fromEntries(sqlJson(`SELECT r.reference, coalesce(r.public_description, '') AS t ${PUBLIC_INCIDENTS}`)
        .map((x) => [x.reference, x.t]));
    let withText = 0;
    for (const x of rows) {
        assert.equal(x.description_publique, pub[x.reference]);
        if (x.description_publique) withText++;
        assert.match(x.date_signalement, /^\d{4}-\d{2}-\d{2}$/);
    }
    assert.ok(withText > 0, 'no approved public text in the file');

    /* Positions: latitude to 0.001°, longitude to 0.001°/cos(latitude); within half a step of
     * the truth, and moved for most. */
    const truth = Object.fromEntries(srv.sql(`SELECT r.reference, r.lat, r.lon ${PUBLIC_INCIDENTS} AND r.lat IS NOT NULL`)
        .trim().split('\n').map((l) => l.split('|')).map(([ref, la, lo]) => [ref, [Number(la), Number(lo)]]));
    let moved = 0, located = 0;
    for (const x of rows) {
        if (!truth[x.reference]) { assert.equal(x.latitude, ''); continue; }
        located++;
        const [la, lo] = truth[x.reference];
        const lat = Number(x.latitude), lon = Number(x.longitude);
        assert.match(x.latitude, /^-?\d+\.\d{3}$/);
        assert.ok(Math.abs(Math.round(lat * 1000) - lat * 1000) < 1e-6, `latitude ${x.latitude} off the grid`);
        const step = 0.001 / Math.cos(lat * Math.PI / 180);
        assert.ok(Math.abs(lat - la) <= 0.0005 + 1e-9, `latitude ${x.latitude} for ${la}`);
        assert.ok(Math.abs(lon - lo) <= step / 2 + 1e-5, `longitude ${x.longitude} for ${lo}`);
        assert.ok(Math.abs(lon / step - Math.round(lon / step)) < 0.01, `longitude ${x.longitude} off the grid`);
        if (lat !== la || lon !== lo) moved++;
    }
    assert.ok(located > 20 && moved > located * 0.9, `${moved} of ${located} positions moved`);
});

test('open data: the GeoJSON holds the same incidents; both files revalidate with their ETag', async () => {
    const list = await fetch(srv.url + '/signalements');
    assert.match(await list.text(), /<a href="\/donnees-ouvertes\/signalements\.csv" download>au format CSV<\/a>, <a href="\/donnees-ouvertes\/signalements\.geojson" download>au format GeoJSON<\/a>/);
    const r = await fetch(srv.url + '/donnees-ouvertes/signalements.geojson');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/geo+json');
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    const doc = await r.json();
    const want = refs(`SELECT r.reference ${PUBLIC_INCIDENTS}`);
    assert.deepEqual(doc.features.map((f) => f.properties.reference).sort(), want);
    for (const f of doc.features) {
        assert.ok(!('latitude' in f.properties) && !('longitude' in f.properties));
        if (f.geometry) {
            assert.equal(f.geometry.type, 'Point');
            assert.ok(Math.abs(f.geometry.coordinates[1] * 1000 - Math.round(f.geometry.coordinates[1] * 1000)) < 1e-6);
        }
        assert.equal(typeof f.properties.soutiens, 'number');
    }
    const etag = r.headers.get('etag');
    const again = await fetch(srv.url + '/donnees-ouvertes/signalements.geojson', { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    const csvTag = (await fetch(srv.url + '/donnees-ouvertes/signalements.csv', { method: 'HEAD' })).headers.get('etag');
    assert.notEqual(csvTag, etag, 'the CSV and the GeoJSON share an ETag');

    /* An incident leaves the public pages: the file changes, and so does its ETag. */
    const gone = want[0];
    srv.sql(`UPDATE requests SET is_public = 0 WHERE reference = '${gone}'`);
    const after = await fetch(srv.url + '/donnees-ouvertes/signalements.geojson', { headers: { 'If-None-Match': etag } });
    assert.equal(after.status, 200);
    assert.notEqual(after.headers.get('etag'), etag);
    assert.ok(!(await after.json()).features.some((f) => f.properties.reference === gone));
});

/* ---- the managers' weekly digest ---- */

const { waitFor } = H;

const { startMta, mtaAvailable } = require('./mta');

test('the weekly digest: a manager asks for it on their page, and Monday\'s e-mail brings their departments\' figures, nothing personal', { skip: mtaAvailable() || false }, async (t) => {
    const mta = await startMta();
    let s2;
    t.after(async () => {
        if (s2) await s2.stop();
        await mta.stop();
    });
    s2 = await H.startServer({ requests: 300, env: { GUICHET_SMTP_URL: mta.url, GUICHET_MAIL_FROM: 'ne-pas-repondre@ville-demo.test', GUICHET_MAIL_BACKOFF_S: '1' } });
    const d = s2.sql(`SELECT d.id, d.code, d.name FROM departments d JOIN requests r ON r.department_id = d.id
                      GROUP BY d.id ORDER BY count(*) DESC LIMIT 1`).trim().split('|');
    const mgrRow = F.addAgent(s2, { email: `exp.mgr.${process.pid}@ville-demo.test`, name: 'Cheffe Export', role: 'manager', departments: [d[1]] });
    const agRow = F.addAgent(s2, { email: `exp.ag2.${process.pid}@ville-demo.test`, name: 'Agent Simple', role: 'agent', departments: [d[1]] });
    const mgr = await F.login(s2, mgrRow);
    const ag = await F.login(s2, agRow);

    /* Only managers and administrators see the choice; an agent's POST is refused. */
    const agPage = await ag.get('/agent/notifications');
    assert.doesNotMatch(agPage.text, /name="bilan"/);
    const refused = await ag.post('/agent/notifications/bilan', { bilan: '1' });
    assert.equal(refused.status, 403);
    const page = await mgr.get('/agent/notifications');
    assert.match(page.text, /<input type="checkbox" id="bilan" name="bilan" value="1" aria-describedby="bilan-hint">/);
    const saved = await mgr.post('/agent/notifications/bilan', { bilan: '1' });
    assert.equal(saved.status, 303, F.textOf(saved.text).slice(0, 300));
    assert.match((await mgr.get('/agent/notifications?enregistre=1')).text, /name="bilan" value="1" aria-describedby="bilan-hint" checked>/);
    const job = s2.sql(`SELECT id, due_at FROM jobs WHERE kind = 'weekly_digest' AND state = 'pending'`).trim().split('\n');
    assert.equal(job.length, 1, 'one pending digest');
    const due = Number(job[0].split('|')[1]);
    const when = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', weekday: 'long', hour: '2-digit', minute: '2-digit' }).format(new Date(due * 1000));
    assert.equal(when, 'lundi 07:00');

    /* Monday comes now: the job falls due at the restart. */
    await s2.stop('SIGTERM', { keep: true });
    const now = Math.floor(Date.now() / 1000) - 60;
    /* Its key names its instant, as the scheduling wrote it (one job a week). */
    s2.sql(`UPDATE jobs SET due_at = ${now}, ukey = 'w${now}' WHERE kind = 'weekly_digest' AND state = 'pending'`);
    await s2.restart();
    const [m] = await mta.waitFor((x) => x.to === mgrRow.email, 30000);
    assert.equal(m.subject, 'Bilan de la semaine de vos services');

    /* The figures against the store, over the week before the due day (Paris time). */
    const to = F.nextParisMidnight(now) - 86400, from = to - 7 * 86400;
    const count = (where) => Number(s2.sql(`SELECT count(*) FROM requests WHERE department_id = ${d[0]} AND ${where}`).trim());
    const want = {
        created: count(`created_at >= ${from} AND created_at < ${to} AND merged_into IS NULL`),
        closed: count(`closed_at >= ${from} AND closed_at < ${to}`),
        open: count('closed_at IS NULL'),
        late: count(`closed_at IS NULL AND due_at < ${now}`),
    };
    assert.ok(want.open > 0);
    const row = new RegExp(`<tr><th scope="row">${d[2]}</th><td>(\\d+)</td><td>(\\d+)</td><td>(\\d+)</td><td>(\\d+)</td></tr>`).exec(m.html);
    assert.ok(row, `no row for ${d[2]} in ${m.html}`);
    assert.deepEqual(row.slice(1).map(Number), [want.created, want.closed, want.open, want.late]);
    assert.match(m.text, new RegExp(`${d[2]}\\n  Nouvelles : ${want.created} · Closes : ${want.closed} · En cours : ${want.open} · En retard : ${want.late}`));
    assert.match(m.text, /\/agent\//);
    /* Counts only: no reference, e-mail or name from the requests. */
    assert.doesNotMatch(m.text + m.html, /\d{4}-\d{6}/);
    const people = s2.sql(`SELECT email, last_name FROM requests WHERE department_id = ${d[0]} AND email IS NOT NULL LIMIT 50`).trim().split('\n');
    for (const p of people) for (const v of p.split('|')) if (v.length > 3) assert.ok(!m.text.includes(v), `the digest holds «${v}»`);
    /* Only the manager got it, and next Monday's waits. */
    assert.equal(mta.messages().filter((x) => x.to === agRow.email).length, 0);
    const next = Number(s2.sql(`SELECT due_at FROM jobs WHERE kind = 'weekly_digest' AND state = 'pending'`).trim());
    assert.ok(next > now + 86400 && next <= now + 8 * 86400, `next digest in ${(next - now) / 86400} days`);

    /* Unchecked: stopped, and the next run ends the chain without a message. */
    assert.equal((await mgr.post('/agent/notifications/bilan', {})).status, 303);
    assert.equal(s2.sql(`SELECT count(*) FROM agent_weekly_digest`).trim(), '0');
    await s2.stop('SIGTERM', { keep: true });
    const later = Math.floor(Date.now() / 1000) - 30;
    s2.sql(`UPDATE jobs SET due_at = ${later}, ukey = 'w${later}' WHERE kind = 'weekly_digest' AND state = 'pending'`);
    await s2.restart();
    await waitFor(() => s2.sql(`SELECT count(*) FROM jobs WHERE kind = 'weekly_digest' AND state = 'pending'`).trim() === '0', 'the chain to end');
    await H.sleep(1500);
    assert.equal(mta.messages().filter((x) => x.to === mgrRow.email).length, 1, 'a digest after it was stopped');
});
