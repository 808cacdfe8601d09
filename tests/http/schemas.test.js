'use strict';
/*
 * The contracts themselves, without a guichet server: every Open311 JSON Schema of
 * docs/schemas/open311/ is a valid draft 2020-12 schema that compiles in ajv's strict mode,
 * accepts each of its own `examples` and refuses the broken documents listed here (so that a
 * schema that accepts anything cannot pass); docs/openapi.yaml's components compile, accept
 * their examples and refuse broken requests; and harness.request() really throws when an
 * answer does not match (a fake server answers wrong documents).
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const schemas = require('./schemas');
const { request } = require('./harness');

/* The documents guichet writes in JSON, one file each. */
const OPEN311_DOCUMENTS = [
    'discovery', 'errors', 'post_service_request', 'post_service_request_update',
    'service_definition', 'service_request_updates', 'service_requests', 'services',
];

const clone = (x) => JSON.parse(JSON.stringify(x));

/*
 * Broken documents per schema: each is made from the schema's first example by `mutate`
 * (which edits the copy it is given) and must be refused, with `keyword` among the errors.
 */
const NEGATIVE = {
    discovery: [
        { why: 'a member the schema does not know', keyword: 'additionalProperties', mutate: (d) => { d.jurisdiction = 'x'; } },
        { why: 'no endpoint', keyword: 'minItems', mutate: (d) => { d.endpoints = []; } },
        { why: 'an endpoint type other than production and test', keyword: 'enum', mutate: (d) => { d.endpoints[0].type = 'staging'; } },
        { why: 'a changeset that is not RFC 3339', keyword: 'format', mutate: (d) => { d.changeset = '2026-12-06 00:00'; } },
        { why: 'an endpoint url not ending in /open311/v2', keyword: 'pattern', mutate: (d) => { d.endpoints[0].url = 'https://grc.ville-demo.test/'; } },
        { why: 'an unknown specification', keyword: 'enum', mutate: (d) => { d.endpoints[1].specification = 'http://example.org/spec'; } },
        { why: 'no GeoReport v2 endpoint', keyword: 'contains', mutate: (d) => { d.endpoints.shift(); } },
    ],
    services: [
        { why: 'a batch service (guichet answers every POST at once)', keyword: 'const', mutate: (d) => { d[0].type = 'batch'; } },
        { why: 'metadata as a string', keyword: 'type', mutate: (d) => { d[0].metadata = 'true'; } },
        { why: 'keywords missing instead of null', keyword: 'required', mutate: (d) => { delete d[1].keywords; } },
        { why: 'an object instead of the bare array', keyword: 'type', mutate: (d) => ({ services: d }) },
    ],
    service_definition: [
        { why: 'a list attribute without values', keyword: 'required', mutate: (d) => { delete d.attributes[0].values; } },
        { why: 'values on a datetime attribute', keyword: 'not', mutate: (d) => { d.attributes[1].values = [{ key: 'a', name: 'A' }]; } },
        { why: 'an informational attribute that is required', keyword: 'const', mutate: (d) => { d.attributes[2].required = true; } },
        { why: 'an unknown datatype', keyword: 'enum', mutate: (d) => { d.attributes[1].datatype = 'date'; } },
        { why: 'order as a string', keyword: 'type', mutate: (d) => { d.attributes[0].order = '1'; } },
    ],
    service_requests: [
        { why: 'personal data (the e-mail) written', keyword: 'additionalProperties', mutate: (d) => { d[0].email = 'camille@example.org'; } },
        { why: 'the tracking token written', keyword: 'additionalProperties', mutate: (d) => { d[0].token = 'abc'; } },
        { why: 'a status other than open and closed', keyword: 'enum', mutate: (d) => { d[0].status = 'in_progress'; } },
        { why: 'a description over 4,000 characters', keyword: 'maxLength', mutate: (d) => { d[0].description = 'é'.repeat(4001); } },
        { why: 'a date without offset', keyword: 'format', mutate: (d) => { d[0].requested_datetime = '2026-11-18T16:23:15'; } },
        { why: 'lat without long', keyword: 'type', mutate: (d) => { d[0].long = null; } },
        { why: 'a latitude out of range', keyword: 'maximum', mutate: (d) => { d[0].lat = 91; } },
        { why: 'a member left out instead of null', keyword: 'required', mutate: (d) => { delete d[0].address_id; } },
        { why: 'an id as a number', keyword: 'type', mutate: (d) => { d[0].service_request_id = 36; } },
        { why: 'a media_url that is not http(s)', keyword: 'pattern', mutate: (d) => { d[0].media_url = 'file:///etc/passwd'; } },
        { why: 'notes without the other extension members', keyword: 'dependentRequired', mutate: (d) => { d[0].notes = []; } },
        { why: 'an unknown channel', keyword: 'enum', mutate: () => {
            const d = clone(schemas.readOpen311('service_requests').examples[1]);
            d[0].extended_attributes.channel = 'fax';
            return d;
        } },
    ],
    post_service_request: [
        { why: 'a token (no service is batch)', keyword: 'additionalProperties', mutate: (d) => { d[0].token = 't'; } },
        { why: 'an account_id (personal data)', keyword: 'type', mutate: (d) => { d[0].account_id = '42'; } },
        { why: 'two requests for one POST', keyword: 'maxItems', mutate: (d) => { d.push(clone(d[0])); } },
        { why: 'no service_request_id', keyword: 'required', mutate: (d) => { delete d[0].service_request_id; } },
    ],
    errors: [
        { why: 'an empty list', keyword: 'minItems', mutate: () => [] },
        { why: 'code as a string', keyword: 'type', mutate: (d) => { d[0].code = '400'; } },
        { why: 'a success status as code', keyword: 'minimum', mutate: (d) => { d[0].code = 200; } },
        { why: 'an empty description', keyword: 'minLength', mutate: (d) => { d[0].description = ''; } },
        { why: 'the JSON API error shape', keyword: 'type', mutate: () => ({ error: { code: 'not_found', message: 'x' } }) },
    ],
    service_request_updates: [
        { why: 'a lowercase status', keyword: 'enum', mutate: (d) => { d[0].status = 'in_progress'; } },
        { why: 'a status outside the extension', keyword: 'enum', mutate: (d) => { d[0].status = 'REOPEN'; } },
        { why: 'no update_id', keyword: 'required', mutate: (d) => { delete d[0].update_id; } },
        { why: 'description left out instead of null', keyword: 'required', mutate: (d) => { delete d[1].description; } },
        { why: 'external_status_code left out', keyword: 'required', mutate: (d) => { delete d[0].external_status_code; } },
        { why: 'an update_id that is no event id', keyword: 'pattern', mutate: (d) => { d[0].update_id = 'abc'; } },
        { why: 'a description over 4,000 characters', keyword: 'maxLength', mutate: (d) => { d[0].description = 'x'.repeat(4001); } },
        { why: 'a date without offset', keyword: 'format', mutate: (d) => { d[0].updated_datetime = '2026-11-24 08:46'; } },
        { why: 'a member the schema does not know', keyword: 'additionalProperties', mutate: (d) => { d[0].email = 'a@b.c'; } },
        { why: 'a media_url that is not a URL', keyword: 'format', mutate: (d) => { d[0].media_url = 'photo.jpg'; } },
    ],
    post_service_request_update: [
        { why: 'an empty list', keyword: 'minItems', mutate: () => [] },
        { why: 'update_id as a number', keyword: 'type', mutate: (d) => { d[0].update_id = 1816; } },
        { why: 'an account_id (personal data)', keyword: 'additionalProperties', mutate: (d) => { d[0].account_id = '42'; } },
    ],
};

