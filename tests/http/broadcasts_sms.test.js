'use strict';
/*
 * Broadcasts by SMS with a real Kannel (bearerbox, smsbox and its fake SMSC on loopback,
 * tests/http/kannel.js): a citizen subscribes on the portal with a mobile number, a code goes
 * by SMS and the subscription counts only once it is typed back (a wrong code, a code that
 * is not six digits and an expired one are refused beside the field); a manager's SMS
 * broadcast reaches the fake SMSC as one GSM-7 SMS, the body cut before the subscriptions
 * page's link and «STOP au 38100»; the broadcast's page shows its figures per channel; STOP
 * ends the number's subscriptions, and the number is then refused with the way back (START),
 * which works; a number on the opt-out list is never queued.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const { startKannel, kannelAvailable } = require('./kannel');

const skip = kannelAvailable();
const SHORT = '38100';
let srv, kannel, manager, works;

test.before(async () => {
    if (skip) return;
    srv = await H.startServer({ requests: 0, env: { GUICHET_RETENTION_INTERVAL_S: '0' } });
    kannel = await startKannel({
        getUrl: `${srv.url}/passerelle/sms?key=${srv.keys.gateway}&from=%p&to=%P&text=%a&time=%t`,
    });
    const admin = await F.login(srv, F.addAgent(srv, { email: `admin.bsms.${process.pid}@ville-demo.test`, name: 'Admin', role: 'admin' }));
    const fields = { sendsms_url: kannel.sendsmsUrl, username: kannel.username, password: kannel.password, sender: SHORT, dlr_key: srv.keys.gateway };
    /* The broadcast rate: bounded, its refusal worded beside the field. */
    for (const bad of ['0', '101', 'dix']) {
        const r = await admin.post('/agent/admin/sms', { ...fields, broadcast_rate: bad }, { tokenFrom: '/agent/admin/sms' });
        assert.equal(r.status, 400, `rate ${bad}`);
        assert.match(F.textOf(r.text), /Saisissez un nombre entier de SMS par seconde, de 1 à 100/);
        assert.match(r.text, new RegExp(`id="broadcast_rate"[^>]*aria-invalid="true"[^>]*value="${bad}"`));
    }
    const r = await admin.post('/agent/admin/sms', { ...fields, broadcast_rate: '50' }, { tokenFrom: '/agent/admin/sms' });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 400));
    assert.equal(srv.sql('SELECT broadcast_rate FROM sms_gateways').trim(), '50');
    manager = await F.login(srv, F.addAgent(srv, { email: `resp.bsms.${process.pid}@ville-demo.test`, name: 'Responsable', role: 'manager' }));
    works = Number(srv.sql("SELECT id FROM topics WHERE code = 'travaux' ORDER BY id LIMIT 1").trim());
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

/* The form posted with a number (and no e-mail address): the answer. */
async function subscribeNumber(c, phone, email = '') {
    await c.get('/abonnements');
    const form = new URLSearchParams({ csrf_token: c.csrf, email, phone });
    form.append('topics', String(works));
    return c.req('POST', '/abonnements', { form: form.toString() });
}

/* The code the fake SMSC received for e164, the latest one. */
async function codeFor(e164, before) {
    await until(`a code for ${e164}`, () => kannel.messages.filter((m) => m.to === e164 && /code de vérification/.test(m.text)).length > before);
    const all = kannel.messages.filter((m) => m.to === e164 && /code de vérification/.test(m.text));
    return /(\d{6})/.exec(all[all.length - 1].text)[1];
}

function codesSent(e164) {
    return kannel.messages.filter((m) => m.to === e164 && /code de vérification/.test(m.text)).length;
}

const jetonOf = (html) => /name="jeton" value="([^"]+)"/.exec(html)[1];

async function typeCode(c, jeton, code) {
    return c.req('POST', '/abonnements/code', { form: { csrf_token: c.csrf, jeton, code } });
}

