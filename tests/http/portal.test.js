'use strict';
/*
 * The portal's front door against a real server on the demo commune: the home page and its
 * catalogue grouped by group, the accent-insensitive procedure search, a démarche filed end to
 * end (form, CSRF, review, 303, confirmation, receipt), an incident through every step with
 * validation errors (error summary linking to the fields, values kept, «Modifier»), a wrong
 * tracking token, English pages, the information pages, and the security headers and size
 * of every page.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./harness');

/* A 1×1 PNG, to attach a real image. */
const PNG = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC',
    'base64');

function decodeEntities(s) {
    return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/* A tiny browser: keeps cookies, never follows redirects by itself. */
class Browser {
    constructor(srv, headers = {}) {
        this.srv = srv;
        this.cookies = new Map();
        this.headers = headers;
    }

    async fetch(method, p, { body, headers = {} } = {}) {
        const h = Object.assign({}, this.headers, headers);
        if (this.cookies.size) h.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
        const r = await fetch(this.srv.url + p, { method, headers: h, body, redirect: 'manual',
                                                  signal: AbortSignal.timeout(30000) });
        const setCookies = r.headers.getSetCookie();
        for (const c of setCookies) {
            const [pair] = c.split(';');
            const i = pair.indexOf('=');
            const name = pair.slice(0, i).trim();
            const value = pair.slice(i + 1).trim();
            if (/max-age=0/i.test(c) || value === '') this.cookies.delete(name);
            else this.cookies.set(name, value);
        }
        const text = await r.text();
        return { status: r.status, headers: r.headers, text, setCookies, location: r.headers.get('location') };
    }

    get(p) {
        return this.fetch('GET', p);
    }

    /* POSTs fields ([[name, value]]) urlencoded, or multipart when files are given
     * ([[name, {name, type, data}]]). */
    post(p, fields, files = []) {
        if (files.length) {
            const fd = new FormData();
            for (const [k, v] of fields) fd.append(k, v);
            for (const [k, f] of files) fd.append(k, new Blob([f.data], { type: f.type }), f.name);
            return this.fetch('POST', p, { body: fd });
        }
        return this.fetch('POST', p, {
            body: new URLSearchParams(fields).toString(),
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        });
    }
}

/* The hidden inputs of the page's procedure form, as [name, value] pairs in order. */
function hiddenFields(html) {
    const out = [];
    for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
        out.push([decodeEntities(m[1]), decodeEntities(m[2])]);
    return out;
}

/* The hidden fields with some replaced or added. */
function withFields(html, extra) {
    const fields = hiddenFields(html).filter(([k]) => !(k in extra));
    for (const [k, v] of Object.entries(extra)) {
        if (Array.isArray(v)) for (const x of v) fields.push([k, x]);
        else if (v !== null) fields.push([k, v]);
    }
    return fields;
}

function formAction(html) {
    const m = /<form method="post" action="(\/(?:demarches\/|signaler)[^"]+)"/.exec(html);
    assert.ok(m, 'no procedure form on the page');
    return decodeEntities(m[1]);
}

/* Error summary links: [{href, text}] */
function summaryLinks(html) {
    const m = /<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">([\s\S]*?)<\/div>/.exec(html);
    if (!m) return [];
    return [...m[1].matchAll(/<a href="#([^"]+)">([^<]*)<\/a>/g)].map((x) => ({ id: x[1], text: decodeEntities(x[2]) }));
}

function assertSecurityHeaders(r, what) {
    const h = r.headers;
    assert.equal(h.get('x-content-type-options'), 'nosniff', `nosniff on ${what}`);
    assert.match(h.get('content-security-policy') || '', /frame-ancestors 'none'/, `CSP on ${what}`);
    assert.match(h.get('x-frame-options') || '', /^DENY$/i, `X-Frame-Options on ${what}`);
    assert.ok(h.get('referrer-policy'), `Referrer-Policy on ${what}`);
}

