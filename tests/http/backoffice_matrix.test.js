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
 * Also: an action without a valid CSRF token changes nothing; sessions end after 30 minutes
 * idle and after 12 hours; the second-factor steps give nothing without the password.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const crypto = require('node:crypto');
const F = require('../browser/bo_flows');

/* The roles of the matrix, in the order of the columns below. */
const ROLES = ['anon', 'agentA', 'agentB', 'managerA', 'elected', 'admin'];

/* Expectations: a page (200), the login redirect, refusals (403, 404), an action carried out
 * (303 elsewhere than the login page, or the 200/201 page some actions answer with) that
 * changed the database. */
const OK = 200;
const LOGIN = 'login'; /* 303 to /agent/connexion?retour=… */
const NO = 403;
const NF = 404;
const DONE = 'done'; /* 303 (not to the login page) and the database changed */
const DONE200 = 'done200'; /* 200 and the database changed */
const DONE201 = 'done201'; /* 201 and the database changed */

/* Everyone logged in may; élus only read. */
const READ = { anon: LOGIN, agentA: OK, agentB: OK, managerA: OK, elected: OK, admin: OK };
/* A request of A: its department, its manager, élus (read) and admins. */
const OBJ_READ = { anon: LOGIN, agentA: OK, agentB: NF, managerA: OK, elected: OK, admin: OK };
const OBJ_CHANGE = { anon: LOGIN, agentA: DONE, agentB: NF, managerA: DONE, elected: NO, admin: DONE };
/* Writing a letter of a request of A: who may change it; élus read only. */
const OBJ_WRITE = { anon: LOGIN, agentA: OK, agentB: NF, managerA: OK, elected: NO, admin: OK };
const OBJ_ASSIGN = { anon: LOGIN, agentA: NO, agentB: NF, managerA: DONE, elected: NO, admin: DONE };
const ADMIN_GET = { anon: LOGIN, agentA: NO, agentB: NO, managerA: NO, elected: NO, admin: OK };
const ADMIN_POST = { anon: LOGIN, agentA: NO, agentB: NO, managerA: NO, elected: NO, admin: DONE };

/*
 * ROUTES: [method, path(ctx, o), {role: expectation}, options]. `o` is what the case is
 * about: ctx.reqA (a request of department A with known personal data) unless options.fresh
 * (a new request of A for each role: state-changing actions) or options.setup(ctx, role)
 * gives something else. options.form(ctx, o) gives a POST's fields (the CSRF token is added).
 * Every refusal is checked for leaks of ctx.reqA / o and for an unchanged database.
 */