async function broadcast(client, body, channels = { channel_sms: '1' }) {
    const fields = new URLSearchParams({ csrf_token: client.csrf, subject: 'Travaux', body, ...channels });
    fields.append('topics', String(works));
    const preview = await client.req('POST', '/agent/diffusions', { form: fields.toString() });
    assert.equal(preview.status, 200, F.textOf(preview.text).slice(0, 500));
    fields.set('confirm', '1');
    fields.set('csrf_token', client.csrf);
    const sent = await client.req('POST', '/agent/diffusions', { form: fields.toString() });
    assert.equal(sent.status, 303, F.textOf(sent.text).slice(0, 500));
    return { preview, id: /\/agent\/diffusions\/(\d+)/.exec(sent.location)[1] };
}

/* A citizen's account, signed in, its address confirmed and e164 its verified number. */
async function citizenWithNumber(email, e164) {
    const c = new F.Client(srv, 'citizen');
    const r = await c.post('/compte/inscription', { email, display_name: 'Jeanne Martin', password: F.PASSWORD, password_confirm: F.PASSWORD },
        { tokenFrom: '/compte/inscription' });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const { link } = JSON.parse(srv.sql(`SELECT params FROM outbox WHERE template = 'account_verify' AND recipient = '${email}'`).trim());
    assert.equal((await c.useLink(link)).status, 200);
    srv.sql(`UPDATE accounts SET phone = '${e164}', phone_verified_at = unixepoch() WHERE email = '${email}'`);
    return c;
}

const E164 = '+33612345601';

test('subscribing by number: refusals beside the field, a code by SMS, wrong and expired codes refused', { skip: skip || false }, async () => {
    const c = new F.Client(srv);
    let r = await subscribeNumber(c, '');
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Indiquez une adresse e-mail ou un numéro de portable/);
    r = await subscribeNumber(c, '06 12 34');
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Un numéro français comporte 10 chiffres/);
    assert.match(r.text, /id="phone"[^>]*aria-invalid="true"[^>]*value="06 12 34"/);
    assert.match(r.text, new RegExp(`name="topics" value="${works}" checked`), 'the topics ticked are kept');

    r = await subscribeNumber(c, '06 12 34 56 01');
    assert.equal(r.status, 200, F.textOf(r.text).slice(0, 400));
    assert.match(F.textOf(r.text), /Saisissez le code reçu par SMS/);
    const jeton = jetonOf(r.text);
    const code = await codeFor(E164, 0);
    assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE address = '${E164}' AND channel = 'sms' AND confirmed_at IS NULL`).trim(), '1');
    assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE confirm_hash LIKE '%${code}%'`).trim(), '0', 'the code is kept hashed');

    r = await typeCode(c, jeton, '12ab');
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Saisissez les 6 chiffres du code reçu par SMS/);
    assert.match(r.text, /<input id="code"(?=[^>]*aria-invalid="true")(?=[^>]*value="12ab")/);
    r = await typeCode(c, jeton, code === '000000' ? '111111' : '000000');
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Ce code n’est pas le bon/);
    assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE address = '${E164}' AND confirmed_at IS NOT NULL`).trim(), '0');
    r = await typeCode(c, jeton, `${code.slice(0, 3)} ${code.slice(3)}`);
    assert.equal(r.status, 200, F.textOf(r.text).slice(0, 400));
    assert.match(F.textOf(r.text), /Abonnement confirmé/);
    assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE address = '${E164}' AND channel = 'sms' AND confirmed_at IS NOT NULL AND left_at IS NULL`).trim(), '1');
    r = await typeCode(c, jeton, code);
    assert.equal(r.status, 404, 'a code serves once');

    /* Another number: its code expired before it is typed. */
    const other = '+33612345602';
    r = await subscribeNumber(c, '06 12 34 56 02');
    assert.equal(r.status, 200);
    const jeton2 = jetonOf(r.text);
    const code2 = await codeFor(other, 0);
    srv.sql(`UPDATE subscribers SET confirm_expires_at = 1 WHERE address = '${other}'`);
    r = await typeCode(c, jeton2, code2);
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), /Ce code a expiré/);
    assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE address = '${other}' AND confirmed_at IS NOT NULL`).trim(), '0');
});

test('an SMS broadcast reaches the fake SMSC cut to one SMS, with the link and STOP; figures per channel', { skip: skip || false }, async () => {
    const body = 'La rue de la Paix sera fermée à la circulation du lundi 3 au vendredi 14 pour des travaux de réfection de la chaussée et des trottoirs. Merci de votre compréhension et de votre patience pendant ces travaux.';
    const before = kannel.messages.filter((m) => m.to === E164).length;
    const { preview, id } = await broadcast(manager, body);
    assert.match(F.textOf(preview.text), /envoyée à 1 abonné/);
    await until('the broadcast SMS', () => kannel.messages.filter((m) => m.to === E164).length > before);
    const m = kannel.messages.filter((x) => x.to === E164).slice(-1)[0];
    assert.equal(m.from, SHORT);
    assert.equal(m.coding, 'text', 'folded to GSM-7');
    assert.ok(m.text.length <= 160, `one SMS: ${m.text.length} characters: ${m.text}`);
    assert.match(m.text, /^Ville de Démo : La rue de la Paix sera fermée/);
    assert.ok(m.text.endsWith(`... ${srv.url}/abonnements STOP au ${SHORT}`), m.text);
    assert.equal(srv.sql(`SELECT channel || '|' || priority FROM outbox WHERE broadcast_id = ${id}`).trim(), 'sms|1');
    await until('the delivery report', () => srv.sql(`SELECT state FROM outbox WHERE broadcast_id = ${id}`).trim() === 'delivered');
    const page = await manager.get(`/agent/diffusions/${id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /<caption>Messages de la diffusion par canal et par état<\/caption>/);
    assert.match(F.textOf(page.text), /SMS\s+0\s+0\s+1\s+0\s+0/);
});

