'use strict';
/*
 * axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa) reports zero violations on every portal page
 * (the export page «Mes données personnelles» included),
 * every step of the multi-step incident form and every error state, in French and in English;
 * every page's HTML stays under 100 KB. One test per page state, so that the count says how
 * many were checked and a failure names the page. A page with violations prints each of
 * them: rule, help, the nodes' selectors and markup.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./flows');
const BO = require('./bo_flows');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

describe('axe-core: zero WCAG 2.1 A/AA violations on every page', () => {
    let env;
    let page; /* an anonymous visitor walking through the pages */
    let citizen; /* a logged-in citizen */
    let filed; /* {reference, token} of a request filed through the form */
    let last; /* the response of the last navigation, for the HTML size */
    const email = `axe.${Date.now()}@example.org`;
    const results = [];

    const check = async (p, label, opts = {}) => {
        const r = await B.assertAccessible(p, label, Object.assign({ lang: 'fr', response: last }, opts));
        results.push(`${label}: 0 violations, ${r.bytes} bytes`);
    };
    const go = async (p, path, status = 200) => {
        last = await B.goto(p, env.srv.url + path, status);
        return last;
    };
    /* The step the multi-step form says it is on (aria-current="step"). */
    const currentStep = async (p) => ((await p.locator('main [aria-current=step]').first().textContent()) || '').trim();
    const onStep = async (p, name) => {
        const cur = await currentStep(p);
        assert.ok(cur.startsWith(name), `expected the step «${name}», the page says «${cur}» (${p.url()})`);
    };
    const submit = async (p) => {
        const b = await F.forwardButton(p);
        [last] = await Promise.all([p.waitForNavigation({ waitUntil: 'load' }), b.click()]);
    };

    before(async () => {
        env = await B.start();
        page = await env.newPage();
        citizen = await env.newPage();
    });
    after(async () => {
        if (results.length) console.log(`axe results:\n  ${results.join('\n  ')}`);
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('home page', async () => {
        await go(page, '/');
        await check(page, 'home');
    });

    it('search results (and a search that finds nothing)', async () => {
        await go(page, '/?q=' + encodeURIComponent('chaussee'));
        const text = await page.locator('main').innerText();
        assert.match(text, /Nid de poule/, 'an accent-insensitive search for «chaussee» does not find «Nid de poule»');
        await check(page, 'search results');
        await go(page, '/?q=zzzzqqq');
        await check(page, 'search without results');
    });

    /* The incident, step by step, with each step's error state. */
    it('report step 1 (the place) and its error state', async () => {
        await go(page, '/signaler');
        await onStep(page, 'Lieu');
        await check(page, 'report step 1');
        await submit(page);
        assert.ok(await F.errorSummary(page), 'an empty place shows no error summary');
        await onStep(page, 'Lieu');
        await check(page, 'report step 1 with errors');
        await F.fillForm(page, { email });
        await submit(page);
        assert.equal(await F.errorSummary(page), null);
    });

    it('report step 2 (the problem: photo, words, category) and its error state', async () => {
        await onStep(page, 'Le problème');
        await check(page, 'report step 2');
        await submit(page);
        assert.ok(await F.errorSummary(page), 'an empty problem step shows no error summary');
        await onStep(page, 'Le problème');
        await check(page, 'report step 2 with errors');
        const photo = await B.makeJpeg(page);
        await F.fillForm(page, { email, photo, choose: { categorie: 'nid-de-poule' } });
        await submit(page);
        assert.equal(await F.errorSummary(page), null);
    });

    it('report step 3 (details, contact, summary), confirmation, receipt and tracking page', async () => {
        await onStep(page, 'Précisions et envoi');
        await check(page, 'report step 3');
        const mail = page.locator('main form input[type=email]').first();
        assert.equal(await mail.count(), 1, 'no e-mail field on the last step');
        await mail.fill('pas-une-adresse');
        await submit(page);
        assert.ok(await F.errorSummary(page), 'an invalid e-mail shows no error summary');
        await onStep(page, 'Précisions et envoi');
        await check(page, 'report step 3 with errors');
        await page.locator('main form input[type=email]').first().fill(email);
        await F.fillForm(page, { email });
        await submit(page);
        filed = await F.confirmationOf(page);
        await check(page, 'confirmation');
        /* The receipt as the confirmation links to it: with the short code. */
        const receipt = await page.locator('main a[href^="/recu/"]').first().getAttribute('href');
        assert.match(receipt, /&code=/);
        await go(page, receipt);
        assert.match(await page.locator('main').innerText(), /[2-9A-Z]{4}-[2-9A-Z]{4}/);
        await check(page, 'receipt');
        await go(page, `/suivi/${filed.reference}?jeton=${encodeURIComponent(filed.token)}`);
        await check(page, 'tracking page');
    });

    it('a démarche form (question-générale) and its error state', async () => {
        await go(page, '/demarches/question-generale');
        await check(page, 'question-generale form');
        await submit(page);
        assert.ok(await F.errorSummary(page), `an empty question shows no error summary (status ${last && last.status()}, ${page.url()}):\n` +
                  (await page.locator('main').innerText()).slice(0, 600));
        await check(page, 'question-generale with errors');
    });

    it('/suivi form and its error state', async () => {
        await go(page, '/suivi');
        await check(page, '/suivi form');
        await F.fillForm(page, { reference: '2000-999999', token: 'faux-jeton' });
        const b = await F.forwardButton(page);
        [last] = await Promise.all([page.waitForNavigation(), b.click()]);
        assert.ok(await F.errorSummary(page) || last.status() === 404,
                  `an unknown reference on /suivi shows no error (status ${last.status()})`);
        await check(page, '/suivi with an unknown reference');
    });

    it('public incidents: the list and one incident', async () => {
        await go(page, '/signalements');
        await check(page, '/signalements');
        const hrefs = await page.locator('main a[href^="/signalements/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        const href = hrefs.find((h) => /^\/signalements\/\d{4}-\d+$/.test(h));
        assert.ok(href, `/signalements links to no incident (the demo has public ones): ${hrefs}`);
        [last] = await Promise.all([page.waitForNavigation(), page.locator(`main a[href="${href}"]`).first().click()]);
        assert.ok((await page.locator('main').innerText()).includes(href.split('/').pop()));
        await check(page, 'one public incident');
    });

    it('public incidents with photos and texts: the list, one incident, nearby, a wrong place', async () => {
        const { refs, lat, lon } = await F.publicIncidentsWithPhotos(env.srv, page);
        await go(page, '/signalements');
        assert.ok(await page.locator('main img.incident-card__photo').count() >= refs.length, 'cards with photos');
        await check(page, '/signalements with photos');
        await go(page, `/signalements/${refs[0]}`);
        await check(page, 'one public incident with its text and photo');
        await go(page, `/signalements/autour?lat=${lat}&lon=${lon}`);
        assert.ok(await page.locator('main form[action$="/moi-aussi"]').count() >= 1, '«moi aussi» on the cards');
        await check(page, '/signalements/autour');
        await go(page, '/signalements/autour?lat=x&lon=y', 400);
        await check(page, '/signalements/autour with a wrong place');
        await go(page, `/signalements/autour?lat=${lat}&lon=${lon}&lang=en`);
        await check(page, '/signalements/autour in English', { lang: 'en' });
    });

    it('sign-up form and its error state', async () => {
        await go(citizen, '/compte/inscription');
        await check(citizen, 'sign-up');
        await submit(citizen);
        assert.ok(await F.errorSummary(citizen), 'an empty sign-up shows no error summary');
        await check(citizen, 'sign-up with errors');
    });

    it('sign-up done, verification, «Mes demandes», one request, preferences', async () => {
        await go(citizen, '/compte/inscription');
        await F.fillForm(citizen, { email });
        await submit(citizen);
        assert.equal(await F.errorSummary(citizen), null);
        await check(citizen, 'sign-up sent');
        const mail = await F.waitMail(env.srv, email, 'account_verify');
        last = await B.goto(citizen, B.linkFromMail(env.srv, mail, '/compte/verifier'));
        await check(citizen, 'the e-mailed verification link: its button');
        await submit(citizen);
        await check(citizen, 'account verified');
        if (!(await F.isLoggedIn(citizen))) await F.logIn(citizen, env.srv, email);
        await go(citizen, '/mes-demandes');
        await check(citizen, '/mes-demandes');
        assert.ok((await citizen.locator('main').innerText()).includes(filed.reference),
                  '«Mes demandes» does not list the request filed with the same e-mail');
        const one = citizen.locator(`main a[href*="${filed.reference}"]`).first();
        [last] = await Promise.all([citizen.waitForNavigation(), one.click()]);
        await check(citizen, 'my request (thread and reply form)');
        await go(citizen, '/');
        await check(citizen, 'home, logged in (latest requests)');
        await citizen.setViewportSize({ width: 390, height: 844 });
        await go(citizen, '/');
        assert.ok(await citizen.locator('main table.table--cards tbody tr').count() > 0, 'the latest requests');
        await check(citizen, 'home, logged in, on a 390-pixel phone (the latest requests as cards)');
        await citizen.setViewportSize({ width: 1280, height: 900 });
        await go(citizen, '/compte/preferences');
        await check(citizen, 'preferences');
        /* «Vérifier mon numéro»: with a number, the code's form and a wrong code's error;
         * then verified, at 390 px too. Set back after, for the tests that follow. */
        const who = `WHERE email = '${email.replace(/'/g, "''")}'`;
        env.srv.sql(`UPDATE accounts SET phone = '+33612345678' ${who}`);
        try {
            await go(citizen, '/compte/preferences?telephone=code_wrong', 400); /* an error: as a form's */
            assert.match(await citizen.locator('main').innerText(), /Ce code n'est pas le bon/);
            await check(citizen, 'preferences, a wrong phone code');
            env.srv.sql(`UPDATE accounts SET phone_verified_at = 1 ${who}`);
            await go(citizen, '/compte/preferences?telephone=verified');
            assert.match(await citizen.locator('main').innerText(), /vérifié/);
            await check(citizen, 'preferences, the number verified');
            await citizen.setViewportSize({ width: 390, height: 844 });
            await go(citizen, '/compte/preferences?telephone=code_sent');
            assert.equal(await citizen.evaluate(() => document.documentElement.scrollWidth), 390);
            await check(citizen, 'preferences, a phone code sent, on a 390-pixel phone');
        } finally {
            await citizen.setViewportSize({ width: 1280, height: 900 });
            env.srv.sql(`UPDATE accounts SET phone = NULL, phone_verified_at = NULL ${who}`);
        }
        await go(citizen, '/compte/donnees');
        await check(citizen, 'my personal data (the export page)');
        await go(citizen, '/compte/donnees?lang=en');
        await check(citizen, 'my personal data (the export page), in English', { lang: 'en' });
        await go(citizen, '/compte/supprimer');
        await check(citizen, 'account deletion');
    });

    it('login form and its error state', async () => {
        const p = await env.newPage();
        await go(p, '/compte/connexion');
        await check(p, 'login');
        await F.fillForm(p, { email: 'personne@example.org' });
        await submit(p);
        assert.ok(await F.errorSummary(p) || /incorrect|invalide|erron/i.test(await p.locator('main').innerText()),
                  'a wrong password shows no error');
        await check(p, 'login with errors');
    });

    it('one-time login link form', async () => {
        const p = await env.newPage();
        await go(p, '/compte/lien-connexion');
        await check(p, 'login link form');
        await F.fillForm(p, { email });
        await submit(p);
        await check(p, 'login link sent');
        const link = B.linkFromMail(env.srv, await F.waitMail(env.srv, email, 'account_login'), '/compte/lien');
        last = await B.goto(p, `${link}&lang=en`);
        await check(p, 'the e-mailed login link: its button, in English', { lang: 'en' });
        await submit(p);
        assert.ok(await F.isLoggedIn(p), 'the login link\'s button logs in');
        last = await B.goto(p, link);
        await submit(p);
        assert.equal(last.status(), 400);
        await check(p, 'a login link used twice');
    });

    it('forgot password, new password and its error state', async () => {
        const p = await env.newPage();
        await go(p, '/compte/mot-de-passe-oublie');
        await check(p, 'forgot password');
        await F.fillForm(p, { email });
        await submit(p);
        await check(p, 'forgot password sent');
        const mail = await F.waitMail(env.srv, email, 'account_reset');
        last = await B.goto(p, B.linkFromMail(env.srv, mail, '/compte/nouveau-mot-de-passe'));
        await check(p, 'new password');
        /* Two different passwords, or a too short one: an error state. */
        const pws = p.locator('main form input[type=password]');
        const n = await pws.count();
        assert.ok(n >= 1, 'no password field on the new-password page');
        await pws.nth(0).fill('court');
        if (n > 1) await pws.nth(1).fill('autre');
        await submit(p);
        assert.ok(await F.errorSummary(p), 'a too short password shows no error summary');
        await check(p, 'new password with errors');
    });

    it('accessibility statement, legal notices, 404, document verification', async () => {
        await go(page, '/accessibilite');
        await check(page, 'accessibility statement');
        await go(page, '/mentions-legales');
        await check(page, 'legal notices');
        await go(page, '/cette-page-n-existe-pas', 404);
        await check(page, '404');
        await go(page, '/suivi/2000-000001?jeton=faux', 404);
        await check(page, 'tracking, unknown reference (404)');
        await go(page, '/verifier');
        await check(page, 'document verification');
        await go(page, '/verifier/2345-6789', 404);
        await check(page, 'document verification, unknown code (404)');
    });

    it('document verification: an upload refused beside its field, and a signed file\'s report', async () => {
        /* A self-signed signer (not one of the collectivité's anchors) signs a one-page PDF. */
        const dir = fs.mkdtempSync(path.join(env.srv.dir, 'axe-verify-'));
        const f = (n) => path.join(dir, n);
        for (const args of [['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('k.pem'), '-out', f('c.pem'),
                             '-days', '2', '-subj', '/CN=Camille Maire'],
                            ['pkcs12', '-export', '-inkey', f('k.pem'), '-in', f('c.pem'), '-out', f('s.p12'), '-passout', 'pass:pw']]) {
            const r = spawnSync('openssl', args, { encoding: 'utf8' });
            assert.equal(r.status, 0, r.stderr);
        }
        fs.writeFileSync(f('pw'), 'pw\n');
        const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
                      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>'];
        let pdf = '%PDF-1.7\n';
        const offs = objs.map((o, i) => { const at = pdf.length; pdf += `${i + 1} 0 obj\n${o}\nendobj\n`; return at; });
        const x = pdf.length;
        pdf += `xref\n0 4\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
        fs.writeFileSync(f('in.pdf'), `${pdf}trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`);
        const signed = env.srv.guichet(['pdf', 'sign', '--p12', f('s.p12'), '--password-file', f('pw'),
                                        '--reason', 'Le maire', f('in.pdf'), f('signed.pdf')]);
        assert.equal(signed.status, 0, signed.stderr);
        const send = async (file, status) => {
            await go(page, '/verifier');
            await page.locator('#fichier').setInputFiles(file);
            [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                        page.locator('form[action="/verifier"][method="post"] button[type=submit]').click()]);
            assert.equal(last.status(), status);
        };
        await send({ name: 'note.pdf', mimeType: 'application/pdf', buffer: Buffer.from('pas un PDF') }, 400);
        assert.equal(await page.locator('#fichier').getAttribute('aria-invalid'), 'true');
        await check(page, 'document verification, an upload refused');
        await send(f('signed.pdf'), 200);
        assert.equal(await page.locator('main table.table--cards tbody tr').count(), 1);
        await check(page, 'document verification, a signed file\'s report');
    });

    it('in English: home, a form, its error state, the 404 (lang="en")', async () => {
        /* The language switch of a French page leads to the English one. */
        const p = await env.newPage({ locale: 'en-GB' });
        await go(p, '/?lang=fr');
        assert.equal(await p.evaluate(() => document.documentElement.lang), 'fr');
        const sw = p.locator('header a[hreflang=en]').first();
        [last] = await Promise.all([p.waitForNavigation(), sw.click()]);
        assert.equal(await p.evaluate(() => document.documentElement.lang), 'en', `the language switch led to ${p.url()}`);
        await go(p, '/?lang=en');
        await check(p, 'home (en)', { lang: 'en' });
        await go(p, '/demarches/nid-de-poule?lang=en');
        await check(p, 'incident step 1 (en)', { lang: 'en' });
        await submit(p);
        assert.ok(await F.errorSummary(p));
        await check(p, 'incident step 1 with errors (en)', { lang: 'en' });
        await go(p, '/compte/inscription?lang=en');
        await check(p, 'sign-up (en)', { lang: 'en' });
        await go(p, '/nowhere?lang=en', 404);
        await check(p, '404 (en)', { lang: 'en' });
    });

    it('the tracking page of a request merged into another («Fusionner»)', async () => {
        const agent = BO.addAgent(env.srv, { email: `axe.fusion.${process.pid}@ville-demo.test`, name: 'Axe Fusion',
                                            role: 'agent', departments: ['voirie'] });
        const desk = await BO.login(env.srv, agent);
        const keep = await BO.fileRequest(env.srv, { service: 'nid-de-poule' });
        const r = await desk.post(`/agent/demandes/${filed.reference}/fusionner`, { conserver: keep.reference, confirmer: '1' });
        assert.equal(r.status, 303, r.text.slice(0, 500));
        await go(page, `/suivi/${filed.reference}?jeton=${encodeURIComponent(filed.token)}`);
        assert.ok(await page.locator('main #fusion').count(), 'the page does not say the request was merged');
        await check(page, 'tracking page of a merged request');
    });
});