const ROUTES = [
    /* the inbox: tabs, filters, search, the SLA views */
    ['GET', () => '/agent/', READ],
    ['GET', () => '/agent', READ],
    ['GET', () => '/agent/?onglet=moi', READ],
    ['GET', () => '/agent/?onglet=service', READ, { listsReq: { agentB: false } }],
    ['GET', () => '/agent/?onglet=tout', READ, { listsReq: { agentB: false } }],
    ['GET', (c) => `/agent/?onglet=service&q=${encodeURIComponent(c.reqA.email)}`, READ, { listsReq: { agentB: false }, findsReq: ['agentA', 'managerA'] }],
    ['GET', (c) => `/agent/?onglet=tout&q=${encodeURIComponent(c.reqA.last)}`, READ, { listsReq: { agentB: false }, findsReq: ['elected', 'admin'] }],
    ['GET', () => '/agent/?onglet=tout&service=voirie&statut=new&tri=priorite', READ, { listsReq: { agentB: false } }],
    ['GET', () => '/agent/?vue=retard', READ, { listsReq: { agentB: false } }],
    ['GET', () => '/agent/?vue=aujourdhui', READ, { listsReq: { agentB: false } }],
    /* the inbox's exports: the same scope as the list */
    ['GET', () => '/agent/export/csv?onglet=tout', READ, { listsReq: { agentB: false } }],
    /* a request */
    ['GET', (c) => `/agent/demandes/${c.reqA.reference}`, OBJ_READ],
    ['GET', () => '/agent/demandes/1999-999999', { anon: LOGIN, agentA: NF, agentB: NF, managerA: NF, elected: NF, admin: NF }],
    ['GET', () => '/agent/demandes/pas-une-reference', { anon: LOGIN, agentA: NF, agentB: NF, managerA: NF, elected: NF, admin: NF }],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/traiter`, OBJ_CHANGE, { fresh: true, form: () => ({ note: 'Note interne de la matrice.' }) }],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/traiter`, OBJ_CHANGE, { fresh: true, label: 'reply', form: () => ({ reponse: 'Bonjour, votre demande est prise en charge.' }) }],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/traiter`, OBJ_CHANGE, { fresh: true, label: 'status', form: () => ({ statut: 'in_progress' }) }],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/traiter`, OBJ_ASSIGN, { fresh: true, label: 'assign', form: (c) => ({ assigner: c.assignee.agentA }) }],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/traiter`, OBJ_ASSIGN, { fresh: true, label: 'transfer', form: () => ({ service: 'proprete' }) }],
    ['GET', (c) => `/agent/demandes/${c.reqA.reference}/redaction?modele=${c.letterTemplate}`, OBJ_WRITE],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/redaction`, OBJ_CHANGE,
     { fresh: true, form: (c) => ({ modele: String(c.letterTemplate), action: 'emettre', subject: 'Objet', body: 'Texte du courrier.' }) }],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/fusionner`, OBJ_CHANGE, { fresh: true, form: (c) => ({ conserver: c.reqA.reference, confirmer: '1' }) }],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/publication`, OBJ_CHANGE, { fresh: true, form: () => ({ public: '1' }) }],
    ['POST', (c, r) => `/agent/terrain/${r.reference}`, OBJ_CHANGE, { fresh: true, form: () => ({ action: 'resolu', note: 'Réparé sur place.' }) }],
    /* bulk actions: managers and admins */
    ['POST', () => '/agent/lot', { anon: LOGIN, agentA: NO, agentB: NO, managerA: DONE, elected: NO, admin: DONE },
     { fresh: true, form: (c, r) => ({ ids: r.reference, action: 'assigner', agent: c.assignee.agentA }) }],
    /* saved filters: everyone's own */
    ['POST', () => '/agent/filtres', { anon: LOGIN, agentA: DONE, agentB: DONE, managerA: DONE, elected: DONE, admin: DONE },
     { form: (c) => ({ nom: `Filtre ${c.seq()}`, requete: 'onglet=service&statut=new' }) }],
    ['POST', (c, o) => `/agent/filtres/${o.filter}/supprimer`, { anon: LOGIN, agentA: DONE, agentB: NF, managerA: NF, elected: NF, admin: NF },
     { setup: (c) => ({ filter: c.newFilter('agentA') }) }],
    /* broadcasts: managers and admins */
    ['GET', () => '/agent/diffusions', { anon: LOGIN, agentA: NO, agentB: NO, managerA: OK, elected: NO, admin: OK }],
    /* the dashboards: managers, élus and admins (figures only, no request's data) */
    ['GET', () => '/agent/pilotage', { anon: LOGIN, agentA: NO, agentB: NO, managerA: OK, elected: OK, admin: OK }],
    ['GET', () => '/agent/pilotage?periode=annee&granularite=mois&service=voirie', { anon: LOGIN, agentA: NO, agentB: NO, managerA: OK, elected: OK, admin: OK }],
    ['GET', () => '/agent/pilotage/carte?periode=annee&statut=ouvertes', { anon: LOGIN, agentA: NO, agentB: NO, managerA: OK, elected: OK, admin: OK }],
    ['GET', () => '/agent/pilotage/carte.geojson?periode=annee', { anon: LOGIN, agentA: NO, agentB: NO, managerA: OK, elected: OK, admin: OK }],
    ['GET', () => '/agent/diffusions/999999', { anon: LOGIN, agentA: NO, agentB: NO, managerA: NF, elected: NO, admin: NF }],
    /* intake and the mobile view */
    /* the caller lookup: anyone logged in, each seeing the caller's requests of their scope */
    ['GET', () => '/agent/appel', READ],
    ['GET', (c) => `/agent/appel?tel=${encodeURIComponent(c.reqA.phone)}`, READ, { listsReq: { agentB: false }, findsReq: ['agentA', 'managerA', 'elected', 'admin'] }],
    ['GET', () => '/agent/saisie', { anon: LOGIN, agentA: OK, agentB: OK, managerA: OK, elected: NO, admin: OK }],
    ['POST', () => '/agent/saisie', { anon: LOGIN, agentA: DONE201, agentB: DONE201, managerA: DONE201, elected: NO, admin: DONE201 },
     { form: (c) => ({ canal: 'counter', demarche: 'nid-de-poule', description: 'Saisi au guichet : un trou devant la mairie.',
                       adresse: '1 place de la Mairie', lat: '45.764', long: '4.8357', nom: 'Guichetier', prenom: 'Paul',
                       email: `paul.${c.seq()}@exemple.fr`, attr_taille: c.tailleKey }) }],
    ['GET', () => '/agent/terrain?lat=45.764&long=4.8357', READ, { listsReq: { agentB: false } }],
    /* administration: admins only */
    /* the areas: admins, and managers read only (the areas their broadcasts target) */
    ['GET', () => '/agent/admin/zones', { anon: LOGIN, agentA: NO, agentB: NO, managerA: OK, elected: NO, admin: OK }],
    ...['/agent/admin', '/agent/admin/services', '/agent/admin/agents', '/agent/admin/demarches',
        '/agent/admin/demarches/nouvelle', '/agent/admin/demarches/nid-de-poule', '/agent/admin/cles', '/agent/admin/certificats',
        '/agent/admin/collectivite', '/agent/admin/audit', '/agent/admin/audit?apres=0', '/agent/admin/registre',
        '/agent/admin/registre/imprimer', '/agent/admin/registre.csv', '/agent/admin/registre.json',
        '/agent/admin/export', '/agent/admin/conservation', '/agent/admin/comptes',
        '/agent/admin/comptes?email=personne%40exemple.fr', '/agent/admin/modeles-courriers',
        '/agent/admin/modeles-courriers/apercu?modele=1'].map((p) => ['GET', () => p, ADMIN_GET]),
    ...['/agent/admin/conservation/bordereaux/999999', '/agent/admin/conservation/bordereaux/999999/csv'].map((p) =>
        ['GET', () => p, Object.assign({}, ADMIN_GET, { admin: NF })]),
    ['GET', (c) => `/agent/admin/agents/${c.agents.agentA.id}`, ADMIN_GET],
    ['GET', () => '/agent/admin/agents/999999', Object.assign({}, ADMIN_GET, { admin: NF })],
    ['GET', () => '/agent/admin/demarches/inconnue', Object.assign({}, ADMIN_GET, { admin: NF })],
    ['POST', () => '/agent/admin/services', ADMIN_POST, { form: (c) => ({ code: `svc-${c.seq().replace('.', '-')}`, name: 'Service de test' }) }],
    ['POST', () => '/agent/admin/agents', ADMIN_POST,
     { form: (c) => ({ email: `nouvel.agent.${c.seq()}@ville-demo.test`, name: 'Agent Nouveau', role: 'agent', departments: 'voirie', password: F.PASSWORD }) }],
    ['POST', (c) => `/agent/admin/agents/${c.agents.spare.id}`, ADMIN_POST,
     { form: (c) => ({ action: 'save', name: `Agent Renommé ${c.seq()}`, role: 'agent', departments: 'voirie' }) }],
    ['POST', () => '/agent/admin/demarches/nouvelle', ADMIN_POST,
     { form: (c) => ({ code: `proc-${c.seq().replace('.', '-')}`, name: 'Démarche de test', kind: 'incident', department: 'voirie', delay_days: '5', active: '1' }) }],
    ['POST', () => '/agent/admin/demarches/graffiti', ADMIN_POST,
     { form: (c) => ({ name: 'Tag ou graffiti', group_name: 'Signaler un problème', description: `Modifiée ${c.seq()}`, kind: 'incident', department: 'proprete', delay_days: '7', active: '1', open311: '1', is_public: '1' }) }],
    ['POST', () => '/agent/admin/modeles-courriers', ADMIN_POST,
     { form: (c) => ({ name: `Modèle ${c.seq()}`, kind: 'letter', lang: 'fr', subject: 'Objet', body: 'Texte {reference}.' }) }],
    ['POST', (c, o) => `/agent/admin/modeles-courriers/${o.tpl}/supprimer`, ADMIN_POST, { setup: (c) => ({ tpl: c.newTemplate() }) }],
    ['POST', () => '/agent/admin/cles', Object.assign({}, ADMIN_POST, { admin: DONE200 }), { form: (c) => ({ name: `Clé ${c.seq()}`, scope: 'api' }) }],
    ['POST', (c, o) => `/agent/admin/cles/${o.key}/revoquer`, ADMIN_POST, { setup: (c) => ({ key: c.newKey() }) }],
    ['POST', () => '/agent/admin/collectivite', ADMIN_POST,
     { form: (c) => ({ name: 'Ville de Démo', contact: `Mairie, 1 place de la Mairie (${c.seq()})` }) }],
    ['POST', () => '/agent/admin/audit/verifier', ADMIN_GET],
    /* the parapheur: élus and admins (who may sign); sending: who may change the request */
    ['GET', () => '/agent/parapheur', { anon: LOGIN, agentA: NO, agentB: NO, managerA: NO, elected: OK, admin: OK }],
    ['GET', () => '/agent/parapheur/999999', { anon: LOGIN, agentA: NO, agentB: NO, managerA: NO, elected: NF, admin: NF }],
    ['POST', () => '/agent/parapheur/999999/signer', { anon: LOGIN, agentA: NO, agentB: NO, managerA: NO, elected: NF, admin: NF }, { form: () => ({ pin: '0000' }) }],
    ['POST', () => '/agent/parapheur/999999/refuser', { anon: LOGIN, agentA: NO, agentB: NO, managerA: NO, elected: NF, admin: NF }, { form: () => ({ comment: 'Non.' }) }],
    ['POST', () => '/agent/parapheur/selection', { anon: LOGIN, agentA: NO, agentB: NO, managerA: NO, elected: 400, admin: 400 }, { form: () => ({ c: '999999' }) }],
    ['POST', () => '/agent/parapheur/delegation', { anon: LOGIN, agentA: NO, agentB: NO, managerA: NO, elected: DONE, admin: 400 },
     { form: (c) => ({ delegate: String(c.agents.admin.id), starts_on: '2030-01-01', ends_on: '2030-01-02' }) }],
    ['GET', (c) => `/agent/demandes/${c.reqA.reference}/signature`, OBJ_WRITE],
    ['POST', (c, r) => `/agent/demandes/${r.reference}/signature`, { anon: LOGIN, agentA: 400, agentB: NF, managerA: 400, elected: NO, admin: 400 },
     { fresh: true, form: () => ({ document: '', elu1: '' }) }],
    ['GET', () => '/agent/admin/signatures', ADMIN_GET],
    ['POST', () => '/agent/admin/signatures/delegations', ADMIN_POST,
     { form: (c) => ({ delegate: String(c.agents.admin.id), principal: String(c.agents.elected.id), starts_on: '2030-02-01', ends_on: '2030-02-02' }) }],
    ['POST', () => '/agent/admin/signatures/delegations/999999/supprimer', Object.assign({}, ADMIN_POST, { admin: NF })],
    /* a citizen's data (RGPD): admins only, whatever the department */
    ['POST', () => '/agent/admin/export', ADMIN_GET, { form: (c) => ({ email: c.reqA.email }) }],
    /* retention: the archives' visa, a bordereau's visa, a citizen's account deleted */
    ['POST', () => '/agent/admin/conservation', ADMIN_POST, { form: () => ({ archives_visa: '1' }) }],
    ['POST', () => '/agent/admin/conservation/bordereaux/999999/viser', Object.assign({}, ADMIN_POST, { admin: NF }), { form: () => ({ confirm: '1' }) }],
    ['POST', () => '/agent/admin/comptes/999999/supprimer', Object.assign({}, ADMIN_POST, { admin: NF }), { form: () => ({ confirm: '1' }) }],
];

