'use strict';
/*
 * /agent/pilotage's table per agent (core/stats_agent.h) against a real server on the demo
 * commune, on a fixed dataset: eight requests moved to March 2020 with known departments,
 * assignees, closings and due dates. An admin sees every agent by name, the unassigned row and
 * the requests assigned to a name no agent carries; a manager sees their department's requests
 * only, the agents of their department by name and an agent of another department among the
 * others; élus and plain agents are refused the table and its files, even by URL; each view
 * and export is recorded in the audit log with the agents shown.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./harness');
const F = require('../browser/bo_flows');
const XLSX = require('xlsx');

/* The body rows of table `id`: {label: [cells after the label]}, and the total line's cells. */
function rowsOf(html, id) {
    const m = new RegExp(`<table [^>]*id="${id}">([\\s\\S]*?)</table>`).exec(html);
    assert.ok(m, `no table ${id}`);
    const cells = (tr) => [...tr.matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((c) => F.unescapeHtml(c[1]));
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(m[1])[1];
    const rows = {};
    for (const tr of body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)) {
        const c = cells(tr[1]);
        rows[c[0]] = c.slice(1);
    }
    const foot = /<tfoot><tr>([\s\S]*?)<\/tr><\/tfoot>/.exec(m[1]);
    assert.ok(foot, `no total line in ${id}`);
    return { rows, total: cells(foot[1]).slice(1) };
}

/* Count, closed, median and p90 to close, closed on time, late, overdue now: the cells
 * checked (answered and the first answer come from the demo's events, moved in time). */
const pick = (c) => [c[0], c[2], c[5], c[6], c[7], c[8], c[9]];

