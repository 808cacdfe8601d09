'use strict';
/*
 * The place of a report on a phone (390 × 844, JavaScript on): the address field is a
 * combobox over the collectivité's address list (the words typed as a citizen types them,
 * the hits announced, chosen with the keyboard: the position travels hidden and the map
 * follows), and «Me localiser» names the address the phone is at. axe-core finds nothing to
 * say with the list open, and nothing scrolls sideways.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');

describe('the address of a report', () => {
    let env;
    before(async () => {
        env = await B.start();
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('is chosen among the address list as it is typed, with the keyboard', async () => {
        const page = await env.newPage({ viewport: { width: 390, height: 844 } });
        await B.goto(page, env.srv.url + '/signaler');
        const addr = page.locator('main input[name=address]');
        assert.equal(await addr.getAttribute('role'), 'combobox');
        await addr.click();
        await addr.pressSequentially('12 r de la paix', { delay: 20 });
        await page.waitForSelector('[role="option"]');
        const options = await page.locator('[role="option"]').allTextContents();
        assert.match(options[0], /^12 Rue de la Paix, 69999 Ville de Démo/);
        assert.equal(await addr.getAttribute('aria-expanded'), 'true');
        await B.assertAccessible(page, 'the address list open');
        await addr.press('ArrowDown');
        assert.ok(await addr.getAttribute('aria-activedescendant'), 'the option is not announced as active');
        await addr.press('Enter');
        assert.match(await addr.inputValue(), /^12 Rue de la Paix, 69999 Ville de Démo/);
        assert.match(await page.locator('#lat').inputValue(), /^45\.\d+$/);
        assert.match(await page.locator('#long').inputValue(), /^4\.\d+$/);
        assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390);
        /* Sent: the problem's step carries the place chosen. */
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                           page.locator('main form button[type=submit]:not([name]):not([aria-hidden=true])').first().click()]);
        assert.match(await page.locator('main input[name=address][type=hidden]').inputValue(), /^12 Rue de la Paix/);
    });

    it('«Me localiser» names the address the phone is at', async () => {
        const page = await env.newPage({ viewport: { width: 390, height: 844 } });
        await page.context().grantPermissions(['geolocation']);
        await page.context().setGeolocation({ latitude: 45.7679141, longitude: 4.8319057 });
        await B.goto(page, env.srv.url + '/signaler');
        const locate = page.locator('main [data-geolocate]');
        assert.ok(await locate.isVisible(), '«Me localiser» is not shown where the browser can locate');
        await locate.click();
        await page.waitForFunction(() => /Rue de la Paix/.test(document.querySelector('input[name=address]').value),
                                   null, { timeout: 10000 });
        assert.match(await page.locator('#lat').inputValue(), /^45\.76/);
        await B.assertAccessible(page, 'located');
    });
});
