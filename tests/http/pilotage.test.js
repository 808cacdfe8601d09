'use strict';
/*
 * /agent/pilotage, the dashboards, against a real server on the demo commune: who may see
 * them (managers, élus, admins; a plain agent gets 403), the figures of the tables (total, by
 * channel, by department) equal to a recount from the database for the filters in the URL,
 * a manager's figures limited to their departments, and bad filters answered with 400 and
 * each field's own message tied to it, what was typed kept; the figures by quartier, of
 * deadlines, reopenings, ratings and «moi aussi» against a recount; every table downloaded
 * as CSV and XLSX and read back, with the page's scope and checks, audited.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./harness');
const F = require('../browser/bo_flows');
const XLSX = require('xlsx');

function sqlNumber(srv, query) {
    const n = Number(srv.sql(query).trim());
    assert.ok(Number.isInteger(n), `not a number from: ${query}`);
    return n;
}

/* The rows of the table with id `id`: {label: count}, and its total line's count. */
function table(html, id) {
    const m = new RegExp(`<table [^>]*id="${id}">([\\s\\S]*?)</table>`).exec(html);
    assert.ok(m, `no table ${id}`);
    const rows = {};
    for (const r of m[1].matchAll(/<tr><th scope="row">([^<]*)<\/th><td>(\d+)<\/td>/g)) rows[r[1]] = Number(r[2]);
    const total = /<tfoot><tr><th scope="row">[^<]*<\/th><td>(\d+)<\/td>/.exec(m[1]);
    assert.ok(total, `no total line in ${id}`);
    const foot = Number(total[1]);
    const tb = /<tbody>([\s\S]*?)<\/tbody>/.exec(m[1])[1];
    const body = {};
    for (const r of tb.matchAll(/<tr><th scope="row">([^<]*)<\/th><td>(\d+)<\/td>/g)) body[r[1]] = Number(r[2]);
    return { rows: body, total: foot };
}

