'use strict';
/*
 * SMS with a real Kannel (bearerbox, smsbox and its fake SMSC on loopback ports, started by
 * tests/http/kannel.js): the collectivité's gateway set on /agent/admin/sms (refusals worded,
 * the password sealed at rest and never shown again), «Envoyer un SMS de test» showing
 * Kannel's answer, and a status change reaching the fake SMSC for a citizen who chose news by
 * SMS, at their number in E.164, in one GSM-7 SMS with the link to their request.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const { startKannel, kannelAvailable } = require('./kannel');

const skip = kannelAvailable();
let srv, admin, kannel;

test.before(async () => {
    if (skip) return;
    srv = await H.startServer({ requests: 3, env: { GUICHET_RETENTION_INTERVAL_S: '0', GUICHET_MAIL_BACKOFF_S: '1' } });
    const row = F.addAgent(srv, { email: `admin.sms.${process.pid}@ville-demo.test`, name: 'Admin SMS', role: 'admin' });
    admin = await F.login(srv, row);
    kannel = await startKannel({
        getUrl: `${srv.url}/passerelle/sms?key=${srv.keys.gateway}&from=%p&to=%P&text=%a&time=%t`,
    });
});

test.after(async () => {
    if (kannel) await kannel.stop();
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

async function until(what, fn, ms = 20000) {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
        const v = fn();
        if (v) return v;
        await H.sleep(100);
    }
    assert.fail(`timed out waiting for ${what}\n${kannel.logs()}\n--- server.log ---\n${srv.log().split('\n').slice(-20).join('\n')}`);
}

test('the SMS gateway page: refusals, the password sealed, a test SMS with Kannel\'s answer', { skip: skip || false }, async () => {
    let r = await admin.get('/agent/admin/sms');
    assert.equal(r.status, 200);
    assert.match(r.text, /<h1>Passerelle SMS<\/h1>/);
    /* A test before any gateway: said so. */
    r = await admin.post('/agent/admin/sms/test', { test_phone: '06 12 34 56 78' }, { tokenFrom: '/agent/admin/sms' });
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Enregistrez d'abord la passerelle SMS/);
    r = await admin.post('/agent/admin/sms', { sendsms_url: 'ftp://kannel/sendsms', username: kannel.username, password: kannel.password, sender: 'MAIRIE' });
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /commençant par http:\/\/ ou https:\/\//);
    assert.match(r.text, /value="MAIRIE"/);
    r = await admin.post('/agent/admin/sms', { sendsms_url: kannel.sendsmsUrl, username: kannel.username, password: '', sender: 'MAIRIE' });
    assert.equal(r.status, 400, 'a first gateway needs its password');
    assert.match(F.textOf(r.text), /Saisissez le mot de passe/);
    r = await admin.post('/agent/admin/sms', { sendsms_url: kannel.sendsmsUrl, username: kannel.username, password: kannel.password, sender: 'MAIRIE DE DEMO' });
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /11 lettres ou chiffres au plus/);
    r = await admin.post('/agent/admin/sms', { sendsms_url: kannel.sendsmsUrl, username: kannel.username, password: kannel.password, sender: 'MAIRIE' });
    assert.equal(r.status, 303, r.text.slice(0, 300));
    r = await admin.get('/agent/admin/sms?fait=sms_saved');
    assert.match(F.textOf(r.text), /La passerelle SMS est enregistrée/);
    assert.match(r.text, new RegExp(`value="${kannel.sendsmsUrl.replace(/[/.]/g, '\\$&')}"`));
    assert.ok(!r.text.includes(kannel.password), 'the password is never shown again');
    const sealed = srv.sql('SELECT password_sealed FROM sms_gateways').trim();
    assert.match(sealed, /^v1\./);
    assert.ok(!sealed.includes(kannel.password), 'the password is sealed at rest');
    /* Saved again with the password left empty: the one stored is kept. */
    r = await admin.post('/agent/admin/sms', { sendsms_url: kannel.sendsmsUrl, username: kannel.username, password: '', sender: 'MAIRIE', dlr_key: srv.keys.gateway });
    assert.equal(r.status, 303);
    assert.equal(srv.sql('SELECT password_sealed FROM sms_gateways').trim(), sealed);
    const key = srv.sql('SELECT dlr_key_sealed FROM sms_gateways').trim();
    assert.match(key, /^v1\./);
    assert.ok(!key.includes(srv.keys.gateway), 'the key is sealed at rest');
    r = await admin.get('/agent/admin/sms');
    assert.ok(!r.text.includes(srv.keys.gateway), 'the key is never shown again');
    assert.match(F.textOf(r.text), /Une clé est enregistrée/);
    const audited = srv.sql("SELECT count(*) FROM audit_log WHERE action = 'admin' AND object_kind = 'sms_gateway'").trim();
    assert.equal(audited, '2', 'each save audited');

    /* The test: a refused number worded, then Kannel's answer shown and the SMS at the SMSC. */
    r = await admin.post('/agent/admin/sms/test', { test_phone: '06 12 34' });
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Un numéro français comporte 10 chiffres/);
    r = await admin.post('/agent/admin/sms/test', { test_phone: '06 12 34 56 78' });
    assert.equal(r.status, 200);
    assert.match(F.textOf(r.text), /Kannel a accepté le SMS/);
    assert.match(r.text, /HTTP 202 : 0: Accepted for delivery/);
    const [m] = await kannel.waitFor((x) => x.to === '+33612345678');
    assert.equal(m.from, 'MAIRIE');
    assert.match(m.text, /^guichet : SMS de test/);
});

