'use strict';
/*
 * The back office's workflow editor against a real `guichet serve` on the demo commune: the
 * list, «Dupliquer», a label changed (a new version in the history, the badge on the request
 * page following it), an invalid edit refused with every problem listed and nothing saved.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');

let srv, admin;

/* The fields a form of an editor page (its action ending in `part`) sends as it is, in
 * order: inputs (checkboxes and radios when checked), selects (their selected option) and
 * text areas. */
function formPairs(html, part) {
    const form = new RegExp(`<form method="post" action="[^"]*/${part}[^"]*"[^>]*>([\\s\\S]*?)</form>`).exec(html);
    assert.ok(form, `no ${part} form`);
    const out = [];
    for (const m of form[1].matchAll(/<input([^>]*)>|<select id="[^"]*" name="([^"]*)"[^>]*>([\s\S]*?)<\/select>|<textarea id="[^"]*" name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) {
        if (m[4]) {
            out.push([m[4], F.unescapeHtml(m[5])]);
            continue;
        }
        if (m[2]) {
            const sel = /<option value="([^"]*)" selected>/.exec(m[3]);
            out.push([m[2], sel ? F.unescapeHtml(sel[1]) : '']);
            continue;
        }
        const a = m[1];
        const name = /name="([^"]*)"/.exec(a);
        if (!name || name[1] === 'csrf_token') continue;
        const type = (/type="([^"]*)"/.exec(a) || [])[1];
        if ((type === 'checkbox' || type === 'radio') && !/ checked/.test(a)) continue;
        out.push([name[1], F.unescapeHtml((/value="([^"]*)"/.exec(a) || ['', ''])[1])]);
    }
    return out;
}

/* The statuses' form as an object (its names are unique). */
function statusFields(html) {
    return Object.fromEntries(formPairs(html, 'statuts'));
}

const versions = (code) => srv.sql(`SELECT count(*) FROM workflow_versions v JOIN workflows w ON w.id = v.workflow_id WHERE w.code = ${F.sqlq(code)}`).trim();

