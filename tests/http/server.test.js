'use strict';
/*
 * Server-level behaviour of `guichet serve`, each case against a real server: graceful stop
 * on SIGTERM, the request log (and what it must never contain), security headers, unknown
 * routes, body limits, rate limits per address and per key, keys created by the CLI while
 * the server runs, and the storage faults (database busy, disk full) that must give 503 with
 * Retry-After and leave an intact database behind.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const fs = require('node:fs');
const { spawn, spawnSync } = require('node:child_process');
const { startServer, validPostBody, request, validate, sleep } = require('./harness');

const POST_PATH = '/open311/v2/requests.json';

async function post(srv, body, headers = {}) {
    return request(srv, 'POST', POST_PATH, { form: body, headers });
}

function integrityOk(srv) {
    assert.equal(srv.sql('PRAGMA integrity_check;').trim(), 'ok');
}

/* The service_request_id of a successful Open311 POST answer. */
function createdId(r) {
    assert.ok(r.status === 200 || r.status === 201, `POST answered ${r.status}: ${r.text}`);
    assert.ok(Array.isArray(r.json) && r.json.length === 1, `POST body: ${r.text}`);
    const id = r.json[0].service_request_id;
    assert.equal(typeof id, 'string');
    return id;
}

async function getRequest(srv, id) {
    const r = await request(srv, 'GET', `/open311/v2/requests/${encodeURIComponent(id)}.json`);
    return r;
}

test('server basics: headers, 404, 413, request log, CLI keys picked up live', async (t) => {
    const srv = await startServer({ requests: 30, env: { GUICHET_MAX_BODY: '1000' } });
    t.after(() => srv.stop());

    await t.test('security headers on every kind of response', async () => {
        const answers = [
            await request(srv, 'GET', '/open311/v2/services.json'),
            await request(srv, 'GET', '/open311/v2/services.xml'),
            await request(srv, 'GET', '/no/such/route'),
            await post(srv, await validPostBody(srv)),
            await post(srv, 'service_code=nid-de-poule'), /* no api_key: an error */
        ];
        for (const r of answers) {
            const h = r.headers;
            assert.equal(h.get('x-content-type-options'), 'nosniff', `status ${r.status}`);
            const csp = h.get('content-security-policy') || '';
            assert.match(csp, /frame-ancestors/, `CSP on ${r.status}: ${csp}`);
            assert.ok(h.get('referrer-policy'), `Referrer-Policy on ${r.status}`);
            assert.match(h.get('x-frame-options') || '', /^(DENY|SAMEORIGIN)$/i, `X-Frame-Options on ${r.status}`);
        }
    });

    await t.test('unknown routes answer 404 and the server keeps serving', async () => {
        for (const p of ['/nope', '/open311/v2/nope.json', '/open311/v3/discovery.json', '/api/v1/nope',
                         '/open311/v2/services/unknown-code-xyz.json']) {
            const r = await request(srv, 'GET', p);
            assert.equal(r.status, 404, `${p} → ${r.status}`);
        }
        const r = await request(srv, 'GET', '/open311/v2/services.json');
        assert.equal(r.status, 200);
        validate('services', r.json);
    });

    await t.test('a body over GUICHET_MAX_BODY gets 413, sized or chunked', async () => {
        const big = (await validPostBody(srv)) + '&description=' + 'x'.repeat(2000);
        const r = await post(srv, big);
        assert.equal(r.status, 413, r.text);
        /* Same body without Content-Length (chunked): the limit holds while reading. */
        const enc = new TextEncoder();
        const stream = new ReadableStream({
            start(ctrl) {
                for (let i = 0; i < 4; i++) ctrl.enqueue(enc.encode('description=' + 'y'.repeat(600) + '&'));
                ctrl.close();
            },
        });
        const rc = await fetch(srv.url + POST_PATH, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: stream,
            duplex: 'half',
        });
        await rc.arrayBuffer();
        assert.equal(rc.status, 413);
        /* Under the limit still works. */
        const ok = await post(srv, await validPostBody(srv));
        createdId(ok);
    });

    await t.test('one log line per request, with method, path, status, duration, tenant; no personal data or keys', async () => {
        const marker = `probe-${process.pid}-${Date.now()}`;
        const email = `jeanne.secret.${process.pid}@example.org`;
        const phone = '0612345678';
        const body = await validPostBody(srv, 'nid-de-poule', {
            email,
            first_name: 'Jeanne',
            last_name: 'Secretdupont',
            phone,
        });
        const r = await post(srv, body);
        const id = createdId(r);
        /* Keys in a query string must not reach the log either. */
        await request(srv, 'GET', `/open311/v2/requests.json?api_key=${srv.keys.open311}`);
        await request(srv, 'GET', '/api/v1/requests', { headers: { Authorization: `Bearer ${srv.keys.api}` } });
        for (let i = 0; i < 3; i++) await request(srv, 'GET', `/${marker}/${i}`);
        await request(srv, 'GET', '/open311/v2/services.json');
        await sleep(200); /* the line may be written just after the answer */
        const log = srv.log();
        for (let i = 0; i < 3; i++) {
            const lines = log.split('\n').filter((l) => l.includes(`/${marker}/${i}`));
            assert.equal(lines.length, 1, `exactly one line for /${marker}/${i}:\n${lines.join('\n')}`);
            assert.match(lines[0], /\bGET\b/);
            assert.match(lines[0], /\b404\b/);
        }
        const postLines = log.split('\n').filter((l) => /\bPOST\b/.test(l) && l.includes(POST_PATH));
        assert.ok(postLines.length >= 1, 'a log line for the POST');
        const line = postLines[postLines.length - 1];
        assert.match(line, /\b(200|201)\b/, line);
        assert.match(line, /\d+(\.\d+)?\s*(ms|us|µs|s)\b|dur(ation)?[=:]\s*\d/, `duration in: ${line}`);
        assert.match(line, /ville-demo/, `tenant in: ${line}`);
        for (const secret of [email, 'Secretdupont', phone, srv.keys.open311, srv.keys.api, srv.keys.gateway]) {
            assert.ok(!log.includes(secret), `the log contains ${secret}`);
        }
        assert.ok(id.length > 0);
    });

    await t.test('a key created by the CLI while the server runs works at once', async () => {
        const before = await post(srv, await validPostBody(srv, 'nid-de-poule', { api_key: 'not-a-key-0123456789' }));
        assert.equal(before.status, 403, before.text);
        const r = srv.guichet(['apikey', 'create', '--db', srv.db, '--name', 'late-key', '--scope', 'open311']);
        assert.equal(r.status, 0, r.stderr);
        const key = r.stdout.trim().split(/\s+/).pop();
        const body = await validPostBody(srv, 'nid-de-poule', { api_key: key });
        const deadline = Date.now() + 3000;
        let last;
        while (Date.now() < deadline) {
            last = await post(srv, body);
            if (last.status === 200 || last.status === 201) break;
            await sleep(100);
        }
        const id = createdId(last);
        const g = await getRequest(srv, id);
        assert.equal(g.status, 200);
        validate('service_requests', g.json);
    });
});