/* Structural checks every page must pass: one h1, unique ids, landmarks, lang, size. */
function assertPage(r, what, lang = 'fr') {
    assertSecurityHeaders(r, what);
    assert.match(r.headers.get('content-type') || '', /^text\/html; charset=utf-8/);
    const html = r.text;
    assert.ok(Buffer.byteLength(html) < 100 * 1024, `${what}: ${Buffer.byteLength(html)} bytes`);
    assert.match(html, new RegExp(`^<!doctype html>\\n<html lang="${lang}">`), `${what}: lang`);
    assert.equal((html.match(/<h1[ >]/g) || []).length, 1, `${what}: one h1`);
    assert.match(html, /<a class="skip-link" href="#contenu">/, `${what}: skip link`);
    assert.match(html, /<main id="contenu" tabindex="-1">/, `${what}: main`);
    assert.match(html, /<header class="site-header" role="banner">/, `${what}: banner`);
    assert.match(html, /<footer class="site-footer" role="contentinfo">/, `${what}: contentinfo`);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepEqual(dup, [], `${what}: duplicate ids`);
    for (const m of html.matchAll(/aria-describedby="([^"]+)"/g))
        for (const id of m[1].split(' ')) assert.ok(ids.includes(id), `${what}: aria-describedby ${id} points nowhere`);
    for (const m of html.matchAll(/<label for="([^"]+)"/g)) assert.ok(ids.includes(m[1]), `${what}: label for ${m[1]}`);
    for (const l of summaryLinks(html)) assert.ok(ids.includes(l.id), `${what}: summary link #${l.id}`);
    /* «Les champs marqués (obligatoire)…» exactly where a field is marked so. */
    const marked = /\(obligatoire\)<\/(label|legend)>/.test(html);
    const notice = /Les champs marqués \(obligatoire\) doivent être remplis\./.test(html);
    if (lang === 'fr') assert.equal(notice, marked, `${what}: the «(obligatoire)» notice ${notice ? 'without' : 'missing beside'} a required field`);
}