test('a status change reaches the citizen who chose SMS, in one GSM-7 SMS with the link', { skip: skip || false }, async () => {
    const req = await F.fileRequest(srv, { tag: `sms${process.pid}` });
    const e164 = srv.sql(`SELECT phone FROM requests WHERE id = ${req.id}`).trim();
    assert.match(e164, /^\+(33\d{9}|(262|590|594|596)\d{9})$/, 'the number typed 06… is stored in E.164');
    srv.sql(`UPDATE requests SET notify = 'sms' WHERE id = ${req.id}`);
    const r = await H.request(srv, 'PATCH', `/api/v1/requests/${req.reference}`,
        { json: { status: 'acknowledged' }, headers: { Authorization: `Bearer ${srv.keys.api}` } });
    assert.equal(r.status, 200, r.text);
    let m;
    try {
        [m] = await kannel.waitFor((x) => x.to === e164 && x.text.includes(req.reference));
    } catch (e) {
        throw new Error(`${e.message}\n--- outbox ---\n${srv.sql(`SELECT channel, recipient, template, attempts, last_error FROM outbox WHERE request_id = ${req.id}`)}\n--- server.log ---\n${srv.log().split('\n').slice(-20).join('\n')}`);
    }
    assert.equal(m.coding, 'text', 'folded to GSM-7: one 7-bit SMS');
    assert.ok(m.text.length <= 160, `one SMS: ${m.text.length} characters`);
    assert.match(m.text, new RegExp(`votre demande ${req.reference} est passée au statut "[^" ]`));
    assert.match(m.text, /Détails : https?:\/\/\S+\/suivi\S*$/);
    const row = srv.sql(`SELECT channel, recipient, sent_at IS NOT NULL FROM outbox WHERE request_id = ${req.id} AND template = 'request_status'`).trim();
    assert.equal(row, `sms|${e164}|1`);
    /* Kannel's delivery reports (SMSC ack 8, then delivered 1) reach /passerelle/sms/dlr with
     * the message's id: its state, and the delivery on the request's timeline, internal. */
    const state = await until('the delivery report', () => {
        const st = srv.sql(`SELECT state FROM outbox WHERE request_id = ${req.id} AND template = 'request_status'`).trim();
        return st === 'delivered' && st;
    });
    assert.equal(state, 'delivered');
    const events = srv.sql(`SELECT count(*) FROM request_events WHERE request_id = ${req.id} AND kind = 'delivery' AND is_public = 0`).trim();
    assert.ok(Number(events) >= 1, 'the delivery is on the timeline');
});


