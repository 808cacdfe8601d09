'use strict';
/*
 * Crash test of the e-mail outbox: the server is killed with SIGKILL while its dispatcher
 * drains 300 queued messages through a real relay (OpenSMTPD on loopback, tests/http/mta.js),
 * then restarted on the same database. Delivery is at least once: every message arrives, and
 * the only ones that may arrive twice are those in flight at the kill (one dispatcher thread:
 * at most one), with the same Message-ID both times — the outbox row's stored id. Then the
 * relay goes down while messages are queued and comes back: each arrives exactly once.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, sleep } = require('../http/harness');
const { startMta, mtaAvailable } = require('../http/mta');

const N = 300;
const skip = mtaAvailable() || false;

/* Queues n account_login messages to prefix<i>@exemple.test straight in the outbox, as core's
 * outbox_add_tx would (its own id, due now), in one statement. */
function queue(srv, prefix, n) {
    srv.sql(
        'WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < ' + n + ') ' +
        'INSERT INTO outbox (tenant_id, channel, recipient, template, params, lang, attempts, ' +
        'created_at, next_attempt_at, failed, message_id) SELECT (SELECT min(id) FROM tenants), ' +
        `'email', '${prefix}' || k || '@exemple.test', 'account_login', ` +
        "'{\"link\":\"https://ville-demo.test/connexion/lien\"}', 'fr', 0, unixepoch(), unixepoch(), 0, " +
        'lower(hex(randomblob(16))) FROM i;');
}

/* recipient → [Message-ID…] of what the relay delivered to addresses starting with prefix. */
function delivered(mta, prefix) {
    const by = new Map();
    for (const m of mta.messages()) {
        if (!m.to.startsWith(prefix)) continue;
        if (!by.has(m.to)) by.set(m.to, []);
        by.get(m.to).push(m.headers.get('message-id'));
    }
    return by;
}

/* recipient → its row's stored message id. */
function storedIds(srv, prefix) {
    const out = new Map();
    for (const line of srv.sql(`SELECT recipient, message_id FROM outbox WHERE recipient LIKE '${prefix}%';`).trim().split('\n')) {
        const [to, id] = line.split('|');
        out.set(to, id);
    }
    return out;
}

async function waitUntil(fn, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = fn();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(100);
    }
}

test('kill -9 while the outbox drains: every message once, those in flight at most twice with the same Message-ID', { skip }, async () => {
    const mta = await startMta();
    const srv = await startServer({
        requests: 0,
        env: { GUICHET_SMTP_URL: mta.url, GUICHET_MAIL_FROM: 'ne-pas-repondre@ville-demo.test', GUICHET_MAIL_BACKOFF_S: '1' },
    });
    try {
        await srv.stop('SIGTERM', { keep: true });
        queue(srv, 'crash', N);
        await srv.restart();
        /* Killed in the middle of the drain. */
        await waitUntil(() => delivered(mta, 'crash').size >= 30, 60000, 'a first part of the messages');
        await srv.kill9();
        const before = delivered(mta, 'crash').size;
        assert.ok(before < N, `the kill came too late to test anything (${before} delivered)`);
        assert.equal(srv.sql('PRAGMA integrity_check;').trim(), 'ok');
        await srv.restart();
        await waitUntil(() => srv.sql("SELECT count(*) FROM outbox WHERE recipient LIKE 'crash%' AND state = 'sent';").trim() === String(N),
                        120000, 'every message to be recorded as sent');
        await sleep(1000);
        const got = delivered(mta, 'crash');
        const ids = storedIds(srv, 'crash');
        assert.equal(got.size, N, 'every message arrived');
        const twice = [...got].filter(([, list]) => list.length > 1);
        assert.ok(twice.length <= 1, `only the message in flight may come twice: ${JSON.stringify(twice)}`);
        for (const [to, list] of got) {
            assert.ok(list.length <= 2, `${to} arrived ${list.length} times`);
            /* Every copy carries the row's own id: a resend is recognisably the same message. */
            for (const mid of list) assert.equal(mid, `<${ids.get(to)}@ville-demo.test>`, to);
        }

        /* The relay down, then up: delivered once each. */
        await mta.stop({ keep: true });
        queue(srv, 'panne', 20);
        await waitUntil(() => Number(srv.sql("SELECT count(*) FROM outbox WHERE recipient LIKE 'panne%' AND attempts > 0;").trim()) > 0,
                        20000, 'an attempt while the relay is down');
        assert.equal(srv.sql("SELECT count(*) FROM outbox WHERE recipient LIKE 'panne%' AND (state != 'queued' OR failed != 0);").trim(), '0',
                     'nothing sent nor given up while the relay is down');
        await mta.restart();
        await waitUntil(() => srv.sql("SELECT count(*) FROM outbox WHERE recipient LIKE 'panne%' AND state = 'sent';").trim() === '20',
                        90000, 'every message queued during the outage to be sent');
        await sleep(1500);
        const after = delivered(mta, 'panne');
        assert.equal(after.size, 20);
        for (const [to, list] of after) assert.equal(list.length, 1, `${to} arrived ${list.length} times`);
    } finally {
        await srv.stop('SIGKILL');
        await mta.stop();
    }
});
