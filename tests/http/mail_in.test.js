'use strict';
/*
 * Incoming e-mail over HTTP: POST /passerelle/mail (a "gateway" key, message/rfc822, limits,
 * errors) and `guichet mailgate`'s line and exit codes (0 handled, 65 a message never to be
 * taken, 75 everything else). A new mail files a request of channel email under «Question
 * générale» with the sender's name and address and queues its acknowledgement; a reference in
 * the subject threads only when the sender is that request's contact, else a new request
 * cites it for an agent; quoted history is kept apart; spam, bounces and auto-replies create
 * nothing and queue nothing; no sender address reaches the server's log.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, request } = require('./harness');
const F = require('../browser/bo_flows');

const BIN = path.resolve(__dirname, '..', '..', process.env.GUICHET_BIN || 'build/guichet');

function post(srv, msg, { key = srv.keys.gateway, type = 'message/rfc822', query = '' } = {}) {
    const headers = { 'Content-Type': type };
    if (key) headers.Authorization = `Bearer ${key}`;
    return request(srv, 'POST', `/passerelle/mail${query}`, { headers, body: msg });
}

function mail({ from = 'Camille Durand <camille.durand@exemple.test>', subject = 'Horaires',
                headers = '', body = 'Bonjour,\nquels sont vos horaires ?\n' } = {}) {
    return `From: ${from}\r\nTo: contact@ville-demo.test\r\nSubject: ${subject}\r\n` +
        `Message-ID: <${Math.random().toString(16).slice(2)}@exemple.test>\r\n${headers}\r\n` +
        body.replace(/\n/g, '\r\n');
}

function mailgate(srv, msg, args = [], key = srv.keys.gateway) {
    const keyFile = path.join(srv.dir, 'gateway.key');
    fs.writeFileSync(keyFile, `${key}\n`);
    const r = spawnSync(BIN, ['mailgate', '--url', srv.url, '--key-file', keyFile, ...args],
                        { input: msg, encoding: 'utf8', timeout: 30000 });
    return { status: r.status, out: r.stdout };
}

const counts = (srv) => srv.sql("SELECT count(*) FROM requests; SELECT count(*) FROM outbox;")
    .trim().split('\n').map(Number);

test('POST /passerelle/mail', async (t) => {
    const srv = await startServer({ requests: 0, env: { GUICHET_MAIL_SPAM_HEADER: 'X-Spam-Status: Yes' } });
    t.after(() => srv.stop());

    await t.test('needs a gateway key, sent as Bearer', async () => {
        let r = await post(srv, mail(), { key: null });
        assert.equal(r.status, 401);
        assert.equal(r.json.error.code, 'unauthorized');
        r = await post(srv, mail(), { key: srv.keys.api });
        assert.equal(r.status, 403);
        r = await post(srv, mail(), { key: 'gk_nope' });
        assert.equal(r.status, 403);
    });

    await t.test('takes message/rfc822 only, and a message', async () => {
        let r = await post(srv, mail(), { type: 'text/plain' });
        assert.equal(r.status, 415);
        r = await post(srv, 'not a message at all');
        assert.equal(r.status, 400);
        assert.equal(r.json.error.argument, 'message');
        r = await post(srv, 'Subject: no sender\r\n\r\nBonjour\r\n');
        assert.equal(r.status, 400);
        assert.equal(r.json.error.argument, 'from');
    });

    await t.test('a new mail files a request of channel email and acknowledges it', async () => {
        const [, outboxBefore] = counts(srv);
        const r = await post(srv, mail({ body: 'Bonjour,\nquels sont vos horaires ?\n\n-- \nCamille\n' }));
        assert.equal(r.status, 201);
        assert.equal(r.json.outcome, 'created');
        const ref = r.json.reference;
        const row = srv.sql(`SELECT r.channel, r.email, r.first_name, r.last_name, p.code, r.description
                             FROM requests r JOIN procedures p ON p.id = r.procedure_id
                             WHERE r.reference = '${ref}'`).trim();
        assert.match(row, /^email\|camille\.durand@exemple\.test\|Camille\|Durand\|question-generale\|Horaires/);
        assert.ok(row.includes('quels sont vos horaires ?'));
        assert.ok(!row.includes('-- '), 'the signature is not in the description');
        const hist = srv.sql(`SELECT e.is_public, e.body FROM request_events e JOIN requests r ON r.id = e.request_id
                              WHERE r.reference = '${ref}' AND e.kind = 'mail_history'`).trim();
        assert.match(hist, /^0\|-- /);
        const [, outboxAfter] = counts(srv);
        assert.equal(outboxAfter, outboxBefore + 1);
        assert.equal(srv.sql(`SELECT template, recipient FROM outbox ORDER BY id DESC LIMIT 1`).trim(),
                     'request_ack|camille.durand@exemple.test');
    });

    await t.test('a reference in the subject threads only for the request\'s contact', async () => {
        const first = await post(srv, mail({ subject: 'Stationnement' }));
        const ref = first.json.reference;
        let r = await post(srv, mail({ subject: `Re: Votre demande ${ref}`,
                                       body: 'Merci.\n\nLe 3 mars 2026, Mairie a écrit :\n> Bonjour\n' }));
        assert.equal(r.status, 200);
        assert.deepEqual({ outcome: r.json.outcome, reference: r.json.reference },
                         { outcome: 'threaded', reference: ref });
        const ev = srv.sql(`SELECT e.kind, e.is_public, e.channel, e.body FROM request_events e
                            JOIN requests r ON r.id = e.request_id WHERE r.reference = '${ref}'
                            AND e.kind IN ('message', 'mail_history') ORDER BY e.id DESC LIMIT 2`);
        assert.match(ev, /message\|1\|email\|Merci\./);
        assert.match(ev, /mail_history\|0\|email\|Le 3 mars 2026, Mairie a écrit :\n> Bonjour/);
        /* Someone else citing it: a new request, which cites it for an agent. */
        r = await post(srv, mail({ from: 'autre@exemple.test', subject: `Re: ${ref}` }));
        assert.equal(r.json.outcome, 'created');
        assert.notEqual(r.json.reference, ref);
        assert.equal(srv.sql(`SELECT e.is_public, e.body FROM request_events e JOIN requests r ON r.id = e.request_id
                              WHERE r.reference = '${r.json.reference}' AND e.kind = 'mail_cites'`).trim(),
                     `0|${ref}`);
    });

    await t.test('HTML-only mail becomes text', async () => {
        const r = await post(srv, mail({
            headers: 'MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n',
            body: '<html><body><p>Un <b>trou</b> rue Victor&nbsp;Hugo</p><script>x()</script></body></html>',
        }));
        assert.equal(r.json.outcome, 'created');
        const d = srv.sql(`SELECT description FROM requests WHERE reference = '${r.json.reference}'`);
        assert.ok(d.includes('Un trou rue Victor\u00a0Hugo'), d);
        assert.ok(!d.includes('<'), d);
    });

    await t.test('bounces and auto-replies create nothing and queue nothing', async () => {
        const cases = [
            ['autoreply', mail({ headers: 'Auto-Submitted: auto-replied\r\n' })],
            ['autoreply', mail({ headers: 'Precedence: bulk\r\n' })],
            ['bounce', 'From: MAILER-DAEMON@mx.exemple.test\r\nTo: ne-pas-repondre@ville-demo.test\r\n' +
                'Subject: Undelivered\r\nMIME-Version: 1.0\r\n' +
                'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n' +
                '--R\r\nContent-Type: text/plain\r\n\r\nfailed\r\n' +
                '--R\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n' +
                '--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <unknown@ville-demo.test>\r\n' +
                '--R--\r\n'],
        ];
        for (const [reason, msg] of cases) {
            const before = counts(srv);
            const r = await post(srv, msg);
            assert.equal(r.status, 200, reason);
            assert.deepEqual({ outcome: r.json.outcome, reason: r.json.reason }, { outcome: 'dropped', reason });
            assert.deepEqual(counts(srv), before, `${reason}: nothing written`);
        }
    });

    await t.test('a bounce of our message is answered once its state is durable', async () => {
        const created = await post(srv, mail({ from: 'rebond@exemple.test', subject: 'Rebond' }));
        assert.equal(created.json.outcome, 'created');
        const [id, mid] = srv.sql(`SELECT o.id, o.message_id FROM outbox o JOIN requests r ON r.id = o.request_id
                                   WHERE r.reference = '${created.json.reference}' AND o.channel = 'email'
                                   ORDER BY o.id LIMIT 1`).trim().split('|');
        assert.match(mid, /^[0-9a-f]{32}$/);
        const r = await post(srv, 'From: MAILER-DAEMON@mx.exemple.test\r\nTo: ne-pas-repondre@ville-demo.test\r\n' +
            'Subject: Undelivered\r\nMIME-Version: 1.0\r\n' +
            'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n' +
            '--R\r\nContent-Type: text/plain\r\n\r\nfailed\r\n' +
            '--R\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n' +
            `--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <${mid}@ville-demo.test>\r\n` +
            '--R--\r\n');
        assert.equal(r.status, 200);
        assert.deepEqual({ outcome: r.json.outcome, reason: r.json.reason }, { outcome: 'dropped', reason: 'bounce' });
        /* Read right after the answer: the write was durable before it. */
        assert.equal(srv.sql(`SELECT state FROM outbox WHERE id = ${id}`).trim(), 'bounced');
        assert.match(srv.sql(`SELECT e.body FROM request_events e JOIN requests r ON r.id = e.request_id
                              WHERE r.reference = '${created.json.reference}' AND e.kind = 'delivery'
                              ORDER BY e.id DESC LIMIT 1`), /^bounced /);
    });

    await t.test('spam is held for an administrator, answered to no one', async () => {
        const before = counts(srv);
        for (const headers of ['X-Spam-Flag: YES\r\n', 'X-Spam-Status: Yes, score=12.5\r\n']) {
            const r = await post(srv, mail({ from: 'promo@spam.test', subject: 'Gagnez', headers }));
            assert.equal(r.status, 200);
            assert.deepEqual({ outcome: r.json.outcome, reason: r.json.reason }, { outcome: 'held', reason: 'spam' });
        }
        assert.deepEqual(counts(srv), before, 'no request, no acknowledgement');
        assert.equal(srv.sql("SELECT count(*) FROM mail_held WHERE sender = 'promo@spam.test'").trim(), '2');
        /* Held mail older than 30 days goes as the next one is held. */
        srv.sql("INSERT INTO mail_held (tenant_id, received_at, sender, subject, message) " +
                "SELECT id, strftime('%s', 'now') - 31 * 86400, 'vieux@spam.test', 'x', X'41' FROM tenants");
        await post(srv, mail({ from: 'promo@spam.test', subject: 'Encore', headers: 'X-Spam-Flag: YES\r\n' }));
        assert.equal(srv.sql("SELECT count(*) FROM mail_held WHERE sender = 'vieux@spam.test'").trim(), '0');
        srv.sql("DELETE FROM mail_held WHERE subject = 'Encore'");
    });

    await t.test('the back office folds the quoted history away and names the cited request', async () => {
        const first = await post(srv, mail({ subject: 'Permis', body: 'Question.\n-- \nCamille Durand\n06 12 34 56 78\n' }));
        const other = await post(srv, mail({ from: 'tiers@exemple.test', subject: `Re: ${first.json.reference}` }));
        const agent = F.addAgent(srv, { email: 'admin.mail@ville-demo.test', name: 'Alix Courriel', role: 'admin' });
        const desk = await F.login(srv, agent);
        let r = await desk.get(`/agent/demandes/${first.json.reference}`);
        assert.equal(r.status, 200);
        assert.match(r.text, /<details class="mail-history"><summary>Afficher l&#39;historique cité<\/summary>\s*<p>--<\/p>\s*<p>Camille Durand<\/p>\s*<p>06 12 34 56 78<\/p>\s*<\/details>/);
        r = await desk.get(`/agent/demandes/${other.json.reference}`);
        assert.ok(r.text.includes('Le courriel cite une demande dont son expéditeur n&#39;est pas le contact'), 'the cited request is named');
        assert.ok(r.text.includes(first.json.reference));
    });

    await t.test('«Courriels reçus»: held mail accepted or deleted, addresses given a procedure', async () => {
        const agent = F.addAgent(srv, { email: 'admin.held@ville-demo.test', name: 'Alix Retenue', role: 'admin' });
        const desk = await F.login(srv, agent);
        let r = await desk.get('/agent/admin/courriels');
        assert.equal(r.status, 200);
        assert.ok(r.text.includes('promo@spam.test'), 'the held mail is listed');
        const ids = srv.sql("SELECT id FROM mail_held ORDER BY id").trim().split('\n');
        assert.equal(ids.length, 2);
        const before = counts(srv);
        r = await desk.post(`/agent/admin/courriels/${ids[0]}/accepter`, {});
        assert.equal(r.status, 303);
        assert.match(r.headers.get('location'), /fait=mail_accepted/);
        const [reqs, outbox] = counts(srv);
        assert.deepEqual([reqs, outbox], [before[0] + 1, before[1] + 1], 'a request and its acknowledgement');
        assert.equal(srv.sql("SELECT channel || '|' || email FROM requests ORDER BY id DESC LIMIT 1").trim(),
                     'email|promo@spam.test');
        r = await desk.post(`/agent/admin/courriels/${ids[1]}/supprimer`, {});
        assert.equal(r.status, 303);
        assert.equal(srv.sql('SELECT count(*) FROM mail_held').trim(), '0');
        r = await desk.post(`/agent/admin/courriels/${ids[1]}/supprimer`, {});
        assert.equal(r.status, 404);
        assert.equal(srv.sql("SELECT count(*) FROM audit_log WHERE object_kind = 'mail' AND action = 'delete'").trim(), '2',
                     'the accepted one and the deleted one, each by the admin');

        /* A contact address with its own procedure. */
        r = await desk.post('/agent/admin/courriels/adresses', { address: 'pas une adresse', procedure: 'nid-de-poule' });
        assert.equal(r.status, 400);
        assert.ok(r.text.includes('Saisissez une adresse électronique'));
        r = await desk.post('/agent/admin/courriels/adresses', { address: 'voirie@ville-demo.test', procedure: 'nid-de-poule' });
        assert.equal(r.status, 400, 'a procedure whose required questions no e-mail answers');
        assert.ok(r.text.includes('Choisissez une démarche'));
        /* The page offers only the procedures an e-mail can be filed under: «question
         * générale», and a démarche whose questions are made optional here. */
        srv.sql(`UPDATE procedures SET attributes = replace(attributes, '"required":true', '"required":false')
                 WHERE code = 'acte-etat-civil'`);
        await new Promise((res) => setTimeout(res, 1100)); /* the catalogue's next look */
        const page = await desk.get('/agent/admin/courriels');
        const offered = [...page.text.matchAll(/<option value="([^"]*)"/g)].map((x) => x[1]);
        assert.ok(offered.includes(''), 'none: «Question générale» by default');
        assert.ok(offered.includes('question-generale'));
        assert.ok(!offered.includes('nid-de-poule'));
        assert.ok(offered.includes('acte-etat-civil'), `offered: ${offered}`);
        const code = 'acte-etat-civil';
        r = await desk.post('/agent/admin/courriels/adresses', { address: 'Voirie@Ville-Demo.test', procedure: code });
        assert.equal(r.status, 303);
        const m = await post(srv, mail({ subject: 'Trou' }).replace('To: contact@ville-demo.test', 'To: voirie+x@ville-demo.test'));
        assert.equal(m.json.outcome, 'created', m.text);
        assert.equal(srv.sql(`SELECT p.code FROM requests r JOIN procedures p ON p.id = r.procedure_id
                              WHERE r.reference = '${m.json.reference}'`).trim(), code);
        assert.equal(srv.sql("SELECT count(*) FROM audit_log WHERE object_kind = 'mail_contact' AND action = 'admin'").trim(), '1');
        /* Another collectivité's address: refused beside the field, in French. */
        srv.guichet(['tenant', 'add', '--db', srv.db, '--slug', 'bourg', '--name', 'Bourg', '--hosts', 'bourg.test']);
        srv.sql(`INSERT INTO mail_contacts (tenant_id, address)
                 SELECT id, 'mairie@bourg.test' FROM tenants WHERE slug = 'bourg'`);
        r = await desk.post('/agent/admin/courriels/adresses', { address: 'Mairie@Bourg.test', procedure: '' });
        assert.equal(r.status, 400);
        assert.ok(r.text.includes('déjà l&#39;adresse de contact d&#39;une autre collectivité') ||
                  r.text.includes("déjà l'adresse de contact d'une autre collectivité"), r.text);
        assert.match(r.text, /<input id="address"[^>]*aria-describedby="address-hint address-error"[^>]*aria-invalid="true"/);
        assert.equal(srv.sql("SELECT t.slug FROM mail_contacts c JOIN tenants t ON t.id = c.tenant_id WHERE c.address = 'mairie@bourg.test'").trim(), 'bourg');
        /* No procedure: the default, shown as such. */
        r = await desk.post('/agent/admin/courriels/adresses', { address: 'accueil@ville-demo.test', procedure: '' });
        assert.equal(r.status, 303);
        assert.equal(srv.sql("SELECT ifnull(procedure_id, 'NULL') FROM mail_contacts WHERE address = 'accueil@ville-demo.test'").trim(), 'NULL');
        r = await desk.get('/agent/admin/courriels');
        assert.match(r.text, /accueil@ville-demo\.test<\/td><td[^>]*>Aucune \(« Question générale »\)/);
        /* «Messagerie» edits no contact address: it links here. */
        r = await desk.get('/agent/admin/messagerie');
        assert.ok(!r.text.includes('name="contacts"'));
        assert.ok(r.text.includes('href="/agent/admin/courriels#addresses-title"'));
        r = await desk.post('/agent/admin/courriels/adresses/retirer', { address: 'voirie@ville-demo.test' });
        assert.equal(r.status, 303);
        const n = await post(srv, mail({ subject: 'Trou encore' }).replace('To: contact@ville-demo.test', 'To: voirie@ville-demo.test'));
        assert.equal(srv.sql(`SELECT p.code FROM requests r JOIN procedures p ON p.id = r.procedure_id
                              WHERE r.reference = '${n.json.reference}'`).trim(), 'question-generale');
    });

    await t.test('no sender address in the log', () => {
        const log = srv.log();
        assert.ok(log.includes('mail in: new request'), 'the log says what happened');
        assert.ok(!log.includes('exemple.test'), 'but names no address');
    });
});