/* A digest of everything an action could change (the audit log, sessions and the outbox's
 * delivery state move on their own and are left out; the outbox counts by its rows). */
let fingerprintTables = null;
function fingerprint(srv) {
    if (!fingerprintTables) {
        fingerprintTables = srv.sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' " +
                                    "AND name NOT LIKE '%fts%' AND name NOT LIKE '%session%' AND name NOT IN " +
                                    "('audit_log', 'outbox', 'config_version', 'settings') ORDER BY name")
            .trim().split('\n').filter(Boolean);
    }
    /* One sqlite3 run for every table; lines sorted per table (tables WITHOUT ROWID have no
     * rowid to order by). */
    const script = fingerprintTables.map((t) => `SELECT '#${t}'; SELECT * FROM "${t}";`).join(' ') +
        " SELECT '#outbox'; SELECT count(*) FROM outbox;";
    const h = crypto.createHash('sha256');
    for (const chunk of srv.sql(script).split(/^#/m)) h.update(chunk.split('\n').sort().join('\n'));
    return h.digest('hex');
}

let srv;
const ctx = { agents: {}, clients: {}, assignee: {} };
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
        ctx.assignee[key] = `agent:${key.toLowerCase()}.${process.pid}`;
    };
    add('agentA', 'agent', ['voirie']);
    add('agentB', 'agent', ['proprete']);
    add('managerA', 'manager', ['voirie']);
    add('elected', 'elected', []);
    add('admin', 'admin', []);
    add('spare', 'agent', ['voirie']);
    for (const role of ROLES) {
        ctx.clients[role] = role === 'anon' ? new F.Client(srv, 'anon') : await F.login(srv, ctx.agents[role]);
    }
    ctx.letterTemplate = Number(srv.sql('SELECT min(id) FROM letter_templates').trim());
    /* The request of department A every read is about, and one of B. */
    ctx.reqA = await F.fileRequest(srv, { service: 'nid-de-poule' });
    ctx.reqB = await F.fileRequest(srv, { service: 'depot-sauvage' });
    assert.equal(ctx.reqA.department, 'voirie', 'nid-de-poule is not routed to voirie');
    assert.equal(ctx.reqB.department, 'proprete', 'depot-sauvage is not routed to proprete');
    const def = await H.serviceDefinition(srv, 'nid-de-poule');
    const taille = (def.attributes || []).find((a) => a.code === 'taille');
    ctx.tailleKey = taille && taille.values && taille.values.length ? taille.values[0].key : '';
    /* A saved filter of agentA (by the page, so that it is the agent's own). */
    ctx.newFilter = (role) => {
        const name = `Filtre à supprimer ${ctx.seq()}`;
        srv.sql(`INSERT INTO saved_filters (tenant_id, agent_id, name, query) SELECT tenant_id, id, ${F.sqlq(name)}, 'onglet=tout' FROM agents WHERE id = ${ctx.agents[role].id}`);
        return Number(srv.sql(`SELECT id FROM saved_filters WHERE name = ${F.sqlq(name)}`).trim());
    };
    ctx.newTemplate = () => {
        const name = `Modèle à supprimer ${ctx.seq()}`;
        srv.sql('INSERT INTO letter_templates (tenant_id, name, kind, lang, version, subject, body, updated_at) ' +
                `SELECT id, ${F.sqlq(name)}, 'letter', 'fr', 1, 'Objet', 'Texte.', 0 FROM tenants ORDER BY id LIMIT 1`);
        return Number(srv.sql(`SELECT id FROM letter_templates WHERE name = ${F.sqlq(name)}`).trim());
    };
    ctx.newKey = () => {
        const name = `cle-a-revoquer-${ctx.seq()}`;
        const r = srv.guichet(['apikey', 'create', '--db', srv.db, '--name', name, '--scope', 'api']);
        assert.equal(r.status, 0, r.stderr);
        return Number(srv.sql(`SELECT id FROM api_keys WHERE name = ${F.sqlq(name)}`).trim());
    };
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

