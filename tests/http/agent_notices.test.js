'use strict';
/*
 * agent_notices — «Mes notifications» (issue 14, «Who gets what»): every agent chooses on
 * /agent/notifications whether to be told by e-mail of the requests filed in their
 * departments, at once or as a daily digest; the choice is read back, refused with a
 * precise message in French or English when it is none of the three, needs the CSRF token
 * and a session; a request filed while someone wants notices at once schedules its
 * period's job, and the digest's next run is waiting once chosen. (The messages themselves
 * are the unit tests' business: test_agent_notices runs the jobs with a given clock.)
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');

const PAGE = '/agent/notifications';
let srv, agent, dept, agentId;

test.before(async () => {
    srv = await H.startServer();
    dept = srv.sql(`SELECT d.code FROM departments d JOIN procedures p ON p.department_id = d.id
                    WHERE p.code = 'nid-de-poule'`).trim();
    const a = F.addAgent(srv, { email: `notices.${process.pid}@ville-demo.test`, name: 'Agent Notices', role: 'agent', departments: [dept] });
    agent = await F.login(srv, a);
    agentId = srv.sql(`SELECT id FROM agents WHERE email = '${a.email}'`).trim();
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

const mode = () => srv.sql(`SELECT coalesce((SELECT mode FROM agent_notices WHERE agent_id = ${agentId}), 'none')`).trim();
const jobs = (kind) => Number(srv.sql(`SELECT count(*) FROM jobs WHERE kind = '${kind}' AND state = 'pending'`).trim());

test('the page shows the three choices, none chosen at first, linked from every page', async () => {
    const inbox = await agent.get('/agent/');
    assert.match(inbox.text, /<a class="bo-whoami__link" href="\/agent\/notifications">Mes notifications<\/a>/);
    const page = await agent.get(PAGE);
    assert.equal(page.status, 200);
    assert.match(page.text, /<legend>Nouvelles demandes de mes services<\/legend>/);
    assert.match(page.text, /<input type="radio" id="notices-none" name="notices" value="none" aria-describedby="notices-none-hint" checked>/);
    assert.match(page.text, /id="notices-immediate" name="notices" value="immediate" aria-describedby="notices-immediate-hint">/);
    assert.match(F.unescapeHtml(page.text), /Un courriel chaque matin à 7 h/);
    assert.equal(mode(), 'none');
});

test('at once: saved, read back, and a request filed schedules its period\'s notice', async () => {
    const before = jobs('agent_notices');
    const saved = await agent.post(PAGE, { notices: 'immediate' });
    assert.equal(saved.status, 303, F.textOf(saved.text).slice(0, 300));
    assert.equal(F.locPath(saved, srv), `${PAGE}?enregistre=1`);
    assert.equal(mode(), 'immediate');
    const page = await agent.get(`${PAGE}?enregistre=1`);
    assert.match(page.text, /value="immediate" aria-describedby="notices-immediate-hint" checked>/);
    assert.match(F.unescapeHtml(page.text), /Votre choix est enregistré\./);

    await F.fileRequest(srv);
    assert.equal(jobs('agent_notices'), before + 1, 'the period\'s job is scheduled');
    const due = Number(srv.sql("SELECT due_at FROM jobs WHERE kind = 'agent_notices' ORDER BY id DESC LIMIT 1").trim());
    const now = Math.floor(Date.now() / 1000);
    assert.ok(due > now && due <= now + 300 + 30, `due within the period: ${due - now} s`);
});

test('the daily digest: its next run waits once chosen; none removes the choice', async () => {
    const saved = await agent.post(PAGE, { notices: 'digest' });
    assert.equal(saved.status, 303);
    assert.equal(mode(), 'digest');
    assert.ok(jobs('agent_digest') >= 1, 'the next digest is scheduled');
    const due = Number(srv.sql("SELECT due_at FROM jobs WHERE kind = 'agent_digest' ORDER BY id DESC LIMIT 1").trim());
    const hour = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: 'numeric', minute: 'numeric' }).format(new Date(due * 1000));
    assert.equal(hour, '07:00');
    const none = await agent.post(PAGE, { notices: 'none' });
    assert.equal(none.status, 303);
    assert.equal(mode(), 'none');
});

test('a choice that is none of the three is refused, in French and in English', async () => {
    await agent.post(PAGE, { notices: 'immediate' });
    const bad = await agent.post(PAGE, { notices: 'hebdomadaire' });
    assert.equal(bad.status, 400);
    assert.match(F.unescapeHtml(bad.text), /Choisissez l’une des trois possibilités\./);
    assert.match(bad.text, /<fieldset id="notices" class="field field--error" aria-describedby="notices-error">/);
    assert.equal(mode(), 'immediate', 'nothing written');
    const en = await agent.post(`${PAGE}?lang=en`, {});
    assert.equal(en.status, 400);
    assert.match(F.unescapeHtml(en.text), /Choose one of the three options\./);
});

test('without the CSRF token or a session, nothing is written', async () => {
    const forged = await agent.req('POST', PAGE, { form: { notices: 'digest', csrf_token: 'x' } });
    assert.equal(forged.status, 403);
    assert.equal(mode(), 'immediate');
    const anon = new F.Client(srv, 'anonymous');
    const r = await anon.get(PAGE);
    assert.equal(r.status, 303);
    assert.match(r.location, /\/agent\/connexion/);
});

test('a notice links each request to the back office on the collectivité\'s first configured host, never a request\'s Host', async () => {
    const saved = await agent.post(PAGE, { notices: 'immediate' });
    assert.equal(saved.status, 303);
    const filed = await F.fileRequest(srv);
    const email = srv.sql(`SELECT email FROM agents WHERE id = ${agentId}`).trim();
    await srv.stop('SIGTERM', { keep: true });
    /* A public host name first: every request of this test came on 127.0.0.1, which links
     * must not follow. The period then ends at once: the job runs at start-up. */
    const tenant = srv.sql("SELECT id FROM tenants WHERE slug = 'ville-demo'").trim();
    srv.sql(`UPDATE tenant_hosts SET position = position + 1 WHERE tenant_id = ${tenant};
             INSERT INTO tenant_hosts (host, tenant_id, position) VALUES ('grc.ville-demo.fr', ${tenant}, 0);
             UPDATE tenants SET hosts = 'grc.ville-demo.fr ' || hosts WHERE id = ${tenant};
             UPDATE jobs SET due_at = CAST(strftime('%s', 'now') AS INTEGER) - 60 WHERE kind = 'agent_notices' AND state = 'pending';`);
    await srv.restart();
    const deadline = Date.now() + 20000;
    let params = '';
    while (!params && Date.now() < deadline) {
        params = srv.sql(`SELECT params FROM outbox WHERE template = 'agent_new_requests' AND recipient = '${email}' ORDER BY id DESC LIMIT 1`).trim();
        if (!params) await H.sleep(100);
    }
    assert.ok(params, 'no notice queued');
    const listed = JSON.parse(params).requests.find((r) => r.reference === filed.reference);
    assert.ok(listed, `the notice does not list ${filed.reference}: ${params}`);
    assert.equal(listed.link, `https://grc.ville-demo.fr/agent/demandes/${filed.reference}`);
    assert.doesNotMatch(params, /127\.0\.0\.1/);
});
