'use strict';
/*
 * The RGPD audit log against a real `guichet serve`: what agents do in the back office (view a
 * request, list the inbox, search, change a request) and what software does through the JSON
 * API (read, list, change) each writes audit_log rows naming records by their ids only — no
 * citizen's e-mail, name, phone, description, search terms or message text in any column.
 * `guichet audit verify` exits 0 on the intact chain; after one row is altered with the
 * sqlite3 CLI (its no-update trigger dropped first) it exits non-zero and names that entry;
 * the admin's audit page shows both results.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');

let srv;
let agent; /* an agent of voirie, logged in (Client) */
let admin; /* an admin, logged in (Client) */
let agentRow;
let req; /* a request of voirie with known personal data */
const SEARCH_WORD = 'Recherchesecrete';
const NOTE = 'Note interne confidentielle Zorglub';
const REPLY = 'Réponse confidentielle Bazinga';

/* Every audit_log row as objects (sqlite3 -json), after id `after`. */
function auditRows(after = 0) {
    const out = require('node:child_process').execFileSync('sqlite3', ['-batch', '-json', srv.db,
        `SELECT * FROM audit_log WHERE id > ${Number(after)} ORDER BY id`], { encoding: 'utf8' }).trim();
    return out ? JSON.parse(out) : [];
}

function lastAuditId() {
    return Number(srv.sql('SELECT coalesce(max(id), 0) FROM audit_log').trim());
}

/* The rows written since `after`, waiting a little: the audit entry may be committed by the
 * writer just after the answer went out. */
async function rowsSince(after, pred, what, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const rows = auditRows(after);
        const hit = rows.filter(pred);
        if (hit.length || Date.now() > deadline) {
            assert.ok(hit.length, `no audit entry for ${what}; rows written since #${after}:\n` +
                      rows.map((r) => JSON.stringify(r)).join('\n'));
            return hit;
        }
        await H.sleep(50);
    }
}

/* An entry names a record when its object_ids list holds the id. */
const names = (row, id) => String(row.object_ids || '').split(',').map((s) => s.trim()).includes(String(id));

function verify() {
    return srv.guichet(['audit', 'verify', '--db', srv.db]);
}

