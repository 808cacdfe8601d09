'use strict';
/*
 * bench/soak.js — the load generator of `make soak` (bench/soak starts the server and runs
 * this). SOAK_USERS virtual users, each a loop over a weighted mix of what a mairie's
 * guichet sees in a day — Open311 reads, portal pages, Open311 creates, citizens filing an
 * incident with a photo, citizens logging in and out, agents working their inbox — for
 * SOAK_SECONDS, against the server at SOAK_URL, while the server's memory (VmRSS of
 * SOAK_PID) is sampled every SOAK_SAMPLE_S seconds.
 *
 * Every answer is checked against the status its action expects; anything else, a network
 * error or a timeout (30 s) is an error. At the end: per-action and per-request counts with
 * p50/p99 latencies, the RSS series per minute, the flatness verdict (see bench/README.md),
 * and $SOAK_DIR/summary.json for bench/soak. Exit 0 when there was no error and memory was
 * flat, 1 otherwise, 2 when the set-up itself failed.
 *
 * Environment (set by bench/soak): SOAK_URL, SOAK_DB, SOAK_KEY (open311 API key), SOAK_PID,
 * SOAK_DIR (where the photos are and the summary goes), SOAK_SECONDS (600), SOAK_USERS (16),
 * SOAK_THINK_MS (mean pause between two actions of a user, 0 = none), SOAK_SAMPLE_S (5),
 * SOAK_CITIZENS (8 accounts made at set-up), SOAK_SEED.
 */

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const URL_BASE = must('SOAK_URL');
const DB = must('SOAK_DB');
const KEY = must('SOAK_KEY');
const PID = Number(must('SOAK_PID'));
const DIR = must('SOAK_DIR');
const SECONDS = num('SOAK_SECONDS', 600);
const USERS = num('SOAK_USERS', 16);
const THINK_MS = num('SOAK_THINK_MS', 50);
const SAMPLE_S = num('SOAK_SAMPLE_S', 5);
const CITIZENS = num('SOAK_CITIZENS', 8);
const TIMEOUT_MS = 30000;
const WARMUP = 0.2; /* the first 20 % of the run is warm-up for the memory rule */
/* Flatness bound: end RSS may exceed the baseline by less than this (bench/README.md). */
const FLAT_PCT = 0.10;
const FLAT_MIB = 16;
const DEMO_PASSWORD = 'demo-guichet-2026';
const CITIZEN_PASSWORD = 'une phrase de passe pour le soak';
/* An agent logs out after this many back-office actions, and logs in again at the next. */
const AGENT_SESSION_ACTIONS = 40;

function must(name) {
    const v = process.env[name];
    if (!v) {
        console.error(`soak.js: ${name} is not set (run bench/soak)`);
        process.exit(2);
    }
    return v;
}

function num(name, def) {
    const v = process.env[name];
    if (v === undefined || v === '') return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) {
        console.error(`soak.js: ${name}=${v} is not a non-negative number`);
        process.exit(2);
    }
    return n;
}

/* ---- small helpers ---- */

let seed = num('SOAK_SEED', Date.now() % 2147483647) || 1;
/* Park–Miller: a seeded generator, so that SOAK_SEED replays the same choices. */
function rand() {
    seed = (seed * 48271) % 2147483647;
    return (seed - 1) / 2147483646;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sql(query) {
    return execFileSync('sqlite3', ['-batch', '-noheader', DB, query], { encoding: 'utf8', maxBuffer: 64 << 20 })
        .split('\n').filter((l) => l.length);
}

function decodeEntities(s) {
    return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (m, e) => {
        const l = e.toLowerCase();
        if (l === 'amp') return '&';
        if (l === 'lt') return '<';
        if (l === 'gt') return '>';
        if (l === 'quot') return '"';
        if (l === 'apos') return "'";
        if (l.startsWith('#x')) return String.fromCodePoint(parseInt(l.slice(2), 16));
        return String.fromCodePoint(parseInt(l.slice(1), 10));
    });
}

const csrfOf = (html) => {
    const m = /name="csrf_token" value="([^"]+)"/.exec(html);
    return m ? m[1] : null;
};

/* ---- the forms of a page, filled like a browser (after tests/http/files.test.js) ---- */

