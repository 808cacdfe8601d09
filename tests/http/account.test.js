'use strict';
/*
 * The citizen's account pages against a real `guichet serve` on the demo commune, driven
 * like a browser without JavaScript (a cookie jar, forms with their hidden CSRF token, no
 * automatic redirects): sign-up, the verification link read from the outbox, login, logout,
 * wrong passwords, one-time login links, password reset, preferences, and the security
 * properties — CSRF refusal (403), no session fixation, no account enumeration, rate limits
 * (429 with Retry-After) — plus the HTML error pages.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, OPEN_REDIRECTS } = require('./harness');

const PASSWORD = 'une phrase de passe assez longue';
const PASSWORD2 = 'une autre phrase tout aussi longue';

/* A browser: cookies kept across requests (Max-Age=0 deletes), redirects not followed. */
class Browser {
    constructor(srv) {
        this.srv = srv;
        this.jar = new Map();
    }

    cookieHeader() {
        return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    }

    async req(method, p, { form, headers = {} } = {}) {
        const h = Object.assign({}, headers);
        if (this.jar.size) h.Cookie = this.cookieHeader();
        let body;
        if (form !== undefined) {
            body = new URLSearchParams(form).toString();
            h['Content-Type'] = 'application/x-www-form-urlencoded';
        }
        const r = await fetch(this.srv.url + p, {
            method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(30000),
        });
        const text = await r.text();
        const setCookies = r.headers.getSetCookie();
        for (const c of setCookies) {
            const [pair, ...attrs] = c.split(';').map((s) => s.trim());
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq), value = pair.slice(eq + 1);
            if (attrs.some((a) => /^max-age=0$/i.test(a)) || value === '') this.jar.delete(name);
            else this.jar.set(name, value);
        }
        return { status: r.status, headers: r.headers, text, setCookies };
    }

    get(p) {
        return this.req('GET', p);
    }

    /* Opens an e-mailed link as a person does: its GET shows a page with one button, whose
     * POST (with the page's CSRF token and the link's token) spends it. Returns both answers. */
    async useLink(link) {
        const page = await this.get(localPath(link));
        assert.equal(page.status, 200, `GET ${localPath(link)}: ${page.status}`);
        const m = page.text.match(/<form method="post" action="([^"]+)">/);
        assert.ok(m, 'the link\'s page has a form');
        const jeton = page.text.match(/name="jeton" value="([^"]*)"/)[1];
        const result = await this.req('POST', unescape(m[1]), { form: { csrf_token: csrfOf(page.text), jeton } });
        return { page, result };
    }

    /* GETs the form page, then POSTs fields with the page's CSRF token. */
    async submit(pagePath, fields, postPath = pagePath) {
        const page = await this.get(pagePath);
        assert.equal(page.status, 200, `GET ${pagePath}: ${page.status}`);
        const token = csrfOf(page.text);
        return this.req('POST', postPath, { form: Object.assign({ csrf_token: token }, fields) });
    }
}

function csrfOf(html) {
    const m = html.match(/name="csrf_token" value="([0-9a-f]{64})"/);
    assert.ok(m, 'the page has no CSRF token');
    return m[1];
}