test('SIGTERM lets the request in flight finish, then exits 0', async () => {
    const srv = await startServer({ requests: 20 });
    let stopped = false;
    try {
        const body = await validPostBody(srv);
        const head = `POST ${POST_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n` +
                     'Content-Type: application/x-www-form-urlencoded\r\n' +
                     `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
        const half = Math.floor(body.length / 2);
        const sock = net.connect(srv.port, '127.0.0.1');
        const chunks = [];
        const closed = new Promise((resolve) => {
            sock.on('data', (c) => chunks.push(c));
            sock.on('close', resolve);
            sock.on('error', resolve);
        });
        await new Promise((resolve) => sock.on('connect', resolve));
        sock.write(head + body.slice(0, half));
        await sleep(300);
        const exit = srv.exited();
        process.kill(srv.pid(), 'SIGTERM');
        await sleep(300);
        assert.ok(srv.running(), 'the server waits for the request in flight');
        sock.write(body.slice(half));
        await closed;
        const answer = Buffer.concat(chunks).toString('utf8');
        const m = answer.match(/^HTTP\/1\.[01] (\d{3})/);
        assert.ok(m, `an HTTP answer to the request in flight, got: ${JSON.stringify(answer.slice(0, 300))}`);
        assert.ok(m[1] === '200' || m[1] === '201', answer);
        const id = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))[0].service_request_id;
        const code = await Promise.race([exit, sleep(15000).then(() => 'timeout')]);
        assert.equal(code, 0, `exit code after SIGTERM; log:\n${srv.log().slice(-2000)}`);
        stopped = true;
        /* New connections are refused once it is gone, and the answered request is stored. */
        await assert.rejects(fetch(srv.url + '/open311/v2/discovery.json'));
        const n = srv.sql(`SELECT count(*) FROM requests WHERE reference = '${id.replace(/'/g, "''")}';`).trim();
        assert.equal(n, '1');
        integrityOk(srv);
    } finally {
        await srv.stop(stopped ? 'SIGTERM' : 'SIGKILL');
    }
});