test('portal: home, search, démarche, incident, confirmation, receipt, pages', async (t) => {
    const srv = await startServer({ requests: 20 });
    t.after(() => srv.stop());

    await t.test('home lists the demo catalogue grouped, incident reports first', async () => {
        const b = new Browser(srv);
        const r = await b.get('/');
        assert.equal(r.status, 200);
        assertPage(r, 'home');
        /* Each group's heading: its icon (decorative) and its name. */
        const groups = [...r.text.matchAll(/<h3 id="groupe-[^"]+" class="with-icon"><svg class="icon" aria-hidden="true"[^>]*><use href="\/static\/vendor\/icons\.svg#[a-z0-9-]+"><\/use><\/svg>([^<]+)<\/h3>/g)].map((m) => decodeEntities(m[1]));
        assert.equal(groups[0], 'Signaler un problème');
        for (const g of ['État civil', 'École et enfance', 'Associations', 'Vie quotidienne'])
            assert.ok(groups.includes(g), `group ${g} in ${groups}`);
        assert.equal(new Set(groups).size, groups.length, 'each group once');
        assert.match(r.text, /<a class="card__link" href="\/demarches\/nid-de-poule">Nid de poule<\/a>/);
        assert.match(r.text, /<a class="card__link" href="\/demarches\/acte-etat-civil">/);
        assert.match(r.text, /<title>Accueil – Ville de Démo<\/title>/);
        assert.match(r.text, /href="\/accessibilite"/);
        assert.match(r.text, /href="\/mentions-legales"/);
        assert.match(r.text, /Se connecter/);
        /* The same bytes for every anonymous visitor: no cookie, so it can be cached. */
        assert.deepEqual(r.setCookies, []);
        const again = await new Browser(srv).get('/');
        assert.equal(again.text, r.text);
    });

    await t.test('search is accent- and case-insensitive', async () => {
        for (const q of ['éclairage', 'eclairage', 'ECLAIRAGE', 'Éclairage   public', 'lampadaire']) {
            const r = await new Browser(srv).get(`/?q=${encodeURIComponent(q)}`);
            assert.equal(r.status, 200, q);
            assertPage(r, `search ${q}`);
            assert.match(r.text, /<a class="card__link" href="\/demarches\/eclairage-panne">Éclairage public en panne<\/a>/, q);
            assert.doesNotMatch(r.text, /\/demarches\/nid-de-poule"/, q);
            assert.match(r.text, /<p role="status">1 démarche correspond à votre recherche\.<\/p>/, q);
            assert.match(r.text, new RegExp(`value="${q.replace(/\s+/g, '\\s+')}"`), 'query kept');
        }
        const naissance = await new Browser(srv).get('/?q=acte%20naissance');
        assert.match(naissance.text, /\/demarches\/acte-etat-civil"/);
        const none = await new Browser(srv).get('/?q=zzzzqqq');
        assert.equal(none.status, 200);
        assert.match(none.text, /Aucune démarche ne correspond/);
        assert.doesNotMatch(none.text, /class="card"><h4/);
    });

    await t.test('the colour sheet is themed from the tenant and strict', async () => {
        const r = await new Browser(srv).get('/theme.css');
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type'), /^text\/css/);
        assert.match(r.text, /--brand: #[0-9a-f]{6};/);
        const css = await new Browser(srv).get('/static/css/guichet.css');
        assert.equal(css.status, 200);
        for (const c of ['container', 'btn--secondary', 'btn--link', 'field--error', 'error-summary',
                         'notice--success', 'badge--amber', 'badge--grey', 'steps', 'timeline',
                         'skip-link', 'lang-switch', 'visually-hidden', 'site-header', 'site-footer', 'map'])
            assert.match(css.text, new RegExp(`\\.${c}\\b`), `.${c} in guichet.css`);
        assert.match(css.text, /@media print/);
    });

    let filed; /* {reference, token} of the démarche */

    await t.test('a démarche filed end to end', async () => {
        const b = new Browser(srv);
        let r = await b.get('/demarches/acte-etat-civil');
        assert.equal(r.status, 200);
        assertPage(r, 'démarche form');
        assert.ok(b.cookies.has('guichet_csrf'), 'CSRF cookie set with the form');
        assert.match(r.text, /<ol class="steps"/);
        assert.match(r.text, /<li aria-current="step">Votre demande<\/li>/);
        assert.match(r.text, /<legend>Type d&#39;acte \(obligatoire\)<\/legend>/);
        assert.match(r.text, /<input type="radio" id="attr-type_acte-0" name="attribute\[type_acte\]" value="naissance" required>/);
        /* A date of the act is a day, not a date and time. */
        assert.match(r.text, /<input type="date" id="attr-date_acte" name="attribute\[date_acte\]" value="" required aria-describedby="attr-date_acte-hint">/);
        assert.match(r.text, /<input type="text" id="attr-nombre_exemplaires" name="attribute\[nombre_exemplaires\]" value="" inputmode="decimal" class="input--short" required>/);
        assert.match(r.text, /<div class="notice notice--info"><p>L&#39;acte est envoyé gratuitement/);
        assert.match(r.text, /<input type="email" id="email" name="email" value="" autocomplete="email"/);
        assert.match(r.text, /<input type="radio" id="notify-1" name="notify" value="sms">/);
        const action = formAction(r.text);
        assert.equal(action, '/demarches/acte-etat-civil?lang=fr');

        /* Without the CSRF token: refused. */
        const noCsrf = await b.post(action, [['step', 'form'], ['attribute[type_acte]', 'naissance']]);
        assert.equal(noCsrf.status, 403);
        assertSecurityHeaders(noCsrf, '403');

        /* Missing required answers and no contact: the errors, linked, values kept. */
        r = await b.post(action, withFields(r.text, {
            'attribute[type_acte]': 'naissance',
            'attribute[nom_acte]': 'Martin <Jeanne>',
            'attribute[date_acte]': '31/02/1990',
            'attribute[nombre_exemplaires]': 'deux',
        }));
        assert.equal(r.status, 400);
        assertPage(r, 'démarche with errors');
        assert.match(r.text, /<title>Erreur : Étape 1 sur 2 : Votre demande – Demande d&#39;acte d&#39;état civil – Ville de Démo<\/title>/);
        const links = summaryLinks(r.text);
        const ids = links.map((l) => l.id);
        assert.deepEqual(ids, ['attr-format_acte-0', 'attr-date_acte', 'attr-nombre_exemplaires', 'email']);
        assert.match(links[0].text, /Choisissez une réponse pour « Document souhaité »/);
        /* Typed the French way, but a day that does not exist: said so, the value kept. */
        assert.equal(links[1].text, '« Date de l\'acte » doit être une date qui existe, jour, mois et année, par exemple 05/12/2026.');
        assert.match(r.text, /value="31\/02\/1990"/);
        assert.match(links[2].text, /doit être un nombre/);
        assert.match(links[3].text, /adresse e-mail ou un numéro de téléphone/);
        assert.match(r.text, /<p class="field-error" id="attr-nombre_exemplaires-error"><span class="visually-hidden">Erreur :<\/span> /);
        assert.match(r.text, /aria-describedby="attr-nombre_exemplaires-error" aria-invalid="true"/);
        assert.match(r.text, /value="Martin &lt;Jeanne&gt;"/, 'value kept, escaped');
        assert.match(r.text, /value="deux"/);
        assert.match(r.text, /id="attr-type_acte-0" name="attribute\[type_acte\]" value="naissance" checked required/);

        /* Corrected: the review page. */
        r = await b.post(action, withFields(r.text, {
            step: 'form',
            'attribute[type_acte]': 'naissance',
            'attribute[format_acte]': 'copie-integrale',
            'attribute[nom_acte]': 'Martin Jeanne',
            'attribute[date_acte]': '05/12/1990',
            'attribute[nombre_exemplaires]': '2',
            description: 'Pour un dossier de passeport.',
            first_name: 'Jeanne',
            last_name: 'Martin',
            email: 'jeanne.martin@example.org',
            notify: 'email',
        }));
        assert.equal(r.status, 200, r.text.slice(0, 2000));
        assertPage(r, 'démarche review');
        assert.match(r.text, /<li aria-current="step">Vérification<\/li>/);
        assert.match(r.text, /<form method="post" action="\/demarches\/acte-etat-civil\?lang=fr" enctype="multipart\/form-data" novalidate>/);
        assert.match(r.text, /<dt>Type d&#39;acte<\/dt><dd>Acte de naissance<\/dd>/);
        assert.match(r.text, /<dt>Date de l&#39;acte<\/dt><dd>5 décembre 1990<\/dd>/, 'the typed date as it was read');
        assert.match(r.text, /<dt>Adresse e-mail<\/dt><dd>jeanne.martin@example.org<\/dd>/);
        assert.match(r.text, /<dt>Motif de la demande<\/dt><dd>Non renseigné<\/dd>/);
        assert.match(r.text, /name="goto" value="form" formnovalidate>Modifier/);
        assert.match(r.text, /<input type="file" id="files" name="files" multiple accept="image\/\*,application\/pdf"/);

        /* «Modifier» goes back with the answers kept. */
        const back = await b.post(action, withFields(r.text, { goto: 'form' }));
        assert.equal(back.status, 200);
        assert.match(back.text, /value="Martin Jeanne"/);
        assert.match(back.text, /value="05\/12\/1990"/);

        /* Sent (multipart, no file): 303 to the confirmation. */
        const sent = await b.post(action, withFields(r.text, {}), [['files', { name: '', type: 'application/octet-stream', data: Buffer.alloc(0) }]]);
        assert.equal(sent.status, 303, sent.text.slice(0, 2000));
        const m = /^\/confirmation\/(\d{4}-\d{6})\?jeton=([A-Za-z0-9_-]+)&code=[2-9A-Z]{8}$/.exec(sent.location);
        assert.ok(m, `Location: ${sent.location}`);
        filed = { reference: m[1], token: m[2] };

        const conf = await b.get(sent.location);
        assert.equal(conf.status, 200);
        assertPage(conf, 'confirmation');
        assert.match(conf.text, new RegExp(`<strong class="reference">${filed.reference}</strong>`));
        assert.match(conf.text, /L&#39;acte vous sera envoyé par courrier/);
        assert.match(conf.text, /Délai de traitement prévu : une réponse vers le <strong>\d{1,2}(er)? [a-zéû]+ \d{4}<\/strong>/);
        assert.match(conf.text, new RegExp(`href="/suivi/${filed.reference}\\?jeton=${filed.token}"`));
        assert.match(conf.text, new RegExp(`href="/recu/${filed.reference}\\?jeton=${filed.token}&amp;code=[2-9A-Z]{8}"`));
        assert.match(conf.text, /href="\/compte\/inscription">Créer un compte/);
        assert.match(conf.text, /jeanne\.martin@example\.org/);
        assert.equal(conf.headers.get('cache-control'), 'no-store');

        const row = srv.sql(`SELECT channel, email, notify, attributes FROM requests WHERE reference = '${filed.reference}';`);
        assert.match(row, /^web\|jeanne\.martin@example\.org\|email\|/);
        assert.match(row, /"date_acte":"1990-12-05"/, 'the French date stored as a day, YYYY-MM-DD');
        assert.match(row, /"nombre_exemplaires":"2"/);

        const rec = await b.get(`/recu/${filed.reference}?jeton=${filed.token}`);
        assert.equal(rec.status, 200);
        assertPage(rec, 'receipt');
        assert.match(rec.text, /<dt>Numéro de demande<\/dt><dd>\d{4}-\d{6}<\/dd>/);
        assert.match(rec.text, /<dt>Démarche<\/dt><dd>Demande d&#39;acte d&#39;état civil<\/dd>/);
        assert.match(rec.text, /<dt>Date de l&#39;acte<\/dt><dd>5 décembre 1990<\/dd>/, 'a day, no time');
        assert.match(rec.text, /<dt>Document souhaité<\/dt><dd>Copie intégrale<\/dd>/);
        assert.match(rec.text, /Mairie de Ville de Démo, 1 place de la Mairie/);
        assert.match(rec.text, /badge badge--blue" data-status="new"/);

        /* The tracking page writes the day in words, without a time. */
        const track = await b.get(`/suivi/${filed.reference}?jeton=${filed.token}`);
        assert.equal(track.status, 200);
        assert.match(track.text, /<dt>Date de l&#39;acte<\/dt>\s*<dd>(<p>)?5 décembre 1990(<\/p>)?<\/dd>/);
        const english = await b.get(`/suivi/${filed.reference}?jeton=${filed.token}&lang=en`);
        assert.match(english.text, /5 December 1990/);
        assert.doesNotMatch(english.text, /1990-12-05/);
    });

    await t.test('a wrong or missing token gives 404', async () => {
        assert.ok(filed, 'needs the démarche filed above');
        const b = new Browser(srv);
        for (const p of [`/confirmation/${filed.reference}?jeton=${filed.token}x`,
                         `/confirmation/${filed.reference}`,
                         `/recu/${filed.reference}?jeton=AAAA`,
                         `/confirmation/1999-000001?jeton=${filed.token}`]) {
            const r = await b.get(p);
            assert.equal(r.status, 404, p);
            assertSecurityHeaders(r, p);
            assert.doesNotMatch(r.text, /class="reference"|jeanne|Copie intégrale/i, `${p} shows nothing of the request`);
        }
        const ok = await b.get(`/recu/${filed.reference}?jeton=${filed.token}&lang=en`);
        assert.equal(ok.status, 200);
        assertPage(ok, 'receipt in English', 'en');
        assert.match(ok.text, /Summary of your request/);
        assert.match(ok.text, new RegExp(`href="/recu/${filed.reference}\\?jeton=${filed.token}&amp;lang=fr" hreflang="fr" lang="fr">Français</a>`));
    });

    await t.test('an incident through every step, with errors', async () => {
        const b = new Browser(srv);
        let r = await b.get('/demarches/nid-de-poule');
        assert.equal(r.status, 200);
        assertPage(r, 'incident location');
        assert.match(r.text, /<li aria-current="step">Lieu<\/li>/);
        assert.match(r.text, /<h2 id="etape" tabindex="-1">Étape 1 sur 3 : Lieu<\/h2>/);
        assert.match(r.text, /<div class="map" id="map" hidden data-tiles="[^"]*"/);
        assert.match(r.text, /<link rel="stylesheet" href="\/static\/vendor\/leaflet\/leaflet.css">/);
        assert.match(r.text, /<script src="\/static\/js\/map.js"><\/script>/);
        /* The position travels hidden: no degrees to type. */
        assert.match(r.text, /<input type="hidden" id="lat" name="lat" value="">/);
        assert.doesNotMatch(r.text, /Latitude|inputmode="decimal"/);
        assert.match(r.text, /<button type="button" class="btn btn--secondary" data-geolocate hidden>Me localiser<\/button>/);
        /* Begun from the category's page: the report carries it. */
        const action = formAction(r.text);
        assert.equal(action, '/signaler?categorie=nid-de-poule&lang=fr');

        /* Neither address nor position. */
        r = await b.post(action, withFields(r.text, { address: '   ' }));
        assert.equal(r.status, 400);
        assertPage(r, 'location error');
        assert.deepEqual(summaryLinks(r.text).map((l) => l.id), ['address']);
        assert.match(r.text, /Indiquez l’adresse ou le lieu du problème\./);
        /* A position out of range (a forged one): the place is asked again, by its address. */
        r = await b.post(action, withFields(r.text, { address: '', lat: '123', long: '' }));
        assert.equal(r.status, 400);
        assert.deepEqual(summaryLinks(r.text).map((l) => l.id), ['address']);
        assert.match(r.text, /La position reçue n’est pas valide/);

        r = await b.post(action, withFields(r.text, { address: '12 rue Victor Hugo', lat: '45,7641', long: '4.8357' }));
        assert.equal(r.status, 200);
        assertPage(r, 'incident problem');
        assert.match(r.text, /<h2 id="etape" tabindex="-1">Étape 2 sur 3 : Le problème<\/h2>/);
        assert.match(r.text, /<li class="steps__done">Lieu<span class="visually-hidden"> \(terminée\)<\/span><\/li>/);
        assert.match(r.text, /<input type="hidden" name="address" value="12 rue Victor Hugo">/);
        assert.match(r.text, /enctype="multipart\/form-data"/);
        /* The photo is asked first, then the words, then the category (the one begun from
         * already chosen). */
        const photoAt = r.text.indexOf('id="files"'), textAt = r.text.indexOf('id="description"');
        const categoryAt = r.text.indexOf('name="categorie"');
        assert.ok(photoAt > 0 && photoAt < textAt && textAt < categoryAt, 'photo, words, category');
        assert.match(r.text, /value="nid-de-poule" data-keywords="[^"]*trou[^"]*" checked/);
        assert.match(r.text, /name="goto" value="location" formnovalidate>Étape précédente/);

        /* No description: the photo sent with it is kept all the same. */
        r = await b.post(action, withFields(r.text, { description: '  ', categorie: 'nid-de-poule' }),
                         [['files', { name: 'trou.png', type: 'image/png', data: PNG }]]);
        assert.equal(r.status, 400);
        assertPage(r, 'problem errors');
        assert.deepEqual(summaryLinks(r.text).map((l) => l.id), ['description']);
        assert.match(r.text, /<span>trou\.jpg, /);

        r = await b.post(action, withFields(r.text, {
            description: 'Trou profond devant le 12.\nDangereux pour les vélos.', categorie: 'nid-de-poule',
        }));
        assert.equal(r.status, 200);
        assertPage(r, 'incident details and sending');
        assert.match(r.text, /<h2 id="etape" tabindex="-1">Étape 3 sur 3 : Précisions et envoi<\/h2>/);
        assert.match(r.text, /<div class="notice notice--info"><p>En cas de danger immédiat/);
        assert.match(r.text, /<dt>Adresse ou lieu<\/dt><dd>12 rue Victor Hugo<\/dd>/);
        assert.match(r.text, /<dt>Catégorie du problème<\/dt><dd>Nid de poule<\/dd>/);
        assert.match(r.text, /<dt>Pièces jointes<\/dt><dd>trou\.jpg<\/dd>/);
        assert.match(r.text, />Envoyer mon signalement<\/button>/);
        for (const code of ['location', 'what'])
            assert.match(r.text, new RegExp(`name="goto" value="${code}"`));

        /* A required attribute missing, a bad date, a bad e-mail and SMS without a phone. */
        r = await b.post(action, withFields(r.text, {
            'attribute[date_constat]': '31/02/2026 10:00', email: 'pas-une-adresse', notify: 'sms',
        }));
        assert.equal(r.status, 400);
        assertPage(r, 'details errors');
        const links = summaryLinks(r.text);
        assert.deepEqual(links.map((l) => l.id), ['attr-taille-0', 'attr-date_constat', 'email', 'notify-0']);
        assert.match(links[0].text, /« Taille du nid de poule »/);
        assert.match(r.text, /<fieldset aria-describedby="attr-taille-hint attr-taille-error">/);
        assert.match(r.text, /<input type="hidden" name="description" value="Trou profond devant le 12.\r?\nDangereux pour les vélos.">/);
        assert.match(r.text, /<input type="hidden" name="lat" value="45,7641">/);

        const sent = await b.post(action, withFields(r.text, {
            'attribute[taille]': 'grand',
            'attribute[date_constat]': '2026-11-28T21:15',
            email: 'paul@example.org', phone: '06 12 34 56 78', notify: 'sms',
        }));
        assert.equal(sent.status, 303, sent.text.slice(0, 3000));
        const m = /^\/confirmation\/(\d{4}-\d{6})\?jeton=([A-Za-z0-9_-]+)&code=[2-9A-Z]{8}$/.exec(sent.location);
        assert.ok(m, sent.location);
        const row = srv.sql(`SELECT channel, address, round(lat, 4), round(lon, 4), notify, phone, attributes FROM requests WHERE reference = '${m[1]}';`);
        assert.match(row, /^web\|12 rue Victor Hugo\|45\.7641\|4\.8357\|sms\|\+33612345678\|/);
        assert.match(row, /"date_constat":"2026-11-28T21:15:00\+01:00"/, 'winter offset');
        assert.match(row, /"taille":"grand"/);
        const n = srv.sql(`SELECT count(*) FROM attachments a JOIN requests r ON r.id = a.request_id WHERE r.reference = '${m[1]}';`);
        assert.equal(n.trim(), '1');
        const conf = await b.get(sent.location);
        assert.equal(conf.status, 200);
        assert.match(conf.text, new RegExp(`<strong class="reference">${m[1]}</strong>`));
    });

    await t.test('«Signaler un problème»: the category proposed from the words, then changed', async () => {
        const b = new Browser(srv);
        let r = await b.get('/signaler');
        assert.equal(r.status, 200);
        assertPage(r, 'report location');
        assert.match(r.text, /<h1>Signaler un problème<\/h1>/);
        const action = formAction(r.text);
        assert.equal(action, '/signaler?lang=fr');
        r = await b.post(action, withFields(r.text, { address: 'Place de la Mairie' }));
        assert.equal(r.status, 200);
        /* No category chosen yet, none begun from: nothing checked. */
        assert.doesNotMatch(r.text, /name="categorie" value="[^"]*" data-keywords="[^"]*" checked/);
        /* Sent without a category: the words propose one, which the citizen confirms. */
        r = await b.post(action, withFields(r.text, { description: 'Le lampadaire reste éteint toute la nuit.' }));
        assert.equal(r.status, 400);
        assert.deepEqual(summaryLinks(r.text).map((l) => l.id), ['categorie-0']);
        assert.match(r.text, /Nous vous proposons « Éclairage public en panne » d’après ce que vous avez écrit/);
        assert.match(r.text, /value="eclairage-panne" data-keywords="[^"]*" checked/);
        /* Words that point nowhere: no proposal, a plain request to choose. */
        const none = await b.post(action, withFields(r.text, { description: 'Quelque chose ne va pas.', categorie: null }));
        assert.equal(none.status, 400);
        assert.match(none.text, /Choisissez la catégorie du problème\./);
        assert.doesNotMatch(none.text, /Nous vous proposons/);
        /* A category that does not exist is refused by name. */
        const said = 'Le lampadaire reste éteint toute la nuit.';
        const bad = await b.post(action, withFields(r.text, { description: said, categorie: 'pas-une-categorie' }));
        assert.equal(bad.status, 400);
        assert.match(bad.text, /Cette catégorie n’existe plus/);
        /* Confirmed: its own questions come next. */
        r = await b.post(action, withFields(r.text, { description: said, categorie: 'eclairage-panne' }));
        assert.equal(r.status, 200);
        assert.match(r.text, /Nombre de lampadaires concernés/);
        /* Back to change it: the questions follow the new category, the old answers go. */
        r = await b.post(action, withFields(r.text, { 'attribute[nombre_lampadaires]': '2', goto: 'what' }));
        assert.equal(r.status, 200);
        assert.match(r.text, /<input type="hidden" name="attribute\[nombre_lampadaires\]" value="2">/);
        r = await b.post(action, withFields(r.text, { description: said, categorie: 'mobilier-urbain', goto: null }));
        assert.equal(r.status, 200);
        assert.doesNotMatch(r.text, /Nombre de lampadaires concernés|attribute\[nombre_lampadaires\]/);
        assert.match(r.text, /<dt>Catégorie du problème<\/dt><dd>Mobilier urbain dégradé<\/dd>/);
    });

    await t.test('English pages say lang="en"', async () => {
        const b = new Browser(srv);
        const home = await b.get('/?lang=en');
        assert.equal(home.status, 200);
        assertPage(home, 'home in English', 'en');
        assert.match(home.text, /<h2 id="demarches-title">All services<\/h2>/);
        assert.match(home.text, /<a class="lang-switch" href="\/\?lang=fr" hreflang="fr" lang="fr">Français<\/a>/);
        assert.match(home.text, /<a class="card__link" href="\/demarches\/nid-de-poule\?lang=en">/);
        const form = await b.get('/demarches/nid-de-poule?lang=en');
        assert.equal(form.status, 200);
        assertPage(form, 'form in English', 'en');
        assert.match(form.text, /<h2 id="etape" tabindex="-1">Step 1 of 3: Place<\/h2>/);
        assert.match(form.text, /action="\/signaler\?categorie=nid-de-poule&amp;lang=en"/);
        const err = await b.post('/signaler?categorie=nid-de-poule&lang=en', withFields(form.text, {}));
        assert.equal(err.status, 400);
        assertPage(err, 'errors in English', 'en');
        assert.match(err.text, /<h2 id="error-summary-title">There is a problem with your answers<\/h2>/);
        assert.match(err.text, /Give the address or the place of the problem\./);
        const byHeader = await new Browser(srv, { 'Accept-Language': 'en-GB,en;q=0.8' }).get('/accessibilite');
        assertPage(byHeader, 'accessibility in English', 'en');
    });

    await t.test('accessibility statement and legal notices', async () => {
        const b = new Browser(srv);
        const a11y = await b.get('/accessibilite');
        assert.equal(a11y.status, 200);
        assertPage(a11y, 'accessibilite');
        assert.match(a11y.text, /<h1>Déclaration d&#39;accessibilité<\/h1>/);
        assert.match(a11y.text, /partiellement conforme/);
        assert.match(a11y.text, /axe-core/);
        assert.match(a11y.text, /Défenseur des droits/);
        assert.match(a11y.text, /contact@ville-demo\.test/);
        const legal = await b.get('/mentions-legales');
        assert.equal(legal.status, 200);
        assertPage(legal, 'mentions-legales');
        assert.match(legal.text, /RGPD/);
        assert.match(legal.text, /CNIL/);
        assert.match(legal.text, /<strong>Ville de Démo<\/strong>/);
        assert.match(legal.text, /contact@ville-demo\.test/);
    });

    await t.test('unknown procedures are 404 pages', async () => {
        const r = await new Browser(srv).get('/demarches/pas-une-demarche');
        assert.equal(r.status, 404);
        assertSecurityHeaders(r, '404');
        assert.match(r.text, /<html lang="fr">/);
    });
});
