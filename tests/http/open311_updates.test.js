'use strict';
/*
 * Open311 service request updates (mySociety's GeoReport v2 extension, as FixMyStreet uses it)
 * against a real `guichet serve` on the demo commune: the feed of public updates (GET), the
 * comments a client posts on a citizen's behalf (POST) and what they do to the request, the
 * same client update id sent twice, every argument's error, and what never leaves the server
 * (internal notes, the author's name and contact). harness.request() validates every JSON
 * answer against docs/schemas/open311/ (service_request_updates.json,
 * post_service_request_update.json, errors.json); the feed and a POST answer are validated
 * here explicitly as well.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const {execFileSync} = require('node:child_process');
const path = require('node:path');
const {startServer, request, validate} = require('./harness');
const {Browser, parseForms} = require('./portal_client');

const UPDATES = '/open311/v2/servicerequestupdates';
const ZONED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/;
const EXTENDED = {
    new : 'OPEN',
    acknowledged : 'INVESTIGATING',
    in_progress : 'IN_PROGRESS',
    resolved : 'FIXED',
    rejected : 'NO_FURTHER_ACTION',
    duplicate : 'DUPLICATE'
};
const PASSWORD = 'un-mot-de-passe-solide';

const rows = (srv, q) => {
    const out = srv.sql(q).trim();
    return out ? JSON.parse(out) : [];
};
const one = (srv, q) => srv.sql(q).trim();

function jsonOk(r)
{
    assert.equal(r.status, 200, `status ${r.status}: ${r.text.slice(0, 400)}`);
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    return r.json;
}

function jsonError(r, status, mention)
{
    assert.equal(r.status, status, `status ${r.status}: ${r.text.slice(0, 400)}`);
    assert.ok(Array.isArray(r.json) && r.json.length === 1, r.text);
    assert.equal(r.json[0].code, status);
    assert.ok(r.json[0].description.includes(mention),
              `"${r.json[0].description}" should name ${mention}`);
}

/* The <request_update> elements of an XML answer, each as {field: text}. */
function xmlUpdates(text)
{
    assert.match(text, /^<\?xml version="1\.0" encoding="utf-8"\?>\s*<service_request_updates>/);
    return [...text.matchAll(/<request_update>(.*?)<\/request_update>/gs) ].map((m) => {
        const o = {};
        for (const f of m[1].matchAll(/<(\w+)(?:\/>|>(.*?)<\/\1>)/gs))
            o[f[1]] = f[2] === undefined ? '' : f[2];
        return o;
    });
}