function attrs(s) {
    const out = {};
    for (const m of s.matchAll(/([\w:-]+)(?:\s*=\s*"([^"]*)")?/g)) out[m[1].toLowerCase()] = m[2] === undefined ? '' : decodeEntities(m[2]);
    return out;
}

function parseForms(html) {
    const forms = [];
    for (const fm of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
        const a = attrs(fm[1]);
        const controls = [];
        const re = /<input\b([^>]*)>|<textarea\b([^>]*)>([\s\S]*?)<\/textarea>|<select\b([^>]*)>([\s\S]*?)<\/select>/g;
        for (const m of fm[2].matchAll(re)) {
            if (m[1] !== undefined) {
                const x = attrs(m[1]);
                controls.push({ tag: 'input', type: (x.type || 'text').toLowerCase(), name: x.name,
                                value: x.value || '', checked: 'checked' in x, inputmode: x.inputmode });
            } else if (m[2] !== undefined) {
                const x = attrs(m[2]);
                controls.push({ tag: 'textarea', type: 'textarea', name: x.name, value: decodeEntities(m[3]) });
            } else {
                const x = attrs(m[4]);
                const options = [...m[5].matchAll(/<option\b([^>]*)>/g)].map((o) => attrs(o[1]));
                const sel = options.find((o) => 'selected' in o);
                controls.push({ tag: 'select', type: 'select', name: x.name, value: sel ? sel.value : '',
                                options: options.map((o) => o.value) });
            }
        }
        forms.push({ action: a.action || '', method: (a.method || 'get').toLowerCase(),
                     enctype: a.enctype || 'application/x-www-form-urlencoded', controls });
    }
    return forms;
}

function sampleFor(c) {
    const n = (c.name || '').toLowerCase();
    if (n === 'lat') return (45.75 + rand() * 0.03).toFixed(5);
    if (n === 'long' || n === 'lon') return (4.82 + rand() * 0.03).toFixed(5);
    if (/adress|address/.test(n)) return `${1 + Math.floor(rand() * 120)} rue de la République`;
    if (/e-?mail|courriel/.test(n) || c.type === 'email') return `usager.${Math.floor(rand() * 1e6)}@exemple.fr`;
    if (/phone|tel/.test(n) || c.type === 'tel') return '0601020304';
    if (/first_name|prenom/.test(n)) return 'Jeanne';
    if (/last_name|nom$/.test(n)) return 'Martin';
    if (c.inputmode === 'decimal') return String(1 + Math.floor(rand() * 9));
    switch (c.type) {
    case 'number': return '3';
    case 'date': return '2026-03-01';
    case 'datetime-local': return '2026-03-01T10:00';
    case 'time': return '10:00';
    case 'textarea': return 'Constaté ce matin en passant : merci de faire le nécessaire rapidement.';
    default: return 'Valeur de test';
    }
}

/* The fields a browser sends for `form` with every empty control filled; `file` goes to the
 * form's file inputs. */
function fill(form, file) {
    const fields = [];
    const done = new Set();
    for (const c of form.controls) {
        if (!c.name) continue;
        if (c.type === 'file') {
            if (file) fields.push([c.name, file]);
            continue;
        }
        if (c.type === 'radio') {
            if (done.has(c.name)) continue;
            const group = form.controls.filter((x) => x.name === c.name && x.type === 'radio');
            fields.push([c.name, (group.find((x) => x.checked) || group[0]).value]);
            done.add(c.name);
            continue;
        }
        if (c.type === 'checkbox') {
            if (c.checked || !done.has(c.name)) fields.push([c.name, c.value || 'on']);
            done.add(c.name);
            continue;
        }
        if (c.type === 'submit' || c.type === 'reset' || c.type === 'image' || c.type === 'search') continue;
        if (c.tag === 'select') {
            fields.push([c.name, c.value || c.options.find((v) => v) || '']);
            continue;
        }
        if (c.type === 'hidden' || c.value) {
            fields.push([c.name, c.value]);
            continue;
        }
        fields.push([c.name, sampleFor(c)]);
    }
    return fields;
}

/* ---- measures ---- */

const steps = new Map(); /* step name → {n, errors, ms: []} */
const actions = new Map(); /* action name → {n, errors, ms: []} */
const errorLog = []; /* the first errors, in full */
const errorKinds = new Map(); /* "step: what" → count */
const minutes = []; /* per minute of the run: {actions, errors, rss: []} */
let t0 = 0;

function bucket(map, name) {
    let b = map.get(name);
    if (!b) map.set(name, (b = { n: 0, errors: 0, ms: [] }));
    return b;
}

function minute() {
    /* The last sample, taken at the very end, belongs to the run's last minute. */
    const last = Math.max(0, Math.ceil(SECONDS / 60) - 1);
    const i = Math.min(last, Math.max(0, Math.floor((Date.now() - t0) / 60000)));
    while (minutes.length <= i) minutes.push({ actions: 0, errors: 0, rss: [] });
    return minutes[i];
}

class SoakError extends Error {}

function fail(step, what, detail) {
    const kind = `${step}: ${what}`;
    errorKinds.set(kind, (errorKinds.get(kind) || 0) + 1);
    if (errorLog.length < 20) errorLog.push(`t=${((Date.now() - t0) / 1000).toFixed(1)}s ${kind}${detail ? '\n    ' + detail : ''}`);
    throw new SoakError(kind);
}

/* A browser without JavaScript: a cookie jar, redirects not followed. */
class Browser {
    constructor() {
        this.jar = new Map();
    }

    /* One HTTP request, timed and counted under `step`; the status must be one of `expect`. */
    async send(step, method, p, { body, headers = {}, expect = [200], binary = false } = {}) {
        const h = Object.assign({ 'Accept-Language': 'fr' }, headers);
        if (this.jar.size) h.Cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
        const b = bucket(steps, step);
        const start = performance.now();
        let r;
        let text = '';
        let buf = null;
        try {
            r = await fetch(URL_BASE + p, { method, headers: h, body, redirect: 'manual',
                                            signal: AbortSignal.timeout(TIMEOUT_MS) });
            if (binary) buf = Buffer.from(await r.arrayBuffer());
            else text = await r.text();
        } catch (e) {
            b.n++;
            b.errors++;
            const what = e.name === 'TimeoutError' ? `timeout after ${TIMEOUT_MS / 1000} s`
                : `network error: ${(e.cause && (e.cause.code || e.cause.message)) || e.message}`;
            fail(step, what, `${method} ${p}`);
        }
        b.n++;
        b.ms.push(performance.now() - start);
        for (const c of r.headers.getSetCookie()) {
            const [pair, ...rest] = c.split(';');
            const i = pair.indexOf('=');
            const name = pair.slice(0, i).trim();
            const value = pair.slice(i + 1).trim();
            if (value === '' || rest.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.jar.delete(name);
            else this.jar.set(name, value);
        }
        if (!expect.includes(r.status)) {
            b.errors++;
            fail(step, `status ${r.status} (expected ${expect.join(' or ')})`,
                 `${method} ${p} → ${(text || '').replace(/\s+/g, ' ').slice(0, 300)}`);
        }
        return { status: r.status, text, buf, location: r.headers.get('location') };
    }

    get(step, p, opts = {}) {
        return this.send(step, 'GET', p, opts);
    }

    postForm(step, p, fields, opts = {}) {
        const q = new URLSearchParams();
        for (const [k, v] of fields) q.append(k, v);
        return this.send(step, 'POST', p, Object.assign({}, opts, {
            body: q.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        }));
    }

    postMultipart(step, p, fields, opts = {}) {
        const fd = new FormData();
        for (const [k, v] of fields) {
            if (typeof v === 'string') fd.append(k, v);
            else fd.append(k, new Blob([v.data], { type: v.type }), v.name);
        }
        return this.send(step, 'POST', p, Object.assign({}, opts, { body: fd }));
    }
}

/* ---- what the set-up finds ---- */

const world = {
    refs: [], /* references of Open311-exposed requests */
    created: [], /* ring of references created during the run */
    services: [], /* Open311 service definitions: {code, attributes} */
    procedures: [], /* every procedure code (portal form pages) */
    incidents: [], /* procedures filed through the portal with a photo */
    agents: [], /* {email, refs} */
    citizens: [], /* e-mail addresses of verified accounts */
    photos: [], /* {name, type, data} */
};

const counts = { open311Created: 0, portalFiled: 0, photos: 0 };

/* ---- the actions ---- */

function listQuery() {
    const q = new URLSearchParams();
    if (rand() < 0.8) q.set('service_code', pick(world.services).code);
    const st = rand();
    if (st < 0.5) q.set('status', 'open');
    else if (st < 0.7) q.set('status', 'closed');
    q.set('page_size', String(pick([10, 20, 50])));
    return q.toString();
}

async function open311Read(b) {
    if (rand() < 0.75) {
        const ref = world.created.length && rand() < 0.2 ? pick(world.created) : pick(world.refs);
        const r = await b.get('open311 GET request', `/open311/v2/requests/${ref}.json`);
        if (!r.text.startsWith('[{"service_request_id"')) fail('open311 GET request', 'not a request', r.text.slice(0, 200));
    } else {
        const r = await b.get('open311 GET list', `/open311/v2/requests.json?${listQuery()}`);
        if (!r.text.startsWith('[')) fail('open311 GET list', 'not a JSON array', r.text.slice(0, 200));
    }
}

async function portalPage(b) {
    const x = rand();
    if (x < 0.34) await b.get('portal GET /', '/');
    else if (x < 0.67) await b.get('portal GET form', `/demarches/${pick(world.procedures)}`);
    else await b.get('portal GET /signalements', rand() < 0.7 ? '/signalements' : '/signalements?etat=ouverts');
}

function sampleValue(a) {
    switch (a.datatype) {
    case 'number': return String(1 + Math.floor(rand() * 9));
    case 'datetime': return new Date(Date.now() - 3600e3).toISOString().replace(/\.\d{3}Z$/, 'Z');
    case 'singlevaluelist':
    case 'multivaluelist': return pick(a.values).key;
    default: return 'Relevé pendant le soak';
    }
}

async function open311Create(b) {
    const s = pick(world.services);
    const p = new URLSearchParams();
    p.set('api_key', KEY);
    p.set('service_code', s.code);
    p.set('lat', (45.75 + rand() * 0.03).toFixed(5));
    p.set('long', (4.82 + rand() * 0.03).toFixed(5));
    p.set('description', `Signalé par l'application mobile : problème constaté au ${1 + Math.floor(rand() * 200)} avenue Jean Jaurès.`);
    for (const a of s.attributes) {
        if (a.variable === false || !(a.required || rand() < 0.5)) continue;
        if (a.datatype === 'multivaluelist') p.append(`attribute[${a.code}][]`, sampleValue(a));
        else p.set(`attribute[${a.code}]`, sampleValue(a));
    }
    /* 200, not 201: docs/open311.md says why. */
    const r = await b.postForm('open311 POST request', '/open311/v2/requests.json', [...p]);
    const m = /"service_request_id":"([^"]+)"/.exec(r.text);
    if (!m) fail('open311 POST request', 'no service_request_id', r.text.slice(0, 200));
    counts.open311Created++;
    if (world.created.length < 2000) world.created.push(m[1]);
    else world.created[Math.floor(rand() * 2000)] = m[1];
}

