'use strict';
/*
 * The collectivité's e-mail settings, /agent/admin/messagerie: admins only, CSRF, every field
 * checked with its own French (and English) message, the relay's password sealed and never
 * shown again, the change audited; «Envoyer un message de test» shows the relay's answer
 * (accepted, or its SMTP refusal); and the collectivité's relay wins over --smtp-url: with the
 * server's relay down, its messages still go out through its own (OpenSMTPD on loopback,
 * tests/http/mta.js), from its sender address.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer } = require('./harness');
const { startMta, mtaAvailable } = require('./mta');
const F = require('../browser/bo_flows');
const { Browser, fileIncident } = require('./portal_client');

const PAGE = '/agent/admin/messagerie';
const skip = mtaAvailable() || false;

/* A loopback port nobody listens on: the server's own relay, down for the whole test. */
function deadPort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
        s.on('error', reject);
    });
}

async function waitUntil(fn, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = fn();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

const errorOf = (html, field) => {
    const m = new RegExp(`id="${field}-error"><span class="visually-hidden">[^<]*</span> ([^<]*)</p>`).exec(html);
    return m ? F.unescapeHtml(m[1]) : null;
};

test('the collectivité\'s e-mail settings', { skip }, async (t) => {
    const mta = await startMta();
    let srv = null;
    t.after(async () => {
        if (srv) await srv.stop();
        await mta.stop();
    });
    srv = await startServer({
        env: {
            GUICHET_SMTP_URL: `smtp://127.0.0.1:${await deadPort()}`,
            GUICHET_MAIL_FROM: 'serveur@guichet.test',
            GUICHET_MAIL_BACKOFF_S: '1',
        },
    });
    const admin = await F.login(srv, F.addAgent(srv, { email: 'admin.messagerie@ville-demo.test',
                                                       name: 'Admin Messagerie', role: 'admin' }));

    await t.test('admins only; CSRF checked', async () => {
        const agent = await F.login(srv, F.addAgent(srv, { email: 'agent.messagerie@ville-demo.test',
                                                           name: 'Agent Messagerie', role: 'agent',
                                                           departments: ['accueil'] }));
        assert.equal((await agent.get(PAGE)).status, 403);
        assert.equal((await agent.post(PAGE, { smtp_url: 'smtp://127.0.0.1:25' })).status, 403);
        const page = await admin.get(PAGE);
        assert.equal(page.status, 200);
        assert.match(page.text, /<h1>Messagerie<\/h1>/);
        assert.match(page.text, /aria-current="page">Messagerie</);
        const r = await admin.req('POST', PAGE, { form: { csrf_token: 'faux', smtp_url: 'smtp://127.0.0.1:25' } });
        assert.equal(r.status, 403);
        assert.equal(srv.sql('SELECT count(*) FROM mail_settings;').trim(), '0');
    });

    await t.test('every wrong field is named at once, in French and in English', async () => {
        const bad = {
            smtp_url: 'http://relais.ville-demo.test',
            smtp_user: 'nom avec espace',
            smtp_password: '',
            from_addr: '',
            from_name: 'Mairie',
            reply_local: 'demandes+x',
            reply_domain: 'ville demo',
        };
        const r = await admin.post(PAGE, bad);
        assert.equal(r.status, 400);
        assert.match(r.text, /<title>Erreur :/);
        assert.match(errorOf(r.text, 'smtp_url'), /^Saisissez une adresse de relais de la forme smtp:\/\/hôte:port/);
        assert.match(errorOf(r.text, 'smtp_user'), /ni espace/);
        assert.match(errorOf(r.text, 'from_addr'), /^Saisissez l'adresse d'expédition : un relais de la collectivité en a besoin/);
        assert.match(errorOf(r.text, 'reply_local'), /sans « \+ » ni « @ »/);
        assert.match(errorOf(r.text, 'reply_domain'), /nom de domaine valide/);
        assert.equal(errorOf(r.text, 'from_name'), null);
        /* What was typed comes back (the password never). */
        assert.ok(r.text.includes('value="http://relais.ville-demo.test"'));
        const en = await admin.post(PAGE + '?lang=en', Object.assign({}, bad, {
            smtp_url: 'smtp://127.0.0.1:25', from_addr: 'x@ville-demo.test',
            reply_domain: 'ville-demo.test', reply_local: '',
        }));
        assert.equal(en.status, 400);
        assert.equal(errorOf(en.text, 'reply_local'), 'Type the reply address\'s local part, or empty the domain too.');
        assert.equal(srv.sql('SELECT count(*) FROM mail_settings;').trim(), '0');
    });

    await t.test('without a relay of its own, the test says so', async () => {
        const r = await admin.post(PAGE + '/test', { test_to: 'agent@ville-demo.test' });
        assert.equal(r.status, 200);
        assert.match(F.textOf(r.text), /La collectivité n'a pas encore de relais/);
        const bad = await admin.post(PAGE + '/test', { test_to: 'pas une adresse' });
        assert.equal(bad.status, 400);
        assert.match(errorOf(bad.text, 'test_to'), /^Saisissez l'adresse e-mail du destinataire du test/);
    });

    const password = 'Mot-de-passe-du-relais-42';
    let filed = null;
    let letterAgent = null;
    await t.test('saved: the password sealed and never shown, the change audited', async () => {
        const r = await admin.post(PAGE, {
            smtp_url: mta.url,
            smtp_user: 'guichet',
            smtp_password: password,
            from_addr: 'ne-pas-repondre@ville-demo.test',
            from_name: 'Mairie de Démo',
            reply_local: 'demandes',
            reply_domain: 'reponses.ville-demo.test',
            /* The contact addresses are «Courriels reçus»'s: a field of that name changes nothing here. */
            contacts: 'contact@ville-demo.test',
        });
        assert.equal(r.status, 303, F.textOf(r.text).slice(0, 600));
        const page = await admin.follow(r);
        assert.match(page.text, /La messagerie est enregistrée\./);
        assert.ok(page.text.includes(`value="${mta.url}"`));
        assert.ok(!page.text.includes(password), 'the password is not shown');
        assert.match(page.text, /Un mot de passe est enregistré/);
        assert.ok(!page.text.includes('<textarea'), 'no list of contact addresses to edit here');
        assert.match(page.text, /<a href="\/agent\/admin\/courriels#addresses-title">Gérer les adresses de contact<\/a>/);
        const stored = srv.sql('SELECT smtp_password FROM mail_settings;').trim();
        assert.match(stored, /^v1\.[A-Za-z0-9_-]+$/);
        assert.ok(!stored.includes(password));
        assert.equal(srv.sql('SELECT count(*) FROM mail_contacts;').trim(), '0');
        assert.equal(srv.sql("SELECT action FROM audit_log WHERE object_kind = 'mail';").trim(), 'admin');
        /* Saved again with the password left empty: the sealed one stays. */
        const again = await admin.post(PAGE, {
            smtp_url: mta.url, smtp_user: 'guichet', smtp_password: '',
            from_addr: 'ne-pas-repondre@ville-demo.test', from_name: 'Mairie de Démo',
            reply_local: 'demandes', reply_domain: 'reponses.ville-demo.test',
        });
        assert.equal(again.status, 303);
        assert.equal(srv.sql('SELECT smtp_password FROM mail_settings;').trim(), stored);
    });

    await t.test('the test message shows the relay\'s answer', async () => {
        const r = await admin.post(PAGE + '/test', { test_to: 'essai@ville-demo.test' });
        assert.equal(r.status, 200);
        const text = F.textOf(r.text);
        assert.match(text, /Le relais a accepté le message de test pour essai@ville-demo\.test/);
        assert.match(text, /Réponse du relais : 250 /);
        const [m] = await mta.waitFor((x) => x.to === 'essai@ville-demo.test', 15000);
        assert.equal(m.subject, 'Message de test de guichet');
        assert.equal(m.fromAddr, 'ne-pas-repondre@ville-demo.test');
        assert.match(m.from, /Mairie de Démo/);
        const refused = await admin.post(PAGE + '/test', { test_to: 'personne@rejet.test' });
        assert.equal(refused.status, 200);
        assert.match(F.textOf(refused.text), /Le message de test n'a pas pu être remis au relais pour personne@rejet\.test/);
        assert.match(F.textOf(refused.text), /Réponse du relais : 550 /);
    });

    await t.test('the collectivité\'s relay wins over --smtp-url', async () => {
        const { reference } = await fileIncident(new Browser(srv), []);
        const email = 'jeanne.test@exemple.fr'; /* the portal client's sample address */
        const [m] = await mta.waitFor((x) => x.to === email && x.subject.includes(reference), 20000);
        assert.equal(m.fromAddr, 'ne-pas-repondre@ville-demo.test');
        assert.match(m.from, /Mairie de Démo/);
        assert.match(m.headers.get('message-id'), /@ville-demo\.test>$/);
        await waitUntil(() => srv.sql(`SELECT count(*) FROM outbox WHERE recipient = '${email}' AND sent_at IS NOT NULL;`).trim() === '1',
                        5000, 'the message to be recorded as sent');
        filed = { reference, email, ack: m };
    });

    await t.test('a request\'s messages thread, carry their stored id and a Reply-To with its token; their states show on the timeline', async () => {
        const { reference, email, ack } = filed;
        const idOf = (tmpl) => srv.sql(`SELECT message_id FROM outbox WHERE template = '${tmpl}' AND request_id = (SELECT id FROM requests WHERE reference = '${reference}') ORDER BY id;`).trim().split('\n');
        const [ackId] = idOf('request_ack');
        assert.match(ackId, /^[0-9a-f]{32}$/);
        /* The first message: its own id, no thread yet; a Reply-To that names the request. */
        assert.equal(ack.headers.get('message-id'), `<${ackId}@ville-demo.test>`);
        assert.equal(ack.headers.get('in-reply-to'), undefined);
        const replyTo = ack.headers.get('reply-to');
        const token = new RegExp(`^demandes\\+${reference}\\.[0-9a-z]+@reponses\\.ville-demo\\.test$`);
        assert.match(replyTo, token);

        const agent = await F.login(srv, F.addAgent(srv, { email: 'voirie.messagerie@ville-demo.test',
                                                           name: 'Voirie Messagerie', role: 'agent',
                                                           departments: ['voirie'] }));
        const r = await agent.post(`/agent/demandes/${reference}/traiter`, { reponse: 'Le trou sera rebouché lundi.' });
        assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
        const [reply] = await mta.waitFor((x) => x.to === email && x.subject.startsWith('Nouvelle réponse'), 20000);
        const [replyId] = idOf('request_reply');
        assert.equal(reply.headers.get('message-id'), `<${replyId}@ville-demo.test>`);
        /* It follows the acknowledgement, the thread's root. */
        assert.equal(reply.headers.get('in-reply-to'), `<${ackId}@ville-demo.test>`);
        assert.equal(reply.headers.get('references'), `<${ackId}@ville-demo.test>`);
        assert.equal(reply.headers.get('reply-to'), replyTo, 'the same token for the same request');
        /* No personal data in the subject: fixed words and the reference. */
        assert.equal(reply.subject, `Nouvelle réponse à votre demande – ${reference}`);

        /* An address the relay refuses with 550: given up at once, said so on the timeline. */
        srv.sql(`UPDATE requests SET email = 'personne@rejet.test' WHERE reference = '${reference}';`);
        const again = await agent.post(`/agent/demandes/${reference}/traiter`, { reponse: 'Une deuxième réponse.' });
        assert.equal(again.status, 303);
        await waitUntil(() => srv.sql(`SELECT state FROM outbox WHERE recipient = 'personne@rejet.test';`).trim() === 'failed',
                        10000, 'the refused message to be failed');
        const events = srv.sql(`SELECT body FROM request_events WHERE kind = 'delivery' AND request_id = (SELECT id FROM requests WHERE reference = '${reference}') ORDER BY id;`).trim().split('\n');
        assert.deepEqual(events.map((b) => b.split(' ')[0]), ['sent', 'sent', 'failed']);
        assert.match(events[2], /^failed smtp 550/);
        assert.ok(!events[2].includes('@'), 'no address in the event');
        const page = F.textOf((await agent.get(`/agent/demandes/${reference}`)).text);
        assert.equal((page.match(/Courriel envoyé/g) || []).length, 2, page);
        assert.match(page, /Courriel refusé par le serveur/);
        const en = F.textOf((await agent.get(`/agent/demandes/${reference}?lang=en`)).text);
        assert.match(en, /E-mail sent/);
        assert.match(en, /E-mail refused by the server/);
        letterAgent = agent;
    });

    await t.test('no other channel: the request is flagged «à envoyer par courrier» until an agent sends the letter', async () => {
        const { reference } = filed;
        const agent = letterAgent;
        /* No SMS for this collectivité: the letter, flagged in the failure's own job. */
        assert.equal(srv.sql(`SELECT letter_due FROM requests WHERE reference = '${reference}';`).trim(), '1');
        assert.equal(srv.sql("SELECT count(*) FROM outbox WHERE channel = 'sms';").trim(), '0');
        const page = await agent.get(`/agent/demandes/${reference}`);
        assert.match(page.text, /<h2 id="courrier-titre">À envoyer par courrier<\/h2>/);
        assert.match(F.textOf(page.text), /À envoyer par courrier : le courriel n'a pas pu joindre l'usager/);
        /* The inbox's view, with its count. */
        const inbox = await agent.get('/agent/?onglet=service');
        assert.match(F.textOf(inbox.text), /À envoyer par courrier \(1 demande\s*\)/);
        const view = await agent.get('/agent/?onglet=service&vue=courrier');
        assert.equal(view.status, 200);
        assert.ok(view.text.includes(reference), 'the view lists the request');
        const others = srv.sql("SELECT reference FROM requests WHERE letter_due = 0 LIMIT 1;").trim();
        assert.ok(!view.text.includes(`>${others}<`), 'and only the flagged ones');
        /* «Courrier envoyé»: the flag cleared, with its event and audit entry. */
        const r = await agent.post(`/agent/demandes/${reference}/courrier`, {});
        assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
        const after = await agent.follow(r);
        assert.match(F.textOf(after.text), /L'envoi du courrier est enregistré\./);
        assert.ok(!after.text.includes('id="courrier-titre"'), 'the notice is gone');
        assert.match(F.textOf(after.text), /Courrier envoyé à l'usager/);
        assert.equal(srv.sql(`SELECT letter_due FROM requests WHERE reference = '${reference}';`).trim(), '0');
        assert.equal(srv.sql("SELECT count(*) FROM audit_log WHERE action = 'letter_sent';").trim(), '1');
        /* Twice: nothing left to record. */
        const again = await agent.post(`/agent/demandes/${reference}/courrier`, {});
        assert.equal(again.status, 409);
        assert.match(F.textOf((await agent.get('/agent/?onglet=service')).text), /À envoyer par courrier \(0 demande\s*\)/);
    });
});