/* Errors of validating data against compiled schema fn (empty when valid). */
function errorsOf(fn, data) {
    return fn(data) ? [] : fn.errors;
}

test('Open311 JSON Schemas (docs/schemas/open311/)', async (t) => {
    await t.test('one file per document guichet writes, and no other', () => {
        assert.deepEqual(schemas.open311Names(), [...OPEN311_DOCUMENTS].sort());
    });

    for (const name of OPEN311_DOCUMENTS) {
        await t.test(`${name}.json is a valid draft 2020-12 schema, accepts its examples, refuses broken documents`, () => {
            const doc = schemas.readOpen311(name);
            assert.equal(doc.$schema, 'https://json-schema.org/draft/2020-12/schema');
            assert.equal(doc.$id, `urn:guichet:schemas:open311:${name}.json`);
            assert.equal(typeof doc.title, 'string');
            assert.equal(typeof doc.description, 'string');
            /* A fresh ajv: the schema against the meta-schema, then compiled in strict mode. */
            const ajv = schemas.newAjv();
            assert.ok(ajv.validateSchema(doc), JSON.stringify(ajv.errors));
            const fn = ajv.compile(doc);

            assert.ok(Array.isArray(doc.examples) && doc.examples.length > 0, 'the schema has examples');
            for (const [i, ex] of doc.examples.entries()) {
                assert.deepEqual(errorsOf(fn, ex), [], `example ${i} of ${name}.json`);
                assert.ok(schemas.validate(name, ex));
            }

            const cases = NEGATIVE[name];
            assert.ok(cases && cases.length > 0, `${name} has negative examples`);
            for (const c of cases) {
                const d = clone(doc.examples[0]);
                const broken = c.mutate(d) ?? d;
                const errs = errorsOf(fn, broken);
                assert.ok(errs.length > 0, `${name}: ${c.why} must be refused`);
                assert.ok(errs.some((e) => e.keyword === c.keyword),
                          `${name}: ${c.why}: expected a ${c.keyword} error, got ${JSON.stringify(errs)}`);
                assert.throws(() => schemas.validate(name, broken), /does not match docs\/schemas\/open311\//);
            }
        });
    }
});

test('docs/openapi.yaml', async (t) => {
    const { doc, defs, operations } = schemas.openapi();

    await t.test('every component schema compiles, and accepts its example', () => {
        const ajv = schemas.newAjv();
        ajv.addSchema(defs);
        let examples = 0;
        for (const name of Object.keys(defs.$defs)) {
            const fn = ajv.getSchema(`${schemas.OPENAPI_ID}#/$defs/${name}`);
            assert.ok(fn, name);
            for (const ex of defs.$defs[name].examples || []) {
                assert.deepEqual(errorsOf(fn, ex), [], `example of ${name}`);
                examples++;
            }
        }
        assert.ok(examples > 0);
    });

    await t.test('every operation has an id and a JSON schema for each answer with a body', () => {
        assert.deepEqual(operations.map((o) => o.operationId).sort(),
                         ['addNote', 'getCaller', 'getRequest', 'getStats', 'getWorkflow', 'listRequests', 'updateRequest']);
        for (const op of operations) {
            for (const [status, schema] of Object.entries(op.responses)) {
                assert.ok(schema, `${op.operationId} ${status} declares an application/json schema`);
            }
            assert.ok(Object.keys(op.responses).some((s) => /^2/.test(s)), op.operationId);
        }
        assert.equal(doc.openapi, '3.0.3');
    });

    await t.test('the request schemas refuse broken requests', () => {
        const ajv = schemas.newAjv();
        ajv.addSchema(defs);
        const get = (n) => ajv.getSchema(`${schemas.OPENAPI_ID}#/$defs/${n}`);
        const list = ajv.compile(operations.find((o) => o.operationId === 'listRequests').responses['200']);
        const item = {
            reference: '2026-000123', status: 'in_progress', status_label: 'en cours',
            procedure: { code: 'nid-de-poule', name: 'Nid de poule', icon: 'traffic-cone' }, department: null, channel: 'web',
            description: null, public_description: null, location: { lat: 45.764, long: 4.8357 }, address: null, address_id: null,
            zipcode: null, media_url: null, attributes: { taille: 'grand', types: ['a', 'b'] },
            contact: { first_name: null, last_name: null, email: null, phone: null }, assignee: null,
            priority: 'normal', created_at: '2026-03-02T09:14:05+01:00',
            updated_at: '2026-03-03T16:40:00+01:00', closed_at: null, due_at: null, status_notes: null,
            lang: 'fr', merged_into: null,
        };
        const event = {
            id: 1812, kind: 'status', public: true, actor: 'api:x', channel: 'api',
            status_from: 'acknowledged', status_to: 'in_progress', body: 'x', created_at: '2026-03-03T16:40:00+01:00',
        };
        const one = Object.assign(clone(item), { timeline: [event] });
        assert.deepEqual(errorsOf(get('Request'), item), []);
        assert.deepEqual(errorsOf(get('RequestWithTimeline'), one), []);
        assert.deepEqual(errorsOf(list, { data: [item], next_cursor: null }), []);
        const refused = [
            ['RequestWithTimeline', item, 'a single request without its timeline'],
            [list, { data: [one], next_cursor: null }, 'a list item with a timeline'],
            [list, { data: [item] }, 'a list without next_cursor'],
            ['Request', Object.assign(clone(item), { secret: 1 }), 'an unknown member'],
            /* Statuses are each workflow's codes: any of their shape, nothing else. */
            ['Request', Object.assign(clone(item), { status: 'In Progress' }), 'a status that is no code'],
            ['Request', Object.assign(clone(item), { status: '' }), 'an empty status'],
            ['Request', Object.assign(clone(item), { created_at: '2026-03-02' }), 'a bare date'],
            ['Request', Object.assign(clone(item), { priority: null }), 'a null priority'],
            ['Request', Object.assign(clone(item), { procedure: { code: 'x', name: 'x' } }), 'a procedure without its icon'],
            ['Request', Object.assign(clone(item), { procedure: { code: 'x', name: 'x', icon: '<svg>' } }), 'an icon that is not a name'],
            ['RequestWithTimeline', Object.assign(clone(item), { timeline: [Object.assign(clone(event), { kind: 'x' })] }), 'an unknown event kind'],
            ['Error', { error: { code: 'teapot', message: 'x' } }, 'an unknown error code'],
            ['Error', [{ code: 404, description: 'x' }], 'the Open311 error shape'],
        ];
        const workflow = {
            procedure: 'permis', code: 'demarche', name: 'Démarche administrative',
            statuses: [{ code: 'submitted', label: 'déposée', citizen_label: 'déposée', open311: 'open',
                         extended_status: null, citizen_visible: true, initial: true, final: false },
                       { code: 'refused', label: 'refusée', citizen_label: 'refusée', open311: 'closed',
                         extended_status: 'NO_FURTHER_ACTION', citizen_visible: true, initial: false, final: true }],
            transitions: [{ from: 'submitted', to: 'refused', label: 'Refuser', comment_required: true }],
        };
        assert.deepEqual(errorsOf(get('Workflow'), workflow), []);
        const status0 = (patch) => Object.assign(clone(workflow), { statuses: [Object.assign(clone(workflow.statuses[0]), patch)] });
        refused.push(
            ['Workflow', status0({ open311: 'ouvert' }), 'an Open311 mapping other than open or closed'],
            ['Workflow', status0({ extended_status: 'FINI' }), 'an extended status FixMyStreet does not know'],
            ['Workflow', status0({ colour: 'red' }), 'a status member the API does not write'],
            ['Workflow', Object.assign(clone(workflow), { transitions: [{ from: 'submitted', to: 'refused', label: 'x' }] }),
             'a transition without comment_required'],
        );
        const caller = {
            phone: '+33612345678', known: true,
            contact: { first_name: 'Camille', last_name: null, email: null },
            accounts: [{ name: null, email: 'camille@example.org', lang: 'fr', notify: 'sms' }],
            count: 1,
            requests: [{ reference: '2026-000123', procedure: 'nid-de-poule', procedure_name: 'Nid de poule',
                         status: 'new', status_label: 'nouvelle', created_at: '2026-03-02T09:14:05+01:00',
                         closed_at: null, closed: false }],
        };
        assert.deepEqual(errorsOf(get('Caller'), caller), []);
        refused.push(
            ['Caller', Object.assign(clone(caller), { phone: '06 12 34 56 78' }), 'a number not in E.164'],
            ['Caller', Object.assign(clone(caller), { accounts: [{ email: 'x@example.org', lang: 'fr', notify: 'fax' }] }),
             'an account without its name, or with a notice channel guichet does not have'],
            ['Caller', Object.assign(clone(caller), { requests: [Object.assign(clone(caller.requests[0]), { phone: 'x' })] }),
             'a request member the API does not write'],
        );
        const figures = {
            count: 12, answered: 9, closed: 8, reopened: 1, median_first_answer_s: 3600, p90_first_answer_s: 86400,
            median_close_s: 172800, p90_close_s: 604800, closed_on_time: 6, closed_late: 2, overdue: 1,
            ratings: 3, mean_rating: 4.33, supporters: 5,
        };
        const stats = { groups: [Object.assign({ key: 'nord' }, figures), Object.assign({ key: null }, figures)], total: figures };
        assert.deepEqual(errorsOf(get('Stats'), stats), []);
        assert.deepEqual(errorsOf(get('Stats'), { groups: [], total: Object.assign(clone(figures), { ratings: 0, mean_rating: null }) }), []);
        const total = (patch) => ({ groups: [], total: Object.assign(clone(figures), patch) });
        const noOverdue = clone(figures);
        delete noOverdue.overdue;
        refused.push(
            ['Stats', total({ mean_rating: 6 }), 'a mean rating above 5'],
            ['Stats', total({ mean_rating: 0 }), 'a mean rating below 1 (none is null)'],
            ['Stats', total({ closed_late: -1 }), 'a negative count'],
            ['Stats', { groups: [], total: noOverdue }, 'figures without the overdue count'],
        );
        for (const [schema, data, why] of refused) {
            const fn = typeof schema === 'string' ? get(schema) : schema;
            assert.ok(errorsOf(fn, data).length > 0, `${why} must be refused`);
        }
    });
});

test('harness.request() refuses answers that do not match their schema', async (t) => {
    /* A fake server: wrong documents where guichet's would be. */
    const answers = {
        '/open311/v2/services.json': [200, [{ service_code: 'x' }]],
        '/open311/v2/requests/2026-000001.json': [404, [{ code: 400, description: 'wrong code' }]],
        '/open311/v2/discovery.json': [200, { changeset: 'x' }],
        '/api/v1/requests': [200, { data: [], next_cursor: null, total: 0 }],
        '/api/v1/requests/2026-000001': [418, { error: { code: 'not_found', message: 'x' } }],
        '/api/v1/nowhere': [200, { ok: true }],
    };
    const server = http.createServer((req, res) => {
        const a = answers[req.url.split('?')[0]];
        res.writeHead(a[0], { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(a[1]));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${server.address().port}`;
    try {
        for (const p of Object.keys(answers)) {
            await t.test(p, async () => {
                await assert.rejects(request(base, 'GET', p), /does not match|not declared|expected 404|code 400 is not/);
                const r = await request(base, 'GET', p, { schema: false });
                assert.equal(r.status, answers[p][0]);
            });
        }
    } finally {
        server.close();
    }
});
