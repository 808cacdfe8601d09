'use strict';
/*
 * sla — deadlines in the back office (issue 13, «Timeouts» and «Workflows»): each open request
 * with a due date is «En retard» (due before now), «Échéance aujourd'hui» (due by the end of
 * today, the collectivité's clock) or «Dans les temps», said in words on the inbox's rows
 * and on the request page; the inbox's views «En retard (n)» and «Échéance aujourd'hui (n)»
 * are GET links that keep the tab and the filters, narrowed to what the agent may see, and
 * their counts leave closed requests out. Also the collectivité's calendar of public holidays
 * (national or Alsace-Moselle) on its settings page.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');

let srv, admin, agentA, agentB;
/* The requests the tests place around now: late (two), due today, on time, closed while
 * late, without a due date. */
const R = {};
let dept, otherDept;

test.before(async () => {
    srv = await H.startServer({ requests: 400 });
    /* The department with the most open requests, and another one. */
    const rows = srv.sql(`SELECT d.code, count(r.id) FROM departments d LEFT JOIN requests r
                          ON r.department_id = d.id AND r.closed_at IS NULL
                          GROUP BY d.id ORDER BY count(r.id) DESC, d.code`).trim().split('\n');
    dept = rows[0].split('|')[0];
    otherDept = rows[1].split('|')[0];
    const did = srv.sql(`SELECT id FROM departments WHERE code = '${dept}'`).trim();
    const open = srv.sql(`SELECT reference FROM requests WHERE department_id = ${did}
                          AND closed_at IS NULL ORDER BY id LIMIT 5`).trim().split('\n');
    const closed = srv.sql(`SELECT reference FROM requests WHERE department_id = ${did}
                            AND closed_at IS NOT NULL ORDER BY id LIMIT 1`).trim();
    assert.equal(open.length, 5, `five open requests in ${dept}`);
    assert.ok(closed, `a closed request in ${dept}`);
    [R.late1, R.late2, R.today, R.onTime, R.noDelay] = open;
    R.closedLate = closed;

    const now = Math.floor(Date.now() / 1000);
    const midnight = F.nextParisMidnight(now);
    /* Only these requests of the department have a due date: the counts are known. */
    srv.sql(`UPDATE requests SET due_at = NULL WHERE department_id = ${did}`);
    const set = (ref, due, extra = '') =>
        srv.sql(`UPDATE requests SET due_at = ${due}${extra} WHERE reference = '${ref}'`);
    set(R.late1, now - 86400, ", channel = 'web'");
    set(R.late2, now - 3 * 86400, ", channel = 'phone'");
    set(R.today, Math.min(now + 600, midnight - 1), ", channel = 'web'");
    set(R.onTime, now + 5 * 86400);
    set(R.closedLate, now - 2 * 86400);

    const a = F.addAgent(srv, { email: `sla.a.${process.pid}@ville-demo.test`, name: 'Agent SLA', role: 'agent', departments: [dept] });
    const b = F.addAgent(srv, { email: `sla.b.${process.pid}@ville-demo.test`, name: 'Autre SLA', role: 'agent', departments: [otherDept] });
    const ad = F.addAgent(srv, { email: `sla.admin.${process.pid}@ville-demo.test`, name: 'Admin SLA', role: 'admin' });
    agentA = await F.login(srv, a);
    agentB = await F.login(srv, b);
    admin = await F.login(srv, ad);
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

/* The inbox's rows as [reference, the SLA badge's words or null]. */
function rows(html) {
    const out = [];
    for (const tr of html.split('<tr data-row').slice(1)) {
        const ref = /data-open>([^<]+)<\/a>/.exec(tr)[1];
        const badge = /<span class="badge badge--sla badge--sla-([a-z_]+)">([^<]+)<\/span>/.exec(tr);
        out.push([ref, badge ? `${badge[1]}:${F.unescapeHtml(badge[2])}` : null]);
    }
    return out;
}

/* The views' links: key → {href, count (null: not shown), current}. */
function views(html) {
    const out = {};
    const re = /<a href="([^"]+)" data-view="([a-z]+)"( aria-current="page")?>([^<]+?) (?:<span class="tabs__count">\((\d+\+?)<span class="visually-hidden"> [^<]+<\/span>\)<\/span>)?<\/a>/g;
    for (const m of html.matchAll(re))
        out[m[2]] = { href: F.unescapeHtml(m[1]), label: F.unescapeHtml(m[4]), count: m[5] === undefined ? null : m[5], current: !!m[3] };
    return out;
}

test('the inbox counts the late and due-today requests of the tab, closed ones left out', async () => {
    const page = await agentA.get('/agent/?onglet=service');
    assert.equal(page.status, 200);
    const v = views(page.text);
    /* The letters' view follows the SLA ones (tests/http/mail_settings.test.js). */
    assert.deepEqual(Object.keys(v), ['retard', 'aujourdhui', 'courrier']);
    assert.equal(v.courrier.count, '0');
    assert.equal(v.retard.label, 'En retard');
    assert.equal(v.retard.count, '2', 'two late: the closed late one is not counted');
    assert.equal(v.aujourdhui.label, 'Échéance aujourd\'hui');
    assert.equal(v.aujourdhui.count, '1');
    assert.equal(v.retard.href, '/agent/?onglet=service&vue=retard');
    assert.equal(v.retard.current, false);
});

