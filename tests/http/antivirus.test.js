'use strict';
/*
 * Uploads scanned by a real ClamAV daemon: Debian's clamd, started by tests/clamd/clamd-run
 * with only guichet's test signatures (a harmless "GUICHET-TEST-VIRUS-…" string and the
 * EICAR test string), the server given --clamd-socket (or --clamd-address). Clean photos
 * and PDFs are accepted; a PDF carrying the payload, a photo carrying it in a JPEG comment
 * (which re-encoding would have dropped: the scan sees the bytes as sent) and the EICAR file
 * named .jpg are refused with «Ce fichier a été refusé par l'antivirus de la mairie…», in
 * French and English, on the portal's form, the tracking page's reply and the back office's
 * intake and field pages, keeping what was typed; the log names the signature, never the
 * file or the citizen. With clamd stopped, silent past --clamd-timeout or refusing a file
 * over its StreamMaxLength, uploads are refused with 503 «l'analyse antivirus est
 * momentanément indisponible» (fail closed) and accepted again once clamd is back. Without
 * the option nothing is scanned.
 *
 * clamd is installed when missing (scripts/install-deps test); when it cannot be installed or
 * started these tests fail, they are never skipped.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawnSync, execFileSync } = require('node:child_process');
const { startServer, BIN } = require('./harness');
const { startClamd, PAYLOAD, EICAR } = require('./clamd');
const {
    Browser, reviewStep, confirmation, finishFiling, fill, parseForms, decodeEntities, reply, trackingPath,
    setToken,
} = require('./portal_client');

const PASSWORD = 'un-mot-de-passe-solide';
const REFUSED_FR = /Ce fichier a été refusé par l.antivirus de la mairie/i;
const REFUSED_EN = /This file was refused by the town hall.s antivirus/i;
const UNSCANNED_FR = /L.analyse antivirus est momentanément indisponible/i;
const UNSCANNED_EN = /The antivirus check is temporarily unavailable/i;
const SIGNATURE = 'Guichet.Test.Payload.UNOFFICIAL';

/* ---- files ---- */

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-av-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

/* A small valid PDF; `inside` goes into a comment line of its body. */
function pdf(inside = '') {
    return Buffer.concat([
        Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
                    '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n%'),
        Buffer.from(inside), Buffer.from('\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
    ]);
}

/* A real 320 × 240 JPEG (libvips' CLI); with `comment`, that text in a COM segment right after
 * the start marker: a valid photo whose re-encoding would drop the comment. */
function jpeg(comment) {
    const v = path.join(work, 'g.v');
    const file = path.join(work, 'g.jpg');
    execFileSync('vips', ['xyz', v, '320', '240']);
    execFileSync('vips', ['cast', v, file, 'uchar']);
    const bytes = fs.readFileSync(file);
    if (!comment) return bytes;
    const len = comment.length + 2;
    return Buffer.concat([bytes.subarray(0, 2), Buffer.from([0xff, 0xfe, len >> 8, len & 0xff]),
                          comment, bytes.subarray(2)]);
}

const CLEAN_PDF = { name: 'attestation.pdf', type: 'application/pdf', data: pdf('rien à signaler') };
const INFECTED_PDF = { name: 'facture-dupont.pdf', type: 'application/pdf', data: pdf(PAYLOAD) };
let CLEAN_JPEG;
let INFECTED_JPEG;
const EICAR_JPG = { name: 'vacances.jpg', type: 'image/jpeg', data: EICAR };

/* ---- helpers ---- */

const count = (srv) => Number(srv.sql('SELECT count(*) FROM attachments;').trim());
/* Files of the uploads directory: attachments, not the files forms keep until they are sent
 * (uploads/stash/). */
const stored = (srv) => {
    const dir = path.join(srv.dir, 'uploads');
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => !n.startsWith('.') && n !== 'stash').length : 0;
};

/* The message shown next to a file input (id "<id>-error"), decoded. */
function fieldError(html, id) {
    const m = new RegExp(`id="${id}-error"[^>]*>([\\s\\S]*?)</p>`).exec(html);
    return m ? decodeEntities(m[1].replace(/<[^>]+>/g, '')).trim() : null;
}