/* One gateway URL for several collectivités: a Host that names none. The collectivité is
 * then the one whose contact address a recipient is (the envelope's first), and the key must
 * be that collectivité's. */
test('POST /passerelle/mail on a URL that names no collectivité', async (t) => {
    const srv = await startServer({ requests: 0 });
    t.after(() => srv.stop());
    srv.guichet(['tenant', 'add', '--db', srv.db, '--slug', 'bourg', '--name', 'Bourg', '--hosts', 'bourg.test']);
    const bourgKey = srv.guichet(['apikey', 'create', '--db', srv.db, '--name', 'mta', '--scope', 'gateway',
                                  '--tenant', 'bourg']).stdout.trim().split(/\s+/).pop();
    srv.sql(`UPDATE tenants SET hosts = 'ville-demo.test' WHERE slug = 'ville-demo';
             INSERT INTO mail_contacts (tenant_id, address)
               SELECT id, 'contact@ville-demo.test' FROM tenants WHERE slug = 'ville-demo';
             INSERT INTO mail_contacts (tenant_id, address)
               SELECT id, 'mairie@bourg.test' FROM tenants WHERE slug = 'bourg';`);
    /* The server reads the catalogue again once it sees the change. */
    for (let i = 0; i < 50; i++) {
        const r = await request(srv, 'GET', '/');
        if (r.status === 421) break;
        await new Promise((res) => setTimeout(res, 100));
    }
    const demoRequests = () => Number(srv.sql(`SELECT count(*) FROM requests r JOIN tenants t ON t.id = r.tenant_id
                                               WHERE t.slug = 'ville-demo'`).trim());

    await t.test('the recipient names the collectivité', async () => {
        const r = await post(srv, mail());
        assert.equal(r.status, 201, r.text);
        assert.equal(srv.sql(`SELECT t.slug FROM requests r JOIN tenants t ON t.id = r.tenant_id
                              WHERE r.reference = '${r.json.reference}'`).trim(), 'ville-demo');
        /* A reply token's +tag, and the case, are no part of the address. */
        const m = await post(srv, mail().replace('To: contact@ville-demo.test', 'To: Contact+x@Ville-Demo.test'));
        assert.equal(m.status, 201, m.text);
    });

    await t.test('the envelope recipient, from the mailgate, before the headers', () => {
        const before = demoRequests();
        const msg = mail().replace('To: contact@ville-demo.test', 'To: liste@ailleurs.test');
        let g = mailgate(srv, msg);
        assert.equal(g.status, 75, 'no recipient is a contact address: as an unknown collectivité');
        assert.match(g.out, /^not taken, will retry: HTTP 404 not_found tenant/);
        g = mailgate(srv, msg, ['--recipient', 'contact@ville-demo.test']);
        assert.equal(g.status, 0, g.out);
        assert.match(g.out, /^created \d{4}-\d{6}\n$/);
        assert.equal(demoRequests(), before + 1);
    });

    await t.test('a key files mail into its own collectivité only', async () => {
        const before = counts(srv);
        /* Bourg's key, for the demo's address. */
        let r = await post(srv, mail(), { key: bourgKey });
        assert.equal(r.status, 403, r.text);
        assert.equal(r.json.error.argument, 'api_key');
        /* The demo's key, for Bourg's address. */
        r = await post(srv, mail().replace('To: contact@ville-demo.test', 'To: mairie@bourg.test'));
        assert.equal(r.status, 403, r.text);
        const g = mailgate(srv, mail(), [], bourgKey);
        assert.equal(g.status, 75, 'a set-up mistake delays mail');
        assert.match(g.out, /^not taken, will retry: HTTP 403/);
        assert.deepEqual(counts(srv), before, 'nothing written');
        /* Bourg's key is good for Bourg's address (which has no procedure for mail yet). */
        r = await post(srv, mail().replace('To: contact@ville-demo.test', 'To: mairie@bourg.test'), { key: bourgKey });
        assert.equal(r.status, 409, r.text);
        assert.equal(r.json.error.argument, 'procedure');
        /* Both collectivités named (one in Cc): each key files it into its own. */
        r = await post(srv, mail({ headers: 'Cc: contact@ville-demo.test\r\n' })
            .replace('To: contact@ville-demo.test', 'To: mairie@bourg.test'));
        assert.equal(r.status, 201, r.text);
        assert.equal(srv.sql(`SELECT t.slug FROM requests r JOIN tenants t ON t.id = r.tenant_id
                              WHERE r.reference = '${r.json.reference}'`).trim(), 'ville-demo');
    });

    await t.test('nothing is parsed for a caller without a key', async () => {
        let r = await post(srv, mail(), { key: null });
        assert.equal(r.status, 401);
        r = await post(srv, mail(), { key: srv.keys.api });
        assert.equal(r.status, 403);
    });

    await t.test('?tenant= still names it, the recipients aside', async () => {
        const r = await post(srv, mail().replace('To: contact@ville-demo.test', 'To: liste@ailleurs.test'),
                             { query: '?tenant=ville-demo' });
        assert.equal(r.status, 201, r.text);
        assert.ok(!srv.log().includes('exemple.test'), 'no address in the log');
    });
});

