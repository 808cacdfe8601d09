'use strict';
/*
 * /agent/pilotage/rapport.pdf, the dashboards' one-page monthly report, against a real server
 * on the demo commune: the form on /agent/pilotage (the last complete month by default, the
 * filters carried over); the rights of the dashboards (a plain agent gets 403); the file
 * (application/pdf, an attachment named rapport-YYYY-MM.pdf, never cached), one page read
 * back with pdfinfo and pdftotext, whose requests filed equal the dashboards' for the month;
 * a manager's report limited to their departments, and another department refused beside its
 * field; a month that does not exist or has not begun refused with a clear message beside
 * the month's field, what was typed kept; the dashboards' rate limit; the English report.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer } = require('./harness');
const F = require('../browser/bo_flows');

const monthOf = (t) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date(t * 1000)).slice(0, 7);
const frMonths = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];
const enMonths = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/* The requests filed in month m (YYYY-MM) on the dashboards, with their filters q. */
async function pageTotal(client, m, q = '') {
    const [y, mo] = m.split('-').map(Number);
    const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    const r = await client.get(`/agent/pilotage?periode=dates&du=${m}-01&au=${m}-${String(last).padStart(2, '0')}&granularite=mois${q}`);
    assert.equal(r.status, 200);
    const total = /<table [^>]*id="volumes">[\s\S]*?<tfoot><tr><th scope="row">[^<]*<\/th><td>(\d+)<\/td>/.exec(r.text);
    assert.ok(total, 'the volumes table has its total');
    return Number(total[1]);
}

