'use strict';
/*
 * Outgoing e-mail end to end: a request filed on the portal with an e-mail address queues an
 * acknowledgement in the outbox (same transaction), the dispatcher renders it and hands it
 * over SMTP to a real relay (OpenSMTPD on loopback, tests/http/mta.js), which delivers it
 * into a Maildir read back here. Also: a recipient refused with a 5xx is given up at once, a
 * relay outage delays mail and loses none, no relay configured keeps mail queued, and no
 * e-mail address reaches the server's log. The acknowledgement carries the request's receipt
 * as a PDF attachment (the stored bytes, read back with pdftotext), or says where to download
 * it when it is over --mail-attachment-max.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startServer, request, sleep } = require('./harness');
const { startMta, mtaAvailable } = require('./mta');
const F = require('../browser/bo_flows');

const FORM = '/demarches/question-generale';
const FROM = 'ne-pas-repondre@ville-demo.test';
const skip = mtaAvailable() || false;

/* Cookie jar of one browser: name → value, updated from each response's Set-Cookie. */
function keepCookies(jar, r) {
    for (const c of r.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

const unescapeHtml = (v) => v.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/* The fields a browser would send from the page's POST form, as a citizen who fills
 * description and e-mail and takes the first choice of every required radio group: hidden
 * inputs, text fields from `values`, radios; file inputs and "goto" buttons left out. */
function formFields(html, values) {
    const forms = [...html.matchAll(/<form[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/g)]
        .filter((f) => /name="step"/.test(f[1]));
    assert.ok(forms.length, 'the page has the procedure form');
    const [whole, inner] = forms[forms.length - 1];
    const multipart = /enctype="multipart\/form-data"/.test(whole.slice(0, whole.indexOf('>')));
    const fields = new Map();
    for (const m of inner.matchAll(/<input([^>]*)>/g)) {
        const a = m[1];
        const name = /name="([^"]+)"/.exec(a);
        const type = (/type="([^"]+)"/.exec(a) || [, 'text'])[1];
        const value = /value="([^"]*)"/.exec(a);
        if (!name || type === 'file') continue;
        const n = unescapeHtml(name[1]);
        if (type === 'radio' || type === 'checkbox') {
            if (!fields.has(n) && value) fields.set(n, unescapeHtml(value[1]));
        } else if (type === 'hidden') {
            fields.set(n, value ? unescapeHtml(value[1]) : '');
        } else if (n in values) {
            fields.set(n, values[n]);
        }
    }
    if (/<textarea[^>]*name="description"/.test(inner) && 'description' in values)
        fields.set('description', values.description);
    /* The values a citizen chose win over the first choice of a group. */
    for (const [k, v] of Object.entries(values)) if (fields.has(k) && k !== 'step') fields.set(k, v);
    return { fields, multipart };
}

/* Files a «question générale» with this e-mail address through the portal's pages (form,
 * then review, as a browser would); returns its reference, read from the database whatever
 * page the portal answers with. */
async function fileRequest(srv, email, description, query = '') {
    const jar = new Map();
    const values = { description, email, notify: 'email' };
    const form = FORM + query;
    let r = await request(srv, 'GET', form);
    assert.equal(r.status, 200, `GET ${FORM}: ${r.status} ${r.text.slice(0, 300)}`);
    const lookup = () => srv.sql(
        `SELECT reference FROM requests WHERE email = '${email}' ORDER BY id DESC LIMIT 1;`).trim();
    for (let step = 0; step < 4 && !lookup(); step++) {
        const cookie = keepCookies(jar, r);
        const { fields, multipart } = formFields(r.text, values);
        assert.ok(fields.get('csrf_token'), 'the form carries a CSRF token');
        let body;
        if (multipart) {
            body = new FormData();
            for (const [k, v] of fields) body.append(k, v);
        } else {
            body = new URLSearchParams([...fields]).toString();
        }
        const headers = { Cookie: cookie };
        if (!multipart) headers['Content-Type'] = 'application/x-www-form-urlencoded';
        r = await request(srv, 'POST', form, { body, headers });
        assert.ok(r.status < 400, `POST ${form}: ${r.status} ${r.text.slice(0, 500)}`);
    }
    const ref = lookup();
    assert.match(ref, /^\d{4}-\d{6}$/, `a request was stored for ${email}`);
    return ref;
}