test('POST /passerelle/mail: a body over the limit is refused with 413', async (t) => {
    const srv = await startServer({ requests: 0, env: { GUICHET_MAX_BODY: '1024', GUICHET_MAX_UPLOAD: '1024',
                                                        GUICHET_MAX_FILES: '1' } });
    t.after(() => srv.stop());
    const r = await post(srv, mail({ body: 'x'.repeat(5000) }));
    assert.equal(r.status, 413);
    const g = mailgate(srv, mail({ body: 'x'.repeat(5000) }));
    assert.equal(g.status, 75, 'the server\'s own limit is a configuration to fix: retried');
    const small = await post(srv, mail({ body: 'court' }));
    assert.equal(small.status, 201);
});

test('guichet mailgate', async (t) => {
    const srv = await startServer({ requests: 0 });
    t.after(() => srv.stop());

    await t.test('prints the reference created and exits 0', () => {
        const g = mailgate(srv, mail());
        assert.equal(g.status, 0);
        assert.match(g.out, /^created \d{4}-\d{6}\n$/);
    });

    await t.test('a dropped message is handled: 0, and why', () => {
        const g = mailgate(srv, mail({ headers: 'Auto-Submitted: auto-replied\r\n' }));
        assert.equal(g.status, 0);
        assert.equal(g.out, 'dropped: autoreply\n');
    });

    await t.test('a message that can never be taken: 65', () => {
        const g = mailgate(srv, 'garbage without any header');
        assert.equal(g.status, 65);
        assert.match(g.out, /^refused: HTTP 400/);
    });

    await t.test('a refused key, a wrong usage or configuration: 75', () => {
        const keyFile = path.join(srv.dir, 'wrong.key');
        fs.writeFileSync(keyFile, 'gk_wrong\n');
        let r = spawnSync(BIN, ['mailgate', '--url', srv.url, '--key-file', keyFile], { input: mail(), encoding: 'utf8' });
        assert.equal(r.status, 75);
        assert.match(r.stdout, /not taken, will retry: HTTP 403/);
        r = spawnSync(BIN, ['mailgate', '--url', srv.url], { input: mail(), encoding: 'utf8' });
        assert.equal(r.status, 75, 'a missing option');
        r = spawnSync(BIN, ['mailgate', '--url', srv.url, '--key-file', path.join(srv.dir, 'absent')],
                      { input: mail(), encoding: 'utf8' });
        assert.equal(r.status, 75, 'an unreadable key file');
        r = spawnSync(BIN, ['mailgate', '--url', 'ftp://x', '--key-file', keyFile], { input: mail(), encoding: 'utf8' });
        assert.equal(r.status, 75, 'a URL that is not http(s)');
    });

    await t.test('the server down: 75', async () => {
        await srv.stop('SIGTERM', { keep: true });
        const g = mailgate(srv, mail());
        assert.equal(g.status, 75);
        assert.match(g.out, /^not taken, will retry/);
    });
});
