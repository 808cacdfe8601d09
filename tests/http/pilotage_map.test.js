'use strict';
/*
 * /agent/pilotage/carte, the incidents map of the dashboards, against a real server on the
 * demo commune: who may see it (managers, élus, admins; a plain agent gets 403), the counts per
 * quartier (open, closed, total) equal to a recount of the located requests from the database,
 * for the filters in the URL (status, quartier, channel) and within a manager's departments;
 * the busiest cells in order and equal to the cells' files (CSV, GeoJSON) whose counts add up
 * to the total; the map drawn (an SVG image with a circle's title per cell); a bad status
 * answered with 400 and its message beside the field, what was typed kept; the dashboards'
 * rate limit, shared; the link from the dashboards keeping their filters.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./harness');
const F = require('../browser/bo_flows');

function sqlNumber(srv, query) {
    const n = Number(srv.sql(query).trim());
    assert.ok(Number.isInteger(n), `not a number from: ${query}`);
    return n;
}

/* The body rows of table `id`: {label: [cells as text]}, and its total line's cells. */
function table(html, id) {
    const m = new RegExp(`<table [^>]*id="${id}">([\\s\\S]*?)</table>`).exec(html);
    assert.ok(m, `no table ${id}`);
    const row = (tr) => [...tr.matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((c) => c[1]);
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(m[1])[1];
    const rows = [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => row(r[1]));
    const foot = /<tfoot><tr>([\s\S]*?)<\/tr><\/tfoot>/.exec(m[1]);
    return { rows, total: foot ? row(foot[1]) : null };
}

/* {quartier name: [open, closed, total]} of the page's table by quartier. */
function byArea(html) {
    const t = table(html, 'by-area-map');
    return { rows: Object.fromEntries(t.rows.map((r) => [r[0], r.slice(1).map(Number)])), total: t.total.slice(1).map(Number) };
}

const day = (t) => new Date(t * 1000).toISOString().slice(0, 10);

test('/agent/pilotage/carte: roles, counts against a recount, filters, cells, files, errors', async (t) => {
    const srv = await startServer({});
    t.after(() => srv.stop());
    const live = 'r.merged_into IS NULL AND r.lat IS NOT NULL AND r.lon IS NOT NULL';
    const lo = sqlNumber(srv, 'SELECT min(created_at) FROM requests') - 2 * 86400;
    const hi = sqlNumber(srv, 'SELECT max(created_at) FROM requests') + 2 * 86400;
    const all = `periode=dates&du=${day(lo)}&au=${day(hi)}`;
    /* The recount per quartier of the demo's rectangles (the first box holding the point, as
     * routing takes it), open and closed, under an extra condition on r. */
    const recount = (cond = '1') => {
        const rows = srv.sql(`SELECT coalesce((SELECT a.name FROM areas a WHERE a.tenant_id = r.tenant_id
            AND a.kind = 'quartier' AND r.lat >= a.min_lat AND r.lat < a.max_lat AND r.lon >= a.min_lon
            AND r.lon < a.max_lon ORDER BY a.position LIMIT 1), '-') AS q, sum(r.closed_at IS NULL), sum(r.closed_at IS NOT NULL)
            FROM requests r WHERE ${live} AND ${cond} GROUP BY q`).trim();
        const out = {};
        for (const l of rows ? rows.split('\n') : []) {
            const [q, o, c] = l.split('|');
            out[q === '-' ? 'Hors quartier ou sans lieu' : q] = [Number(o), Number(c), Number(o) + Number(c)];
        }
        return out;
    };
    const sum = (o) => Object.values(o).reduce((a, b) => [a[0] + b[0], a[1] + b[1], a[2] + b[2]], [0, 0, 0]);

    const ag = {
        admin: F.addAgent(srv, { email: 'carte.admin@ville-demo.test', name: 'Admin Carte', role: 'admin' }),
        elected: F.addAgent(srv, { email: 'carte.elu@ville-demo.test', name: 'Élu Carte', role: 'elected' }),
        manager: F.addAgent(srv, { email: 'carte.resp@ville-demo.test', name: 'Resp Carte', role: 'manager', departments: ['voirie'] }),
        agent: F.addAgent(srv, { email: 'carte.agent@ville-demo.test', name: 'Agent Carte', role: 'agent', departments: ['voirie'] }),
    };
    const c = {};
    for (const k of Object.keys(ag)) c[k] = await F.login(srv, ag[k]);
    const everyone = recount();
    const located = sum(everyone)[2];
    assert.ok(located > 20 && Object.keys(everyone).length >= 3, JSON.stringify(everyone));

    await t.test('a plain agent gets 403, files included; the others see the map', async () => {
        assert.equal((await c.agent.get('/agent/pilotage/carte')).status, 403);
        assert.equal((await c.agent.get(`/agent/pilotage/carte.csv?${all}`)).status, 403);
        for (const k of ['admin', 'elected', 'manager'])
            assert.equal((await c[k].get('/agent/pilotage/carte')).status, 200, k);
    });

    await t.test('élus see the whole collectivité: per quartier against the recount, the map drawn', async () => {
        const r = await c.elected.get(`/agent/pilotage/carte?${all}`);
        assert.equal(r.status, 200, F.textOf(r.text).slice(0, 500));
        const q = byArea(r.text);
        assert.deepEqual(q.rows, everyone);
        assert.deepEqual(q.total, sum(everyone));
        assert.match(r.text, new RegExp(`<span id="located">${located}</span>`));
        const img = /<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="[^"]+">/.exec(r.text);
        assert.ok(img, 'the map, an image with its alternative');
        const svg = Buffer.from(img[1], 'base64').toString('utf8');
        assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 720 \d+" role="img" aria-labelledby="map-title map-desc"/);
        assert.equal((svg.match(/<path d="M/g) || []).length, sqlNumber(srv, "SELECT count(*) FROM areas WHERE kind = 'quartier'"), 'an outline per quartier');
        const titles = [...svg.matchAll(/<g><title>(\d+) demandes? — ouvertes : (\d+), clôturées : (\d+)<\/title>/g)];
        assert.ok(titles.length > 0);
        assert.equal(titles.reduce((a, m) => a + Number(m[1]), 0), located, 'the circles add up to the total');
        for (const m of titles) assert.equal(Number(m[1]), Number(m[2]) + Number(m[3]));
        assert.ok(svg.length < 1024 * 1024);

        /* the busiest cells, in order, the first equal to the map's busiest circle */
        const top = table(r.text, 'top-cells').rows;
        assert.ok(top.length >= 1 && top.length <= 10);
        const totals = top.map((row) => Number(row[6]));
        assert.deepEqual([...totals].sort((a, b) => b - a), totals);
        assert.equal(totals[0], Math.max(...titles.map((m) => Number(m[1]))));
        for (const row of top) {
            assert.match(row[1], /^-?\d+,\d{3}$/, 'a latitude rounded to 3 decimals');
            assert.match(row[2], /^-?\d+,\d{3}$/);
            assert.equal(Number(row[4]) + Number(row[5]), Number(row[6]));
        }
    });

    await t.test('the status, a quartier and a channel in the URL change the figures', async () => {
        const open = byArea((await c.admin.get(`/agent/pilotage/carte?${all}&statut=ouvertes`)).text);
        assert.deepEqual(open.rows, recount('r.closed_at IS NULL'));
        assert.equal(open.total[1], 0);
        const closed = byArea((await c.admin.get(`/agent/pilotage/carte?${all}&statut=cloturees`)).text);
        assert.deepEqual(closed.rows, recount('r.closed_at IS NOT NULL'));
        assert.equal(closed.total[0], 0);
        const code = srv.sql(`SELECT status FROM requests r WHERE ${live} GROUP BY status ORDER BY count(*) DESC LIMIT 1`).trim();
        const one = await c.admin.get(`/agent/pilotage/carte?${all}&statut=${code}`);
        assert.equal(one.status, 200);
        assert.deepEqual(byArea(one.text).rows, recount(`r.status = '${code}'`));
        assert.match(one.text, new RegExp(`<option value="${code}" selected>`));
        const nord = byArea((await c.admin.get(`/agent/pilotage/carte?${all}&quartier=nord`)).text);
        assert.deepEqual(nord.rows, { Nord: everyone.Nord });
        const chan = srv.sql(`SELECT channel FROM requests r WHERE ${live} GROUP BY channel ORDER BY count(*) DESC LIMIT 1`).trim();
        const byChan = byArea((await c.admin.get(`/agent/pilotage/carte?${all}&canal=${chan}`)).text);
        assert.deepEqual(byChan.rows, recount(`r.channel = '${chan}'`));
        assert.ok(byChan.total[2] < located);
    });

    await t.test('a manager sees their departments\' incidents only, and may not ask for another', async () => {
        const voirie = "r.department_id = (SELECT id FROM departments WHERE code = 'voirie')";
        const want = recount(voirie);
        assert.ok(sum(want)[2] > 0 && sum(want)[2] < located);
        const r = await c.manager.get(`/agent/pilotage/carte?${all}`);
        assert.equal(r.status, 200);
        assert.deepEqual(byArea(r.text).rows, want);
        assert.match(r.text, /vos services seulement/);
        const other = srv.sql("SELECT code FROM departments WHERE code <> 'voirie' LIMIT 1").trim();
        const bad = await c.manager.get(`/agent/pilotage/carte?${all}&service=${other}`);
        assert.equal(bad.status, 400);
        assert.match(bad.text, /id="service-error"[^>]*>.*Vous ne voyez que les chiffres de vos services/);
        assert.doesNotMatch(bad.text, /id="by-area-map"/);
        const file = await c.manager.get(`/agent/pilotage/carte.csv?${all}&service=${other}`);
        assert.equal(file.status, 400, 'a refused filter is the page with its errors, not a file');
    });

    await t.test('a bad status: its message beside the field, what was typed kept', async () => {
        const r = await c.admin.get(`/agent/pilotage/carte?${all}&statut=perdu`);
        assert.equal(r.status, 400);
        assert.match(r.text, /id="statut-error"><span class="visually-hidden">[^<]*<\/span> Choisissez un statut dans la liste/);
        assert.match(r.text, /<select id="statut" name="statut" aria-invalid="true" aria-describedby="statut-error">/);
        assert.match(r.text, /value="[^"]*" selected>|<option value="">Tous<\/option>/);
        assert.match(r.text, new RegExp(`value="${day(lo)}"`), 'the dates typed are kept');
        /* the dashboards' time buckets, carried from their URL: a wrong one is shown to be corrected */
        const gran = await c.admin.get(`/agent/pilotage/carte?${all}&granularite=heure`);
        assert.equal(gran.status, 400);
        assert.match(gran.text, /<select id="granularite" name="granularite" aria-invalid="true" aria-describedby="granularite-error">/);
        assert.doesNotMatch((await c.admin.get(`/agent/pilotage/carte?${all}&granularite=mois`)).text, /id="granularite"/);
    });

    /* A file of the map, downloaded with the client's cookies. */
    const download = async (client, p) => {
        const r = await fetch(srv.url + p, { headers: { Cookie: client.cookieHeader() }, redirect: 'manual' });
        return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
    };

    await t.test('the cells as CSV and GeoJSON add up to the total, the map alone as SVG, files audited', async () => {
        const mark = sqlNumber(srv, 'SELECT coalesce(max(id), 0) FROM audit_log');
        const csv = await download(c.admin, `/agent/pilotage/carte.csv?${all}`);
        assert.equal(csv.status, 200);
        assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
        const lines = csv.bytes.subarray(3).toString('utf8').trim().split('\r\n').map((l) => l.split(';').map((x) => x.replace(/^"(.*)"$/, '$1')));
        assert.deepEqual(lines[0], ['Latitude du centre', 'Longitude du centre', 'Ouvertes', 'Clôturées', 'Total']);
        const cells = lines.slice(1).map((l) => l.map(Number));
        assert.equal(cells.reduce((a, l) => a + l[4], 0), located);
        assert.equal(cells.reduce((a, l) => a + l[2], 0), sum(everyone)[0]);
        const geo = await download(c.admin, `/agent/pilotage/carte.geojson?${all}&statut=ouvertes`);
        assert.equal(geo.status, 200);
        const fc = JSON.parse(geo.bytes.toString('utf8'));
        assert.equal(fc.type, 'FeatureCollection');
        assert.equal(fc.features.reduce((a, f) => a + f.properties.Total, 0), sum(everyone)[0]);
        for (const f of fc.features) {
            assert.equal(f.geometry.type, 'Point');
            assert.equal(f.properties['Clôturées'], 0);
        }
        const svg = await download(c.admin, `/agent/pilotage/carte.svg?${all}`);
        assert.equal(svg.status, 200);
        assert.equal(svg.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
        assert.match(svg.bytes.toString('utf8'), /<title id="map-title">Carte des demandes localisées<\/title>/);
        assert.equal((await download(c.admin, `/agent/pilotage/carte.pdf?${all}`)).status, 404);
        const exports = (out) => out.split('\n').filter((l) => l === `agent:${ag.admin.id}|export|statistics`).length;
        const audit = await srv.sqlUntil(`SELECT actor || '|' || action || '|' || object_kind FROM audit_log WHERE id > ${mark}`,
            (out) => exports(out) >= 2);
        assert.equal(exports(audit), 2, audit);
    });

    await t.test('the map shares the dashboards\' rate limit: 60 at once, then 429, page and files alike', async () => {
        const quick = await F.login(srv, F.addAgent(srv, { email: 'carte.debit@ville-demo.test', name: 'Élu Débit', role: 'elected' }));
        for (let i = 0; i < 30; i++)
            assert.equal((await quick.get('/agent/pilotage?periode=30j')).status, 200, `dashboards ${i + 1}`);
        for (let i = 0; i < 29; i++)
            assert.equal((await quick.get('/agent/pilotage/carte?periode=30j')).status, 200, `map ${i + 1}`);
        assert.equal((await quick.get('/agent/pilotage/carte.csv?periode=30j')).status, 200);
        /* The bucket refills at one view every two seconds: a slow build (ASan) gets a few
         * more views out of the time the 60 took, never many. */
        let held;
        let extra = 0;
        while ((held = await quick.get('/agent/pilotage/carte?periode=30j')).status === 200 && extra < 10) extra++;
        assert.equal(held.status, 429, `still 200 after ${extra} more views`);
        assert.ok(Number(held.headers.get('retry-after')) >= 1, 'Retry-After');
        /* at once, before a token comes back: the map's file and the dashboards alike */
        const [svg, dash] = await Promise.all([quick.get('/agent/pilotage/carte.svg?periode=30j'), quick.get('/agent/pilotage?periode=30j')]);
        assert.equal(svg.status, 429);
        assert.equal(dash.status, 429, 'the same bucket as the dashboards');
    });

    await t.test('the dashboards link to the map with their filters, and back', async () => {
        const r = await c.elected.get(`/agent/pilotage?${all}&canal=web`);
        const q = `${all}&canal=web`.replace(/&/g, '&amp;');
        assert.ok(r.text.includes(`<a href="/agent/pilotage/carte?${q}">`), 'the link keeps the filters');
        const m = await c.elected.get(`/agent/pilotage/carte?${all}&canal=web`);
        assert.ok(m.text.includes(`<a href="/agent/pilotage?${q}">`));
        assert.match(m.text, /<option value="web" selected>/);
    });
});