/* A citizen files an incident through the portal's steps, the photo on the last one, then
 * opens the confirmation, the tracking page and the photo's thumbnail. */
async function fileIncident(b) {
    const code = pick(world.incidents);
    let r = await b.get('filing GET form', `/demarches/${code}`);
    const photo = pick(world.photos);
    let attached = false;
    for (let step = 0; step < 8; step++) {
        const form = parseForms(r.text).find((f) => f.method === 'post' && f.action.startsWith('/demarches/'));
        if (!form) fail('filing step', 'no procedure form on the page', r.text.slice(0, 200));
        const hasFile = form.controls.some((c) => c.type === 'file');
        const fields = fill(form, hasFile ? photo : null);
        if (hasFile) {
            attached = true;
            r = await b.postMultipart('filing POST last step (photo)', form.action, fields, { expect: [303] });
            const m = /^\/confirmation\/([^/?]+)\?jeton=([A-Za-z0-9_-]+)$/.exec(r.location || '');
            if (!m) fail('filing POST last step (photo)', 'no confirmation Location', r.location);
            counts.portalFiled++;
            counts.photos++;
            await b.get('filing GET confirmation', r.location);
            const track = await b.get('filing GET tracking', `/suivi/${m[1]}?jeton=${m[2]}`);
            const img = /href="(\/pieces-jointes\/[^"]+)"/.exec(track.text);
            if (!img) fail('filing GET tracking', 'no attachment link on the tracking page');
            const link = decodeEntities(img[1]);
            await b.get('filing GET thumbnail', link + (link.includes('?') ? '&' : '?') + 'miniature=1', { binary: true });
            return;
        }
        r = await b.postForm('filing POST step', form.action, fields);
    }
    if (!attached) fail('filing step', 'the form never offered a file input');
}

