'use strict';
/*
 * A location question and the editor's preview in a real Chromium (issue 13, «Forms» and
 * «Editing»). On the portal the question's address is the report's combobox: typed, the
 * address list answers, a choice fills the question's own hidden position. In the editor,
 * «Prévisualiser» shows the definition being edited below it, lands on the preview, and
 * saves nothing. axe-core finds no violation on either page; on a 390-pixel phone nothing
 * scrolls sideways.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const BO = require('./bo_flows');

const CODE = 'fete-lieu';
const FORM = [
    { code: 'lieu', datatype: 'location', required: true, description: 'Lieu de la fête',
      datatype_description: 'L’adresse, ou un lieu-dit' },
    { code: 'buvette', datatype: 'yesno', required: true, description: 'Y aura-t-il une buvette ?' },
    { code: 'licence', datatype: 'string', required: true, description: 'Numéro de la licence',
      show_if: { field: 'buvette', equals: 'oui' } },
];

describe('a location question and the preview of a form, in a browser', () => {
    let env;
    let admin;
    const results = [];
    const check = async (p, label, response) => {
        const r = await B.assertAccessible(p, label, { response });
        results.push(`${label}: 0 violations, ${r.bytes} bytes`);
    };
    const width = (page) => page.evaluate(() => document.documentElement.scrollWidth);

    before(async () => {
        env = await B.start({ server: { requests: 0 } });
        admin = BO.addAgent(env.srv, { email: `lieu.admin.${process.pid}@ville-demo.test`, name: 'Admin Lieux', role: 'admin' });
        const client = await BO.login(env.srv, admin);
        await client.get('/agent/admin/demarches/nouvelle');
        const saved = await client.post('/agent/admin/demarches/nouvelle', {
            code: CODE, name: 'Déclarer une fête', kind: 'demarche', department: 'voirie', delay_days: '10',
            active: '1', open311: '1', open311_detail: 'full', attributes: JSON.stringify(FORM),
        });
        assert.equal(saved.status, 303, BO.textOf(saved.text).slice(0, 500));
    });
    after(async () => {
        if (results.length) console.log(`axe results:\n  ${results.join('\n  ')}`);
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('the place is chosen in the address list as it is typed; axe clean, narrow', async () => {
        const page = await env.newPage({ viewport: { width: 390, height: 844 } });
        const first = await B.goto(page, `${env.srv.url}/demarches/${CODE}`);
        await check(page, 'form with a location question', first);
        const addr = page.locator('#attr-lieu');
        assert.equal(await addr.getAttribute('role'), 'combobox');
        await addr.click();
        await addr.pressSequentially('12 r victor hugo', { delay: 20 });
        await page.waitForSelector('[role="option"]');
        assert.match((await page.locator('[role="option"]').allTextContents())[0], /^12 Rue Victor Hugo, 69999 Ville de Démo/);
        await check(page, 'location question, the address list open');
        await addr.press('ArrowDown');
        await addr.press('Enter');
        assert.match(await addr.inputValue(), /^12 Rue Victor Hugo, 69999 Ville de Démo/);
        assert.match(await page.locator('#attr-lieu-lat').inputValue(), /^45\.\d+$/);
        assert.match(await page.locator('#attr-lieu-lon').inputValue(), /^4\.\d+$/);
        assert.equal(await page.locator('#attr-lieu-pour').inputValue(), await addr.inputValue());
        assert.ok(await width(page) <= 390, 'the form scrolls sideways');
        await page.getByLabel('Non').check();
        await page.locator('#email').fill('fete@exemple.fr');
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                           page.locator('main form .form-actions button[type=submit]').last().click()]);
        const text = await page.locator('main').innerText();
        assert.match(text, /Vérification/);
        assert.match(text, /12 Rue Victor Hugo, 69999 Ville de Démo/);
        assert.deepEqual(page.consoleErrors, []);
    });

    it('«Prévisualiser» shows the unsaved form below the editor; axe clean, narrow; nothing saved', async () => {
        const page = await env.newPage();
        await BO.loginPage(page, env.srv, admin);
        await B.goto(page, `${env.srv.url}/agent/admin/demarches/${CODE}`);
        const edited = [...FORM, { code: 'horaire', datatype: 'singlevaluelist', description: 'Horaire de fin',
                                   values: [{ key: 'minuit', name: 'Avant minuit' }, { key: 'tard', name: 'Après minuit' }] }];
        await page.locator('#attributes-expert > summary').click(); /* the JSON editor is folded */
        await page.locator('#attributes').fill(JSON.stringify(edited, null, 1));
        const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                              page.getByRole('button', { name: 'Prévisualiser' }).click()]);
        assert.equal(response.status(), 200);
        assert.equal(new URL(page.url()).hash, '#apercu', 'the page lands on the preview');
        const preview = page.locator('#apercu');
        assert.ok(await preview.isVisible());
        assert.ok(await preview.getByLabel('Avant minuit').isVisible(), 'the new question is in the preview');
        assert.ok(await preview.locator('#attr-licence').isVisible(), 'a conditional question is shown');
        assert.match(await preview.innerText(), /Affiché si la réponse à « Y aura-t-il une buvette \? » est « Oui »\./);
        await check(page, 'procedure editor with a preview', response);
        await page.setViewportSize({ width: 390, height: 844 });
        assert.ok(await width(page) <= 390, 'the editor with its preview scrolls sideways');
        assert.match(await page.locator('#attributes').inputValue(), /Avant minuit/, 'what was typed is kept');
        const portal = await env.newPage();
        await B.goto(portal, `${env.srv.url}/demarches/${CODE}`);
        assert.equal(await portal.getByText('Horaire de fin').count(), 0, 'the preview saved the form');
    });
});
