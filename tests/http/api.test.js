'use strict';
/*
 * The JSON API at /api/v1/ against a real `guichet serve` on the demo commune: Bearer keys and
 * scopes, every list filter checked against a count made directly in the database, cursor
 * paging without duplicates or gaps, a request with its whole timeline, PATCH of status,
 * assignee, priority and department, public and internal notes (and that Open311 shows the
 * public ones only), the limits (413, 415, 429) and the one error format. Every answer is
 * validated against docs/openapi.yaml by harness.request(); the last test checks that every
 * operation the document declares was called.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, request } = require('./harness');
const { apiCovered, openapi } = require('./schemas');

const JSON_CTYPE = 'application/json; charset=utf-8';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const STATUSES = ['new', 'acknowledged', 'in_progress', 'resolved', 'rejected', 'duplicate'];
const ITEM_KEYS = [
    'reference', 'status', 'status_label', 'procedure', 'department', 'channel', 'lang', 'description', 'public_description',
    'location', 'address', 'address_id', 'zipcode', 'media_url', 'attributes', 'contact',
    'assignee', 'priority', 'created_at', 'updated_at', 'closed_at', 'due_at', 'status_notes',
    'merged_into',
];
const EVENT_KEYS = ['id', 'kind', 'public', 'actor', 'channel', 'status_from', 'status_to', 'body',
                    'created_at'];

/* A call with the api key unless opts.key says otherwise (null: no Authorization at all). */
function api(srv, method, p, opts = {}) {
    const headers = Object.assign({}, opts.headers || {});
    const key = opts.key === undefined ? srv.keys.api : opts.key;
    if (key !== null && !headers.Authorization) headers.Authorization = `Bearer ${key}`;
    return request(srv, method, p, Object.assign({}, opts, { headers }));
}

/* The error format: {"error": {code, message, argument?, detail?}} with the right status. */
function assertError(r, status, code, argument) {
    assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
    assert.equal(r.headers.get('content-type'), JSON_CTYPE);
    assert.ok(r.json && typeof r.json === 'object', `not JSON: ${r.text}`);
    assert.deepEqual(Object.keys(r.json), ['error']);
    const e = r.json.error;
    for (const k of Object.keys(e)) assert.ok(['code', 'message', 'argument', 'detail'].includes(k), k);
    assert.equal(e.code, code, r.text);
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0);
    if (argument !== undefined) assert.equal(e.argument, argument, r.text);
    return e;
}

function sqlRows(srv, query) {
    return srv.sql(query).split('\n').filter((l) => l.length > 0);
}

function sqlNumber(srv, query) {
    const n = Number(srv.sql(query).trim());
    assert.ok(Number.isInteger(n), `not a number from: ${query}`);
    return n;
}

/* SQL text literal (test data only). */
const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