test('/agent/pilotage/rapport.pdf: form, rights, the file, scope, errors', async (t) => {
    const srv = await startServer({});
    t.after(() => srv.stop());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotage-report-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const ag = {
        elected: F.addAgent(srv, { email: 'rap.elu@ville-demo.test', name: 'Élue Rapport', role: 'elected' }),
        manager: F.addAgent(srv, { email: 'rap.resp@ville-demo.test', name: 'Resp Rapport', role: 'manager', departments: ['voirie'] }),
        agent: F.addAgent(srv, { email: 'rap.agent@ville-demo.test', name: 'Agent Rapport', role: 'agent', departments: ['voirie'] }),
    };
    const c = {};
    for (const k of Object.keys(ag)) c[k] = await F.login(srv, ag[k]);
    const month = monthOf(Number(srv.sql('SELECT max(created_at) FROM requests WHERE merged_into IS NULL').trim()));
    const [year, mo] = month.split('-').map(Number);

    const download = async (client, p) => {
        const r = await fetch(srv.url + p, { headers: { Cookie: client.cookieHeader() }, redirect: 'manual' });
        return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
    };
    let n = 0;
    const read = (bytes) => {
        const file = path.join(dir, `r${n++}.pdf`);
        fs.writeFileSync(file, bytes);
        const info = spawnSync('pdfinfo', [file], { encoding: 'utf8' });
        assert.equal(info.status, 0, info.stderr);
        const text = spawnSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
        assert.equal(text.status, 0, text.stderr);
        return { pages: Number(/^Pages:\s+(\d+)$/m.exec(info.stdout)[1]), tagged: /^Tagged:\s+yes$/m.test(info.stdout), text: text.stdout };
    };
    const filed = (text) => {
        const m = /(?:Demandes déposées|Requests filed)\s+(\d+)\s+(\d+)/.exec(text);
        assert.ok(m, `no requests filed in:\n${text}`);
        return Number(m[1]);
    };

    await t.test('the form: the last complete month by default, the filters carried', async () => {
        const now = new Date();
        const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(now).split('-').map(Number);
        const prev = parts[1] === 1 ? `${parts[0] - 1}-12` : `${parts[0]}-${String(parts[1] - 1).padStart(2, '0')}`;
        const r = await c.elected.get('/agent/pilotage?canal=web');
        assert.equal(r.status, 200);
        assert.match(r.text, /<form method="get" action="\/agent\/pilotage\/rapport\.pdf"/);
        assert.match(r.text, new RegExp(`<input type="text" id="mois" name="mois" value="${prev}"`));
        assert.match(r.text, /<input type="hidden" name="canal" value="web">/);
        assert.match(r.text, /<label for="mois">Mois<\/label>/);
    });

    await t.test('a plain agent gets 403', async () => {
        assert.equal((await c.agent.get(`/agent/pilotage/rapport.pdf?mois=${month}`)).status, 403);
    });

    await t.test('an élu gets one tagged page whose figures are the dashboards\'', async () => {
        const r = await download(c.elected, `/agent/pilotage/rapport.pdf?mois=${month}`);
        assert.equal(r.status, 200, r.bytes.toString().slice(0, 300));
        assert.equal(r.headers.get('content-type'), 'application/pdf');
        assert.equal(r.headers.get('content-disposition'), `attachment; filename="rapport-${month}.pdf"`);
        assert.match(r.headers.get('cache-control'), /no-store/);
        const pdf = read(r.bytes);
        assert.equal(pdf.pages, 1);
        assert.ok(pdf.tagged, 'tagged');
        assert.match(pdf.text, new RegExp(`Rapport mensuel — ${frMonths[mo - 1]} ${year}`));
        assert.match(pdf.text, /Filtres : aucun/);
        const total = await pageTotal(c.elected, month);
        assert.ok(total > 0, 'the demo has requests that month');
        assert.equal(filed(pdf.text), total);
        /* The channel filter narrows it as it narrows the page. */
        const web = read((await download(c.elected, `/agent/pilotage/rapport.pdf?mois=${month}&canal=web`)).bytes);
        assert.equal(filed(web.text), await pageTotal(c.elected, month, '&canal=web'));
        assert.match(web.text, /Filtres : canal : Site web\./);
    });

    await t.test('a manager\'s report holds their departments only', async () => {
        const r = await download(c.manager, `/agent/pilotage/rapport.pdf?mois=${month}`);
        assert.equal(r.status, 200);
        const pdf = read(r.bytes);
        assert.equal(pdf.pages, 1);
        const mine = await pageTotal(c.manager, month);
        assert.equal(filed(pdf.text), mine);
        assert.ok(mine < await pageTotal(c.elected, month), 'less than the whole collectivité');
        const name = srv.sql(`SELECT name FROM departments WHERE code = 'voirie'`).trim();
        assert.match(pdf.text, new RegExp(`vos services \\(${name}\\)`));
        const other = srv.sql(`SELECT code FROM departments WHERE code <> 'voirie' LIMIT 1`).trim();
        const bad = await c.manager.get(`/agent/pilotage/rapport.pdf?mois=${month}&service=${other}`);
        assert.equal(bad.status, 400);
        assert.match(bad.headers.get('content-type'), /^text\/html/);
        assert.match(bad.text, /id="service-error"[^>]*>.*Vous ne voyez que les chiffres de vos services/);
    });

    await t.test('a month that does not exist or has not begun is refused beside its field', async () => {
        for (const [m, msg] of [['2026-13', /Indiquez un mois existant au format AAAA-MM/], ['novembre', /Indiquez un mois existant/],
            ['2099-01', /Choisissez un mois déjà commencé/]]) {
            const r = await c.elected.get(`/agent/pilotage/rapport.pdf?mois=${encodeURIComponent(m)}&canal=web`);
            assert.equal(r.status, 400, m);
            assert.match(r.headers.get('content-type'), /^text\/html/);
            assert.match(r.text, new RegExp(`<p class="field-error" id="mois-error">.*${msg.source}`));
            assert.match(r.text, new RegExp(`<input type="text" id="mois" name="mois" value="${m}"[^>]*aria-describedby="mois-hint mois-error" aria-invalid="true">`));
            assert.match(r.text, /<input type="hidden" name="canal" value="web">/);
        }
        const none = await c.elected.get('/agent/pilotage/rapport.pdf');
        assert.equal(none.status, 400);
        assert.match(none.text, /id="mois-error"/);
    });

    await t.test('the report shares the dashboards\' rate limit', async () => {
        const quick = await F.login(srv, F.addAgent(srv, { email: 'rap.debit@ville-demo.test', name: 'Élu Débit', role: 'elected' }));
        for (let i = 0; i < 59; i++)
            assert.equal((await quick.get('/agent/pilotage?periode=30j')).status, 200, `view ${i + 1}`);
        /* The bucket refills by one every two seconds: under AddressSanitizer the views above
         * take long enough for a few reports to pass before the 429. */
        let held;
        for (let i = 0; i < 30; i++) {
            held = await download(quick, `/agent/pilotage/rapport.pdf?mois=${month}`);
            if (held.status !== 200) break;
        }
        assert.equal(held.status, 429);
        assert.ok(Number(held.headers.get('retry-after')) >= 1, 'Retry-After');
    });

    await t.test('in English', async () => {
        const r = await download(c.elected, `/agent/pilotage/rapport.pdf?mois=${month}&lang=en`);
        assert.equal(r.status, 200);
        const pdf = read(r.bytes);
        assert.match(pdf.text, new RegExp(`Monthly report — ${enMonths[mo - 1]} ${year}`));
        assert.equal(filed(pdf.text), await pageTotal(c.elected, month));
    });
});
