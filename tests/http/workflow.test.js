'use strict';
/*
 * Workflows against a real `guichet serve` on the demo commune: a démarche created by an
 * administrator takes the shipped démarche workflow and goes through it from the back office
 * (the status control lists only the transitions the agent's role allows, labelled by the
 * transition; a transition that needs a comment is refused without one, the choice kept);
 * the JSON API lists each procedure's workflow and checks a status change against the
 * request's own (errors naming the codes allowed); Open311 says open or closed and the
 * extended status from the workflow; the citizen's tracking page uses the citizens' labels and
 * shows a status hidden from them as the visible one before it.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const P = require('./portal_client');

let srv, admin, agent, manager;

const api = (method, path, json) =>
    H.request(srv, method, path, { json, headers: { Authorization: `Bearer ${srv.keys.api}` } });

const statusOf = (ref) => srv.sql(`SELECT status, closed_at IS NOT NULL FROM requests WHERE reference = ${F.sqlq(ref)}`).trim();

/* The options of the request page's status select: [{code, text, selected}]. */
function statusOptions(html) {
    const select = /<select id="statut" name="statut"[^>]*>([\s\S]*?)<\/select>/.exec(html);
    if (!select) return [];
    return [...select[1].matchAll(/<option value="([a-z_]+)"( selected)?>([^<]*)<\/option>/g)]
        .map((m) => ({ code: m[1], selected: !!m[2], text: F.unescapeHtml(m[3]) }));
}

/* The catalogue is reloaded when config_version moves, checked at most once a second. */
async function untilPage(client, url, pred) {
    for (let i = 0; i < 40; i++) {
        const page = await client.get(url);
        if (pred(page.text)) return page;
        await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`${url} never showed what was expected`);
}

test.before(async () => {
    srv = await H.startServer({ requests: 5, env: { GUICHET_RETENTION_INTERVAL_S: '0' } });
    admin = await F.login(srv, F.addAgent(srv, { email: `wf.admin.${process.pid}@ville-demo.test`, name: 'Admin Flux', role: 'admin' }));
    agent = await F.login(srv, F.addAgent(srv, { email: `wf.agent.${process.pid}@ville-demo.test`, name: 'Agnès Flux', role: 'agent', departments: ['voirie'] }));
    manager = await F.login(srv, F.addAgent(srv, { email: `wf.chef.${process.pid}@ville-demo.test`, name: 'Chef Flux', role: 'manager', departments: ['voirie'] }));
    await admin.get('/agent/admin/demarches/nouvelle');
    const created = await admin.post('/agent/admin/demarches/nouvelle', {
        code: 'permis-flux', name: 'Permis de flux', kind: 'demarche', department: 'voirie', delay_days: '10',
        active: '1', open311: '1', open311_detail: 'full', attributes: '[]', description: 'Une démarche de test.',
        service_notice: '', name_en: '', description_en: '', service_notice_en: '',
    });
    assert.equal(created.status, 303, F.textOf(created.text).slice(0, 500));
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

test('a new démarche takes the démarche workflow; the existing procedures keep the incident one', () => {
    const wf = (code) => srv.sql(`SELECT w.code FROM procedures p JOIN workflows w ON w.id = p.workflow_id WHERE p.code = ${F.sqlq(code)}`).trim();
    assert.equal(wf('permis-flux'), 'demarche');
    assert.equal(wf('nid-de-poule'), 'incident');
    assert.equal(srv.sql('SELECT count(*) FROM procedures WHERE workflow_id IS NULL').trim(), '0');
});

test('the JSON API lists a procedure\'s workflow: statuses in order and transitions', async () => {
    const r = await api('GET', '/api/v1/procedures/permis-flux/workflow');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.code, 'demarche');
    assert.deepEqual(r.json.statuses.map((s) => s.code),
                     ['submitted', 'under_review', 'correction_requested', 'accepted', 'refused', 'dropped']);
    assert.deepEqual(r.json.statuses.filter((s) => s.initial).map((s) => s.code), ['submitted']);
    assert.deepEqual(r.json.statuses.filter((s) => s.final).map((s) => s.code), ['accepted', 'refused', 'dropped']);
    const refuse = r.json.transitions.find((t) => t.from === 'under_review' && t.to === 'refused');
    assert.deepEqual(refuse, { from: 'under_review', to: 'refused', label: 'Refuser', comment_required: true });
    const incident = await api('GET', '/api/v1/procedures/nid-de-poule/workflow?lang=en');
    assert.equal(incident.status, 200);
    assert.equal(incident.json.transitions.length, 25);
    assert.equal(incident.json.statuses.find((s) => s.code === 'in_progress').label, 'in progress');
    const unknown = await api('GET', '/api/v1/procedures/pas-de-telle-demarche/workflow');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.argument, 'code');
});