test('SIGTERM during concurrent GETs: every answered request is complete, exit 0', async () => {
    const srv = await startServer({ requests: 20 });
    try {
        const results = [];
        const loops = [];
        let go = true;
        for (let i = 0; i < 8; i++) {
            loops.push((async () => {
                while (go) {
                    try {
                        const r = await request(srv, 'GET', '/open311/v2/requests.json', { timeoutMs: 5000 });
                        results.push(r);
                    } catch (e) {
                        return; /* refused once the server stops accepting */
                    }
                }
            })());
        }
        await sleep(500);
        const code = await srv.stop('SIGTERM', { keep: true });
        go = false;
        await Promise.all(loops);
        assert.equal(code, 0);
        assert.ok(results.length > 0);
        /* A request that arrives while the server drains may be refused with 503, never
         * answered with a truncated or failed body. */
        for (const r of results) {
            if (r.status === 503) {
                assert.match(r.headers.get('retry-after') || '', /^\d+$/);
                continue;
            }
            assert.equal(r.status, 200);
            validate('service_requests', r.json);
        }
        assert.ok(results.some((r) => r.status === 200));
    } finally {
        await srv.stop('SIGKILL');
    }
});

test('rate limit per client address: 429 with Retry-After', async () => {
    const srv = await startServer({ requests: 10, env: { GUICHET_RATE_IP: '5', GUICHET_BURST_IP: '5' } });
    try {
        /* startServer polled discovery already: wait for the bucket to refill. */
        await sleep(1500);
        const statuses = [];
        let limited = null;
        for (let i = 0; i < 20; i++) {
            const r = await request(srv, 'GET', '/open311/v2/services.json');
            statuses.push(r.status);
            if (r.status === 429 && !limited) limited = r;
        }
        assert.ok(limited, `no 429 in ${statuses.join(',')}`);
        assert.ok(statuses.slice(0, 3).every((s) => s === 200), `first requests: ${statuses.join(',')}`);
        assert.ok(statuses.every((s) => s === 200 || s === 429), statuses.join(','));
        const ra = limited.headers.get('retry-after');
        assert.match(ra || '', /^\d+$/, `Retry-After: ${ra}`);
        assert.ok(Number(ra) >= 1 && Number(ra) <= 60, `Retry-After: ${ra}`);
        assert.equal(limited.headers.get('x-content-type-options'), 'nosniff');
        await sleep(Number(ra) * 1000 + 300);
        const again = await request(srv, 'GET', '/open311/v2/services.json');
        assert.equal(again.status, 200);
    } finally {
        await srv.stop();
    }
});

test('rate limit per API key: 429 with Retry-After, other keys unaffected', async () => {
    const srv = await startServer({ requests: 10, env: { GUICHET_RATE_KEY: '2', GUICHET_BURST_KEY: '2' } });
    try {
        const body = await validPostBody(srv);
        const statuses = [];
        let limited = null;
        for (let i = 0; i < 8; i++) {
            const r = await post(srv, body);
            statuses.push(r.status);
            if (r.status === 429 && !limited) limited = r;
        }
        assert.ok(statuses[0] === 200 || statuses[0] === 201, statuses.join(','));
        assert.ok(limited, `no 429 in ${statuses.join(',')}`);
        assert.match(limited.headers.get('retry-after') || '', /^\d+$/);
        /* Reads without a key and writes with another key still pass. */
        const g = await request(srv, 'GET', '/open311/v2/requests.json');
        assert.equal(g.status, 200);
        const other = srv.guichet(['apikey', 'create', '--db', srv.db, '--name', 'other', '--scope', 'open311']);
        assert.equal(other.status, 0, other.stderr);
        const key2 = other.stdout.trim().split(/\s+/).pop();
        const deadline = Date.now() + 3000;
        let r2;
        do {
            r2 = await post(srv, await validPostBody(srv, 'nid-de-poule', { api_key: key2 }));
            if (r2.status === 200 || r2.status === 201) break;
            await sleep(100);
        } while (Date.now() < deadline);
        createdId(r2);
    } finally {
        await srv.stop();
    }
});

