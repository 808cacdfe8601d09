'use strict';
/*
 * Open311 GeoReport v2 at /open311/v2/ against a real `guichet serve` on the demo commune:
 * every endpoint in .json and .xml, every JSON answer validated against the project's JSON
 * Schemas (docs/schemas/open311/, by harness.request() and explicitly), every error as an
 * <errors> list with the HTTP status as code, the POST arguments one by one, idempotent
 * retries, the GET filters and extensions, and what must never leave the server (personal
 * data, internal notes, the citizen's tracking token).
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, validate, validPostBody, serviceDefinition, request } = require('./harness');

const BASE = '/open311/v2';
const JSON_TYPE = 'application/json; charset=utf-8';
const XML_TYPE = 'text/xml; charset=utf-8';
const ZONED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const DAY = 86400 * 1000;

/* ---- a tiny XML reader: enough to check well-formedness and read element text ---- */

const ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(s) {
    return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (m, e) => {
        if (e[0] === '#') {
            return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
        }
        if (!(e in ENTITIES)) throw new Error(`unknown XML entity ${m}`);
        return ENTITIES[e];
    });
}

/* Parses the answer of an XML endpoint into {name, children, text}; throws when the
 * document is not well-formed or lacks the declaration. */
function parseXml(text) {
    const decl = /^<\?xml version="1\.0" encoding="utf-8"\?>\s*/i.exec(text);
    if (!decl) throw new Error(`no XML declaration with encoding utf-8: ${text.slice(0, 80)}`);
    const body = text.slice(decl[0].length);
    const root = { name: null, children: [], text: '' };
    const stack = [root];
    const re = /<(\/?)([A-Za-z_][\w.-]*)\s*(\/?)>|([^<]+)/gy;
    let m;
    let pos = 0;
    while (pos < body.length) {
        re.lastIndex = pos;
        m = re.exec(body);
        if (!m) throw new Error(`malformed XML near: ${body.slice(pos, pos + 60)}`);
        pos = re.lastIndex;
        const top = stack[stack.length - 1];
        if (m[4] !== undefined) {
            if (/&(?!(#x[0-9a-fA-F]+|#\d+|[a-z]+);)/.test(m[4])) throw new Error('bare & in XML text');
            top.text += decodeText(m[4]);
        } else if (m[1] === '/') {
            if (top.name !== m[2]) throw new Error(`</${m[2]}> closes <${top.name}>`);
            stack.pop();
        } else {
            const el = { name: m[2], children: [], text: '' };
            top.children.push(el);
            if (m[3] !== '/') stack.push(el);
        }
    }
    if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
    const elements = root.children;
    if (elements.length !== 1 || root.text.trim() !== '') throw new Error('XML needs exactly one root element');
    return elements[0];
}

const child = (el, name) => el.children.find((c) => c.name === name);
const childText = (el, name) => {
    const c = child(el, name);
    return c ? c.text : undefined;
};

/* ---- helpers ---- */

function expectJson(r, status = 200) {
    assert.equal(r.status, status, `status ${r.status}: ${r.text.slice(0, 500)}`);
    assert.equal(r.headers.get('content-type'), JSON_TYPE);
    assert.notEqual(r.json, undefined, `not JSON: ${r.text.slice(0, 200)}`);
    return r.json;
}

function expectXml(r, rootName, status = 200) {
    assert.equal(r.status, status, `status ${r.status}: ${r.text.slice(0, 500)}`);
    assert.equal(r.headers.get('content-type'), XML_TYPE);
    const root = parseXml(r.text);
    assert.equal(root.name, rootName);
    return root;
}

/* An Open311 error answer in JSON: [{code, description}] with code = HTTP status; the
 * description must mention `mention` (the argument at fault). */
function expectJsonError(r, status, mention) {
    const body = expectJson(r, status);
    assert.ok(Array.isArray(body) && body.length >= 1, `errors body: ${r.text}`);
    assert.equal(body[0].code, status);
    assert.equal(typeof body[0].description, 'string');
    if (mention) assert.ok(body[0].description.includes(mention), `"${body[0].description}" should name ${mention}`);
    return body[0];
}

function expectXmlError(r, status, mention) {
    const root = expectXml(r, 'errors', status);
    const e = child(root, 'error');
    assert.ok(e, 'no <error> in <errors>');
    assert.equal(childText(e, 'code'), String(status));
    if (mention) assert.ok(childText(e, 'description').includes(mention));
}

const get = (srv, p) => request(srv, 'GET', p);
const post = (srv, fmt, body, headers = {}) =>
    request(srv, 'POST', `${BASE}/requests.${fmt}`, { form: body, headers });

function createdId(r) {
    const body = expectJson(r, 200);
    assert.ok(Array.isArray(body) && body.length === 1, r.text);
    assert.equal(typeof body[0].service_request_id, 'string');
    assert.match(body[0].service_request_id, /^\d{4}-\d{6}$/);
    assert.ok(!('token' in body[0]), 'a realtime service returns no token');
    assert.equal(body[0].account_id, null);
    return body[0].service_request_id;
}

/* Replaces field `name` of a urlencoded body by a raw (already encoded) value. */
function withRaw(body, name, rawValue) {
    const kept = body.split('&').filter((kv) => kv.split('=')[0] !== name);
    if (rawValue !== null) kept.push(`${name}=${rawValue}`);
    return kept.join('&');
}

/* The body without any attribute[code] or attribute[code][] field. */
function dropAttr(body, code) {
    return body.split('&')
        .filter((kv) => !decodeURIComponent(kv.split('=')[0]).startsWith(`attribute[${code}]`))
        .join('&');
}

function sqlList(srv, query) {
    return srv.sql(query).split('\n').map((s) => s.trim()).filter(Boolean);
}

/* ---- tests ---- */

test('Open311 GeoReport v2', async (t) => {
    const srv = await startServer({});
    t.after(() => srv.stop());

    const services = expectJson(await get(srv, `${BASE}/services.json`));
    const codes = services.map((s) => s.service_code);
    const defs = {};
    for (const code of codes) defs[code] = await serviceDefinition(srv, code);
    /* A service with a required singlevaluelist attribute, for the attribute errors. */
    const withList = codes.find((c) => defs[c].attributes.some((a) => a.required && a.variable &&
                                                                     a.datatype === 'singlevaluelist'));
    const incident = 'nid-de-poule';

    await t.test('discovery in JSON and XML', async () => {
        const d = expectJson(await get(srv, `${BASE}/discovery.json`));
        for (const k of ['changeset', 'contact', 'key_service']) assert.equal(typeof d[k], 'string', k);
        assert.deepEqual(d.endpoints.map((e) => e.specification), [
            'http://wiki.open311.org/GeoReport_v2',
            'https://github.com/mysociety/fixmystreet/wiki/Open311-FMS---Proposed-differences-to-Open311'
        ]);
        assert.equal(d.endpoints[1].url, d.endpoints[0].url,
                     'the updates are served by the same endpoint');
        const ep = d.endpoints[0];
        assert.equal(ep.url, `${srv.url}${BASE}`);
        assert.equal(ep.type, 'production');
        assert.deepEqual([...ep.formats].sort(), ['application/json', 'text/xml']);
        const x = expectXml(await get(srv, `${BASE}/discovery.xml`), 'discovery');
        const formats = child(child(child(x, 'endpoints'), 'endpoint'), 'formats');
        assert.deepEqual(formats.children.map((f) => f.text).sort(), ['application/json', 'text/xml']);
        assert.equal(childText(x, 'changeset'), d.changeset);
    });

    await t.test('services: only active procedures exposed on Open311, JSON = XML', async () => {
        validate('services', services);
        const exposed = sqlList(srv, 'SELECT code FROM procedures WHERE open311 = 1 AND active = 1;');
        assert.ok(exposed.length >= 6, 'the demo exposes the incidents');
        assert.deepEqual([...codes].sort(), [...exposed].sort());
        const hidden = sqlList(srv, 'SELECT code FROM procedures WHERE open311 = 0;');
        assert.ok(hidden.length > 0, 'the demo keeps some procedures off Open311');
        for (const s of services) {
            assert.equal(s.type, 'realtime');
            assert.equal(typeof s.metadata, 'boolean');
            assert.equal(s.metadata, defs[s.service_code].attributes.length > 0);
        }
        const x = expectXml(await get(srv, `${BASE}/services.xml`), 'services');
        assert.equal(x.children.length, services.length);
        assert.ok(x.children.every((c) => c.name === 'service'));
        assert.deepEqual(x.children.map((c) => childText(c, 'service_code')), codes);
        assert.equal(childText(x.children[0], 'metadata'), String(services[0].metadata));
    });

    await t.test('service definitions: all six datatypes, JSON and XML, 404s', async () => {
        const seen = new Set();
        for (const code of codes) {
            validate('service_definition', defs[code]);
            assert.equal(defs[code].service_code, code);
            for (const a of defs[code].attributes) {
                seen.add(a.datatype);
                if (a.datatype.endsWith('valuelist')) assert.ok(a.values.length > 0, a.code);
            }
        }
        assert.deepEqual([...seen].sort(),
                         ['datetime', 'multivaluelist', 'number', 'singlevaluelist', 'string', 'text']);
        const x = expectXml(await get(srv, `${BASE}/services/${withList}.xml`), 'service_definition');
        assert.equal(childText(x, 'service_code'), withList);
        const attrs = child(x, 'attributes');
        assert.equal(attrs.children.length, defs[withList].attributes.length);
        const listAttr = attrs.children.find((a) => childText(a, 'datatype') === 'singlevaluelist');
        assert.ok(child(child(listAttr, 'values'), 'value'));
        expectJsonError(await get(srv, `${BASE}/services/no-such-service.json`), 404, 'service_code');
        expectXmlError(await get(srv, `${BASE}/services/no-such-service.xml`), 404, 'service_code');
        const hidden = sqlList(srv, 'SELECT code FROM procedures WHERE open311 = 0 LIMIT 1;')[0];
        expectJsonError(await get(srv, `${BASE}/services/${encodeURIComponent(hidden)}.json`), 404);
    });

    await t.test('unknown format and unknown jurisdiction', async () => {
        expectJsonError(await get(srv, `${BASE}/services.csv`), 404, 'format');
        expectJsonError(await get(srv, `${BASE}/services.json?jurisdiction_id=nowhere.example`), 404,
                        'jurisdiction_id');
        expectXmlError(await get(srv, `${BASE}/requests.xml?jurisdiction_id=nowhere.example`), 404,
                       'jurisdiction_id');
        const ok = expectJson(await get(srv, `${BASE}/services.json?jurisdiction_id=ville-demo`));
        assert.deepEqual(ok, services);
        const body = await validPostBody(srv, incident, { jurisdiction_id: 'nowhere.example' });
        expectJsonError(await post(srv, 'json', body), 404, 'jurisdiction_id');
    });

    await t.test('tokens: never issued, always 404', async () => {
        expectJsonError(await get(srv, `${BASE}/tokens/12345.json`), 404, 'token');
        expectXmlError(await get(srv, `${BASE}/tokens/12345.xml`), 404, 'token');
        expectJsonError(await get(srv, `${BASE}/tokens/12345.json?jurisdiction_id=nowhere.example`), 404,
                        'jurisdiction_id');
    });

    await t.test('POST creates a request that GET returns, in JSON and XML', async () => {
        const body = await validPostBody(srv, incident, {
            description: 'Trou profond <devant> l\'école & la poste',
            address_string: '12 rue Victor Hugo',
            media_url: 'https://example.org/photo.jpg',
        }, { allAttributes: true });
        const id = createdId(await post(srv, 'json', body));
        /* The citizen's words are never shown: only a text an agent approved (issue 12). */
        const unapproved = expectJson(await get(srv, `${BASE}/requests/${id}.json`));
        assert.equal(unapproved[0].description, null, 'no description before an agent approves one');
        await approveText(srv, id);
        const list = expectJson(await get(srv, `${BASE}/requests/${id}.json`));
        validate('service_requests', list);
        assert.equal(list.length, 1);
        const r = list[0];
        assert.equal(r.service_request_id, id);
        assert.equal(r.service_code, incident);
        assert.equal(r.service_name, services.find((s) => s.service_code === incident).service_name);
        assert.equal(r.status, 'open');
        assert.equal(r.description, 'Trou profond <devant> l\'école & la poste');
        assert.equal(r.address, '12 rue Victor Hugo');
        assert.equal(r.media_url, 'https://example.org/photo.jpg');
        assert.equal(r.lat, 45.764);
        assert.equal(r.long, 4.8357);
        assert.match(r.requested_datetime, ZONED);
        assert.match(r.updated_datetime, ZONED);
        assert.ok(Math.abs(Date.parse(r.requested_datetime) - Date.now()) < 120000);
        assert.ok(!('notes' in r) && !('extended_attributes' in r), 'no extensions unless asked');

        const x = expectXml(await get(srv, `${BASE}/requests/${id}.xml`), 'service_requests');
        assert.equal(x.children.length, 1);
        const xr = child(x, 'request');
        assert.equal(childText(xr, 'service_request_id'), id);
        assert.equal(childText(xr, 'description'), r.description);
        assert.equal(childText(xr, 'status'), 'open');
        assert.equal(Number(childText(xr, 'lat')), 45.764);

        const px = expectXml(await post(srv, 'xml', await validPostBody(srv, incident)), 'service_requests');
        const created = child(px, 'request');
        assert.match(childText(created, 'service_request_id'), /^\d{4}-\d{6}$/);
        assert.ok(child(created, 'account_id'), '<account_id/> is present');
        assert.equal(child(created, 'token'), undefined);
    });

    await t.test('media_url is written as a URI: an IRI or characters no URI has are percent-encoded', async () => {
        const cases = [
            ['https://photos.example.org/façade|1.jpg?t={x}', 'https://photos.example.org/fa%C3%A7ade%7C1.jpg?t=%7Bx%7D'],
            ['https://photos.example.org/100%/a#b#c', 'https://photos.example.org/100%25/a#b%23c'],
            ['https://[2001:db8::1]/a[1].jpg', 'https://[2001:db8::1]/a%5B1%5D.jpg'],
            ['https://photos.example.org/d%C3%A9j%C3%A0.jpg', 'https://photos.example.org/d%C3%A9j%C3%A0.jpg'],
        ];
        for (const [given, written] of cases) {
            const body = await validPostBody(srv, incident, { media_url: given });
            const id = createdId(await post(srv, 'json', body));
            /* request() validated the answer: media_url has format uri. */
            const list = expectJson(await get(srv, `${BASE}/requests/${id}.json`));
            assert.equal(list[0].media_url, written, given);
            const xml = await get(srv, `${BASE}/requests/${id}.xml`);
            assert.ok(xml.text.includes(`<media_url>${written.replace(/&/g, '&amp;')}</media_url>`), xml.text);
            /* Stored as given: the JSON API, for agents, shows it unchanged. */
            assert.equal(srv.sql(`SELECT media_url FROM requests WHERE reference = '${id}';`).trim(), given);
        }
    });

    await t.test('Idempotency-Key: a retried POST returns the first result', async () => {
        const body = await validPostBody(srv, incident);
        const key = `retry-${Date.now()}`;
        const first = await post(srv, 'json', body, { 'Idempotency-Key': key });
        const id = createdId(first);
        const again = await post(srv, 'json', body, { 'Idempotency-Key': key });
        assert.equal(createdId(again), id);
        assert.equal(again.text, first.text);
        const other = createdId(await post(srv, 'json', body, { 'Idempotency-Key': `${key}-b` }));
        assert.notEqual(other, id);
        const n = srv.sql(`SELECT count(*) FROM requests WHERE reference = '${id}';`).trim();
        assert.equal(n, '1');
        expectJsonError(await post(srv, 'json', body, { 'Idempotency-Key': 'has space' }), 400,
                        'Idempotency-Key');
    });

    await t.test('403 for a missing or wrong api_key, in JSON and XML', async () => {
        const body = await validPostBody(srv, incident);
        expectJsonError(await post(srv, 'json', withRaw(body, 'api_key', null)), 403, 'api_key');
        expectXmlError(await post(srv, 'xml', withRaw(body, 'api_key', null)), 403, 'api_key');
        expectJsonError(await post(srv, 'json', withRaw(body, 'api_key', 'not-a-key')), 403, 'api_key');
        expectXmlError(await post(srv, 'xml', withRaw(body, 'api_key', 'not-a-key')), 403, 'api_key');
    });

    await t.test('400 naming each invalid argument', async () => {
        const body = await validPostBody(srv, incident);
        const listDef = defs[withList].attributes.find((a) => a.required && a.variable &&
                                                          a.datatype === 'singlevaluelist');
        const listBody = await validPostBody(srv, withList, { address_string: '1 place de la Mairie' });
        const cases = [
            ['missing service_code', withRaw(body, 'service_code', null), 'service_code'],
            ['lat not a number', withRaw(body, 'lat', 'abc'), 'lat'],
            ['lat out of range', withRaw(body, 'lat', '91'), 'lat'],
            ['long out of range', withRaw(body, 'long', '-180.5'), 'long'],
            ['lat without long', withRaw(body, 'long', null), 'long'],
            ['bad percent-encoding', withRaw(body, 'description', 'trou%ZZ'), 'description'],
            ['invalid UTF-8', withRaw(body, 'description', '%C3%28'), 'description'],
            ['description over 20000 characters', withRaw(body, 'description', 'é'.repeat(20001)),
             'description'],
            ['media_url not http', withRaw(body, 'media_url', 'javascript%3Aalert(1)'), 'media_url'],
            ['malformed attribute name', `${body}&attribute%5Bno_such_attr=1`, 'attribute'],
            ['missing required attribute', dropAttr(listBody, listDef.code), `attribute[${listDef.code}]`],
            ['singlevaluelist key not in the list',
             `${dropAttr(listBody, listDef.code)}&attribute%5B${encodeURIComponent(listDef.code)}%5D=not-a-key`,
             `attribute[${listDef.code}]`],
            ['no location for an incident', withRaw(withRaw(body, 'lat', null), 'long', null), null],
        ];
        for (const [what, b, arg] of cases) {
            const r = await post(srv, 'json', b);
            const e = expectJsonError(r, 400, arg || undefined);
            if (!arg) assert.match(e.description, /location|lat|address/, what);
        }
        /* exactly guichet's maximum is accepted (the spec's 4000: see the tolerances) */
        createdId(await post(srv, 'json', withRaw(body, 'description', 'é'.repeat(20000))));
        expectXmlError(await post(srv, 'xml', withRaw(body, 'lat', 'abc')), 400, 'lat');
    });

    await t.test('404 for an unknown or hidden service_code and an unknown request', async () => {
        const body = await validPostBody(srv, incident);
        expectJsonError(await post(srv, 'json', withRaw(body, 'service_code', 'no-such-service')), 404,
                        'service_code');
        const hidden = sqlList(srv, 'SELECT code FROM procedures WHERE open311 = 0 LIMIT 1;')[0];
        expectXmlError(await post(srv, 'xml', withRaw(body, 'service_code', encodeURIComponent(hidden))),
                       404, 'service_code');
        expectJsonError(await get(srv, `${BASE}/requests/1999-999999.json`), 404, 'service_request_id');
        expectXmlError(await get(srv, `${BASE}/requests/1999-999999.xml`), 404, 'service_request_id');
        const hiddenRef = sqlList(srv, 'SELECT r.reference FROM requests r JOIN procedures p ' +
                                       'ON p.id = r.procedure_id WHERE p.open311 = 0 LIMIT 1;')[0];
        assert.ok(hiddenRef, 'the demo has requests of procedures kept off Open311');
        expectJsonError(await get(srv, `${BASE}/requests/${hiddenRef}.json`), 404);
        const none = expectJson(await get(srv, `${BASE}/requests.json?service_request_id=${hiddenRef}`));
        assert.deepEqual(none, []);
    });

    await t.test('GET requests: defaults, filters, paging', async () => {
        const all = expectJson(await get(srv, `${BASE}/requests.json`));
        validate('service_requests', all);
        assert.ok(all.length > 5 && all.length <= 1000);
        const since = Date.now() - 90 * DAY - 60000;
        for (const r of all) {
            assert.ok(codes.includes(r.service_code), `${r.service_code} is exposed`);
            assert.ok(Date.parse(r.requested_datetime) >= since, 'default window: the last 90 days');
            assert.match(r.requested_datetime, ZONED);
            if (r.expected_datetime !== null && r.expected_datetime !== undefined) {
                assert.match(r.expected_datetime, ZONED);
            }
            assert.equal(typeof r.service_request_id, 'string');
        }
        const xAll = expectXml(await get(srv, `${BASE}/requests.xml`), 'service_requests');
        assert.equal(xAll.children.length, all.length);

        const one = expectJson(await get(srv, `${BASE}/requests.json?service_code=${incident}`));
        assert.ok(one.length > 0 && one.every((r) => r.service_code === incident));
        const two = expectJson(await get(srv, `${BASE}/requests.json?service_code=${codes[0]},${codes[1]}`));
        assert.ok(two.every((r) => r.service_code === codes[0] || r.service_code === codes[1]));
        assert.deepEqual(expectJson(await get(srv, `${BASE}/requests.json?service_code=no-such`)), []);
        expectXml(await get(srv, `${BASE}/requests.xml?service_code=no-such`), 'service_requests');

        const open = expectJson(await get(srv, `${BASE}/requests.json?status=open`));
        const closed = expectJson(await get(srv, `${BASE}/requests.json?status=closed`));
        assert.ok(open.length > 0 && open.every((r) => r.status === 'open'));
        assert.ok(closed.length > 0 && closed.every((r) => r.status === 'closed'));
        const both = expectJson(await get(srv, `${BASE}/requests.json?status=open,closed`));
        assert.equal(both.length, Math.min(1000, open.length + closed.length));
        expectJsonError(await get(srv, `${BASE}/requests.json?status=pending`), 400, 'status');

        const end = new Date(Date.now() - 100 * DAY);
        const start = new Date(end.getTime() - 60 * DAY);
        const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
        const ranged = expectJson(await get(srv,
            `${BASE}/requests.json?start_date=${iso(start)}&end_date=${iso(end)}`));
        validate('service_requests', ranged);
        assert.ok(ranged.length > 0, 'the demo spreads requests over the past year');
        for (const r of ranged) {
            const tms = Date.parse(r.requested_datetime);
            assert.ok(tms >= start.getTime() && tms <= end.getTime(), r.requested_datetime);
        }
        const withZone = expectJson(await get(srv, `${BASE}/requests.json?start_date=` +
            encodeURIComponent(iso(start).replace('Z', '+02:00')) + `&end_date=${iso(end)}`));
        assert.ok(withZone.length > 0);
        expectJsonError(await get(srv, `${BASE}/requests.json?start_date=yesterday`), 400, 'start_date');
        expectXmlError(await get(srv, `${BASE}/requests.xml?end_date=2026-13-01T00:00:00Z`), 400,
                       'end_date');
        expectJsonError(await get(srv, `${BASE}/requests.json?start_date=${iso(end)}&end_date=${iso(start)}`),
                        400, 'end_date');

        /* service_request_id overrides every other argument, dates included */
        const old = sqlList(srv, 'SELECT r.reference FROM requests r JOIN procedures p ON p.id = ' +
            `r.procedure_id WHERE p.open311 = 1 AND r.created_at < ${Math.floor(Date.now() / 1000) - 200 * 86400} ` +
            'ORDER BY r.id LIMIT 2;');
        assert.equal(old.length, 2);
        const ids = expectJson(await get(srv, `${BASE}/requests.json?service_request_id=${old[0]},${old[1]}` +
                                                   '&service_code=no-such&status=pending&start_date=bad'));
        validate('service_requests', ids);
        assert.deepEqual(ids.map((r) => r.service_request_id).sort(), [...old].sort());

        const p1 = expectJson(await get(srv, `${BASE}/requests.json?page_size=5&page=1`));
        const p2 = expectJson(await get(srv, `${BASE}/requests.json?page_size=5&page=2`));
        const p12 = expectJson(await get(srv, `${BASE}/requests.json?page_size=10`));
        assert.equal(p1.length, 5);
        assert.deepEqual([...p1, ...p2].map((r) => r.service_request_id),
                         p12.map((r) => r.service_request_id));
        const far = expectJson(await get(srv, `${BASE}/requests.json?page_size=1000&page=1000`));
        assert.deepEqual(far, []);
        expectJsonError(await get(srv, `${BASE}/requests.json?page_size=1001`), 400, 'page_size');
        expectJsonError(await get(srv, `${BASE}/requests.json?page=0`), 400, 'page');
        expectJsonError(await get(srv, `${BASE}/requests.json?extensions=maybe`), 400, 'extensions');
    });

    await t.test('extensions=true: channel, attributes and public notes only', async () => {
        const id = createdId(await post(srv, 'json', await validPostBody(srv, withList,
            { address_string: '3 rue des Écoles' })));
        const note = async (text, isPublic) => {
            const r = await request(srv, 'POST', `/api/v1/requests/${id}/events`, {
                json: { body: text, public: isPublic },
                headers: { Authorization: `Bearer ${srv.keys.api}` },
            });
            assert.ok(r.status === 200 || r.status === 201, `note: ${r.status} ${r.text}`);
        };
        const publicNote = `Intervention programmée ${Date.now()}`;
        const internalNote = `NOTE-INTERNE-${Date.now()} appeler le riverain`;
        await note(publicNote, true);
        await note(internalNote, false);

        for (const path of [`${BASE}/requests/${id}.json?extensions=true`,
                            `${BASE}/requests.json?extensions=true&service_request_id=${id}`]) {
            const list = expectJson(await get(srv, path));
            validate('service_requests', list);
            const r = list[0];
            assert.equal(r.extended_attributes.channel, 'api');
            assert.ok(Array.isArray(r.attributes) && r.attributes.length > 0);
            assert.ok(r.attributes.every((a) => typeof a.name === 'string' && typeof a.code === 'string'));
            assert.ok(Array.isArray(r.notes));
            assert.ok(r.notes.some((n) => n.description === publicNote), JSON.stringify(r.notes));
            for (const n of r.notes) assert.match(n.datetime, ZONED);
            assert.ok(!JSON.stringify(list).includes(internalNote), 'internal notes never show');
        }
        const plain = await get(srv, `${BASE}/requests/${id}.json`);
        assert.ok(!plain.text.includes(publicNote), 'notes only with extensions=true');
        const x = await get(srv, `${BASE}/requests/${id}.xml?extensions=true`);
        const xr = child(expectXml(x, 'service_requests'), 'request');
        assert.equal(childText(child(xr, 'extended_attributes'), 'channel'), 'api');
        assert.ok(child(xr, 'notes').children.some((n) => childText(n, 'description') === publicNote));
        assert.ok(!x.text.includes(internalNote));
        const listX = await get(srv, `${BASE}/requests.xml?extensions=true&page_size=50`);
        expectXml(listX, 'service_requests');
        const listJ = expectJson(await get(srv, `${BASE}/requests.json?extensions=true&page_size=50`));
        validate('service_requests', listJ);
        assert.ok(listJ.every((r) => Array.isArray(r.notes)));
    });

    await t.test('no personal data and no tracking token in any Open311 output', async () => {
        const personal = {
            first_name: 'Zéphyrine',
            last_name: 'Quatremarre',
            email: 'zephyrine.quatremarre@example.org',
            phone: '0611223344',
            device_id: 'device-7f3a9c',
            account_id: 'account-55ab17',
        };
        const r = await post(srv, 'json', await validPostBody(srv, incident, personal));
        const id = createdId(r);
        const outputs = [r.text, (await post(srv, 'xml', await validPostBody(srv, incident, personal))).text];
        for (const p of [`requests/${id}.json`, `requests/${id}.xml`, `requests/${id}.json?extensions=true`,
                         `requests/${id}.xml?extensions=true`, `requests.json?service_request_id=${id}`,
                         'requests.json', 'requests.xml', 'requests.json?extensions=true&page_size=100']) {
            const g = await get(srv, `${BASE}/${p}`);
            assert.equal(g.status, 200, p);
            outputs.push(g.text);
        }
        for (const text of outputs) {
            for (const [field, value] of Object.entries(personal)) {
                assert.ok(!text.includes(value), `${field} leaked`);
            }
            assert.ok(!/"token"|<token>/.test(text), 'no token field');
        }
        const hash = srv.sql(`SELECT token_hash FROM requests WHERE reference = '${id}';`).trim();
        assert.ok(hash.length > 0);
        for (const text of outputs) assert.ok(!text.includes(hash));
    });

    /* Issue 11: liberal in what is accepted where real clients differ from the spec's letter. */
    await t.test('tolerances: a datetime without offset is the collectivité\'s local time', async () => {
        const dtService = codes.find((c) => defs[c].attributes.some((a) => a.variable !== false &&
                                                                         a.datatype === 'datetime'));
        /* (a date question is shown as a datetime too, but says so: see the next test) */
        assert.ok(dtService, 'the demo exposes a service with a datetime attribute');
        const dt = defs[dtService].attributes.find((a) => a.variable !== false && a.datatype === 'datetime');
        const stored = (id) => srv.sql(`SELECT json_extract(attributes, '$.${dt.code}') FROM requests ` +
                                       `WHERE reference = '${id}';`).trim();
        /* The demo commune is in Europe/Paris: +01:00 in winter, +02:00 in summer. */
        for (const [given, want] of [['2026-12-05T14:30', '2026-12-05T14:30:00+01:00'],
                                     ['2026-07-05T09:05:30', '2026-07-05T09:05:30+02:00'],
                                     ['2026-12-05T14:30:00Z', '2026-12-05T14:30:00Z']]) {
            const body = await validPostBody(srv, dtService, { [`attribute[${dt.code}]`]: given,
                                                               address_string: '2 rue de la Paix' });
            const id = createdId(await post(srv, 'json', body));
            assert.equal(stored(id), want, given);
        }
        for (const bad of ['2026-12-05T14', '05/12/2026 14:30', '2026-12-05T25:00']) {
            const body = await validPostBody(srv, dtService, { [`attribute[${dt.code}]`]: bad,
                                                               address_string: '2 rue de la Paix' });
            expectJsonError(await post(srv, 'json', body), 400, `attribute[${dt.code}]`);
        }
    });

    /* GeoReport v2 has no date datatype: a date question is a datetime whose
     * datatype_description says a day is expected; a day or a datetime's written date is kept. */
    await t.test('a date question: shown as a datetime that asks for a day, stored as YYYY-MM-DD', async () => {
        const code = 'acte-etat-civil';
        srv.sql(`UPDATE procedures SET open311 = 1 WHERE code = '${code}'`);
        try {
            const r = await untilStatus(srv, `${BASE}/services/${code}.json`, 200);
            const def = expectJson(r);
            validate('service_definition', def);
            const date = def.attributes.find((a) => a.code === 'date_acte');
            assert.equal(date.datatype, 'datetime', 'Open311 has no date datatype');
            assert.equal(date.datatype_description,
                         'Date de la naissance, du mariage ou du décès (Une date sans heure, AAAA-MM-JJ ; ' +
                         'd’une date et heure, seule la date écrite est gardée.)');
            const en = expectJson(await get(srv, `${BASE}/services/${code}.json?lang=en`));
            assert.equal(en.attributes.find((a) => a.code === 'date_acte').datatype_description,
                         'Date of the birth, marriage or death (A date with no time, YYYY-MM-DD; of a date ' +
                         'and time, only the written date is kept.)');
            const x = expectXml(await get(srv, `${BASE}/services/${code}.xml`), 'service_definition');
            const xd = child(x, 'attributes').children.find((a) => childText(a, 'code') === 'date_acte');
            assert.equal(childText(xd, 'datatype'), 'datetime');
            /* A datetime attribute of another service still has no such note. */
            const other = defs[incident].attributes.find((a) => a.datatype === 'datetime');
            if (other) assert.ok(!/AAAA-MM-JJ/.test(other.datatype_description || ''), other.code);

            const stored = (id) => srv.sql(`SELECT json_extract(attributes, '$.date_acte') FROM requests ` +
                                           `WHERE reference = '${id}';`).trim();
            for (const [given, want] of [['1990-12-05', '1990-12-05'],
                                         ['1990-12-05T23:30:00-05:00', '1990-12-05'], /* its written date */
                                         ['1990-12-05T00:30:00+02:00', '1990-12-05'],
                                         ['1990-12-05T10:00', '1990-12-05'],
                                         ['05/12/1990', '1990-12-05'],
                                         ['2028-02-29', '2028-02-29']]) {
                const body = await validPostBody(srv, code, { 'attribute[date_acte]': given });
                const id = createdId(await post(srv, 'json', body));
                assert.equal(stored(id), want, given);
                /* The JSON API gives the day as stored. */
                const api = await request(srv, 'GET', `/api/v1/requests/${id}`,
                                          { headers: { Authorization: `Bearer ${srv.keys.api}` } });
                assert.equal(api.status, 200, api.text);
                assert.equal(api.json.attributes.date_acte, want);
            }
            for (const bad of ['2026-02-29', '31/04/1990', '1990-12-05T25:00', 'hier', '05/12/90']) {
                const body = await validPostBody(srv, code, { 'attribute[date_acte]': bad });
                expectJsonError(await post(srv, 'json', body), 400, 'attribute[date_acte]');
            }
        } finally {
            srv.sql(`UPDATE procedures SET open311 = 0 WHERE code = '${code}'`);
            await untilStatus(srv, `${BASE}/services/${code}.json`, 404);
        }
    });

    await t.test('tolerances: a description is kept whole up to guichet\'s maximum', async () => {
        const long = `${'Texte libre de FixMyStreet. '.repeat(200)}fin`; /* 5603 characters */
        const id = createdId(await post(srv, 'json', await validPostBody(srv, incident, { description: long })));
        const kept = JSON.parse(srv.sql(`SELECT json_quote(description) FROM requests WHERE reference = '${id}';`));
        assert.equal(kept, long, 'stored whole');
        /* Answers still write at most the spec's 4000 characters (of the public text, which
         * an agent approves: here the whole of it, as a database could hold). */
        await approveText(srv, id);
        const d = expectJson(await get(srv, `${BASE}/requests/${id}.json`))[0].description;
        assert.equal([...d].length, 4000);
        assert.ok(d.endsWith('…'));
        assert.equal(d.slice(0, -1), long.slice(0, 3999));
        const body = await validPostBody(srv, incident);
        expectJsonError(await post(srv, 'json', withRaw(body, 'description', 'é'.repeat(20001))), 400,
                        'description: longer than 20000 characters');
    });

    await t.test('the language of the messages: the lang argument, then ?lang=, then Accept-Language, else French', async () => {
        const langOf = (id) => srv.sql(`SELECT lang FROM requests WHERE reference = '${id}';`).trim();
        const filed = async (extra, headers = {}, query = '') => createdId(await request(srv, 'POST',
            `${BASE}/requests.json${query}`, { form: await validPostBody(srv, incident, extra), headers }));
        assert.equal(langOf(await filed({ lang: 'en' })), 'en');
        assert.equal(langOf(await filed({ lang: 'EN-gb' }, { 'Accept-Language': 'fr' })), 'en');
        assert.equal(langOf(await filed({ lang: 'de' }, { 'Accept-Language': 'en' })), 'fr');
        assert.equal(langOf(await filed({}, {}, '?lang=en')), 'en');
        assert.equal(langOf(await filed({}, { 'Accept-Language': 'en-GB,en;q=0.8' })), 'en');
        assert.equal(langOf(await filed({})), 'fr');
        expectJsonError(await post(srv, 'json', await validPostBody(srv, incident, { lang: 'en GB' })), 400, 'lang');
    });

    await t.test('tolerances: date ranges over 90 days are paged, not refused', async () => {
        const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
        const nowS = Math.floor(Date.now() / 1000);
        const start = new Date((nowS - 400 * 86400) * 1000);
        const end = new Date((nowS - 150 * 86400) * 1000);
        const oldest = sqlList(srv, 'SELECT r.reference FROM requests r JOIN procedures p ON p.id = ' +
            'r.procedure_id WHERE p.open311 = 1 AND p.open311_detail > 0 AND r.created_at BETWEEN ' +
            `${nowS - 400 * 86400} AND ${nowS - 150 * 86400} ORDER BY r.created_at, r.id LIMIT 1;`)[0];
        assert.ok(oldest, 'the demo holds requests older than 150 days');
        const range = `start_date=${iso(start)}&end_date=${iso(end)}`;
        const seen = new Set();
        for (let page = 1; page <= 20; page++) {
            const list = expectJson(await get(srv, `${BASE}/requests.json?${range}&page_size=1000&page=${page}`));
            assert.ok(list.length <= 1000, 'bounded by page_size');
            for (const r of list) {
                const tms = Date.parse(r.requested_datetime);
                assert.ok(tms >= start.getTime() && tms <= end.getTime(), r.requested_datetime);
                seen.add(r.service_request_id);
            }
            if (list.length < 1000) break;
        }
        assert.ok(seen.has(oldest), 'the oldest request of a 250-day range is on one of its pages');
        const five = expectJson(await get(srv, `${BASE}/requests.json?${range}&page_size=5`));
        assert.equal(five.length, 5);
        validate('service_requests', five);
        const decade = expectJson(await get(srv,
            `${BASE}/requests.json?start_date=2020-01-01&end_date=2030-01-01T00:00:00Z&page_size=7`));
        assert.equal(decade.length, 7);
        expectJsonError(await get(srv, `${BASE}/requests.json?start_date=${iso(end)}&end_date=${iso(start)}`),
                        400, 'end_date');
    });

    await t.test('tolerances: undefined attribute codes are ignored and logged, defined ones strict', async () => {
        const stamp = Date.now();
        const extra = `fms_extra_${stamp}`;
        const secret = `valeur-du-client-${stamp}`;
        const listDef = defs[withList].attributes.find((a) => a.required && a.variable &&
                                                          a.datatype === 'singlevaluelist');
        const body = await validPostBody(srv, withList, { address_string: '1 place de la Mairie' });
        const id = createdId(await post(srv, 'json',
            `${body}&attribute%5B${extra}%5D=${secret}&attribute%5B${extra}_list%5D%5B%5D=a`));
        const attrs = JSON.parse(srv.sql(`SELECT attributes FROM requests WHERE reference = '${id}';`));
        assert.ok(!(extra in attrs) && !(`${extra}_list` in attrs), JSON.stringify(attrs));
        assert.equal(attrs[listDef.code], listDef.values[0].key, 'the defined attribute is kept');
        const log = srv.log();
        assert.ok(log.includes(`attribute[${extra}]`), 'the ignored code is logged');
        assert.ok(!log.includes(secret), 'its value is not');
        /* The defined attributes are still checked strictly. */
        const strict = `${dropAttr(body, listDef.code)}&attribute%5B${extra}%5D=1`;
        expectJsonError(await post(srv, 'json', strict), 400, `attribute[${listDef.code}]`);
        expectJsonError(await post(srv, 'json',
            `${strict}&attribute%5B${encodeURIComponent(listDef.code)}%5D=not-a-key`), 400,
                        `attribute[${listDef.code}]`);
    });

    await t.test('descriptions over 4000 characters are cut with an ellipsis', async () => {
        const ref = sqlList(srv, 'SELECT r.reference FROM requests r JOIN procedures p ON p.id = ' +
            'r.procedure_id WHERE p.open311 = 1 AND p.open311_detail = 2 AND length(r.description) > 4000 LIMIT 1;')[0];
        assert.ok(ref, 'the demo holds a long e-mail request on an Open311 service');
        await approveText(srv, ref);
        const list = expectJson(await get(srv, `${BASE}/requests/${ref}.json`));
        validate('service_requests', list);
        const d = list[0].description;
        assert.equal([...d].length, 4000);
        assert.ok(d.endsWith('…'));
        const full = JSON.parse(srv.sql('SELECT json_quote(substr(description, 1, 3999)) FROM requests ' +
                                        `WHERE reference = '${ref}';`));
        assert.equal(d.slice(0, -1), full);
        const x = child(expectXml(await get(srv, `${BASE}/requests/${ref}.xml`), 'service_requests'), 'request');
        assert.equal(childText(x, 'description'), d);
        const inList = expectJson(await get(srv, `${BASE}/requests.json?service_request_id=${ref}`));
        assert.equal(inList[0].description, d);
    });
});

/* ---- what a procedure keeps private (issue 9) ---- */

/* An agent approves the citizen's own words as the public text (as «Texte public» in the back
 * office would, written straight to the database), then the cached Open311 answers, made
 * before, expire (their TTL is one second for changes made outside the server). */
async function approveText(srv, ref) {
    srv.sql(`UPDATE requests SET public_description = description WHERE reference = '${ref}';`);
    await new Promise((resolve) => setTimeout(resolve, 1100));
}

/* Rows of a query that builds one JSON array with json_group_array. */
function sqlJson(srv, query) {
    const out = srv.sql(query).trim();
    return out ? JSON.parse(out) : [];
}

/* Waits (bounded) until the server answers GET p with `status`: catalogue changes made in
 * the database are picked up by polling, not at once. */
async function untilStatus(srv, p, status) {
    let r;
    for (let i = 0; i < 100; i++) {
        r = await get(srv, p);
        if (r.status === status) return r;
        await new Promise((res) => setTimeout(res, 100));
    }
    return r;
}

test('Open311 shows nothing a procedure keeps private', async (t) => {
    const srv = await startServer({ requests: 400 });
    t.after(() => srv.stop());
    const procs = sqlJson(srv, "SELECT json_group_array(json_object('id', id, 'code', code, " +
        "'is_public', is_public, 'open311', open311, 'attributes', attributes)) FROM procedures");
    assert.ok(procs.length >= 10, 'the demo has its procedures');
    const parking = procs.find((p) => p.code === 'stationnement-genant');
    assert.ok(parking && !parking.is_public && parking.open311,
              'the demo has a non-public procedure exposed on Open311');

    /* For each procedure: its latest requests and what must never leave the server. */
    const cases = [];
    for (const p of procs) {
        const reqs = sqlJson(srv, "SELECT json_group_array(json_object('id', id, 'ref', reference, " +
            "'description', description, 'address', address, 'attributes', attributes, " +
            "'first_name', first_name, 'last_name', last_name, 'email', email, 'phone', phone, " +
            "'status_notes', status_notes, 'media_url', media_url)) FROM (SELECT * FROM requests " +
            `WHERE procedure_id = ${p.id} ORDER BY id DESC LIMIT 6)`);
        if (!reqs.length) continue;
        const events = sqlJson(srv, "SELECT json_group_array(json_object('request_id', request_id, " +
            "'is_public', is_public, 'body', body)) FROM request_events WHERE request_id IN " +
            `(${reqs.map((r) => r.id).join(',')}) AND body IS NOT NULL AND body <> ''`);
        /* Free-text attribute values (a licence plate…): list keys are public in the
         * service definition. */
        const freeCodes = new Set(JSON.parse(p.attributes || '[]')
            .filter((a) => ['string', 'text', 'number'].includes(a.datatype)).map((a) => a.code));
        const secrets = [];
        const personal = [];
        for (const r of reqs) {
            const own = [r.first_name, r.last_name, r.email, r.phone];
            const kept = [r.description, r.address, r.status_notes, r.media_url];
            const attrs = JSON.parse(r.attributes || '{}');
            for (const [code, v] of Object.entries(attrs))
                if (freeCodes.has(code)) kept.push(...[].concat(v));
            for (const e of events.filter((e) => e.request_id === r.id))
                (e.is_public ? kept : own).push(e.body);
            secrets.push(...own);
            personal.push(r.email, r.phone);
            if (!p.is_public) secrets.push(...kept);
        }
        const strings = (list) => [...new Set(list.filter((s) => typeof s === 'string' && s.trim().length >= 5))];
        cases.push({ p, refs: reqs.map((r) => r.ref), secrets: strings(secrets), personal: strings(personal) });
    }
    const parkingCase = cases.find((c) => c.p.code === 'stationnement-genant');
    assert.ok(parkingCase && parkingCase.secrets.length > 0, 'the demo has stationnement gênant requests');

    /* A non-public procedure's request says how it is going, nothing of what it is about. */
    const checkStatusOnly = (item, what) => {
        for (const k of ['description', 'address', 'address_id', 'zipcode', 'lat', 'long', 'media_url', 'status_notes'])
            assert.equal(item[k], null, `${what}: ${k} of a non-public procedure`);
        assert.ok(!item.attributes || item.attributes.length === 0, `${what}: attributes of a non-public procedure`);
        for (const n of item.notes || []) assert.notEqual(n.type, 'note', `${what}: a note of a non-public procedure`);
    };
    const checkXmlStatusOnly = (el, what) => {
        for (const k of ['description', 'address', 'lat', 'long', 'media_url', 'status_notes'])
            assert.ok(!childText(el, k), `${what}: <${k}> of a non-public procedure`);
        const attrs = child(el, 'attributes');
        assert.ok(!attrs || attrs.children.length === 0, `${what}: <attributes> of a non-public procedure`);
    };

    await t.test('every demo procedure, one request at a time and by id lists, JSON and XML, with and without extensions', async () => {
        for (const c of cases) {
            const ids = c.refs.join(',');
            const paths = [];
            for (const ref of c.refs)
                for (const fmt of ['json', 'xml'])
                    for (const ext of ['', '?extensions=true']) paths.push(`${BASE}/requests/${ref}.${fmt}${ext}`);
            for (const fmt of ['json', 'xml'])
                for (const ext of ['', '&extensions=true'])
                    paths.push(`${BASE}/requests.${fmt}?service_request_id=${ids}${ext}`);
            for (const p of paths) {
                const r = await get(srv, p);
                const what = `${c.p.code} ${p}`;
                for (const s of c.secrets) assert.ok(!r.text.includes(s), `${what} shows "${s.slice(0, 60)}"`);
                if (!c.p.open311) {
                    if (p.includes('/requests/')) assert.equal(r.status, 404, what);
                    else for (const ref of c.refs) assert.ok(!r.text.includes(ref), `${what} lists ${ref}`);
                    continue;
                }
                assert.equal(r.status, 200, `${what}: ${r.text.slice(0, 300)}`);
                if (c.p.is_public) continue;
                if (p.includes('.json')) {
                    for (const item of r.json) checkStatusOnly(item, what);
                } else {
                    for (const el of parseXml(r.text).children) checkXmlStatusOnly(el, what);
                }
            }
        }
    });

    await t.test('the lists of requests, JSON and XML, with and without extensions', async () => {
        /* Names, notes and places recur from one request to another (the same street, the
         * same acknowledgement, a first name in a street name): here the shape tells, and no
         * e-mail address or phone number may show. */
        const hidden = new Set(procs.filter((p) => !p.is_public).map((p) => p.code));
        const secrets = cases.flatMap((c) => c.personal);
        const end = new Date();
        for (let back = 0; back < 4; back++) {
            const to = new Date(end.getTime() - back * 90 * DAY);
            const from = new Date(to.getTime() - 89 * DAY);
            const q = `start_date=${from.toISOString().slice(0, 10)}&end_date=${to.toISOString().slice(0, 10)}`;
            for (const ext of ['', '&extensions=true']) {
                const j = expectJson(await get(srv, `${BASE}/requests.json?${q}${ext}`));
                for (const item of j) if (hidden.has(item.service_code)) checkStatusOnly(item, `list ${q}${ext}`);
                const x = await get(srv, `${BASE}/requests.xml?${q}${ext}`);
                for (const el of expectXml(x, 'service_requests').children)
                    if (hidden.has(childText(el, 'service_code'))) checkXmlStatusOnly(el, `xml list ${q}${ext}`);
                for (const text of [JSON.stringify(j), x.text])
                    for (const s of secrets) assert.ok(!text.includes(s), `list ${q}${ext} shows "${s.slice(0, 60)}"`);
            }
        }
    });

    await t.test('a procedure set to show nothing is in no GET answer, and still takes POSTs', async () => {
        const code = 'nid-de-poule';
        const c = cases.find((x) => x.p.code === code);
        const ref = c.refs[0];
        srv.sql(`UPDATE procedures SET open311_detail = 0 WHERE code = '${code}'`);
        expectJsonError(await untilStatus(srv, `${BASE}/requests/${ref}.json`, 404), 404, 'service_request_id');
        for (const fmt of ['json', 'xml']) {
            for (const ext of ['', '?extensions=true']) {
                const one = await get(srv, `${BASE}/requests/${ref}.${fmt}${ext}`);
                assert.equal(one.status, 404, `requests/${ref}.${fmt}${ext}`);
            }
            const byId = await get(srv, `${BASE}/requests.${fmt}?service_request_id=${c.refs.join(',')}&extensions=true`);
            assert.equal(byId.status, 200);
            for (const r of c.refs) assert.ok(!byId.text.includes(r), `${r} listed by id`);
            const byCode = await get(srv, `${BASE}/requests.${fmt}?service_code=${code}`);
            assert.equal(byCode.status, 200);
            assert.ok(!byCode.text.includes(code), 'listed by service_code');
            const all = await get(srv, `${BASE}/requests.${fmt}?extensions=true`);
            assert.ok(!all.text.includes(code), 'in the plain list');
        }
        const posted = createdId(await post(srv, 'json', await validPostBody(srv, code)));
        assert.equal((await get(srv, `${BASE}/requests/${posted}.json`)).status, 404);
        const services = expectJson(await get(srv, `${BASE}/services.json`));
        assert.ok(services.some((s) => s.service_code === code), 'the service is still offered');
    });
});