/* Checks one response against its expectation; returns a failure message or null. */
function judge(r, expect, label) {
    const body = () => F.textOf(r.text).slice(0, 600);
    if (expect === LOGIN) {
        if (r.status !== 303) return `${label}: ${r.status}, expected 303 to the login page`;
        const where = F.locPath(r, srv);
        if (!where.startsWith('/agent/connexion')) return `${label}: 303 to «${where}», expected the login page`;
        return null;
    }
    if (expect === DONE) {
        if (r.status !== 303) return `${label}: ${r.status}, expected 303 after the action:\n${body()}`;
        const where = F.locPath(r, srv);
        if (where.startsWith('/agent/connexion')) return `${label}: sent to the login page, expected the action done`;
        return null;
    }
    if (expect === DONE200 || expect === DONE201) {
        const want = expect === DONE200 ? 200 : 201;
        if (r.status !== want) return `${label}: ${r.status}, expected ${want} after the action:\n${body()}`;
        return null;
    }
    if (r.status !== expect) return `${label}: ${r.status}, expected ${expect}:\n${body()}`;
    return null;
}

for (const [method, pathOf, expect, opts = {}] of ROUTES) {
    const name = `${method} ${pathOf({ reqA: { reference: '{ref}', email: '{email}', last: '{name}' }, agents: { agentA: { id: '{id}' }, spare: { id: '{id}' } }, letterTemplate: '{id}' },
                                     { reference: '{ref}', filter: '{id}', key: '{id}', tpl: '{id}' })}${opts.label ? ' (' + opts.label + ')' : ''}`;
    test(`matrix: ${name}`, async () => {
        const failures = [];
        for (const role of ROLES) {
            assert.ok(role in expect, `${name}: no expectation for ${role}`);
            const want = expect[role];
            let o = ctx.reqA;
            if (opts.fresh) o = await F.fileRequest(srv, { service: 'nid-de-poule' });
            if (opts.setup) o = opts.setup(ctx, role);
            const path = pathOf(ctx, o);
            const client = ctx.clients[role];
            const refused = want === LOGIN || want === NO || want === NF;
            const before = method === 'POST' ? fingerprint(srv) : null;
            let r;
            if (method === 'GET') {
                r = await client.get(path);
            } else {
                r = await client.post(path, opts.form ? opts.form(ctx, o) : {});
            }
            const label = `${method} ${path}${opts.label ? ' (' + opts.label + ')' : ''} as ${role}`;
            const bad = judge(r, want, label);
            if (bad) failures.push(bad);
            const leaks = [ctx.reqA];
            if (o && o.email && o !== ctx.reqA) leaks.push(o);
            if (refused) {
                for (const req of leaks) {
                    try {
                        F.assertNoLeak(r.text, req, label, path);
                    } catch (e) {
                        failures.push(e.message);
                    }
                }
                /* Out of scope answers exactly as unknown: nothing tells that it exists. */
                if (want === NF && o && o.reference && path.includes(o.reference)) {
                    const ghost = path.replace(o.reference, '2026-999999');
                    const g = method === 'GET' ? await client.get(ghost) : await client.post(ghost, opts.form ? opts.form(ctx, o) : {});
                    const norm = (t, p) => F.withoutEcho(t, p).replace(/name="csrf_token" value="[^"]*"/g, '');
                    if (g.status !== r.status || norm(g.text, ghost) !== norm(r.text, path)) {
                        failures.push(`${label}: the answer differs from the one for an unknown reference (${g.status}): the request's existence shows`);
                    }
                }
                if (method === 'POST' && fingerprint(srv) !== before) failures.push(`${label}: refused (${r.status}), but the database changed`);
            } else if (method === 'POST' && [DONE, DONE200, DONE201].includes(want) && !bad) {
                if (fingerprint(srv) === before) failures.push(`${label}: answered ${r.status}, but nothing changed in the database`);
            }
            if (r.status === 200 && opts.listsReq && opts.listsReq[role] === false) {
                try {
                    F.assertNoLeak(r.text, ctx.reqA, `${label} (a list of another department)`, path);
                } catch (e) {
                    failures.push(e.message);
                }
            }
            if (r.status === 200 && opts.findsReq && opts.findsReq.includes(role) && !F.unescapeHtml(r.text).includes(ctx.reqA.reference)) {
                failures.push(`${label}: does not list ${ctx.reqA.reference}, which this role may see`);
            }
        }
        assert.equal(failures.length, 0, `\n${failures.join('\n')}`);
    });
}

