'use strict';
/*
 * JavaScript disabled: the same démarches work with plain HTML forms — a question to the
 * mairie, an incident located by its address and typed coordinates (the map is an
 * enhancement and stays hidden), its photo, the validation errors and the tracking page; and
 * a citizen downloads their data from «Mon compte» as a ZIP.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./flows');

describe('JavaScript disabled', () => {
    let env;
    before(async () => {
        env = await B.start();
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('files a question-générale and tracks it', async () => {
        const page = await env.newPage({ javaScriptEnabled: false });
        const res = await F.fileDemarche(page, env.srv, 'question-generale', {
            email: 'sans-js@example.org',
            text: 'Bonjour, sans JavaScript : quels sont les horaires de la piscine ?',
        });
        assert.match(res.reference, /^\d{4}-\d{4,}$/);
        const stored = env.srv.sql(`SELECT email, channel FROM requests WHERE reference = '${res.reference}'`).trim();
        assert.equal(stored, 'sans-js@example.org|web');
        await B.goto(page, `${env.srv.url}/suivi/${res.reference}?jeton=${encodeURIComponent(res.token)}`);
        assert.ok((await page.locator('main').innerText()).includes('piscine'));
    });

    it('files an incident with an address and a photo, the map staying hidden', async () => {
        const page = await env.newPage({ javaScriptEnabled: false });
        await B.goto(page, `${env.srv.url}/demarches/nid-de-poule`);
        /* Without JavaScript neither the map nor «Me localiser» shows; no degrees to type. */
        const map = page.locator('#map');
        if (await map.count()) assert.equal(await map.isVisible(), false, 'the map shows without JavaScript');
        assert.equal(await page.locator('main [data-geolocate]').isVisible(), false, '«Me localiser» shows without JavaScript');
        assert.equal(await page.locator('main input[name=lat]:not([type=hidden])').count(), 0, 'a latitude field to type');
        const photo = await B.makeJpeg(null).catch(() => null);
        assert.ok(photo, 'could not make a JPEG (vips or convert needed without JavaScript)');
        const res = await F.fileDemarche(page, env.srv, 'nid-de-poule', { email: 'sans-js@example.org', photo });
        const row = env.srv.sql(`SELECT address FROM requests WHERE reference = '${res.reference}'`).trim();
        assert.match(row, /Victor Hugo/);
        const n = env.srv.sql(`SELECT count(*) FROM attachments a JOIN requests r ON r.id = a.request_id
                               WHERE r.reference = '${res.reference}'`).trim();
        assert.equal(n, '1', 'the photo sent without JavaScript was not stored');
    });

    it('downloads my data from the preferences page, as a ZIP', async () => {
        const page = await env.newPage({ javaScriptEnabled: false });
        const email = `donnees.${Date.now()}@example.org`;
        await F.signUp(page, env.srv, email);
        await B.goto(page, `${env.srv.url}/compte/preferences`);
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                           page.locator('main a[href^="/compte/donnees"]').click()]);
        assert.match(new URL(page.url()).pathname, /^\/compte\/donnees$/);
        const [download] = await Promise.all([page.waitForEvent('download'),
                                              page.locator('main form button[type=submit]').click()]);
        assert.match(download.suggestedFilename(), /^donnees-ville-demo-\d{4}-\d{2}-\d{2}\.zip$/);
        const file = await download.path();
        const bytes = require('node:fs').readFileSync(file);
        assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK', 'the download is not a ZIP');
        assert.ok(bytes.includes(Buffer.from('compte.json')), 'the archive has no compte.json');
    });

    it('shows the validation errors and keeps the values', async () => {
        const page = await env.newPage({ javaScriptEnabled: false });
        await B.goto(page, `${env.srv.url}/signaler`);
        const addr = page.locator('main form input[name=address]').first();
        assert.equal(await addr.count(), 1, 'no address field on the place step');
        /* No place: the summary says so. */
        await F.submitForward(page);
        let err = await F.errorSummary(page);
        assert.ok(err, 'no error summary without JavaScript');
        assert.ok(err.links.length >= 1);
        for (const href of err.links)
            assert.equal(await page.locator(`[id="${decodeURIComponent(href.slice(1))}"]`).count(), 1, `${href} leads nowhere`);
        await page.locator('main form input[name=address]').fill('Place de la Mairie');
        await F.submitForward(page);
        assert.equal(await F.errorSummary(page), null);
        /* Words but no category: the category is proposed from them, the words kept. */
        await page.locator('main textarea[name=description]').fill('Un tag injurieux sur le mur de l’école.');
        await F.submitForward(page);
        err = await F.errorSummary(page);
        assert.ok(err, 'sent without a category, no error summary');
        for (const href of err.links)
            assert.equal(await page.locator(`[id="${decodeURIComponent(href.slice(1))}"]`).count(), 1, `${href} leads nowhere`);
        assert.equal(await page.locator('main textarea[name=description]').inputValue(), 'Un tag injurieux sur le mur de l’école.',
                     'the typed words were lost');
        assert.equal(await page.locator('main input[name=categorie][value=graffiti]').isChecked(), true,
                     'the category the words point to is not proposed');
    });
});