test('an SMS reply lands on the timeline; STOP opts the number out and nothing more is sent', { skip: skip || false }, async () => {
    const req = await F.fileRequest(srv, { tag: `rep${process.pid}` });
    const e164 = srv.sql(`SELECT phone FROM requests WHERE id = ${req.id}`).trim();
    srv.sql(`UPDATE requests SET notify = 'sms' WHERE id = ${req.id}`);
    /* The reply names no reference: the number's last open request takes it. */
    await kannel.sendFromPhone(e164, '38100', 'Le trou est toujours la, merci');
    const body = await until('the reply on the timeline', () => srv.sql(
        `SELECT body FROM request_events WHERE request_id = ${req.id} AND kind = 'message' AND channel = 'sms'`).trim());
    assert.equal(body, 'Le trou est toujours la, merci');
    /* A number with no request: dropped, nothing written. */
    const calls = () => srv.log().split('\n').filter((l) => l.includes('GET /passerelle/sms 200')).length;
    const before = calls();
    const events = srv.sql("SELECT count(*) FROM request_events WHERE channel = 'sms'").trim();
    await kannel.sendFromPhone('+33699999999', '38100', 'Bonjour');
    await until('the callback answered', () => calls() > before);
    assert.equal(srv.sql("SELECT count(*) FROM request_events WHERE channel = 'sms'").trim(), events);
    /* STOP (any case, ARRET too): the number is out, and the next notice is given up unsent. */
    await kannel.sendFromPhone(e164, '38100', 'stop');
    await until('the opt-out', () => srv.sql(`SELECT count(*) FROM sms_optouts WHERE phone = '${e164}'`).trim() === '1');
    const sentBefore = kannel.messages.filter((m) => m.to === e164).length;
    const r = await H.request(srv, 'PATCH', `/api/v1/requests/${req.reference}`,
        { json: { status: 'acknowledged' }, headers: { Authorization: `Bearer ${srv.keys.api}` } });
    assert.equal(r.status, 200, r.text);
    const row = await until('the notice given up', () => srv.sql(
        `SELECT failed || '|' || last_error FROM outbox WHERE request_id = ${req.id} AND template = 'request_status' AND failed = 1`).trim());
    assert.equal(row, '1|the number opted out (STOP)');
    assert.equal(kannel.messages.filter((m) => m.to === e164).length, sentBefore, 'nothing sent after STOP');
});

test('the callback refuses a wrong key and bounded, checked parameters', { skip: skip || false }, async () => {
    const get = (q) => H.request(srv, 'GET', `/passerelle/sms?${new URLSearchParams(q)}`);
    let r = await get({ key: 'not-a-key', from: '+33612345678', text: 'x' });
    assert.equal(r.status, 403);
    r = await get({ key: srv.keys.api, from: '+33612345678', text: 'x' });
    assert.equal(r.status, 403, 'an api key is no gateway key');
    r = await get({ key: srv.keys.gateway, text: 'x' });
    assert.equal(r.status, 400);
    assert.match(r.text, /missing_argument from/);
    r = await get({ key: srv.keys.gateway, from: 'abc', text: 'x' });
    assert.equal(r.status, 400);
    assert.match(r.text, /invalid_argument from/);
    r = await get({ key: srv.keys.gateway, from: '+33612345678', text: 'x'.repeat(1601) });
    assert.equal(r.status, 400);
    assert.match(r.text, /invalid_argument text/);
    r = await get({ key: srv.keys.gateway, from: '+33612345678', text: 'a\u0001b' });
    assert.equal(r.status, 400);
    /* Delivery reports: a key, a message id of the form, a status Kannel sends. */
    const dlr = (q) => H.request(srv, 'GET', `/passerelle/sms/dlr?${new URLSearchParams(q)}`);
    r = await dlr({ key: 'nope', id: 'a'.repeat(32), status: '1' });
    assert.equal(r.status, 403);
    r = await dlr({ key: srv.keys.gateway, id: 'xyz', status: '1' });
    assert.equal(r.status, 400);
    assert.match(r.text, /invalid_argument id/);
    r = await dlr({ key: srv.keys.gateway, id: 'a'.repeat(32), status: '3' });
    assert.equal(r.status, 400);
    assert.match(r.text, /invalid_argument status/);
    r = await dlr({ key: srv.keys.gateway, id: 'a'.repeat(32), status: '1' });
    assert.equal(r.status, 404, 'an unknown message');
});

