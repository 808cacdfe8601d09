'use strict';
/*
 * A citizen's phone (390 × 844): the menu folds behind «Menu»; no page of the portal is wider
 * than the screen — every page a citizen reaches, from the home page to the confirmation and
 * the tracking page of a request they filed, in both languages and with JavaScript on and off
 * (a long word, a table or a form control that does not wrap shows up here as a horizontal
 * scroll), the public incidents' cards with their photos and long texts included; nor are the
 * agents' pages a field agent opens on a phone. The back office's menu folds the same way,
 * the field view is one card per request with its actions folded behind «Agir», and the
 * back office's lists (the inbox's tabs, with rows, and the administration's) are cards, not
 * tables in a box that scrolls sideways, while a desktop keeps its dense tables. On both
 * sides the menu bar lines up with the page's content.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./flows');

const WIDTH = 390;
const PAGES = ['/', '/signaler', '/demarches/nid-de-poule', '/demarches/question-generale', '/signalements',
               '/signalements?etat=ouverts', '/suivi', '/compte/connexion', '/compte/inscription',
               '/compte/mot-de-passe-oublie', '/mentions-legales', '/accessibilite', '/?q=acte'];

describe('a 390-pixel phone', () => {
    let env;
    before(async () => {
        env = await B.start();
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    /* The pages wider than the viewport among `paths`, with their width, and those with a box
     * of their content that scrolls sideways on its own (a table in a scrolling box leaves the
     * page its width but still makes the reader scroll). */
    async function overflowing(page, paths) {
        const wide = [];
        for (const p of paths) {
            await B.goto(page, env.srv.url + p);
            const w = await page.evaluate(() => document.documentElement.scrollWidth);
            if (w > WIDTH) wide.push(`${p} (${w} px)`);
            const boxes = await page.evaluate(() => [...document.querySelectorAll('main *')]
                .filter((e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)
                .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${e.scrollWidth}/${e.clientWidth} px`));
            if (boxes.length) wide.push(`${p}: ${boxes.join(', ')}`);
        }
        return wide;
    }

    it('no portal page scrolls sideways, French and English, with and without JavaScript', async () => {
        for (const javaScriptEnabled of [true, false]) {
            const page = await env.newPage({ javaScriptEnabled, viewport: { width: WIDTH, height: 844 } });
            const paths = PAGES.concat(PAGES.map((p) => p + (p.includes('?') ? '&' : '?') + 'lang=en'));
            assert.deepEqual(await overflowing(page, paths), [], `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`);
            await page.context().close();
        }
    });

    it('the first screen shows «Signaler un problème» and the three procedures most asked for, on a phone and a desktop', async () => {
        for (const [width, height] of [[WIDTH, 844], [1366, 900]]) {
            for (const javaScriptEnabled of [true, false]) {
                for (const lang of ['', '?lang=en']) {
                    const what = `${width} × ${height}, JavaScript ${javaScriptEnabled ? 'on' : 'off'} ${lang}`;
                    const page = await env.newPage({ javaScriptEnabled, viewport: { width, height } });
                    await B.goto(page, env.srv.url + '/' + lang);
                    const report = page.locator(`a.btn--report[href="/signaler${lang}"]`);
                    const shortcuts = page.locator('ul.shortcuts a.shortcut');
                    assert.equal(await shortcuts.count(), 3, what);
                    for (const link of [report, shortcuts.nth(0), shortcuts.nth(1), shortcuts.nth(2)]) {
                        const box = await link.boundingBox();
                        assert.ok(box && box.y >= 0 && box.y + box.height <= height,
                                  `${what}: «${await link.innerText()}» ends at ${box && box.y + box.height} px`);
                    }
                    /* The icons are drawn: the sprite loaded and holds the names the page uses. */
                    const drawn = await page.evaluate(() => [...document.querySelectorAll('.shortcuts svg.icon use')]
                        .map((u) => u.getBBox().width));
                    assert.ok(drawn.length === 3 && drawn.every((w) => w > 0), `${what}: icons ${drawn}`);
                    await page.context().close();
                }
            }
        }
    });

    it('the menu folds behind «Menu» on a phone, without JavaScript too, and is a row of links on a desktop', async () => {
        for (const javaScriptEnabled of [true, false]) {
            const page = await env.newPage({ javaScriptEnabled, viewport: { width: WIDTH, height: 844 } });
            await B.goto(page, env.srv.url + '/');
            const menu = page.locator('header nav.site-nav--narrow summary');
            assert.ok(await menu.isVisible(), '«Menu» is shown');
            const track = page.locator('header nav.site-nav--narrow a[href="/suivi"]');
            assert.equal(await track.isVisible(), false, 'the links are folded');
            assert.equal(await page.locator('header nav.site-nav--wide').isVisible(), false);
            await menu.click();
            assert.ok(await track.isVisible(), 'the links once «Menu» is pressed');
            await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), track.click()]);
            assert.equal(new URL(page.url()).pathname, '/suivi');
            await page.context().close();
        }
        const wide = await env.newPage({ viewport: { width: 1280, height: 900 } });
        await B.goto(wide, env.srv.url + '/');
        assert.ok(await wide.locator('header nav.site-nav--wide a[href="/suivi"]').isVisible());
        assert.equal(await wide.locator('header nav.site-nav--narrow').isVisible(), false);
        await wide.context().close();
    });

    it('nor the agents\' pages a field agent opens on a phone: inbox, a request, the field view, intake, caller lookup', async () => {
        const FB = require('./bo_flows');
        const agent = FB.addAgent(env.srv, { email: 'etroit@ville-demo.test', name: 'Agent Étroit', role: 'agent', departments: ['voirie'] });
        const page = await env.newPage({ viewport: { width: WIDTH, height: 844 } });
        await FB.loginPage(page, env.srv, agent);
        const ref = env.srv.sql("SELECT r.reference FROM requests r JOIN departments d ON d.id = r.department_id WHERE d.code = 'voirie' LIMIT 1").trim();
        assert.ok(ref, 'a voirie request of the demo');
        const caller = await FB.fileRequest(env.srv, { service: 'nid-de-poule', tag: 'etroit-appel' });
        assert.deepEqual(await overflowing(page, ['/agent/', '/agent/?onglet=service', `/agent/demandes/${ref}`,
                                                  '/agent/terrain', '/agent/saisie', '/agent/appel',
                                                  `/agent/appel?tel=${encodeURIComponent(caller.phone)}`]), []);
        await page.context().close();
    });

    it('the back office menu folds behind «Menu» on a phone, without JavaScript too, and is a row of links on a desktop', async () => {
        const FB = require('./bo_flows');
        const agent = FB.addAgent(env.srv, { email: 'menu.etroit@ville-demo.test', name: 'Agent Menu', role: 'agent', departments: ['voirie'] });
        for (const javaScriptEnabled of [true, false]) {
            const page = await env.newPage({ javaScriptEnabled, viewport: { width: WIDTH, height: 844 } });
            await FB.loginPage(page, env.srv, agent);
            await B.goto(page, env.srv.url + '/agent/');
            const menu = page.locator('header nav.site-nav--narrow summary');
            assert.ok(await menu.isVisible(), '«Menu» is shown');
            const field = page.locator('header nav.site-nav--narrow a[href="/agent/terrain"]');
            assert.equal(await field.isVisible(), false, 'the links are folded');
            assert.equal(await page.locator('header nav.site-nav--wide').isVisible(), false);
            await menu.click();
            assert.ok(await field.isVisible(), 'the links once «Menu» is pressed');
            assert.ok(await page.locator('header nav.site-nav--narrow .bo-nav__logout button').isVisible(), 'and the logout button');
            await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), field.click()]);
            assert.equal(new URL(page.url()).pathname, '/agent/terrain');
            await page.context().close();
        }
        const wide = await env.newPage({ viewport: { width: 1366, height: 900 } });
        await FB.loginPage(wide, env.srv, agent);
        await B.goto(wide, env.srv.url + '/agent/');
        assert.ok(await wide.locator('header nav.site-nav--wide a[href="/agent/terrain"]').isVisible());
        assert.equal(await wide.locator('header nav.site-nav--narrow').isVisible(), false);
        await wide.context().close();
    });

    it('the menu bar lines up with the content, portal and back office, at 1366 and 390 pixels', async () => {
        const FB = require('./bo_flows');
        const agent = FB.addAgent(env.srv, { email: 'alignement@ville-demo.test', name: 'Agent Aligné', role: 'agent', departments: ['voirie'] });
        for (const width of [1366, WIDTH]) {
            const page = await env.newPage({ viewport: { width, height: 900 } });
            const left = (sel) => page.locator(sel).first().evaluate((e) => Math.round(e.getBoundingClientRect().left));
            const menuSel = width > 640 ? 'header nav.site-nav--wide li:first-child a' : 'header nav.site-nav--narrow summary';
            await B.goto(page, env.srv.url + '/suivi');
            assert.equal(await left(menuSel), await left('main h1'), `portal at ${width} px`);
            await FB.loginPage(page, env.srv, agent);
            await B.goto(page, env.srv.url + '/agent/');
            assert.equal(await left(menuSel), await left('main h1'), `back office at ${width} px`);
            await page.context().close();
        }
    });

    it('the field view: one card per request, its actions behind «Agir», a photo sent becomes its thumbnail, no sideways scroll (without JavaScript)', async () => {
        const FB = require('./bo_flows');
        const agent = FB.addAgent(env.srv, { email: 'terrain.etroit@ville-demo.test', name: 'Agent Terrain', role: 'agent', departments: ['voirie'] });
        const near = await FB.fileRequest(env.srv, { service: 'nid-de-poule', lat: '45.7641', long: '4.8358' });
        const page = await env.newPage({ javaScriptEnabled: false, viewport: { width: WIDTH, height: 844 } });
        await FB.loginPage(page, env.srv, agent);
        const here = '/agent/terrain?lat=45.7640&long=4.8357&rayon=250';
        await B.goto(page, env.srv.url + here);
        const card = page.locator(`#d-${near.reference}`);
        assert.match(await card.innerText(), /Description témoin/, 'the card shows the description');
        assert.equal(await card.locator('img').count(), 0, 'no photo yet, no thumbnail');
        const note = page.locator(`#note-${near.reference}`);
        assert.equal(await note.isVisible(), false, 'the actions are folded');
        assert.deepEqual(await overflowing(page, [here]), []);
        await card.locator('details.field-card__act > summary').click();
        assert.ok(await note.isVisible(), '«Agir» unfolds them');
        const photo = await B.makeJpeg(page, env.srv.dir);
        await page.locator(`#photo-${near.reference}`).setInputFiles({ name: photo.name, mimeType: photo.mimeType, buffer: photo.buffer });
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), card.locator('button[name=action][value=photo]').click()]);
        assert.match(new URL(page.url()).search, /fait=photo/);
        const thumb = page.locator(`#d-${near.reference} img`);
        assert.match(await thumb.getAttribute('src'), /\?miniature=1$/);
        assert.ok(await thumb.evaluate((i) => i.complete && i.naturalWidth > 0), 'the thumbnail loads');
        assert.equal(await page.evaluate(() => document.documentElement.scrollWidth) <= WIDTH, true, 'no sideways scroll with a thumbnail');
        /* Nothing to send: the card comes back unfolded beside the message, the others folded. */
        await page.locator(`#d-${near.reference} details.field-card__act > summary`).click();
        const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                         page.locator(`#d-${near.reference} button[name=action][value=photo]`).click()]);
        assert.equal(res.status(), 400);
        assert.ok(await page.locator(`#note-${near.reference}`).isVisible(), 'the refused card is unfolded');
        assert.ok(await page.locator('.error-summary').isVisible());
        await page.context().close();
    });

    it('nor the confirmation, the receipt and the tracking page of a request filed on the phone', async () => {
        const page = await env.newPage({ viewport: { width: WIDTH, height: 844 } });
        const filed = await F.fileDemarche(page, env.srv, 'question-generale', {
            email: 'telephone@example.org',
            text: 'Bonjour, depuis mon téléphone : une question sur les inscriptions scolaires.',
        });
        const token = encodeURIComponent(filed.token);
        const wide = await overflowing(page, [new URL(filed.url).pathname + new URL(filed.url).search,
            `/recu/${filed.reference}?jeton=${token}`, `/suivi/${filed.reference}?jeton=${token}`]);
        assert.deepEqual(wide, []);
        await page.context().close();
    });

    it('nor the home page of a citizen with requests: «Vos dernières demandes» as cards, French and English', async () => {
        const email = 'cartes.usager@example.org';
        const page = await env.newPage({ javaScriptEnabled: false, viewport: { width: WIDTH, height: 844 } });
        await F.signUp(page, env.srv, email);
        await F.fileDemarche(page, env.srv, 'question-generale', { email, text: 'Une question posée depuis un téléphone.' });
        for (const lang of ['', '?lang=en']) {
            await B.goto(page, env.srv.url + '/' + lang);
            const row = page.locator('main table.table--cards tbody tr').first();
            assert.ok(await row.count(), `the latest requests ${lang}`);
            const labels = await row.locator('td').evaluateAll((tds) => tds.map((td) => getComputedStyle(td, '::before').content));
            assert.deepEqual(labels, ['none', 'none', '"Date"', lang ? '"Status"' : '"Statut"'], `the values are labelled ${lang}`);
        }
        assert.deepEqual(await overflowing(page, ['/', '/?lang=en']), []);
        await page.context().close();
    });

    /* The number of rows of the page's tables (main). */
    const tableRows = (page) => page.locator('main table tbody tr').count();

    it('the back office\'s lists are cards on a phone, with rows in every tab of the inbox, and dense tables on a desktop', async () => {
        const FB = require('./bo_flows');
        const agent = FB.addAgent(env.srv, { email: 'cartes.etroit@ville-demo.test', name: 'Agent Cartes', role: 'agent', departments: ['voirie'] });
        const admin = FB.addAgent(env.srv, { email: 'cartes.admin@ville-demo.test', name: 'Admin Cartes', role: 'admin' });
        const filed = [];
        for (let i = 0; i < 3; i++) filed.push(await FB.fileRequest(env.srv, { service: 'nid-de-poule' }));
        const page = await env.newPage({ javaScriptEnabled: false, viewport: { width: WIDTH, height: 844 } });
        await FB.loginPage(page, env.srv, agent);
        /* «Mes demandes» gets a row: the agent takes one of their service's requests. */
        await B.goto(page, env.srv.url + '/agent/?onglet=service');
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                           page.locator(`tr:has(a[href="/agent/demandes/${filed[0].reference}"]) button[data-take]`).click()]);
        const tabs = ['/agent/', '/agent/?onglet=moi', '/agent/?onglet=service', '/agent/?onglet=tout', '/agent/?vue=retard'];
        for (const tab of tabs) {
            await B.goto(page, env.srv.url + tab);
            assert.ok(await tableRows(page) > 0, `${tab} has rows`);
        }
        assert.deepEqual(await overflowing(page, tabs.concat([`/agent/demandes/${filed[0].reference}`])), []);
        await page.context().close();

        const lists = ['/agent/admin/agents', '/agent/admin/demarches', '/agent/admin/cles', '/agent/admin/services',
                       '/agent/admin/audit', '/agent/admin/conservation'];
        const phone = await env.newPage({ javaScriptEnabled: false, viewport: { width: WIDTH, height: 844 } });
        await FB.loginPage(phone, env.srv, admin);
        for (const list of lists) {
            await B.goto(phone, env.srv.url + list);
            assert.ok(await tableRows(phone) > 0, `${list} has rows`);
        }
        assert.deepEqual(await overflowing(phone, ['/agent/?onglet=tout', '/agent/admin/registre',
                                                   '/agent/admin/messagerie'].concat(lists)), []);
        /* A card: the reference first, its checkbox beside it and both at a thumb's size, each
         * value after its column's name. */
        await B.goto(phone, env.srv.url + '/agent/?onglet=tout');
        const row = phone.locator('table[data-inbox] tbody tr').first();
        const box = async (sel) => row.locator(sel).first().boundingBox();
        const check = await box('input[type=checkbox]');
        const link = await box('a[data-open]');
        assert.ok(check.width >= 24 && check.height >= 24, `the checkbox is ${check.width} × ${check.height} px`);
        assert.ok(link.height >= 44, `the reference's link is ${link.height} px high`);
        assert.ok(Math.abs(check.y + check.height / 2 - (link.y + link.height / 2)) < 4, 'the checkbox beside the reference');
        const labels = await row.locator('td').evaluateAll((tds) => tds.map((td) => getComputedStyle(td, '::before').content));
        assert.deepEqual(labels.slice(3), ['"Statut"', '"Usager"', '"Canal"', '"Déposée le"', '"Échéance"', '"Priorité"', '"Agent"']);
        const status = await box('.badge');
        const created = await row.locator('td[data-label="Déposée le"]').boundingBox();
        assert.ok(link.y < status.y && status.y < created.y, 'reference, then state, then dates');
        await phone.context().close();

        /* A desktop keeps the dense table: one line of cells per row under a visible header. */
        const desk = await env.newPage({ viewport: { width: 1366, height: 900 } });
        await FB.loginPage(desk, env.srv, admin);
        for (const path of ['/agent/?onglet=tout'].concat(lists.slice(0, 3))) {
            await B.goto(desk, env.srv.url + path);
            const table = desk.locator('main table').first();
            assert.equal(await table.evaluate((t) => getComputedStyle(t).display), 'table', path);
            assert.ok((await table.locator('thead th').last().boundingBox()).height > 10, `${path}: the header is shown`);
            const tops = await table.locator('tbody tr').first().locator('td').evaluateAll((tds) => tds.map((td) => Math.round(td.getBoundingClientRect().top)));
            assert.equal(new Set(tops).size, 1, `${path}: the cells of a row side by side (${tops})`);
        }
        await desk.context().close();
    });

    /* Last: the incidents it files would fill the field agent's inbox above. */
    it('the public incidents with photos and long texts: the list, an incident, nearby', async () => {
        const setup = await env.newPage();
        const { refs, lat, lon } = await F.publicIncidentsWithPhotos(env.srv, setup);
        await setup.context().close();
        for (const javaScriptEnabled of [true, false]) {
            const page = await env.newPage({ javaScriptEnabled, viewport: { width: WIDTH, height: 844 } });
            await B.goto(page, env.srv.url + '/signalements');
            /* The cards show their thumbnails, loaded, beside the text. */
            const photos = page.locator('main img.incident-card__photo');
            assert.ok(await photos.count() >= refs.length, 'the cards show their photos');
            await page.waitForFunction(() => [...document.querySelectorAll('main img.incident-card__photo')]
                .every((i) => i.complete && i.naturalWidth > 0));
            const box = await photos.first().boundingBox();
            assert.ok(box && box.width <= WIDTH / 3, `the thumbnail leaves the text room (${box && box.width} px)`);
            assert.deepEqual(await overflowing(page, ['/signalements', `/signalements/${refs[0]}`,
                                                      `/signalements/autour?lat=${lat}&lon=${lon}`,
                                                      '/signalements?lang=en']), [],
                             `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`);
            await page.context().close();
        }
    });
});
