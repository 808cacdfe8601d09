'use strict';
/*
 * Crash test: a 2xx on POST means the request is durable. 32 clients POST as fast as they
 * can, the server is killed with SIGKILL in the middle of the burst, then restarted on the
 * same database: every service_request_id that was acknowledged must be there, the
 * database must pass PRAGMA integrity_check, and the server must serve again. Two rounds,
 * so that the second one runs on a database that recovered from the first crash.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, validPostBody, request, validate, sleep } = require('../http/harness');

const CLIENTS = 32;
const BURST_MS = 1000;

/* POSTs in CLIENTS loops until the server dies; resolves with the acknowledged ids. */
async function burstUntilKilled(srv, body) {
    const acked = [];
    let errors = 0;
    let other = [];
    const loop = async () => {
        for (;;) {
            let r;
            try {
                r = await request(srv, 'POST', '/open311/v2/requests.json', { form: body, timeoutMs: 10000 });
            } catch (e) {
                errors++;
                if (!srv.running()) return;
                continue;
            }
            if (r.status === 200 || r.status === 201) {
                acked.push(r.json[0].service_request_id);
            } else {
                other.push(`${r.status} ${r.text.slice(0, 200)}`);
            }
        }
    };
    const loops = Array.from({ length: CLIENTS }, loop);
    await sleep(BURST_MS);
    await srv.kill9();
    await Promise.all(loops);
    return { acked, errors, other };
}

test('kill -9 during a burst of POSTs loses no acknowledged request', async () => {
    const srv = await startServer({ requests: 50 });
    try {
        const body = await validPostBody(srv);
        const all = [];
        for (let round = 1; round <= 2; round++) {
            const { acked, other } = await burstUntilKilled(srv, body);
            assert.deepEqual(other, [], `round ${round}: non-2xx answers before the kill`);
            assert.ok(acked.length > 0, `round ${round}: no POST was acknowledged within ${BURST_MS} ms`);
            assert.equal(new Set(acked).size, acked.length, `round ${round}: duplicate ids acknowledged`);
            all.push(...acked);
            assert.equal(srv.sql('PRAGMA integrity_check;').trim(), 'ok', `round ${round}: integrity after kill -9`);
            await srv.restart();

            /* Every acknowledged id is readable, 16 GETs at a time. */
            const missing = [];
            let next = 0;
            const reader = async () => {
                while (next < all.length) {
                    const id = all[next++];
                    const r = await request(srv, 'GET', `/open311/v2/requests/${encodeURIComponent(id)}.json`);
                    if (r.status !== 200 || !Array.isArray(r.json) || r.json[0].service_request_id !== id) {
                        missing.push(`${id}: ${r.status}`);
                    }
                }
            };
            await Promise.all(Array.from({ length: 16 }, reader));
            assert.deepEqual(missing, [], `round ${round}: acknowledged requests missing after restart`);
            const n = Number(srv.sql('SELECT count(*) FROM requests;').trim());
            assert.ok(n >= 50 + all.length, `round ${round}: ${n} rows for ${all.length} acknowledged + 50 demo`);
            assert.equal(srv.sql('PRAGMA integrity_check;').trim(), 'ok');
        }
        /* The restarted server serves reads and writes. */
        const one = await request(srv, 'GET', `/open311/v2/requests/${encodeURIComponent(all[0])}.json`);
        validate('service_requests', one.json);
        const w = await request(srv, 'POST', '/open311/v2/requests.json', { form: body });
        assert.ok(w.status === 200 || w.status === 201, `${w.status} ${w.text}`);
        assert.equal(await srv.stop('SIGTERM', { keep: true }), 0);
        assert.equal(srv.sql('PRAGMA integrity_check;').trim(), 'ok');
    } finally {
        await srv.stop('SIGKILL');
    }
});