test('an intake at the counter with a phone number only sends the receipt by SMS', { skip: skip || false }, async () => {
    const proc = 'nid-de-poule';
    const form = await admin.get(`/agent/saisie?canal=counter&demarche=${proc}`);
    assert.equal(form.status, 200, form.text.slice(0, 300));
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.text)[1];
    const fields = [['csrf_token', csrf], ['canal', 'counter'], ['demarche', proc],
                    ['prenom', 'Inès'], ['nom', 'Guichet'], ['tel', '06 12 34 00 42'], ['email', ''],
                    ['langue', 'fr'], ['description', 'Signalé au guichet : trottoir soulevé.'],
                    ['adresse', '1 place de la Mairie'], ['lat', '45.764'], ['long', '4.8357']];
    for (const m of form.text.matchAll(/<select id="attr-[^"]+" name="(attr_[^"]+)"[^>]*><option value="">—<\/option>\s*<option value="([^"]+)"/g)) fields.push([m[1], m[2]]);
    for (const m of form.text.matchAll(/<input type="checkbox" id="attr-[^"]+" name="(attr_[^"]+)" value="([^"]+)"/g))
        if (!fields.some(([k]) => k === m[1])) fields.push([m[1], m[2]]);
    for (const m of form.text.matchAll(/<input type="(text|datetime-local|date)" id="attr-[^"]+" name="(attr_[^"]+)"( inputmode="decimal")?/g))
        fields.push([m[2], m[3] ? '2' : { 'datetime-local': '2026-07-15T10:30', date: '2026-07-15' }[m[1]] || 'Valeur']);
    const r = await admin.post('/agent/saisie', Object.fromEntries(fields));
    assert.equal(r.status, 201, r.text.slice(0, 1000));
    const ref = /<span class="reference">([0-9-]+)<\/span>/.exec(r.text)[1];
    assert.equal(srv.sql(`SELECT notify || '|' || phone FROM requests WHERE reference = '${ref}'`).trim(), 'sms|+33612340042');
    const [m] = await kannel.waitFor((x) => x.to === '+33612340042' && x.text.includes(ref));
    assert.match(m.text, new RegExp(`votre demande ${ref} est enregistrée\\. Code de suivi : [A-Z0-9]{4}-[A-Z0-9]{4}\\. Suivez-la ici : https?://\\S+$`));
    assert.ok(!/jeton=/.test(m.text), 'no tracking token in an SMS');
});

test('report keywords on the SMS gateway page: refusals worded, add and remove audited', { skip: skip || false }, async () => {
    let r = await admin.get('/agent/admin/sms');
    assert.equal(r.status, 200);
    assert.match(F.textOf(r.text), /Mots-clés de signalement/);
    assert.match(F.textOf(r.text), /Aucun mot-clé/);
    /* The demo's incident procedures ask required questions no SMS answers: none offered,
     * and one sent anyway refused. */
    assert.match(F.textOf(r.text), /Aucune démarche de signalement ne peut recevoir de SMS/);
    r = await admin.post('/agent/admin/sms/mots-cles', { keyword: 'Trou', keyword_procedure: 'nid-de-poule' }, { tokenFrom: '/agent/admin/sms' });
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Choisissez une démarche de signalement active/);
    srv.sql(`UPDATE procedures SET attributes = replace(attributes, '"required":true', '"required":false')
             WHERE code = 'nid-de-poule'`);
    await H.sleep(1100); /* the catalogue's next look */
    r = await admin.get('/agent/admin/sms');
    const proc = /<select id="keyword_procedure" name="keyword_procedure"[^>]*>\s*<option value="([^"]+)"/.exec(r.text);
    assert.ok(proc, 'an incident procedure can take SMS');
    const add = (keyword, procedure = proc[1]) =>
        admin.post('/agent/admin/sms/mots-cles', { keyword, keyword_procedure: procedure }, { tokenFrom: '/agent/admin/sms' });
    const refusals = [
        ['', /Saisissez un mot-clé/],
        ['nid de poule', /un seul mot de lettres et de chiffres/],
        ['nid-de-poule', /un seul mot de lettres et de chiffres/],
        ['Arrêt', /STOP, ARRET et START sont réservés/],
        ['start', /STOP, ARRET et START sont réservés/],
        ['abcdefghijklmnopqrstu', /20 caractères au plus/],
    ];
    for (const [kw, why] of refusals) {
        r = await add(kw);
        assert.equal(r.status, 400, `«${kw}» refused`);
        assert.match(F.textOf(r.text), why);
        assert.match(r.text, /aria-invalid="true"/);
    }
    r = await add('Trou', 'no-such-procedure');
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Choisissez une démarche de signalement active/);
    r = await add('Trou');
    assert.equal(r.status, 303, r.text.slice(0, 300));
    r = await admin.get('/agent/admin/sms?fait=sms_keyword_saved');
    assert.match(F.textOf(r.text), /Le mot-clé est ajouté/);
    assert.match(r.text, /<td class="cell--title mono">trou<\/td>/);
    r = await add('TROU');
    assert.equal(r.status, 400, 'the same keyword, another case');
    assert.match(F.textOf(r.text), /Ce mot-clé existe déjà/);
    assert.match(r.text, /value="TROU"/);
    r = await add('Éclairage');
    assert.equal(r.status, 303);
    r = await admin.post('/agent/admin/sms/mots-cles/retirer', { keyword: 'eclairage' }, { tokenFrom: '/agent/admin/sms' });
    assert.equal(r.status, 303);
    assert.equal(srv.sql('SELECT group_concat(keyword) FROM sms_keywords').trim(), 'trou');
    r = await admin.post('/agent/admin/sms/mots-cles/retirer', { keyword: 'eclairage' }, { tokenFrom: '/agent/admin/sms' });
    assert.equal(r.status, 404, 'removed already');
    assert.equal(srv.sql("SELECT count(*) FROM audit_log WHERE action = 'admin' AND object_kind = 'sms_keyword'").trim(), '3');
});