test('an agent of B sees nothing of A in any tab, filter or search; A does', async () => {
    const b = ctx.clients.agentB;
    const a = ctx.clients.agentA;
    const req = ctx.reqA;
    const queries = ['', '?onglet=moi', '?onglet=service', '?onglet=tout', `?onglet=tout&q=${encodeURIComponent(req.reference)}`,
                     `?onglet=tout&q=${encodeURIComponent(req.last)}`, `?onglet=tout&q=${encodeURIComponent(req.phone)}`,
                     `?onglet=tout&q=${encodeURIComponent('témoin ' + req.tag)}`, '?onglet=tout&statut=new',
                     '?onglet=tout&service=voirie', '?onglet=tout&demarche=nid-de-poule', '?onglet=tout&canal=api',
                     '?onglet=tout&agent=aucun', '?onglet=tout&tri=ancien', '?vue=retard',
                     '?onglet=tout&vue=retard', '?onglet=tout&vue=aujourdhui'];
    for (const q of queries) {
        const r = await b.get('/agent/' + q);
        assert.ok([200, 400, 403].includes(r.status), `agent B: GET /agent/${q}: ${r.status}`);
        F.assertNoLeak(r.text, req, `agent B: GET /agent/${q}`, '/agent/');
    }
    /* The search does find it for A: the absence above is the permission, not a broken search. */
    for (const q of [req.reference, req.email, req.last]) {
        const r = await a.get(`/agent/?onglet=service&q=${encodeURIComponent(q)}`);
        assert.equal(r.status, 200);
        assert.ok(F.unescapeHtml(r.text).includes(req.reference), `agent A: searching «${q}» does not list ${req.reference}`);
    }
    /* And B finds its own department's request. */
    const own = await b.get(`/agent/?onglet=service&q=${encodeURIComponent(ctx.reqB.reference)}`);
    assert.ok(F.unescapeHtml(own.text).includes(ctx.reqB.reference), 'agent B does not find its own request');
    const page = await b.get(`/agent/demandes/${ctx.reqB.reference}`);
    assert.equal(page.status, 200, 'agent B cannot open a request of its own department');
});

