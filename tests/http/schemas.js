'use strict';
/*
 * schemas — the contracts the tests hold guichet's JSON answers to, read from the project's
 * own documents rather than written again here:
 *
 *  - the Open311 JSON Schemas of docs/schemas/open311/*.json (draft 2020-12, one per document
 *    guichet writes), compiled with ajv's 2020-12 class and ajv-formats;
 *  - the JSON API's responses as docs/openapi.yaml declares them (OpenAPI 3.0): each
 *    operation's schema for each status, its `#/components/schemas/...` references resolved,
 *    OpenAPI's `nullable` and `example` turned into their JSON Schema equivalents.
 *
 *   validate('service_requests', list)            Open311 document by schema file name
 *   checkOpen311Answer(method, path, r)           the schema a path and status call for
 *   checkApiAnswer(method, path, r)               the operation's schema for r.status
 *
 * harness.request() calls the two check functions on every answer under /open311/ and
 * /api/v1/, so every test that talks to those endpoints validates what it reads. Each throws
 * an Error naming the schema and listing every violation.
 */

const fs = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');
const OPEN311_DIR = path.join(REPO, 'docs', 'schemas', 'open311');
const OPENAPI_FILE = path.join(REPO, 'docs', 'openapi.yaml');
const OPENAPI_ID = 'urn:guichet:openapi.yaml';
const OPEN311_ID = (name) => `urn:guichet:schemas:open311:${name}.json`;

let ajvInstance = null;

/* One ajv for every schema: strict (an unknown keyword or format is an error in the schema,
 * not a silent pass; but `required` may name a property the enclosing schema defines, as an
 * if/then does), every violation listed. */
function newAjv() {
    const Ajv2020 = require('ajv/dist/2020');
    const addFormats = require('ajv-formats');
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
    addFormats(ajv);
    return ajv;
}

function getAjv() {
    if (ajvInstance) return ajvInstance;
    ajvInstance = newAjv();
    for (const name of open311Names()) ajvInstance.addSchema(readOpen311(name));
    ajvInstance.addSchema(openapi().defs);
    return ajvInstance;
}

/* ---- Open311 ---- */

/* Names of the schema files (without .json), sorted. */
function open311Names() {
    return fs.readdirSync(OPEN311_DIR)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -'.json'.length))
        .sort();
}

function readOpen311(name) {
    return JSON.parse(fs.readFileSync(path.join(OPEN311_DIR, `${name}.json`), 'utf8'));
}

function describe(fn, data, what) {
    const list = fn.errors.map((e) => `  ${e.instancePath || '/'} ${e.message}` +
                                      (e.params ? ' ' + JSON.stringify(e.params) : ''));
    return `${what}:\n${list.join('\n')}\ndata: ${JSON.stringify(data).slice(0, 2000)}`;
}

/* Validates data against docs/schemas/open311/<name>.json; throws an Error listing every
 * violation. Returns true. */
function validate(name, data) {
    const fn = getAjv().getSchema(OPEN311_ID(name));
    if (!fn) throw new Error(`validate: no schema docs/schemas/open311/${name}.json`);
    if (!fn(data)) throw new Error(describe(fn, data, `does not match docs/schemas/open311/${name}.json`));
    return true;
}

/* Validates data against another schema of docs/schemas (file relative to it, e.g.
 * "procedures.schema.json"), compiled once by the same ajv; throws an Error listing every
 * violation. Returns true. */
function validateSchemaFile(file, data) {
    const ajv = getAjv();
    const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'docs', 'schemas', file), 'utf8'));
    const fn = ajv.getSchema(schema.$id) || ajv.compile(schema);
    if (!fn(data)) throw new Error(describe(fn, data, `does not match docs/schemas/${file}`));
    return true;
}

/* Which Open311 document a successful answer to method+path is (null: none in JSON). */
const OPEN311_ROUTES = [
    { re: /^\/open311\/(v2\/)?discovery\.json$/, GET: 'discovery' },
    { re: /^\/open311\/v2\/services\.json$/, GET: 'services' },
    { re: /^\/open311\/v2\/services\/[^/]+\.json$/, GET: 'service_definition' },
    { re: /^\/open311\/v2\/requests\.json$/, GET: 'service_requests', POST: 'post_service_request' },
    { re: /^\/open311\/v2\/requests\/[^/]+\.json$/, GET: 'service_requests' },
    { re: /^\/open311\/v2\/servicerequestupdates\.json$/, GET: 'service_request_updates', POST: 'post_service_request_update' },
];

/* A request target as error messages show it (some tests send 9,000 bytes). */
function shorten(target) {
    return target.length > 200 ? `${target.slice(0, 200)}… (${target.length} bytes)` : target;
}