/* Decodes the few entities the template engine writes into text. */
function unescape(s) {
    return s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/* The newest outbox message of template tmpl to address `to`: {params, lang}. */
function lastMail(srv, tmpl, to) {
    const out = srv.sql('SELECT params FROM outbox WHERE template = ' + sqlq(tmpl) +
                        ' AND recipient = ' + sqlq(to) + ' ORDER BY id DESC LIMIT 1').trim();
    assert.ok(out, `no ${tmpl} message for ${to}`);
    return JSON.parse(out);
}

function countMails(srv, to) {
    return Number(srv.sql('SELECT count(*) FROM outbox WHERE recipient = ' + sqlq(to)).trim());
}

function sqlq(s) {
    return "'" + String(s).replace(/'/g, "''") + "'";
}

/* The path and query of a link from an e-mail (its host is the server's own). */
function localPath(link) {
    const u = new URL(link);
    return u.pathname + u.search;
}

async function signUp(b, email, name = 'Jeanne Martin', password = PASSWORD) {
    return b.submit('/compte/inscription', {
        email, display_name: name, password, password_confirm: password,
    });
}

/* Signs up and verifies through the e-mailed link; returns the browser, logged in. */
async function verifiedCitizen(srv, email) {
    const b = new Browser(srv);
    const r = await signUp(b, email);
    assert.equal(r.status, 200, r.text);
    const { link } = lastMail(srv, 'account_verify', email);
    const { result } = await b.useLink(link);
    assert.equal(result.status, 200, result.text);
    return b;
}

async function isLoggedIn(b) {
    const r = await b.get('/compte/preferences');
    return r.status === 200;
}

/* Two servers, so that the sign-ups of one group of tests do not spend the sign-up rate
 * limit of the other (every test comes from 127.0.0.1). */
let srv, srvB;
test.before(async () => {
    [srv, srvB] = await Promise.all([startServer(), startServer()]);
});
test.after(async () => {
    await Promise.all([srv && srv.stop(), srvB && srvB.stop()]);
});

test('sign-up, verification link, logged in, logout, login, wrong password', async () => {
    const b = new Browser(srv);
    const email = 'jeanne.martin@exemple.fr';
    const r = await signUp(b, 'Jeanne.Martin@Exemple.fr');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8/);
    assert.match(unescape(r.text), /Si cette adresse peut être utilisée, vous allez recevoir un e-mail/);
    assert.equal(b.jar.has('guichet_session'), false, 'not logged in before verification');

    /* Not verified yet: the right password is not enough. */
    const early = await b.submit('/compte/connexion', { email, password: PASSWORD });
    assert.equal(early.status, 400);
    assert.match(unescape(early.text), /n'est pas encore confirmée/);

    const mail = lastMail(srv, 'account_verify', email);
    assert.equal(mail.name, 'Jeanne Martin');
    assert.match(mail.link, /^http:\/\/127\.0\.0\.1:\d+\/compte\/verifier\?jeton=[A-Za-z0-9_-]{43}$/);
    const { page, result: v } = await b.useLink(mail.link);
    assert.match(unescape(page.text), /Confirmer votre adresse e-mail/);
    assert.equal(v.status, 200, v.text);
    assert.match(unescape(v.text), /Votre adresse e-mail est confirmée/);
    assert.match(v.text, /class="notice notice--success"/);
    assert.match(v.text, /href="\/mes-demandes"/);
    const cookie = v.setCookies.find((c) => c.startsWith('guichet_session='));
    assert.ok(cookie, 'a session cookie is set');
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);
    assert.ok(await isLoggedIn(b));
    /* The layout shows the logout button once logged in. */
    const prefs = await b.get('/compte/preferences');
    assert.match(prefs.text, /action="\/compte\/deconnexion"/);
    assert.match(prefs.text, /jeanne.martin@exemple.fr/);

    /* The link served once: its page still shows (it reads nothing), its button says so. */
    const again = await new Browser(srv).useLink(mail.link);
    assert.equal(again.result.status, 400);
    assert.match(unescape(again.result.text), /Ce lien a déjà servi/);
    assert.match(again.result.text, /href="\/compte\/lien-connexion"/);

    /* Logout: POST with the token, the session ends on the server too. */
    const session = b.jar.get('guichet_session');
    const out = await b.submit('/compte/preferences', {}, '/compte/deconnexion');
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), '/');
    assert.equal(b.jar.has('guichet_session'), false);
    assert.equal(await isLoggedIn(b), false);
    const replay = new Browser(srv);
    replay.jar.set('guichet_session', session);
    assert.equal(await isLoggedIn(replay), false, 'a logged-out session cookie is dead');

    /* Login with the e-mail in another case; back to the requested local page. */
    const login = await b.submit('/compte/connexion?retour=/compte/preferences',
                                 { email: 'JEANNE.martin@exemple.fr', password: PASSWORD,
                                   retour: '/compte/preferences' });
    assert.equal(login.status, 303, login.text);
    assert.equal(login.headers.get('location'), '/compte/preferences');
    assert.ok(await isLoggedIn(b));

    /* Never elsewhere. */
    const c = new Browser(srv);
    const off = await c.submit('/compte/connexion',
                               { email, password: PASSWORD, retour: '//evil.example/x' });
    assert.equal(off.status, 303);
    assert.equal(off.headers.get('location'), '/mes-demandes');

    /* Wrong password: the form again, with the summary, the field marked and the e-mail kept. */
    const d = new Browser(srv);
    const bad = await d.submit('/compte/connexion', { email, password: 'pas le bon mot de passe' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /class="error-summary" role="alert"/);
    assert.match(bad.text, /<a href="#email">/);
    assert.match(bad.text, /aria-invalid="true"/);
    assert.match(bad.text, /value="jeanne.martin@exemple.fr"/);
    assert.match(unescape(bad.text), /<title>Erreur : Se connecter/);
    assert.equal(d.jar.has('guichet_session'), false);
    assert.equal(bad.text.includes('pas le bon mot de passe'), false, 'passwords are never echoed');
});

