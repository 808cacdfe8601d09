'use strict';
/*
 * Workflow timeouts against a real `guichet serve` (core/workflow_timeout.h): a démarche on
 * the shipped «demarche_sva» workflow, put under review, has its «silence vaut accord» jump
 * pending — shown on the back office's request page and told to the citizen on their tracking
 * page. Then a restart with the jump pending: the server is stopped before the jump is due,
 * the due time passes while it is down (the job's due time is moved into the past: two months
 * cannot be waited for), and at start-up the jump happens, once — the request accepted by the
 * system, the citizen-readable «timeout» event on the timeline and the portal, its audit
 * entry — and a further restart does not make it again. And a crash: thirty jumps due at
 * start-up, the server killed with SIGKILL as soon as the pass has made one, started again:
 * every request accepted with exactly one «timeout» and one status event, the database sound.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const P = require('./portal_client');

let srv, admin, agent;

const api = (method, path, json) =>
    H.request(srv, method, path, { json, headers: { Authorization: `Bearer ${srv.keys.api}` } });

const one = (q) => srv.sql(q).trim();

async function until(what, pred) {
    for (let i = 0; i < 100; i++) {
        if (await pred()) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`never: ${what}`);
}

test.before(async () => {
    srv = await H.startServer({ requests: 5, env: { GUICHET_RETENTION_INTERVAL_S: '0' } });
    admin = await F.login(srv, F.addAgent(srv, { email: `tmo.admin.${process.pid}@ville-demo.test`, name: 'Admin Délais', role: 'admin' }));
    agent = await F.login(srv, F.addAgent(srv, { email: `tmo.agent.${process.pid}@ville-demo.test`, name: 'Agnès Délais', role: 'agent', departments: ['voirie'] }));
    await admin.get('/agent/admin/demarches/nouvelle');
    const created = await admin.post('/agent/admin/demarches/nouvelle', {
        code: 'permis-sva', name: 'Permis tacite', kind: 'demarche', department: 'voirie', delay_days: '60',
        active: '1', open311: '1', open311_detail: 'full', attributes: '[]', description: 'Une démarche à silence vaut accord.',
        service_notice: '', name_en: '', description_en: '', service_notice_en: '', workflow: 'demarche_sva',
    });
    assert.equal(created.status, 303, F.textOf(created.text).slice(0, 500));
    assert.equal(one("SELECT w.code FROM procedures p JOIN workflows w ON w.id = p.workflow_id WHERE p.code = 'permis-sva'"), 'demarche_sva');
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

test('every collectivité has the «demarche_sva» workflow and its two timeouts', () => {
    const tenants = Number(one('SELECT count(*) FROM tenants'));
    assert.equal(Number(one("SELECT count(*) FROM workflows WHERE code = 'demarche_sva'")), tenants);
    assert.equal(one(`SELECT t.status_code || ' ' || t.kind || ' ' || t.delay || ' ' || t.unit || ' ' || coalesce(t.target, '-') || ' ' || t.meaning
                      FROM workflow_timeouts t JOIN workflows w ON w.id = t.workflow_id
                      JOIN procedures p ON p.workflow_id = w.id WHERE p.code = 'permis-sva' ORDER BY t.status_code`),
                 'correction_requested remind 15 days - none\nunder_review jump 2 months accepted accord');
});

test('a jump pending at a stop happens at start-up, once, on the timeline and the portal', async () => {
    const filed = await F.fileRequest(srv, { service: 'permis-sva', tag: 'sva00001' });
    assert.equal(one(`SELECT count(*) FROM jobs WHERE request_id = ${filed.id} AND kind LIKE 'workflow_%'`), '0',
                 '«déposée» has no timeout');
    const r = await api('PATCH', `/api/v1/requests/${filed.reference}`, { status: 'under_review' });
    assert.equal(r.status, 200, r.text);
    const jump = () => one(`SELECT state || '|' || attempts FROM jobs WHERE request_id = ${filed.id} AND kind = 'workflow_timeout'`);
    assert.equal(jump(), 'pending|0');
    assert.equal(one(`SELECT state FROM jobs WHERE request_id = ${filed.id} AND kind = 'workflow_warn'`), 'pending');

    /* Shown before it happens: to the agents, and to the citizen, whose right it is. */
    const bo = F.unescapeHtml((await agent.get(`/agent/demandes/${filed.reference}`)).text);
    assert.match(bo, /<dt>Délais en cours<\/dt><dd>Silence vaut accord le \d{1,2} \S+ \d{4}<\/dd>/);
    const token = 'jeton-de-test-sva-0123456789abcdefghijklmnopqrstu';
    P.setToken(srv, filed.reference, token);
    const citizen = new P.Browser(srv);
    const track = P.trackingPath(filed.reference, token);
    let page = P.decodeEntities((await citizen.get(track)).text);
    assert.match(page, /id="silence"><p>Sans décision de la mairie d'ici le \d{1,2} \S+ \d{4}, votre demande sera réputée acceptée/);

    await srv.stop('SIGTERM', { keep: true });
    /* Two months pass while the server is down. */
    srv.sql(`UPDATE jobs SET due_at = CAST(strftime('%s', 'now') AS INTEGER) - 60 WHERE request_id = ${filed.id} AND kind = 'workflow_timeout'`);
    await srv.restart();
    await until('the jump at start-up', () => jump() === 'done|1');
    assert.equal(one(`SELECT status || '|' || (closed_at IS NOT NULL) FROM requests WHERE id = ${filed.id}`), 'accepted|1');
    assert.equal(one(`SELECT count(*) FROM request_events WHERE request_id = ${filed.id} AND kind = 'timeout' AND body = 'accord' AND is_public = 1`), '1');
    assert.equal(one(`SELECT actor FROM request_events WHERE request_id = ${filed.id} AND kind = 'status' AND status_to = 'accepted'`), 'system');
    assert.equal(one(`SELECT state FROM jobs WHERE request_id = ${filed.id} AND kind = 'workflow_warn'`), 'cancelled',
                 'the warning of a jump made goes with it');
    assert.equal(one(`SELECT count(*) FROM audit_log WHERE actor = 'system' AND action = 'change' AND object_kind = 'request' AND object_ids LIKE '%${filed.id}%'`), '1');

    page = P.decodeEntities((await citizen.get(track)).text);
    assert.match(page, /data-status="accepted">Acceptée</);
    assert.match(page, /Sans réponse de l'administration dans le délai, votre demande est réputée acceptée/);
    assert.doesNotMatch(page, /id="silence"/);
    const after = F.unescapeHtml((await agent.get(`/agent/demandes/${filed.reference}`)).text);
    assert.match(after, /Silence vaut accord : délai écoulé sans décision, la demande est réputée acceptée/);
    assert.doesNotMatch(after, /Délais en cours/);

    /* The JSON API's timeline has both events (checked against docs/openapi.yaml); Open311's
     * notes tell the status change, not the meaning's code. */
    const got = await api('GET', `/api/v1/requests/${filed.reference}`);
    assert.equal(got.status, 200, got.text);
    const timeout = got.json.timeline.filter((e) => e.kind === 'timeout');
    assert.deepEqual(timeout.map((e) => [e.body, e.public, e.actor]), [['accord', true, 'system']]);
    const o311 = await H.request(srv, 'GET', `/open311/v2/requests/${filed.reference}.json?extensions=true`);
    assert.equal(o311.status, 200, o311.text);
    const notes = o311.json[0].notes;
    assert.ok(notes.some((n) => n.type === 'status' && n.description === 'acceptée'), JSON.stringify(notes));
    assert.ok(notes.every((n) => n.type !== 'timeout' && n.description !== 'accord'), JSON.stringify(notes));

    /* Another stop and start: nothing runs again. */
    await srv.stop('SIGTERM', { keep: true });
    await srv.restart();
    assert.equal((await H.request(srv, 'GET', '/open311/v2/discovery.json')).status, 200);
    assert.equal(jump(), 'done|1');
    assert.equal(one(`SELECT count(*) FROM request_events WHERE request_id = ${filed.id} AND kind IN ('timeout', 'status')`), '3');
});