test('database busy: 503 with Retry-After, then service resumes, database intact', async () => {
    const srv = await startServer({ requests: 20, env: { GUICHET_BUSY_TIMEOUT_MS: '300' } });
    let locker = null;
    try {
        const body = await validPostBody(srv);
        createdId(await post(srv, body));
        locker = spawn('sqlite3', [srv.db], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        locker.stdout.on('data', (c) => (out += c));
        locker.stderr.on('data', (c) => (out += c));
        /* The lock waits for the server's own writes of the moment (the receipts it renders
         * for the demo's requests at start) instead of failing at once and printing on. */
        locker.stdin.write("PRAGMA busy_timeout=10000;\nBEGIN EXCLUSIVE;\nSELECT 'locked';\n");
        const deadline = Date.now() + 15000;
        while (!out.includes('locked') && Date.now() < deadline) await sleep(20);
        assert.match(out, /^locked/m, `sqlite3 could not take the lock: ${out}`);
        assert.doesNotMatch(out, /Error|locked \(5\)/, `sqlite3 could not take the lock: ${out}`);

        const r = await post(srv, body);
        assert.equal(r.status, 503, `POST under an exclusive lock: ${r.status} ${r.text}`);
        assert.match(r.headers.get('retry-after') || '', /^\d+$/, 'Retry-After on 503');
        assert.ok(srv.running(), 'the server survives the busy database');

        const gone = new Promise((resolve) => locker.on('exit', resolve));
        locker.stdin.end();
        await gone;
        locker = null;

        const ok = await post(srv, body);
        const id = createdId(ok);
        const g = await getRequest(srv, id);
        assert.equal(g.status, 200, g.text);
        validate('service_requests', g.json);
        assert.equal(g.json[0].service_request_id, id);
        const list = await request(srv, 'GET', '/open311/v2/requests.json');
        assert.equal(list.status, 200);
        integrityOk(srv);
    } finally {
        if (locker) locker.kill('SIGKILL');
        await srv.stop();
    }
});

test('disk full: 503 (no crash, no corruption), and service resumes once space is back', async (t) => {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
        t.skip('needs root to mount a tmpfs');
        return;
    }
    let mnt = null;
    const mount = (dir) => {
        const m = path.join(dir, 'fs');
        fs.mkdirSync(m);
        const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', m], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`mount: ${r.stderr}`);
        mnt = m;
    };
    const umount = () => {
        if (mnt) spawnSync('umount', [mnt]);
        mnt = null;
    };
    let srv;
    try {
        srv = await startServer({ requests: 20, dbFile: 'fs/g.db', beforeInit: mount, beforeCleanup: umount });
    } catch (e) {
        if (/^Error: mount:/.test(String(e))) {
            t.skip(`cannot mount a tmpfs here: ${String(e).split('\n')[0]}`);
            return;
        }
        throw e;
    }
    const filler = path.join(mnt, 'filler');
    try {
        const small = await validPostBody(srv);
        createdId(await post(srv, small));
        /* Fill the filesystem to the last block. */
        spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
        spawnSync('sync');
        const big = await validPostBody(srv, 'nid-de-poule', { description: 'Chaussée abîmée. '.repeat(220) });
        /* The WAL may reuse space it already has: keep writing until the disk refuses. */
        const acked = [];
        let unavailable = null;
        for (let i = 0; i < 200 && !unavailable; i++) {
            const r = await post(srv, big);
            assert.ok([200, 201, 503].includes(r.status), `POST on a full disk: ${r.status} ${r.text}`);
            if (r.status === 503) unavailable = r;
            else acked.push(createdId(r));
        }
        assert.ok(unavailable, 'a 503 once the disk is full');
        assert.match(unavailable.headers.get('retry-after') || '', /^\d+$/, 'Retry-After on 503');
        assert.ok(srv.running(), 'the server survives a full disk');
        const g = await request(srv, 'GET', '/open311/v2/requests.json');
        assert.equal(g.status, 200, 'reads still work on a full disk');

        fs.rmSync(filler);
        let ok = null;
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline) {
            const r = await post(srv, small);
            if (r.status === 200 || r.status === 201) {
                ok = r;
                break;
            }
            assert.equal(r.status, 503, r.text);
            await sleep(200);
        }
        assert.ok(ok, 'POST succeeds once space is back');
        acked.push(createdId(ok));
        createdId(await post(srv, small));
        for (const id of acked) {
            const r = await getRequest(srv, id);
            assert.equal(r.status, 200, `acknowledged ${id} is readable`);
        }
        integrityOk(srv);
        assert.equal(await srv.stop('SIGTERM', { keep: true }), 0);
        integrityOk(srv);
    } finally {
        await srv.stop('SIGKILL'); /* unmounts through beforeCleanup */
    }
});
