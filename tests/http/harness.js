'use strict';
/*
 * harness — starts a real `guichet serve` on a fresh database and a free loopback port for
 * the HTTP, crash and fault tests, and sends their requests: every JSON answer under /open311/
 * is validated against the project's Open311 JSON Schemas (docs/schemas/open311/) and every
 * answer under /api/v1/ against docs/openapi.yaml (schemas.js). Every test file builds on it:
 *
 *   const { startServer, validate, freePort, validPostBody, request } = require('./harness');
 *   const srv = await startServer({ env: { GUICHET_MAX_BODY: '1000' }, demo: true, requests: 50 });
 *   const r = await request(srv, 'POST', '/open311/v2/requests.json',
 *                           { form: await validPostBody(srv, 'nid-de-poule') });
 *   validate('post_service_request', r.json); // request() checked it too
 *   await srv.stop();
 *
 * The binary is $GUICHET_BIN (relative paths from the repository root) or build/guichet, so
 * the same tests run against the ASan build. KEEP_TEST_DIRS=1 keeps the temporary
 * directories (database, server.log) for a post-mortem.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { validate, checkOpen311Answer, checkApiAnswer } = require('./schemas');

const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.resolve(REPO, process.env.GUICHET_BIN || 'build/guichet');
const SCOPES = ['open311', 'api', 'gateway'];
const READY_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 15000;

/* Servers still running when the test process ends would outlive it: end them. */
const live = new Set();
process.on('exit', () => {
    for (const child of live) {
        try {
            child.kill('SIGKILL');
        } catch (e) {
            /* already gone */
        }
    }
});