test.before(async () => {
    srv = await H.startServer({ requests: 20 });
    agentRow = F.addAgent(srv, { email: `audit.agent.${process.pid}@ville-demo.test`, name: 'Agent Audit', role: 'agent', departments: ['voirie'] });
    const adminRow = F.addAgent(srv, { email: `audit.admin.${process.pid}@ville-demo.test`, name: 'Admin Audit', role: 'admin' });
    req = await F.fileRequest(srv, { service: 'nid-de-poule', tag: `${SEARCH_WORD.toLowerCase()}${process.pid}` });
    agent = await F.login(srv, agentRow);
    admin = await F.login(srv, adminRow);
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

test('agents\' views, lists, searches and changes are audited, with ids', async () => {
    let mark = lastAuditId();
    const view = await agent.get(`/agent/demandes/${req.reference}`);
    assert.equal(view.status, 200);
    const v = await rowsSince(mark, (r) => r.action === 'view' && names(r, req.id), `the view of request #${req.id}`);
    assert.equal(Number(v[0].agent_id), agentRow.id, 'the view entry does not name the agent');
    assert.equal(v[0].object_kind, 'request');
    assert.ok(v[0].at > 0 && v[0].hash, 'the entry has no time or no hash');

    mark = lastAuditId();
    const list = await agent.get('/agent/?onglet=service');
    assert.equal(list.status, 200);
    await rowsSince(mark, (r) => r.action === 'list' && Number(r.agent_id) === agentRow.id, 'the inbox list');

    for (const term of [req.email, req.last, `${SEARCH_WORD}${process.pid}`]) {
        mark = lastAuditId();
        const s = await agent.get(`/agent/?onglet=service&q=${encodeURIComponent(term)}`);
        assert.equal(s.status, 200);
        assert.ok(F.unescapeHtml(s.text).includes(req.reference), `searching «${term}» does not find ${req.reference}`);
        const rows = await rowsSince(mark, (r) => r.action === 'search', `the search for «${term}»`);
        assert.ok(rows.some((r) => names(r, req.id)), `the search entry does not list the id ${req.id} it found`);
    }

    mark = lastAuditId();
    const note = await agent.post(`/agent/demandes/${req.reference}/traiter`, { note: NOTE });
    assert.equal(note.status, 303, `note: ${note.status} ${F.textOf(note.text).slice(0, 300)}`);
    await rowsSince(mark, (r) => r.action === 'change' && names(r, req.id), 'the internal note');

    mark = lastAuditId();
    const reply = await agent.post(`/agent/demandes/${req.reference}/traiter`, { reponse: REPLY });
    assert.equal(reply.status, 303, `reply: ${reply.status} ${F.textOf(reply.text).slice(0, 300)}`);
    await rowsSince(mark, (r) => r.action === 'change' && names(r, req.id), 'the reply');
});

test('the JSON API\'s reads, lists and changes are audited, naming the key', async () => {
    const api = (method, p, opts = {}) => H.request(srv, method, p, Object.assign({ headers: { Authorization: `Bearer ${srv.keys.api}` } }, opts));
    const keyId = Number(srv.sql("SELECT id FROM api_keys WHERE name = 'test-api'").trim());
    let mark = lastAuditId();
    assert.equal((await api('GET', `/api/v1/requests/${req.reference}`)).status, 200);
    let rows = await rowsSince(mark, (r) => r.action === 'view' && names(r, req.id), 'GET /api/v1/requests/{ref}');
    assert.equal(rows[0].actor, `api:${keyId}`, 'the API entry does not name the key');

    mark = lastAuditId();
    assert.equal((await api('GET', '/api/v1/requests?limit=5')).status, 200);
    await rowsSince(mark, (r) => r.action === 'list' && r.actor === `api:${keyId}`, 'GET /api/v1/requests');

    mark = lastAuditId();
    const p = await api('PATCH', `/api/v1/requests/${req.reference}`, { json: { priority: 'high' } });
    assert.equal(p.status, 200, p.text);
    await rowsSince(mark, (r) => r.action === 'change' && names(r, req.id), 'PATCH /api/v1/requests/{ref}');

    mark = lastAuditId();
    const e = await api('POST', `/api/v1/requests/${req.reference}/events`, { json: { body: NOTE + ' API' } });
    assert.ok([200, 201].includes(e.status), e.text);
    await rowsSince(mark, (r) => r.action === 'change' && names(r, req.id), 'POST /api/v1/requests/{ref}/events');
});

test('no personal data in any column of any audit entry', () => {
    const rows = auditRows();
    assert.ok(rows.length >= 8, `only ${rows.length} audit entries`);
    const secrets = F.secretsOf(req).filter(([what]) => what !== 'reference')
        .concat([['search term', SEARCH_WORD.toLowerCase()], ['note', 'Zorglub'], ['reply', 'Bazinga'],
                 ['agent e-mail', agentRow.email], ['agent name', agentRow.name]]);
    for (const row of rows) {
        for (const [col, value] of Object.entries(row)) {
            const cell = String(value === null ? '' : value).toLowerCase();
            for (const [what, s] of secrets) {
                assert.ok(!cell.includes(String(s).toLowerCase()),
                          `audit_log #${row.id}.${col} holds the ${what} «${s}»: ${JSON.stringify(row)}`);
            }
        }
        /* object_ids: ids only. */
        assert.match(String(row.object_ids || ''), /^(\d+(,\d+)*)?$/, `audit_log #${row.id}.object_ids is not a list of ids: ${row.object_ids}`);
    }
});

/* The entries of an audit page, in words, in page order, with their ids. */
function entriesOf(html) {
    return [...html.matchAll(/<td data-entry>([^]*?)<\/td><td class="mono">[^<]*<\/td><td class="num">(\d+)<\/td>/g)]
        .map((m) => ({ text: F.textOf(m[1]).replace(/\s+/g, ' ').trim(), id: Number(m[2]), html: m[1] }));
}

test('the audit log in words: newest first, by agent, by request, by period', async () => {
    const mark = lastAuditId();
    assert.equal((await agent.get(`/agent/demandes/${req.reference}`)).status, 200);
    await rowsSince(mark, (r) => r.action === 'view' && names(r, req.id), 'the view');

    const page = await admin.get('/agent/admin/audit');
    assert.equal(page.status, 200);
    const all = entriesOf(page.text);
    assert.ok(all.length > 2, 'the page lists entries');
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].id > all[i].id, 'newest first');
    const view = all.find((e) => e.text === `Agent Audit a consulté la demande ${req.reference}`);
    assert.ok(view, `the view in words among:\n${all.map((e) => e.text).join('\n')}`);
    assert.match(view.html, new RegExp(`<a href="/agent/demandes/${req.reference}">`), 'the reference links to the request');

    /* A request's readers: every entry names it, and every entry that names it is there. */
    const byReq = entriesOf((await admin.get(`/agent/admin/audit?demande=${req.reference}`)).text);
    const naming = auditRows(0).filter((r) => r.object_kind === 'request' && names(r, req.id));
    assert.equal(byReq.length, Math.min(naming.length, 50));
    assert.deepEqual(byReq.map((e) => e.id), naming.map((r) => Number(r.id)).reverse().slice(0, 50));
    for (const e of byReq) assert.match(e.text, new RegExp(req.reference));

    /* One agent's actions. */
    const byAgent = entriesOf((await admin.get(`/agent/admin/audit?agent=${agentRow.id}`)).text);
    const agentRows = auditRows(0).filter((r) => Number(r.agent_id) === agentRow.id);
    assert.equal(byAgent.length, Math.min(agentRows.length, 50));
    for (const e of byAgent) assert.match(e.text, /^Agent Audit /);
    assert.ok(byAgent.some((e) => /a fait une recherche qui a trouvé|a affiché une liste de demandes/.test(e.text)));

    /* A period: nothing tomorrow; today's entries today. */
    const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10);
    assert.deepEqual(entriesOf((await admin.get(`/agent/admin/audit?du=${day(2)}`)).text), []);
    assert.deepEqual(entriesOf((await admin.get(`/agent/admin/audit?au=${day(-2)}`)).text), []);
    assert.ok(entriesOf((await admin.get(`/agent/admin/audit?du=${day(-1)}&au=${day(1)}&demande=${req.reference}`)).text).length > 0);

    /* Mistakes are said, never a 500. */
    const unknown = await admin.get('/agent/admin/audit?demande=1999-999999');
    assert.equal(unknown.status, 200);
    assert.match(F.textOf(unknown.text), /Aucune demande ne porte la référence 1999-999999/);
    const badDate = await admin.get('/agent/admin/audit?du=2026-13-45');
    assert.equal(badDate.status, 200);
    assert.match(F.textOf(badDate.text), /La date de début n'est pas une date valide/);

    /* Paging: «Entrées plus anciennes» goes on below the oldest shown, filters kept. */
    const first = await admin.get(`/agent/admin/audit?agent=${agentRow.id}`);
    const older = /<a href="([^"]+)" rel="next">/.exec(first.text);
    if (agentRows.length > 50) {
        assert.ok(older, 'a link to older entries');
        const next = entriesOf((await admin.get(F.unescapeHtml(older[1]))).text);
        assert.ok(next.length > 0 && next[0].id < byAgent[byAgent.length - 1].id);
    } else {
        assert.equal(older, null, 'no link to older entries when all are shown');
    }
    /* The English page says it in English. */
    const en = entriesOf((await admin.get(`/agent/admin/audit?demande=${req.reference}&lang=en`)).text);
    assert.ok(en.some((e) => e.text === `Agent Audit viewed request ${req.reference}`), en.map((e) => e.text).join('\n'));
});