test('jumps due at start-up, the server killed in the middle of them: each made exactly once after the next start', async () => {
    const N = 30;
    const ids = [];
    for (let i = 0; i < N; i++) {
        const filed = await F.fileRequest(srv, { service: 'permis-sva', tag: `svak${String(i).padStart(4, '0')}` });
        const r = await api('PATCH', `/api/v1/requests/${filed.reference}`, { status: 'under_review' });
        assert.equal(r.status, 200, r.text);
        ids.push(filed.id);
    }
    const list = ids.join(', ');
    const done = () => Number(one(`SELECT count(*) FROM jobs WHERE kind = 'workflow_timeout' AND state = 'done' AND request_id IN (${list})`));
    await srv.stop('SIGTERM', { keep: true });
    srv.sql(`UPDATE jobs SET due_at = CAST(strftime('%s', 'now') AS INTEGER) - 60 WHERE kind = 'workflow_timeout' AND request_id IN (${list})`);
    await srv.restart();
    /* Killed as soon as the start-up pass has made one: wherever it is then. */
    await until('a first jump', () => done() >= 1);
    await srv.kill9();
    await srv.restart();
    await until('every jump', () => done() === N);
    const rows = one(`SELECT r.status, (SELECT count(*) FROM request_events e WHERE e.request_id = r.id AND e.kind = 'timeout'),
                             (SELECT count(*) FROM request_events e WHERE e.request_id = r.id AND e.kind = 'status' AND e.status_to = 'accepted')
                      FROM requests r WHERE r.id IN (${list})`).split('\n');
    assert.equal(rows.length, N);
    for (const row of rows) assert.equal(row, 'accepted|1|1');
    assert.equal(one('PRAGMA integrity_check'), 'ok');
});
