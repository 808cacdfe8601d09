'use strict';
/*
 * The back office in Chromium, as agents use it: TOTP enrolment and login (the secret read
 * from the enrolment page, the codes computed here per RFC 6238); triage with the keyboard
 * only (inbox → j/k → open → reply with a template → resolve, no mouse); counter intake (a
 * new citizen, an incident with an address → reference and tracking code shown); bulk
 * assignment by a manager (rows selected with the keyboard); the mobile view on a phone-sized
 * screen listing the requests near a position.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./bo_flows');

describe('back office in the browser', () => {
    let env;
    let srv;
    const agents = {};

    before(async () => {
        env = await B.start({ server: { requests: 30 } });
        srv = env.srv;
        const tag = `${process.pid}`;
        agents.admin = F.addAgent(srv, { email: `bo.admin.${tag}@ville-demo.test`, name: 'Adèle Admin', role: 'admin' });
        agents.agent = F.addAgent(srv, { email: `bo.agent.${tag}@ville-demo.test`, name: 'Arthur Agent', role: 'agent', departments: ['voirie'] });
        agents.counter = F.addAgent(srv, { email: `bo.accueil.${tag}@ville-demo.test`, name: 'Alice Accueil', role: 'agent', departments: ['accueil', 'voirie'] });
        agents.manager = F.addAgent(srv, { email: `bo.manager.${tag}@ville-demo.test`, name: 'Maud Manager', role: 'manager', departments: ['voirie'] });
        agents.field = F.addAgent(srv, { email: `bo.terrain.${tag}@ville-demo.test`, name: 'Théo Terrain', role: 'agent', departments: ['voirie', 'proprete'] });
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('TOTP: enrolment at the first login (secret from the page), then login with a code; wrong codes refused', async () => {
        const page = await env.newPage();
        const admin = agents.admin;
        await B.goto(page, srv.url + '/agent/');
        assert.match(new URL(page.url()).pathname, /^\/agent\/connexion/, 'the inbox did not send a visitor to the login page');
        await page.getByLabel(/e-?mail|courriel|adresse/i).first().fill(admin.email);
        await page.locator('main input[type=password]').fill(admin.password);
        await F.pressAndWait(page, 'Enter');
        assert.match(new URL(page.url()).pathname, /^\/agent\/totp/, `an admin without TOTP was not sent to enrolment (${page.url()})`);
        const secret = F.secretFromHtml(await page.content());
        assert.match(secret, /^[A-Z2-7]{32}$/, `secret «${secret}» is not 160 bits of base32`);
        const qr = page.locator('main img[alt], main svg[role=img]').first();
        assert.ok(await qr.count(), 'the enrolment page shows no QR code');
        /* A wrong code: an error, still on enrolment. */
        await page.locator('main input[name=code]').fill('000000' === F.totp(secret) ? '111111' : '000000');
        await F.pressAndWait(page, 'Enter');
        assert.match(new URL(page.url()).pathname, /^\/agent\/totp/);
        assert.ok(await page.locator('.error-summary, .field-error').count(), 'a wrong enrolment code shows no error');
        admin.secret = secret;
        await page.locator('main input[name=code]').fill(await F.freshCode(secret));
        await F.pressAndWait(page, 'Enter');
        F.loginDone(secret);
        assert.match(new URL(page.url()).pathname, /^\/agent\/($|\?)/, `after enrolment, at ${page.url()}`);
        assert.match(await page.locator('header').innerText(), /Adèle Admin/);

        /* Log out, log in again: now the code step. */
        await page.locator('header nav.site-nav--wide form[action="/agent/deconnexion"] button').press('Enter');
        await page.waitForURL((u) => /\/agent\/connexion/.test(u.pathname) || u.pathname === '/agent/');
        await B.goto(page, srv.url + '/agent/connexion');
        await page.getByLabel(/e-?mail|courriel|adresse/i).first().fill(admin.email);
        await page.locator('main input[type=password]').fill(admin.password);
        await F.pressAndWait(page, 'Enter');
        assert.match(new URL(page.url()).pathname, /^\/agent\/connexion\/code/, `no code step at the second login (${page.url()})`);
        await page.locator('main input[name=code]').fill('12345');
        await F.pressAndWait(page, 'Enter');
        assert.match(new URL(page.url()).pathname, /^\/agent\/connexion\/code/);
        assert.ok(await page.locator('.error-summary, .field-error').count(), 'a wrong login code shows no error');
        await page.locator('main input[name=code]').fill(await F.freshCode(secret));
        await F.pressAndWait(page, 'Enter');
        F.loginDone(secret);
        assert.match(new URL(page.url()).pathname, /^\/agent\/($|\?)/, `after the code, at ${page.url()}`);
        /* The admin's pages open. */
        await B.goto(page, srv.url + '/agent/admin/');
    });

    it('triage with the keyboard only: inbox → j/k → o opens → reply with a template → resolve, at most 3 page loads and 8 keystrokes besides the text', async () => {
        /* Two new requests of voirie at least: the one to triage is the newest. */
        await F.fileRequest(srv, { service: 'nid-de-poule' });
        const req = await F.fileRequest(srv, { service: 'nid-de-poule' });
        const page = await env.newPage();
        await F.loginPage(page, srv, agents.agent);
        /* Only the keyboard from here: no click, no fill. */
        const loads = [];
        page.on('load', () => loads.push(page.url()));
        /* Every key pressed from the inbox on (the reply's text is the template's: none typed). */
        const keys = [];
        const press = (k) => {
            keys.push(k);
            return page.keyboard.press(k);
        };
        const pressAndWait = (k) => {
            keys.push(k);
            return F.pressAndWait(page, k);
        };
        await B.goto(page, `${srv.url}/agent/?onglet=service&statut=new`);
        const rows = page.locator('main tr[data-row]');
        assert.ok(await rows.count() >= 2, `the inbox lists ${await rows.count()} new request(s) of voirie; j/k need two`);
        const focusedRow = () => page.evaluate(() => {
            const tr = document.activeElement && document.activeElement.closest('tr[data-row]');
            return tr ? tr.querySelector('a[data-open]').textContent.trim() : null;
        });
        await press('j');
        const first = await focusedRow();
        assert.equal(first, req.reference, `j: the focus is on «${first}», not the newest request ${req.reference}`);
        await press('j');
        const second = await focusedRow();
        assert.ok(second && second !== first, `j again: the focus did not move to the next row («${second}»)`);
        await press('k');
        assert.equal(await focusedRow(), req.reference, 'k: the focus did not come back to the first row');
        await pressAndWait('o');
        assert.equal(new URL(page.url()).pathname, `/agent/demandes/${req.reference}`);

        /* c: «reply and close» — status resolved, focus on the template list; ↓ picks the first
         * template, which fills the reply; Ctrl+Enter sends the processing form. */
        await press('c');
        assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'modele', 'c did not put the focus on the template list');
        assert.equal(await page.locator('#statut').inputValue(), 'resolved', 'c did not choose the status «resolved»');
        await press('ArrowDown');
        const reply = await page.locator('#reponse').inputValue();
        assert.ok(reply.includes(req.reference), `the template did not fill the reply with the request's reference: «${reply.slice(0, 200)}»`);
        assert.doesNotMatch(reply, /\{\{/, 'the template\'s variables are not filled');
        await pressAndWait('Control+Enter');
        assert.equal(srv.sql(`SELECT status FROM requests WHERE id = ${req.id}`).trim(), 'resolved', 'the request is not resolved');
        const events = srv.sql(`SELECT body FROM request_events WHERE request_id = ${req.id} AND is_public = 1 ORDER BY id`);
        assert.ok(events.includes(req.reference), `no public reply with the template's text in the timeline:\n${events}`);
        assert.ok(loads.length <= 3, `triage took ${loads.length} page loads: ${loads.join(', ')}`);
        assert.ok(keys.length <= 8, `triage took ${keys.length} keystrokes: ${keys.join(' ')}`);
        assert.deepEqual(page.consoleErrors, []);
    });

    it('counter intake: a new citizen, an incident with an address → reference and tracking code', async () => {
        const page = await env.newPage();
        await F.loginPage(page, srv, agents.counter);
        await B.goto(page, srv.url + '/agent/saisie');
        const stamp = Date.now().toString(36);
        await page.locator('input[name=canal][value=counter]').check();
        await page.locator('#demarche').selectOption('nid-de-poule');
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('form[action="/agent/saisie"][method=get] button[type=submit]').first().click()]);
        const form = page.locator('main form[method=post][action="/agent/saisie"]');
        assert.ok(await form.count(), `no intake form after choosing the procedure (${page.url()})`);
        await form.locator('#prenom').fill('Lucie');
        await form.locator('#nom').fill(`Guichet${stamp}`);
        await form.locator('#email').fill(`lucie.${stamp}@exemple.fr`);
        await form.locator('#tel').fill('06 11 22 33 44');
        await form.locator('#description').fill('Un trou signalé au guichet devant l\'école.');
        await form.locator('#adresse').fill('12 rue Victor Hugo');
        await form.locator('#lat').fill('45.7652');
        await form.locator('#long').fill('4.8361');
        /* The procedure's own questions: the first choice of each list. */
        for (const sel of await form.locator('select[name^=attr_]').all()) {
            const v = await sel.evaluate((s) => Array.from(s.options).map((o) => o.value).find((x) => x));
            if (v) await sel.selectOption(v);
        }
        for (const box of await form.locator('fieldset input[type=radio][name^=attr_]').all()) {
            const name = await box.getAttribute('name');
            if (!(await form.locator(`input[name="${name}"]:checked`).count())) await box.check();
        }
        const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type=submit]').last().click()]);
        const text = await page.locator('main').innerText();
        assert.equal(resp.status(), 201, `intake answered ${resp.status()}:\n${text.slice(0, 800)}`);
        const ref = /\b(\d{4}-\d{6})\b/.exec(text);
        assert.ok(ref, `no reference shown after intake:\n${text.slice(0, 800)}`);
        const code = (await page.locator('main .bo-secret').first().innerText()).trim();
        assert.match(code, /^[2-9A-Z]{4}-[2-9A-Z]{4}$/, `no short tracking code shown: «${code}»`);
        const row = srv.sql(`SELECT channel, email, last_name FROM requests WHERE reference = '${ref[1]}'`).trim();
        assert.equal(row, `counter|lucie.${stamp}@exemple.fr|Guichet${stamp}`);
        /* The receipt to print for the citizen, in a page of its own. */
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('main form[action$="/recu"] button[type=submit]').click()]);
        const receipt = await page.locator('main').innerText();
        assert.ok(receipt.includes(code) && receipt.includes(ref[1]), `the receipt shows no code:\n${receipt.slice(0, 800)}`);
        /* The citizen follows it like an online request: reference and code, as dictated. */
        const track = await env.newPage();
        await B.goto(track, `${srv.url}/suivi`);
        await track.fill('#reference', ref[1]);
        await track.fill('#code', code.toLowerCase().replace('-', ' '));
        await Promise.all([track.waitForNavigation({ waitUntil: 'load' }), track.locator('main form[action="/suivi"] button[type=submit]').click()]);
        assert.ok((await track.locator('main').innerText()).includes(ref[1]), 'the tracking page does not show the request');
    });

    it('bulk assignment: a manager selects rows with the keyboard (Space) and assigns them', async () => {
        const reqs = [await F.fileRequest(srv, { service: 'nid-de-poule' }), await F.fileRequest(srv, { service: 'nid-de-poule' })];
        const page = await env.newPage();
        await F.loginPage(page, srv, agents.manager);
        await B.goto(page, `${srv.url}/agent/?onglet=service&statut=new`);
        for (const r of reqs) {
            await F.tabTo(page, (ref) => document.activeElement && document.activeElement.matches('input[type=checkbox][name=ids]') && document.activeElement.value === ref,
                          { what: `the checkbox of ${r.reference}`, arg: r.reference });
            await page.keyboard.press('Space');
            assert.ok(await page.locator(`#sel-${r.reference}`).isChecked(), `${r.reference} not selected by Space`);
        }
        await F.tabTo(page, () => document.activeElement && document.activeElement.id === 'lot-action', { what: 'the bulk action list' });
        assert.equal(await page.locator('#lot-action').inputValue(), 'assigner');
        await F.tabTo(page, () => document.activeElement && document.activeElement.id === 'lot-agent', { what: 'the bulk assignee list' });
        /* Typeahead in a focused select: the agent's name. */
        await page.keyboard.type('Arthur', { delay: 20 });
        const chosen = await page.locator('#lot-agent').evaluate((s) => s.options[s.selectedIndex].textContent);
        assert.match(chosen, /Arthur Agent/, `typing «Arthur» chose «${chosen}»`);
        await F.tabTo(page, () => document.activeElement && document.activeElement.matches('button[type=submit]') && document.activeElement.form && document.activeElement.form.id === 'lot',
                      { what: 'the bulk submit button' });
        await F.pressAndWait(page, 'Enter');
        for (const r of reqs) {
            const a = srv.sql(`SELECT assignee FROM requests WHERE id = ${r.id}`).trim();
            assert.equal(a, `agent:${agents.agent.email.split('@')[0]}`, `${r.reference} is assigned to «${a}»`);
        }
        assert.match(await page.locator('main [role=status]').first().innerText(), /2/, 'the inbox does not say how many were changed');
    });

    it('mobile view at 375×667: requests near a position, a maps link, photo and resolve on the spot', async () => {
        const near = await F.fileRequest(srv, { service: 'nid-de-poule', lat: '45.7641', long: '4.8358' });
        const page = await env.newPage({ viewport: { width: 375, height: 667 } });
        await F.loginPage(page, srv, agents.field);
        await B.goto(page, `${srv.url}/agent/terrain?lat=45.7640&long=4.8357`);
        const text = await page.locator('main').innerText();
        assert.ok(text.includes(near.reference), `the request filed 15 m away (${near.reference}) is not listed near the position`);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 375, `the mobile view scrolls sideways (${width}px wide)`);
        const maps = page.locator(`main a[href^="geo:"]:has-text("${near.reference}")`);
        assert.ok(await maps.count(), 'no geo: link opening the location in the phone\'s maps');
        assert.match(await maps.first().getAttribute('href'), /^geo:45\.764/);
        /* The actions fold behind «Agir» on each card: a photo of the work done, then «resolved». */
        const act = page.locator(`#d-${near.reference} details.field-card__act > summary`);
        assert.equal(await page.locator(`#note-${near.reference}`).isVisible(), false, 'the form is folded');
        await act.click();
        const photo = await B.makeJpeg(page, srv.dir);
        await page.locator(`#photo-${near.reference}`).setInputFiles({ name: photo.name, mimeType: photo.mimeType, buffer: photo.buffer });
        await page.locator(`#note-${near.reference}`).fill('Rebouché ce matin.');
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator(`button[name=action][value=resolu]:has-text("${near.reference}")`).click()]);
        assert.equal(srv.sql(`SELECT status FROM requests WHERE id = ${near.id}`).trim(), 'resolved');
        assert.equal(srv.sql(`SELECT count(*) FROM attachments WHERE request_id = ${near.id}`).trim(), '1', 'the photo is not attached');
        const width2 = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width2 <= 375, `after resolving, the mobile view scrolls sideways (${width2}px wide)`);
    });
});