/* Runs the binary synchronously; never throws: {status, stdout, stderr}. */
function runGuichet(args, env) {
    const r = spawnSync(BIN, args, {
        env: env || process.env,
        encoding: 'utf8',
        timeout: 120000,
        maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) return { status: -1, stdout: r.stdout || '', stderr: String(r.error) };
    return { status: r.status === null ? -1 : r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/* Like runGuichet, but a non-zero exit is an Error with the command and its output. */
function mustGuichet(args, env) {
    const r = runGuichet(args, env);
    if (r.status !== 0) {
        throw new Error(`guichet ${args.join(' ')} exited ${r.status}${r.signal ? ' (' + r.signal + ')' : ''}\n` +
                        `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    return r;
}

/* A TCP port free on 127.0.0.1 right now (the kernel picks it). */
function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.unref();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Calls fn every 100 ms until done(its value) holds and returns that value — the last one after
 * timeoutMs, for the caller's assertion to show. For what the server writes after its answer:
 * the audit entries of reads are recorded in the background. */
async function until(fn, done, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = fn();
        if (done(value) || Date.now() > deadline) return value;
        await sleep(100);
    }
}

/* Waits until fn() is true, polling every 100 ms; throws after timeoutMs. */
async function waitFor(fn, what, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    while (!fn()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(100);
    }
}

function tail(text, lines = 40) {
    return text.split('\n').slice(-lines).join('\n');
}

/* Creates an API key with the CLI; the key is the last word of its output. */
function createKey(db, name, scope, env) {
    const r = mustGuichet(['apikey', 'create', '--db', db, '--name', name, '--scope', scope], env);
    const words = r.stdout.trim().split(/\s+/);
    const key = words[words.length - 1];
    if (!key) throw new Error(`apikey create printed no key: ${r.stdout}`);
    return key;
}

/* Removes a test directory (unless KEEP_TEST_DIRS=1), after opts.beforeCleanup(dir), which
 * must undo what beforeInit did outside the directory (e.g. unmount). */
function removeDir(dir, opts) {
    if (opts.beforeCleanup) opts.beforeCleanup(dir);
    if (process.env.KEEP_TEST_DIRS === '1') return;
    fs.rmSync(dir, { recursive: true, force: true });
}

/*
 * startServer(opts) → server handle.
 * opts.env       extra environment for the server and the CLI (merged over the defaults)
 * opts.demo      load the demo commune (default true)
 * opts.requests  number of demo requests (default: the demo's own default)
 * opts.years     years the demo requests are spread over (default: the demo's own, 1)
 * opts.dbFile    database path relative to the temp dir (default "g.db")
 * opts.beforeInit(dir)  called once the temp dir exists, before `init` (e.g. to mount a tmpfs)
 * opts.beforeCleanup(dir)  called before the temp dir is removed (e.g. to unmount); also when
 *                startServer fails
 * opts.threads   --threads N
 */
async function startServer(opts = {}) {
    if (!fs.existsSync(BIN)) throw new Error(`guichet binary not found at ${BIN} (run make)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-test-'));
    const db = path.join(dir, opts.dbFile || 'g.db');
    const env = Object.assign({}, process.env,
                              { GUICHET_RATE_IP: '100000', GUICHET_RATE_KEY: '100000' },
                              opts.env || {});
    /* The server must take its database and address from the command line only. */
    delete env.GUICHET_DB;
    delete env.GUICHET_LISTEN;
    if (opts.env && opts.env.GUICHET_DB) env.GUICHET_DB = opts.env.GUICHET_DB;

    const keys = {};
    try {
        if (opts.beforeInit) await opts.beforeInit(dir);
        mustGuichet(['init', '--db', db], env);
        if (opts.demo !== false) {
            const args = ['demo', '--db', db];
            if (opts.requests !== undefined) args.push('--requests', String(opts.requests));
            if (opts.years !== undefined) args.push('--years', String(opts.years));
            mustGuichet(args, env);
            for (const scope of SCOPES) keys[scope] = createKey(db, `test-${scope}`, scope, env);
        }
    } catch (e) {
        removeDir(dir, opts);
        throw e;
    }

    const port = opts.port || await freePort();
    const url = `http://127.0.0.1:${port}`;
    const logPath = path.join(dir, 'server.log');
    let child = null;
    let exited = null; /* Promise of the exit code of the current child */
    let cleaned = false;

    const spawnServer = async () => {
        const logFd = fs.openSync(logPath, 'a');
        const args = ['serve', '--db', db, '--listen', `127.0.0.1:${port}`];
        if (opts.threads) args.push('--threads', String(opts.threads));
        child = spawn(BIN, args, { env, stdio: ['ignore', logFd, logFd] });
        fs.closeSync(logFd);
        live.add(child);
        const me = child;
        exited = new Promise((resolve) => {
            me.on('exit', (code, signal) => {
                live.delete(me);
                me.exitCode_ = code;
                me.exitSignal_ = signal;
                resolve(code !== null ? code : 128 + (os.constants.signals[signal] || 0));
            });
            me.on('error', () => resolve(-1));
        });
        const deadline = Date.now() + READY_TIMEOUT_MS;
        let lastErr = '';
        while (Date.now() < deadline) {
            if (me.exitCode_ !== undefined || me.exitCode !== null || me.signalCode !== null) {
                const code = await exited;
                throw new Error(`guichet serve exited (${code}) before answering on ${url}\n` +
                                `--- server.log (tail) ---\n${tail(readLog())}`);
            }
            try {
                const r = await fetch(`${url}/open311/v2/discovery.json`,
                                      { signal: AbortSignal.timeout(1000) });
                await r.arrayBuffer();
                if (r.status === 200) return;
                lastErr = `status ${r.status}`;
            } catch (e) {
                lastErr = String(e.cause || e);
            }
            await sleep(50);
        }
        me.kill('SIGKILL');
        await exited;
        throw new Error(`guichet serve did not answer on ${url} within ${READY_TIMEOUT_MS} ms ` +
                        `(${lastErr})\n--- server.log (tail) ---\n${tail(readLog())}`);
    };

    const readLog = () => {
        try {
            return fs.readFileSync(logPath, 'utf8');
        } catch (e) {
            return '';
        }
    };

    const running = () => child && child.exitCode === null && child.signalCode === null;

    const cleanup = () => {
        if (cleaned) return;
        cleaned = true;
        removeDir(dir, opts);
    };

    const srv = {
        url,
        port,
        dir,
        db,
        keys,
        env,
        /* Sends `signal`, waits for the exit and resolves with the exit code (128+n when
         * killed by signal n). Removes the temp dir unless keep:true or KEEP_TEST_DIRS=1. */
        async stop(signal = 'SIGTERM', { keep = false } = {}) {
            let code = null;
            if (child) {
                if (running()) child.kill(signal);
                const timer = setTimeout(() => {
                    if (running()) child.kill('SIGKILL');
                }, STOP_TIMEOUT_MS);
                code = await exited;
                clearTimeout(timer);
            }
            if (!keep) cleanup();
            return code;
        },
        /* kill -9; keeps the directory so that restart() can follow. */
        async kill9() {
            if (running()) child.kill('SIGKILL');
            return exited ? exited : null;
        },
        /* Starts the server again on the same database and port. */
        async restart() {
            if (running()) throw new Error('restart: the server is still running');
            await spawnServer();
            return srv;
        },
        /* True while the server process is alive. */
        running,
        /* Exit code promise of the current process. */
        exited: () => exited,
        pid: () => (child ? child.pid : null),
        /* Runs an SQL statement with the sqlite3 CLI; returns its stdout. */
        sql(query) {
            /* The server's writer may hold the database for a moment: wait for it rather than
             * fail with «database is locked». */
            return execFileSync('sqlite3', ['-batch', '-cmd', '.timeout 5000', db, query], { encoding: 'utf8' });
        },
        /* Runs a query until done(its stdout) holds and returns that stdout (see until). */
        sqlUntil: (query, done, timeoutMs) => until(() => srv.sql(query), done, timeoutMs),
        log: readLog,
        guichet: (args) => runGuichet(args, env),
        /* Removes the temp dir (after stop(..., {keep:true})). */
        cleanup,
    };
    try {
        await spawnServer();
    } catch (e) {
        cleanup();
        throw e;
    }
    return srv;
}

/* ---- HTTP helpers ---- */

/*
 * request(srv, method, path, {headers, body, form, json, timeoutMs, schema}) → {status, headers, text, json}
 * form: object or URLSearchParams or string, sent as application/x-www-form-urlencoded;
 * json: any value, sent as application/json. `json` in the result is the parsed body or
 * undefined when it is not JSON. Answers under /open311/ and /api/v1/ are checked against
 * their schema (schemas.js) before they are returned; schema: false skips that, for the few
 * calls that look at a broken answer on purpose.
 */
async function request(srv, method, p, opts = {}) {
    const headers = Object.assign({}, opts.headers || {});
    let body = opts.body;
    if (opts.form !== undefined) {
        body = typeof opts.form === 'string' ? opts.form : new URLSearchParams(opts.form).toString();
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
            headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
            headers['Content-Type'] = 'application/json';
    }
    const base = typeof srv === 'string' ? srv : srv.url;
    const r = await fetch(base + p, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(opts.timeoutMs || 30000),
    });
    const text = await r.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch (e) {
        json = undefined;
    }
    const res = { status: r.status, headers: r.headers, text, json };
    if (opts.schema !== false) {
        const pathname = p.split('?')[0];
        if (pathname.startsWith('/open311/')) checkOpen311Answer(method, p, res);
        else if (pathname === '/api/v1' || pathname.startsWith('/api/v1/')) checkApiAnswer(method, p, res);
    }
    return res;
}

/* A value the demo's validation accepts for one attribute definition. */
function sampleValue(attr) {
    switch (attr.datatype) {
    case 'number':
        return '3';
    case 'datetime':
        return new Date(Date.now() - 3600 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    case 'text':
        return 'Texte de test, sur plusieurs mots.';
    case 'singlevaluelist':
    case 'multivaluelist':
        return attr.values && attr.values.length ? attr.values[0].key : '';
    default:
        return 'valeur de test';
    }
}

/* Cache of service definitions per server and code. */
const definitions = new WeakMap();

/* The service definition (GET /open311/v2/services/{code}.json) of a service. */
async function serviceDefinition(srv, code) {
    let m = definitions.get(srv);
    if (!m) definitions.set(srv, (m = new Map()));
    if (!m.has(code)) {
        const r = await request(srv, 'GET', `/open311/v2/services/${encodeURIComponent(code)}.json`);
        if (r.status !== 200 || !r.json) {
            throw new Error(`GET services/${code}.json: ${r.status} ${r.text.slice(0, 500)}`);
        }
        m.set(code, r.json);
    }
    return m.get(code);
}

/*
 * validPostBody(srv, serviceCode = 'nid-de-poule', extra = {}, {allAttributes}) → string
 * A urlencoded body for POST /open311/v2/requests.json that the service accepts: api_key,
 * service_code, a location in the demo commune, a description and every required attribute
 * (every variable attribute with allAttributes) filled from the service definition;
 * multivaluelist values go as attribute[code][]=key. `extra` fields are added last and
 * replace same-named ones (give a value of null to drop a field).
 */
async function validPostBody(srv, serviceCode = 'nid-de-poule', extra = {}, opts = {}) {
    const def = await serviceDefinition(srv, serviceCode);
    const p = new URLSearchParams();
    p.set('api_key', srv.keys.open311);
    p.set('service_code', serviceCode);
    p.set('lat', '45.764');
    p.set('long', '4.8357');
    p.set('description', 'Signalement de test : chaussée abîmée devant le numéro 12.');
    for (const a of def.attributes || []) {
        if (a.variable === false) continue;
        if (!a.required && !opts.allAttributes) continue;
        const v = sampleValue(a);
        if (a.datatype === 'multivaluelist') p.append(`attribute[${a.code}][]`, v);
        else p.set(`attribute[${a.code}]`, v);
    }
    for (const [k, v] of Object.entries(extra)) {
        if (v === null || v === undefined) p.delete(k);
        else p.set(k, String(v));
    }
    return p.toString();
}

/* Sends raw bytes on a new connection and resolves with everything the server answered
 * before closing (or after timeoutMs). For malformed requests fetch() refuses to send. */
function rawRequest(srv, data, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
        const sock = net.connect(srv.port, '127.0.0.1');
        const chunks = [];
        const timer = setTimeout(() => sock.destroy(), timeoutMs);
        sock.on('connect', () => sock.write(data));
        sock.on('data', (c) => chunks.push(c));
        sock.on('error', (e) => {
            clearTimeout(timer);
            if (chunks.length) resolve(Buffer.concat(chunks).toString('utf8'));
            else reject(e);
        });
        sock.on('close', () => {
            clearTimeout(timer);
            resolve(Buffer.concat(chunks).toString('utf8'));
        });
    });
}

/* Values of a `retour` (where to go after a login) that must never become a Location: each
 * is another host to some URL parser (browsers drop tabs and newlines, read "\\" as "/"),
 * a header injection, or a control character. */
const OPEN_REDIRECTS = [
    '/\t/evil.example',
    '/\\evil.example',
    '//evil.example',
    '/\\/evil.example',
    '\t//evil.example',
    '/ /evil.example',
    '/\r\nSet-Cookie: pris=1',
    'https://evil.example/',
    '/\x7f',
    '/\x0b/evil.example',
    '/\u00a0/evil.example',
];

/* Whether the server under test is built with AddressSanitizer: its freed memory then waits
 * in the quarantine (256 MiB by default) before it is reused, so the resident size says
 * nothing of what the server itself holds — memory bounds are checked on the plain build. */
function underAsan() {
    return /asan/.test(process.env.GUICHET_BIN || '') || Boolean(process.env.ASAN_OPTIONS);
}

module.exports = {
    OPEN_REDIRECTS,
    underAsan,
    startServer,
    validate,
    freePort,
    validPostBody,
    serviceDefinition,
    request,
    rawRequest,
    sleep,
    until,
    waitFor,
    REPO,
    BIN,
};
