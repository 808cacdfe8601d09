'use strict';
/*
 * A citizen in a real browser (Debian's Chromium): files an incident with a photo and a
 * location, gets a reference, tracks it, signs up, finds it in «Mes demandes» and replies;
 * files an anonymous démarche; meets validation errors (summary focused, linked to the
 * fields, values kept).
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./flows');

describe('citizen journeys in Chromium', () => {
    let env;
    before(async () => {
        env = await B.start();
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('files an incident with a photo and a location, tracks it, signs up, finds it in «Mes demandes» and replies', async () => {
        const page = await env.newPage();
        const email = `camille.martin.${Date.now()}@example.org`;
        await B.goto(page, `${env.srv.url}/`);
        const photo = await B.makeJpeg(page);

        /* From the catalogue to the procedure: the home page links to it. */
        const link = page.locator('main a[href="/demarches/nid-de-poule"]').first();
        await Promise.all([page.waitForNavigation(), link.click()]);
        assert.match(page.url(), /\/demarches\/nid-de-poule$/);

        /* Step 1, the place: the map is shown with JavaScript; a tap on it places the point
         * (hidden inputs, no degrees to read). */
        const map = page.locator('#map');
        await map.waitFor({ state: 'visible' });
        await map.click();
        assert.match(await page.locator('input[name=lat]').inputValue(), /^-?\d+\.\d+$/, 'the map click placed no point');
        const stepNames = [];
        const fill = async () => {
            stepNames.push(((await page.locator('main h2').first().textContent()) || '').trim());
            return F.fillForm(page, { email, photo });
        };
        const filledSomething = [];
        for (let i = 0; i < 10 && !/\/confirmation\//.test(page.url()); i++) {
            filledSomething.push(...(await fill()));
            await F.submitForward(page);
            const err = await F.errorSummary(page);
            assert.equal(err, null, `step ${i + 1} answered errors: ${err && err.text}`);
        }
        const names = filledSomething.map((f) => f.name);
        assert.ok(!names.some((n) => /^(lat|long)$/.test(n)), `coordinates were typed (${names})`);
        assert.ok(filledSomething.some((f) => f.type === 'file'), `no photo field on the way (${names})`);
        assert.equal(stepNames.length, 3, `expected the place, the problem, details and sending, saw ${stepNames}`);
        const conf = await F.confirmationOf(page);
        assert.match(conf.reference, /^\d{4}-\d{4,}$/);

        /* The request is stored with its location and the photo. */
        const row = env.srv.sql(`SELECT lat, lon, address FROM requests WHERE reference = '${conf.reference}'`).trim();
        /* The place of the tap, named by the address list's nearest address. */
        assert.match(row, /^4[45]\.\d+\|[45]\.\d+\|.*Ville de Démo$/, `stored location: ${row}`);
        const photos = env.srv.sql(`SELECT count(*) FROM attachments a JOIN requests r ON r.id = a.request_id
                                    WHERE r.reference = '${conf.reference}' AND a.is_photo = 1`).trim();
        assert.equal(photos, '1', 'the photo was not stored with the request');

        /* The printable receipt and the tracking page, from the confirmation's links. */
        const receipt = page.locator('main a[href*="/recu/"]').first();
        await Promise.all([page.waitForNavigation(), receipt.click()]);
        assert.ok((await page.locator('main').innerText()).includes(conf.reference));
        await page.goBack();
        const track = page.locator('main a[href*="/suivi/"]').first();
        await Promise.all([page.waitForNavigation(), track.click()]);
        assert.match(page.url(), new RegExp(`/suivi/${conf.reference}\\?jeton=`));
        const trackText = await page.locator('main').innerText();
        assert.ok(trackText.includes(conf.reference), 'the tracking page does not show the reference');

        /* Tracking through the /suivi form, reference + token typed in. */
        await B.goto(page, `${env.srv.url}/suivi`);
        await F.fillForm(page, { reference: conf.reference, token: conf.token });
        await F.submitForward(page);
        assert.ok((await page.locator('main').innerText()).includes(conf.reference),
                  `/suivi with reference and token did not lead to the request (${page.url()})`);

        /* Sign up with the same e-mail: the request filed before is in «Mes demandes». */
        await F.signUp(page, env.srv, email);
        await B.goto(page, `${env.srv.url}/mes-demandes`);
        const mine = page.locator(`main a[href*="${conf.reference}"]`).first();
        assert.equal(await mine.count(), 1, `«Mes demandes» does not list ${conf.reference}`);
        await Promise.all([page.waitForNavigation(), mine.click()]);

        /* Reply to the mairie from the request's page. */
        const reply = 'Le trou s\'est agrandi depuis hier, il fait maintenant 60 cm.';
        const textarea = page.locator('main form textarea').first();
        await textarea.fill(reply);
        const form = page.locator('main form:has(textarea)').first();
        const fileInput = form.locator('input[type=file]');
        const withFile = (await fileInput.count()) > 0;
        if (withFile) {
            await fileInput.first().setInputFiles({ name: 'suite.jpg', mimeType: 'image/jpeg', buffer: photo.buffer });
        }
        await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').first().click()]);
        assert.equal(await F.errorSummary(page), null, 'the reply answered errors');
        await page.locator(`main :text("${reply.slice(0, 30)}")`).first().waitFor();
        const events = env.srv.sql(`SELECT count(*) FROM request_events e JOIN requests r ON r.id = e.request_id
                                    WHERE r.reference = '${conf.reference}' AND e.body LIKE '%s''est agrandi%'`).trim();
        assert.equal(events, '1', 'the reply is not stored as an event of the request');
        if (withFile) {
            const n = env.srv.sql(`SELECT count(*) FROM attachments a JOIN requests r ON r.id = a.request_id
                                   WHERE r.reference = '${conf.reference}' AND a.event_id IS NOT NULL`).trim();
            assert.equal(n, '1', 'the photo sent with the reply is not stored with its message');
        }
        assert.deepEqual(page.consoleErrors, [], `errors in the browser console: ${page.consoleErrors}`);
    });

    it('files an anonymous question-générale; refuses a procedure without contact where it needs one', async () => {
        const page = await env.newPage();
        const res = await F.fileDemarche(page, env.srv, 'question-generale', {
            anonymous: true,
            text: 'À quelle heure ouvre la déchetterie le samedi ?',
        });
        const row = env.srv.sql(`SELECT coalesce(email, '') || coalesce(phone, '') || coalesce(last_name, ''), channel
                                 FROM requests WHERE reference = '${res.reference}'`).trim();
        assert.equal(row, '|web', `stored contact and channel: ${row}`);
        /* The token gives access to it without an account. */
        await B.goto(page, `${env.srv.url}/suivi/${res.reference}?jeton=${encodeURIComponent(res.token)}`);
        assert.ok((await page.locator('main').innerText()).includes('déchetterie'));
        /* A wrong token does not. */
        const r = await page.goto(`${env.srv.url}/suivi/${res.reference}?jeton=faux${res.token.slice(4)}`);
        assert.ok([403, 404].includes(r.status()), `a wrong token answered ${r.status()}`);
        assert.ok(!(await page.locator('main').innerText()).includes('déchetterie'));

        /* Stationnement gênant is not open to anonymous reports: without any contact the
         * contact step answers an error pointing to the e-mail field. */
        await B.goto(page, `${env.srv.url}/demarches/stationnement-genant`);
        let err = null;
        for (let i = 0; i < 5 && !err && !/confirmation/.test(page.url()); i++) {
            await F.fillForm(page, { skip: /mail|phone|name/, choose: { notify: 'none' } });
            await F.submitForward(page);
            err = await F.errorSummary(page);
        }
        assert.ok(err, `an anonymous report of stationnement-genant was accepted (${page.url()})`);
        assert.ok(err.links.includes('#email'), `the error does not point to the e-mail field: ${err.links}\n${err.text}`);
    });

    it('files a démarche with a date question: the browser\'s date input, the day in words when tracked', async () => {
        const page = await env.newPage();
        await B.goto(page, `${env.srv.url}/demarches/acte-etat-civil`);
        const input = page.locator('main form input[name="attribute[date_acte]"]');
        assert.equal(await input.getAttribute('type'), 'date', 'a date of an act is a day, not a date and time');
        await B.assertAccessible(page, 'démarche with a date question');
        const filed = await F.fileDemarche(page, env.srv, 'acte-etat-civil', { email: `acte.${Date.now()}@example.org` });
        await B.goto(page, `${env.srv.url}/suivi/${filed.reference}?jeton=${encodeURIComponent(filed.token)}`);
        /* flows.js fills a date input with yesterday, as Chromium's picker sends it. */
        const y = new Date(Date.now() - 24 * 3600 * 1000);
        const months = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août',
                        'septembre', 'octobre', 'novembre', 'décembre'];
        const d = y.getUTCDate();
        const words = `${d === 1 ? '1er' : d} ${months[y.getUTCMonth()]} ${y.getUTCFullYear()}`;
        const shown = await page.locator('main dt', { hasText: 'Date de l\'acte' }).locator('xpath=following-sibling::dd[1]').innerText();
        assert.equal(shown.trim(), words, 'the day in words, with no time');
    });

    it('shows validation errors: a focused summary linking to each faulty field, values kept', async () => {
        const page = await env.newPage();
        await B.goto(page, `${env.srv.url}/demarches/question-generale`);
        /* Something typed in one field, the required description left empty. */
        const form = await F.mainForm(page);
        const emailInput = form.locator('input[type=email]').first();
        const hasEmail = (await emailInput.count()) > 0;
        if (hasEmail) await emailInput.fill('pas-une-adresse');
        await F.submitForward(page);
        const err = await F.errorSummary(page);
        assert.ok(err, `no error summary after submitting an empty form (${page.url()})`);
        assert.ok(err.links.length >= 1, `the error summary links to no field:\n${err.text}`);
        /* Focus is on the summary (or inside it), so a screen reader announces it. */
        const focusedInSummary = await err.locator.evaluate((el) => el === document.activeElement || el.contains(document.activeElement));
        assert.ok(focusedInSummary, 'the error summary does not have the focus after the failed submission');
        /* Each link leads to an existing field, described as invalid. */
        for (const href of err.links) {
            const id = decodeURIComponent(href.slice(1));
            const target = page.locator(`[id="${id}"]`);
            assert.equal(await target.count(), 1, `summary link ${href} points to no element`);
            const invalid = await target.evaluate((el) => {
                const f = el.matches('input, select, textarea') ? el : el.querySelector('input, select, textarea');
                const fs = el.closest('fieldset');
                return (f && f.getAttribute('aria-invalid') === 'true') ||
                    el.getAttribute('aria-invalid') === 'true' ||
                    !!(fs && fs.querySelector('[aria-invalid="true"]'));
            });
            assert.ok(invalid, `the field behind ${href} is not marked aria-invalid`);
        }
        /* Following a link moves the focus to the field. */
        const first = err.locator.locator('a[href^="#"]').first();
        await first.click();
        const firstId = decodeURIComponent(err.links[0].slice(1));
        const focusedId = await page.evaluate(() => document.activeElement && document.activeElement.id);
        const inTarget = await page.locator(`[id="${firstId}"]`).evaluate(
            (el) => el === document.activeElement || el.contains(document.activeElement));
        assert.ok(inTarget, `after following ${err.links[0]} the focus is on #${focusedId}`);
        /* The value typed is still there, and the invalid e-mail is one of the errors. */
        if (hasEmail) {
            assert.equal(await form.locator('input[type=email]').first().inputValue(), 'pas-une-adresse');
            const emailId = await page.locator('main form input[type=email]').first().getAttribute('id');
            assert.ok(err.links.includes(`#${emailId}`), `the invalid e-mail is not in the summary: ${err.links}`);
        }
        /* The title says there is an error (announced first on page load). */
        assert.match(await page.title(), /erreur|error/i, 'the page title does not mention the errors');
    });

    it('keeps the values of a multi-step incident when going back to a previous step', async () => {
        const page = await env.newPage();
        await B.goto(page, `${env.srv.url}/demarches/nid-de-poule`);
        const first = await F.fillForm(page, { email: 'retour@example.org' });
        await F.submitForward(page);
        assert.equal(await F.errorSummary(page), null);
        const prev = page.locator('main form button[name=goto]').first();
        assert.equal(await prev.count(), 1, 'no «Précédent» button on the second step');
        await Promise.all([page.waitForNavigation(), prev.click()]);
        for (const f of first.filter((x) => x.tag === 'input' && x.type !== 'file' && x.type !== 'radio' && x.type !== 'checkbox')) {
            const v = await page.locator(`main form [name="${f.name}"]`).first().inputValue();
            if (f.name === 'address') {
                /* As the collectivité's address list writes it: the same address, completed. */
                assert.ok(v.toLowerCase().startsWith(f.value.toLowerCase()), `field address lost its value on the way back: ${v}`);
                continue;
            }
            assert.equal(v, f.value, `field ${f.name} lost its value on the way back`);
        }
    });
});
