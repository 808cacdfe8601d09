'use strict';
/*
 * Webhooks end to end, against a real `guichet serve` and a real receiver (a node HTTP
 * server on 127.0.0.1, allowed by --webhook-allow-local): an admin subscribes on the back
 * office's page (the secret shown once), a request filed through Open311 is delivered as a
 * signed POST — X-Guichet-Delivery, X-Guichet-Event, X-Guichet-Signature t=…,v1=HMAC-SHA256
 * of t "." body checked here with the secret —, a 500 is retried with the same delivery id
 * and the same body bytes, a status change is delivered too, and a delivery still pending
 * when guichet stops is made once it starts again. The page lists the deliveries.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const H = require('./harness');
const F = require('../browser/bo_flows');

let srv, admin, receiver, secret;
const received = []; /* {headers, body} in arrival order */
let answers = []; /* statuses to answer next, then 200 */

function startReceiver() {
    return new Promise((resolve) => {
        const s = http.createServer((req, res) => {
            const chunks = [];
            req.on('data', (c) => chunks.push(c));
            req.on('end', () => {
                received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
                res.statusCode = answers.length ? answers.shift() : 200;
                res.end('ok');
            });
        });
        s.listen(0, '127.0.0.1', () => resolve(s));
    });
}

async function until(what, fn, ms = 20000) {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
        const v = fn();
        if (v) return v;
        await H.sleep(50);
    }
    assert.fail(`timed out waiting for ${what}\n--- server.log ---\n${srv.log().split('\n').slice(-30).join('\n')}`);
}

function verify(d) {
    const sig = d.headers['x-guichet-signature'];
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig || '');
    assert.ok(m, `signature header: ${sig}`);
    const expected = crypto.createHmac('sha256', secret).update(`${m[1]}.`).update(d.body).digest('hex');
    assert.equal(m[2], expected, 'the signature is the HMAC of t "." body under the secret');
    assert.ok(Math.abs(Number(m[1]) - Date.now() / 1000) < 600, 'the time is now');
}

test.before(async () => {
    receiver = await startReceiver();
    srv = await H.startServer({
        requests: 3,
        env: { GUICHET_RETENTION_INTERVAL_S: '0', GUICHET_WEBHOOK_ALLOW_LOCAL: '1', GUICHET_WEBHOOK_BACKOFF_S: '1' },
    });
    const row = F.addAgent(srv, { email: `admin.hooks.${process.pid}@ville-demo.test`, name: 'Admin Webhooks', role: 'admin' });
    admin = await F.login(srv, row);
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
    if (receiver) receiver.close();
});

test('a subscription refused: a URL that is not https nor local, no event chosen', async () => {
    await admin.get('/agent/admin/webhooks');
    let r = await admin.post('/agent/admin/webhooks', { url: 'http://hooks.example.org/x', event_created: '1', active: '1' });
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /adresse https:\/\/ complète/);
    r = await admin.post('/agent/admin/webhooks', { url: `http://127.0.0.1:${receiver.address().port}/hook`, active: '1' });
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Cochez au moins un événement/);
    assert.equal(srv.sql('SELECT count(*) FROM webhooks;').trim(), '0');
});