const isoUtc = (secs) => new Date(secs * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/* Walks every page of /api/v1/requests?query with `limit` per page; checks the order (newest
 * first), that no reference repeats, and returns all items. */
async function walk(srv, query, limit) {
    const seen = new Set();
    const items = [];
    let cursor = null;
    let pages = 0;
    do {
        const params = new URLSearchParams(query);
        params.set('limit', String(limit));
        if (cursor) params.set('cursor', cursor);
        const r = await api(srv, 'GET', `/api/v1/requests?${params}`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get('content-type'), JSON_CTYPE);
        assert.deepEqual(Object.keys(r.json).sort(), ['data', 'next_cursor']);
        assert.ok(r.json.data.length <= limit);
        for (const it of r.json.data) {
            assert.ok(!seen.has(it.reference), `duplicate ${it.reference} in ${query}`);
            seen.add(it.reference);
            items.push(it);
        }
        cursor = r.json.next_cursor;
        if (cursor !== null) {
            assert.equal(typeof cursor, 'string');
            assert.equal(r.json.data.length, limit, 'a page before the last one is full');
        }
        pages++;
        assert.ok(pages < 10000, 'paging does not end');
    } while (cursor !== null);
    for (let i = 1; i < items.length; i++) {
        const a = Date.parse(items[i - 1].created_at);
        const b = Date.parse(items[i].created_at);
        assert.ok(a >= b, `not newest first: ${items[i - 1].created_at} then ${items[i].created_at}`);
    }
    return items;
}

/* Walks a filter and compares the set of references with the database's. */
async function checkFilter(srv, query, where, limit = 17) {
    const items = await walk(srv, query, limit);
    const expected = sqlRows(srv, `SELECT reference FROM requests WHERE ${where};`);
    assert.ok(expected.length > 0, `the demo holds no request for ${where}: pick another value`);
    assert.deepEqual(items.map((i) => i.reference).sort(), expected.sort(), `filter ${query}`);
    return items;
}

function checkItemShape(it) {
    assert.deepEqual(Object.keys(it).filter((k) => k !== 'timeline').sort(), [...ITEM_KEYS].sort());
    assert.match(it.reference, /^\d{4}-\d{6}$/);
    assert.ok(STATUSES.includes(it.status), it.status);
    assert.equal(typeof it.status_label, 'string');
    assert.deepEqual(Object.keys(it.procedure).sort(), ['code', 'icon', 'name']);
    assert.match(it.procedure.icon, /^[a-z0-9-]+$/);
    if (it.department !== null) assert.deepEqual(Object.keys(it.department).sort(), ['code', 'name']);
    if (it.location !== null) {
        assert.equal(typeof it.location.lat, 'number');
        assert.equal(typeof it.location.long, 'number');
    }
    assert.equal(typeof it.attributes, 'object');
    assert.ok(it.attributes !== null && !Array.isArray(it.attributes));
    assert.deepEqual(Object.keys(it.contact).sort(), ['email', 'first_name', 'last_name', 'phone']);
    assert.ok(['low', 'normal', 'high', 'urgent'].includes(it.priority), it.priority);
    assert.match(it.created_at, RFC3339);
    assert.match(it.updated_at, RFC3339);
    for (const k of ['closed_at', 'due_at']) if (it[k] !== null) assert.match(it[k], RFC3339);
}

/* A reference whose status is `status`, not yet used by another test. */
const used = new Set();
function pickReference(srv, where) {
    for (const ref of sqlRows(srv, `SELECT reference FROM requests WHERE ${where} ORDER BY id;`)) {
        if (!used.has(ref)) {
            used.add(ref);
            return ref;
        }
    }
    throw new Error(`no unused request where ${where}`);
}

test('JSON API on the demo commune', async (t) => {
    const srv = await startServer({});
    t.after(() => srv.stop());
    const total = sqlNumber(srv, 'SELECT count(*) FROM requests;');
    assert.ok(total > 100, `demo requests: ${total}`);
    const anyRef = sqlRows(srv, 'SELECT reference FROM requests ORDER BY id LIMIT 1;')[0];

    await t.test('401 without a key, 403 with another scope or a wrong key', async () => {
        const calls = [
            ['GET', '/api/v1/requests', undefined],
            ['GET', `/api/v1/requests/${anyRef}`, undefined],
            ['PATCH', `/api/v1/requests/${anyRef}`, { priority: 'high' }],
            ['POST', `/api/v1/requests/${anyRef}/events`, { body: 'x' }],
        ];
        for (const [method, p, json] of calls) {
            const none = await api(srv, method, p, { key: null, json });
            assertError(none, 401, 'unauthorized');
            assert.match(none.headers.get('www-authenticate') || '', /^Bearer/);
            assertError(await api(srv, method, p, { key: null, json, headers: { Authorization: `Basic ${srv.keys.api}` } }),
                        401, 'unauthorized');
            assertError(await api(srv, method, p, { key: srv.keys.open311, json }), 403, 'forbidden');
            assertError(await api(srv, method, p, { key: srv.keys.gateway, json }), 403, 'forbidden');
            assertError(await api(srv, method, p, { key: srv.keys.api + 'x', json }), 403, 'forbidden');
        }
        /* Nothing was written by the refused calls. */
        assert.equal(sqlNumber(srv, `SELECT count(*) FROM request_events e JOIN requests r ON r.id = e.request_id
                                     WHERE r.reference = ${q(anyRef)} AND e.channel = 'api';`), 0);
        /* The scheme name is case-insensitive. */
        const r = await api(srv, 'GET', '/api/v1/requests?limit=1', { headers: { Authorization: `bearer ${srv.keys.api}` } });
        assert.equal(r.status, 200, r.text);
    });

    await t.test('list: default page, item shape, times in the tenant zone', async () => {
        const r = await api(srv, 'GET', '/api/v1/requests');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get('content-type'), JSON_CTYPE);
        assert.equal(r.json.data.length, 50);
        assert.equal(typeof r.json.next_cursor, 'string');
        for (const it of r.json.data) {
            checkItemShape(it);
            assert.equal(it.timeline, undefined, 'no timeline in lists');
        }
        const first = r.json.data[0];
        const row = sqlRows(srv, `SELECT r.created_at, r.updated_at, r.status, r.channel, p.code, r.priority,
                                         coalesce(r.email, ''), coalesce(r.assignee, ''), r.lang
                                  FROM requests r JOIN procedures p ON p.id = r.procedure_id
                                  WHERE r.reference = ${q(first.reference)};`)[0].split('|');
        assert.equal(Date.parse(first.created_at) / 1000, Number(row[0]));
        assert.equal(Date.parse(first.updated_at) / 1000, Number(row[1]));
        assert.equal(first.status, row[2]);
        assert.equal(first.channel, row[3]);
        assert.equal(first.procedure.code, row[4]);
        assert.equal(first.priority, ['low', 'normal', 'high', 'urgent'][Number(row[5])]);
        assert.equal(first.contact.email || '', row[6]);
        assert.equal(first.assignee || '', row[7]);
        assert.equal(first.lang, row[8]);
        /* The demo tenant is in Europe/Paris: +01:00 or +02:00, never Z. */
        assert.match(first.created_at, /\+0[12]:00$/);
        /* Newest first, as the index orders them. */
        const newest = sqlRows(srv, 'SELECT reference FROM requests ORDER BY created_at DESC, id DESC LIMIT 50;');
        assert.deepEqual(r.json.data.map((i) => i.reference), newest);
        /* Labels follow the language. */
        const en = await api(srv, 'GET', '/api/v1/requests?status=in_progress&limit=1&lang=en');
        const fr = await api(srv, 'GET', '/api/v1/requests?status=in_progress&limit=1&lang=fr');
        assert.equal(en.json.data[0].status_label, 'in progress');
        assert.equal(fr.json.data[0].status_label, 'en cours');
    });

    await t.test('cursor paging over everything: no duplicates, no gaps', async () => {
        const all = await walk(srv, '', 200);
        assert.equal(all.length, total);
        const odd = await walk(srv, '', 37);
        assert.deepEqual(odd.map((i) => i.reference), all.map((i) => i.reference));
    });

    await t.test('filters, each walked page by page and compared with the database', async () => {
        await checkFilter(srv, 'status=new', "status = 'new'");
        await checkFilter(srv, 'status=resolved,rejected', "status IN ('resolved', 'rejected')");

        const [p1, p2] = sqlRows(srv, `SELECT p.code FROM requests r JOIN procedures p ON p.id = r.procedure_id
                                       GROUP BY p.code ORDER BY count(*) DESC LIMIT 2;`);
        await checkFilter(srv, `procedure=${p1}`,
                          `procedure_id = (SELECT id FROM procedures WHERE code = ${q(p1)})`);
        await checkFilter(srv, `procedure=${p1},${p2}`,
                          `procedure_id IN (SELECT id FROM procedures WHERE code IN (${q(p1)}, ${q(p2)}))`);

        const dep = sqlRows(srv, `SELECT d.code FROM requests r JOIN departments d ON d.id = r.department_id
                                  GROUP BY d.code ORDER BY count(*) DESC LIMIT 1;`)[0];
        const byDep = await checkFilter(srv, `department=${dep}`,
                                        `department_id = (SELECT id FROM departments WHERE code = ${q(dep)})`);
        for (const it of byDep) assert.equal(it.department.code, dep);

        const ch = sqlRows(srv, 'SELECT channel FROM requests GROUP BY channel ORDER BY count(*) DESC LIMIT 1;')[0];
        await checkFilter(srv, `channel=${ch}`, `channel = ${q(ch)}`);

        const prio = sqlRows(srv, 'SELECT priority FROM requests WHERE priority <> 1 GROUP BY priority ORDER BY count(*) DESC LIMIT 1;')[0];
        const prioName = ['low', 'normal', 'high', 'urgent'][Number(prio)];
        await checkFilter(srv, `priority=${prioName}`, `priority = ${prio}`);

        /* Give two requests an assignee through the API, then filter on it. */
        const refs = [pickReference(srv, 'assignee IS NULL'), pickReference(srv, 'assignee IS NULL')];
        for (const ref of refs) {
            const r = await api(srv, 'PATCH', `/api/v1/requests/${ref}`, { json: { assignee: 'agent-filtre' } });
            assert.equal(r.status, 200, r.text);
        }
        const byAssignee = await checkFilter(srv, 'assignee=agent-filtre', "assignee = 'agent-filtre'", 1);
        assert.deepEqual(byAssignee.map((i) => i.reference).sort(), refs.sort());

        const [lo, hi] = sqlRows(srv, `SELECT min(created_at) + (max(created_at) - min(created_at)) / 3,
                                              min(created_at) + 2 * (max(created_at) - min(created_at)) / 3
                                       FROM requests;`)[0].split('|').map(Number);
        await checkFilter(srv, `created_from=${isoUtc(lo)}`, `created_at >= ${lo}`);
        await checkFilter(srv, `created_to=${isoUtc(hi)}`, `created_at <= ${hi}`);
        /* An offset zone means the same instant. */
        const paris = new URLSearchParams({
            created_from: isoUtc(lo + 3600).replace('Z', '+01:00'),
            created_to: isoUtc(hi),
            status: 'new,in_progress,resolved',
        }).toString();
        await checkFilter(srv, paris, `created_at >= ${lo} AND created_at <= ${hi}
                                       AND status IN ('new', 'in_progress', 'resolved')`);

        const since = sqlNumber(srv, 'SELECT max(updated_at) - 86400 * 30 FROM requests;');
        await checkFilter(srv, `updated_since=${isoUtc(since)}`, `updated_at >= ${since}`);
    });

    await t.test('invalid query parameters name themselves', async () => {
        const cases = [
            ['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=abc', 'limit'], ['limit=-5', 'limit'],
            ['cursor=nope', 'cursor'], ['cursor=0001.5', 'cursor'], ['cursor=5.0', 'cursor'],
            ['cursor=ABC.1', 'cursor'], ['cursor=1.', 'cursor'], ['cursor=.1', 'cursor'],
            ['cursor=ffffffffffffffffff.1', 'cursor'],
            ['status=closed', 'status'], ['status=new,,resolved', 'status'], ['status=', 'status'],
            ['procedure=pas-une-demarche', 'procedure'], ['department=nulle-part', 'department'],
            ['channel=fax', 'channel'], ['priority=extreme', 'priority'],
            ['created_from=hier', 'created_from'], ['created_to=2026-13-01', 'created_to'],
            ['updated_since=1700000000', 'updated_since'],
            ['foo=1', 'foo'], ['status=new&status=resolved', 'status'],
        ];
        for (const [qs, arg] of cases) {
            assertError(await api(srv, 'GET', `/api/v1/requests?${qs}`), 400, 'invalid_argument', arg);
        }
        /* A cursor the API issued keeps working. */
        const p = await api(srv, 'GET', '/api/v1/requests?limit=3');
        assert.match(p.json.next_cursor, /^[0-9a-f]+\.[0-9a-f]+$/);
        const next = await api(srv, 'GET', `/api/v1/requests?limit=3&cursor=${p.json.next_cursor}`);
        assert.equal(next.status, 200, next.text);
    });

    await t.test('tenant by slug; unknown tenant 404', async () => {
        const r = await api(srv, 'GET', '/api/v1/requests?tenant=ville-demo&limit=1');
        assert.equal(r.status, 200, r.text);
        assertError(await api(srv, 'GET', '/api/v1/requests?tenant=ville-inconnue'), 404, 'not_found', 'tenant');
    });

    await t.test('one request with its whole timeline; unknown reference 404', async () => {
        /* A request with an internal event, so that the timeline shows both kinds. */
        const ref = pickReference(srv, "status = 'in_progress'");
        const add = await api(srv, 'POST', `/api/v1/requests/${ref}/events`,
                              { json: { body: 'Vérifié sur place par l’équipe voirie.', public: false } });
        assert.equal(add.status, 201, add.text);
        const r = await api(srv, 'GET', `/api/v1/requests/${ref}`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get('content-type'), JSON_CTYPE);
        checkItemShape(r.json);
        assert.equal(r.json.reference, ref);
        const events = r.json.timeline;
        assert.ok(Array.isArray(events));
        const n = sqlNumber(srv, `SELECT count(*) FROM request_events e JOIN requests r ON r.id = e.request_id
                                  WHERE r.reference = ${q(ref)};`);
        assert.equal(events.length, n);
        for (const e of events) {
            assert.deepEqual(Object.keys(e).sort(), [...EVENT_KEYS].sort());
            assert.equal(typeof e.public, 'boolean');
            assert.match(e.created_at, RFC3339);
        }
        assert.equal(events[0].kind, 'created');
        assert.ok(events.some((e) => e.public === false), 'internal events are shown to the API');
        for (let i = 1; i < events.length; i++) assert.ok(events[i].id > events[i - 1].id, 'oldest first');

        assertError(await api(srv, 'GET', '/api/v1/requests/1999-999999'), 404, 'not_found');
        assertError(await api(srv, 'GET', '/api/v1/requests/pas-une-reference'), 404, 'not_found');
        /* Messages follow the language. */
        const en = assertError(await api(srv, 'GET', '/api/v1/requests/1999-999999?lang=en'), 404, 'not_found');
        const fr = assertError(await api(srv, 'GET', '/api/v1/requests/1999-999999?lang=fr'), 404, 'not_found');
        assert.notEqual(en.message, fr.message);
    });

    await t.test('PATCH status with a note, assignee, priority, department: events appear', async () => {
        const ref = pickReference(srv, "status = 'new'");
        const before = await api(srv, 'GET', `/api/v1/requests/${ref}`);
        const nEvents = before.json.timeline.length;

        let r = await api(srv, 'PATCH', `/api/v1/requests/${ref}`,
                          { json: { status: 'acknowledged', note: 'Nous avons bien reçu votre signalement.' } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get('content-type'), JSON_CTYPE);
        checkItemShape(r.json);
        assert.equal(r.json.status, 'acknowledged');
        assert.equal(r.json.status_notes, 'Nous avons bien reçu votre signalement.');
        /* The status event, then the internal events of the status's actions (acknowledged
         * tells the citizen: notify_citizen, or notify_citizen_skipped without an e-mail). */
        const nAfterStatus = r.json.timeline.length;
        const actions = r.json.timeline.slice(nEvents + 1);
        assert.deepEqual(actions.map((e) => [e.kind, e.public, e.body.replace(/_skipped$/, '')]),
                         [['action', false, 'notify_citizen']]);
        const st = r.json.timeline[nEvents];
        assert.equal(st.kind, 'status');
        assert.equal(st.status_from, 'new');
        assert.equal(st.status_to, 'acknowledged');
        assert.equal(st.public, true);
        assert.equal(st.actor, 'api:test-api');
        assert.equal(st.channel, 'api');
        assert.equal(st.body, 'Nous avons bien reçu votre signalement.');
        assert.equal(sqlRows(srv, `SELECT status FROM requests WHERE reference = ${q(ref)};`)[0], 'acknowledged');

        const dep = sqlRows(srv, `SELECT code FROM departments WHERE id IS NOT
                                  (SELECT department_id FROM requests WHERE reference = ${q(ref)}) ORDER BY code LIMIT 1;`)[0];
        r = await api(srv, 'PATCH', `/api/v1/requests/${ref}`,
                      { json: { assignee: 'agent-42', priority: 'urgent', department: dep } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.assignee, 'agent-42');
        assert.equal(r.json.priority, 'urgent');
        assert.equal(r.json.department.code, dep);
        const kinds = r.json.timeline.slice(nAfterStatus).map((e) => e.kind).sort();
        assert.deepEqual(kinds, ['assign', 'department', 'priority']);
        for (const e of r.json.timeline.slice(nAfterStatus)) assert.equal(e.public, false, `${e.kind} is internal`);
        const row = sqlRows(srv, `SELECT assignee, priority, (SELECT code FROM departments WHERE id = department_id)
                                  FROM requests WHERE reference = ${q(ref)};`)[0];
        assert.equal(row, `agent-42|3|${dep}`);

        r = await api(srv, 'PATCH', `/api/v1/requests/${ref}`, { json: { assignee: null } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.assignee, null);
        assert.equal(sqlRows(srv, `SELECT count(*) FROM requests WHERE reference = ${q(ref)} AND assignee IS NULL;`)[0], '1');

        r = await api(srv, 'PATCH', `/api/v1/requests/${ref}`, { json: { status: 'resolved' } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.status, 'resolved');
        assert.match(r.json.closed_at, RFC3339);
        assert.ok(Date.parse(r.json.updated_at) >= Date.parse(before.json.updated_at));
    });

    await t.test('PATCH refusals: 409, 400 naming the field, 415, 404, nothing written', async () => {
        const ref = pickReference(srv, "status = 'resolved'");
        const count = () => sqlNumber(srv, `SELECT count(*) FROM request_events e JOIN requests r ON r.id = e.request_id
                                            WHERE r.reference = ${q(ref)};`);
        const n0 = count();
        const p = `/api/v1/requests/${ref}`;
        assertError(await api(srv, 'PATCH', p, { json: { status: 'new' } }), 409, 'conflict');
        assertError(await api(srv, 'PATCH', p, { json: { status: 'closed' } }), 400, 'invalid_argument', 'status');
        assertError(await api(srv, 'PATCH', p, { json: { priority: 'extreme' } }), 400, 'invalid_argument', 'priority');
        assertError(await api(srv, 'PATCH', p, { json: { department: 'nulle-part' } }), 400, 'invalid_argument', 'department');
        const unk = assertError(await api(srv, 'PATCH', p, { json: { colour: 'red', priority: 'high', size: 3 } }),
                                400, 'invalid_argument', 'colour');
        assert.match(unk.detail, /colour/);
        assert.match(unk.detail, /size/);
        for (const [field, value] of [['priority', 3], ['assignee', 12], ['status', null], ['status', ['resolved']],
                                      ['department', { code: 'voirie' }], ['note', true], ['assignee', '']]) {
            assertError(await api(srv, 'PATCH', p, { json: { [field]: value } }), 400, 'invalid_argument', field);
        }
        assertError(await api(srv, 'PATCH', p, { json: {} }), 400, 'bad_request');
        for (const body of ['{"status":', '[]', '"resolved"', '{"status":"rejected","status":"duplicate"}',
                            '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]']) {
            assertError(await api(srv, 'PATCH', p, { body, headers: { 'Content-Type': 'application/json' } }),
                        400, 'bad_request');
        }
        assertError(await api(srv, 'PATCH', p, { body: Buffer.from([0x7b, 0x22, 0x6e, 0x6f, 0x74, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
                                                 headers: { 'Content-Type': 'application/json' } }), 400, 'bad_request');
        assertError(await api(srv, 'PATCH', p, { body: '{"status":"rejected"}', headers: { 'Content-Type': 'text/plain' } }),
                    415, 'unsupported_media_type');
        assertError(await api(srv, 'PATCH', p, { form: { status: 'rejected' } }), 415, 'unsupported_media_type');
        assertError(await api(srv, 'PATCH', p, { body: '{"status":"rejected"}' }), 415, 'unsupported_media_type');
        assert.equal(count(), n0, 'no event written by a refused PATCH');
        assert.equal(sqlRows(srv, `SELECT status FROM requests WHERE reference = ${q(ref)};`)[0], 'resolved');
        /* Content-Type parameters are fine. */
        const ok = await api(srv, 'PATCH', p, { body: '{"status":"in_progress"}',
                                                headers: { 'Content-Type': 'Application/JSON; charset=utf-8' } });
        assert.equal(ok.status, 200, ok.text);
        assert.equal(ok.json.status, 'in_progress');
        assertError(await api(srv, 'PATCH', '/api/v1/requests/1999-999999', { json: { priority: 'high' } }), 404, 'not_found');
    });

    await t.test('a procedure\'s workflow: its statuses and transitions; unknown procedure 404', async () => {
        const r = await api(srv, 'GET', '/api/v1/procedures/nid-de-poule/workflow');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.procedure, 'nid-de-poule');
        assert.deepEqual(r.json.statuses.map((s) => s.code),
                         ['new', 'acknowledged', 'in_progress', 'resolved', 'rejected', 'duplicate']);
        /* What PATCH accepts from «resolved» (the refusals above: back to new). */
        assert.deepEqual(r.json.transitions.filter((x) => x.from === 'resolved').map((x) => x.to).sort(),
                         ['acknowledged', 'duplicate', 'in_progress', 'rejected']);
        assertError(await api(srv, 'GET', '/api/v1/procedures/nulle-part/workflow'), 404, 'not_found', 'code');
        assertError(await api(srv, 'GET', '/api/v1/procedures/nid-de-poule/workflow', { key: null }), 401, 'unauthorized');
        assertError(await api(srv, 'GET', '/api/v1/procedures/nid-de-poule/workflow', { key: srv.keys.open311 }), 403, 'forbidden');
    });

    await t.test('a caller: the requests of a number, whatever its form (tests/http/caller.test.js has the rest)', async () => {
        const [ref, phone] = sqlRows(srv, `SELECT reference, phone FROM requests WHERE phone IS NOT NULL
                                           ORDER BY created_at DESC, id DESC LIMIT 1;`)[0].split('|');
        const national = phone.startsWith('+33') ? `0${phone.slice(3)}` : phone;
        const r = await api(srv, 'GET', `/api/v1/callers?tel=${encodeURIComponent(national)}`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.phone, phone);
        assert.equal(r.json.count, sqlNumber(srv, `SELECT count(*) FROM requests WHERE phone = ${q(phone)};`));
        assert.equal(r.json.requests[0].reference, ref);
        assertError(await api(srv, 'GET', '/api/v1/callers?tel=12'), 400, 'invalid_argument', 'tel');
    });

    await t.test('notes: public and internal; Open311 shows the public one only', async () => {
        const ref = sqlRows(srv, `SELECT r.reference FROM requests r JOIN procedures p ON p.id = r.procedure_id
                                  WHERE p.open311 = 1 ORDER BY r.id DESC LIMIT 1;`)[0];
        used.add(ref);
        const p = `/api/v1/requests/${ref}/events`;
        const pub = 'Une équipe passera jeudi matin.';
        const internal = 'Note interne : prévoir la nacelle.';
        let r = await api(srv, 'POST', p, { json: { body: pub, public: true } });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.headers.get('content-type'), JSON_CTYPE);
        checkItemShape(r.json);
        let last = r.json.timeline[r.json.timeline.length - 1];
        assert.deepEqual([last.kind, last.public, last.body, last.actor, last.channel],
                         ['note', true, pub, 'api:test-api', 'api']);
        r = await api(srv, 'POST', p, { json: { body: internal } });
        assert.equal(r.status, 201, r.text);
        last = r.json.timeline[r.json.timeline.length - 1];
        assert.deepEqual([last.kind, last.public, last.body], ['note', false, internal]);
        assert.equal(sqlNumber(srv, `SELECT count(*) FROM request_events e JOIN requests r ON r.id = e.request_id
                                     WHERE r.reference = ${q(ref)} AND e.kind = 'note' AND e.is_public = 0
                                     AND e.body = ${q(internal)};`), 1);

        const o = await request(srv, 'GET', `/open311/v2/requests/${ref}.json?extensions=true`);
        assert.equal(o.status, 200, o.text);
        /* Open311 extensions list the public timeline as "notes": [{datetime, description, type}]. */
        const notes = o.json[0].notes;
        assert.ok(Array.isArray(notes), `no notes in Open311: ${o.text}`);
        assert.ok(notes.some((n) => n.description === pub && n.type === 'note'), `public note missing: ${o.text}`);
        assert.ok(!o.text.includes('nacelle'), 'an internal note leaked to Open311');

        /* Refusals. */
        assertError(await api(srv, 'POST', p, { json: {} }), 400, 'missing_argument', 'body');
        assertError(await api(srv, 'POST', p, { json: { public: true } }), 400, 'missing_argument', 'body');
        assertError(await api(srv, 'POST', p, { json: { body: '' } }), 400, 'invalid_argument', 'body');
        assertError(await api(srv, 'POST', p, { json: { body: '   ' } }), 400, 'invalid_argument', 'body');
        assertError(await api(srv, 'POST', p, { json: { body: 'a\u0001b' } }), 400, 'invalid_argument', 'body');
        assertError(await api(srv, 'POST', p, { json: { body: 'é'.repeat(10001) } }), 400, 'invalid_argument', 'body');
        assertError(await api(srv, 'POST', p, { json: { body: 42 } }), 400, 'invalid_argument', 'body');
        assertError(await api(srv, 'POST', p, { json: { body: 'x', public: 'yes' } }), 400, 'invalid_argument', 'public');
        assertError(await api(srv, 'POST', p, { json: { body: 'x', kind: 'note' } }), 400, 'invalid_argument', 'kind');
        assertError(await api(srv, 'POST', p, { body: 'body=x' }), 415, 'unsupported_media_type');
        assertError(await api(srv, 'POST', p, { body: '{"body": "x"', headers: { 'Content-Type': 'application/json' } }),
                    400, 'bad_request');
        assertError(await api(srv, 'POST', '/api/v1/requests/1999-999999/events', { json: { body: 'x' } }), 404, 'not_found');
        /* 10,000 characters exactly are accepted. */
        r = await api(srv, 'POST', p, { json: { body: 'é'.repeat(10000) } });
        assert.equal(r.status, 201, r.text);
    });

    await t.test('unknown routes 404 and wrong methods 405 with Allow, in the JSON format', async () => {
        for (const path of ['/api/v1', '/api/v1/nothing', '/api/v1/requests/x/y', '/api/v1/a/b/c/d']) {
            assertError(await api(srv, 'GET', path), 404, 'not_found');
        }
        let r = await api(srv, 'POST', '/api/v1/requests', { json: { body: 'x' } });
        assertError(r, 405, 'method_not_allowed');
        assert.match(r.headers.get('allow'), /GET/);
        r = await api(srv, 'DELETE', `/api/v1/requests/${anyRef}`);
        assertError(r, 405, 'method_not_allowed');
        assert.match(r.headers.get('allow'), /PATCH/);
        r = await api(srv, 'GET', `/api/v1/requests/${anyRef}/events`);
        assertError(r, 405, 'method_not_allowed');
        assert.equal(r.headers.get('allow'), 'POST');
    });
});

test('JSON API limits: 413 over GUICHET_MAX_BODY, 429 per key for writes', async (t) => {
    const srv = await startServer({
        requests: 20,
        env: { GUICHET_MAX_BODY: '1000', GUICHET_RATE_KEY: '1', GUICHET_BURST_KEY: '3' },
    });
    t.after(() => srv.stop());
    const ref = sqlRows(srv, 'SELECT reference FROM requests ORDER BY id LIMIT 1;')[0];

    await t.test('a body over the limit gets 413', async () => {
        const r = await api(srv, 'POST', `/api/v1/requests/${ref}/events`, { json: { body: 'x'.repeat(2000) } });
        assertError(r, 413, 'payload_too_large');
        assert.equal(sqlNumber(srv, "SELECT count(*) FROM request_events WHERE kind = 'note' AND channel = 'api';"), 0);
    });

    await t.test('writes over the key rate get 429 with Retry-After; reads do not', async () => {
        const statuses = [];
        let limited = null;
        for (let i = 0; i < 12; i++) {
            const r = await api(srv, 'POST', `/api/v1/requests/${ref}/events`, { json: { body: `note ${i}` } });
            statuses.push(r.status);
            if (r.status === 429 && !limited) limited = r;
        }
        assert.ok(limited, `no 429 in ${statuses.join(',')}`);
        assert.ok(statuses.every((s) => s === 201 || s === 429), statuses.join(','));
        assertError(limited, 429, 'rate_limited');
        assert.match(limited.headers.get('retry-after') || '', /^\d+$/);
        const written = sqlNumber(srv, "SELECT count(*) FROM request_events WHERE kind = 'note' AND channel = 'api';");
        assert.equal(written, statuses.filter((s) => s === 201).length);
        for (let i = 0; i < 10; i++) {
            const r = await api(srv, 'GET', `/api/v1/requests/${ref}`);
            assert.equal(r.status, 200, r.text);
        }
    });
});

/* Nearest rank: the ceil(p·n)-th smallest, as core/stats.h defines the median and the p90. */
function rank(values, p) {
    if (!values.length) return null;
    const v = [...values].sort((a, b) => a - b);
    return v[Math.ceil(p * v.length) - 1];
}

test('GET /api/v1/stats: figures recounted from the database, groups, filters, errors', async (t) => {
    const srv = await startServer({});
    t.after(() => srv.stop());
    const tz = sqlRows(srv, "SELECT timezone FROM tenants WHERE slug = 'ville-demo';")[0];
    /* Each request not merged: created, channel, procedure, status, first answer, closed. */
    const rows = sqlRows(srv, `SELECT r.created_at, r.channel, p.code, r.status,
        coalesce((SELECT min(e.created_at) FROM request_events e WHERE e.request_id = r.id AND e.is_public = 1
                  AND e.copied_from IS NULL AND e.kind <> 'created'
                  AND (e.actor LIKE 'agent:%' OR e.actor LIKE 'api:%')), ''), coalesce(r.closed_at, '')
        FROM requests r JOIN procedures p ON p.id = r.procedure_id WHERE r.merged_into IS NULL;`)
        .map((l) => {
            const [c, channel, procedure, status, fa, closed] = l.split('|');
            return { c: Number(c), channel, procedure, status, fa: fa ? Number(fa) : null, closed: closed ? Number(closed) : null };
        });
    assert.ok(rows.length > 100);
    const figures = (set) => ({
        count: set.length,
        answered: set.filter((r) => r.fa !== null).length,
        closed: set.filter((r) => r.closed !== null).length,
        median_first_answer_s: rank(set.filter((r) => r.fa !== null).map((r) => r.fa - r.c), 0.5),
        p90_first_answer_s: rank(set.filter((r) => r.fa !== null).map((r) => r.fa - r.c), 0.9),
        median_close_s: rank(set.filter((r) => r.closed !== null).map((r) => r.closed - r.c), 0.5),
        p90_close_s: rank(set.filter((r) => r.closed !== null).map((r) => r.closed - r.c), 0.9),
    });
    const same = (got, want, what) => {
        for (const k of Object.keys(want)) assert.equal(got[k], want[k], `${what}: ${k}`);
    };

    await t.test('a key of scope api only', async () => {
        assertError(await api(srv, 'GET', '/api/v1/stats', { key: null }), 401, 'unauthorized');
        assertError(await api(srv, 'GET', '/api/v1/stats', { key: srv.keys.open311 }), 403, 'forbidden');
    });

    await t.test('the total, and groups by channel and procedure', async () => {
        const r = await api(srv, 'GET', '/api/v1/stats');
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json.groups, []);
        same(r.json.total, figures(rows), 'total');
        for (const [by, field] of [['channel', 'channel'], ['procedure', 'procedure'], ['status', 'status']]) {
            const g = await api(srv, 'GET', `/api/v1/stats?group_by=${by}`);
            assert.equal(g.status, 200, g.text);
            const keys = [...new Set(rows.map((x) => x[field]))].sort();
            assert.deepEqual(g.json.groups.map((x) => x.key), keys);
            for (const grp of g.json.groups) same(grp, figures(rows.filter((x) => x[field] === grp.key)), `${by} ${grp.key}`);
        }
    });

    await t.test('months and days in the collectivité zone, within a period', async () => {
        const from = rows.reduce((m, r) => Math.min(m, r.c), Infinity) + 40 * 86400;
        const to = from + 120 * 86400;
        const inside = rows.filter((r) => r.c >= from && r.c <= to);
        const local = (secs) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
            .format(new Date(secs * 1000));
        const range = `created_from=${encodeURIComponent(isoUtc(from))}&created_to=${encodeURIComponent(isoUtc(to))}`;
        for (const [by, cut] of [['month', 7], ['day', 10]]) {
            const g = await api(srv, 'GET', `/api/v1/stats?group_by=${by}&${range}`);
            assert.equal(g.status, 200, g.text);
            const want = new Map();
            for (const r of inside) {
                const k = local(r.c).slice(0, cut);
                want.set(k, (want.get(k) || 0) + 1);
            }
            assert.deepEqual(g.json.groups.map((x) => [x.key, x.count]), [...want].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
            same(g.json.total, figures(inside), `${by} total`);
        }
        const w = await api(srv, 'GET', `/api/v1/stats?group_by=week&${range}`);
        assert.equal(w.status, 200, w.text);
        assert.ok(w.json.groups.length >= 17);
        for (const grp of w.json.groups) assert.match(grp.key, /^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/);
        assert.equal(w.json.groups.reduce((n, x) => n + x.count, 0), inside.length);
    });

    await t.test('the filters of the list', async () => {
        const r = await api(srv, 'GET', '/api/v1/stats?procedure=nid-de-poule&status=resolved,rejected&channel=web');
        assert.equal(r.status, 200, r.text);
        same(r.json.total, figures(rows.filter((x) => x.procedure === 'nid-de-poule' && x.channel === 'web'
                                                    && ['resolved', 'rejected'].includes(x.status))), 'filtered');
        const urgent = sqlNumber(srv, 'SELECT count(*) FROM requests WHERE priority = 3 AND merged_into IS NULL;');
        const u = await api(srv, 'GET', '/api/v1/stats?priority=urgent&group_by=department');
        assert.equal(u.status, 200, u.text);
        assert.equal(u.json.total.count, urgent);
        assert.equal(u.json.groups.reduce((n, x) => n + x.count, 0), urgent);
    });

    await t.test('by quartier, and deadlines, ratings and «moi aussi», against a recount', async () => {
        /* The demo's quartiers are a square first and two halves of the commune: for those, the
         * first area of the file whose box holds the point is the one whose polygon does. */
        const recount = `SELECT coalesce((SELECT a.code FROM areas a WHERE a.tenant_id = r.tenant_id AND a.kind = 'quartier'
            AND r.lat >= a.min_lat AND r.lat < a.max_lat AND r.lon >= a.min_lon AND r.lon < a.max_lon
            ORDER BY a.position LIMIT 1), '-') AS area, count(*) FROM requests r WHERE r.merged_into IS NULL GROUP BY area`;
        const want = Object.fromEntries(sqlRows(srv, recount + ';').map((l) => l.split('|')).map(([k, n]) => [k, Number(n)]));
        assert.ok(Object.keys(want).length >= 3, JSON.stringify(want));
        const g = await api(srv, 'GET', '/api/v1/stats?group_by=area');
        assert.equal(g.status, 200, g.text);
        assert.deepEqual(Object.fromEntries(g.json.groups.map((x) => [x.key === null ? '-' : x.key, x.count])), want);
        assert.equal(g.json.groups[0].key, want['-'] ? null : g.json.groups[0].key, 'in none first');
        const nord = await api(srv, 'GET', '/api/v1/stats?area=nord&group_by=channel');
        assert.equal(nord.status, 200, nord.text);
        assert.equal(nord.json.total.count, want.nord);
        const none = await api(srv, 'GET', '/api/v1/stats?area=none');
        assert.equal(none.json.total.count, want['-'] || 0);
        assertError(await api(srv, 'GET', '/api/v1/stats?area=atlantide'), 400, 'invalid_argument', 'area');

        const now = Math.floor(Date.now() / 1000);
        const live = 'FROM requests WHERE merged_into IS NULL';
        const t0 = (await api(srv, 'GET', '/api/v1/stats')).json.total;
        assert.equal(t0.closed_on_time, sqlNumber(srv, `SELECT count(*) ${live} AND closed_at <= due_at;`));
        assert.equal(t0.closed_late, sqlNumber(srv, `SELECT count(*) ${live} AND closed_at > due_at;`));
        /* overdue is counted at the call: a request falling due meanwhile is one second away */
        const overdue = sqlNumber(srv, `SELECT count(*) ${live} AND closed_at IS NULL AND due_at < ${now};`);
        assert.ok(Math.abs(t0.overdue - overdue) <= sqlNumber(srv, `SELECT count(*) ${live} AND closed_at IS NULL AND due_at BETWEEN ${now - 5} AND ${now + 5};`));
        assert.equal(t0.ratings, sqlNumber(srv, `SELECT count(*) ${live} AND rating > 0;`));
        const sum = sqlNumber(srv, `SELECT total(rating) ${live};`);
        if (t0.ratings) assert.ok(Math.abs(t0.mean_rating - sum / t0.ratings) < 1e-7, 'the mean, to 7 decimals');
        else assert.equal(t0.mean_rating, null);
        assert.equal(t0.supporters, sqlNumber(srv, `SELECT total(supporters) ${live};`));
        assert.ok(t0.closed_on_time + t0.closed_late > 0, 'the demo has requests closed against a due date');
        /* the groups add up to the total */
        for (const k of ['closed_on_time', 'closed_late', 'overdue', 'ratings', 'supporters'])
            assert.equal(g.json.groups.reduce((n, x) => n + x[k], 0), t0[k], k);
    });

    await t.test('400 naming the parameter', async () => {
        assertError(await api(srv, 'GET', '/api/v1/stats?group_by=year'), 400, 'invalid_argument', 'group_by');
        /* figures per agent are their managers' only (the dashboards), never an API key's */
        assertError(await api(srv, 'GET', '/api/v1/stats?group_by=agent'), 400, 'invalid_argument', 'group_by');
        assertError(await api(srv, 'GET', '/api/v1/stats?created_from=hier'), 400, 'invalid_argument', 'created_from');
        assertError(await api(srv, 'GET', '/api/v1/stats?procedure=inconnue'), 400, 'invalid_argument', 'procedure');
        assertError(await api(srv, 'GET', '/api/v1/stats?limit=5'), 400, 'invalid_argument', 'limit');
        assertError(await api(srv, 'GET', '/api/v1/stats?group_by=day&group_by=week'), 400, 'invalid_argument', 'group_by');
        // The statistics' own parameters are not the list's.
        assertError(await api(srv, 'GET', '/api/v1/requests?group_by=day'), 400, 'invalid_argument', 'group_by');
        assertError(await api(srv, 'GET', '/api/v1/requests?area=nord'), 400, 'invalid_argument', 'area');
    });

    await t.test('the portal shows the delay measured over 90 days', async () => {
        const now = Math.floor(Date.now() / 1000);
        const closed = rows.filter((x) => x.procedure === 'nid-de-poule' && x.closed !== null && x.closed >= now - 90 * 86400)
            .map((x) => x.closed - x.c);
        assert.ok(closed.length >= 10, `closed lately: ${closed.length}`);
        const words = (s) => (s >= 2 * 86400 ? `${Math.ceil(s / 86400)} jours` : `${Math.max(1, Math.ceil(s / 3600))} heure`);
        const page = await request(srv, 'GET', '/demarches/nid-de-poule');
        assert.equal(page.status, 200);
        const line = page.text.match(/id="delai-constate">([^<]*)</);
        assert.ok(line, 'the delay is shown');
        assert.ok(line[1].includes(`la moitié des demandes ont été traitées en moins de ${words(rank(closed, 0.5))}`), line[1]);
        assert.ok(line[1].includes(`9 demandes sur 10 en moins de ${words(rank(closed, 0.9))}`), line[1]);
    });
});

test('every operation of docs/openapi.yaml was called here, its answers validated against it', () => {
    /* harness.request() validated each answer above; this proves none was left out. */
    const called = new Set([...apiCovered].map((k) => k.split(' ')[0]));
    for (const op of openapi().operations) {
        assert.ok(called.has(op.operationId), `${op.operationId} (${op.method} ${op.template}) is never called`);
        const ok = Object.keys(op.responses).find((s) => /^2/.test(s));
        assert.ok(apiCovered.has(`${op.operationId} ${ok}`), `${op.operationId} never answered ${ok}`);
    }
});
