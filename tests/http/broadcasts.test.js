'use strict';
/*
 * Broadcasts end to end, through a real relay (OpenSMTPD on loopback, tests/http/mta.js):
 * a citizen subscribes on the portal, nothing is sent before the e-mailed link is confirmed;
 * a manager's broadcast reaches the confirmed subscriber's Maildir with List-Unsubscribe and
 * List-Unsubscribe-Post headers; the one-click POST to that URL unsubscribes, and the next
 * broadcast does not reach them. Agents (not managers) may not broadcast.
 */
const test = require('node:test');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const assert = require('node:assert/strict');
const { startServer } = require('./harness');
const { startMta, mtaAvailable } = require('./mta');
const F = require('../browser/bo_flows');

const FROM = 'ne-pas-repondre@ville-demo.test';
const skip = mtaAvailable() || false;

/* The first link of a message's text that starts with base + path. */
function linkIn(text, srv, path) {
    const m = new RegExp(`${srv.url.replace(/[.]/g, '\\.')}${path}[A-Za-z0-9_?=/-]+`).exec(text);
    assert.ok(m, `no ${path} link in:\n${text}`);
    return m[0];
}

async function subscribe(srv, email, topicIds) {
    const c = new F.Client(srv, email);
    const page = await c.get('/abonnements');
    assert.equal(page.status, 200);
    const form = new URLSearchParams({ csrf_token: c.csrf, email });
    for (const id of topicIds) form.append('topics', String(id));
    const r = await c.req('POST', '/abonnements', { form: form.toString() });
    assert.equal(r.status, 200, F.textOf(r.text).slice(0, 500));
    return c;
}

async function broadcast(srv, client, topicIds, subject, body) {
    const fields = new URLSearchParams({ csrf_token: client.csrf, subject, body, channel_email: '1' });
    for (const id of topicIds) fields.append('topics', String(id));
    const preview = await client.req('POST', '/agent/diffusions', { form: fields.toString() });
    assert.equal(preview.status, 200, F.textOf(preview.text).slice(0, 500));
    fields.set('confirm', '1');
    fields.set('csrf_token', client.csrf);
    const sent = await client.req('POST', '/agent/diffusions', { form: fields.toString() });
    assert.equal(sent.status, 303, F.textOf(sent.text).slice(0, 500));
    return { preview, sent };
}

