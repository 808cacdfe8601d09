'use strict';
/*
 * Crash test of the audit log: a change by an agent or an API key and its audit entry are
 * written in one transaction, so a crash keeps both or neither. Agents process requests
 * (an internal note), run bulk assignments and publish requests while the JSON API adds
 * notes and patches, all at once; the server is killed with SIGKILL in the middle, restarted
 * and stopped. Then `guichet audit verify` passes, every request an agent or the key changed
 * (a timeline event by "agent:<id>" / "api:<key name>") has an audit entry by that actor
 * naming it, and no audit entry names a request that actor did not change. Each operation
 * takes requests nobody touched before, so an entry can only belong to its own change.
 * Three rounds, each on the database the previous crash left.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { startServer, request, sleep, BIN } = require('../http/harness');

const PASSWORD = 'un-mot-de-passe-solide';
const ADMIN = 'crash.chef@ville-test.fr';
const BURST_MS = 700;
const LOOPS = 4; /* concurrent clients per kind of operation */

/* A browser with a cookie jar (session and CSRF cookies). */
function browser(srv) {
    const jar = new Map();
    const send = async (method, path, body, headers = {}) => {
        const h = Object.assign({}, headers);
        if (jar.size) h.Cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
        const r = await fetch(srv.url + path, { method, headers: h, body, redirect: 'manual',
                                                 signal: AbortSignal.timeout(10000) });
        for (const c of r.headers.getSetCookie()) {
            const pair = c.split(';')[0];
            const i = pair.indexOf('=');
            jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
        }
        return { status: r.status, text: await r.text(), location: r.headers.get('location') };
    };
    return {
        get: (path) => send('GET', path),
        post(path, fields) {
            const p = new URLSearchParams();
            for (const [k, v] of (Array.isArray(fields) ? fields : Object.entries(fields))) p.append(k, v);
            return send('POST', path, p.toString(), { 'Content-Type': 'application/x-www-form-urlencoded' });
        },
    };
}

const csrfOf = (html) => {
    const m = html.match(/name="csrf_token" value="([^"]+)"/);
    assert.ok(m, 'the page holds a CSRF token');
    return m[1];
};

async function login(srv) {
    const b = browser(srv);
    const page = await b.get('/agent/connexion');
    const r = await b.post('/agent/connexion', { csrf_token: csrfOf(page.text), email: ADMIN, password: PASSWORD });
    assert.equal(r.status, 303, `login: ${r.text.slice(0, 300)}`);
    const inbox = await b.get('/agent/');
    assert.equal(inbox.status, 200);
    b.csrf = csrfOf(inbox.text);
    return b;
}

const column = (srv, query) => srv.sql(query).split('\n').map((s) => s.trim()).filter(Boolean);

/* Runs `op(refs)` in LOOPS clients, each on refs taken from `pool` (take refs at a time,
 * remembered in `used`), until the pool is empty or the server is gone. Counts the answers. */
function runLoops(srv, pool, take, op, stats, used) {
    const loop = async () => {
        while (pool.length >= take) {
            const refs = pool.splice(0, take);
            for (const ref of refs) used.add(ref);
            try {
                const ok = await op(refs);
                stats[ok ? 'ok' : 'refused']++;
            } catch (e) {
                stats.errors++;
                if (!srv.running()) return;
            }
        }
    };
    return Array.from({ length: LOOPS }, loop);
}