test('an SMS starting with a keyword files a report, acknowledged by SMS; others dropped with their reason', { skip: skip || false }, async () => {
    const from = '+33611223344';
    await kannel.sendFromPhone(from, '38100', 'Trou, 12 rue de la Paix devant la boulangerie');
    const row = await until('the report filed', () => srv.sql(
        `SELECT reference || '|' || channel || '|' || notify || '|' || description FROM requests WHERE phone = '${from}'`).trim());
    const [ref, channel, notify, description] = row.split('|');
    assert.equal(channel, 'sms');
    assert.equal(notify, 'sms');
    assert.equal(description, '12 rue de la Paix devant la boulangerie');
    /* No address of the list matched: filed without location, flagged for an agent. */
    assert.equal(srv.sql(`SELECT count(*) FROM requests r JOIN request_events e ON e.request_id = r.id
        WHERE r.reference = '${ref}' AND e.kind = 'sms_unplaced' AND e.is_public = 0 AND r.lat IS NULL`).trim(), '1');
    const [ack] = await kannel.waitFor((x) => x.to === from && x.text.includes(ref));
    assert.match(ack.text, new RegExp(`votre demande ${ref} est enregistrée`));
    const page = await admin.get(`/agent/demandes/${ref}`);
    assert.equal(page.status, 200);
    assert.match(F.textOf(page.text), /Signalement par SMS sans adresse reconnue/);

    /* Straight to the callback, its one-line answers: the reason of each drop. */
    const get = (f, text) => H.request(srv, 'GET', `/passerelle/sms?${new URLSearchParams({ key: srv.keys.gateway, from: f, text })}`);
    let r = await get('+33655443322', 'BIDULE 3 rue Haute');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'dropped: no open request for this number and no keyword\n');
    r = await get('+33655443322', 'trou');
    assert.equal(r.text, 'dropped: a keyword and nothing else\n');
    r = await get('+33655443322', `TROU ${'x'.repeat(641)}`);
    assert.equal(r.text, 'dropped: a report over its length\n');
    r = await get('+33655443322', 'TROU 3 rue Haute');
    assert.match(r.text, /^report \d{4}-\d+ unplaced\n$/);
    /* A flood: the same number within the minute files nothing more (another number's
     * first try: +33655443322 filed one above). */
    const before = srv.sql('SELECT count(*) FROM requests').trim();
    const flood = '+33655443300';
    r = await get(flood, 'TROU 4 rue Haute');
    assert.match(r.text, /^report /);
    r = await get(flood, 'TROU 5 rue Haute');
    assert.equal(r.text, 'dropped: one report a minute from a number\n');
    assert.equal(Number(srv.sql('SELECT count(*) FROM requests').trim()), Number(before) + 1);
});