test('/agent/pilotage: figures per agent, for managers and admins only', async (t) => {
    const srv = await startServer({});
    t.after(() => srv.stop());
    const ag = {
        admin: F.addAgent(srv, { email: 'pa.admin@ville-demo.test', name: 'Adèle Admin', role: 'admin' }),
        elected: F.addAgent(srv, { email: 'pa.elu@ville-demo.test', name: 'Élie Élu', role: 'elected' }),
        manager: F.addAgent(srv, { email: 'pa.resp@ville-demo.test', name: 'Régis Resp', role: 'manager', departments: ['voirie'] }),
        ana: F.addAgent(srv, { email: 'pa.ana@ville-demo.test', name: 'Ana Voirie', role: 'agent', departments: ['voirie'] }),
        bob: F.addAgent(srv, { email: 'pa.bob@ville-demo.test', name: 'Bob Propreté', role: 'agent', departments: ['proprete'] }),
    };
    const c = {};
    for (const k of ['admin', 'elected', 'manager', 'ana']) c[k] = await F.login(srv, ag[k]);

    /* The fixed dataset: 2020-03-10 12:00 UTC, hours after it. */
    const T = Date.UTC(2020, 2, 10, 12) / 1000, H = 3600;
    const dep = (code) => `(SELECT id FROM departments WHERE code = '${code}')`;
    const ids = srv.sql('SELECT id FROM requests WHERE merged_into IS NULL ORDER BY id LIMIT 8').trim().split('\n').map(Number);
    const data = [
        /* department, assignee, closed after, due after */
        ['voirie', 'agent:pa.ana', 2 * H, 24 * H],
        ['voirie', 'agent:pa.ana', 10 * H, 5 * H],
        ['voirie', 'agent:pa.ana', null, 24 * H],
        ['voirie', 'agent:pa.bob', 4 * H, null],
        ['voirie', null, null, null],
        ['proprete', 'agent:pa.bob', 6 * H, null],
        ['proprete', 'equipe-nord', null, null],
        ['voirie', 'equipe-nord', 8 * H, null],
    ];
    const q = (v) => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : v);
    srv.sql(data.map(([d, who, closed, due], i) => `UPDATE requests SET department_id = ${dep(d)}, assignee = ${q(who)},
        created_at = ${T}, closed_at = ${closed === null ? 'NULL' : T + closed}, due_at = ${due === null ? 'NULL' : T + due},
        status = ${closed === null ? "'in_progress'" : "'resolved'"} WHERE id = ${ids[i]};`).join('\n'));
    const march = 'periode=dates&du=2020-03-01&au=2020-03-31';

    await t.test('an admin: every agent by name, the unassigned, the others; the rows add up', async () => {
        const mark = Number(srv.sql('SELECT coalesce(max(id), 0) FROM audit_log').trim());
        const r = await c.admin.get(`/agent/pilotage?${march}`);
        assert.equal(r.status, 200);
        assert.match(r.text, /<h2 id="by-agent-title">Par agent<\/h2>/);
        assert.match(r.text, /<caption id="by-agent-caption">Demandes et délais par agent/);
        const tab = rowsOf(r.text, 'by-agent');
        assert.deepEqual(Object.keys(tab.rows), ['Ana Voirie', 'Bob Propreté', 'Non assignées', 'Assignées à d’autres agents']);
        assert.deepEqual(pick(tab.rows['Ana Voirie']), ['3', '2', '2 h', '10 h', '1', '1', '1']);
        assert.deepEqual(pick(tab.rows['Bob Propreté']), ['2', '2', '4 h', '6 h', '0', '0', '0']);
        assert.deepEqual(pick(tab.rows['Non assignées']), ['1', '0', '—', '—', '0', '0', '0']);
        assert.deepEqual(pick(tab.rows['Assignées à d’autres agents']), ['2', '1', '8 h', '8 h', '0', '0', '0']);
        assert.deepEqual(pick(tab.total), ['8', '5', '6 h', '10 h', '1', '1', '1']);
        assert.deepEqual(tab.total, rowsOf(r.text, 'by-channel').total, 'the same total as the other tables');
        assert.match(r.text, /chaque consultation est enregistrée dans le journal des accès/);
        /* the view is recorded, with the agents shown */
        const audit = (await srv.sqlUntil(`SELECT actor || '|' || action || '|' || object_ids FROM audit_log WHERE id > ${mark} AND object_kind = 'agent_figures'`,
            (out) => out.trim() !== '')).trim();
        assert.equal(audit, `agent:${ag.admin.id}|view|${[ag.ana.id, ag.bob.id].join(',')}`);
    });

    await t.test('a manager: their department, its agents by name, another department\'s agent among the others', async () => {
        const mark = Number(srv.sql('SELECT coalesce(max(id), 0) FROM audit_log').trim());
        const r = await c.manager.get(`/agent/pilotage?${march}`);
        assert.equal(r.status, 200);
        const tab = rowsOf(r.text, 'by-agent');
        assert.deepEqual(Object.keys(tab.rows), ['Ana Voirie', 'Non assignées', 'Assignées à d’autres agents']);
        assert.deepEqual(pick(tab.rows['Ana Voirie']), ['3', '2', '2 h', '10 h', '1', '1', '1']);
        assert.deepEqual(pick(tab.rows['Assignées à d’autres agents']), ['2', '2', '4 h', '8 h', '0', '0', '0']);
        assert.deepEqual(pick(tab.total), ['6', '4', '4 h', '10 h', '1', '1', '1']);
        assert.doesNotMatch(r.text, /Bob Propreté/);
        assert.match(r.text, /seuls les agents de vos services sont nommés/);
        /* the view is recorded with the agents named on it (waited for: reads are audited in
         * the background, and the next case counts the entries after its own mark) */
        const audit = (await srv.sqlUntil(`SELECT actor || '|' || action || '|' || object_ids FROM audit_log WHERE id > ${mark} AND object_kind = 'agent_figures'`,
            (out) => out.trim() !== '')).trim();
        assert.equal(audit, `agent:${ag.manager.id}|view|${ag.ana.id}`);
    });

    const download = async (client, p) => {
        const r = await fetch(srv.url + p, { headers: { Cookie: client.cookieHeader() }, redirect: 'manual' });
        return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
    };

    await t.test('the table as CSV and XLSX: the page\'s rows, the scope, audited as an export', async () => {
        const mark = Number(srv.sql('SELECT coalesce(max(id), 0) FROM audit_log').trim());
        const csv = await download(c.manager, `/agent/pilotage/export.csv?table=agent&${march}`);
        assert.equal(csv.status, 200);
        assert.match(csv.headers.get('content-disposition'), /filename="pilotage-agent-\d{4}-\d{2}-\d{2}\.csv"/);
        const lines = csv.bytes.toString('utf8').replace(/^\uFEFF/, '').trim().split(/\r\n/).map((l) => l.split(';'));
        assert.equal(lines[0][0], 'Agent');
        assert.deepEqual(lines.slice(1).map((l) => [l[0], l[1], l[3]]),
            [['Ana Voirie', '3', '2'], ['Non assignées', '1', '0'], ['Assignées à d’autres agents', '2', '2'], ['Total', '6', '4']]);
        assert.equal(lines[1][6], '2.00', 'median to close in hours');
        const xlsx = await download(c.admin, `/agent/pilotage/export.xlsx?table=agent&${march}`);
        assert.equal(xlsx.status, 200);
        const sheet = XLSX.utils.sheet_to_json(XLSX.read(xlsx.bytes, { type: 'buffer' }).Sheets.Pilotage, { header: 1, defval: '' });
        assert.deepEqual(sheet.slice(1).map((l) => [l[0], l[1]]),
            [['Ana Voirie', 3], ['Bob Propreté', 2], ['Non assignées', 1], ['Assignées à d’autres agents', 2], ['Total', 8]]);
        const entries = (out) => out.trim().split('\n').filter(Boolean);
        const audit = entries(await srv.sqlUntil(`SELECT actor || '|' || action || '|' || object_ids FROM audit_log WHERE id > ${mark} AND object_kind = 'agent_figures' ORDER BY id`,
            (out) => entries(out).length >= 2));
        assert.deepEqual(audit.sort(), [`agent:${ag.admin.id}|export|${ag.ana.id},${ag.bob.id}`, `agent:${ag.manager.id}|export|${ag.ana.id}`].sort());
    });

    await t.test('élus and agents: neither the table nor its files, even by URL', async () => {
        const mark = Number(srv.sql('SELECT coalesce(max(id), 0) FROM audit_log').trim());
        const r = await c.elected.get(`/agent/pilotage?${march}`);
        assert.equal(r.status, 200);
        assert.match(r.text, /id="by-channel"/);
        assert.doesNotMatch(r.text, /id="by-agent"|Par agent|Ana Voirie|table=agent&/);
        for (const fmt of ['csv', 'xlsx']) {
            const x = await download(c.elected, `/agent/pilotage/export.${fmt}?table=agent&${march}`);
            assert.equal(x.status, 403, `élu ${fmt}`);
            assert.doesNotMatch(x.bytes.toString('utf8'), /Ana Voirie/);
            assert.equal((await download(c.ana, `/agent/pilotage/export.${fmt}?table=agent&${march}`)).status, 403, `agent ${fmt}`);
        }
        assert.equal((await c.ana.get(`/agent/pilotage?${march}`)).status, 403);
        await new Promise((res) => setTimeout(res, 300));
        assert.equal(srv.sql(`SELECT count(*) FROM audit_log WHERE id > ${mark} AND object_kind = 'agent_figures'`).trim(), '0');
    });

    await t.test('the access log names the reading in words', async () => {
        const r = await c.admin.get('/agent/admin/audit');
        assert.equal(r.status, 200);
        assert.match(r.text, /a consulté les chiffres par agent des agents/);
    });
});
