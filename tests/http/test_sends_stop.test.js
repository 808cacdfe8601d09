'use strict';
/*
 * The back office's test buttons («Envoyer un message de test», «Envoyer un SMS de test») and
 * the server's stop: each test runs on a thread of its own that uses the core, so a SIGTERM
 * arriving while the relay (a slow SMTP greeting) and the gateway (a slow sendsms answer) are
 * still being waited for must let both finish — their pages answered with what the relay and
 * the gateway said — before the core is freed, and the server exit cleanly (0). Run it with
 * GUICHET_BIN=build/asan/guichet to have a use after free reported.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const http = require('node:http');
const { startServer } = require('./harness');
const F = require('../browser/bo_flows');

const DELAY_MS = 1500;

/* A relay that greets only after DELAY_MS, then refuses: the test thread waits for it. */
function slowRelay(seen) {
    return new Promise((resolve) => {
        const s = net.createServer((sock) => {
            seen.relay++;
            sock.on('error', () => {});
            setTimeout(() => sock.end('554 5.3.2 pas de service pour le test\r\n'), DELAY_MS);
        });
        s.listen(0, '127.0.0.1', () => resolve(s));
    });
}

/* A sendsms interface that accepts after DELAY_MS. */
function slowKannel(seen) {
    return new Promise((resolve) => {
        const s = http.createServer((req, res) => {
            seen.kannel++;
            setTimeout(() => {
                res.writeHead(202, { 'Content-Type': 'text/plain' });
                res.end('0: Accepted for delivery');
            }, DELAY_MS);
        });
        s.listen(0, '127.0.0.1', () => resolve(s));
    });
}

test('a stop right after the test buttons waits for both tests', async (t) => {
    const seen = { relay: 0, kannel: 0 };
    const relay = await slowRelay(seen);
    const kannel = await slowKannel(seen);
    let srv = await startServer({});
    t.after(async () => {
        if (srv) await srv.stop();
        relay.close();
        kannel.close();
    });
    const admin = await F.login(srv, F.addAgent(srv, { email: 'admin.essais@ville-demo.test',
                                                       name: 'Admin Essais', role: 'admin' }));
    let r = await admin.post('/agent/admin/messagerie', {
        smtp_url: `smtp://127.0.0.1:${relay.address().port}`, smtp_user: '', smtp_password: '',
        from_addr: 'ne-pas-repondre@ville-demo.test', from_name: 'Mairie de Démo',
        reply_local: '', reply_domain: '', contacts: '',
    });
    assert.equal(r.status, 303, r.text && r.text.slice(0, 500));
    r = await admin.post('/agent/admin/sms', {
        sendsms_url: `http://127.0.0.1:${kannel.address().port}/cgi-bin/sendsms`,
        username: 'guichet', password: 'secret-de-test', sender: 'MAIRIE',
    });
    assert.equal(r.status, 303, r.text && r.text.slice(0, 500));

    /* Both pressed; the stop comes once the relay and the gateway have been reached, while
     * they have not answered yet. */
    const mail = admin.post('/agent/admin/messagerie/test', { test_to: 'essai@ville-demo.test' });
    const sms = admin.post('/agent/admin/sms/test', { test_phone: '06 12 34 56 78' });
    const deadline = Date.now() + 10000;
    while ((seen.relay < 1 || seen.kannel < 1) && Date.now() < deadline)
        await new Promise((res) => setTimeout(res, 20));
    assert.ok(seen.relay >= 1 && seen.kannel >= 1, 'both tests reached their servers');
    const stopped = srv.stop();

    const [m, s] = await Promise.all([mail, sms]);
    assert.equal(m.status, 200);
    assert.match(F.textOf(m.text), /Réponse du relais : 554 /);
    assert.equal(s.status, 200);
    assert.match(s.text, /HTTP 202 : 0: Accepted for delivery/);
    assert.equal(await stopped, 0, 'guichet did not exit cleanly');
    srv = null;
});