test('bulk action naming a request of another department: skipped, nothing changes', async () => {
    /* A manager of A selecting a request of B (an id typed in the form): none is changed. */
    const m = ctx.clients.managerA;
    const before = fingerprint(srv);
    const r = await m.post('/agent/lot', { ids: ctx.reqB.reference, action: 'assigner', agent: ctx.assignee.managerA });
    assert.ok([403, 404, 303].includes(r.status), `POST /agent/lot with another department's reference: ${r.status}`);
    if (r.status === 303) assert.match(F.locPath(r, srv), /[?&]n=0\b/, `the bulk answer counts a change: ${F.locPath(r, srv)}`);
    assert.equal(fingerprint(srv), before, 'a manager of A changed a request of B through the bulk form');
    F.assertNoLeak(r.text, ctx.reqB, 'bulk refusal');
    /* Élus and agents: refused outright, even for their own. */
    for (const role of ['agentB', 'elected']) {
        const x = await ctx.clients[role].post('/agent/lot', { ids: ctx.reqB.reference, action: 'statut', statut: 'rejected' });
        assert.equal(x.status, 403, `bulk as ${role}: ${x.status}`);
    }
    assert.equal(fingerprint(srv), before, 'a refused bulk action changed something');
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

test('CSRF: an action without the token, or with another session\'s, is refused and changes nothing', async () => {
    const req = await F.fileRequest(srv, { service: 'nid-de-poule' });
    const a = ctx.clients.agentA;
    const before = fingerprint(srv);
    const none = await a.req('POST', `/agent/demandes/${req.reference}/traiter`, { form: { note: 'Sans jeton.' } });
    assert.equal(none.status, 403, `no token: ${none.status}`);
    const other = await a.req('POST', `/agent/demandes/${req.reference}/traiter`,
                              { form: { csrf_token: ctx.clients.managerA.csrf, note: 'Jeton d\'un autre.' } });
    assert.equal(other.status, 403, `another session's token: ${other.status}`);
    const bulk = await ctx.clients.managerA.req('POST', '/agent/lot', { form: { ids: req.reference, action: 'assigner', agent: ctx.assignee.agentA } });
    assert.equal(bulk.status, 403, `bulk without a token: ${bulk.status}`);
    assert.equal(fingerprint(srv), before, 'a POST without a valid CSRF token changed something');
    F.assertNoLeak(none.text, req, 'CSRF refusal', `/agent/demandes/${req.reference}/traiter`);
});

test('sessions end after 30 minutes idle and after 12 hours: back to the login page, nothing shown', async () => {
    const agent = F.addAgent(srv, { email: `expire.${process.pid}@ville-demo.test`, name: 'Agent Expire', role: 'agent', departments: ['voirie'] });
    const now = Math.floor(Date.now() / 1000);
    const page = `/agent/demandes/${ctx.reqA.reference}`;
    /* Idle: last seen 31 minutes ago. */
    let c = await F.login(srv, agent);
    srv.sql(`UPDATE sessions SET last_seen_at = ${now - 31 * 60} WHERE agent_id = ${agent.id}`);
    let r = await c.get(page);
    assert.equal(r.status, 303, `after 31 idle minutes: ${r.status}`);
    assert.match(F.locPath(r, srv), /^\/agent\/connexion\?.*expiree=1/, `after 31 idle minutes, sent to «${F.locPath(r, srv)}»`);
    F.assertNoLeak(r.text, ctx.reqA, 'idle session');
    /* Active, but opened 12 hours ago. */
    c = await F.login(srv, agent);
    srv.sql(`UPDATE sessions SET created_at = ${now - 12 * 3600 - 60}, expires_at = ${now - 60} WHERE agent_id = ${agent.id}`);
    r = await c.get(page);
    assert.equal(r.status, 303, `after 12 hours: ${r.status}`);
    assert.match(F.locPath(r, srv), /^\/agent\/connexion/);
    /* And a fresh one still works (the checks above are the expiry, not a broken login). */
    c = await F.login(srv, agent);
    assert.equal((await c.get(page)).status, 200);
});

test('the second-factor steps open nothing without a correct password first', async () => {
    const c = new F.Client(srv, 'no-password');
    for (const p of [F.CODE, F.ENROL]) {
        const r = await c.get(p);
        assert.equal(r.status, 303, `GET ${p} without a pending login: ${r.status}`);
        assert.match(F.locPath(r, srv), /^\/agent\/connexion/);
        assert.doesNotMatch(r.text, /totp-secret/, `GET ${p} shows a secret without a login`);
        const post = await c.post(p, { code: '123456' });
        assert.ok([303, 400, 403].includes(post.status), `POST ${p} without a pending login: ${post.status}`);
        assert.ok(!c.jar.has(F.COOKIE), `POST ${p} without a pending login gave a session`);
    }
    /* A wrong password: no pending step, no session. */
    const w = await c.post(F.LOGIN, { email: ctx.agents.admin.email, password: 'pas le bon mot de passe' });
    assert.notEqual(w.status, 303, 'a wrong password redirected somewhere');
    assert.ok(!c.jar.has(F.COOKIE));
    const after = await c.get(F.CODE);
    assert.equal(after.status, 303, `the code step after a wrong password: ${after.status}`);
});
