'use strict';
/*
 * Crash test of the workflow's generated documents (core/document_generate.c): forty
 * «generate a document» jobs due at start-up, the server killed with SIGKILL as soon as the
 * first document is written, started again. The document and the job's end are one write
 * job, a job cut before it is pending again at the next start: every request ends with
 * exactly one document, one «letter_issued» event and one notice, whatever the kill cut.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../http/harness');

const N = 40;
const ATTESTATION = "Attestation de décision implicite d''acceptation";

async function until(what, pred) {
    for (let i = 0; i < 600; i++) {
        if (await pred()) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`never: ${what}`);
}

test('kill -9 while documents are generated: each request gets its document exactly once', async () => {
    const srv = await startServer({ requests: N, env: { GUICHET_RETENTION_INTERVAL_S: '0' } });
    try {
        const one = (q) => srv.sql(q).trim();
        await srv.stop('SIGTERM', { keep: true });
        /* The jobs a status entry schedules (status_actions.c), written as it writes them. */
        srv.sql(`INSERT INTO jobs (tenant_id, request_id, kind, ukey, due_at, payload, state, attempts, created_at)
                 SELECT tenant_id, id, 'document_generate', 'accepted:9:' || id, unixepoch() - 5,
                        '{"citizen_visible":true,"decided_at":' || unixepoch() || ',"template":"${ATTESTATION}"}',
                        'pending', 0, unixepoch()
                 FROM requests WHERE anonymised_at IS NULL ORDER BY id DESC LIMIT ${N}`);
        const list = one(`SELECT group_concat(request_id) FROM jobs WHERE kind = 'document_generate'`);
        assert.equal(list.split(',').length, N);
        const made = () => Number(one(`SELECT count(*) FROM documents WHERE kind = 'decision' AND request_id IN (${list})`));
        await srv.restart();
        await until('a first document', () => made() >= 1);
        await srv.kill9();
        const atKill = made();
        assert.ok(atKill < N, `the kill came too late to test anything (${atKill} made)`);
        await srv.restart();
        await until('every job done', () => one(`SELECT count(*) FROM jobs WHERE kind = 'document_generate' AND state = 'done'`) === String(N));
        const rows = one(`SELECT (SELECT count(*) FROM documents d WHERE d.request_id = r.id AND d.kind = 'decision'),
                                 (SELECT count(*) FROM request_events e WHERE e.request_id = r.id AND e.kind = 'letter_issued'),
                                 (SELECT count(*) FROM outbox o WHERE o.request_id = r.id AND o.template = 'document_issued') <= 1
                          FROM requests r WHERE r.id IN (${list})`).split('\n');
        assert.equal(rows.length, N);
        for (const row of rows) assert.equal(row, '1|1|1');
        assert.equal(one('PRAGMA integrity_check'), 'ok');
    } finally {
        await srv.stop('SIGKILL');
    }
});