function isJson(r) {
    return /^application\/json(;|$)/.test(r.headers.get('content-type') || '');
}

/*
 * Checks an answer {status, headers, text, json} to method+path (path with its query)
 * under /open311/: an error (4xx, 5xx) in JSON is the errors document with the HTTP status
 * as code; a success on a .json path is its document. XML answers are not checked here.
 */
function checkOpen311Answer(method, target, r) {
    const pathname = target.split('?')[0];
    const p = shorten(target);
    if (method === 'HEAD') return;
    const jsonPath = pathname.endsWith('.json');
    if (!isJson(r)) {
        if (jsonPath) throw new Error(`${method} ${p}: ${r.status} answered ${r.headers.get('content-type')}, not JSON`);
        return;
    }
    if (r.json === undefined) throw new Error(`${method} ${p}: ${r.status} body is not JSON: ${r.text.slice(0, 300)}`);
    const check = (name) => {
        try {
            validate(name, r.json);
        } catch (e) {
            e.message = `${method} ${p}: ${r.status} ${e.message}`;
            throw e;
        }
    };
    if (r.status >= 400) {
        check('errors');
        if (r.json[0].code !== r.status) {
            throw new Error(`${method} ${p}: errors code ${r.json[0].code} is not the HTTP status ${r.status}`);
        }
        return;
    }
    const route = OPEN311_ROUTES.find((x) => x.re.test(pathname));
    const name = route && route[method];
    if (!name) throw new Error(`${method} ${p}: ${r.status} JSON answer of no known Open311 document`);
    check(name);
}

/* ---- OpenAPI ---- */

let openapiCache = null;

/* OpenAPI keywords that JSON Schema does not have: dropped (`example` becomes `examples`). */
const OPENAPI_ONLY = ['nullable', 'example', 'xml', 'externalDocs', 'discriminator', 'deprecated'];

/* An OpenAPI 3.0 Schema Object as JSON Schema 2020-12: references to components.schemas
 * point into the $defs of OPENAPI_ID, `nullable: true` admits null (added to `type` and to
 * `enum` when the object has them, else the schema becomes anyOf [it, null]: the usual reading
 * of `allOf: [$ref], nullable: true`), `example` becomes `examples`. */
function toJsonSchema(node) {
    if (Array.isArray(node)) return node.map(toJsonSchema);
    if (node === null || typeof node !== 'object') return node;
    const out = {};
    for (const [k, v] of Object.entries(node)) {
        if (k === '$ref') {
            const m = /^#\/components\/schemas\/([^/]+)$/.exec(v);
            if (!m) throw new Error(`openapi.yaml: unsupported $ref ${v}`);
            out.$ref = `${OPENAPI_ID}#/$defs/${m[1]}`;
        } else if (k === 'properties' || k === '$defs') {
            out[k] = Object.fromEntries(Object.entries(v).map(([n, s]) => [n, toJsonSchema(s)]));
        } else if (!OPENAPI_ONLY.includes(k)) {
            out[k] = toJsonSchema(v);
        }
    }
    if (node.example !== undefined) out.examples = [node.example];
    if (node.nullable === true) {
        if (typeof out.type === 'string') {
            out.type = [out.type, 'null'];
            if (out.enum) out.enum = [...out.enum, null];
        } else if (out.type === undefined) {
            const { description, examples, ...rest } = out;
            const wrapped = { anyOf: [rest, { type: 'null' }] };
            if (description !== undefined) wrapped.description = description;
            return wrapped;
        }
    }
    return out;
}