test('a démarche through its workflow from the back office, comment required where the transition says so', async () => {
    const filed = await F.fileRequest(srv, { service: 'permis-flux', tag: 'flux0001' });
    assert.equal(statusOf(filed.reference), 'submitted|0');
    const o311 = await H.request(srv, 'GET', `/open311/v2/requests/${filed.reference}.json?extensions=true`);
    assert.equal(o311.json[0].status, 'open');
    assert.equal(o311.json[0].extended_attributes.extended_status, undefined, 'déposée has no extended status');

    const url = `/agent/demandes/${filed.reference}`;
    let page = await agent.get(url);
    assert.equal(page.status, 200);
    assert.match(page.text, /class="badge badge--blue" data-status="submitted">Déposée</);
    assert.deepEqual(statusOptions(page.text).map((o) => [o.code, o.text]), [['under_review', 'Mettre en instruction → En instruction']]);
    let r = await agent.post(`${url}/traiter`, { statut: 'under_review' });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.equal(statusOf(filed.reference), 'under_review|0');

    page = await agent.get(url);
    const options = statusOptions(page.text);
    assert.deepEqual(options.map((o) => o.code), ['accepted', 'refused', 'dropped', 'correction_requested']);
    assert.match(options.find((o) => o.code === 'refused').text, /Refuser → Refusée \(commentaire obligatoire\)/);
    assert.doesNotMatch(options.find((o) => o.code === 'accepted').text, /commentaire obligatoire/);
    assert.match(F.unescapeHtml(page.text), /demandent une réponse à l'usager ou une note interne/);

    /* Refused without a comment: the choice comes back selected, nothing written. */
    r = await agent.post(`${url}/traiter`, { statut: 'refused', priorite: '2' });
    assert.equal(r.status, 400);
    assert.match(F.unescapeHtml(r.text), /Ce changement de statut demande un commentaire/);
    assert.deepEqual(statusOptions(r.text).filter((o) => o.selected).map((o) => o.code), ['refused']);
    assert.equal(statusOf(filed.reference), 'under_review|0');
    /* Not a transition from here (not even for the API's «any role»): refused. */
    r = await agent.post(`${url}/traiter`, { statut: 'submitted' });
    assert.equal(r.status, 400);
    assert.match(F.unescapeHtml(r.text), /Ce changement de statut n'est pas possible/);

    r = await agent.post(`${url}/traiter`, { statut: 'refused', reponse: 'Votre dossier est incomplet : la pièce d\'identité manque.' });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.equal(statusOf(filed.reference), 'refused|1');
    const closed = await H.request(srv, 'GET', `/open311/v2/requests/${filed.reference}.json?extensions=true`);
    assert.equal(closed.json[0].status, 'closed');
    assert.equal(closed.json[0].extended_attributes.extended_status, 'NO_FURTHER_ACTION');
    const state = await api('GET', `/api/v1/requests/${filed.reference}`);
    assert.equal(state.json.status, 'refused');
    assert.equal(state.json.status_label, 'refusée');
    assert.ok(state.json.closed_at);
});

test('the JSON API checks a status change against the request\'s own workflow', async () => {
    const filed = await F.fileRequest(srv, { service: 'permis-flux', tag: 'flux0002' });
    let r = await api('PATCH', `/api/v1/requests/${filed.reference}`, { status: 'resolved' });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.argument, 'status');
    assert.match(r.json.error.detail, /submitted, under_review, correction_requested, accepted, refused, dropped/);
    r = await api('PATCH', `/api/v1/requests/${filed.reference}`, { status: 'accepted' });
    assert.equal(r.status, 409, r.text);
    assert.match(r.json.error.detail, /cannot go from submitted to accepted \(allowed: under_review\)/);
    r = await api('PATCH', `/api/v1/requests/${filed.reference}`, { status: 'under_review' });
    assert.equal(r.status, 200, r.text);
    r = await api('PATCH', `/api/v1/requests/${filed.reference}`, { status: 'dropped' });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.argument, 'comment');
    assert.equal(statusOf(filed.reference), 'under_review|0');
    r = await api('PATCH', `/api/v1/requests/${filed.reference}`, { status: 'correction_requested', note: 'Merci de joindre un justificatif de domicile.' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.closed_at, null);
    /* A list filter takes any code of the collectivité's workflows, and names none other. */
    const list = await api('GET', '/api/v1/requests?status=correction_requested');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.data.map((x) => x.reference), [filed.reference]);
    const bad = await api('GET', '/api/v1/requests?status=bogus');
    assert.equal(bad.status, 400);
});

