'use strict';
/*
 * The routing rules' pages in a real Chromium: /agent/admin/routage without rules, a rule
 * added through its form (and refused with its message and the error summary), the list with
 * its rule, the tester's answer, a request's page with «Re-router» and its outcome — axe-core
 * finds no WCAG 2.1 A/AA violation on any of them; and on a 390-pixel phone the page and its
 * tester's answer scroll no wider than the screen, the rules as cards.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./bo_flows');

const WIDTH = 390;

describe('the routing rules\' pages', () => {
    let env;
    let srv;
    let page;
    let last;
    let admin;
    const results = [];

    const check = async (label) => {
        const r = await B.assertAccessible(page, label, { response: last });
        results.push(`${label}: 0 violations, ${r.bytes} bytes`);
    };
    const go = async (path, status = 200) => {
        last = await B.goto(page, srv.url + path, status);
        return last;
    };
    const submit = async (form) => {
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                    page.locator(`${form} button[type=submit]`).last().click()]);
        return last;
    };

    before(async () => {
        env = await B.start({ server: { requests: 10 } });
        srv = env.srv;
        admin = F.addAgent(srv, { email: `routage.admin.${process.pid}@ville-demo.test`, name: 'Admin Routage', role: 'admin' });
        page = await env.newPage();
        await F.loginPage(page, srv, admin);
    });
    after(async () => {
        if (results.length) console.log(`axe results:\n  ${results.join('\n  ')}`);
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('without rules, a rule refused, then added and listed', async () => {
        await go('/agent/admin/routage');
        assert.ok(await page.getByText('Aucune règle').count());
        await check('routing, no rules');

        const rule = 'form[aria-labelledby="form-title"]';
        await page.locator('#nom').fill('Couleur inconnue');
        await page.selectOption('#procedure', 'nid-de-poule');
        await page.locator('#champ').fill('couleur');
        await page.locator('#valeur').fill('rouge');
        await page.selectOption('#service', 'voirie');
        await submit(rule);
        assert.equal(last.status(), 400);
        assert.equal(await page.locator('.error-summary a[href="#champ"]').count(), 1);
        assert.equal(await page.locator('#champ').getAttribute('aria-invalid'), 'true');
        assert.equal(await page.locator('#nom').inputValue(), 'Couleur inconnue');
        await check('routing, a rule refused');

        await page.locator('#nom').fill('Voirie nord');
        await page.locator('#champ').fill('');
        await page.locator('#valeur').fill('');
        await page.selectOption('#zone', 'named');
        await page.locator('#territoire').fill('voirie');
        await page.selectOption('#service', 'espaces-verts');
        await submit(rule);
        assert.equal(last.status(), 200);
        assert.match(new URL(page.url()).search, /fait=routing_saved/);
        const saved = page.locator('main table tbody tr', { hasText: 'Voirie nord' });
        assert.equal(await saved.count(), 1);
        /* The area by its name, its code beside it. */
        const areaName = srv.sql("SELECT name FROM areas WHERE kind = 'department' AND code = 'voirie';").trim();
        assert.ok(areaName, 'the demo has a department area coded voirie');
        assert.ok((await saved.innerText()).includes(`Lieu dans le territoire « ${areaName} (voirie) »`), await saved.innerText());
        await check('routing, with a rule');
    });

    it('the tester\'s answer', async () => {
        await go('/agent/admin/routage');
        await page.selectOption('#t_procedure', 'nid-de-poule');
        await page.locator('#t_lieu').fill('45.764, 4.8357');
        await submit('form[aria-labelledby="tester-titre"]');
        assert.equal(last.status(), 200);
        const result = await page.locator('#resultat').innerText();
        assert.match(result, /Routée par la règle « Voirie nord »/);
        await check('routing, the tester\'s answer');
    });

    it('a request\'s page offers «Re-router», and says what it did', async () => {
        const req = await F.fileRequest(srv, { service: 'depot-sauvage' });
        await go(`/agent/demandes/${req.reference}`);
        assert.equal(await page.locator('#rerouter button[type=submit]').count(), 1);
        await check('request with «Re-router»');
        await submit('#rerouter');
        assert.match(new URL(page.url()).search, /fait=rerouter/);
        assert.ok(await page.locator('.notice').count());
        await check('request after «Re-router»');
    });

    it('on a 390-pixel phone, nothing scrolls sideways', async () => {
        const phone = await env.newPage({ javaScriptEnabled: false, viewport: { width: WIDTH, height: 844 } });
        await F.loginPage(phone, srv, admin);
        const wide = [];
        for (const p of ['/agent/admin/routage', '/agent/admin/routage?t_procedure=nid-de-poule&t_lieu=45.764%2C+4.8357',
                         '/agent/admin/routage?modifier=1']) {
            await B.goto(phone, srv.url + p);
            const w = await phone.evaluate(() => document.documentElement.scrollWidth);
            if (w > WIDTH) wide.push(`${p} (${w} px)`);
            const boxes = await phone.evaluate(() => [...document.querySelectorAll('main *')]
                .filter((e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)
                .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${e.scrollWidth}/${e.clientWidth} px`));
            if (boxes.length) wide.push(`${p}: ${boxes.join(', ')}`);
        }
        assert.deepEqual(wide, []);
        await phone.context().close();
    });
});
