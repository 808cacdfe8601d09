'use strict';
/*
 * A form with a condition in a real Chromium (issue 13, «Forms»): with JavaScript, the
 * question a «oui» shows appears at once, without a page load, and goes again with «non»;
 * the page tells the server what it showed, so «Continuer» moves on. axe-core finds no
 * violation on the form (question hidden and shown), on the editor with its history of
 * versions and on an old version; on a 390-pixel phone nothing scrolls sideways.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const BO = require('./bo_flows');

const CODE = 'salle-conditions';
const FORM = [
    { code: 'demandeur', datatype: 'section', description: 'Le demandeur', datatype_description: 'Qui réserve la salle' },
    { code: 'asso', datatype: 'yesno', required: true, description: 'Réservez-vous pour une association ?' },
    { code: 'siret', datatype: 'string', format: 'siret', required: true, description: 'SIRET de l’association',
      show_if: { field: 'asso', equals: 'oui' } },
    { code: 'objet', datatype: 'singlevaluelist', required: true, description: 'Objet',
      values: [{ key: 'fete', name: 'Fête familiale' }, { key: 'autre', name: 'Autre' }] },
];

describe('a form with a condition, in a browser', () => {
    let env;
    let admin;
    let last;
    const results = [];
    const check = async (p, label) => {
        const r = await B.assertAccessible(p, label, { response: last });
        results.push(`${label}: 0 violations, ${r.bytes} bytes`);
    };

    before(async () => {
        env = await B.start({ server: { requests: 0 } });
        admin = BO.addAgent(env.srv, { email: `forms.admin.${process.pid}@ville-demo.test`, name: 'Admin Conditions', role: 'admin' });
        const client = await BO.login(env.srv, admin);
        await client.get('/agent/admin/demarches/nouvelle');
        const saved = await client.post('/agent/admin/demarches/nouvelle', {
            code: CODE, name: 'Réserver une salle', kind: 'demarche', department: 'voirie', delay_days: '10',
            active: '1', open311: '1', open311_detail: 'full', attributes: JSON.stringify(FORM),
        });
        assert.equal(saved.status, 303, BO.textOf(saved.text).slice(0, 500));
        /* A second version, so that the history has two rows. */
        await client.get(`/agent/admin/demarches/${CODE}`);
        const again = await client.post(`/agent/admin/demarches/${CODE}`, {
            name: 'Réserver une salle', kind: 'demarche', department: 'voirie', delay_days: '10', active: '1',
            open311: '1', open311_detail: 'full', version_summary: 'Objet reformulé',
            attributes: JSON.stringify(FORM.map((a) => (a.code === 'objet' ? Object.assign({}, a, { description: 'Objet de la réservation' }) : a))),
        });
        assert.equal(again.status, 303);
    });
    after(async () => {
        if (results.length) console.log(`axe results:\n  ${results.join('\n  ')}`);
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('with JavaScript, «oui» shows the SIRET at once and «non» hides it; axe clean both ways', async () => {
        const page = await env.newPage();
        last = await B.goto(page, `${env.srv.url}/demarches/${CODE}`);
        const siret = page.locator('#attr-siret');
        assert.equal(await siret.isVisible(), false);
        await check(page, 'form, question hidden');
        const url = page.url();
        await page.getByLabel('Oui').check();
        assert.equal(await siret.isVisible(), true, 'the SIRET appears at once');
        assert.equal(page.url(), url, 'without a page load');
        assert.equal(await page.locator('input[name=questions_affichees]').inputValue(), 'siret');
        await check(page, 'form, question shown');
        await page.getByLabel('Non').check();
        assert.equal(await siret.isVisible(), false);
        assert.equal(await page.locator('input[name=questions_affichees]').inputValue(), '');
        await page.getByLabel('Oui').check();
        await siret.fill('123 456 782 00010');
        await page.getByLabel('Fête familiale').check();
        await page.locator('#description').fill('Assemblée générale de l’association.');
        await page.locator('#email').fill('asso@exemple.fr');
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('main form .form-actions button[type=submit]').last().click()]);
        const text = await page.locator('main').innerText();
        assert.match(text, /Vérification/, 'shown at once, so «Continuer» moves on to the review');
        assert.match(text, /12345678200010|123 456 782 00010/);
        assert.deepEqual(page.consoleErrors, []);
    });

    it('on a 390-pixel phone the form does not scroll sideways', async () => {
        const page = await env.newPage({ viewport: { width: 390, height: 844 } });
        await B.goto(page, `${env.srv.url}/demarches/${CODE}`);
        await page.getByLabel('Oui').check();
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= 390, `the page is ${w} px wide`);
    });

    it('the editor with its history of versions and an old version: axe clean, narrow without sideways scroll', async () => {
        const page = await env.newPage();
        await BO.loginPage(page, env.srv, admin);
        last = await B.goto(page, `${env.srv.url}/agent/admin/demarches/${CODE}`);
        const history = await page.locator('#versions-titre + p + .table-scroll').innerText();
        assert.match(history, /Objet reformulé/);
        assert.match(history, /Admin Conditions/);
        await check(page, 'procedure editor with history');
        last = await B.goto(page, `${env.srv.url}/agent/admin/demarches/${CODE}/versions/1`);
        assert.equal((await page.locator('h1').innerText()).trim(), 'Version 1 du formulaire');
        await check(page, 'old version of a form');
        await page.setViewportSize({ width: 390, height: 844 });
        for (const path of [`/agent/admin/demarches/${CODE}`, `/agent/admin/demarches/${CODE}/versions/1`]) {
            await B.goto(page, env.srv.url + path);
            const w = await page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(w <= 390, `${path} is ${w} px wide`);
        }
    });
});