test('STOP ends the subscription; the number is refused with START, which lets it subscribe again; an opted-out number is never queued', { skip: skip || false }, async () => {
    await kannel.sendFromPhone(E164, SHORT, 'Stop');
    await until('the opt-out', () => srv.sql(`SELECT count(*) FROM sms_optouts WHERE phone = '${E164}'`).trim() === '1');
    assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE address = '${E164}' AND left_at IS NULL`).trim(), '0', 'every subscription of the number ended');
    const c = new F.Client(srv);
    let r = await subscribeNumber(c, '06 12 34 56 01', 'abonne.stop@exemple.test');
    assert.equal(r.status, 400);
    assert.match(F.textOf(r.text), new RegExp(`envoyez START au ${SHORT}`));
    assert.match(r.text, /id="phone"[^>]*aria-invalid="true"/);
    assert.match(r.text, /value="abonne\.stop@exemple\.test"/, 'the address typed is kept');
    assert.equal(srv.sql("SELECT count(*) FROM subscribers WHERE address = 'abonne.stop@exemple.test'").trim(), '0', 'nothing written');

    /* START: the number may subscribe again; with an address too, both are written (the
     * number first, the write a STOP may still refuse) and the code page says the e-mail
     * went. */
    await kannel.sendFromPhone(E164, SHORT, 'START');
    await until('the opt-in', () => srv.sql(`SELECT count(*) FROM sms_optouts WHERE phone = '${E164}'`).trim() === '0');
    const sent = codesSent(E164);
    r = await subscribeNumber(c, '06 12 34 56 01', 'abonne.stop@exemple.test');
    assert.equal(r.status, 200, F.textOf(r.text).slice(0, 400));
    assert.match(F.textOf(r.text), /Un e-mail de confirmation est aussi parti/);
    assert.equal(srv.sql("SELECT count(*) FROM subscribers WHERE address = 'abonne.stop@exemple.test' AND confirmed_at IS NULL").trim(), '1');
    const code = await codeFor(E164, sent);
    r = await typeCode(c, jetonOf(r.text), code);
    assert.equal(r.status, 200);
    assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE address = '${E164}' AND confirmed_at IS NOT NULL AND left_at IS NULL`).trim(), '1');

    /* On the opt-out list without its subscription ended (a STOP recorded by another way):
     * the broadcast counts it out and queues nothing for it. */
    srv.sql(`INSERT INTO sms_optouts (tenant_id, phone, created_at) SELECT tenant_id, address, unixepoch() FROM subscribers WHERE address = '${E164}' AND left_at IS NULL`);
    const { preview, id } = await broadcast(manager, 'Coupure d’eau demain matin.');
    assert.match(F.textOf(preview.text), /envoyée à 0 abonné/);
    await until('the broadcast queued', () => srv.sql(`SELECT queued_at IS NOT NULL FROM broadcasts WHERE id = ${id}`).trim() === '1');
    assert.equal(srv.sql(`SELECT count(*) FROM outbox WHERE broadcast_id = ${id}`).trim(), '0');
});