test('a transition reserved to managers: offered to and taken by them only', async () => {
    srv.sql(`UPDATE workflow_transitions SET roles = 'manager admin' WHERE from_code = 'under_review' AND to_code = 'accepted'
             AND workflow_id = (SELECT workflow_id FROM procedures WHERE code = 'permis-flux')`);
    const filed = await F.fileRequest(srv, { service: 'permis-flux', tag: 'flux0003' });
    const url = `/agent/demandes/${filed.reference}`;
    assert.equal((await agent.post(`${url}/traiter`, { statut: 'under_review' })).status, 303);
    const page = await untilPage(agent, url, (html) => !statusOptions(html).some((o) => o.code === 'accepted'));
    assert.deepEqual(statusOptions(page.text).map((o) => o.code), ['refused', 'dropped', 'correction_requested']);
    const r = await agent.post(`${url}/traiter`, { statut: 'accepted' });
    assert.equal(r.status, 400);
    assert.equal(statusOf(filed.reference), 'under_review|0');
    const chef = await manager.get(url);
    assert.ok(statusOptions(chef.text).some((o) => o.code === 'accepted'));
    assert.equal((await manager.post(`${url}/traiter`, { statut: 'accepted' })).status, 303);
    assert.equal(statusOf(filed.reference), 'accepted|1');
});

test('the inbox\'s status filter: the chosen procedure\'s statuses, else every code once', async () => {
    const chosen = await agent.get('/agent/?onglet=tout&demarche=permis-flux');
    const codes = (html) => {
        const select = /<select id="statut" name="statut"[^>]*>([\s\S]*?)<\/select>/.exec(html);
        return [...select[1].matchAll(/<option value="([a-z_]+)"/g)].map((m) => m[1]);
    };
    assert.deepEqual(codes(chosen.text), ['ouvertes', 'submitted', 'under_review', 'correction_requested', 'accepted', 'refused', 'dropped']);
    const all = codes((await agent.get('/agent/?onglet=tout')).text);
    assert.equal(new Set(all).size, all.length, 'a code listed twice');
    for (const c of ['new', 'in_progress', 'resolved', 'submitted', 'answered']) assert.ok(all.includes(c), c);
    const filtered = await agent.get('/agent/?onglet=tout&statut=accepted');
    assert.equal(filtered.status, 200);
    assert.match(filtered.text, /data-status="accepted"/);
    assert.doesNotMatch(filtered.text, /data-status="(new|under_review|refused)"/);
});

