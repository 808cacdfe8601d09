'use strict';
/*
 * The back office's access-control matrix against a real `guichet serve` on the demo commune:
 * every back-office route (the GET pages and the POST actions, listed in ROUTES below) as
 * every role — logged out, an agent of department A (voirie), an agent of department B
 * (propreté), a manager of A, an élu, an admin — with the status each must get (200, 303 to
 * the login page, 403, 404 or the 303 of a done action) and, for every refusal, no data of
 * the request in the body (reference, citizen's e-mail, names, phone, description) and no
 * change in the database. A request of A opened by an agent of B is a 404 (as if it did not
 * exist). Lists and searches of B show nothing of A. The citizens' portal and the JSON API
 * are untouched by an agent's session, and a citizen's session opens nothing under /agent/.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');

/* The roles of the matrix, in the order of the columns below. */
const ROLES = ['anon', 'agentA', 'agentB', 'managerA', 'elected', 'admin'];

/* Shorthands for expectations: a page, the login redirect, refusals, a done action. */
const OK = 200;
const LOGIN = 'login'; /* 303 to /agent/connexion?retour=… */
const NO = 403;
const NF = 404;
const DONE = 'done'; /* 303 elsewhere than the login page: the action was carried out */

/*
 * ROUTES: [method, path(ctx, req), {role: expectation}, options]. `req` is the request of
 * department A the route is about (a fresh one per case when options.fresh: state-changing
 * actions); ctx holds the other fixtures. form(ctx, req) gives a POST's fields (the CSRF
 * token is added). A refusal is checked for leaks of req and for the absence of changes.
 */
const ROUTES = [
    /* the inbox and its tabs, filters and search */
    ['GET', () => '/agent/', { anon: LOGIN, agentA: OK, agentB: OK, managerA: OK, elected: OK, admin: OK }],
    ['GET', () => '/agent/?onglet=service', { anon: LOGIN, agentA: OK, agentB: OK, managerA: OK, elected: OK, admin: OK }],
    ['GET', () => '/agent/?onglet=tout', { anon: LOGIN, agentA: OK, agentB: OK, managerA: OK, elected: OK, admin: OK }],
    ['GET', (c, r) => `/agent/?q=${encodeURIComponent(r.email)}`, { anon: LOGIN, agentA: OK, agentB: OK, managerA: OK, elected: OK, admin: OK }, { listsReq: { agentB: false } }],
    /* a request */
    ['GET', (c, r) => `/agent/demandes/${r.reference}`, { anon: LOGIN, agentA: OK, agentB: NF, managerA: OK, elected: OK, admin: OK }],
    ['GET', () => '/agent/demandes/1999-999999', { anon: LOGIN, agentA: NF, agentB: NF, managerA: NF, elected: NF, admin: NF }],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/note`, { anon: LOGIN, agentA: DONE, agentB: NF, managerA: DONE, elected: NO, admin: DONE },
     { fresh: true, form: () => ({ body: 'Note interne de la matrice.' }) }],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/statut`, { anon: LOGIN, agentA: DONE, agentB: NF, managerA: DONE, elected: NO, admin: DONE },
     { fresh: true, form: () => ({ status: 'in_progress' }) }],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/assigner`, { anon: LOGIN, agentA: DONE, agentB: NF, managerA: DONE, elected: NO, admin: DONE },
     { fresh: true, form: (c) => ({ assignee: String(c.agents.agentA.id) }) }],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/reponse`, { anon: LOGIN, agentA: DONE, agentB: NF, managerA: DONE, elected: NO, admin: DONE },
     { fresh: true, form: () => ({ body: 'Bonjour, votre demande est prise en charge.' }) }],
    /* bulk actions: managers and admins */
    ['POST', () => '/agent/lot', { anon: LOGIN, agentA: NO, agentB: NO, managerA: DONE, elected: NO, admin: DONE },
     { fresh: true, form: (c, r) => ({ ids: String(r.id), action: 'assign', assignee: String(c.agents.agentA.id) }) }],
    /* intake and the mobile view */
    ['GET', () => '/agent/saisie', { anon: LOGIN, agentA: OK, agentB: OK, managerA: OK, elected: NO, admin: OK }],
    ['GET', () => '/agent/terrain?lat=45.764&lon=4.8357', { anon: LOGIN, agentA: OK, agentB: OK, managerA: OK, elected: NO, admin: OK }, { listsReq: { agentB: false } }],
    /* administration: admins only */
    ...['/agent/admin/', '/agent/admin/services', '/agent/admin/agents', '/agent/admin/demarches',
        '/agent/admin/cles', '/agent/admin/apparence', '/agent/admin/audit'].map((p) =>
        ['GET', () => p, { anon: LOGIN, agentA: NO, agentB: NO, managerA: NO, elected: NO, admin: OK }]),
    ['POST', () => '/agent/admin/agents', { anon: LOGIN, agentA: NO, agentB: NO, managerA: NO, elected: NO, admin: DONE },
     { form: (c) => ({ email: `nouvel.agent.${c.seq()}@ville-demo.test`, name: 'Agent Nouveau', role: 'agent', department: 'voirie' }),
       noChange: (srv) => srv.sql('SELECT count(*) FROM agents') }],
];