test('a keyword SMS from a number with an open request files a new report; any other text threads into that request', { skip: skip || false }, async () => {
    const get = (f, text) => H.request(srv, 'GET', `/passerelle/sms?${new URLSearchParams({ key: srv.keys.gateway, from: f, text })}`);
    const req = await F.fileRequest(srv, { tag: `kw${process.pid}` });
    const from = '+33644556677';
    srv.sql(`UPDATE requests SET phone = '${from}' WHERE id = ${req.id}`);
    /* An older open request of the same number, and a newer closed one: the reply goes to
     * the newest open one. */
    const other = await F.fileRequest(srv, { tag: `kwold${process.pid}` });
    srv.sql(`UPDATE requests SET phone = '${from}', created_at = created_at - 86400 WHERE id = ${other.id}`);
    const closed = await F.fileRequest(srv, { tag: `kwclosed${process.pid}` });
    srv.sql(`UPDATE requests SET phone = '${from}', closed_at = created_at, created_at = created_at + 60 WHERE id = ${closed.id}`);
    const before = Number(srv.sql('SELECT count(*) FROM requests').trim());
    let r = await get(from, 'nid rue de la Paix, devant le 3');
    assert.equal(r.status, 200);
    /* «nid» is no keyword here ('trou' is): it threads into the open request. */
    assert.equal(r.text, `reply ${req.reference}\n`);
    r = await get(from, 'Trou rue de la Paix, devant le 3');
    const m = /^report (\d{4}-\d+) unplaced\n$/.exec(r.text);
    assert.ok(m, r.text);
    assert.notEqual(m[1], req.reference);
    assert.equal(Number(srv.sql('SELECT count(*) FROM requests').trim()), before + 1);
    assert.equal(srv.sql(`SELECT description FROM requests WHERE reference = '${m[1]}'`).trim(), 'rue de la Paix, devant le 3');
    assert.equal(srv.sql(`SELECT count(*) FROM request_events WHERE request_id = ${req.id} AND channel = 'sms' AND body LIKE 'Trou%'`).trim(), '0',
        'the keyword SMS was threaded into the open request');
    /* The keyword alone is no report: it threads as any text (the newest open request is now the report). */
    r = await get(from, 'TROU');
    assert.equal(r.text, `reply ${m[1]}\n`);
});