test('«En retard» lists the late requests, soonest due first, each with its badge in words', async () => {
    const page = await agentA.get('/agent/?onglet=service&vue=retard');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>Demandes en retard<\/h1>/);
    assert.deepEqual(rows(page.text), [[R.late2, 'late:En retard'], [R.late1, 'late:En retard']]);
    assert.equal(views(page.text).retard.current, true);
    const today = await agentA.get('/agent/?onglet=service&vue=aujourdhui');
    assert.equal(today.status, 200);
    assert.match(F.unescapeHtml(today.text), /<h1>Demandes à échéance aujourd'hui<\/h1>/);
    assert.deepEqual(rows(today.text), [[R.today, 'today:Échéance aujourd\'hui']]);
    const v = views(today.text);
    assert.equal(v.aujourdhui.current, true);
    assert.equal(v.retard.count, '2');
});

test('the views keep the other filters, in their links and their counts', async () => {
    const page = await agentA.get('/agent/?onglet=service&canal=phone&vue=retard');
    assert.deepEqual(rows(page.text).map((r) => r[0]), [R.late2]);
    const v = views(page.text);
    assert.equal(v.retard.count, '1');
    assert.equal(v.aujourdhui.count, '0', 'the request due today came from the web');
    assert.equal(v.aujourdhui.href, '/agent/?onglet=service&canal=phone&vue=aujourdhui');
    /* «En retard seulement» of the filters' box is the same list. */
    const box = await agentA.get('/agent/?onglet=service&retard=1');
    assert.deepEqual(rows(box.text).map((r) => r[0]), [R.late2, R.late1]);
});

test('the views show only what the agent may see', async () => {
    for (const vue of ['retard', 'aujourdhui']) {
        const page = await agentB.get(`/agent/?onglet=service&vue=${vue}`);
        assert.equal(page.status, 200);
        for (const ref of Object.values(R))
            assert.ok(!page.text.includes(ref), `${ref} of ${dept} shown to an agent of ${otherDept} (${vue})`);
    }
});

test('the request page says where the request stands; closed or without a delay, nothing', async () => {
    const expect = [[R.late1, 'late', 'En retard'], [R.today, 'today', 'Échéance aujourd\'hui'],
                    [R.onTime, 'on_time', 'Dans les temps']];
    for (const [ref, cls, words] of expect) {
        const page = await agentA.get(`/agent/demandes/${ref}`);
        assert.equal(page.status, 200);
        const m = /<span class="badge badge--sla badge--sla-([a-z_]+)">([^<]+)<\/span>/.exec(page.text);
        assert.ok(m, `${ref}: an SLA badge`);
        assert.equal(m[1], cls);
        assert.equal(F.unescapeHtml(m[2]), words);
    }
    for (const ref of [R.closedLate, R.noDelay]) {
        const page = await agentA.get(`/agent/demandes/${ref}`);
        assert.equal(page.status, 200);
        assert.ok(!page.text.includes('badge--sla'), `${ref}: no SLA badge`);
    }
});

test('a request turns late once its due date has passed, without any write', async () => {
    const now = Math.floor(Date.now() / 1000);
    srv.sql(`UPDATE requests SET due_at = ${now - 1} WHERE reference = '${R.onTime}'`);
    const page = await agentA.get('/agent/?onglet=service&vue=retard');
    assert.deepEqual(rows(page.text).map((r) => r[0]), [R.late2, R.late1, R.onTime]);
    assert.equal(views(page.text).retard.count, '3');
    srv.sql(`UPDATE requests SET due_at = ${now + 5 * 86400} WHERE reference = '${R.onTime}'`);
});

test('the collectivité chooses its calendar of public holidays', async () => {
    const TAB = '/agent/admin/collectivite';
    let page = await admin.get(TAB);
    assert.equal(page.status, 200);
    assert.match(page.text, /<legend>Calendrier des jours fériés<\/legend>/);
    assert.match(page.text, /<input type="radio" id="holidays" name="holidays" value="national" checked>/);
    assert.equal(srv.sql('SELECT holidays FROM tenant_branding').trim(), '0');

    const audits = () => Number(srv.sql("SELECT count(*) FROM audit_log WHERE action = 'admin' AND object_kind = 'tenant'").trim());
    const before = audits();
    const ok = await admin.post(TAB, { name: 'Ville de Démo', holidays: 'alsace-moselle' });
    assert.equal(ok.status, 303, F.textOf(ok.text).slice(0, 500));
    assert.equal(srv.sql('SELECT holidays FROM tenant_branding').trim(), '1');
    assert.equal(audits(), before + 1, 'the change is audited');
    page = await admin.get(TAB);
    assert.match(page.text, /<input type="radio" id="holidays-alsace-moselle" name="holidays" value="alsace-moselle" checked>/);

    const bad = await admin.post(TAB, { name: 'Ville de Démo', holidays: 'lunaire' });
    assert.equal(bad.status, 400);
    assert.match(F.unescapeHtml(bad.text), /Choisissez le calendrier national ou celui d’Alsace-Moselle\./);
    assert.match(bad.text, /<fieldset class="stack" id="holidays-choice" aria-describedby="holidays-hint holidays-error">/);
    assert.equal(srv.sql('SELECT holidays FROM tenant_branding').trim(), '1', 'nothing written');
    const en = await admin.post(`${TAB}?lang=en`, { name: 'Ville de Démo', holidays: 'lunaire' });
    assert.match(F.unescapeHtml(en.text), /Choose the national calendar or the Alsace-Moselle one\./);

    const back = await admin.post(TAB, { name: 'Ville de Démo', holidays: 'national' });
    assert.equal(back.status, 303);
    assert.equal(srv.sql('SELECT holidays FROM tenant_branding').trim(), '0');
});