/* Everything of request req that a refusal must leave as it was. */
function snapshot(srv, req) {
    return srv.sql(`SELECT status, assignee, priority, department_id, updated_at, ` +
                   `(SELECT count(*) FROM request_events e WHERE e.request_id = r.id) ` +
                   `FROM requests r WHERE r.id = ${req.id}`);
}

let srv;
const ctx = { agents: {}, clients: {} };
let n = 0;
ctx.seq = () => `${process.pid}.${++n}`;

test.before(async () => {
    srv = await H.startServer({ requests: 40 });
    const add = (key, role, departments) => {
        ctx.agents[key] = F.addAgent(srv, {
            email: `${key.toLowerCase()}.${process.pid}@ville-demo.test`,
            name: `Matrice ${key}`,
            role,
            departments,
        });
    };
    add('agentA', 'agent', ['voirie']);
    add('agentB', 'agent', ['proprete']);
    add('managerA', 'manager', ['voirie']);
    add('elected', 'elected', []);
    add('admin', 'admin', []);
    for (const role of ROLES) {
        ctx.clients[role] = role === 'anon' ? new F.Client(srv, 'anon') : await F.login(srv, ctx.agents[role]);
    }
    /* The request of department A every read is about, and one of B. */
    ctx.reqA = await F.fileRequest(srv, { service: 'nid-de-poule' });
    ctx.reqB = await F.fileRequest(srv, { service: 'depot-sauvage' });
    assert.equal(ctx.reqA.department, 'voirie', 'nid-de-poule is not routed to voirie');
    assert.equal(ctx.reqB.department, 'proprete', 'depot-sauvage is not routed to proprete');
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

/* Checks one response against its expectation; returns a failure message or null. */
function judge(r, expect, label) {
    if (expect === LOGIN) {
        if (r.status !== 303) return `${label}: ${r.status}, expected 303 to the login page`;
        const where = F.locPath(r, srv);
        if (!where.startsWith('/agent/connexion')) return `${label}: 303 to «${where}», expected the login page`;
        return null;
    }
    if (expect === DONE) {
        if (r.status !== 303) return `${label}: ${r.status}, expected 303 after the action:\n${F.textOf(r.text).slice(0, 600)}`;
        const where = F.locPath(r, srv);
        if (where.startsWith('/agent/connexion')) return `${label}: sent to the login page, expected the action done`;
        return null;
    }
    if (r.status !== expect) return `${label}: ${r.status}, expected ${expect}:\n${F.textOf(r.text).slice(0, 400)}`;
    return null;
}

for (const [method, pathOf, expect, opts = {}] of ROUTES) {
    const name = `${method} ${pathOf({}, { reference: '{ref}', email: '{email}', id: '{id}' })}`;
    test(`matrix: ${name}`, async () => {
        const failures = [];
        for (const role of ROLES) {
            assert.ok(role in expect, `${name}: no expectation for ${role}`);
            const want = expect[role];
            const req = opts.fresh ? await F.fileRequest(srv, { service: 'nid-de-poule' }) : ctx.reqA;
            const path = pathOf(ctx, req);
            const client = ctx.clients[role];
            const refused = want === LOGIN || want === NO || want === NF;
            const before = method === 'POST' ? snapshot(srv, req) : null;
            const extraBefore = method === 'POST' && opts.noChange ? opts.noChange(srv) : null;
            let r;
            if (method === 'GET') {
                r = await client.get(path);
            } else {
                const fields = opts.form ? opts.form(ctx, req) : {};
                r = await client.post(path, fields);
            }
            const label = `${method} ${path} as ${role}`;
            const bad = judge(r, want, label);
            if (bad) failures.push(bad);
            if (refused) {
                try {
                    F.assertNoLeak(r.text, req, label);
                } catch (e) {
                    failures.push(e.message);
                }
                if (method === 'POST') {
                    const after = snapshot(srv, req);
                    if (after !== before) failures.push(`${label}: refused, but the request changed: «${before.trim()}» → «${after.trim()}»`);
                    if (opts.noChange && opts.noChange(srv) !== extraBefore) failures.push(`${label}: refused, but the data changed`);
                }
            } else if (method === 'POST' && want === DONE) {
                const after = snapshot(srv, req);
                if (!opts.noChange && after === before) failures.push(`${label}: answered 303, but the request did not change`);
            }
            if (r.status === 200 && opts.listsReq && opts.listsReq[role] === false) {
                try {
                    F.assertNoLeak(r.text, req, `${label} (a list of another department)`);
                } catch (e) {
                    failures.push(e.message);
                }
            }
        }
        assert.equal(failures.length, 0, `\n${failures.join('\n')}`);
    });
}

test('an agent of B sees nothing of A in any tab, filter or search; A does', async () => {
    const b = ctx.clients.agentB;
    const a = ctx.clients.agentA;
    const req = ctx.reqA;
    const queries = ['', '?onglet=service', '?onglet=tout', `?q=${encodeURIComponent(req.reference)}`,
                     `?q=${encodeURIComponent(req.last)}`, `?q=${encodeURIComponent(req.phone)}`,
                     `?q=${encodeURIComponent('témoin ' + req.tag)}`, '?statut=new', '?service=voirie'];
    for (const q of queries) {
        const r = await b.get('/agent/' + q);
        assert.ok([200, 400, 403].includes(r.status), `agent B: GET /agent/${q}: ${r.status}`);
        F.assertNoLeak(r.text, req, `agent B: GET /agent/${q}`);
    }
    /* The search does find it for A: the absence above is the permission, not a broken search. */
    for (const q of [req.reference, req.email, req.last]) {
        const r = await a.get(`/agent/?onglet=tout&q=${encodeURIComponent(q)}`);
        assert.equal(r.status, 200);
        assert.ok(F.unescapeHtml(r.text).includes(req.reference), `agent A: searching «${q}» does not list ${req.reference}`);
    }
    /* And B finds its own department's request. */
    const own = await b.get(`/agent/?onglet=tout&q=${encodeURIComponent(ctx.reqB.reference)}`);
    assert.ok(F.unescapeHtml(own.text).includes(ctx.reqB.reference), 'agent B does not find its own request');
    const page = await b.get(`/agent/demandes/${ctx.reqB.reference}`);
    assert.equal(page.status, 200, 'agent B cannot open a request of its own department');
});

test('bulk action with a request of A among B\'s: refused, nothing changes', async () => {
    /* A manager of A selecting a request of B (an id typed in the form): none is changed. */
    const m = ctx.clients.managerA;
    const before = snapshot(srv, ctx.reqB);
    const r = await m.post('/agent/lot', { ids: String(ctx.reqB.id), action: 'assign', assignee: String(ctx.agents.managerA.id) });
    assert.ok([403, 404, 303, 400].includes(r.status), `POST /agent/lot with another department's id: ${r.status}`);
    assert.equal(snapshot(srv, ctx.reqB), before, 'a manager of A changed a request of B through the bulk form');
    F.assertNoLeak(r.text, ctx.reqB, 'bulk refusal');
});

test('a session is one realm: agent cookies open nothing on the portal or the API, citizen cookies nothing under /agent/', async () => {
    const agent = ctx.clients.admin;
    /* Portal: the agent is not a logged-in citizen. */
    const mine = await agent.get('/mes-demandes');
    assert.equal(mine.status, 303, `/mes-demandes with an agent cookie: ${mine.status}`);
    assert.match(F.locPath(mine, srv), /^\/compte\/connexion/);
    const prefs = await agent.get('/compte/preferences');
    assert.equal(prefs.status, 303, `/compte/preferences with an agent cookie: ${prefs.status}`);
    /* JSON API: a session is no API key. */
    const api = await agent.get('/api/v1/requests');
    assert.equal(api.status, 401, `/api/v1/requests with an agent cookie: ${api.status}`);
    const one = await agent.get(`/api/v1/requests/${ctx.reqA.reference}`);
    assert.equal(one.status, 401);
    F.assertNoLeak(one.text, ctx.reqA, 'API with an agent cookie');
    /* An agent's session token as a citizen's cookie: not a citizen's session. */
    const token = agent.jar.get(F.COOKIE);
    const asCitizen = new F.Client(srv, 'swapped');
    asCitizen.jar.set('guichet_session', token);
    const r = await asCitizen.get('/mes-demandes');
    assert.equal(r.status, 303, `/mes-demandes with the agent's token as guichet_session: ${r.status}`);
    /* A citizen's session cookie under /agent/: the login page. */
    const citizen = new F.Client(srv, 'citizen');
    citizen.jar.set(F.COOKIE, 'x'.repeat(43));
    const g = await citizen.get('/agent/');
    assert.equal(g.status, 303);
    assert.match(F.locPath(g, srv), /^\/agent\/connexion/);
    /* The API key still works and gives JSON, not a back-office page. */
    const k = await H.request(srv, 'GET', `/api/v1/requests/${ctx.reqA.reference}`, { headers: { Authorization: `Bearer ${srv.keys.api}` } });
    assert.equal(k.status, 200);
    assert.equal(k.json.reference || k.json.service_request_id || ctx.reqA.reference, ctx.reqA.reference);
});

test('after logout the cookie opens nothing; a forged or stale cookie neither', async () => {
    const agent = await F.login(srv, ctx.agents.agentA);
    const token = agent.jar.get(F.COOKIE);
    const out = await agent.post(F.LOGOUT, {});
    assert.equal(out.status, 303, `logout: ${out.status}`);
    const stale = new F.Client(srv, 'stale');
    stale.jar.set(F.COOKIE, token);
    const r = await stale.get(`/agent/demandes/${ctx.reqA.reference}`);
    assert.equal(r.status, 303, `the request page with a logged-out session cookie: ${r.status}`);
    assert.match(F.locPath(r, srv), /^\/agent\/connexion/);
    F.assertNoLeak(r.text, ctx.reqA, 'stale cookie');
});
