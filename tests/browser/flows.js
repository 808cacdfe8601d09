'use strict';
/*
 * flows — what a citizen does on the portal, as steps the browser tests share: filling a
 * procedure's form (any step of it) with plausible values, going through a multi-step
 * démarche to its confirmation, signing up (the verification link read from the outbox) and
 * logging in. Fields are found by what the page shows (type, name, label), not by a fixed
 * list, so that a procedure's generated form is filled whatever its attributes are.
 *
 * Each helper takes a Playwright page; `how` chooses the way the citizen acts:
 * 'mouse' (fill and click) or 'keyboard' (Tab, typing, Space and Enter only).
 */

const assert = require('node:assert/strict');
const B = require('./browser');

const PASSWORD = 'Un mot de passe solide, 2026 !';
const DESCRIPTION = 'Un nid de poule profond d\'environ 10 cm devant le numéro 12, dangereux pour les vélos.';

/* The main form of the page: the POST form inside <main> with the most fields (the header
 * holds the logout form). */
async function mainForm(page) {
    const forms = page.locator('main form');
    const n = await forms.count();
    assert.ok(n > 0, `no form in <main> on ${page.url()}`);
    let best = 0;
    let bestCount = -1;
    for (let i = 0; i < n; i++) {
        const c = await forms.nth(i).locator('input:not([type=hidden]), select, textarea').count();
        if (c > bestCount) {
            best = i;
            bestCount = c;
        }
    }
    return forms.nth(best);
}

/* A value for one field from its type, name, id and label. */
function sampleFor(f, ctx) {
    const key = `${f.name} ${f.id} ${f.label}`.toLowerCase();
    const y = new Date(Date.now() - 24 * 3600 * 1000);
    const ymd = y.toISOString().slice(0, 10);
    if (f.type === 'email' || /courriel|e-mail|email|mail/.test(key)) return ctx.email;
    if (f.type === 'password') return PASSWORD;
    if (/\blat|latitude/.test(key)) return '45.7652';
    if (/\blon|\blng|longitude/.test(key)) return '4.8361';
    if (f.type === 'tel' || /t[ée]l[ée]phone|phone|\btel\b/.test(key)) return '06 12 34 56 78';
    if (/adresse|address|\blieu\b|location|localisation|emplacement/.test(key) && f.tag !== 'textarea')
        return '12 rue Victor Hugo';
    if (/r[ée]f[ée]rence|reference/.test(key)) return ctx.reference || '';
    if (/jeton|token|code de suivi|tracking/.test(key)) return ctx.token || '';
    if (f.type === 'date') return ymd;
    if (f.type === 'datetime-local') return `${ymd}T10:00`;
    if (f.type === 'time') return '10:00';
    if (f.type === 'number' || /numeric|decimal/.test(f.inputmode) || /nombre|number|combien|quantit/.test(key)) return '3';
    if (/pr[ée]nom|first|given/.test(key)) return 'Camille';
    if (/\bnom\b|name|family/.test(key)) return 'Martin';
    if (/q\b|search|recherche/.test(key) && f.type === 'search') return 'trou';
    if (f.tag === 'textarea' || /description|message|texte|text|commentaire/.test(key)) return ctx.text || DESCRIPTION;
    if (f.type === 'datetime' || /date/.test(key)) return `${ymd}T10:00:00+02:00`;
    return 'Valeur de test';
}

/* Describes every visible, enabled field of a form: [{index, tag, type, name, id, label,
 * value, checked, required, options}], in document order. */
async function describeFields(form) {
    return form.evaluate((el) => {
        const out = [];
        const all = el.querySelectorAll('input, select, textarea');
        all.forEach((f, index) => {
            const type = (f.getAttribute('type') || (f.tagName === 'INPUT' ? 'text' : '')).toLowerCase();
            if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) return;
            if (f.disabled) return;
            const st = getComputedStyle(f);
            if (type !== 'file' && (st.display === 'none' || st.visibility === 'hidden')) return;
            let label = '';
            if (f.labels && f.labels.length) label = Array.from(f.labels).map((l) => l.textContent).join(' ');
            const fs = f.closest('fieldset');
            const legend = fs && fs.querySelector('legend') ? fs.querySelector('legend').textContent : '';
            out.push({
                index,
                tag: f.tagName.toLowerCase(),
                type,
                name: f.getAttribute('name') || '',
                id: f.id || '',
                label: `${label} ${legend}`.replace(/\s+/g, ' ').trim(),
                value: f.value,
                inputmode: f.getAttribute('inputmode') || '',
                checked: f.checked,
                required: f.required || f.getAttribute('aria-required') === 'true',
                options: f.tagName === 'SELECT' ? Array.from(f.options).map((o) => o.value) : null,
            });
        });
        return out;
    });
}

/*
 * fillForm(page, ctx): fills every empty field of the main form with a plausible value
 * (ctx: {email, reference, token, text, photo, skip: RegExp of names left alone, only:
 * RegExp of names to fill, choose: {name: value} for radio groups and selects}). Radio groups get their first choice when none is chosen,
 * selects their first non-empty option, required or consent checkboxes are ticked, file
 * inputs get ctx.photo when given. Returns the list of what it filled.
 */
