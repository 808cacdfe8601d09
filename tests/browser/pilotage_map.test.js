'use strict';
/*
 * /agent/pilotage/carte in Chromium: axe-core (WCAG 2.1 A/AA) finds no violation on the map as
 * an élu first sees it, with every filter set, with errors, in English and as a manager;
 * without JavaScript on a 390-pixel phone, the map loads as an image (the CSP allows data:
 * images), fits the width and the page does not scroll sideways; the filters form, submitted
 * without JavaScript, puts them in the URL.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./bo_flows');

describe('/agent/pilotage/carte in a browser', () => {
    let env;
    let srv;
    const agents = {};
    let cookies; /* the élu's session */

    before(async () => {
        env = await B.start({ server: { requests: 120 } });
        srv = env.srv;
        agents.elected = F.addAgent(srv, { email: `carte.elu.${process.pid}@ville-demo.test`, name: 'Élu', role: 'elected' });
        agents.manager = F.addAgent(srv, { email: `carte.resp.${process.pid}@ville-demo.test`, name: 'Resp', role: 'manager', departments: ['voirie'] });
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('axe: default, every filter, errors, English, a manager', async () => {
        const page = await env.newPage();
        await F.loginPage(page, srv, agents.elected);
        cookies = await page.context().cookies();
        const states = [
            ['/agent/pilotage/carte?periode=annee', 200, 'this year'],
            ['/agent/pilotage/carte?periode=annee&canal=web&service=voirie&quartier=nord&statut=ouvertes', 200, 'every filter'],
            ['/agent/pilotage/carte?periode=dates&du=2026-13-01&au=&statut=perdu', 400, 'errors'],
            ['/agent/pilotage/carte?periode=annee&lang=en', 200, 'English'],
        ];
        for (const [path, status, label] of states) {
            const response = await B.goto(page, srv.url + path, status);
            await B.assertAccessible(page, `map ${label}`, { response });
        }
        await B.goto(page, srv.url + states[2][0], 400);
        assert.equal(await page.locator('.error-summary a[href="#statut"]').count(), 1);
        assert.equal(await page.locator('#statut').getAttribute('aria-invalid'), 'true');

        const mp = await env.newPage();
        await F.loginPage(mp, srv, agents.manager);
        const response = await B.goto(mp, srv.url + '/agent/pilotage/carte?periode=annee', 200);
        await B.assertAccessible(mp, 'map as a manager', { response });
    });

    it('without JavaScript on a phone: the map in the width, the filters in the URL', async () => {
        const page = await env.newPage({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
        await page.context().addCookies(cookies);
        await B.goto(page, srv.url + '/agent/pilotage/carte?periode=annee', 200);
        const widths = await page.evaluate(() => ({
            doc: document.documentElement.scrollWidth,
            map: document.querySelector('.pilotage-map img').getBoundingClientRect().right,
            natural: document.querySelector('.pilotage-map img').naturalWidth,
        }));
        assert.ok(widths.doc <= 390, `page ${widths.doc}px wide`);
        assert.ok(widths.map <= 390, `map ends at ${widths.map}px`);
        assert.ok(widths.natural > 0, 'the SVG image loads');
        await page.selectOption('#statut', 'cloturees');
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                           page.locator('main form button[type=submit]').click()]);
        assert.match(page.url(), /\/agent\/pilotage\/carte\?.*statut=cloturees/);
        assert.equal(await page.locator('#by-area-map tfoot td').first().textContent(), '0', 'no open request among the closed ones');
    });
});