test('sign-up form: validation errors, values kept, English', async () => {
    const b = new Browser(srv);
    const r = await b.submit('/compte/inscription?lang=en', {
        email: 'pas-une-adresse', display_name: '', password: 'court', password_confirm: 'autre',
    }, '/compte/inscription?lang=en');
    assert.equal(r.status, 400);
    assert.match(r.text, /<html lang="en">/);
    assert.match(r.text, /There is a problem|error-summary/);
    for (const f of ['email', 'display_name', 'password', 'password_confirm']) {
        assert.match(r.text, new RegExp(`<a href="#${f}">`), f);
        assert.match(r.text, new RegExp(`id="${f}-error"`), f);
        assert.match(r.text, new RegExp(`id="${f}"[^>]*aria-describedby="${f}-hint ${f}-error"[^>]*aria-invalid="true"`), f);
    }
    assert.match(r.text, /value="pas-une-adresse"/);
    assert.match(r.text, /at least 12 characters/);
    /* A common password is refused by the server's list. */
    const c = await b.submit('/compte/inscription', {
        email: 'x@exemple.fr', display_name: 'X', password: 'motdepasse123',
        password_confirm: 'motdepasse123',
    });
    assert.equal(c.status, 400);
    assert.match(unescape(c.text), /trop courant/);
    assert.equal(countMails(srv, 'x@exemple.fr'), 0);
});

test('no account enumeration: the same answer for a new and a registered address', async () => {
    const srv = srvB;
    await verifiedCitizen(srv, 'deja@exemple.fr');
    const before = countMails(srv, 'deja@exemple.fr');
    const strip = (t) => t.replace(/[0-9a-f]{64}/g, 'TOKEN');
    const known = await signUp(new Browser(srv), 'deja@exemple.fr', 'Quelqu\'un', PASSWORD2);
    const fresh = await signUp(new Browser(srv), 'nouveau@exemple.fr', 'Quelqu\'un', PASSWORD2);
    assert.equal(known.status, fresh.status);
    assert.equal(strip(known.text), strip(fresh.text));
    /* The owner is told someone tried; the password did not change. */
    assert.equal(countMails(srv, 'deja@exemple.fr'), before + 1);
    assert.match(lastMail(srv, 'account_exists', 'deja@exemple.fr').link, /\/compte\/connexion$/);
    const b = new Browser(srv);
    const l = await b.submit('/compte/connexion', { email: 'deja@exemple.fr', password: PASSWORD2 });
    assert.equal(l.status, 400);
    /* Reset and login links: same answers too. */
    const r1 = await new Browser(srv).submit('/compte/mot-de-passe-oublie', { email: 'deja@exemple.fr' });
    const r2 = await new Browser(srv).submit('/compte/mot-de-passe-oublie', { email: 'personne@exemple.fr' });
    assert.equal(r1.status, 200);
    assert.equal(strip(r1.text), strip(r2.text));
    assert.equal(countMails(srv, 'personne@exemple.fr'), 0);
    /* Wrong password and unknown address: the same message. */
    const w1 = await new Browser(srv).submit('/compte/connexion', { email: 'deja@exemple.fr', password: 'mauvais mot de passe' });
    const w2 = await new Browser(srv).submit('/compte/connexion', { email: 'inconnu@exemple.fr', password: 'mauvais mot de passe' });
    assert.equal(w1.status, w2.status);
    assert.equal(strip(w1.text).replace('deja@', 'X@'), strip(w2.text).replace('inconnu@', 'X@'));
});