/* The cells of the total line of table `id`, as text. */
function totalCells(html, id) {
    const m = new RegExp(`<table [^>]*id="${id}">[\\s\\S]*?<tfoot><tr>([\\s\\S]*?)</tr></tfoot>`).exec(html);
    assert.ok(m, `no total line in ${id}`);
    return [...m[1].matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((c) => c[1]);
}

const day = (t) => new Date(t * 1000).toISOString().slice(0, 10);

test('/agent/pilotage: roles, figures against a recount, filters, errors', async (t) => {
    const srv = await startServer({});
    t.after(() => srv.stop());
    const live = 'merged_into IS NULL';
    const n = sqlNumber(srv, `SELECT count(*) FROM requests WHERE ${live}`);
    assert.ok(n > 50, 'the demo has requests');
    /* A period of whole days around every request, whatever the zone. */
    const lo = sqlNumber(srv, `SELECT min(created_at) FROM requests`) - 2 * 86400;
    const hi = sqlNumber(srv, `SELECT max(created_at) FROM requests`) + 2 * 86400;
    const all = `periode=dates&du=${day(lo)}&au=${day(hi)}&granularite=mois`;

    const ag = {
        admin: F.addAgent(srv, { email: 'pil.admin@ville-demo.test', name: 'Admin Pilotage', role: 'admin' }),
        elected: F.addAgent(srv, { email: 'pil.elu@ville-demo.test', name: 'Élue Pilotage', role: 'elected' }),
        manager: F.addAgent(srv, { email: 'pil.resp@ville-demo.test', name: 'Resp Pilotage', role: 'manager', departments: ['voirie'] }),
        agent: F.addAgent(srv, { email: 'pil.agent@ville-demo.test', name: 'Agent Pilotage', role: 'agent', departments: ['voirie'] }),
    };
    const c = {};
    for (const k of Object.keys(ag)) c[k] = await F.login(srv, ag[k]);

    await t.test('a plain agent gets 403 and no tab; the others see the tab', async () => {
        const r = await c.agent.get('/agent/pilotage');
        assert.equal(r.status, 403);
        assert.doesNotMatch((await c.agent.get('/agent/')).text, /href="\/agent\/pilotage"/);
        for (const k of ['admin', 'elected', 'manager'])
            assert.match((await c[k].get('/agent/')).text, /href="\/agent\/pilotage"/, k);
    });

    await t.test('the whole collectivité for élus and admins: total, channels, departments', async () => {
        for (const k of ['elected', 'admin']) {
            const r = await c[k].get(`/agent/pilotage?${all}`);
            assert.equal(r.status, 200, F.textOf(r.text).slice(0, 500));
            const vol = table(r.text, 'volumes');
            assert.equal(vol.total, n, `${k}: total`);
            assert.equal(Object.values(vol.rows).reduce((a, b) => a + b, 0), n, 'the buckets add up to the total');
            const ch = table(r.text, 'by-channel');
            assert.equal(ch.total, n);
            const byChannel = srv.sql(`SELECT channel, count(*) FROM requests WHERE ${live} GROUP BY channel`).trim().split('\n');
            assert.equal(Object.keys(ch.rows).length, byChannel.length);
            assert.deepEqual(Object.values(ch.rows).sort((a, b) => a - b),
                byChannel.map((l) => Number(l.split('|')[1])).sort((a, b) => a - b));
            const dep = table(r.text, 'by-department');
            const voirie = sqlNumber(srv, `SELECT count(*) FROM requests r JOIN departments d ON d.id = r.department_id WHERE r.${live} AND d.code = 'voirie'`);
            const name = srv.sql(`SELECT name FROM departments WHERE code = 'voirie' LIMIT 1`).trim();
            assert.equal(dep.rows[name], voirie, `${k}: voirie`);
            /* the chart is there, an image with its alternative */
            assert.match(r.text, /<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="[^"]+">/);
        }
    });

    await t.test('a channel in the URL changes the figures to that channel', async () => {
        const chan = srv.sql(`SELECT channel FROM requests WHERE ${live} GROUP BY channel ORDER BY count(*) DESC LIMIT 1`).trim();
        const want = sqlNumber(srv, `SELECT count(*) FROM requests WHERE ${live} AND channel = '${chan}'`);
        assert.ok(want < n);
        const r = await c.admin.get(`/agent/pilotage?${all}&canal=${chan}`);
        assert.equal(r.status, 200);
        assert.equal(table(r.text, 'volumes').total, want);
        assert.match(r.text, new RegExp(`<option value="${chan}" selected>`));
        const closed = sqlNumber(srv, `SELECT count(*) FROM requests WHERE ${live} AND channel = '${chan}' AND closed_at IS NULL`);
        assert.match(r.text, new RegExp(`<span id="open-now">${closed}</span>`));
        /* and the backlog's age beside it, when some are open */
        if (closed > 0)
            assert.match(r.text, /<span id="open-age">Leur âge médian est de [^<;]+\u202f; 9 sur 10 ont moins de [^<]+\.<\/span>/);
        else
            assert.doesNotMatch(r.text, /id="open-age"/);
    });

    await t.test('a manager sees their departments only, and may not ask for another', async () => {
        const voirie = sqlNumber(srv, `SELECT count(*) FROM requests r JOIN departments d ON d.id = r.department_id WHERE r.${live} AND d.code = 'voirie'`);
        assert.ok(voirie > 0 && voirie < n);
        const r = await c.manager.get(`/agent/pilotage?${all}`);
        assert.equal(r.status, 200);
        assert.equal(table(r.text, 'volumes').total, voirie);
        assert.match(r.text, /vos services seulement/);
        const other = srv.sql(`SELECT code FROM departments WHERE code <> 'voirie' LIMIT 1`).trim();
        const bad = await c.manager.get(`/agent/pilotage?${all}&service=${other}`);
        assert.equal(bad.status, 400);
        assert.match(bad.text, /id="service-error"[^>]*>.*Vous ne voyez que les chiffres de vos services/);
        assert.match(bad.text, /<select id="service" name="service" aria-invalid="true" aria-describedby="service-error">/);
        assert.doesNotMatch(bad.text, /id="volumes"/);
    });

    await t.test('a short period counts only its days', async () => {
        /* The latest request's day in the collectivité's zone, through the API's own buckets. */
        const last = sqlNumber(srv, `SELECT max(created_at) FROM requests WHERE ${live}`);
        const d = day(last);
        const r0 = await c.admin.get(`/agent/pilotage?periode=dates&du=${day(last - 10 * 86400)}&au=${d}&granularite=jour`);
        const vol = table(r0.text, 'volumes');
        assert.equal(Object.keys(vol.rows).length, 11);
        const prev = new Date((last - 86400) * 1000).toISOString().slice(0, 10);
        const r = await c.admin.get(`/agent/pilotage?periode=dates&du=${prev}&au=${d}&granularite=jour`);
        assert.equal(r.status, 200);
        const short = table(r.text, 'volumes');
        const labels = Object.keys(short.rows);
        assert.deepEqual(labels, [`${prev.slice(8, 10)}/${prev.slice(5, 7)}/${prev.slice(0, 4)}`,
            `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`], 'one row per day, days without requests too');
        let sum = 0;
        for (const l of labels) {
            assert.equal(short.rows[l], vol.rows[l], l);
            sum += short.rows[l];
        }
        assert.equal(short.total, sum);
        assert.ok(short.total < n);
    });

    await t.test('bad filters: each field its message, what was typed kept', async () => {
        const r = await c.admin.get('/agent/pilotage?periode=dates&du=2026-02-30&au=hier&canal=pigeon&demarche=nope&granularite=heure');
        assert.equal(r.status, 400);
        assert.match(r.text, /<title>Erreur :/);
        for (const [field, msg] of [['du', 'une date réelle'], ['au', 'une date réelle'], ['canal', 'un canal dans la liste'],
            ['demarche', 'une démarche dans la liste'], ['granularite', 'par jour, par semaine ou par mois']]) {
            assert.match(r.text, new RegExp(`id="${field}-error"><span class="visually-hidden">[^<]*</span> [^<]*${msg}`), field);
            assert.match(r.text, new RegExp(`id="${field}"[^>]*aria-invalid="true"|id="${field}"[^>]*aria-describedby="[^"]*${field}-error"`), field);
        }
        assert.match(r.text, /value="2026-02-30"/);
        assert.match(r.text, /value="hier"/);
        const order = await c.admin.get('/agent/pilotage?periode=dates&du=2026-05-02&au=2026-05-01');
        assert.equal(order.status, 400);
        assert.match(order.text, /id="au-error">.*après/);
        const missing = await c.admin.get('/agent/pilotage?periode=dates');
        assert.match(missing.text, /id="du-error">.*date de début/);
        const bars = await c.admin.get('/agent/pilotage?periode=dates&du=2020-01-01&au=2026-01-01&granularite=jour');
        assert.equal(bars.status, 400);
        assert.match(bars.text, /id="granularite-error">.*400 barres/);
        const period = await c.admin.get('/agent/pilotage?periode=siecle');
        assert.equal(period.status, 400);
        assert.match(period.text, /id="periode-error">.*période dans la liste/);
    });

    await t.test('by quartier: the table and the filter against a recount, a bad quartier', async () => {
        /* The demo's quartiers (a square, then two halves): the first box holding the point. */
        const rows = srv.sql(`SELECT coalesce((SELECT a.name FROM areas a WHERE a.tenant_id = r.tenant_id
            AND a.kind = 'quartier' AND r.lat >= a.min_lat AND r.lat < a.max_lat AND r.lon >= a.min_lon
            AND r.lon < a.max_lon ORDER BY a.position LIMIT 1), '-') AS q, count(*) FROM requests r
            WHERE r.${live} GROUP BY q`).trim().split('\n').map((l) => l.split('|'));
        const want = Object.fromEntries(rows.map(([q, k]) => [q === '-' ? 'Hors quartier ou sans lieu' : q, Number(k)]));
        assert.ok(want.Nord > 0 && want.Sud > 0 && want.Centre > 0, JSON.stringify(want));
        const r = await c.admin.get(`/agent/pilotage?${all}`);
        assert.equal(r.status, 200);
        const q = table(r.text, 'by-area');
        assert.deepEqual(q.rows, want);
        assert.equal(q.total, n);
        const nord = await c.elected.get(`/agent/pilotage?${all}&quartier=nord`);
        assert.equal(nord.status, 200);
        assert.equal(table(nord.text, 'volumes').total, want.Nord);
        assert.deepEqual(table(nord.text, 'by-area').rows, { Nord: want.Nord });
        assert.match(nord.text, /<option value="nord" selected>Nord<\/option>/);
        const bad = await c.admin.get(`/agent/pilotage?${all}&quartier=atlantide`);
        assert.equal(bad.status, 400);
        assert.match(bad.text, /id="quartier-error"><span class="visually-hidden">[^<]*<\/span> Choisissez un quartier dans la liste/);
        assert.match(bad.text, /<select id="quartier" name="quartier" aria-invalid="true" aria-describedby="quartier-error">/);
    });

    await t.test('deadlines, reopened, ratings and «moi aussi» in the total line, against a recount', async () => {
        const r = await c.admin.get(`/agent/pilotage?${all}`);
        const now = Math.floor(Date.now() / 1000);
        const cells = totalCells(r.text, 'by-channel');
        assert.equal(cells.length, 15);
        const w = `FROM requests WHERE ${live}`;
        assert.equal(Number(cells[8]), sqlNumber(srv, `SELECT count(*) ${w} AND closed_at <= due_at`), 'closed on time');
        assert.equal(Number(cells[9]), sqlNumber(srv, `SELECT count(*) ${w} AND closed_at > due_at`), 'closed late');
        const overdue = sqlNumber(srv, `SELECT count(*) ${w} AND closed_at IS NULL AND due_at < ${now}`);
        assert.ok(Math.abs(Number(cells[10]) - overdue) <=
            sqlNumber(srv, `SELECT count(*) ${w} AND closed_at IS NULL AND due_at BETWEEN ${now - 5} AND ${now + 5}`), 'overdue now');
        const reopened = sqlNumber(srv, `SELECT count(*) FROM request_facts WHERE merged = 0 AND reopened > 0`);
        assert.match(cells[11], new RegExp(`^${reopened}( \\(\\d+,\\d %\\))?$`), 'reopened and its rate');
        const rated = sqlNumber(srv, `SELECT count(*) ${w} AND rating > 0`);
        assert.equal(Number(cells[13]), rated, 'ratings');
        if (rated) {
            const mean = sqlNumber(srv, `SELECT total(rating) ${w}`) / rated;
            assert.equal(cells[12], mean.toFixed(1).replace('.', ','), 'mean rating');
        } else {
            assert.equal(cells[12], '—');
        }
        assert.equal(Number(cells[14]), sqlNumber(srv, `SELECT total(supporters) ${w}`), '«moi aussi»');
    });

    /* A file of the dashboard, downloaded with the client's cookies. */
    const download = async (client, p) => {
        const r = await fetch(srv.url + p, { headers: { Cookie: client.cookieHeader() }, redirect: 'manual' });
        return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
    };
    /* The CSV (UTF-8 with a BOM, «;», RFC 4180; the labels here hold no quote) as rows of cells. */
    const csvRows = (r) => {
        assert.equal(r.status, 200, r.bytes.toString().slice(0, 300));
        assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
        assert.deepEqual([...r.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
        const text = r.bytes.subarray(3).toString('utf8');
        assert.ok(text.endsWith('\r\n'));
        return text.slice(0, -2).split('\r\n').map((l) => l.split(';').map((c) => c.replace(/^"(.*)"$/, '$1')));
    };
    const HEAD = ['Demandes', 'Avec réponse', 'Clôturées', 'Première réponse, médiane (heures)',
        'Première réponse, 9 sur 10 en moins de (heures)', 'Clôture, médiane (heures)', 'Clôture, 9 sur 10 en moins de (heures)',
        'Clôturées dans le délai', 'Clôturées en retard', 'Ouvertes et en retard aujourd’hui', 'Rouvertes',
        'Taux de réouverture (%)', 'Satisfaction moyenne sur 5', 'Avis', '« Moi aussi »'];

    await t.test('every table as CSV: the page\'s rows and total, links keeping the filters, audited', async () => {
        const page = await c.admin.get(`/agent/pilotage?${all}`);
        const mark = sqlNumber(srv, 'SELECT coalesce(max(id), 0) FROM audit_log');
        for (const [name, id, first] of [['channel', 'by-channel', 'Canal'], ['procedure', 'by-procedure', 'Démarche'],
            ['department', 'by-department', 'Service'], ['area', 'by-area', 'Quartier'], ['period', 'volumes', 'Période']]) {
            const link = `/agent/pilotage/export.csv?table=${name}&amp;${all.replace(/&/g, '&amp;')}`;
            assert.ok(page.text.includes(`<a href="${link}" download>`), `the link of ${name}`);
            const r = await download(c.admin, `/agent/pilotage/export.csv?table=${name}&${all}`);
            assert.match(r.headers.get('content-disposition'), new RegExp(`^attachment; filename="pilotage-${name}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`));
            const rows = csvRows(r);
            assert.deepEqual(rows[0], [first, ...HEAD], name);
            const last = rows[rows.length - 1];
            assert.equal(last[0], 'Total');
            assert.equal(Number(last[1]), n, `${name}: total`);
            /* the page's labels are HTML-escaped, the file's are the text itself */
            const unescape = (h) => h.replace(/&#0*39;|&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<')
                .replace(/&gt;/g, '>').replace(/&amp;/g, '&');
            const want = Object.fromEntries(Object.entries(table(page.text, id).rows).map(([k, v]) => [unescape(k), v]));
            assert.deepEqual(Object.fromEntries(rows.slice(1, -1).map((x) => [x[0], Number(x[1])])), want, name);
            for (const x of rows.slice(1)) {
                for (const cell of x.slice(1)) assert.match(cell, /^(\d+(\.\d+)?)?$/, `${name}: a number or nothing`);
            }
        }
        const exports = (out) => out.split('\n').filter((l) => l === `agent:${ag.admin.id}|export|statistics`).length;
        const audit = await srv.sqlUntil(`SELECT actor || '|' || action || '|' || object_kind FROM audit_log WHERE id > ${mark}`,
            (out) => exports(out) >= 5);
        assert.equal(exports(audit), 5, audit);
    });

    await t.test('XLSX: the same rows as the CSV, numbers as numbers', async () => {
        const q = `${all}&quartier=nord&canal=web`;
        const csv = csvRows(await download(c.elected, `/agent/pilotage/export.csv?table=procedure&${q}`));
        const r = await download(c.elected, `/agent/pilotage/export.xlsx?table=procedure&${q}`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
        const wb = XLSX.read(r.bytes, { type: 'buffer' });
        const sheet = XLSX.utils.sheet_to_json(wb.Sheets.Pilotage, { header: 1, defval: '' });
        assert.deepEqual(sheet[0], csv[0]);
        assert.equal(sheet.length, csv.length);
        for (let i = 1; i < csv.length; i++) {
            assert.equal(sheet[i][0], csv[i][0]);
            for (let k = 1; k < csv[i].length; k++)
                assert.equal(sheet[i][k], csv[i][k] === '' ? '' : Number(csv[i][k]), `${csv[i][0]} ${csv[0][k]}`);
        }
        const web = sqlNumber(srv, `SELECT count(*) FROM requests WHERE ${live} AND channel = 'web'`);
        assert.ok(sheet[sheet.length - 1][1] > 0 && sheet[sheet.length - 1][1] < web, 'web in Nord only');
    });

    await t.test('exports: the page\'s scope and checks', async () => {
        assert.equal((await download(c.agent, `/agent/pilotage/export.csv?table=channel&${all}`)).status, 403);
        const voirie = sqlNumber(srv, `SELECT count(*) FROM requests r JOIN departments d ON d.id = r.department_id WHERE r.${live} AND d.code = 'voirie'`);
        const mine = csvRows(await download(c.manager, `/agent/pilotage/export.csv?table=channel&${all}`));
        assert.equal(Number(mine[mine.length - 1][1]), voirie);
        const other = srv.sql(`SELECT code FROM departments WHERE code <> 'voirie' LIMIT 1`).trim();
        const refused = await c.manager.get(`/agent/pilotage/export.xlsx?table=channel&${all}&service=${other}`);
        assert.equal(refused.status, 400);
        assert.match(refused.text, /id="service-error"/);
        assert.equal((await c.admin.get(`/agent/pilotage/export.csv?table=agents&${all}`)).status, 400);
        assert.equal((await c.admin.get(`/agent/pilotage/export.csv?${all}`)).status, 400);
        assert.equal((await c.admin.get(`/agent/pilotage/export.pdf?table=channel&${all}`)).status, 404);
        const bars = await c.admin.get('/agent/pilotage/export.csv?table=period&periode=dates&du=2020-01-01&au=2026-01-01&granularite=jour');
        assert.equal(bars.status, 400);
        assert.match(bars.text, /id="granularite-error">.*400 barres/);
    });

    await t.test('costs per channel: admins only, each wrong amount named, then the savings against a recount', async () => {
        assert.equal((await c.manager.get('/agent/admin/couts')).status, 403);
        assert.equal((await c.admin.get('/agent/admin/couts')).status, 200);
        const before = await c.admin.get(`/agent/pilotage?${all}`);
        assert.match(before.text, /Les économies ne sont pas calculées/);
        assert.match(before.text, /href="\/agent\/admin\/couts"/, 'an admin is shown where to give them');
        assert.doesNotMatch((await c.elected.get(`/agent/pilotage?${all}`)).text, /href="\/agent\/admin\/couts"/);

        const bad = await c.admin.post('/agent/admin/couts', { cost_counter: '12,345', cost_phone: 'six', cost_web: '1', cost_post: '-4' },
            { tokenFrom: '/agent/admin/couts' });
        assert.equal(bad.status, 400);
        for (const f of ['cost_counter', 'cost_phone', 'cost_post']) {
            assert.match(bad.text, new RegExp(`id="${f}-error"><span class="visually-hidden">[^<]*</span> Indiquez un montant en euros`), f);
            assert.match(bad.text, new RegExp(`id="${f}"[^>]*aria-describedby="costs-hint ${f}-error" aria-invalid="true"`), f);
        }
        assert.doesNotMatch(bad.text, /id="cost_web-error"/);
        assert.match(bad.text, /id="cost_phone" name="cost_phone" value="six"/, 'what was typed is kept');
        assert.equal(sqlNumber(srv, 'SELECT count(*) FROM channel_costs'), 0, 'nothing written');

        const mark = sqlNumber(srv, 'SELECT coalesce(max(id), 0) FROM audit_log');
        const typed = { cost_web: '1', cost_mobile: '1', cost_email: '0,5', cost_sms: '0.10', cost_phone: '6', cost_counter: ' 12 ',
            cost_post: '4', cost_api: '1' };
        const ok = await c.admin.post('/agent/admin/couts', typed, { tokenFrom: '/agent/admin/couts' });
        assert.equal(ok.status, 303, F.textOf(ok.text || '').slice(0, 300));
        const cents = { web: 100, mobile: 100, email: 50, sms: 10, phone: 600, counter: 1200, post: 400, api: 100 };
        assert.deepEqual(Object.fromEntries(srv.sql('SELECT channel, cents FROM channel_costs').trim().split('\n')
            .map((l) => l.split('|')).map(([k, v]) => [k, Number(v)])), cents);
        assert.equal(srv.sql(`SELECT actor || '|' || action || '|' || object_kind FROM audit_log WHERE id > ${mark}`).trim(),
            `agent:${ag.admin.id}|admin|channel_costs`);
        assert.match((await c.admin.get('/agent/admin/couts')).text, /id="cost_email" name="cost_email" value="0,50"/);

        /* The dashboard: per month, requests, digital ones, and the savings at those costs. */
        const r = await c.admin.get(`/agent/pilotage?${all}`);
        assert.equal(r.status, 200);
        assert.doesNotMatch(r.text, /Les économies ne sont pas calculées/);
        assert.match(r.text, /Économie = nombre de demandes × coût d’une demande au guichet/);
        assert.match(r.text, /<li>Accueil : 12,00 €<\/li>/);
        const m = /<table [^>]*id="channel-shift">([\s\S]*?)<\/table>/.exec(r.text);
        assert.ok(m, 'the channel shift table');
        const euros = (x) => Math.round(Number(x.replace('−', '-').replace(/[^\d,-]/g, '').replace(',', '.')) * 100);
        const rows = [...m[1].split('<tfoot>')[0].matchAll(/<tr><th scope="row">([^<]*)<\/th>((?:<td>[^<]*<\/td>)+)<\/tr>/g)]
            .map((x) => [x[1], ...[...x[2].matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1])]);
        assert.ok(rows.length >= 2, 'several months');
        const per = srv.sql(`SELECT channel, count(*) FROM requests WHERE ${live} GROUP BY channel`).trim().split('\n').map((l) => l.split('|'));
        const digital = new Set(['web', 'mobile', 'email', 'sms', 'api']);
        let total = 0, dig = 0, saved = 0;
        for (const [ch, k] of per) {
            total += Number(k);
            if (digital.has(ch)) dig += Number(k);
            saved += Number(k) * (1200 - cents[ch]);
        }
        const sum = (i) => rows.reduce((a, x) => a + (i >= 4 ? euros(x[i]) : Number(x[i])), 0);
        assert.equal(sum(1), total);
        assert.equal(sum(2), dig);
        assert.equal(sum(6), saved, 'the savings add up to the recount');
        for (const x of rows) {
            assert.equal(euros(x[4]), Number(x[1]) * 1200, `${x[0]}: all at the counter`);
            assert.equal(euros(x[6]), euros(x[4]) - euros(x[5]), `${x[0]}: saved`);
            assert.equal(x[3], `${(100 * Number(x[2]) / Number(x[1])).toFixed(1).replace('.', ',')} %`, `${x[0]}: share`);
        }
        /* The year to date: from the first of January in the collectivité's zone. */
        const tz = srv.sql("SELECT timezone FROM tenants WHERE slug = 'ville-demo'").trim();
        const year = Number(new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric' }).format(new Date()));
        const noon = Date.UTC(year, 0, 1, 12) / 1000;
        const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', hourCycle: 'h23' }).format(new Date(noon * 1000)));
        const jan1 = noon - 12 * 3600 - (hour - 12) * 3600;
        const ytd = /<tfoot><tr><th scope="row">Depuis le 1er janvier (\d{4})<\/th><td>(\d+)<\/td><td>(\d+)<\/td>/.exec(m[1]);
        assert.ok(ytd, 'the year to date line');
        assert.equal(Number(ytd[1]), year);
        assert.equal(Number(ytd[2]), sqlNumber(srv, `SELECT count(*) FROM requests WHERE ${live} AND created_at >= ${jan1}`));
        assert.equal(Number(ytd[3]), sqlNumber(srv, `SELECT count(*) FROM requests WHERE ${live} AND created_at >= ${jan1}
            AND channel IN ('web', 'mobile', 'email', 'sms', 'api')`));
        /* A period far from the year to date: the line comes from a walk of its own, the same. */
        const old = await c.admin.get(`/agent/pilotage?periode=dates&du=${year - 3}-01-01&au=${year - 3}-01-31`);
        assert.equal(old.status, 200);
        const oldYtd = /<tfoot><tr><th scope="row">Depuis le 1er janvier (\d{4})<\/th><td>(\d+)<\/td><td>(\d+)<\/td>/.exec(old.text);
        assert.ok(oldYtd, 'the year to date line beside a period of three years ago');
        assert.deepEqual(oldYtd.slice(1), ytd.slice(1));
    });

    await t.test('views are rate limited per agent: 60 at once, then 429 with Retry-After, the page and its files alike', async () => {
        const quick = await F.login(srv, F.addAgent(srv, { email: 'pil.debit@ville-demo.test', name: 'Élu Débit', role: 'elected' }));
        for (let i = 0; i < 59; i++)
            assert.equal((await quick.get('/agent/pilotage?periode=30j')).status, 200, `view ${i + 1}`);
        assert.equal((await quick.get('/agent/pilotage/export.csv?periode=30j&table=channel')).status, 200);
        const held = await quick.get('/agent/pilotage?periode=30j');
        assert.equal(held.status, 429);
        assert.ok(Number(held.headers.get('retry-after')) >= 1, 'Retry-After');
        assert.equal((await quick.get('/agent/pilotage/export.csv?periode=30j&table=channel')).status, 429);
        assert.equal((await c.elected.get('/agent/pilotage?periode=30j')).status, 200, 'another agent');
    });

    await t.test('the presets answer', async () => {
        for (const p of ['30j', 'mois', 'annee']) {
            const r = await c.elected.get(`/agent/pilotage?periode=${p}`);
            assert.equal(r.status, 200, p);
            assert.match(r.text, /id="volumes"/);
        }
    });
});
