'use strict';
/*
 * /agent/pilotage in Chromium: axe-core (WCAG 2.1 A/AA) finds no violation on the page as an
 * élu first sees it, with every filter set, with errors, in English, with the monthly
 * report's month refused, and as a manager (with the table per agent, which an élu's page
 * does not have); without JavaScript on a 390-pixel phone, the chart fits the width and the
 * page does not scroll sideways; printed, the filters and the navigation are gone and the tables stay. The
 * administrator's costs per channel (/agent/admin/couts), as given and with every amount
 * wrong, and the dashboard's savings once they are given.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./bo_flows');

describe('/agent/pilotage in a browser', () => {
    let env;
    let srv;
    const agents = {};
    let cookies; /* the élu's session, shared by the pages below: one login, one TOTP code */
    const asElected = async (opts) => {
        const page = await env.newPage(opts);
        await page.context().addCookies(cookies);
        return page;
    };

    before(async () => {
        env = await B.start({ server: { requests: 60 } });
        srv = env.srv;
        agents.elected = F.addAgent(srv, { email: `pil.elu.${process.pid}@ville-demo.test`, name: 'Élue', role: 'elected' });
        agents.manager = F.addAgent(srv, { email: `pil.resp.${process.pid}@ville-demo.test`, name: 'Resp', role: 'manager', departments: ['voirie'] });
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('axe: default, every filter, errors, English, a manager', async () => {
        const page = await env.newPage();
        await F.loginPage(page, srv, agents.elected);
        cookies = await page.context().cookies();
        const states = [
            ['/agent/pilotage', 200, 'default (30 days)'],
            ['/agent/pilotage?periode=annee&granularite=semaine&canal=web&service=voirie', 200, 'every filter'],
            ['/agent/pilotage?periode=dates&du=2026-13-01&au=&canal=pigeon&granularite=heure', 400, 'errors'],
            ['/agent/pilotage?lang=en', 200, 'English'],
            ['/agent/pilotage/rapport.pdf?mois=2026-13&canal=web', 400, 'the monthly report\'s month refused'],
        ];
        for (const [path, status, label] of states) {
            const response = await B.goto(page, srv.url + path, status);
            await B.assertAccessible(page, `pilotage ${label}`, { response });
        }
        /* The error summary's links lead to the fields. */
        await B.goto(page, srv.url + states[2][0], 400);
        assert.ok(await page.locator('.error-summary a[href="#du"]').count() === 1);
        assert.equal(await page.locator('#du').getAttribute('aria-invalid'), 'true');
        await B.goto(page, srv.url + states[4][0], 400);
        assert.ok(await page.locator('.error-summary a[href="#mois"]').count() === 1);
        assert.equal(await page.locator('#mois').getAttribute('aria-invalid'), 'true');
        assert.equal(await page.locator('#mois').inputValue(), '2026-13', 'what was typed is kept');

        const mp = await env.newPage();
        await F.loginPage(mp, srv, agents.manager);
        const response = await B.goto(mp, srv.url + '/agent/pilotage', 200);
        await B.assertAccessible(mp, 'pilotage as a manager', { response });
        /* Over a year, the table per agent has named agents (a manager's only): checked too. */
        const day = (ms) => new Date(ms).toISOString().slice(0, 10);
        const year = `/agent/pilotage?periode=dates&du=${day(Date.now() - 364 * 86400e3)}&au=${day(Date.now())}`;
        const yr = await B.goto(mp, srv.url + year, 200);
        const labels = await mp.locator('#by-agent tbody th[scope="row"]').allTextContents();
        assert.ok(labels.some((l) => !/Non assignées|Assignées à d’autres agents/.test(l)), `an agent by name: ${labels}`);
        await B.assertAccessible(mp, 'pilotage as a manager, with the table per agent', { response: yr });
        await B.goto(page, srv.url + year, 200);
        assert.equal(await page.locator('#by-agent').count(), 0, 'no table per agent for an élu');
    });

    it('axe: the costs per channel, with wrong amounts, then the savings on the dashboard', async () => {
        const admin = F.addAgent(srv, { email: `pil.admin.${process.pid}@ville-demo.test`, name: 'Admin', role: 'admin' });
        const page = await env.newPage();
        await F.loginPage(page, srv, admin);
        let response = await B.goto(page, srv.url + '/agent/admin/couts', 200);
        await B.assertAccessible(page, 'admin costs', { response });
        await page.fill('#cost_counter', 'douze');
        await page.fill('#cost_web', '1');
        [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                        page.locator('main form button[type=submit]').click()]);
        assert.equal(response.status(), 400);
        assert.equal(await page.locator('#cost_counter').getAttribute('aria-invalid'), 'true');
        await B.assertAccessible(page, 'admin costs with errors', { response });
        await page.fill('#cost_counter', '12');
        for (const ch of ['mobile', 'email', 'sms', 'phone', 'post', 'api']) await page.fill(`#cost_${ch}`, '1');
        [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                        page.locator('main form button[type=submit]').click()]);
        assert.equal(response.status(), 200, 'back on the page with «fait»');
        response = await B.goto(page, srv.url + '/agent/pilotage?periode=annee', 200);
        assert.equal(await page.locator('#channel-shift tfoot').count(), 1);
        await B.assertAccessible(page, 'pilotage with the savings', { response });
    });

    /* axe-core runs as a script, so it checks the pages above with JavaScript on; the markup is
     * the same without it. */
    it('without JavaScript on a phone: no sideways scroll, the chart in the width', async () => {
        const page = await asElected({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
        await B.goto(page, srv.url + '/agent/pilotage?periode=annee&granularite=mois', 200);
        const widths = await page.evaluate(() => ({
            doc: document.documentElement.scrollWidth,
            chart: document.querySelector('.pilotage-chart img').getBoundingClientRect().right,
            natural: document.querySelector('.pilotage-chart img').naturalWidth,
        }));
        assert.ok(widths.doc <= 390, `page ${widths.doc}px wide`);
        assert.ok(widths.chart <= 390, `chart ends at ${widths.chart}px`);
        assert.ok(widths.natural > 0, 'the SVG image loads (CSP allows data: images)');
    });

    it('printed: no filters nor navigation, the tables kept', async () => {
        const page = await asElected();
        await B.goto(page, srv.url + '/agent/pilotage?periode=annee', 200);
        await page.emulateMedia({ media: 'print' });
        assert.equal(await page.locator('form.pilotage-filters').isVisible(), false);
        assert.equal(await page.locator('.bo-nav').first().isVisible(), false);
        for (const id of ['volumes', 'by-channel', 'by-procedure', 'by-department'])
            assert.equal(await page.locator(`#${id}`).isVisible(), true, id);
        assert.equal(await page.locator('.pilotage-chart img').isVisible(), true);
    });
});