test.before(async () => {
    srv = await H.startServer({ requests: 3 });
    admin = await F.login(srv, F.addAgent(srv, { email: `wfe.admin.${process.pid}@ville-demo.test`, name: 'Admin Éditeur', role: 'admin' }));
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

test('the list shows each workflow with its procedures and requests in flight', async () => {
    const page = await admin.get('/agent/admin/workflows');
    assert.equal(page.status, 200);
    assert.match(page.text, /<code>incident<\/code>/);
    assert.match(page.text, /<code>demarche<\/code>/);
    assert.match(page.text, /Dupliquer un circuit/);
});

test('an invalid edit is refused with every problem listed and nothing saved', async () => {
    const page = await admin.get('/agent/admin/workflows/incident');
    assert.equal(page.status, 200);
    const f = statusFields(page.text);
    f.s0_al = '';             // a status without its agents' label
    f.s1_final = '1';         // "acknowledged": final but open, and transitions leave it
    f.initial = '';           // no initial status
    f.op = 'save';
    const r = await admin.post('/agent/admin/workflows/incident/statuts', f);
    assert.equal(r.status, 400);
    const text = F.textOf(r.text);
    assert.match(text, /Le statut « new » doit avoir un libellé pour les agents/);
    assert.match(text, /Le statut « acknowledged » est final mais pas clos/);
    assert.match(text, /Cochez le statut initial/);
    assert.match(text, /La transition acknowledged → in_progress part du statut final « acknowledged »/);
    assert.equal(versions('incident'), '0');
    /* What was typed is kept. */
    assert.match(r.text, /id="s1_final" name="s1_final" value="1" checked/);
});

test('a label changed makes a new version, shown in the history and on the badges', async () => {
    const before = await F.fileRequest(srv, { service: 'nid-de-poule' });
    const old = await admin.get(`/agent/demandes/${before.reference}`);
    assert.match(old.text, /<span class="badge badge--blue" data-status="new">Nouvelle<\/span>/);
    const page = await admin.get('/agent/admin/workflows/incident');
    const f = statusFields(page.text);
    assert.equal(f.s0_code, 'new');
    f.s0_al = 'Arrivée';
    f.op = 'save';
    const r = await admin.post('/agent/admin/workflows/incident/statuts', f);
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 800));
    assert.equal(versions('incident'), '2');
    const history = await admin.get('/agent/admin/workflows/incident/historique');
    assert.equal(history.status, 200);
    assert.match(F.textOf(history.text), /statut « nouvelle » renommé/);
    assert.match(F.textOf(history.text), /Admin Éditeur/);
    const v1 = await admin.get('/agent/admin/workflows/incident/versions/1');
    assert.equal(v1.status, 200);
    assert.match(v1.text, /badge--blue">nouvelle</);
    const v2 = await admin.get('/agent/admin/workflows/incident/versions/2');
    assert.match(v2.text, /badge--blue">Arrivée</);
    /* A request in "new" shows the new label on its badge. */
    const filed = await F.fileRequest(srv, { service: 'nid-de-poule' });
    assert.equal(srv.sql(`SELECT status FROM requests WHERE id = ${filed.id}`).trim(), 'new');
    const req = await admin.get(`/agent/demandes/${filed.reference}`);
    assert.match(req.text, /<span class="badge badge--blue" data-status="new">Arrivée<\/span>/);
    /* A stale form (version 0 seen) is refused: someone saved since. */
    f.s0_al = 'Autre';
    const stale = await admin.post('/agent/admin/workflows/incident/statuts', f);
    assert.equal(stale.status, 400);
    assert.match(F.textOf(stale.text), /modifié entre-temps/);
});

test('duplicate a workflow into a new code', async () => {
    const r = await admin.post('/agent/admin/workflows/dupliquer', { source: 'demarche', code: 'urbanisme', name: 'Urbanisme' });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.equal(srv.sql(`SELECT count(*) FROM workflow_statuses s JOIN workflows w ON w.id = s.workflow_id WHERE w.code = 'urbanisme'`).trim(), '6');
    assert.equal(versions('urbanisme'), '1');
    const again = await admin.post('/agent/admin/workflows/dupliquer', { source: 'demarche', code: 'urbanisme', name: 'Encore' });
    assert.equal(again.status, 400);
    assert.match(F.textOf(again.text), /Un circuit porte déjà ce code/);
    const bad = await admin.post('/agent/admin/workflows/dupliquer', { source: 'demarche', code: 'Bad Code', name: 'X' });
    assert.equal(bad.status, 400);
    assert.match(F.textOf(bad.text), /Le code ne peut contenir que/);
});

test("a procedure's workflow changed: its requests mapped onto the new statuses, with their timeline", async () => {
    const row = srv.sql(`SELECT p.code FROM procedures p JOIN workflows w ON w.id = p.workflow_id JOIN requests r ON r.procedure_id = p.id WHERE w.code = 'incident' GROUP BY p.id ORDER BY count(*) DESC LIMIT 1`).trim();
    assert.ok(row, 'no incident procedure with requests in the demo');
    const code = row;
    const statuses = srv.sql(`SELECT DISTINCT r.status FROM requests r JOIN procedures p ON p.id = r.procedure_id WHERE p.code = ${F.sqlq(code)}`).trim().split('\n');
    const total = srv.sql(`SELECT count(*) FROM requests r JOIN procedures p ON p.id = r.procedure_id WHERE p.code = ${F.sqlq(code)}`).trim();
    const page = await admin.get(`/agent/admin/demarches/${code}/circuit`);
    assert.equal(page.status, 200);
    /* The démarche workflow shares no status with the incident one: the choice asks for the
     * mapping, and nothing moves yet. */
    const ask = await admin.post(`/agent/admin/demarches/${code}/circuit`, { workflow: 'demarche' });
    assert.equal(ask.status, 200);
    for (const s of statuses) assert.match(ask.text, new RegExp(`name="map_${s}"`));
    assert.equal(srv.sql(`SELECT w.code FROM procedures p JOIN workflows w ON w.id = p.workflow_id WHERE p.code = ${F.sqlq(code)}`).trim(), 'incident');
    /* A status left without a target is refused, naming it. */
    const partial = await admin.post(`/agent/admin/demarches/${code}/circuit`, { workflow: 'demarche', confirm: '1' });
    assert.equal(partial.status, 400);
    assert.match(F.textOf(partial.text), /Choisissez le statut où vont les demandes en « /);
    const auditBefore = srv.sql('SELECT coalesce(max(id), 0) FROM audit_log').trim();
    const map = { workflow: 'demarche', confirm: '1' };
    for (const s of statuses) map[`map_${s}`] = 'accepted';
    const done = await admin.post(`/agent/admin/demarches/${code}/circuit`, map);
    assert.equal(done.status, 303, F.textOf(done.text).slice(0, 600));
    assert.equal(srv.sql(`SELECT w.code FROM procedures p JOIN workflows w ON w.id = p.workflow_id WHERE p.code = ${F.sqlq(code)}`).trim(), 'demarche');
    assert.equal(srv.sql(`SELECT count(*) FROM requests r JOIN procedures p ON p.id = r.procedure_id WHERE p.code = ${F.sqlq(code)} AND r.status = 'accepted' AND r.closed_at IS NOT NULL`).trim(), total);
    assert.equal(srv.sql(`SELECT count(*) FROM request_events e JOIN requests r ON r.id = e.request_id JOIN procedures p ON p.id = r.procedure_id WHERE p.code = ${F.sqlq(code)} AND e.kind = 'status' AND e.status_to = 'accepted' AND e.is_public = 0`).trim(), total);
    /* Audited in the same write: the requests moved, and the procedure changed. */
    assert.equal(srv.sql(`SELECT group_concat(action || ' ' || object_kind, ',') FROM (SELECT action, object_kind FROM audit_log WHERE id > ${auditBefore} AND action IN ('change', 'admin') ORDER BY id)`).trim(), 'change request,admin procedure');
    /* The request page shows the new workflow's label. */
    const ref = srv.sql(`SELECT r.reference FROM requests r JOIN procedures p ON p.id = r.procedure_id WHERE p.code = ${F.sqlq(code)} LIMIT 1`).trim();
    const req = await admin.get(`/agent/demandes/${ref}`);
    assert.equal(req.status, 200);
    assert.match(F.textOf(req.text), /[Aa]cceptée/, F.textOf(req.text).slice(0, 1500));
});

test('the transitions form of the shipped incident workflow: a transition removed, a status it names refused removal', async () => {
    const page = await admin.get('/agent/admin/workflows/incident');
    const pairs = formPairs(page.text, 'transitions');
    const count = pairs.filter(([k]) => /^t\d+_from$/.test(k)).length;
    assert.ok(count >= 25, `only ${count} transitions on the page`);
    const last = count - 1;
    const from = pairs.find(([k]) => k === `t${last}_from`)[1];
    const to = pairs.find(([k]) => k === `t${last}_to`)[1];
    const r = await admin.req('POST', '/agent/admin/workflows/incident/transitions',
        { form: [['csrf_token', admin.csrf], ...pairs.filter(([k]) => k !== 'op'), ['op', `del-${last}`]] });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 800));
    assert.equal(srv.sql(`SELECT count(*) FROM workflow_transitions t JOIN workflows w ON w.id = t.workflow_id WHERE w.code = 'incident' AND t.from_code = '${from}' AND t.to_code = '${to}'`).trim(), '0');
    const history = await admin.get('/agent/admin/workflows/incident/historique');
    assert.match(F.textOf(history.text), new RegExp(`transition ${from} → ${to} retirée`));

    /* Removing "duplicate", which transitions lead to: refused, each named. */
    const again = await admin.get('/agent/admin/workflows/incident');
    const f = statusFields(again.text);
    const i = Object.keys(f).find((k) => /^s\d+_code$/.test(k) && f[k] === 'duplicate').match(/\d+/)[0];
    f.op = `del-${i}`;
    const refused = await admin.post('/agent/admin/workflows/incident/statuts', f);
    assert.equal(refused.status, 400);
    assert.match(F.textOf(refused.text), /La transition new → duplicate mène au statut « duplicate », qui n'existe pas \(ou plus\)/);
    assert.match(F.textOf(refused.text), /La transition acknowledged → duplicate mène au statut « duplicate »/);
    assert.equal(srv.sql(`SELECT count(*) FROM workflow_statuses s JOIN workflows w ON w.id = s.workflow_id WHERE w.code = 'incident' AND s.code = 'duplicate'`).trim(), '1');
});

/* The actions' page of a workflow: its form as an object (names are unique there). */
async function actionsForm(code) {
    const page = await admin.get(`/agent/admin/workflows/${code}/actions`);
    assert.equal(page.status, 200);
    return { page, f: Object.fromEntries(formPairs(page.text, 'actions')) };
}

/* The index of the row of `row` ('a' actions, 'o' timeouts) on status st the page shows last. */
function lastRow(html, row, st) {
    const all = [...html.matchAll(new RegExp(`name="${row}(\\d+)_st" value="${st}"`, 'g'))];
    assert.ok(all.length, `no ${row} row on ${st}`);
    return all[all.length - 1][1];
}

test('actions and timeouts: added with their fields, saved as a version, refused with the field named, removed', async () => {
    const code = 'demarche_actes';
    const dup = await admin.post('/agent/admin/workflows/dupliquer', { source: 'demarche', code, name: 'Actes' });
    assert.equal(dup.status, 303);
    const wfid = srv.sql(`SELECT id FROM workflows WHERE code = '${code}'`).trim();
    /* A status citizens see that has no action yet, and a status one of its transitions
     * reaches (the jump's target) and another it does not. */
    const st = srv.sql(`SELECT code FROM workflow_statuses s WHERE workflow_id = ${wfid} AND citizen_visible = 1 AND is_final = 0 AND NOT EXISTS (SELECT 1 FROM workflow_actions a WHERE a.workflow_id = s.workflow_id AND a.status_code = s.code) AND EXISTS (SELECT 1 FROM workflow_transitions t WHERE t.workflow_id = s.workflow_id AND t.from_code = s.code) ORDER BY position LIMIT 1`).trim();
    assert.ok(st, 'no status to add to');
    const target = srv.sql(`SELECT to_code FROM workflow_transitions WHERE workflow_id = ${wfid} AND from_code = '${st}' LIMIT 1`).trim();
    const unreachable = srv.sql(`SELECT code FROM workflow_statuses s WHERE workflow_id = ${wfid} AND code <> '${st}' AND NOT EXISTS (SELECT 1 FROM workflow_transitions t WHERE t.workflow_id = s.workflow_id AND t.from_code = '${st}' AND t.to_code = s.code) LIMIT 1`).trim();
    const count = (table) => srv.sql(`SELECT count(*) FROM ${table} WHERE workflow_id = ${wfid}`).trim();
    const actionsBefore = count('workflow_actions');

    /* The edit page links to the actions' page and shows the shipped ones in words. */
    const edit = await admin.get(`/agent/admin/workflows/${code}`);
    assert.match(edit.text, new RegExp(`href="/agent/admin/workflows/${code}/actions"`));
    assert.match(F.textOf(edit.text), /Fixer l'échéance à 60 jour\(s\)/);

    /* «Ajouter une action»: the row appears with its text areas, nothing saved. */
    let { f } = await actionsForm(code);
    Object.assign(f, { na_st: st, na_kind: 'notify_citizen', op: 'add-action' });
    const added = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(added.status, 200, F.textOf(added.text).slice(0, 800));
    assert.equal(count('workflow_actions'), actionsBefore);
    const i = lastRow(added.text, 'a', st);
    assert.match(added.text, new RegExp(`<textarea id="a${i}_text" name="a${i}_text"`));
    assert.match(F.textOf(added.text), /\{reference\} \(référence de la demande\)/);

    /* An unknown placeholder: refused, the text area named, what was typed kept. */
    f = Object.fromEntries(formPairs(added.text, 'actions'));
    f[`a${i}_text`] = 'Bonjour {nom}, votre demande {reference} avance.';
    f.op = 'save';
    const versionsBefore = versions(code);
    const bad = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(bad.status, 400);
    assert.match(F.textOf(bad.text), /contient un repère inconnu : seuls \{reference\}, \{statut\}, \{procedure\} et \{lien\}/);
    assert.match(bad.text, new RegExp(`href="#a${i}_text"`));
    assert.match(bad.text, new RegExp(`id="a${i}_text" name="a${i}_text"[^>]*aria-invalid="true"[^>]*>Bonjour \\{nom\\}`));
    assert.equal(versions(code), versionsBefore);
    assert.equal(count('workflow_actions'), actionsBefore);

    /* Fixed: saved, one version more, the catalogue has it. */
    f = Object.fromEntries(formPairs(bad.text, 'actions'));
    f[`a${i}_text`] = 'Votre demande {reference} est « {statut} ».';
    f.op = 'save';
    const ok = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(ok.status, 303, F.textOf(ok.text).slice(0, 800));
    assert.equal(Number(versions(code)), Number(versionsBefore) + 1);
    assert.equal(srv.sql(`SELECT params FROM workflow_actions WHERE workflow_id = ${wfid} AND status_code = '${st}' AND kind = 'notify_citizen'`).trim(),
        '{"text":"Votre demande {reference} est « {statut} »."}');
    let history = await admin.get(`/agent/admin/workflows/${code}/historique`);
    assert.match(F.textOf(history.text), /action « Prévenir l'usager » ajoutée au statut/);
    const shown = await admin.get(`/agent/admin/workflows/${code}`);
    assert.match(F.textOf(shown.text), /Prévenir l'usager : « Votre demande \{reference\} est « \{statut\} ». »/);

    /* A timeout «silence vaut rejet» after 30 working days: first a target no transition
     * reaches, refused on that field, then the reachable one. */
    const timeoutsBefore = count('workflow_timeouts');
    ({ f } = await actionsForm(code));
    Object.assign(f, { no_st: st, no_kind: 'jump', op: 'add-timeout' });
    const withTimeout = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(withTimeout.status, 200);
    const o = lastRow(withTimeout.text, 'o', st);
    f = Object.fromEntries(formPairs(withTimeout.text, 'actions'));
    Object.assign(f, { [`o${o}_delay`]: '30', [`o${o}_unit`]: 'working_days', [`o${o}_target`]: unreachable, [`o${o}_meaning`]: 'rejet', op: 'save' });
    const unreach = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(unreach.status, 400);
    assert.match(F.textOf(unreach.text), /doit mener à un statut qu'une transition atteint depuis/);
    assert.match(unreach.text, new RegExp(`href="#o${o}_target"`));
    assert.match(unreach.text, new RegExp(`id="o${o}_delay" name="o${o}_delay"[^>]*value="30"`));
    assert.equal(count('workflow_timeouts'), timeoutsBefore);
    f[`o${o}_target`] = target;
    const saved = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(saved.status, 303, F.textOf(saved.text).slice(0, 800));
    assert.equal(Number(count('workflow_timeouts')), Number(timeoutsBefore) + 1);
    assert.equal(srv.sql(`SELECT delay || ' ' || unit || ' ' || kind || ' ' || target || ' ' || meaning FROM workflow_timeouts WHERE workflow_id = ${wfid} AND status_code = '${st}'`).trim(),
        `30 working_days jump ${target} rejet`);
    history = await admin.get(`/agent/admin/workflows/${code}/historique`);
    assert.match(F.textOf(history.text), /délai « Passage automatique » ajouté au statut/);
    const latest = versions(code);
    const version = await admin.get(`/agent/admin/workflows/${code}/versions/${latest}`);
    assert.equal(version.status, 200);
    assert.match(F.textOf(version.text), /Après 30 jour\(s\) ouvré\(s\) : passage à « [^»]+ », silence vaut rejet/);
    assert.match(F.textOf(version.text), /Prévenir l'usager : « Votre demande/);

    /* «Retirer» the action: saved at once, the row gone. */
    ({ f } = await actionsForm(code));
    f.op = `del-a${lastRow((await admin.get(`/agent/admin/workflows/${code}/actions`)).text, 'a', st)}`;
    const removed = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(removed.status, 303, F.textOf(removed.text).slice(0, 800));
    assert.equal(srv.sql(`SELECT count(*) FROM workflow_actions WHERE workflow_id = ${wfid} AND status_code = '${st}'`).trim(), '0');
    history = await admin.get(`/agent/admin/workflows/${code}/historique`);
    assert.match(F.textOf(history.text), /action « Prévenir l'usager » retirée du statut/);

    /* «Monter»: the under_review notification now runs before its due date. */
    const order = () => srv.sql(`SELECT group_concat(kind, ' ') FROM (SELECT kind FROM workflow_actions WHERE workflow_id = ${wfid} AND status_code = 'under_review' ORDER BY position)`).trim();
    assert.equal(order(), 'set_due_date notify_citizen');
    ({ f } = await actionsForm(code));
    f.op = `up-a${lastRow((await admin.get(`/agent/admin/workflows/${code}/actions`)).text, 'a', 'under_review')}`;
    const up = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(up.status, 303, F.textOf(up.text).slice(0, 800));
    assert.equal(order(), 'notify_citizen set_due_date');
    history = await admin.get(`/agent/admin/workflows/${code}/historique`);
    assert.match(F.textOf(history.text), /ordre des actions du statut « [^»]+ » modifié/);
});

test('the transitions form refuses to leave a status no transition reaches, named in French', async () => {
    const page = await admin.get('/agent/admin/workflows/incident');
    const pairs = formPairs(page.text, 'transitions').filter(([k]) => k !== 'op');
    const to = {};
    for (const [k, v] of pairs) {
        const m = k.match(/^t(\d+)_to$/);
        if (m) to[m[1]] = v;
    }
    /* Every transition to "duplicate" left out, the other rows numbered again as the form's. */
    const kept = Object.keys(to).filter((i) => to[i] !== 'duplicate').sort((a, b) => a - b);
    assert.ok(kept.length > 0 && kept.length < Object.keys(to).length);
    const renumbered = new Map(kept.map((i, j) => [i, j]));
    const form = [['csrf_token', admin.csrf]];
    for (const [k, v] of pairs) {
        const m = k.match(/^t(\d+)_(.*)$/);
        if (!m) form.push([k, v]);
        else if (renumbered.has(m[1])) form.push([`t${renumbered.get(m[1])}_${m[2]}`, v]);
    }
    const before = srv.sql(`SELECT count(*) FROM workflow_transitions t JOIN workflows w ON w.id = t.workflow_id WHERE w.code = 'incident' AND t.to_code = 'duplicate'`).trim();
    const r = await admin.req('POST', '/agent/admin/workflows/incident/transitions', { form });
    assert.equal(r.status, 400, F.textOf(r.text).slice(0, 800));
    assert.match(F.textOf(r.text), /Le statut « duplicate » ne peut pas être atteint depuis le statut initial « [a-z_]+ » : ajoutez une transition qui y mène, ou supprimez-le\./);
    assert.equal(srv.sql(`SELECT count(*) FROM workflow_transitions t JOIN workflows w ON w.id = t.workflow_id WHERE w.code = 'incident' AND t.to_code = 'duplicate'`).trim(), before);
    assert.notEqual(before, '0');
});
