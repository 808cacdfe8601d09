'use strict';
/*
 * The form builder in a real Chromium (issue 13): an administrator opens it from the
 * procedure's page, builds a small form question by question (a choice list from lines, a
 * question shown on one of its answers, a yes/no), sees one save refused with its error
 * summary linked to the field, moves a question, and a citizen files the form on the portal
 * (the conditional question asked after its answer). axe-core finds no WCAG 2.1 A/AA
 * violation on the builder's list, a question's page (refused too); on a 390-pixel phone
 * neither scrolls sideways.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const BO = require('./bo_flows');
const F = require('./flows');

const CODE = 'composteur';
const WIDTH = 390;

describe('the form builder, in a browser', () => {
    let env;
    let page;
    let last;
    const results = [];
    const check = async (label) => {
        const r = await B.assertAccessible(page, label, { response: last });
        results.push(`${label}: 0 violations, ${r.bytes} bytes`);
    };
    const width = () => page.evaluate(() => document.documentElement.scrollWidth);
    const click = async (locator) => {
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
        return last;
    };
    const narrow = async (label) => {
        const size = page.viewportSize();
        await page.setViewportSize({ width: WIDTH, height: 844 });
        assert.ok(await width() <= WIDTH, `${label} scrolls sideways at ${WIDTH} px`);
        await page.setViewportSize(size);
    };

    before(async () => {
        env = await B.start({ server: { requests: 0 } });
        const admin = BO.addAgent(env.srv, { email: `builder.admin.${process.pid}@ville-demo.test`, name: 'Admin Formulaires', role: 'admin' });
        const client = await BO.login(env.srv, admin);
        await client.get('/agent/admin/demarches/nouvelle');
        const saved = await client.post('/agent/admin/demarches/nouvelle', {
            code: CODE, name: 'Demander un composteur', kind: 'demarche', department: 'voirie', delay_days: '10',
            active: '1', open311: '1', open311_detail: 'full', attributes: '[]',
        });
        assert.equal(saved.status, 303, BO.textOf(saved.text).slice(0, 500));
        page = await env.newPage();
        await BO.loginPage(page, env.srv, admin);
    });
    after(async () => {
        if (results.length) console.log(`axe results:\n  ${results.join('\n  ')}`);
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    const addQuestion = async (kind, after = '') => {
        await page.selectOption('#type', kind);
        if (after) await page.selectOption('#apres', after);
        await click(page.getByRole('button', { name: 'Ajouter une question' }));
        assert.equal(last.status(), 200);
    };
    const save = async (status = 303) => {
        await click(page.getByRole('button', { name: 'Enregistrer la question' }));
        /* A redirect lands on the list (200); a refusal answers the page again. */
        assert.equal(last.status(), status === 303 ? 200 : status);
    };

    it('builds a small form question by question; axe clean, narrow', async () => {
        last = await B.goto(page, `${env.srv.url}/agent/admin/demarches/${CODE}`);
        await click(page.getByRole('link', { name: 'Modifier le formulaire question par question' }));
        assert.match(page.url(), /\/formulaire$/);
        await check('form builder, empty');
        await narrow('the empty builder');

        await addQuestion('singlevaluelist');
        await check('form builder, a new choice question');
        await narrow('a new question');
        await page.locator('#label').fill('Type de logement');
        await page.locator('#values').fill('maison | Maison avec jardin\nappartement | Appartement\nautre | Autre');
        await page.locator('#required').check();
        await save();
        assert.match(await page.locator('.notice').innerText(), /Le formulaire est enregistré/);

        /* Refused: no label. The summary links to the field, what was typed is kept. */
        await addQuestion('string', 'type_de_logement');
        await page.selectOption('#show_field', 'type_de_logement');
        await page.getByLabel('Autre', { exact: true }).check();
        await save(400);
        const summary = await F.errorSummary(page);
        assert.ok(summary && summary.links.includes('#label'), 'the error summary links to the label');
        assert.ok(await page.getByLabel('Autre', { exact: true }).isChecked(), 'the answer ticked is kept');
        await check('form builder, a question refused');
        await narrow('a refused question');
        await page.locator('#label').fill('Précisez votre logement');
        await page.locator('#required').check();
        await save();

        await addQuestion('yesno');
        await page.locator('#label').fill('Avez-vous déjà un composteur ?');
        await page.locator('#label_en').fill('Do you already have a composter?');
        await save();

        const items = page.locator('.fb-item');
        assert.equal(await items.count(), 3);
        assert.match(await items.nth(1).innerText(), /Affichée si « Type de logement » vaut « Autre »\./);
        await check('form builder, three questions');
        await narrow('the builder with its questions');
        assert.ok(await page.locator('#apercu').getByText('Précisez votre logement').isVisible(), 'the preview shows the form');

        /* The yes/no goes up above the conditional question. */
        await click(page.getByRole('button', { name: 'Monter « Avez-vous déjà un composteur ? »' }));
        assert.match(await page.locator('.fb-item').nth(1).innerText(), /Avez-vous déjà un composteur/);
    });

    it('a citizen files the form built: the conditional question asked after «Autre»', async () => {
        const citizen = await env.newPage();
        const filed = await F.fileDemarche(citizen, env.srv, CODE, {
            email: `composteur.${Date.now()}@example.org`, choose: { 'attribute[type_de_logement]': 'autre' } });
        const stored = JSON.parse(env.srv.sql(`SELECT attributes FROM requests WHERE reference = '${filed.reference}'`).trim());
        assert.equal(stored.type_de_logement, 'autre');
        assert.ok(stored.precisez_votre_logement, `the conditional question was asked and answered: ${JSON.stringify(stored)}`);
        assert.equal(typeof stored.avez_vous_deja_un_composteur, 'string');
    });
});