/* The hidden inputs of a form (what the review step carries), CSRF token aside. */
const hiddenOf = (form) => form.controls
    .filter((c) => c.type === 'hidden' && c.name !== 'csrf_token')
    .map((c) => `${c.name}=${c.value}`).sort();

/* A demo request of the portal's incident procedure with a tracking token we know. */
function demoRequest(srv) {
    const ref = srv.sql("SELECT r.reference FROM requests r JOIN procedures p ON p.id = r.procedure_id " +
                        "WHERE p.code = 'nid-de-poule' ORDER BY r.id LIMIT 1;").trim();
    assert.ok(ref, 'the demo has an incident');
    const token = 'jeton-antivirus-' + 'y'.repeat(30);
    setToken(srv, ref, token);
    return { ref, token };
}

/* Sends a reply with `files` on the tracking page in `lang`; returns the answer. */
async function replyIn(b, demo, message, files, lang) {
    if (lang !== 'en') return reply(b, demo.ref, demo.token, message, files);
    const page = await b.get(trackingPath(demo.ref, demo.token));
    const form = parseForms(page.text).find((f) => f.action.endsWith('/message'));
    const fd = new FormData();
    for (const [k, v] of fill(form, { '*': files }).filter(([k]) => k !== 'message')) {
        if (typeof v === 'string') fd.append(k, v);
        else fd.append(k, new Blob([v.data], { type: v.type }), v.name);
    }
    fd.append('message', message);
    return b.fetch('POST', form.action, { body: fd, headers: { 'Accept-Language': 'en' } });
}

/* A logged-in agent of the voirie department (no second factor for this role). */
async function agent(srv, email) {
    const r = spawnSync(BIN, ['agent', 'add', '--db', srv.db, '--email', email, '--name', 'Agent Test',
                              '--role', 'agent', '--department', 'voirie', '--password-stdin'],
                        { input: PASSWORD + '\n', encoding: 'utf8', env: srv.env });
    assert.equal(r.status, 0, `agent add: ${r.stderr}`);
    const b = new Browser(srv);
    const page = await b.get('/agent/connexion');
    const form = parseForms(page.text).find((f) => f.method === 'post');
    const fields = fill(form).filter(([k]) => k !== 'email' && k !== 'password');
    fields.push(['email', email], ['password', PASSWORD]);
    const login = await b.submit(form, fields);
    assert.equal(login.status, 303, `login: ${login.status} ${login.text.slice(0, 500)}`);
    return b;
}

/* ---- the server with clamd ---- */

let clamd;
let srv;
let demo;

test.before(async () => {
    CLEAN_JPEG = { name: 'trottoir.jpg', type: 'image/jpeg', data: jpeg() };
    INFECTED_JPEG = { name: 'IMG_0042.jpg', type: 'image/jpeg', data: jpeg(PAYLOAD) };
    clamd = await startClamd();
    srv = await startServer({ env: { GUICHET_CLAMD_SOCKET: clamd.socket }, requests: 20 });
    demo = demoRequest(srv);
});

test.after(async () => {
    if (srv) await srv.stop();
    if (clamd) await clamd.stop();
});

test('clamd runs with the test signatures only, and the server says it answers', async () => {
    assert.match(await clamd.version(), /^ClamAV \d+\.\d+/);
    assert.deepEqual(fs.readdirSync(path.join(clamd.dir, 'db')), ['guichet-test.ndb']);
    assert.match(srv.log(), /antivirus: clamd at \S+clamd\.sock answers \(ClamAV [^)]+\): every upload is scanned/);
});

test('a clean photo and a clean PDF are scanned and accepted on the portal form', async () => {
    const n0 = count(srv);
    const b = new Browser(srv);
    const { form } = await reviewStep(b);
    const filed = await confirmation(b, await finishFiling(b, await b.submit(form, fill(form, { '*': [CLEAN_JPEG, CLEAN_PDF] }))));
    assert.ok(filed.reference);
    assert.equal(count(srv), n0 + 2);
    /* clamd saw both */
    await clamd.waitLog(/instream\(local\): OK[\s\S]*instream\(local\): OK/);
});