test('the citizen\'s tracking page: citizens\' labels, and a hidden status shown as the visible one before it', async () => {
    const filed = await F.fileRequest(srv, { service: 'permis-flux', tag: 'flux0004' });
    const token = 'jeton-de-test-flux-0123456789abcdefghijklmnopqr';
    P.setToken(srv, filed.reference, token);
    const citizen = new P.Browser(srv);
    const track = P.trackingPath(filed.reference, token);
    let page = P.decodeEntities((await citizen.get(track)).text);
    assert.match(page, /class="badge badge--blue" data-status="submitted">Déposée</);
    assert.match(page, /Votre dossier a bien été déposé/);
    for (const [status, note] of [['under_review', null], ['correction_requested', 'Merci de joindre un justificatif.']]) {
        const r = await api('PATCH', `/api/v1/requests/${filed.reference}`, note ? { status, note } : { status });
        assert.equal(r.status, 200, r.text);
    }
    page = P.decodeEntities((await citizen.get(track)).text);
    assert.match(page, /class="badge badge--purple" data-status="correction_requested">Correction demandée</);
    assert.match(page, /Le service a besoin d'une correction ou d'une pièce de votre part/);
    /* Hidden from citizens (an administrator's choice): they read «En instruction», the
     * status before it; agents still see it as it is. Its actions that tell or ask the
     * citizen go with that choice (a workflow keeping them would be refused whole). */
    srv.sql(`DELETE FROM workflow_actions WHERE status_code = 'correction_requested'
             AND workflow_id = (SELECT workflow_id FROM procedures WHERE code = 'permis-flux');
             UPDATE workflow_statuses SET citizen_visible = 0 WHERE code = 'correction_requested'
             AND workflow_id = (SELECT workflow_id FROM procedures WHERE code = 'permis-flux')`);
    page = await (async () => {
        for (let i = 0; i < 40; i++) {
            const html = P.decodeEntities((await citizen.get(track)).text);
            if (!html.includes('data-status="correction_requested"')) return html;
            await new Promise((r) => setTimeout(r, 100));
        }
        assert.fail('the hidden status still shows');
    })();
    assert.match(page, /class="badge badge--amber" data-status="under_review">En instruction</);
    assert.doesNotMatch(page, /Correction demandée|correction demandée/);
    assert.match(page, /Merci de joindre un justificatif\./, 'the public note stays');
    const agentPage = await agent.get(`/agent/demandes/${filed.reference}`);
    assert.match(agentPage.text, /data-status="correction_requested">Correction demandée</);
    const o311 = await H.request(srv, 'GET', `/open311/v2/requests/${filed.reference}.json?extensions=true`);
    assert.ok(o311.json[0].notes.every((n) => !/correction/i.test(n.description)), JSON.stringify(o311.json[0].notes));
});

test('the procedure editor: a workflow named at creation, shown afterwards and kept', async () => {
    const fields = {
        code: 'question-flux', name: 'Question au maire', kind: 'demarche', department: 'voirie', delay_days: '10',
        active: '1', attributes: '[]', description: '', service_notice: '', name_en: '', description_en: '',
        service_notice_en: '', workflow: 'question',
    };
    const form = await admin.get('/agent/admin/demarches/nouvelle');
    assert.match(F.unescapeHtml(form.text), /<option value="question">Question simple<\/option>/);
    const bad = await admin.post('/agent/admin/demarches/nouvelle', Object.assign({}, fields, { workflow: 'inconnu' }));
    assert.equal(bad.status, 400);
    assert.match(F.unescapeHtml(bad.text), /Choisissez un circuit de la liste/);
    assert.match(bad.text, /<option value="">[^<]*<\/option>\n<option value="incident">/);
    const ok = await admin.post('/agent/admin/demarches/nouvelle', fields);
    assert.equal(ok.status, 303, F.textOf(ok.text).slice(0, 500));
    const wf = () => srv.sql("SELECT w.code FROM procedures p JOIN workflows w ON w.id = p.workflow_id WHERE p.code = 'question-flux'").trim();
    assert.equal(wf(), 'question');
    const page = F.unescapeHtml((await admin.get('/agent/admin/demarches/question-flux')).text);
    assert.match(page, /<strong>Circuit de traitement<\/strong> Question simple/);
    assert.doesNotMatch(page, /<select id="workflow"/);
    /* Saving it again, even naming another workflow, keeps its own. */
    const again = await admin.post('/agent/admin/demarches/question-flux', Object.assign({}, fields, { workflow: 'incident', name: 'Question à Mme la maire' }));
    assert.equal(again.status, 303, F.textOf(again.text).slice(0, 500));
    assert.equal(wf(), 'question');
});