/* Password checks (Argon2id, 64 MiB of scratch memory each, mapped and unmapped around the
 * hash) are held back for the moment of each memory sample, so that the series measures what
 * the server keeps, not how many hashes happen to be running at that instant. */
const gate = { closed: null, open: null, inFlight: 0 };

async function passwordCheck(fn) {
    while (gate.closed) await gate.closed;
    gate.inFlight++;
    try {
        return await fn();
    } finally {
        gate.inFlight--;
    }
}

/* Closes the gate, waits (at most 2 s) for the password checks in flight, runs fn, reopens. */
async function quietly(fn) {
    let release;
    gate.closed = new Promise((r) => { release = r; });
    const until = Date.now() + 2000;
    while (gate.inFlight > 0 && Date.now() < until) await sleep(5);
    const quiet = gate.inFlight === 0;
    try {
        return fn(quiet);
    } finally {
        gate.closed = null;
        release();
    }
}

async function citizenLoginLogout() {
    const b = new Browser();
    const page = await b.get('citizen GET /compte/connexion', '/compte/connexion');
    const email = pick(world.citizens);
    await passwordCheck(() => b.postForm('citizen POST login', '/compte/connexion',
        [['csrf_token', csrfOf(page.text) || ''], ['email', email], ['password', CITIZEN_PASSWORD]],
        { expect: [303] }));
    const mine = await b.get('citizen GET /mes-demandes', '/mes-demandes');
    await b.postForm('citizen POST logout', '/compte/deconnexion', [['csrf_token', csrfOf(mine.text) || '']],
                     { expect: [303] });
}

async function agentLogin(u) {
    const b = new Browser();
    const page = await b.get('agent GET /agent/connexion', '/agent/connexion');
    const r = await passwordCheck(() => b.postForm('agent POST login', '/agent/connexion',
        [['csrf_token', csrfOf(page.text) || ''], ['email', u.agent.email], ['password', DEMO_PASSWORD]],
        { expect: [303] }));
    if (!/^\/agent\/?($|\?)/.test(r.location || '')) fail('agent POST login', `redirected to ${r.location}`);
    u.agentBrowser = b;
    u.agentActions = 0;
}