/* Follows a local reference (#/components/responses/X …) inside the OpenAPI document. */
function deref(doc, node) {
    let seen = 0;
    while (node && node.$ref) {
        if (!node.$ref.startsWith('#/') || ++seen > 10) throw new Error(`openapi.yaml: bad $ref ${node.$ref}`);
        node = node.$ref.slice(2).split('/').reduce((o, k) => (o ? o[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
        if (node === undefined) throw new Error(`openapi.yaml: unresolved $ref`);
    }
    return node;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/*
 * docs/openapi.yaml read once: {doc, defs (the JSON Schema of components.schemas),
 * operations: [{operationId, method, template, re, responses: {status: schema|null},
 * headers: {status: [names of the headers the answer declares]}}]}.
 */
function openapi() {
    if (openapiCache) return openapiCache;
    const YAML = require('yaml');
    const doc = YAML.parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
    const defs = { $id: OPENAPI_ID, $defs: {} };
    for (const [name, s] of Object.entries(doc.components.schemas || {})) defs.$defs[name] = toJsonSchema(s);
    const operations = [];
    for (const [template, item] of Object.entries(doc.paths)) {
        const re = new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
            .replace(/\{[^}]+\}/g, '[^/]+') + '$');
        for (const method of METHODS) {
            const op = item[method];
            if (!op) continue;
            if (!op.operationId) throw new Error(`openapi.yaml: ${method} ${template} has no operationId`);
            const responses = {};
            const headers = {};
            for (const [status, ref] of Object.entries(op.responses || {})) {
                const resp = deref(doc, ref);
                const media = (resp.content || {})['application/json'];
                responses[status] = media && media.schema ? toJsonSchema(media.schema) : null;
                headers[status] = Object.keys(resp.headers || {});
            }
            operations.push({ operationId: op.operationId, method: method.toUpperCase(), template, re, responses, headers });
        }
    }
    openapiCache = { doc, defs, operations };
    return openapiCache;
}

/* Operation ids and statuses whose answers were validated in this process. */
const apiCovered = new Set();

const compiled = new Map();
function compiledFor(key, schema) {
    if (!compiled.has(key)) compiled.set(key, getAjv().compile(schema));
    return compiled.get(key);
}

/* The schema openapi.yaml gives an error answer that belongs to no operation (unknown path
 * or method under /api/v1: docs/api.md says every error there has the one shape). */
const ERROR_SCHEMA = { $ref: `${OPENAPI_ID}#/$defs/Error` };

/*
 * Checks an answer {status, headers, text, json} to method+path (path with its query)
 * under /api/v1/ against docs/openapi.yaml: the operation must declare r.status, the answer
 * carry the headers declared for it, and the body be JSON matching the schema declared. An unknown path must answer 404 and
 * a method the path does not have 405, both with the Error schema.
 */
function checkApiAnswer(method, target, r) {
    const pathname = target.split('?')[0];
    const p = shorten(target);
    const ops = openapi().operations.filter((o) => o.re.test(pathname));
    const lookup = method === 'HEAD' ? 'GET' : method;
    const op = ops.find((o) => o.method === lookup);
    let key;
    let schema;
    if (!op) {
        /* Refused before routing (overlong target, rate limit, body) or by the router. */
        const expected = ops.length === 0 ? 404 : 405;
        if (r.status !== expected && ![400, 413, 414, 429, 500, 503].includes(r.status)) {
            throw new Error(`${method} ${p}: ${r.status}, expected ${expected} (${ops.length ? 'no such method' : 'no such path'} in openapi.yaml)`);
        }
        key = `${ops.length ? `${method} ${ops[0].template}` : '(unknown path)'} ${r.status}`;
        schema = ERROR_SCHEMA;
        if (r.status === 405 && !r.headers.has('Allow')) throw new Error(`${method} ${p}: 405 without Allow`);
    } else {
        const status = String(r.status);
        if (!(status in op.responses)) {
            throw new Error(`${method} ${p}: status ${status} is not declared for ${op.operationId} in openapi.yaml ` +
                            `(declared: ${Object.keys(op.responses).join(', ')})\nbody: ${r.text.slice(0, 500)}`);
        }
        key = `${op.operationId} ${status}`;
        schema = op.responses[status];
        for (const h of op.headers[status]) {
            if (!r.headers.has(h)) throw new Error(`${method} ${p}: ${key} declares the header ${h}, absent`);
        }
    }
    if (method === 'HEAD') {
        apiCovered.add(key);
        return;
    }
    if (schema === null) {
        if (r.text.length !== 0) throw new Error(`${method} ${p}: ${key} declares no body, got ${r.text.slice(0, 200)}`);
        apiCovered.add(key);
        return;
    }
    if (!isJson(r)) throw new Error(`${method} ${p}: ${r.status} answered ${r.headers.get('content-type')}, not JSON`);
    if (r.json === undefined) throw new Error(`${method} ${p}: ${r.status} body is not JSON: ${r.text.slice(0, 300)}`);
    const fn = compiledFor(key, schema);
    if (!fn(r.json)) throw new Error(describe(fn, r.json, `${method} ${p}: does not match openapi.yaml ${key}`));
    apiCovered.add(key);
}

/* With GUICHET_SCHEMA_COVERAGE=FILE, the operations and statuses validated are appended to
 * FILE when the process ends (one "operationId status" a line), to list what no test calls. */
if (process.env.GUICHET_SCHEMA_COVERAGE) {
    process.on('exit', () => {
        if (apiCovered.size) fs.appendFileSync(process.env.GUICHET_SCHEMA_COVERAGE, [...apiCovered].join('\n') + '\n');
    });
}

module.exports = {
    validate,
    validateSchemaFile,
    open311Names,
    readOpen311,
    checkOpen311Answer,
    checkApiAnswer,
    openapi,
    toJsonSchema,
    apiCovered,
    newAjv,
    OPENAPI_ID,
};