test('«Vérifier mon numéro»: a code by SMS, a wrong one refused, the right one verifies; a new number clears it', { skip: skip || false }, async () => {
    const email = `verif.${process.pid}@exemple.fr`;
    const c = new F.Client(srv, 'citizen');
    let r = await c.post('/compte/inscription', { email, display_name: 'Jeanne Martin', password: F.PASSWORD, password_confirm: F.PASSWORD },
        { tokenFrom: '/compte/inscription' });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const { link } = JSON.parse(srv.sql(`SELECT params FROM outbox WHERE template = 'account_verify' AND recipient = '${email}'`).trim());
    r = await c.useLink(link);
    assert.equal(r.status, 200);
    r = await c.get('/compte/preferences');
    assert.match(F.textOf(r.text), /Enregistrez d'abord un numéro de portable/);
    r = await c.post('/compte/preferences', { display_name: 'Jeanne Martin', phone: '06 11 22 33 99', notify: 'email', lang: 'fr' });
    assert.equal(r.status, 200);
    assert.ok(!/badge--green/.test(r.text), 'not verified yet');
    const phone = '+33611223399';

    /* A code asked for: it reaches the fake SMSC; only its hash is kept. */
    r = await c.post('/compte/telephone/code', {});
    assert.equal(r.status, 303);
    assert.match(r.location, /\/compte\/preferences\?telephone=code_sent/);
    r = await c.follow(r);
    assert.match(F.textOf(r.text), /Un code vient de vous être envoyé par SMS/);
    const [m] = await kannel.waitFor((x) => x.to === phone && /code de vérification/.test(x.text));
    const code = /(\d{6})/.exec(m.text)[1];
    assert.equal(srv.sql(`SELECT count(*) FROM account_tokens WHERE purpose = 'phone' AND token_hash LIKE '%${code}%'`).trim(), '0', 'stored hashed');

    /* Not six digits; then a wrong code, counted; then the right one. */
    r = await c.follow(await c.post('/compte/telephone/verifier', { code: '12ab' }));
    assert.match(F.textOf(r.text), /Saisissez les 6 chiffres du code reçu par SMS/);
    assert.match(r.text, /aria-invalid="true"/);
    const wrong = code === '000000' ? '111111' : '000000';
    r = await c.follow(await c.post('/compte/telephone/verifier', { code: wrong }));
    assert.match(F.textOf(r.text), /Ce code n'est pas le bon, ou il a expiré/);
    assert.equal(srv.sql(`SELECT phone_verified_at IS NULL FROM accounts WHERE email = '${email}'`).trim(), '1');
    r = await c.post('/compte/telephone/verifier', { code: `${code.slice(0, 3)} ${code.slice(3)}` });
    assert.match(r.location, /telephone=verified/);
    r = await c.follow(r);
    assert.match(F.textOf(r.text), /Votre numéro de portable est vérifié/);
    assert.match(r.text, /<span class="badge badge--green">vérifié<\/span>/);
    assert.equal(srv.sql(`SELECT phone_verified_at IS NOT NULL FROM accounts WHERE email = '${email}'`).trim(), '1');
    /* A keyword report from the verified number is the account's («Mes demandes»). */
    const accountId = srv.sql(`SELECT id FROM accounts WHERE email = '${email}'`).trim();
    const callback = (f, text) => H.request(srv, 'GET', `/passerelle/sms?${new URLSearchParams({ key: srv.keys.gateway, from: f, text })}`);
    let cb = await callback(phone, 'TROU 8 rue Basse');
    const mine = /^report (\S+) /.exec(cb.text);
    assert.ok(mine, cb.text);
    assert.equal(srv.sql(`SELECT citizen_id FROM requests WHERE reference = '${mine[1]}'`).trim(), accountId);
    srv.sql(`UPDATE requests SET closed_at = 1 WHERE reference = '${mine[1]}'`);
    /* A verified number needs no code: none sent, the page says it is verified. */
    r = await c.post('/compte/telephone/code', {});
    assert.match(r.location, /telephone=verified/);
    assert.equal(srv.sql(`SELECT count(*) FROM outbox WHERE template = 'phone_code' AND recipient = '${phone}'`).trim(), '1');

    /* Another number: not verified any more; five wrong codes spend the code sent for it. */
    r = await c.post('/compte/preferences', { display_name: 'Jeanne Martin', phone: '06 11 22 33 98', notify: 'email', lang: 'fr' });
    assert.equal(r.status, 200);
    assert.ok(!/badge--green/.test(r.text), 'a new number is not verified');
    assert.equal(srv.sql(`SELECT phone_verified_at IS NULL FROM accounts WHERE email = '${email}'`).trim(), '1');
    /* An account's number not verified names no account. */
    cb = await callback('+33611223398', 'TROU 9 rue Basse');
    const theirs = /^report (\S+) /.exec(cb.text);
    assert.ok(theirs, cb.text);
    assert.equal(srv.sql(`SELECT citizen_id IS NULL FROM requests WHERE reference = '${theirs[1]}'`).trim(), '1');
    r = await c.post('/compte/telephone/code', {});
    assert.match(r.location, /telephone=code_sent/);
    const [m2] = await kannel.waitFor((x) => x.to === '+33611223398' && /code de vérification/.test(x.text));
    const code2 = /(\d{6})/.exec(m2.text)[1];
    const wrong2 = code2 === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) {
        r = await c.post('/compte/telephone/verifier', { code: wrong2 });
        assert.match(r.location, /telephone=code_wrong/);
    }
    r = await c.post('/compte/telephone/verifier', { code: wrong2 });
    assert.match(r.location, /telephone=code_spent/);
    r = await c.post('/compte/telephone/verifier', { code: code2 });
    assert.match(r.location, /telephone=code_spent/, 'even the right code, once spent');
    r = await c.follow(r);
    assert.match(F.textOf(r.text), /Trop de codes erronés : demandez un nouveau code/);
    /* A fourth ask within the hour (two codes sent, one refused for a verified number) is
     * refused, and nothing more is sent. */
    const sent = kannel.messages.filter((x) => x.to === '+33611223398').length;
    r = await c.post('/compte/telephone/code', {});
    assert.match(r.location, /telephone=too_many/);
    r = await c.follow(r);
    assert.match(F.textOf(r.text), /Vous avez demandé 3 codes en une heure/);
    assert.equal(srv.sql(`SELECT count(*) FROM outbox WHERE template = 'phone_code' AND recipient = '+33611223398'`).trim(), '1');
    assert.equal(kannel.messages.filter((x) => x.to === '+33611223398').length, sent);
});