test('Open311 service request updates', async (t) => {
    const srv = await startServer({requests : 300});
    t.after(() => srv.stop());
    const key = srv.keys.open311;
    const get = (q = '') => request(srv, 'GET', `${UPDATES}.json${q}`);
    const post = (fields, fmt = 'json') =>
        request(srv, 'POST', `${UPDATES}.${fmt}`,
                {form : new URLSearchParams(Object.assign({api_key : key}, fields)).toString()});
    /* A request of an Open311 procedure that shows everything, in `status`. */
    /* (kind 0: incident) */
    const pick = (status) => one(
        srv,
        'SELECT r.reference FROM requests r JOIN procedures p ' +
            'ON p.id = r.procedure_id WHERE p.open311 = 1 AND p.open311_detail = 2 AND p.active = 1 ' +
            `AND p.kind = 0 AND r.status = '${status}' ORDER BY r.id DESC LIMIT 1;`);
    const statusOf = (ref) => one(srv, `SELECT status FROM requests WHERE reference = '${ref}';`);
    const nowIso = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

    await t.test(
        'the feed: public status changes and replies of the last 90 days, oldest first',
        async () => {
            const feed = jsonOk(await get());
            validate('service_request_updates', feed);
            assert.ok(feed.length > 20, `the demo's last 90 days hold updates (${feed.length})`);
            const since = Math.floor(Date.now() / 1000) - 90 * 86400 - 60;
            let last = '';
            for (const u of feed) {
                assert.deepEqual(Object.keys(u).sort(), [
                    'description', 'external_status_code', 'media_url', 'service_request_id',
                    'status', 'update_id', 'updated_datetime'
                ]);
                assert.match(u.update_id, /^\d+$/);
                assert.match(u.updated_datetime, ZONED);
                assert.equal(u.status, EXTENDED[u.external_status_code], JSON.stringify(u));
                const ms = Date.parse(u.updated_datetime);
                assert.ok(ms / 1000 >= since, 'inside the default window');
                assert.ok(u.updated_datetime >= last || ms >= Date.parse(last), 'oldest first');
                last = u.updated_datetime;
            }
            /* Exactly the public events of the kinds listed, on requests Open311 shows. */
            const ids = feed.map((u) => Number(u.update_id));
            const ev = rows(
                srv,
                "SELECT json_group_array(json_object('id', e.id, 'kind', e.kind, 'public', " +
                    "e.is_public, 'ref', r.reference, 'status_to', e.status_to, 'detail', p.open311_detail)) " +
                    'FROM request_events e JOIN requests r ON r.id = e.request_id JOIN procedures p ON ' +
                    `p.id = r.procedure_id WHERE e.id IN (${ids.join(',')});`);
            assert.equal(ev.length, ids.length);
            for (const e of ev) {
                assert.equal(e.public, 1, `event ${e.id} is public`);
                assert.ok([ 'status', 'reopened', 'note', 'comment' ].includes(e.kind), e.kind);
                assert.ok(e.detail > 0, 'a procedure Open311 shows');
                if (e.detail === 1)
                    assert.ok(e.status_to, 'status-only procedures show status changes only');
                assert.equal(feed.find((u) => Number(u.update_id) === e.id).service_request_id,
                             e.ref);
            }
            const internal = one(
                srv,
                'SELECT count(*) FROM request_events e JOIN requests r ON r.id = ' +
                    'e.request_id JOIN procedures p ON p.id = r.procedure_id WHERE e.is_public = 0 AND ' +
                    `p.open311 = 1 AND e.created_at >= ${since};`);
            assert.ok(Number(internal) > 0, 'the window holds internal notes, none of them listed');
            /* The status an update carries is the request's just after it. */
            const lastOfEach = new Map();
            for (const u of feed)
                lastOfEach.set(u.service_request_id, u);
            for (const [ref, u] of [...lastOfEach].slice(0, 30)) {
                const changedSince =
                    one(srv, 'SELECT count(*) FROM request_events e JOIN requests r ON ' +
                                 `r.id = e.request_id WHERE r.reference = '${ref}' AND e.id > ${
                                     u.update_id} AND e.status_to IS NOT NULL;`);
                if (changedSince === '0')
                    assert.equal(u.external_status_code, statusOf(ref), ref);
            }
            const x = await request(srv, 'GET', `${UPDATES}.xml`);
            assert.equal(x.status, 200);
            assert.equal(x.headers.get('content-type'), 'text/xml; charset=utf-8');
            const xu = xmlUpdates(x.text);
            assert.deepEqual(xu.map((u) => u.update_id), feed.map((u) => u.update_id));
            assert.deepEqual(xu.map((u) => u.status), feed.map((u) => u.status));
        });

    await t.test('the feed: dates, local times, paging, an optional api_key', async () => {
        const all = jsonOk(await get('?page_size=1000'));
        const four = jsonOk(await get('?page_size=4'));
        const p1 = jsonOk(await get('?page_size=2&page=1'));
        const p2 = jsonOk(await get('?page_size=2&page=2'));
        assert.deepEqual([...p1, ...p2 ].map((u) => u.update_id), four.map((u) => u.update_id));
        assert.deepEqual(four.map((u) => u.update_id), all.slice(0, 4).map((u) => u.update_id));
        /* A date without offset is the collectivité's local time: the same instant. */
        const mid = all[Math.floor(all.length / 2)];
        const local = mid.updated_datetime.slice(0, 19);
        const fromLocal = jsonOk(await get(`?start_date=${local}`));
        const fromZoned =
            jsonOk(await get(`?start_date=${encodeURIComponent(mid.updated_datetime)}`));
        assert.deepEqual(fromLocal.map((u) => u.update_id), fromZoned.map((u) => u.update_id));
        assert.ok(fromZoned.some((u) => u.update_id === mid.update_id));
        assert.ok(fromZoned.every((u) => Date.parse(u.updated_datetime) >=
                                         Date.parse(mid.updated_datetime)));
        const until = jsonOk(
            await get(`?end_date=${encodeURIComponent(mid.updated_datetime)}&page_size=1000`));
        assert.ok(
            until.every((u) => Date.parse(u.updated_datetime) <= Date.parse(mid.updated_datetime)));
        /* Back-fills longer than 90 days are paged, not refused. */
        const decade = jsonOk(await get(
            '?start_date=2016-01-01T00:00:00Z&end_date=2030-01-01T00:00:00Z&page_size=1000'));
        assert.ok(decade.length >= all.length);
        jsonOk(await get(`?api_key=${encodeURIComponent(key)}`));
        jsonError(await get('?api_key=nope'), 403, 'api_key');
        jsonError(await get('?start_date=hier'), 400, 'start_date');
        jsonError(await get('?start_date=2026-12-01T00:00:00Z&end_date=2026-11-01T00:00:00Z'), 400,
                  'end_date');
        jsonError(await get('?page_size=1001'), 400, 'page_size');
        jsonError(await get('?page=0'), 400, 'page');
        jsonError(await get('?jurisdiction_id=ailleurs'), 404, 'jurisdiction_id');
    });

    await t.test(
        'POST: a comment on the timeline, once per client update id, listed under its id',
        async () => {
            const ref = pick('in_progress');
            assert.ok(ref, 'the demo has an incident in progress');
            const before = one(
                srv,
                `SELECT count(*) FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = '${
                    ref}';`);
            const stamp = Date.now();
            const fields = {
                service_request_id : ref,
                update_id : `fms-${stamp}`,
                updated_datetime : nowIso(),
                status : 'IN_PROGRESS',
                description : `Toujours là, merci ! ${stamp}`,
                first_name : '-',
                last_name : `Martin${stamp}`,
                email : `m${stamp}@exemple.fr`,
                phone : '0601020304',
                media_url : `https://fms.example/photo/${stamp}.jpeg`
            };
            const first = jsonOk(await post(fields));
            validate('post_service_request_update', first);
            assert.equal(first.length, 1);
            assert.deepEqual(Object.keys(first[0]), [ 'update_id' ]);
            const id = first[0].update_id;
            assert.match(id, /^\d+$/);
            /* Sent again (a client's retry), in either format: the same id, nothing written. */
            assert.deepEqual(jsonOk(await post(fields)), first);
            const again = await post(fields, 'xml');
            assert.equal(again.status, 200);
            assert.deepEqual(xmlUpdates(again.text), [ {update_id : id} ]);
            const after = one(
                srv,
                `SELECT count(*) FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = '${
                    ref}';`);
            assert.equal(Number(after), Number(before) + 1, 'one timeline entry');
            const stored = rows(
                srv,
                "SELECT json_group_array(json_object('kind', e.kind, 'public', e.is_public, " +
                    "'body', e.body, 'first', u.first_name, 'last', u.last_name, 'email', u.email, 'status', u.client_status)) " +
                    `FROM request_events e JOIN open311_updates u ON u.event_id = e.id WHERE e.id = ${
                        id};`)[0];
            assert.deepEqual(stored, {
                kind : 'comment',
                public : 1,
                body : fields.description,
                first : null,
                last : fields.last_name,
                email : fields.email,
                status : 'IN_PROGRESS'
            });
            assert.equal(statusOf(ref), 'in_progress', 'a comment leaves the status as it was');
            /* The feed lists it under that id, without the author's name or contact. */
            const feed = jsonOk(await get(
                `?start_date=${encodeURIComponent(new Date(stamp - 60000).toISOString())}`));
            const mine = feed.find((u) => u.update_id === id);
            assert.ok(mine, 'listed under the id the POST returned');
            assert.deepEqual(mine, {
                update_id : id,
                service_request_id : ref,
                status : 'IN_PROGRESS',
                updated_datetime : mine.updated_datetime,
                description : fields.description,
                media_url : fields.media_url,
                external_status_code : 'in_progress'
            });
            const text = JSON.stringify(feed);
            for (const secret of [fields.last_name, fields.email, fields.phone])
                assert.ok(!text.includes(secret), secret);
            /* The same update id from the same key on another request is a conflict. */
            jsonError(
                await post(Object.assign({}, fields, {service_request_id : pick('acknowledged')})),
                409, 'update_id');
        });

    await t.test('the feed writes media_url as a URI (an IRI is percent-encoded)', async () => {
        const stamp = Date.now();
        const res = jsonOk(await post({
            service_request_id : pick('in_progress'),
            update_id : `iri-${stamp}`,
            updated_datetime : nowIso(),
            status : 'IN_PROGRESS',
            description : `Photo de la façade ${stamp}`,
            media_url : `https://fms.example/photo/façade|${stamp}.jpeg`
        }));
        const feed = jsonOk(await get(
            `?start_date=${encodeURIComponent(new Date(stamp - 60000).toISOString())}`));
        const mine = feed.find((u) => u.update_id === res[0].update_id);
        assert.ok(mine, 'listed');
        assert.equal(mine.media_url, `https://fms.example/photo/fa%C3%A7ade%7C${stamp}.jpeg`);
        /* The comment is a timeline event of its own kind: Open311's notes and the JSON API's
         * timeline show it, each answer validated against its schema by request(). */
        const ref = mine.service_request_id;
        const one311 = jsonOk(await request(srv, 'GET', `/open311/v2/requests/${ref}.json?extensions=true`));
        assert.equal(one311[0].notes.at(-1).type, 'comment');
        const api = await request(srv, 'GET', `/api/v1/requests/${ref}`,
                                  {headers : {Authorization : `Bearer ${srv.keys.api}`}});
        assert.equal(api.status, 200, api.text);
        assert.equal(api.json.timeline.at(-1).kind, 'comment');
    });

    await t.test('POST: REOPEN, or OPEN after the closing, reopens a resolved incident', async () => {
        const resolved = rows(
            srv,
            "SELECT json_group_array(json_object('ref', r.reference, 'closed', r.closed_at)) " +
                'FROM requests r JOIN procedures p ON p.id = r.procedure_id WHERE p.open311 = 1 AND ' +
                "p.open311_detail = 2 AND p.kind = 0 AND r.status = 'resolved' AND r.closed_at IS NOT NULL;");
        assert.ok(resolved.length >= 4, 'the demo has resolved incidents');
        const [a, b, c, d] = resolved;
        const at = (s) => new Date(s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
        const send = (r, status, when, n) => post({
            service_request_id : r.ref,
            update_id : `reopen-${n}-${Date.now()}`,
            updated_datetime : when,
            status,
            description : `Le trou est revenu (${status})`
        });
        const ra = jsonOk(await send(a, 'REOPEN', nowIso(), 1));
        assert.equal(statusOf(a.ref), 'in_progress');
        assert.equal(
            one(srv,
                `SELECT kind || ' ' || status_from || ' ' || status_to FROM request_events WHERE id = ${
                    ra[0].update_id};`),
            'reopened resolved in_progress');
        jsonOk(await send(b, 'open', at(b.closed + 3600), 2)); /* case-insensitive */
        assert.equal(statusOf(b.ref), 'in_progress', 'OPEN after the closing reopens');
        jsonOk(await send(c, 'OPEN', at(c.closed - 3600), 3));
        assert.equal(statusOf(c.ref), 'resolved', 'OPEN from before the closing is only a comment');
        jsonOk(await send(d, 'FIXED', nowIso(), 4));
        assert.equal(statusOf(d.ref), 'resolved');
        const feed = jsonOk(await get(
            `?start_date=${encodeURIComponent(new Date(Date.now() - 120000).toISOString())}`));
        const u = feed.find((x) => x.update_id === ra[0].update_id);
        assert.equal(u.status, 'IN_PROGRESS');
        assert.equal(u.external_status_code, 'in_progress');
        /* Only a resolved request: a rejected one stays rejected. */
        const rejected = pick('rejected');
        jsonOk(await send({ref : rejected}, 'REOPEN', nowIso(), 5));
        assert.equal(statusOf(rejected), 'rejected');
    });

    await t.test('POST: every argument checked, with a precise error', async () => {
        const ref = pick('acknowledged');
        const good = {
            service_request_id : ref,
            update_id : `err-${Date.now()}`,
            updated_datetime : nowIso(),
            status : 'OPEN',
            description : 'Un commentaire.'
        };
        const without = (name) => {
            const f = Object.assign({}, good);
            delete f[name];
            return f;
        };
        for (const name of ['service_request_id', 'update_id', 'updated_datetime', 'status',
                            'description']) {
            jsonError(await post(without(name)), 400, name);
        }
        jsonError(await request(srv, 'POST', `${UPDATES}.json`,
                                {form : new URLSearchParams(good).toString()}),
                  403, 'api_key');
        jsonError(await post(Object.assign({}, good, {api_key : 'gk_pas-une-cle'})), 403,
                  'api_key');
        jsonError(await post(Object.assign({}, good, {status : 'SOLVED'})), 400, 'status');
        jsonError(await post(Object.assign({}, good, {updated_datetime : 'demain'})), 400,
                  'updated_datetime');
        jsonError(await post(Object.assign({}, good, {media_url : 'javascript:alert(1)'})), 400,
                  'media_url');
        jsonError(await post(Object.assign({}, good, {email : 'pas-une-adresse'})), 400, 'email');
        jsonError(await post(Object.assign({}, good, {update_id : 'x'.repeat(129)})), 400,
                  'update_id');
        jsonError(await post(Object.assign({}, good, {description : 'a\u0001b'})), 400,
                  'description');
        jsonError(await post(Object.assign({}, good, {service_request_id : '2001-999999'})), 404,
                  'service_request_id');
        const hidden = one(
            srv, 'SELECT r.reference FROM requests r JOIN procedures p ON p.id = r.procedure_id ' +
                     'WHERE p.open311 = 0 LIMIT 1;');
        assert.ok(hidden, 'the demo keeps requests off Open311');
        jsonError(await post(Object.assign({}, good, {service_request_id : hidden})), 404,
                  'service_request_id');
        /* A local date-time (no offset) is the collectivité's. */
        const local =
            jsonOk(await post(Object.assign({}, good, {updated_datetime : '2026-12-05T14:30'})));
        assert.equal(one(srv, `SELECT client_datetime FROM open311_updates WHERE event_id = ${
                                  local[0].update_id};`),
                     String(Date.parse('2026-12-05T14:30:00+01:00') / 1000));
        const x = await request(
            srv, 'POST', `${UPDATES}.xml`,
            {form : new URLSearchParams(without('status')).toString() + `&api_key=${key}`});
        assert.equal(x.status, 400);
        assert.match(
            x.text,
            /<errors><error><code>400<\/code><description>status: missing<\/description><\/error><\/errors>/);
    });

    await t.test(
        'agents see the comment, its author and its media on the request page', async () => {
            const ref = pick('in_progress');
            const stamp = Date.now();
            const res = jsonOk(await post({
                service_request_id : ref,
                update_id : `bo-${stamp}`,
                updated_datetime : nowIso(),
                status : 'OPEN',
                description : `Vu ce matin ${stamp}`,
                first_name : 'Jeanne',
                last_name : 'Dupont',
                media_url : `https://fms.example/p/${stamp}.jpeg`
            }));
            assert.ok(res[0].update_id);
            const bin =
                path.resolve(__dirname, '..', '..', process.env.GUICHET_BIN || 'build/guichet');
            execFileSync(
                bin,
                [
                    'agent', 'add', '--db', srv.db, '--email', 'upd-manager@ville-demo.test',
                    '--name', 'Mona Manager', '--role', 'manager', '--department',
                    one(srv, 'SELECT group_concat(code) FROM departments;'), '--password-stdin'
                ],
                {input : PASSWORD + '\n', env : srv.env});
            const b = new Browser(srv);
            const login = await b.get('/agent/connexion');
            const form =
                parseForms(login.text).find((f) => f.controls.some((c) => c.name === 'password'));
            assert.ok(form, 'the login page has its form');
            const csrf = form.controls.find((c) => c.name === 'csrf_token').value;
            const r = await b.submit(form, [
                [ 'csrf_token', csrf ], [ 'email', 'upd-manager@ville-demo.test' ],
                [ 'password', PASSWORD ]
            ]);
            assert.equal(r.status, 303, r.text.slice(0, 300));
            const page = await b.get(`/agent/demandes/${ref}`);
            assert.equal(page.status, 200, `${page.location} ${page.text.slice(0, 300)}`);
            assert.ok(page.text.includes(`Vu ce matin ${stamp}`));
            assert.ok(page.text.includes('Jeanne Dupont (api:'), 'the author, then the client');
            assert.ok(page.text.includes(
                `href="https://fms.example/p/${stamp}.jpeg" rel="noopener noreferrer nofollow"`));
            assert.ok(page.text.includes('Commentaire transmis par un service partenaire'));
        });
});