test('CSRF: a POST without a valid token is refused with a 403 page', async () => {
    const b = new Browser(srv);
    await b.get('/compte/connexion'); /* has the CSRF cookie, not the token */
    const none = await b.req('POST', '/compte/connexion',
                             { form: { email: 'deja@exemple.fr', password: PASSWORD } });
    assert.equal(none.status, 403);
    assert.match(none.headers.get('content-type'), /^text\/html/);
    assert.match(unescape(none.text), /Le formulaire a expiré/);
    assert.match(none.text, /<html lang="fr">/);
    /* Another browser's token does not work either. */
    const other = new Browser(srv);
    const token = csrfOf((await other.get('/compte/connexion')).text);
    const forged = await b.req('POST', '/compte/inscription', {
        form: { csrf_token: token, email: 'csrf@exemple.fr', display_name: 'C',
                password: PASSWORD, password_confirm: PASSWORD },
    });
    assert.equal(forged.status, 403);
    /* Nor a token without its cookie. */
    const bare = await new Browser(srv).req('POST', '/compte/deconnexion', { form: { csrf_token: token } });
    assert.equal(bare.status, 403);
    assert.equal(countMails(srv, 'csrf@exemple.fr'), 0);
    /* The 403 page gave a cookie, so a retry from a fresh page works. */
    const retry = await b.submit('/compte/mot-de-passe-oublie', { email: 'csrf@exemple.fr' });
    assert.equal(retry.status, 200);
});

