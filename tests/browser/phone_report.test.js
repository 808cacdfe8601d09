'use strict';
/*
 * A pothole reported from a phone (390 × 844, JavaScript on), counted as the citizen lives it:
 * the screens from the home page to the confirmation and the taps on the way, the words typed
 * aside. The goal of the report flow: at most 4 screens and 8 taps. A tap is a click on
 * something of the page (a link, a button, a choice, the map, the photo picker); a screen is a
 * page the citizen sees (the scrolling each one needs is printed beside the count).
 *
 * The same walk checks what makes it short: «Signaler un problème» on the home page's first
 * screen, the category proposed from the words (no tap), and the categories in French order.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./flows');

const VIEWPORT = { width: 390, height: 844 };
const MAX_SCREENS = 4;
const MAX_TAPS = 8;

describe('a pothole reported from a phone', () => {
    let env;
    before(async () => {
        env = await B.start();
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it(`takes at most ${MAX_SCREENS} screens and ${MAX_TAPS} taps besides the text`, async () => {
        const page = await env.newPage({ viewport: VIEWPORT });
        let taps = 0;
        const screens = [];
        /* One screen per page; how far down the citizen scrolls to reach `target`, in screens. */
        async function onScreen(target) {
            const box = await target.boundingBox();
            assert.ok(box, 'the button to go on is not shown');
            const scrolled = Math.floor((box.y + box.height) / VIEWPORT.height);
            screens.push(`${new URL(page.url()).pathname}${scrolled ? ` (+${scrolled} scrolled)` : ''}`);
            return scrolled;
        }
        async function tap(locator) {
            taps++;
            await locator.scrollIntoViewIfNeeded();
            await locator.click();
        }
        async function tapAndLoad(locator) {
            taps++;
            await locator.scrollIntoViewIfNeeded();
            await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
            const err = await F.errorSummary(page);
            assert.equal(err, null, `errors at ${page.url()}: ${err && err.text}`);
        }

        await B.goto(page, env.srv.url + '/');
        const report = page.locator('main a[href^="/signaler"]').first();
        assert.equal(await onScreen(report), 0, '«Signaler un problème» is not on the home page\'s first screen');
        await tapAndLoad(report);

        /* The place: a tap on the map where the pothole is (the address list's combobox or
         * «Me localiser» do the same in one tap). */
        const map = page.locator('#map');
        await map.waitFor({ state: 'visible' });
        await page.locator('main input[name=address]').fill('12 rue Victor Hugo');
        await tap(map);
        assert.match(await page.locator('input[name=lat]').inputValue(), /^\d+\.\d+$/, 'the tap on the map placed no point');
        const next1 = page.locator('main form button[type=submit]:not([name]):not([aria-hidden=true])').first();
        assert.equal(await onScreen(next1), 0, "the place step's «Continuer» is not on its first screen");
        await tapAndLoad(next1);

        /* The problem: the photo (one tap on the picker), the words, and the category comes by
         * itself. The categories are listed in French order («Éclairage» among the E). */
        const labels = await page.locator('main fieldset:has(input[name=categorie]) label').allInnerTexts();
        const french = [...labels].sort((a, b) => a.localeCompare(b, 'fr', { sensitivity: 'base' }));
        assert.deepEqual(labels, french, 'the categories are not in French order');
        taps++;
        await page.locator('main input[type=file]').setInputFiles(await B.makeJpeg(page));
        await page.locator('main textarea[name=description]').fill('Un trou profond dans la chaussée devant le numéro 12, dangereux pour les vélos.');
        await page.waitForFunction(() => {
            const r = document.querySelector('input[name=categorie][value="nid-de-poule"]');
            return r && r.checked;
        }, null, { timeout: 5000 });
        const next2 = page.locator('main form button[type=submit]:not([name]):not([aria-hidden=true])').first();
        await onScreen(next2);
        await tapAndLoad(next2);

        /* Details and sending: the pothole's size, an e-mail, «Envoyer». */
        await tap(page.locator('main input[name="attribute[taille]"]').first());
        await page.locator('main input[type=email]').fill('telephone@example.org');
        const send = page.locator('main form button[type=submit]:not([name]):not([aria-hidden=true])').first();
        assert.match(await send.innerText(), /Envoyer/);
        await onScreen(send);
        await tapAndLoad(send);
        await F.confirmationOf(page);

        assert.ok(screens.length <= MAX_SCREENS, `${screens.length} screens: ${screens.join(', ')}`);
        assert.ok(taps <= MAX_TAPS, `${taps} taps`);
        process.stdout.write(`# phone report: ${screens.length} screens (${screens.join(', ')}), ${taps} taps\n`);
    });

    it('«OK» on the phone\'s keyboard sends each step forward, never a «Modifier» or a «retirer»', async () => {
        const page = await env.newPage({ viewport: VIEWPORT });
        const enter = async (locator) => {
            await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.press('Enter')]);
            const err = await F.errorSummary(page);
            assert.equal(err, null, `errors at ${page.url()}: ${err && err.text}`);
        };
        await B.goto(page, env.srv.url + '/demarches/nid-de-poule');
        await page.locator('main input[name=address]').fill('devant la poste');
        await enter(page.locator('main input[name=address]'));
        /* A photo kept: its «retirer» comes before «Continuer» in the form. */
        await page.locator('main input[type=file]').setInputFiles(await B.makeJpeg(page));
        await page.locator('main textarea[name=description]').fill('Un trou dans la chaussée.');
        await enter(page.locator('main input[name=categorie]:checked'));
        assert.match(await page.locator('main h2#etape').innerText(), /Précisions et envoi/);
        /* The summary's «Modifier» buttons come before «Envoyer». */
        await page.locator('main input[name="attribute[taille]"]').first().check();
        await page.locator('main input[type=email]').fill('entree@example.org');
        await enter(page.locator('main input[type=email]'));
        const filed = await F.confirmationOf(page);
        const photos = env.srv.sql(`SELECT count(*) FROM attachments a JOIN requests r ON r.id = a.request_id
                                    WHERE r.reference = '${filed.reference}'`).trim();
        assert.equal(photos, '1', 'the photo was removed on the way');
    });
});
