'use strict';
/*
 * Crash test of the statistics' facts (request_facts, migration 49): they are written by
 * triggers in the transaction of each change, so a crash keeps a change and its facts, or
 * neither. Clients create requests (Open311 POST), move them between statuses (closing and
 * reopening them) and answer them in public (JSON API notes), all at once; the server is
 * killed with SIGKILL in the middle, then the facts must equal a full recount from the
 * requests and their events, and after a restart GET /api/v1/stats must count every request.
 * Two rounds, the second on the database the first crash left.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, validPostBody, request, sleep } = require('../http/harness');

const BURST_MS = 1200;
const LOOPS = 4; /* concurrent clients per kind of change */
const STATUSES = ['acknowledged', 'in_progress', 'resolved', 'rejected', 'in_progress'];

/* The facts as a recount from the requests and their events gives them (reopenings aside:
 * which statuses are closed is the workflows'). */
const RECOUNT = `SELECT r.tenant_id, r.created_at, r.id, r.procedure_id, r.department_id, r.channel, r.status,
    (SELECT min(e.created_at) FROM request_events e WHERE e.request_id = r.id AND e.is_public = 1
       AND e.copied_from IS NULL AND e.kind <> 'created' AND (e.actor LIKE 'agent:%' OR e.actor LIKE 'api:%')),
    r.closed_at, r.merged_into IS NOT NULL FROM requests r`;
const FACTS = `SELECT tenant_id, created_at, request_id, procedure_id, department_id, channel, status,
    first_answer_at, closed_at, merged FROM request_facts`;

function checkFacts(srv, round) {
    const n = (q) => Number(srv.sql(q).trim());
    assert.equal(n(`SELECT count(*) FROM (${RECOUNT} EXCEPT ${FACTS});`), 0, `round ${round}: a change without its facts`);
    assert.equal(n(`SELECT count(*) FROM (${FACTS} EXCEPT ${RECOUNT});`), 0, `round ${round}: facts without their change`);
}

test('kill -9 while requests are created, answered, closed and reopened keeps the facts equal to a recount', async () => {
    const srv = await startServer({ requests: 200 });
    try {
        const body = await validPostBody(srv);
        const auth = { Authorization: `Bearer ${srv.keys.api}` };
        const refs = srv.sql('SELECT reference FROM requests WHERE merged_into IS NULL ORDER BY id;')
            .split('\n').map((s) => s.trim()).filter(Boolean);
        for (let round = 1; round <= 2; round++) {
            const counts = { created: 0, moved: 0, answered: 0 };
            let i = 0;
            const loop = (fn) => async () => {
                while (srv.running()) {
                    try {
                        await fn(refs[(i++ * 7919) % refs.length]);
                    } catch (e) {
                        if (!srv.running()) return;
                    }
                }
            };
            const create = async () => {
                const r = await request(srv, 'POST', '/open311/v2/requests.json', { form: body, timeoutMs: 10000 });
                if (r.status === 200 || r.status === 201) counts.created++;
            };
            const move = async (ref) => {
                const status = STATUSES[(i * 31) % STATUSES.length];
                const r = await request(srv, 'PATCH', `/api/v1/requests/${ref}`, { json: { status }, headers: auth, timeoutMs: 10000 });
                if (r.status === 200) counts.moved++;
            };
            const answer = async (ref) => {
                const r = await request(srv, 'POST', `/api/v1/requests/${ref}/events`,
                                        { json: { body: 'Nous intervenons cette semaine.', public: true }, headers: auth, timeoutMs: 10000 });
                if (r.status === 201) counts.answered++;
            };
            const loops = [];
            for (let k = 0; k < LOOPS; k++) loops.push(loop(create)(), loop(move)(), loop(answer)());
            await sleep(BURST_MS);
            await srv.kill9();
            await Promise.all(loops);
            assert.ok(counts.created > 0 && counts.moved > 0 && counts.answered > 0,
                      `round ${round}: every kind of change acknowledged before the kill: ${JSON.stringify(counts)}`);
            assert.equal(srv.sql('PRAGMA integrity_check;').trim(), 'ok');
            checkFacts(srv, round);
            await srv.restart();
            const r = await request(srv, 'GET', '/api/v1/stats?group_by=status', { headers: auth });
            assert.equal(r.status, 200, r.text);
            assert.equal(r.json.total.count, Number(srv.sql('SELECT count(*) FROM requests WHERE merged_into IS NULL;').trim()));
        }
        assert.equal(await srv.stop('SIGTERM', { keep: true }), 0);
        checkFacts(srv, 'after a clean stop');
    } finally {
        await srv.stop('SIGKILL');
    }
});