test('broadcasts: double opt-in, one-click unsubscribe, roles', { skip }, async (t) => {
    const mta = await startMta();
    let srv;
    t.after(async () => {
        if (srv) await srv.stop();
        await mta.stop();
    });
    srv = await startServer({
        requests: 0,
        env: { GUICHET_SMTP_URL: mta.url, GUICHET_MAIL_FROM: FROM, GUICHET_MAIL_BACKOFF_S: '1' },
    });
    const tenant = srv.sql("SELECT id FROM tenants ORDER BY id LIMIT 1").trim();
    const topic = (code) => Number(srv.sql(`SELECT id FROM topics WHERE tenant_id = ${tenant} AND code = '${code}'`).trim());
    const works = topic('travaux');
    const water = topic('coupure_eau');
    assert.ok(works > 0 && water > 0, 'the shipped topics are seeded');

    const manager = F.addAgent(srv, { email: 'resp.diffusion@ville-demo.test', name: 'Responsable', role: 'manager' });
    const agent = F.addAgent(srv, { email: 'agent.diffusion@ville-demo.test', name: 'Agent', role: 'agent' });

    const confirmed = 'abonnee@exemple.test';
    const pending = 'jamais.confirme@exemple.test';

    await t.test('the subscription page is linked from the footer and lists the topics', async () => {
        const c = new F.Client(srv);
        const home = await c.get('/');
        assert.match(home.text, /href="\/abonnements"/);
        const page = await c.get('/abonnements');
        assert.match(page.text, /Coupures d&#39;eau/);
        assert.match(page.text, new RegExp(`name="topics" value="${works}"`));
    });

    await t.test('a subscription without a topic is refused with its message', async () => {
        const c = new F.Client(srv);
        await c.get('/abonnements');
        const r = await c.req('POST', '/abonnements', { form: { csrf_token: c.csrf, email: confirmed } });
        assert.equal(r.status, 400);
        assert.match(r.text, /Choisissez au moins un sujet/);
    });

    let leaveLink;
    await t.test('subscribe, then confirm by the e-mailed link', async () => {
        const c = await subscribe(srv, confirmed, [works, water]);
        await subscribe(srv, pending, [works]);
        const [m] = await mta.waitFor((x) => x.to === confirmed && /Confirmez votre abonnement/.test(x.subject));
        assert.equal(m.headers.get('list-unsubscribe'), undefined, 'the confirmation is no list message');
        const link = linkIn(m.text, srv, '/abonnements/confirmer\\?jeton=');
        const r = await c.useLink(link);
        assert.equal(r.status, 200, F.textOf(r.text).slice(0, 400));
        assert.match(r.text, /Abonnement confirmé/);
        /* Single use. */
        const again = await c.useLink(link);
        assert.equal(again.status, 404);
        assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE address = '${confirmed}' AND confirmed_at IS NOT NULL`).trim(), '1');
        assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE address = '${pending}' AND confirmed_at IS NOT NULL`).trim(), '0');
    });

    await t.test('an agent may not broadcast; a manager may', async () => {
        const ca = await F.login(srv, agent);
        const page = await ca.get('/agent/diffusions');
        assert.equal(page.status, 403);
        const cm = await F.login(srv, manager);
        const list = await cm.get('/agent/diffusions');
        assert.equal(list.status, 200);
        assert.match(list.text, /href="\/agent\/diffusions"/);
    });

    await t.test('a broadcast reaches the confirmed subscriber only, with List-Unsubscribe', async () => {
        const cm = await F.login(srv, manager);
        const { preview, sent } = await broadcast(srv, cm, [works], 'Travaux rue de la Paix', 'La rue sera fermée lundi.\nMerci de votre compréhension.');
        assert.match(F.textOf(preview.text), /envoyée à 1 abonné/);
        assert.match(sent.location, /^\/agent\/diffusions\/\d+\?envoyee=1/);
        const [m] = await mta.waitFor((x) => x.to === confirmed && x.subject === 'Travaux rue de la Paix');
        assert.match(m.text, /La rue sera fermée lundi\./);
        const lu = m.headers.get('list-unsubscribe');
        assert.match(lu, /^<http:\/\/127\.0\.0\.1:\d+\/abonnements\/quitter\/[A-Za-z0-9_-]{43}>$/);
        assert.equal(m.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
        leaveLink = lu.slice(1, -1);
        assert.ok(m.text.includes(leaveLink), 'the text carries the same link');
        assert.equal(mta.messages().filter((x) => x.to === pending && x.subject === 'Travaux rue de la Paix').length, 0,
                     'nothing is sent to a subscription never confirmed');
        const id = /\/agent\/diffusions\/(\d+)/.exec(sent.location)[1];
        assert.equal(srv.sql(`SELECT count(*) FROM outbox WHERE broadcast_id = ${id} AND priority = 1`).trim(), '1');
        assert.equal(srv.sql(`SELECT count(*) FROM audit_log WHERE action = 'send' AND object_kind = 'broadcast'`).trim(), '1');
        const page = await cm.get(`/agent/diffusions/${id}`);
        assert.equal(page.status, 200);
        assert.match(page.text, /Travaux rue de la Paix/);
    });

    await t.test('the unsubscribe link: GET shows a button, the one-click POST unsubscribes', async () => {
        const u = new URL(leaveLink);
        const get = await fetch(leaveLink);
        assert.equal(get.status, 200);
        assert.match(await get.text(), /Me désabonner/);
        assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE address = '${confirmed}' AND left_at IS NULL AND confirmed_at IS NOT NULL`).trim(), '1',
                     'a GET changes nothing');
        /* A mail client's RFC 8058 POST: no cookie, no CSRF token. */
        const post = await fetch(leaveLink, {
            method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: 'List-Unsubscribe=One-Click',
        });
        assert.equal(post.status, 200, u.pathname);
        assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE address = '${confirmed}' AND left_at IS NULL`).trim(), '0');
    });

    await t.test('the next broadcast does not reach who left', async () => {
        const cm = await F.login(srv, manager);
        const { preview } = await broadcast(srv, cm, [works, water], 'Coupure d’eau mardi', 'Coupure de 9 h à 12 h.');
        assert.match(F.textOf(preview.text), /envoyée à 0 abonné/);
        const id = srv.sql('SELECT max(id) FROM broadcasts').trim();
        for (let i = 0; i < 50 && srv.sql(`SELECT queued_at IS NOT NULL FROM broadcasts WHERE id = ${id}`).trim() !== '1'; i++)
            await new Promise((r) => setTimeout(r, 100));
        assert.equal(srv.sql(`SELECT recipients FROM broadcasts WHERE id = ${id}`).trim(), '0');
        assert.equal(mta.messages().filter((x) => x.subject === 'Coupure d’eau mardi').length, 0);
    });

    await t.test('administrators edit the topics; managers may not', async () => {
        const admin = F.addAgent(srv, { email: 'admin.diffusion@ville-demo.test', name: 'Admin', role: 'admin' });
        const cm = await F.login(srv, manager);
        assert.equal((await cm.get('/agent/diffusions/sujets')).status, 403);
        const ca = await F.login(srv, admin);
        const page = await ca.get('/agent/diffusions/sujets');
        assert.equal(page.status, 200);
        const refused = await ca.post(`/agent/diffusions/sujets/${water}`, { name: '', active: '1' });
        assert.equal(refused.status, 400);
        assert.match(refused.text, /Indiquez le nom du sujet/);
        const saved = await ca.post(`/agent/diffusions/sujets/${water}`,
                                    { name: 'Eau potable', name_en: 'Drinking water', description: 'Coupures et qualité de l’eau.', description_en: '' });
        assert.equal(saved.status, 303);
        assert.equal(srv.sql(`SELECT name || '|' || active FROM topics WHERE id = ${water}`).trim(), 'Eau potable|0');
        assert.equal(srv.sql(`SELECT count(*) FROM audit_log WHERE action = 'change' AND object_kind = 'topic'`).trim(), '1');
        const portal = await new F.Client(srv).get('/abonnements');
        assert.doesNotMatch(portal.text, new RegExp(`name="topics" value="${water}"`), 'a topic switched off is not offered');
        const missing = await ca.post('/agent/diffusions/sujets/999999', { name: 'X' });
        assert.equal(missing.status, 404);

        /* An address known only by its subscription: the RGPD export finds it and lists it. */
        const archived = 'archive.abonnee@exemple.test';
        const c = await subscribe(srv, archived, [works]);
        const [m] = await mta.waitFor((x) => x.to === archived && /Confirmez votre abonnement/.test(x.subject));
        assert.equal((await c.useLink(linkIn(m.text, srv, '/abonnements/confirmer\\?jeton='))).status, 200);
        await ca.get('/agent/admin/export');
        const r = await fetch(srv.url + '/agent/admin/export', {
            method: 'POST', redirect: 'manual',
            headers: { Cookie: ca.cookieHeader(), 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ csrf_token: ca.csrf, email: archived }).toString(),
        });
        assert.equal(r.status, 200);
        const file = path.join(os.tmpdir(), `guichet-bcast-export-${process.pid}.zip`);
        fs.writeFileSync(file, Buffer.from(await r.arrayBuffer()));
        const compte = JSON.parse(execFileSync('python3', ['-c',
            'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read("compte.json").decode())', file],
            { encoding: 'utf8' }));
        fs.rmSync(file);
        assert.equal(compte.subscriptions.length, 1);
        assert.equal(compte.subscriptions[0].address, archived);
        assert.deepEqual(compte.subscriptions[0].topics, ['Travaux']);
        assert.ok(compte.subscriptions[0].confirmed_at);
    });
});