test('a logged-in citizen subscribing with their own verified number is not asked for a code', { skip: skip || false }, async () => {
    const email = `abonne.verifie.${process.pid}@exemple.fr`;
    const mine = '+33612345603';
    const c = await citizenWithNumber(email, mine);
    const sent = codesSent(mine);
    let r = await subscribeNumber(c, '06 12 34 56 03');
    assert.equal(r.status, 200, F.textOf(r.text).slice(0, 400));
    assert.match(F.textOf(r.text), /Abonnement confirmé/);
    assert.equal(srv.sql(`SELECT count(*) FROM subscribers s JOIN accounts a ON a.id = s.account_id
        WHERE s.address = '${mine}' AND s.channel = 'sms' AND s.confirmed_at IS NOT NULL AND a.email = '${email}'`).trim(), '1');
    assert.equal(srv.sql(`SELECT count(*) FROM outbox WHERE template = 'phone_code' AND recipient = '${mine}'`).trim(), '0', 'no code sent');
    assert.equal(codesSent(mine), sent);
    /* Another number than their own verified one: a code, as for anyone. */
    r = await subscribeNumber(c, '06 12 34 56 04');
    assert.equal(r.status, 200);
    assert.match(F.textOf(r.text), /Saisissez le code reçu par SMS/);
    /* The page lists the account's subscription by SMS. */
    const page = await c.get('/abonnements');
    assert.match(F.textOf(page.text), new RegExp(`\\${mine} : Travaux`));
});

test('an SMS subscription made while logged out with the account\'s verified number is listed on the account\'s page', { skip: skip || false }, async () => {
    const number = '+33612345605';
    const anonymous = new F.Client(srv);
    const sent = codesSent(number);
    let r = await subscribeNumber(anonymous, '06 12 34 56 05');
    assert.equal(r.status, 200, F.textOf(r.text).slice(0, 400));
    r = await typeCode(anonymous, jetonOf(r.text), await codeFor(number, sent));
    assert.equal(r.status, 200, F.textOf(r.text).slice(0, 400));
    assert.equal(srv.sql(`SELECT count(*) FROM subscribers WHERE address = '${number}' AND account_id IS NULL AND confirmed_at IS NOT NULL`).trim(), '1');

    const email = `abonne.deconnecte.${process.pid}@exemple.fr`;
    const c = await citizenWithNumber(email, number);
    let page = await c.get('/abonnements');
    assert.match(F.textOf(page.text), new RegExp(`\\${number} : Travaux`), 'listed, with its topics');
    /* Its button leaves it, as the account's own ones. */
    const token = srv.sql(`SELECT leave_token FROM subscribers WHERE address = '${number}'`).trim();
    assert.ok(page.text.includes(`action="/abonnements/quitter/${token}?`), 'a button to leave it');
    /* A number not (or no longer) verified proves nothing: its subscriptions are not shown. */
    srv.sql(`UPDATE accounts SET phone_verified_at = NULL WHERE email = '${email}'`);
    page = await c.get('/abonnements');
    assert.doesNotMatch(F.textOf(page.text), new RegExp(`\\${number}`));
});