test('kill -9 during agents\' and API writes: every change has its audit entry, and every entry its change', async () => {
    const srv = await startServer({ requests: 3000 });
    try {
        /* A manager of every department: bulk actions and every request, without the second
         * factor an administrator needs. */
        const departments = srv.sql("SELECT group_concat(code, ',') FROM departments;").trim();
        const add = spawnSync(BIN, ['agent', 'add', '--db', srv.db, '--email', ADMIN, '--name', 'Crash Chef',
                                    '--role', 'manager', '--department', departments, '--password-stdin'],
                              { input: PASSWORD + '\n', encoding: 'utf8', env: srv.env });
        assert.equal(add.status, 0, add.stderr);
        const agentId = srv.sql(`SELECT id FROM agents WHERE email = '${ADMIN}';`).trim();
        const [keyId, keyName] = srv.sql("SELECT id || '|' || name FROM api_keys WHERE scope = 'api';").trim().split('|');
        const actors = [
            { event: `agent:${agentId}`, audit: `agent:${agentId}` },
            { event: `api:${keyName}`, audit: `api:${keyId}` },
        ];
        const apiHeaders = { Authorization: `Bearer ${srv.keys.api}` };
        const used = new Set();
        for (let round = 1; round <= 3; round++) {
            const firstEvent = Number(srv.sql('SELECT coalesce(max(id), 0) FROM request_events;').trim());
            const firstEntry = Number(srv.sql('SELECT coalesce(max(id), 0) FROM audit_log;').trim());
            /* Requests nobody touched yet, each given to one kind of operation: the unassigned
             * ones to the bulk assignment (which then always changes something), those of a
             * procedure with a public list to publication, the others in turn to the rest. */
            const pools = { process: [], bulk: [], publish: [], note: [], patch: [] };
            const rows = column(srv, `SELECT r.reference || '|' || (r.assignee IS NULL) || '|' || p.is_public
                                      FROM requests r JOIN procedures p ON p.id = r.procedure_id
                                      WHERE r.anonymised_at IS NULL ORDER BY r.id;`);
            let turn = 0;
            for (const row of rows) {
                const [ref, unassigned, isPublic] = row.split('|');
                if (used.has(ref)) continue;
                if (unassigned === '1') pools.bulk.push(ref);
                else if (isPublic === '1') pools.publish.push(ref);
                else [pools.process, pools.note, pools.patch][turn++ % 3].push(ref);
            }
            const b = await login(srv);
            const stats = { ok: 0, refused: 0, errors: 0 };
            const loops = [
                ...runLoops(srv, pools.process, 1, async ([ref]) => {
                    const r = await b.post(`/agent/demandes/${ref}/traiter`, { csrf_token: b.csrf, note: 'Passage prévu' });
                    return r.status === 303;
                }, stats, used),
                ...runLoops(srv, pools.bulk, 3, async (refs) => {
                    const r = await b.post('/agent/lot', [['csrf_token', b.csrf], ['action', 'assigner'],
                                                          ['agent', 'agent:crash.chef'], ...refs.map((x) => ['ids', x])]);
                    return r.status === 303;
                }, stats, used),
                ...runLoops(srv, pools.publish, 1, async ([ref]) => {
                    const r = await b.post(`/agent/demandes/${ref}/publication`, { csrf_token: b.csrf, public: '1' });
                    return r.status === 303;
                }, stats, used),
                ...runLoops(srv, pools.note, 1, async ([ref]) => {
                    const r = await request(srv, 'POST', `/api/v1/requests/${ref}/events`,
                                            { headers: apiHeaders, json: { body: 'Vu par le logiciel', public: false }, timeoutMs: 10000 });
                    return r.status === 201;
                }, stats, used),
                ...runLoops(srv, pools.patch, 1, async ([ref]) => {
                    const r = await request(srv, 'PATCH', `/api/v1/requests/${ref}`,
                                            { headers: apiHeaders, json: { note: 'Pris en compte' }, timeoutMs: 10000 });
                    return r.status === 200;
                }, stats, used),
            ];
            await sleep(BURST_MS);
            const left = Object.values(pools).reduce((n, p) => n + p.length, 0);
            await srv.kill9();
            await Promise.all(loops);
            console.log(`round ${round}: ${stats.ok} answered, ${stats.refused} refused, ${stats.errors} cut by the kill, ${left} requests left`);
            assert.ok(stats.ok > 0, `round ${round}: no write was answered before the kill`);
            assert.ok(left > 0, `round ${round}: every operation finished before the kill (more requests needed)`);
            assert.equal(srv.sql('PRAGMA integrity_check;').trim(), 'ok');
            await srv.restart();
            assert.equal(await srv.stop('SIGTERM', { keep: true }), 0);

            const verify = srv.guichet(['audit', 'verify', '--db', srv.db]);
            assert.equal(verify.status, 0, `round ${round}: audit verify\n${verify.stdout}\n${verify.stderr}`);
            for (const a of actors) {
                const changed = new Set(column(srv, `SELECT DISTINCT request_id FROM request_events
                                                     WHERE id > ${firstEvent} AND actor = '${a.event}';`));
                const named = new Set();
                for (const ids of column(srv, `SELECT object_ids FROM audit_log WHERE id > ${firstEntry}
                                               AND actor = '${a.audit}' AND action IN ('change', 'create')
                                               AND object_kind = 'request';`)) {
                    for (const id of ids.split(',')) named.add(id.trim());
                }
                const lacking = [...changed].filter((id) => !named.has(id));
                const phantom = [...named].filter((id) => !changed.has(id));
                assert.deepEqual(lacking, [], `round ${round}: ${lacking.length} of ${changed.size} changes by ${a.event} without their audit entry`);
                assert.deepEqual(phantom, [], `round ${round}: ${phantom.length} of ${named.size} requests named by ${a.audit} without a change`);
            }
            await srv.restart();
        }
    } finally {
        await srv.stop('SIGKILL');
    }
});