test('subscribe, file a request: signed delivery, a 500 retried with the same id and body', async () => {
    await admin.get('/agent/admin/webhooks');
    const r = await admin.post('/agent/admin/webhooks', {
        url: `http://127.0.0.1:${receiver.address().port}/hook`,
        event_created: '1', event_status_changed: '1', active: '1',
    });
    assert.equal(r.status, 200, F.textOf(r.text).slice(0, 600));
    const m = /(whsec_[A-Za-z0-9_-]{43})/.exec(r.text);
    assert.ok(m, 'the secret is shown once');
    secret = m[1];
    const again = await admin.get('/agent/admin/webhooks');
    assert.ok(!again.text.includes(secret), 'and never again');
    /* Kept sealed: the database alone cannot sign. */
    const stored = srv.sql('SELECT secret FROM webhooks;').trim();
    assert.match(stored, /^v1\.[A-Za-z0-9_-]+$/);
    assert.ok(!stored.includes(secret.slice(6)), 'the secret is not in the database in clear');
    assert.equal(srv.sql("SELECT action FROM audit_log WHERE object_kind = 'webhook';").trim(), 'admin');

    answers = [500];
    const filed = await H.request(srv, 'POST', '/open311/v2/requests.json',
                                  { form: await H.validPostBody(srv, 'nid-de-poule') });
    assert.equal(filed.status, 200, filed.text);
    const reference = filed.json[0].service_request_id;
    await until('two attempts', () => received.length >= 2);
    const [first, second] = received;
    assert.equal(first.method, 'POST');
    assert.equal(first.url, '/hook');
    assert.equal(first.headers['x-guichet-event'], 'request.created');
    assert.equal(first.headers['content-type'], 'application/json');
    assert.match(first.headers['x-guichet-delivery'], /^[0-9a-f]{32}$/);
    assert.equal(second.headers['x-guichet-delivery'], first.headers['x-guichet-delivery']);
    assert.ok(second.body.equals(first.body), 'the body bytes are the same on every attempt');
    verify(first);
    verify(second);
    const body = JSON.parse(first.body.toString('utf8'));
    assert.equal(body.event, 'request.created');
    assert.equal(body.delivery, first.headers['x-guichet-delivery']);
    assert.equal(body.request.reference, reference);
    assert.equal(body.request.procedure, 'nid-de-poule');
    assert.equal(body.request.status, 'new');
    assert.deepEqual(Object.keys(body.request).sort(), ['closed_at', 'created_at', 'due_at', 'procedure', 'reference', 'status', 'updated_at']);
    await until('the delivery marked done', () =>
        srv.sql(`SELECT state || ' ' || attempts FROM jobs WHERE ukey = '${body.delivery}';`).trim() === 'done 2');

    const page = await admin.get('/agent/admin/webhooks');
    assert.match(F.textOf(page.text), new RegExp(`${body.delivery}\\s+Reçu\\s+2`));
    /* The request's timeline says it, for agents only. */
    assert.equal(srv.sql(`SELECT count(*) FROM request_events e JOIN requests r ON r.id = e.request_id
                          WHERE r.reference = '${reference}' AND e.kind = 'job' AND e.body = 'webhook' AND e.is_public = 0;`).trim(), '1');
});

test('a delivery pending while guichet is stopped is made when it starts again', async () => {
    const before = received.length;
    answers = [503, 503, 503, 503];
    const filed = await H.request(srv, 'POST', '/open311/v2/requests.json',
                                  { form: await H.validPostBody(srv, 'nid-de-poule') });
    assert.equal(filed.status, 200);
    await until('the first attempt', () => received.length >= before + 1);
    const id = received[before].headers['x-guichet-delivery'];
    /* Stopped before it went through: the job stays in the database, pending (or running,
     * when the stop fell during an attempt: start-up makes it pending again). */
    assert.equal(await srv.stop('SIGTERM', { keep: true }), 0);
    const state = srv.sql(`SELECT state FROM jobs WHERE ukey = '${id}';`).trim();
    assert.ok(state === 'pending' || state === 'running', `state while stopped: ${state}`);
    const whileDown = received.length;
    answers = [];
    /* A secret stored in clear (a database from before secrets were sealed) is sealed at
     * start-up, and still signs. */
    srv.sql(`UPDATE webhooks SET secret = '${secret}';`);
    await H.sleep(1200); /* past its retry time while down */
    await srv.restart();
    await until('the retry after the restart', () => received.length > whileDown);
    const last = received[received.length - 1];
    assert.equal(last.headers['x-guichet-delivery'], id);
    assert.ok(last.body.equals(received[before].body), 'the same bytes after the restart');
    verify(last);
    await until('done', () => srv.sql(`SELECT state FROM jobs WHERE ukey = '${id}';`).trim() === 'done');
    assert.match(srv.sql('SELECT secret FROM webhooks;').trim(), /^v1\./, 'sealed at start-up');
    assert.match(srv.log(), /webhooks: 1 secret\(s\) stored in clear sealed/);
});