async function fillForm(page, ctx = {}) {
    const form = await mainForm(page);
    const fields = await describeFields(form);
    const filled = [];
    const radioGroups = new Set();
    const all = form.locator('input, select, textarea');
    for (const f of fields) {
        if (ctx.skip && ctx.skip.test(f.name)) continue;
        if (ctx.only && !ctx.only.test(f.name)) continue;
        const loc = all.nth(f.index);
        /* What a person cannot see they cannot fill: a question a condition hides until the
         * step is sent again (without JavaScript), or until its answer is given (with). */
        if (f.type !== 'hidden' && !(await loc.isVisible())) continue;
        if (f.type === 'file') {
            if (ctx.photo && !filled.some((x) => x.type === 'file')) {
                await loc.setInputFiles({ name: ctx.photo.name, mimeType: ctx.photo.mimeType, buffer: ctx.photo.buffer });
                filled.push(f);
            }
            continue;
        }
        if (f.type === 'radio') {
            const want = ctx.choose && ctx.choose[f.name];
            if (want !== undefined) {
                if (f.value === want && !f.checked) {
                    await loc.check();
                    filled.push(f);
                }
                continue;
            }
            if (radioGroups.has(f.name)) continue;
            radioGroups.add(f.name);
            const anyChecked = fields.some((g) => g.type === 'radio' && g.name === f.name && g.checked);
            if (!anyChecked) {
                await loc.check();
                filled.push(f);
            }
            continue;
        }
        if (f.type === 'checkbox') {
            const key = `${f.name} ${f.label}`.toLowerCase();
            /* A multi-value list: tick the first box of the group when it is required. */
            const first = fields.find((g) => g.type === 'checkbox' && g.name === f.name) === f;
            if (!f.checked && (f.required || /consent|accept|cgu|rgpd|j'accepte|i agree/.test(key) ||
                               (first && /attribute/.test(f.name) && ctx.allCheckboxGroups))) {
                await loc.check();
                filled.push(f);
            }
            continue;
        }
        if (f.tag === 'select') {
            const want = ctx.choose && ctx.choose[f.name];
            if (want !== undefined && f.value !== want) {
                await loc.selectOption(want);
                filled.push(f);
                continue;
            }
            if (!f.value) {
                const v = f.options.find((o) => o !== '');
                if (v !== undefined) {
                    await loc.selectOption(v);
                    filled.push(f);
                }
            }
            continue;
        }
        if (f.value) continue;
        const v = sampleFor(f, ctx);
        if (v === '') continue;
        await loc.fill(v);
        filled.push(Object.assign({}, f, { value: v }));
    }
    return filled;
}

/* The button that moves a form forward (Continuer, Envoyer…), not "Précédent"/"Modifier". */
async function forwardButton(page) {
    const form = await mainForm(page);
    /* Not the form's hidden default button (partials/default_submit): a visitor never sees it. */
    const buttons = form.locator('button[type=submit]:not([aria-hidden=true]), button:not([type]), input[type=submit]');
    const n = await buttons.count();
    assert.ok(n > 0, `no submit button in the form on ${page.url()}`);
    let fallback = null;
    for (let i = 0; i < n; i++) {
        const b = buttons.nth(i);
        const t = ((await b.textContent()) || (await b.getAttribute('value')) || '').trim();
        if (/pr[ée]c[ée]dent|retour|modifier|previous|back|edit|change/i.test(t)) continue;
        if (/continuer|suivant|envoyer|valider|confirmer|d[ée]poser|transmettre|continue|next|send|submit|confirm/i.test(t)) return b;
        if (!fallback) fallback = b;
    }
    return fallback || buttons.last();
}

/* Submits the main form forward with a click and waits for the next page. */
async function submitForward(page) {
    const b = await forwardButton(page);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), b.click()]);
}

/* The error summary when the page shows one (null otherwise): {text, links: [href]}. */
async function errorSummary(page) {
    const loc = page.locator('.error-summary, [data-error-summary], [role=alert]:has(a[href^="#"])').first();
    if (!(await loc.count())) return null;
    return {
        locator: loc,
        text: (await loc.innerText()).trim(),
        links: await loc.locator('a[href^="#"]').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
    };
}

/*
 * fileDemarche(page, srv, code, ctx): from the procedure's page to its confirmation, filling
 * each step (location, description, contact…) and going past the review step. ctx as in
 * fillForm, plus anonymous: true to leave contact fields empty (and no notification). Returns {reference, token,
 * url, steps: [url of each step]}. A step that answers with an error summary fails with it.
 */