test('the test payload in a PDF is refused on the portal form with the antivirus message; every answer is kept', async () => {
    const b = new Browser(srv);
    const { form } = await reviewStep(b);
    const n0 = count(srv), files0 = stored(srv);
    /* the clean photo comes first: checked and kept for the form, the other one refused */
    const r = await b.submit(form, fill(form, { '*': [CLEAN_JPEG, INFECTED_PDF] }));
    assert.equal(r.status, 400, r.text.slice(0, 2000));
    const msg = fieldError(r.text, 'files');
    assert.ok(msg, `no message next to the file input:\n${r.text.slice(0, 3000)}`);
    assert.match(msg, REFUSED_FR);
    assert.match(msg, /facture-dupont\.pdf/);
    assert.match(r.text, /<html[^>]*lang="fr"/);
    assert.match(r.text, /aria-invalid="true"/);
    assert.match(r.headers.get('cache-control'), /no-store/);
    assert.equal(count(srv), n0, 'an attachment was recorded');
    assert.equal(stored(srv), files0, 'a file was kept on disk');
    assert.match(r.text, /<li><span>trottoir\.jpg, [^<]*<\/span> — <button[^>]*name="retirer"/, 'the clean photo is not kept');
    assert.doesNotMatch(r.text, /<li><span>facture-dupont/);

    /* the same review step, with every answer carried along */
    const again = parseForms(r.text).find((f) => f.action === form.action && f.method === 'post');
    assert.ok(again, 'the form is shown again');
    assert.deepEqual(hiddenOf(again), hiddenOf(form));
    assert.match(decodeEntities(r.text), /Un trou profond devant le numéro 12/);

    /* the log names the signature, never the file nor the citizen */
    const log = srv.log();
    assert.match(log, new RegExp(`upload refused by the antivirus: signature ${SIGNATURE.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(log, /facture-dupont/);
    assert.doesNotMatch(log, /jeanne\.test@exemple\.fr/);
    await clamd.waitLog(new RegExp(`${SIGNATURE} FOUND`));

    /* another file on the page as it came back: filed with the kept answers and photo */
    const filed = await confirmation(b, await finishFiling(b, await b.submit(again, fill(again, { "*": [CLEAN_PDF] }))));
    const row = srv.sql(`SELECT description, email FROM requests WHERE reference = '${filed.reference}';`).trim();
    assert.match(row, /^Un trou profond devant le numéro 12.*\|jeanne\.test@exemple\.fr$/);
    assert.equal(count(srv), n0 + 2);
});

test('a photo carrying the payload in a JPEG comment is refused: the scan sees the bytes before re-encoding', async () => {
    const b = new Browser(srv);
    const n0 = count(srv), files0 = stored(srv);
    const r = await reply(b, demo.ref, demo.token, 'Voici la photo du trou.', [INFECTED_JPEG]);
    assert.equal(r.status, 400, r.text.slice(0, 2000));
    const msg = fieldError(r.text, 'fichiers');
    assert.ok(msg, 'no message next to the file input');
    assert.match(msg, /IMG_0042\.jpg/);
    assert.match(msg, REFUSED_FR);
    assert.match(r.text, /Voici la photo du trou\./, 'the message typed is kept');
    assert.equal(count(srv), n0);
    assert.equal(stored(srv), files0);
    /* the same photo without the comment is a photo like any other */
    const ok = await reply(b, demo.ref, demo.token, 'La photo.', [CLEAN_JPEG]);
    assert.equal(ok.status, 303, ok.text.slice(0, 500));
});

test('the EICAR test file named .jpg is refused by the antivirus, not merely for its type', async () => {
    const b = new Browser(srv);
    const r = await reply(b, demo.ref, demo.token, 'Mes photos de vacances.', [EICAR_JPG]);
    assert.equal(r.status, 400);
    const msg = fieldError(r.text, 'fichiers');
    assert.match(msg, REFUSED_FR);
    assert.doesNotMatch(msg, /JPEG, PNG, WebP/);
    assert.match(srv.log(), /signature Guichet\.Test\.EICAR\.UNOFFICIAL/);
});

test('in English: the antivirus message in English, the message kept', async () => {
    const r = await replyIn(new Browser(srv), demo, 'Here is the invoice.', [INFECTED_PDF], 'en');
    assert.equal(r.status, 400);
    assert.match(r.text, /<html[^>]*lang="en"/);
    assert.match(fieldError(r.text, 'fichiers'), REFUSED_EN);
    assert.match(r.text, /Here is the invoice\./);
});

test('the back office refuses it too: phone intake and field photo, what the agent typed kept', async () => {
    const b = await agent(srv, 'agent.av@ville-demo.test');
    const page = await b.get('/agent/saisie?canal=phone&demarche=nid-de-poule');
    assert.equal(page.status, 200);
    assert.match(decodeEntities(page.text), /Images ou PDF, 10 Mo au plus chacun, 5 fichiers au plus\./); /* the limits as configured */
    const form = parseForms(page.text).find((f) => f.action === '/agent/saisie' && f.method === 'post');
    assert.ok(form, 'the intake form');
    const fields = fill(form, { '*': [INFECTED_PDF] }).filter(([k]) => k !== 'description');
    fields.push(['description', 'Courrier reçu : chaussée abîmée rue des Lilas.']);
    const n0 = count(srv);
    const r = await b.submit(form, fields);
    assert.equal(r.status, 400, r.text.slice(0, 2000));
    assert.match(fieldError(r.text, 'fichiers'), REFUSED_FR);
    assert.match(decodeEntities(r.text), /Courrier reçu : chaussée abîmée rue des Lilas\./);
    assert.equal(count(srv), n0);

    const near = srv.sql("SELECT r.reference, r.lat, r.lon FROM requests r JOIN departments d ON d.id = r.department_id " +
                         "WHERE d.code = 'voirie' AND r.status IN ('new','acknowledged','in_progress') " +
                         'AND r.lat IS NOT NULL LIMIT 1;').trim();
    assert.ok(near, 'an open located voirie request');
    const [ref, lat, lon] = near.split('|');
    const terrain = await b.get(`/agent/terrain?lat=${lat}&long=${lon}&rayon=250`);
    assert.equal(terrain.status, 200);
    const pf = parseForms(terrain.text).find((f) => f.action.split('?')[0].endsWith(`/agent/terrain/${ref}`));
    assert.ok(pf, `the field form of ${ref}`);
    const t = await b.submit(pf, fill(pf, { '*': [INFECTED_JPEG] }).filter(([k]) => k !== 'note'));
    assert.equal(t.status, 400, t.text.slice(0, 2000));
    assert.match(decodeEntities(t.text), REFUSED_FR);
    assert.equal(count(srv), n0);
});

test('clamd stopped: uploads are refused as unscanned (503), what was typed kept; accepted again once it is back', async () => {
    await clamd.stop({ keep: true });
    try {
        const b = new Browser(srv);
        const n0 = count(srv), files0 = stored(srv);
        const r = await reply(b, demo.ref, demo.token, 'Le justificatif demandé.', [CLEAN_PDF]);
        assert.equal(r.status, 503, fieldError(r.text, 'fichiers') + srv.log().slice(-1500));
        assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After');
        assert.match(fieldError(r.text, 'fichiers'), UNSCANNED_FR);
        assert.match(r.text, /Le justificatif demandé\./);
        assert.equal(count(srv), n0, 'an unscanned file was accepted');
        assert.equal(stored(srv), files0);
        assert.match(srv.log(), /error attachment: upload refused unscanned; every upload is refused until the antivirus answers: antivirus: cannot connect to clamd/);

        /* the portal form: the review step again, answers kept */
        const { form } = await reviewStep(b);
        const f = await b.submit(form, fill(form, { '*': [CLEAN_PDF] }));
        assert.equal(f.status, 503);
        assert.match(fieldError(f.text, 'files'), UNSCANNED_FR);
        const again = parseForms(f.text).find((x) => x.action === form.action && x.method === 'post');
        assert.deepEqual(hiddenOf(again), hiddenOf(form));

        const en = await replyIn(b, demo, 'The requested document.', [CLEAN_PDF], 'en');
        assert.equal(en.status, 503);
        assert.match(fieldError(en.text, 'fichiers'), UNSCANNED_EN);

        /* a message without files does not need the antivirus */
        const plain = await reply(b, demo.ref, demo.token, 'Un simple message.', []);
        assert.equal(plain.status, 303);
    } finally {
        await clamd.restart();
    }
    const ok = await reply(new Browser(srv), demo.ref, demo.token, 'Le justificatif demandé.', [CLEAN_PDF]);
    assert.equal(ok.status, 303, ok.text.slice(0, 500));
});

/* ---- other configurations ---- */

test('a clamd that takes the file and never answers: refused after --clamd-timeout', async () => {
    /* Not clamd: a socket that reads everything and says nothing, as a hung daemon would. */
    const sock = path.join(work, 'silent.sock');
    const conns = new Set();
    const silent = net.createServer((c) => {
        conns.add(c);
        c.on('data', () => {});
        c.on('close', () => conns.delete(c));
    });
    await new Promise((resolve) => silent.listen(sock, resolve));
    const s = await startServer({ env: { GUICHET_CLAMD_SOCKET: sock, GUICHET_CLAMD_TIMEOUT_S: '1' }, requests: 5 });
    try {
        const d = demoRequest(s);
        const t0 = Date.now();
        const r = await reply(new Browser(s), d.ref, d.token, 'Un fichier.', [CLEAN_PDF]);
        const took = Date.now() - t0;
        assert.equal(r.status, 503);
        assert.match(fieldError(r.text, 'fichiers'), UNSCANNED_FR);
        assert.ok(took < 10000, `took ${took} ms`);
        assert.match(s.log(), /no reply before the timeout/);
        assert.match(s.log(), /antivirus: clamd at \S+silent\.sock does not answer/);
    } finally {
        await s.stop();
        for (const c of conns) c.destroy();
        silent.close();
    }
});

test('--clamd-address on loopback TCP; a file over clamd\'s StreamMaxLength is refused as unscanned, the log says why', async () => {
    const small = await startClamd({ tcp: true, streamMax: '1M' });
    const s = await startServer({ env: { GUICHET_CLAMD_ADDRESS: `127.0.0.1:${small.port}` }, requests: 5 });
    try {
        const d = demoRequest(s);
        const b = new Browser(s);
        const infected = await reply(b, d.ref, d.token, 'La facture.', [INFECTED_PDF]);
        assert.equal(infected.status, 400);
        assert.match(fieldError(infected.text, 'fichiers'), REFUSED_FR);
        await small.waitLog(/instream\(127\.0\.0\.1@\d+\): Guichet\.Test\.Payload\.UNOFFICIAL FOUND/);

        const big = { name: 'dossier.pdf', type: 'application/pdf', data: pdf('x'.repeat(2 * 1024 * 1024)) };
        const r = await reply(b, d.ref, d.token, 'Le dossier complet.', [big]);
        assert.equal(r.status, 503, r.text.slice(0, 500));
        assert.match(fieldError(r.text, 'fichiers'), UNSCANNED_FR);
        assert.match(s.log(), /StreamMaxLength/);

        const ok = await reply(b, d.ref, d.token, 'Le justificatif.', [CLEAN_PDF]);
        assert.equal(ok.status, 303);
    } finally {
        await s.stop();
        await small.stop();
    }
});

test('without the option nothing is scanned: the payload is accepted as before', async () => {
    const s = await startServer({ requests: 5 });
    try {
        const d = demoRequest(s);
        const n0 = count(s);
        const r = await reply(new Browser(s), d.ref, d.token, 'La facture.', [INFECTED_PDF]);
        assert.equal(r.status, 303, r.text.slice(0, 500));
        assert.equal(count(s), n0 + 1);
        assert.match(s.log(), /antivirus: off/);
    } finally {
        await s.stop();
    }
});

test('wrong antivirus options stop the server at start with a clear message', () => {
    const cases = [
        [['--clamd-address', '192.0.2.10:3310'], /--clamd-address: .*not a loopback address/],
        [['--clamd-address', 'clamav:3310'], /--clamd-address: .*not HOST:PORT/],
        [['--clamd-socket', '/run/clamav/clamd.ctl', '--clamd-address', '127.0.0.1:3310'], /not both/],
        [['--clamd-socket', '/tmp/clamd.sock', '--clamd-timeout', '0'], /clamd-timeout/],
    ];
    /* the options alone, not the test server's GUICHET_CLAMD_SOCKET */
    const env = Object.assign({}, srv.env);
    delete env.GUICHET_CLAMD_SOCKET;
    for (const [args, re] of cases) {
        const r = spawnSync(BIN, ['serve', '--db', srv.db, '--listen', '127.0.0.1:0', ...args],
                            { env, encoding: 'utf8', timeout: 30000 });
        assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
        assert.match(r.stderr, re);
    }
});