test('switched off: no delivery; a new secret signs the next ones', async () => {
    const sub = srv.sql('SELECT id FROM webhooks;').trim();
    await admin.get('/agent/admin/webhooks');
    let r = await admin.post(`/agent/admin/webhooks/${sub}/secret`, {});
    assert.equal(r.status, 200);
    const m = /(whsec_[A-Za-z0-9_-]{43})/.exec(r.text);
    assert.ok(m && m[1] !== secret, 'a new secret, shown once');
    secret = m[1];
    r = await admin.post(`/agent/admin/webhooks/${sub}/activation`, { active: '0' });
    assert.equal(r.status, 303);
    assert.equal(srv.sql('SELECT active FROM webhooks;').trim(), '0');
    const jobs = srv.sql("SELECT count(*) FROM jobs WHERE kind = 'webhook';").trim();
    const filed = await H.request(srv, 'POST', '/open311/v2/requests.json',
                                  { form: await H.validPostBody(srv, 'nid-de-poule') });
    assert.equal(filed.status, 200);
    assert.equal(srv.sql("SELECT count(*) FROM jobs WHERE kind = 'webhook';").trim(), jobs);
    r = await admin.post(`/agent/admin/webhooks/${sub}/activation`, { active: '1' });
    assert.equal(r.status, 303);
    const before = received.length;
    const ref = filed.json[0].service_request_id;
    const api = await H.request(srv, 'PATCH', `/api/v1/requests/${ref}`,
                                { headers: { Authorization: `Bearer ${srv.keys.api}` }, json: { status: 'in_progress' } });
    assert.equal(api.status, 200, api.text);
    await until('the status change', () => received.length > before);
    const d = received[before];
    assert.equal(d.headers['x-guichet-event'], 'request.status_changed');
    verify(d);
    assert.equal(JSON.parse(d.body).request.status, 'in_progress');
});

test('a delivery waiting for a retry when its subscription is switched off ends cancelled, and says so', async () => {
    const sub = srv.sql('SELECT id FROM webhooks;').trim();
    const before = received.length;
    /* Every attempt fails until the subscription is off: with the tests' 1 s backoff a retry
     * may come before the switch, on a loaded machine; each is then one more failure, never a
     * success that would end the delivery before it can be cancelled. */
    answers = Array(100).fill(503);
    const filed = await H.request(srv, 'POST', '/open311/v2/requests.json',
                                  { form: await H.validPostBody(srv, 'nid-de-poule') });
    assert.equal(filed.status, 200);
    await until('the first attempt', () => received.length >= before + 1);
    const id = received[before].headers['x-guichet-delivery'];
    await until('the failure recorded', () =>
        srv.sql(`SELECT attempts >= 1 AND last_error IS NOT NULL FROM jobs WHERE ukey = '${id}';`).trim() === '1');
    await admin.get('/agent/admin/webhooks');
    const r = await admin.post(`/agent/admin/webhooks/${sub}/activation`, { active: '0' });
    assert.equal(r.status, 303);
    const row = () => srv.sql(`SELECT state || '|' || last_error || '|' || attempts FROM jobs WHERE ukey = '${id}';`).trim();
    await until('the retry, cancelled', () => /^cancelled\|subscription switched off\|\d+$/.test(row()));
    const attempts = Number(row().split('|')[2]);
    /* Every attempt but the cancelling one was a delivery; none is made after it. */
    await H.sleep(1500);
    assert.equal(received.length - before, attempts - 1, 'one delivery per attempt before the switch, none after');
    answers = [];
    const page = await admin.get('/agent/admin/webhooks');
    assert.match(F.textOf(page.text), new RegExp(`${id}\\s+Annulé\\s+${attempts}\\s+(?:—\\s+)?subscription switched off`));
    /* The timeline does not claim a delivery. */
    const ref = filed.json[0].service_request_id;
    assert.equal(srv.sql(`SELECT count(*) FROM request_events e JOIN requests q ON q.id = e.request_id
                          WHERE q.reference = '${ref}' AND e.kind = 'job';`).trim(), '0');
});