async function fileDemarche(page, srv, code, ctx = {}) {
    await B.goto(page, `${srv.url}/demarches/${code}`);
    const steps = [];
    for (let i = 0; i < 12; i++) {
        if (/\/confirmation\//.test(page.url())) break;
        steps.push(page.url());
        const c = Object.assign({}, ctx);
        if (ctx.anonymous) {
            c.skip = /mail|courriel|phone|tel|nom|name|prenom|first/i;
            c.choose = Object.assign({ notify: 'none' }, ctx.choose || {});
        }
        await fillForm(page, c);
        await submitForward(page);
        const err = await errorSummary(page);
        assert.equal(err, null, `step ${i + 1} of ${code} answered errors:\n${err && err.text}\n(at ${page.url()})`);
    }
    return confirmationOf(page);
}

/* Reads the reference and the token from the confirmation page (its URL and its tracking
 * link). */
async function confirmationOf(page) {
    const m = /\/confirmation\/([^/?#]+)\?(?:.*&)?jeton=([^&#]+)/.exec(page.url());
    assert.ok(m, `not on a confirmation page: ${page.url()}`);
    const reference = decodeURIComponent(m[1]);
    const token = decodeURIComponent(m[2]);
    const body = await page.locator('main').innerText();
    assert.ok(body.includes(reference), `the confirmation does not show the reference ${reference}`);
    return { reference, token, url: page.url() };
}

/* Signs up with email (and PASSWORD), follows the verification link from the outbox and
 * presses the button of its page (the link's GET spends nothing); the browser is logged in
 * afterwards (logging in when the verification does not). */
async function signUp(page, srv, email) {
    await B.goto(page, `${srv.url}/compte/inscription`);
    await fillForm(page, { email });
    await submitForward(page);
    const err = await errorSummary(page);
    assert.equal(err, null, `sign-up answered errors: ${err && err.text}`);
    const mail = await waitMail(srv, email);
    const link = B.linkFromMail(srv, mail, '/compte/verifier');
    await B.goto(page, link);
    await submitForward(page);
    if (!(await isLoggedIn(page))) await logIn(page, srv, email);
    return { email };
}

/* Logs in with email + PASSWORD through /compte/connexion. */
async function logIn(page, srv, email, password = PASSWORD) {
    await B.goto(page, `${srv.url}/compte/connexion`);
    await fillForm(page, { email, only: /mail|courriel|identifiant|login|password|mot/i });
    const pw = page.locator('main input[type=password]').first();
    await pw.fill(password);
    await submitForward(page);
    assert.ok(await isLoggedIn(page), `not logged in after /compte/connexion (now at ${page.url()})`);
}

/* True when the header offers «Mes demandes» (only shown to a logged-in citizen). */
async function isLoggedIn(page) {
    return (await page.locator('header a[href="/mes-demandes"]').count()) > 0;
}

/* The outbox row for email, waiting a little: mail is queued in the same transaction as the
 * change, so it is there once the answer came; the wait only covers slow builds. */
async function waitMail(srv, email, template, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const row = B.lastMail(srv, email, template);
        if (row || Date.now() > deadline) {
            assert.ok(row, `no e-mail queued for ${email}${template ? ' (' + template + ')' : ''}`);
            return row;
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

/* Public incidents with what makes a card wide: `n` incidents filed through the portal (over
 * HTTP, not the browser: quicker) each with a photo, accepted, their photo approved and a
 * long public text approved, one with a word longer than a phone's screen, placed 55 m
 * apart; they are the newest, so the first page of /signalements shows them. Returns their
 * references and the place of the first (for /signalements/autour). */
async function publicIncidentsWithPhotos(srv, page, n = 2) {
    const { Browser, fileIncident } = require('../http/portal_client');
    const jpeg = await B.makeJpeg(page);
    const refs = [];
    for (let i = 0; i < n; i++) {
        const filed = await fileIncident(new Browser(srv),
                                         [{ name: `trou-${i}.jpg`, type: 'image/jpeg', data: jpeg.buffer }]);
        refs.push(filed.reference);
    }
    const text = (i) => (i === 0
        ? 'Affaissement de la chaussée sur toute la largeur, signalé par plusieurs riverains ; '
          + 'référence du plan de voirie VOIRIE-NORD-SECTEUR-DOUZE-TRONCON-QUARANTE-DEUX-BIS-ANNEXE. '
        : 'Nid de poule profond au milieu de la voie, dangereux pour les cyclistes le soir. ').repeat(3);
    const lat = 45.7641, lon = 4.8358;
    refs.forEach((ref, i) => {
        srv.sql(`UPDATE requests SET is_public = 1, public_description = '${text(i).replace(/'/g, "''")}',
                 lat = ${lat + i * 0.0005}, lon = ${lon} WHERE reference = '${ref}';
                 UPDATE attachments SET moderation = 'approved' WHERE is_photo = 1 AND request_id =
                 (SELECT id FROM requests WHERE reference = '${ref}');`);
    });
    return { refs, lat, lon };
}

module.exports = {
    PASSWORD,
    publicIncidentsWithPhotos,
    DESCRIPTION,
    mainForm,
    describeFields,
    sampleFor,
    fillForm,
    forwardButton,
    submitForward,
    errorSummary,
    fileDemarche,
    confirmationOf,
    signUp,
    logIn,
    isLoggedIn,
    waitMail,
};