const TABS = ['', '?onglet=service', '?onglet=service&statut=new', '?onglet=service&page=2', '?onglet=moi'];

/* An agent: the inbox, a request of their service, «Traiter» with an internal note, the page
 * again (the redirect); every AGENT_SESSION_ACTIONS actions, logout. */
async function backOffice(u) {
    if (!u.agentBrowser) await agentLogin(u);
    const b = u.agentBrowser;
    await b.get('agent GET inbox', `/agent/${pick(TABS)}`);
    const ref = pick(u.refs);
    const page = await b.get('agent GET request', `/agent/demandes/${ref}`);
    const token = csrfOf(page.text);
    if (!token) fail('agent GET request', 'no CSRF token on the request page');
    const r = await b.postForm('agent POST traiter (note)', `/agent/demandes/${ref}/traiter`,
                               [['csrf_token', token],
                                ['note', `Note interne ${Math.floor(rand() * 1e6)} : vu avec l'équipe, passage prévu cette semaine.`]],
                               { expect: [303] });
    await b.get('agent GET request', r.location);
    if (++u.agentActions >= AGENT_SESSION_ACTIONS) {
        const inbox = await b.get('agent GET inbox', '/agent/');
        await b.postForm('agent POST logout', '/agent/deconnexion', [['csrf_token', csrfOf(inbox.text) || '']],
                         { expect: [303] });
        u.agentBrowser = null;
    }
}

const MIX = [
    ['open311 read (by id, list)', 40, (u) => open311Read(u.browser)],
    ['portal page (/, a form, /signalements)', 20, (u) => portalPage(u.browser)],
    ['open311 durable create', 15, (u) => open311Create(u.browser)],
    ['citizen files an incident with a photo', 5, () => fileIncident(new Browser())],
    ['citizen login + logout', 5, () => citizenLoginLogout()],
    ['agent: inbox, request, Traiter + note', 15, (u) => backOffice(u)],
];
/* SOAK_WEIGHTS: six numbers in the order above, to explore (e.g. 40,20,15,5,0,15: no logins). */
if (process.env.SOAK_WEIGHTS) {
    const w = process.env.SOAK_WEIGHTS.split(',').map(Number);
    if (w.length !== MIX.length || w.some((x) => !Number.isFinite(x) || x < 0) || !w.some((x) => x > 0)) {
        console.error(`soak.js: SOAK_WEIGHTS=${process.env.SOAK_WEIGHTS}: ${MIX.length} non-negative numbers expected`);
        process.exit(2);
    }
    w.forEach((x, i) => { MIX[i][1] = x; });
}
const MIX_TOTAL = MIX.reduce((s, m) => s + m[1], 0);

function chooseAction() {
    let x = rand() * MIX_TOTAL;
    for (const m of MIX) {
        if ((x -= m[1]) < 0) return m;
    }
    return MIX[MIX.length - 1];
}

async function user(u, deadline) {
    /* Users start spread over the first second rather than all at once. */
    await sleep(rand() * 1000);
    while (Date.now() < deadline) {
        const [name, , fn] = chooseAction();
        const a = bucket(actions, name);
        const start = performance.now();
        const m = minute();
        try {
            await fn(u);
            a.ms.push(performance.now() - start);
        } catch (e) {
            if (!(e instanceof SoakError)) {
                const kind = `${name}: generator exception`;
                errorKinds.set(kind, (errorKinds.get(kind) || 0) + 1);
                if (errorLog.length < 20) errorLog.push(`${kind}\n    ${e.stack}`);
            }
            a.errors++;
            m.errors++;
            /* After an error the agent's session is in doubt: log in again. */
            u.agentBrowser = null;
        }
        a.n++;
        m.actions++;
        if (THINK_MS > 0) await sleep(rand() * 2 * THINK_MS);
    }
}

/* ---- the server's process ---- */

function procStatus() {
    const s = fs.readFileSync(`/proc/${PID}/status`, 'utf8');
    const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s) || [])[1] || 0);
    return { rss: kb('VmRSS'), hwm: kb('VmHWM'), threads: kb('Threads') };
}