test('e-mailed links are spent by the button\'s POST, never by a GET a mail scanner makes', async () => {
    const srv = srvB;
    const email = 'scanner@exemple.fr';
    const b = new Browser(srv);
    assert.equal((await signUp(b, email)).status, 200);
    const { link } = lastMail(srv, 'account_verify', email);
    const path = localPath(link);
    const jeton = new URL(link).searchParams.get('jeton');

    /* A scanner: GET and HEAD, with and without cookies, several times. */
    for (let i = 0; i < 3; i++) {
        const scan = await new Browser(srv).get(path);
        assert.equal(scan.status, 200);
        assert.equal(scan.headers.get('referrer-policy'), 'no-referrer');
        assert.equal(scan.headers.get('cache-control'), 'no-store');
        assert.ok(!scan.setCookies.some((c) => c.startsWith('guichet_session=')), 'a GET logs nobody in');
        assert.doesNotMatch(scan.text, /scanner@exemple\.fr/, 'the page reveals nothing of the account');
        /* One button, posting the token back with the CSRF token; the language switch keeps
         * the token and shows the same page in English. */
        assert.match(scan.text, /<form method="post" action="\/compte\/verifier\?lang=fr">/);
        assert.match(scan.text, new RegExp(`name="jeton" value="${jeton}"`));
        assert.match(scan.text, /name="csrf_token" value="[0-9a-f]{64}"/);
        assert.equal((scan.text.match(/<button/g) || []).length, 1);
        assert.match(scan.text, new RegExp(`href="/compte/verifier\\?jeton=${jeton}&amp;lang=en"`));
    }
    const head = await b.req('HEAD', path);
    assert.equal(head.status, 200);
    const en = await new Browser(srv).get(`${path}&lang=en`);
    assert.match(en.text, /<html lang="en">/);
    assert.match(en.text, /Confirm my e-mail address/);
    assert.match(en.text, /action="\/compte\/verifier\?lang=en"/);
    assert.equal(srv.sql(`SELECT count(*) FROM account_tokens WHERE used_at IS NOT NULL AND account_id =
        (SELECT id FROM accounts WHERE email = ${sqlq(email)})`).trim(), '0', 'no GET spent the token');
    assert.equal(srv.sql(`SELECT email_verified_at IS NULL FROM accounts WHERE email = ${sqlq(email)}`).trim(), '1');

    /* The button's POST without the CSRF token, or with another browser's: refused, unspent. */
    const page = await b.get(path);
    const noCsrf = await b.req('POST', '/compte/verifier', { form: { jeton } });
    assert.equal(noCsrf.status, 403);
    const other = await new Browser(srv).get(path);
    const forged = await b.req('POST', '/compte/verifier', { form: { csrf_token: csrfOf(other.text), jeton } });
    assert.equal(forged.status, 403);
    const bare = await new Browser(srv).req('POST', '/compte/verifier', { form: { csrf_token: csrfOf(page.text), jeton } });
    assert.equal(bare.status, 403, 'no CSRF cookie: refused before the body is read');
    assert.equal(b.jar.has('guichet_session'), false);

    /* The button: spent, logged in. */
    const ok = await b.req('POST', '/compte/verifier', { form: { csrf_token: csrfOf(page.text), jeton } });
    assert.equal(ok.status, 200, ok.text);
    assert.match(unescape(ok.text), /Votre adresse e-mail est confirmée/);
    assert.ok(await isLoggedIn(b));
    /* A second POST: the link was already used. */
    const second = await new Browser(srv).useLink(link);
    assert.equal(second.result.status, 400);
    assert.match(unescape(second.result.text), /Ce lien a déjà servi/);
    assert.match(unescape(second.result.text), /choisissez un nouveau mot de passe/);

    /* The login link the same way, in English. */
    const l = new Browser(srv);
    assert.equal((await l.submit('/compte/lien-connexion?lang=en', { email })).status, 200);
    const login = lastMail(srv, 'account_login', email).link;
    const lscan = await new Browser(srv).get(`${localPath(login)}&lang=en`);
    assert.equal(lscan.status, 200);
    assert.equal(lscan.headers.get('referrer-policy'), 'no-referrer');
    assert.match(lscan.text, /Log me in/);
    assert.ok(!lscan.setCookies.some((c) => c.startsWith('guichet_session=')));
    const lpage = await l.get(`${localPath(login)}&lang=en`);
    const lnoCsrf = await l.req('POST', '/compte/lien?lang=en', { form: { jeton: new URL(login).searchParams.get('jeton') } });
    assert.equal(lnoCsrf.status, 403);
    const lok = await l.req('POST', '/compte/lien?lang=en',
                            { form: { csrf_token: csrfOf(lpage.text), jeton: new URL(login).searchParams.get('jeton') } });
    assert.equal(lok.status, 303);
    assert.ok(await isLoggedIn(l));
    const lagain = await new Browser(srv).req('POST', '/compte/lien?lang=en',
                                              { form: { csrf_token: csrfOf(lpage.text), jeton: 'x' } });
    assert.equal(lagain.status, 403, 'a CSRF token from another browser');
    const lused = await new Browser(srv).useLink(`${login}&lang=en`);
    assert.equal(lused.result.status, 400);
    assert.match(lused.result.text, /This link has already been used/);

    /* A link without a token, or a mangled one: the invalid-link page, nothing else echoed. */
    const none = await new Browser(srv).get('/compte/lien');
    assert.equal(none.status, 400);
    assert.match(unescape(none.text), /Ce lien n'est plus valable/);
    const mangled = await new Browser(srv).get('/compte/verifier?jeton=%22%3E%3Cscript%3E');
    assert.equal(mangled.status, 400);
    assert.doesNotMatch(mangled.text, /<script>/);
    /* The reset page holds its token too. */
    const reset = await new Browser(srv).get(`/compte/nouveau-mot-de-passe?jeton=${jeton}`);
    assert.equal(reset.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(reset.headers.get('cache-control'), 'no-store');
    /* Other pages keep the site's policy. */
    const home = await new Browser(srv).get('/compte/connexion');
    assert.equal(home.headers.get('referrer-policy'), 'same-origin');
});

test('no session fixation: login replaces a session cookie set before it', async () => {
    const srv = srvB;
    await verifiedCitizen(srv, 'fixation@exemple.fr');
    const b = new Browser(srv);
    const planted = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    b.jar.set('guichet_session', planted);
    await b.get('/compte/connexion');
    const csrfBefore = b.jar.get('guichet_csrf');
    const r = await b.submit('/compte/connexion', { email: 'fixation@exemple.fr', password: PASSWORD });
    assert.equal(r.status, 303, r.text);
    const after = b.jar.get('guichet_session');
    assert.ok(after && after !== planted);
    assert.notEqual(b.jar.get('guichet_csrf'), csrfBefore, 'CSRF secret rotated at login');
    assert.ok(await isLoggedIn(b));
    /* A session known to an attacker before a login is worth nothing after it. */
    const attacker = new Browser(srv);
    const own = await verifiedCitizen(srv, 'attaquant@exemple.fr');
    const stolen = own.jar.get('guichet_session');
    const victim = new Browser(srv);
    victim.jar.set('guichet_session', stolen);
    const l = await victim.submit('/compte/connexion', { email: 'fixation@exemple.fr', password: PASSWORD });
    assert.equal(l.status, 303);
    assert.notEqual(victim.jar.get('guichet_session'), stolen);
    attacker.jar.set('guichet_session', stolen);
    assert.equal(await isLoggedIn(attacker), false, 'the previous session was destroyed');
});

test('password reset: link by e-mail, new password, other sessions ended', async () => {
    const srv = srvB;
    const email = 'reset@exemple.fr';
    const first = await verifiedCitizen(srv, email);
    assert.ok(await isLoggedIn(first));
    const b = new Browser(srv);
    const r = await b.submit('/compte/mot-de-passe-oublie', { email: 'Reset@Exemple.fr' });
    assert.equal(r.status, 200);
    assert.match(unescape(r.text), /Si un compte existe pour cette adresse/);
    const { link } = lastMail(srv, 'account_reset', email);
    assert.match(link, /\/compte\/nouveau-mot-de-passe\?jeton=/);
    const jeton = new URL(link).searchParams.get('jeton');
    const form = await b.get(localPath(link));
    assert.equal(form.status, 200);
    assert.match(form.text, new RegExp(`name="jeton" value="${jeton}"`));
    /* Mismatch: the form again, the token still good. */
    const mismatch = await b.req('POST', '/compte/nouveau-mot-de-passe', {
        form: { csrf_token: csrfOf(form.text), jeton, password: PASSWORD2, password_confirm: 'autre chose encore' },
    });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.text, /<a href="#password_confirm">/);
    const ok = await b.req('POST', '/compte/nouveau-mot-de-passe', {
        form: { csrf_token: csrfOf(mismatch.text), jeton, password: PASSWORD2, password_confirm: PASSWORD2 },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.match(unescape(ok.text), /Votre mot de passe est enregistré/);
    assert.ok(await isLoggedIn(b));
    assert.equal(await isLoggedIn(first), false, 'the other session ended');
    /* Old password dead, new one alive, link single-use. */
    const old = await new Browser(srv).submit('/compte/connexion', { email, password: PASSWORD });
    assert.equal(old.status, 400);
    const neu = await new Browser(srv).submit('/compte/connexion', { email, password: PASSWORD2 });
    assert.equal(neu.status, 303);
    const reuse = await b.req('POST', '/compte/nouveau-mot-de-passe', {
        form: { csrf_token: csrfOf((await b.get(localPath(link))).text), jeton,
                password: 'encore une autre phrase', password_confirm: 'encore une autre phrase' },
    });
    assert.equal(reuse.status, 400);
    assert.match(unescape(reuse.text), /Ce lien a déjà servi/);
    /* An unknown token: no longer valid, with the ways to a new link. */
    const unknown = await b.req('POST', '/compte/nouveau-mot-de-passe', {
        form: { csrf_token: csrfOf(reuse.text), jeton: 'A'.repeat(43),
                password: 'encore une autre phrase', password_confirm: 'encore une autre phrase' },
    });
    assert.equal(unknown.status, 400);
    assert.match(unescape(unknown.text), /Ce lien n'est plus valable/);
    assert.match(unknown.text, /href="\/compte\/mot-de-passe-oublie"/);
});

test('one-time login link and preferences', async () => {
    const srv = srvB;
    const email = 'lien@exemple.fr';
    await verifiedCitizen(srv, email);
    const b = new Browser(srv);
    const r = await b.submit('/compte/lien-connexion', { email });
    assert.equal(r.status, 200);
    const { link } = lastMail(srv, 'account_login', email);
    assert.match(link, /\/compte\/lien\?jeton=/);
    const { page: lp, result: l } = await b.useLink(link);
    assert.match(unescape(lp.text), /Vous connecter avec ce lien/);
    assert.equal(l.status, 303);
    assert.equal(l.headers.get('location'), '/mes-demandes');
    assert.ok(await isLoggedIn(b));
    const twice = await new Browser(srv).useLink(link);
    assert.equal(twice.result.status, 400);
    assert.match(unescape(twice.result.text), /Ce lien a déjà servi/);

    /* Preferences: radios in a fieldset, SMS needs a phone, then saved. */
    const page = await b.get('/compte/preferences');
    assert.match(page.text, /<fieldset[^>]*>\s*<legend>/);
    assert.match(page.text, /type="radio" id="notify_email" name="notify" value="email" checked/);
    const bad = await b.req('POST', '/compte/preferences', {
        form: { csrf_token: csrfOf(page.text), display_name: 'Léa Lien', phone: '', notify: 'sms', lang: 'fr' },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /<a href="#phone">/);
    assert.match(bad.text, /value="Léa Lien"/);
    /* A number refused says what is wrong with it. */
    const short = await b.req('POST', '/compte/preferences', {
        form: { csrf_token: csrfOf(bad.text), display_name: 'Léa Lien', phone: '06 12 34 56', notify: 'sms', lang: 'fr' },
    });
    assert.equal(short.status, 400);
    assert.match(unescape(short.text), /Un numéro français comporte 10 chiffres, par exemple 06 12 34 56 78 ; celui-ci en a 8\./);
    assert.match(short.text, /value="06 12 34 56"/);
    const good = await b.req('POST', '/compte/preferences', {
        form: { csrf_token: csrfOf(short.text), display_name: 'Léa Lien', phone: '06 12 34 56 78', notify: 'sms', lang: 'en' },
    });
    assert.equal(good.status, 200, good.text);
    assert.match(unescape(good.text), /Vos préférences sont enregistrées/);
    const row = srv.sql(`SELECT display_name, phone, notify, lang FROM accounts WHERE email = ${sqlq(email)}`).trim();
    /* Stored in E.164, whatever the form typed. */
    assert.equal(row, 'Léa Lien|+33612345678|sms|en');
    /* Logged out: the preferences page sends to the login page. */
    const anon = await new Browser(srv).get('/compte/preferences');
    assert.equal(anon.status, 303);
    assert.equal(anon.headers.get('location'), '/compte/connexion?retour=/compte/preferences');
});

test('error pages: 404 and 405 in HTML, in the visitor\'s language', async () => {
    const b = new Browser(srv);
    const nf = await b.req('GET', '/compte/nulle-part', { headers: { 'Accept-Language': 'en-GB,en' } });
    assert.equal(nf.status, 404);
    assert.match(nf.headers.get('content-type'), /^text\/html/);
    assert.match(nf.text, /<html lang="en">/);
    assert.match(nf.text, /Page not found/);
    const m = await b.req('DELETE', '/compte/connexion');
    assert.equal(m.status, 405);
    assert.match(m.text, /<html lang="fr">/);
});

test('rate limits: 429 with Retry-After after many login attempts', async () => {
    const b = new Browser(srv);
    const page = await b.get('/compte/connexion');
    const token = csrfOf(page.text);
    const statuses = [];
    let limited = null;
    for (let i = 0; i < 14; i++) {
        const r = await b.req('POST', '/compte/connexion',
                              { form: { csrf_token: token, email: 'cible@exemple.fr', password: `essai numéro ${i}` } });
        statuses.push(r.status);
        if (r.status === 429) {
            limited = r;
            break;
        }
    }
    assert.ok(limited, `no 429 after ${statuses.length} attempts: ${statuses.join(',')}`);
    assert.ok(statuses.length >= 10, 'the first attempts pass');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.match(unescape(limited.text), /Trop de tentatives/);
    /* Another address from the same client is not blocked by this one. */
    const other = await b.req('POST', '/compte/connexion',
                              { form: { csrf_token: token, email: 'autre@exemple.fr', password: 'mauvais mot de passe' } });
    assert.equal(other.status, 400);
});

/* Pen-test findings (issue 9): where a login sends the citizen, and rate limits that a
 * padded or differently-cased address must not sidestep. A server of its own, so that the
 * other tests' attempts do not count. */
test('login: no open redirect, one rate-limit bucket per address however written', async (t) => {
    const s = await startServer({ requests: 10 });
    t.after(() => s.stop());

    await t.test('after login, only a path of this site', async () => {
        /* Two accounts: every login spends a token of its address's bucket. */
        const accounts = ['retour.un@exemple.fr', 'retour.deux@exemple.fr'];
        for (const email of accounts) await verifiedCitizen(s, email);
        const login = async (i, retour) => {
            const b = new Browser(s);
            const page = await b.get(`/compte/connexion?retour=${encodeURIComponent(retour)}`);
            assert.equal(page.status, 200);
            const r = await b.req('POST', '/compte/connexion', {
                form: { csrf_token: csrfOf(page.text), email: accounts[i % 2], password: PASSWORD, retour },
            });
            assert.equal(r.status, 303, `${JSON.stringify(retour)}: ${r.status}`);
            return { page, location: r.headers.get('location') };
        };
        for (const [i, retour] of OPEN_REDIRECTS.entries()) {
            const { page, location } = await login(i, retour);
            assert.doesNotMatch(page.text, /name="retour"/, `${JSON.stringify(retour)} kept in the form`);
            assert.equal(location, '/mes-demandes', `${JSON.stringify(retour)} → ${JSON.stringify(location)}`);
            assert.equal(new URL(location, s.url).origin, s.url);
        }
        const { location } = await login(1, '/suivi?reference=2026-000001');
        assert.equal(location, '/suivi?reference=2026-000001', 'a path of this site is kept');
    });

    await t.test('login attempts with variants of one address share its bucket', async () => {
        const variants = [' alice@example.org', 'alice@example.org ', '\talice@example.org',
            'ALICE@example.org', 'Alice@Example.Org', '  alice@EXAMPLE.org\t', 'alice@example.org',
            'aLiCe@example.org  ', '\t ALICE@EXAMPLE.ORG', ' Alice@example.org '];
        const b = new Browser(s);
        const token = csrfOf((await b.get('/compte/connexion')).text);
        for (const [i, email] of variants.entries()) {
            const r = await b.req('POST', '/compte/connexion',
                                  { form: { csrf_token: token, email, password: `essai ${i}` } });
            assert.equal(r.status, 400, `attempt ${i + 1} (${JSON.stringify(email)}): ${r.status}`);
        }
        const next = await b.req('POST', '/compte/connexion',
                                 { form: { csrf_token: token, email: ' ALICE@example.org', password: 'encore' } });
        assert.equal(next.status, 429, 'the variants counted against fresh buckets');
        assert.ok(Number(next.headers.get('retry-after')) >= 1);
    });

    await t.test('reset and login-link e-mails to variants of one address share its bucket', async () => {
        const variants = [' bob@example.org', 'BOB@example.org', 'bob@example.org\t', 'Bob@Example.org  ',
            '\tbob@EXAMPLE.ORG'];
        const b = new Browser(s);
        for (const [i, email] of variants.entries()) {
            const page = i % 2 ? '/compte/lien-connexion' : '/compte/mot-de-passe-oublie';
            const r = await b.submit(page, { email });
            assert.equal(r.status, 200, `e-mail ${i + 1} (${JSON.stringify(email)}): ${r.status}`);
        }
        for (const page of ['/compte/mot-de-passe-oublie', '/compte/lien-connexion']) {
            const r = await b.submit(page, { email: 'bob@example.org ' });
            assert.equal(r.status, 429, `${page}: the variants counted against fresh buckets`);
        }
        /* Another address from the same client still gets its e-mail. */
        assert.equal((await b.submit('/compte/mot-de-passe-oublie', { email: 'carole@example.org' })).status, 200);
    });
});

test('«Mon compte»: a new password, with the current one; other sessions ended; mistakes said', async () => {
    const srv = srvB;
    const email = 'nouveau.mdp@exemple.fr';
    const b = await verifiedCitizen(srv, email);
    const elsewhere = new Browser(srv);
    assert.equal((await elsewhere.submit('/compte/connexion', { email, password: PASSWORD })).status, 303);
    assert.ok(await isLoggedIn(elsewhere));
    const prefs = await b.get('/compte/preferences');
    assert.match(prefs.text, /href="\/compte\/mot-de-passe\?lang=fr">Changer de mot de passe</);
    /* A wrong current password: the form again, said at the field, nothing changed. */
    const wrong = await b.submit('/compte/mot-de-passe', { current_password: 'pas le bon du tout', password: PASSWORD2, password_confirm: PASSWORD2 });
    assert.equal(wrong.status, 400);
    assert.match(unescape(wrong.text), /Le mot de passe actuel n'est pas le bon/);
    assert.match(wrong.text, /<a href="#current_password">/);
    /* Missing, too short, not confirmed: each said at once. */
    const bad = await b.submit('/compte/mot-de-passe', { current_password: '', password: 'court', password_confirm: 'autre' });
    assert.equal(bad.status, 400);
    for (const f of ['current_password', 'password', 'password_confirm']) assert.match(bad.text, new RegExp(`<a href="#${f}">`));
    assert.ok(await isLoggedIn(elsewhere), 'a refused change ends no session');
    /* The right one: saved, this browser still logged in, the other session ended. */
    const ok = await b.submit('/compte/mot-de-passe', { current_password: PASSWORD, password: PASSWORD2, password_confirm: PASSWORD2 });
    assert.equal(ok.status, 200, ok.text.slice(0, 500));
    assert.match(unescape(ok.text), /Votre nouveau mot de passe est enregistré/);
    assert.ok(await isLoggedIn(b), 'still logged in here');
    assert.equal(await isLoggedIn(elsewhere), false, 'the other session ended');
    assert.equal((await new Browser(srv).submit('/compte/connexion', { email, password: PASSWORD })).status, 400);
    assert.equal((await new Browser(srv).submit('/compte/connexion', { email, password: PASSWORD2 })).status, 303);
    /* Not logged in: to the login page. */
    const anon = await new Browser(srv).get('/compte/mot-de-passe');
    assert.equal(anon.status, 303);
    assert.match(anon.headers.get('location'), /\/compte\/connexion\?retour=/);
    /* In English. */
    const en = await b.get('/compte/mot-de-passe?lang=en');
    assert.match(en.text, /Change your password/);
});