/* The outbox rows of a request: [{id, template, attempts, sent, failed, lastError, params}]. */
function outboxOf(srv, ref) {
    const out = srv.sql(
        "SELECT json_object('id', id, 'template', template, 'attempts', attempts, 'sent', " +
        "sent_at IS NOT NULL, 'failed', failed, 'lastError', last_error, 'params', params, " +
        "'recipient', recipient) FROM outbox WHERE request_id = " +
        `(SELECT id FROM requests WHERE reference = '${ref}') ORDER BY id;`);
    return out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/* The receipt an e-mail carries: one PDF attachment named `name`, whose bytes are the
 * request's receipt as stored (its SHA-256, which the outbox row names with its id), and
 * whose text (pdftotext) holds the reference and `title`. */
function checkReceipt(srv, m, ref, name, title) {
    const files = m.parts.filter((p) => p.type === 'application/pdf');
    assert.equal(files.length, 1, 'one PDF attached');
    const [pdf] = files;
    assert.equal(pdf.disposition, 'attachment');
    assert.equal(pdf.filename, name);
    assert.equal(pdf.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    const stored = JSON.parse(srv.sql(
        "SELECT json_object('id', d.id, 'sha256', d.sha256, 'size', d.size) FROM documents d " +
        `JOIN requests r ON r.id = d.request_id WHERE r.reference = '${ref}' AND d.kind = 'receipt';`));
    assert.equal(pdf.bytes.length, stored.size);
    assert.equal(crypto.createHash('sha256').update(pdf.bytes).digest('hex'), stored.sha256);
    const row = JSON.parse(srv.sql(
        "SELECT json_object('id', document_id, 'sha256', document_sha256) FROM outbox WHERE " +
        `template = 'request_ack' AND request_id = (SELECT id FROM requests WHERE reference = '${ref}');`));
    assert.deepEqual(row, { id: stored.id, sha256: stored.sha256 }, 'the outbox row names the document');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-mail-pdf-'));
    try {
        const file = path.join(dir, name);
        fs.writeFileSync(file, pdf.bytes);
        const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
        assert.ok(text.includes(ref), `the reference in the PDF's text:\n${text.slice(0, 400)}`);
        assert.match(text, title);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function waitUntil(fn, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = fn();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(100);
    }
}

test('outgoing e-mail through a real relay', { skip }, async (t) => {
    const mta = await startMta();
    let srv;
    t.after(async () => {
        if (srv) await srv.stop();
        await mta.stop();
    });
    srv = await startServer({
        env: {
            GUICHET_SMTP_URL: mta.url,
            GUICHET_MAIL_FROM: FROM,
            GUICHET_MAIL_BACKOFF_S: '1',
        },
    });

    const addresses = [];

    await t.test('a new request is acknowledged by e-mail, in UTF-8, with its tracking link', async () => {
        const email = 'camille.martin@exemple.test';
        addresses.push(email);
        const ref = await fileRequest(srv, email, 'Bonjour, à quelle heure ouvre la médiathèque le samedi ?');
        const [m] = await mta.waitFor((x) => x.to === email && x.subject.includes(ref), 20000);
        assert.equal(m.subject, `Accusé de réception de votre demande – ${ref}`);
        assert.equal(m.fromAddr, FROM);
        assert.match(m.from, /Ville de Démo/);
        assert.equal(m.headers.get('auto-submitted'), 'auto-generated');
        assert.equal(m.headers.get('mime-version'), '1.0');
        assert.match(m.headers.get('message-id'), /^<[^@>]+@ville-demo\.test>$/);
        assert.ok(m.headers.get('date'), 'Date header');
        assert.deepEqual(m.parts.map((p) => p.type), ['text/plain', 'text/html', 'application/pdf']);
        assert.ok(m.parts.slice(0, 2).every((p) => p.charset.toLowerCase() === 'utf-8'), 'both parts are UTF-8');
        /* It carries the receipt: the frozen document's bytes, named after the reference. */
        checkReceipt(srv, m, ref, `accuse-reception-${ref}.pdf`, /Accusé de réception/);
        assert.ok(m.text.includes(`Document joint à ce message, au format PDF : accuse-reception-${ref}.pdf`),
            m.text);
        assert.match(m.text, /Nous avons bien reçu votre demande/);
        assert.ok(m.text.includes(ref));
        const link = /(https?:\/\/\S+\/suivi\/\S+)/.exec(m.text);
        assert.ok(link, `tracking link in:\n${m.text}`);
        assert.ok(link[1].includes(ref), 'the tracking link names the request');
        assert.ok(!/&(amp|#39|quot);/.test(m.text), 'no HTML entity in the text part');
        assert.match(m.html, /<html lang="fr">/);
        assert.ok(m.html.includes(`href="${link[1].replace(/&/g, '&amp;')}"`), 'the HTML part links to it');
        assert.ok(!/<img/i.test(m.html), 'no remote image');
        /* The tracking link opens the request. */
        const path = new URL(link[1]).pathname + new URL(link[1]).search;
        const tr = await request(srv, 'GET', path);
        assert.equal(tr.status, 200);
        assert.ok(tr.text.includes(ref));
        /* Recorded as sent; its params (the secret link) are gone. */
        const rows = await waitUntil(() => {
            const r = outboxOf(srv, ref);
            return r.length === 1 && r[0].sent ? r : null;
        }, 5000, 'the outbox row to be marked sent');
        assert.equal(rows[0].template, 'request_ack');
        assert.equal(rows[0].attempts, 0);
        assert.ok(!rows[0].params || rows[0].params === '{}' || !rows[0].params.includes('jeton'));
    });

    await t.test('a request filed in English: its acknowledgement and the agent\'s reply come in English', async () => {
        const email = 'sam.taylor@exemple.test';
        addresses.push(email);
        const ref = await fileRequest(srv, email, 'Hello, when does the library open on Saturdays?', '?lang=en');
        assert.equal(srv.sql(`SELECT lang FROM requests WHERE reference = '${ref}';`).trim(), 'en');
        const [ack] = await mta.waitFor((x) => x.to === email && x.subject.includes(ref), 20000);
        assert.equal(ack.subject, `Acknowledgement of your request – ${ref}`);
        assert.match(ack.text, /We have received your request/);
        checkReceipt(srv, ack, ref, `acknowledgement-of-receipt-${ref}.pdf`, /Acknowledgement of receipt/i);
        assert.match(ack.html, /<html lang="en">/);

        /* An agent of the reception desk answers from the back office, which shows the
         * language the messages go out in. */
        const agent = await F.login(srv, F.addAgent(srv, { email: 'accueil.mail@ville-demo.test',
                                                           name: 'Accueil Courriel', role: 'agent',
                                                           departments: ['accueil'] }));
        const page = await agent.get(`/agent/demandes/${ref}`);
        assert.equal(page.status, 200);
        assert.match(page.text, /<dt>Langue des messages<\/dt><dd>anglais<\/dd>/);
        const r = await agent.post(`/agent/demandes/${ref}/traiter`,
                                   { reponse: 'The library opens at 10 am on Saturdays.' });
        assert.equal(r.status, 303, r.text.slice(0, 500));
        const [reply] = await mta.waitFor((x) => x.to === email && x.subject.startsWith('New answer'), 20000);
        assert.equal(reply.subject, `New answer to your request – ${ref}`);
        assert.match(reply.text, /Our services have answered your request\./);
        assert.ok(reply.text.includes('The library opens at 10 am on Saturdays.'));
        assert.match(reply.html, /<html lang="en">/);
        /* A French request's reply stays in French. */
        const frRef = await fileRequest(srv, 'claire.dupuis@exemple.test', 'Une question en français.');
        addresses.push('claire.dupuis@exemple.test');
        const frPage = await agent.get(`/agent/demandes/${frRef}`);
        assert.match(frPage.text, /<dt>Langue des messages<\/dt><dd>français<\/dd>/);
        const fr = await agent.post(`/agent/demandes/${frRef}/traiter`, { reponse: 'Voici notre réponse.' });
        assert.equal(fr.status, 303);
        const [frReply] = await mta.waitFor((x) => x.to === 'claire.dupuis@exemple.test' &&
            x.subject.startsWith('Nouvelle réponse'), 20000);
        assert.match(frReply.html, /<html lang="fr">/);
    });

    await t.test('a recipient refused with 550 is given up at once', async () => {
        const email = 'personne@rejet.test';
        addresses.push(email);
        const ref = await fileRequest(srv, email, 'Une adresse que le relais refuse.');
        const rows = await waitUntil(() => {
            const r = outboxOf(srv, ref);
            return r.length === 1 && r[0].failed ? r : null;
        }, 10000, 'the message to be given up');
        assert.equal(rows[0].sent, 0);
        assert.equal(rows[0].attempts, 1);
        assert.match(rows[0].lastError, /550/);
        assert.ok(!rows[0].lastError.includes('@'), 'last_error holds no address');
        await sleep(2500);
        assert.equal(outboxOf(srv, ref)[0].attempts, 1, 'no further attempt');
    });

    await t.test('a relay outage delays mail and loses none', async () => {
        await mta.stop({ keep: true });
        const email = 'dominique.leroy@exemple.test';
        addresses.push(email);
        const ref = await fileRequest(srv, email, 'Demande déposée pendant une panne du relais.');
        const rows = await waitUntil(() => {
            const r = outboxOf(srv, ref);
            return r.length === 1 && r[0].attempts >= 1 ? r : null;
        }, 10000, 'a failed attempt');
        assert.equal(rows[0].sent, 0, 'not sent while the relay is down');
        assert.equal(rows[0].failed, 0, 'not given up');
        assert.ok(rows[0].lastError, 'the error is recorded');
        assert.ok(!rows[0].lastError.includes('@'), 'last_error holds no address');
        assert.equal(mta.messages().filter((m) => m.to === email).length, 0);

        await mta.restart();
        /* With GUICHET_MAIL_BACKOFF_S=1 the next attempts come after 1, 2, 4… s; the default
         * (30 s) still fits. */
        const [m] = await mta.waitFor((x) => x.to === email, 45000);
        assert.ok(m.subject.includes(ref));
        await waitUntil(() => outboxOf(srv, ref)[0].sent, 5000, 'the row to be marked sent');
        /* Delivered once only. */
        await sleep(1500);
        assert.equal(mta.messages().filter((x) => x.to === email).length, 1);
    });

    await t.test('no e-mail address in the server log; one line per message', async () => {
        const log = srv.log();
        for (const a of addresses) assert.ok(!log.includes(a), `the log must not hold ${a}`);
        assert.match(log, /mail: outbox \d+ template request_ack sent/);
    });
});

test('a document over the attachment bound goes as the tracking link, said in the text', { skip }, async (t) => {
    const mta = await startMta();
    let srv;
    t.after(async () => {
        if (srv) await srv.stop();
        await mta.stop();
    });
    srv = await startServer({
        env: { GUICHET_SMTP_URL: mta.url, GUICHET_MAIL_FROM: FROM, GUICHET_MAIL_ATTACHMENT_MAX: '1024' },
    });
    const email = 'dominique.large@exemple.test';
    const ref = await fileRequest(srv, email, 'Un accusé de réception trop lourd pour être joint.');
    const [m] = await mta.waitFor((x) => x.to === email && x.subject.includes(ref), 20000);
    assert.deepEqual(m.parts.map((p) => p.type), ['text/plain', 'text/html']);
    assert.match(m.text, /Le document est trop volumineux pour être joint à ce message/);
    assert.ok(/(https?:\/\/\S+\/suivi\/\S+)/.test(m.text), 'the tracking link stays');
    assert.match(m.html, /Le document est trop volumineux/);
});

test('without a relay, e-mail stays queued', async (t) => {
    const srv = await startServer({ env: { GUICHET_SMTP_URL: '', GUICHET_MAIL_FROM: FROM } });
    t.after(() => srv.stop());
    const ref = await fileRequest(srv, 'alex@exemple.test', 'Sans relais configuré.');
    await sleep(2500);
    const rows = outboxOf(srv, ref);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].template, 'request_ack');
    assert.equal(rows[0].sent, 0);
    assert.equal(rows[0].attempts, 0);
    assert.equal(rows[0].failed, 0);
});