function procCpuTicks() {
    const s = fs.readFileSync(`/proc/${PID}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); /* utime + stime (fields 14 and 15) */
}

const samples = []; /* {t (s), rss (KiB), fds, threads, quiet} */
let unquiet = 0; /* samples taken while a password check was still running */
function sample() {
    return quietly((quiet) => {
        try {
            const st = procStatus();
            const fds = fs.readdirSync(`/proc/${PID}/fd`).length;
            const t = (Date.now() - t0) / 1000;
            samples.push({ t, rss: st.rss, fds, threads: st.threads, quiet });
            if (!quiet) unquiet++;
            minute().rss.push(st.rss);
            return st;
        } catch (e) {
            return null; /* the server is gone: the actions will say so */
        }
    });
}

/* ---- set-up ---- */

async function setup() {
    const b = new Browser();
    world.refs = sql(`SELECT r.reference FROM requests r JOIN procedures p ON p.id = r.procedure_id
                      WHERE p.open311 = 1 ORDER BY random() LIMIT 5000`);
    world.procedures = sql('SELECT code FROM procedures WHERE active = 1 ORDER BY code');
    const services = JSON.parse((await b.get('setup', '/open311/v2/services.json')).text);
    for (const s of services) {
        const d = JSON.parse((await b.get('setup', `/open311/v2/services/${s.service_code}.json`)).text);
        world.services.push({ code: s.service_code, attributes: d.attributes || [] });
    }
    /* The incident procedures whose portal form takes files (all of the demo's). */
    world.incidents = world.services.map((s) => s.code);
    if (!world.refs.length || !world.services.length) throw new Error('the demo database has no Open311 request or service');

    /* One agent per user, among those who need no second factor (role agent, no TOTP), each
     * working on the requests of their departments, shared out between the users that get
     * the same department so that two users rarely write to the same request. */
    const agents = sql(`SELECT a.email, group_concat(ad.department_id) FROM agents a
                        JOIN agent_departments ad ON ad.agent_id = a.id
                        WHERE a.role = 'agent' AND a.active = 1 AND a.totp_enabled = 0
                        GROUP BY a.id ORDER BY a.id`).map((l) => l.split('|'));
    if (!agents.length) throw new Error('the demo database has no agent without a second factor');
    const byDept = new Map();
    for (let i = 0; i < USERS; i++) {
        const [email, depts] = agents[i % agents.length];
        if (!byDept.has(depts)) byDept.set(depts, []);
        byDept.get(depts).push(i);
        world.agents[i] = { email, depts, refs: null };
    }
    for (const [depts, users] of byDept) {
        const refs = sql(`SELECT reference FROM requests WHERE department_id IN (${depts}) ORDER BY id`);
        users.forEach((u, k) => {
            world.agents[u].refs = refs.filter((_, j) => j % users.length === k);
        });
    }

    /* Citizen accounts: signed up on the portal, verified through the link of their e-mail
     * (read from the outbox, as no relay is set). */
    for (let i = 0; i < CITIZENS; i++) {
        const email = `soak.citoyen${i}.${process.pid}@exemple.fr`;
        const c = new Browser();
        const page = await c.get('setup', '/compte/inscription');
        await c.postForm('setup', '/compte/inscription', [['csrf_token', csrfOf(page.text)], ['email', email],
            ['display_name', `Citoyen ${i}`], ['password', CITIZEN_PASSWORD], ['password_confirm', CITIZEN_PASSWORD]]);
        const params = sql(`SELECT params FROM outbox WHERE template = 'account_verify' AND recipient = '${email}' ORDER BY id DESC LIMIT 1`);
        if (!params.length) throw new Error(`no verification e-mail for ${email} in the outbox`);
        const link = new URL(JSON.parse(params[0]).link);
        await c.get('setup', link.pathname + link.search);
        world.citizens.push(email);
    }

    for (const f of fs.readdirSync(DIR).filter((n) => /^photo.*\.(jpe?g|png)$/.test(n)).sort()) {
        world.photos.push({ name: f, type: f.endsWith('.png') ? 'image/png' : 'image/jpeg',
                            data: fs.readFileSync(path.join(DIR, f)) });
    }
    if (!world.photos.length) throw new Error(`no photo*.jpg or photo*.png in ${DIR}`);
}

/* ---- report ---- */

function pct(sorted, p) {
    if (!sorted.length) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
const median = (a) => pct([...a].sort((x, y) => x - y), 0.5);
const mib = (kb) => `${(kb / 1024).toFixed(1)}`;
const fmt = (v) => (Number.isFinite(v) ? v.toFixed(1) : '-');

function table(rows, head) {
    const all = [head, ...rows];
    const w = head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
    return all.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ')).join('\n');
}

function latencyRows(map, wall) {
    return [...map].map(([name, b]) => {
        const s = b.ms.sort((x, y) => x - y);
        return [name, b.n, b.errors, (b.n / wall).toFixed(1), fmt(pct(s, 0.5)), fmt(pct(s, 0.99)), fmt(s[s.length - 1])];
    });
}

/* ---- main ---- */

async function main() {
    const setupStart = Date.now();
    try {
        await setup();
    } catch (e) {
        console.error(`soak: set-up failed: ${e instanceof SoakError ? errorLog.join('\n') : e.stack}`);
        process.exit(2);
    }
    steps.delete('setup');
    console.log(`soak: set-up in ${((Date.now() - setupStart) / 1000).toFixed(1)} s: ${world.refs.length} Open311 ids, ` +
                `${world.services.length} Open311 services, ${world.procedures.length} procedures, ` +
                `${world.citizens.length} citizen accounts, ${new Set(world.agents.map((a) => a.email)).size} agents, ` +
                `${world.photos.length} photos (${world.photos.map((p) => `${p.name} ${p.data.length} B`).join(', ')})`);
    const reqBefore = Number(sql('SELECT count(*) FROM requests')[0]);
    const attBefore = Number(sql('SELECT count(*) FROM attachments')[0]);

    const clk = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const cpu0 = process.cpuUsage();
    const ticks0 = procCpuTicks();
    t0 = Date.now();
    const deadline = t0 + SECONDS * 1000;
    await sample();
    const sampler = setInterval(sample, SAMPLE_S * 1000);
    let lastReport = 0;
    const progress = setInterval(() => {
        const el = (Date.now() - t0) / 1000;
        const n = minutes.reduce((s, m) => s + m.actions, 0);
        const e = minutes.reduce((s, m) => s + m.errors, 0);
        const last = samples[samples.length - 1];
        console.log(`soak: ${el.toFixed(0).padStart(4)} s  ${n} actions (${((n - lastReport) / 60).toFixed(0)}/s over the last minute)  ` +
                    `${e} errors  RSS ${last ? mib(last.rss) : '?'} MiB  fds ${last ? last.fds : '?'}`);
        lastReport = n;
    }, 60000);

    const users = [];
    for (let i = 0; i < USERS; i++) {
        users.push({ browser: new Browser(), agent: world.agents[i], refs: world.agents[i].refs, agentBrowser: null });
    }
    await Promise.all(users.map((u) => user(u, deadline)));
    clearInterval(sampler);
    clearInterval(progress);
    const wall = (Date.now() - t0) / 1000;
    const genCpu = process.cpuUsage(cpu0);
    let srvCpu = NaN;
    try {
        srvCpu = (procCpuTicks() - ticks0) / clk / wall;
    } catch (e) {
        /* the server is gone */
    }
    const endStatus = (() => {
        try {
            return procStatus();
        } catch (e) {
            return null;
        }
    })();

    /* ---- counts and latencies ---- */
    const nActions = [...actions.values()].reduce((s, b) => s + b.n, 0);
    const nReq = [...steps.values()].reduce((s, b) => s + b.n, 0);
    const nErrors = [...actions.values()].reduce((s, b) => s + b.errors, 0);
    console.log('');
    console.log(`== actions (${USERS} users, ${wall.toFixed(0)} s; latency of the whole action in ms)`);
    console.log(table(latencyRows(actions, wall), ['action', 'count', 'errors', 'per s', 'p50', 'p99', 'max']));
    console.log('');
    console.log('== HTTP requests (one row per step; latency in ms)');
    console.log(table(latencyRows(steps, wall), ['request', 'count', 'errors', 'per s', 'p50', 'p99', 'max']));
    if (errorKinds.size) {
        console.log('');
        console.log('== errors');
        for (const [k, n] of errorKinds) console.log(`  ${String(n).padStart(6)}  ${k}`);
        console.log('  the first ones:');
        for (const l of errorLog) console.log(`  ${l}`);
    }

    /* ---- durability: every acknowledged create is in the database ---- */
    const reqGrown = Number(sql('SELECT count(*) FROM requests')[0]) - reqBefore;
    const attGrown = Number(sql('SELECT count(*) FROM attachments')[0]) - attBefore;
    const acked = counts.open311Created + counts.portalFiled;
    /* A create that failed (timeout, lost answer) may still have been committed. */
    const createErrors = (actions.get('open311 durable create') || { errors: 0 }).errors +
                         (actions.get('citizen files an incident with a photo') || { errors: 0 }).errors;
    const durable = reqGrown >= acked && reqGrown <= acked + createErrors && attGrown >= counts.photos;
    console.log('');
    console.log(`== creates: ${acked} acknowledged (Open311 ${counts.open311Created}, portal ${counts.portalFiled} with a photo); ` +
                `requests table grew by ${reqGrown}, attachments by ${attGrown} — ${durable ? 'consistent' : 'INCONSISTENT'}`);

    /* ---- memory ---- */
    console.log('');
    console.log(`== server memory: VmRSS every ${SAMPLE_S} s, per minute of the run (MiB)`);
    const rows = minutes.map((m, i) => {
        const s = [...m.rss].sort((x, y) => x - y);
        return [`${i}–${i + 1}`, s.length, s.length ? mib(s[0]) : '-', s.length ? mib(pct(s, 0.5)) : '-',
                s.length ? mib(s[s.length - 1]) : '-', m.actions, m.errors];
    });
    console.log(table(rows, ['minute', 'samples', 'RSS min', 'median', 'max', 'actions', 'errors']));
    const warm = SECONDS * WARMUP;
    const post = samples.filter((s) => s.t >= warm);
    const W = Math.max(3, Math.min(Math.round(60 / SAMPLE_S), Math.floor(post.length / 5)));
    let flat = false;
    let memLine = 'not enough samples after the warm-up';
    let baseline = NaN, end = NaN, bound = NaN;
    if (post.length >= 2 * W) {
        const first = post.slice(0, W);
        const last = post.slice(-W);
        baseline = median(first.map((s) => s.rss));
        end = median(last.map((s) => s.rss));
        bound = baseline * FLAT_PCT + FLAT_MIB * 1024;
        flat = end - baseline < bound;
        memLine = `baseline ${mib(baseline)} MiB (median of ${W} samples, t=${first[0].t.toFixed(0)}–${first[W - 1].t.toFixed(0)} s), ` +
                  `end ${mib(end)} MiB (median of the last ${W}, t=${last[0].t.toFixed(0)}–${last[W - 1].t.toFixed(0)} s): ` +
                  `${end >= baseline ? '+' : ''}${mib(end - baseline)} MiB, bound ${FLAT_PCT * 100}% + ${FLAT_MIB} MiB = ${mib(bound)} MiB — ` +
                  (flat ? 'flat' : 'NOT FLAT');
    }
    /* For the eye, not the verdict: the trend over the second half of the measured part
     * (least squares), which a cache that is still filling makes positive and a leak keeps
     * steady. */
    const tail = post.slice(Math.floor(post.length / 2));
    let slope = NaN;
    if (tail.length >= 3) {
        const mt = tail.reduce((a, s) => a + s.t, 0) / tail.length;
        const mr = tail.reduce((a, s) => a + s.rss, 0) / tail.length;
        const cov = tail.reduce((a, s) => a + (s.t - mt) * (s.rss - mr), 0);
        const vt = tail.reduce((a, s) => a + (s.t - mt) ** 2, 0);
        slope = vt > 0 ? (cov / vt) * 60 / 1024 : NaN; /* MiB per minute */
    }
    const all = samples.map((s) => s.rss).sort((x, y) => x - y);
    const fdsFirst = post.length ? median(post.slice(0, W).map((s) => s.fds)) : NaN;
    const fdsLast = post.length ? median(post.slice(-W).map((s) => s.fds)) : NaN;
    console.log(`   warm-up: the first ${warm.toFixed(0)} s; ${memLine}`);
    if (Number.isFinite(slope)) {
        console.log(`   trend over the second half after warm-up (t=${tail[0].t.toFixed(0)}–${tail[tail.length - 1].t.toFixed(0)} s): ` +
                    `${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MiB per minute`);
    }
    console.log(`   whole run: RSS min ${all.length ? mib(all[0]) : '-'}, median ${all.length ? mib(pct(all, 0.5)) : '-'}, ` +
                `max ${all.length ? mib(all[all.length - 1]) : '-'} MiB; peak (VmHWM) ${endStatus ? mib(endStatus.hwm) : '-'} MiB; ` +
                `open files ${fdsFirst} after warm-up, ${fdsLast} at the end; threads ${endStatus ? endStatus.threads : '-'}` +
                (unquiet ? `; ${unquiet} samples taken with a password check still running` : ''));
    console.log(`   CPU: generator ${(100 * (genCpu.user + genCpu.system) / 1e6 / wall).toFixed(0)}% of one core, ` +
                `server ${(100 * srvCpu).toFixed(0)}% of one core (machine: ${require('node:os').cpus().length} cores)`);

    const pass = nErrors === 0 && flat && durable;
    const summary = {
        pass, seconds: Math.round(wall), users: USERS, actions: nActions, requests: nReq, errors: nErrors,
        per_second: Math.round(nActions / wall), flat, durable,
        rss_baseline_mib: +(baseline / 1024).toFixed(1), rss_end_mib: +(end / 1024).toFixed(1),
        rss_bound_mib: +(bound / 1024).toFixed(1),
        rss_min_mib: all.length ? +(all[0] / 1024).toFixed(1) : null,
        rss_median_mib: all.length ? +(pct(all, 0.5) / 1024).toFixed(1) : null,
        rss_max_mib: all.length ? +(all[all.length - 1] / 1024).toFixed(1) : null,
        rss_trend_mib_per_min: Number.isFinite(slope) ? +slope.toFixed(2) : null,
        fds_start: fdsFirst, fds_end: fdsLast, server_alive: !!endStatus,
    };
    fs.writeFileSync(path.join(DIR, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
    fs.writeFileSync(path.join(DIR, 'rss.csv'), 't_s,rss_kib,fds,threads\n' +
                     samples.map((s) => `${s.t.toFixed(1)},${s.rss},${s.fds},${s.threads}`).join('\n') + '\n');
    process.exit(pass ? 0 : 1);
}

main().catch((e) => {
    console.error(`soak: ${e.stack}`);
    process.exit(2);
});