test('audit verify: intact chain exits 0; a tampered row exits non-zero naming it; the admin page says so', async () => {
    const ok = verify();
    assert.equal(ok.status, 0, `audit verify on an intact chain exited ${ok.status}\n${ok.stdout}\n${ok.stderr}`);
    /* The admin page's «Vérifier la chaîne» button. */
    await admin.get('/agent/admin/audit');
    const page = await admin.post('/agent/admin/audit/verifier', {});
    assert.equal(page.status, 200, `POST /agent/admin/audit/verifier: ${page.status}`);
    const before = F.textOf(page.text);
    assert.match(before, /La chaîne est intacte/, `the audit page does not say the chain is intact:\n${before.slice(0, 1500)}`);
    assert.doesNotMatch(before, /rompue/);

    /* The entry to alter: one in the middle of the chain. */
    const ids = srv.sql('SELECT id FROM audit_log ORDER BY id').trim().split('\n').map(Number);
    assert.ok(ids.length >= 3);
    const victim = ids[Math.floor(ids.length / 2)];
    const triggers = srv.sql("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
        .trim().split('\n').filter(Boolean);
    /* Append-only: the database itself refuses an UPDATE while the trigger is there. */
    assert.ok(triggers.length, 'audit_log has no trigger that refuses updates');
    assert.throws(() => srv.sql(`UPDATE audit_log SET action = 'export' WHERE id = ${victim}`), /./,
                  'an UPDATE of audit_log was accepted with its triggers in place');
    for (const t of triggers) srv.sql(`DROP TRIGGER "${t.replace(/"/g, '""')}"`);
    srv.sql(`UPDATE audit_log SET object_ids = '999999' WHERE id = ${victim}`);

    const bad = verify();
    assert.notEqual(bad.status, 0, `audit verify exited 0 after entry #${victim} was altered\n${bad.stdout}\n${bad.stderr}`);
    const said = bad.stdout + bad.stderr;
    assert.match(said, new RegExp(`\\b${victim}\\b`), `audit verify does not name entry #${victim}: ${said}`);
    const page2 = await admin.post('/agent/admin/audit/verifier', {});
    assert.equal(page2.status, 200);
    const after = F.textOf(page2.text);
    assert.match(after, new RegExp(`La chaîne est rompue\\. Première entrée altérée : n° ?${victim}\\b`),
                 `the audit page does not name the altered entry #${victim}:\n${after.slice(0, 1500)}`);
    assert.doesNotMatch(after, /La chaîne est intacte/, 'the audit page still says the chain is intact');
});
