'use strict';
/*
 * The workflow editor in a real Chromium, without JavaScript in the way: an administrator
 * duplicates the démarche workflow, adds a status and a transition to the copy (an edit
 * refused first, its problems listed), gives the new status a due date and a reminder on the
 * actions page, gives it to a procedure, and gives the procedure a question shown on a
 * condition, previewed before it is saved; a citizen files a request of that procedure on the
 * portal (the question asked after «Oui», not after «Non»), and an agent moves it along the
 * new transition. axe-core finds
 * no WCAG 2.1 A/AA violation on the list, the editor (refused too), the history, a version and
 * the procedure's workflow page, the actions page (with and without JavaScript, a row added,
 * a save refused); on a 390-pixel phone none of them scrolls sideways.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const BF = require('./bo_flows');
const F = require('./flows');

const WIDTH = 390;
const CODE = 'etat_civil_plus';

describe('the workflow editor', () => {
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
    const click = async (locator) => {
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
        return last;
    };

    before(async () => {
        env = await B.start({ server: { requests: 5 } });
        srv = env.srv;
        admin = BF.addAgent(srv, { email: `circuits.admin.${process.pid}@ville-demo.test`, name: 'Admin Circuits', role: 'admin' });
        page = await env.newPage();
        await BF.loginPage(page, srv, admin);
    });
    after(async () => {
        if (results.length) console.log(`axe results:\n  ${results.join('\n  ')}`);
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('duplicates a workflow, adds a status and a transition, gives it to a procedure', async () => {
        await go('/agent/admin/workflows');
        await check('workflows, the list');
        await page.selectOption('#source', 'demarche');
        await page.locator('#code').fill(CODE);
        await page.locator('#name').fill('État civil avec vérification');
        await click(page.locator('form[aria-labelledby="dup-title"] button[type=submit]'));
        assert.equal(last.status(), 200);
        assert.match(page.url(), new RegExp(`/agent/admin/workflows/${CODE}\\?fait=workflow_duplicated`));
        await check('workflows, a copy to edit');

        /* Refused: a status without labels; every problem listed, what was typed kept. */
        const statuses = page.locator('form[aria-labelledby="statuts"]');
        await page.locator('#n_code').fill('verification');
        await page.locator('#s0_cl').fill('');
        await click(statuses.locator('button.btn', { hasText: 'Enregistrer les statuts' }));
        assert.equal(last.status(), 400);
        const summary = await page.locator('.error-summary').innerText();
        assert.match(summary, /Le statut « submitted » doit avoir un libellé/);
        assert.match(summary, /Le statut « verification » doit avoir un libellé/);
        assert.equal(await page.locator('#s6_code').inputValue(), 'verification');
        await check('workflows, an edit refused');

        await page.locator('#s0_cl').fill('déposée');
        await page.locator('#s6_al').fill('en vérification');
        await page.locator('#s6_cl').fill('en cours de vérification');
        await page.selectOption('#s6_colour', 'teal');
        await click(statuses.locator('button.btn', { hasText: 'Enregistrer les statuts' }));
        assert.equal(last.status(), 200);
        assert.match(page.url(), /fait=workflow_saved/);
        assert.ok(await page.locator('main table .badge--teal', { hasText: 'en vérification' }).count());

        await page.selectOption('#tn_from', 'submitted');
        await page.selectOption('#tn_to', 'verification');
        await page.locator('#tn_label').fill('Vérifier les pièces');
        await click(page.locator('form[aria-labelledby="transitions"] button.btn', { hasText: 'Enregistrer les transitions' }));
        assert.equal(last.status(), 200);
        assert.match(page.url(), /fait=workflow_saved/);
        assert.equal(srv.sql(`SELECT t.label FROM workflow_transitions t JOIN workflows w ON w.id = t.workflow_id WHERE w.code = '${CODE}' AND t.to_code = 'verification'`).trim(), 'Vérifier les pièces');

        await go(`/agent/admin/workflows/${CODE}/historique`);
        const history = await page.locator('main table').innerText();
        assert.match(history, /transition submitted → verification ajoutée/);
        assert.match(history, /statut « en vérification » ajouté/);
        assert.match(history, /Admin Circuits/);
        await check('workflows, the history');
        await go(`/agent/admin/workflows/${CODE}/versions/1`);
        await check('workflows, a version');

        await go('/agent/admin/demarches/acte-etat-civil/circuit');
        await check('procedure, its workflow');
        await page.selectOption('#workflow', CODE);
        await click(page.locator('main form button[type=submit]'));
        assert.equal(last.status(), 200);
        assert.match(page.url(), /fait=procedure_workflow/);
    });

    it('gives the new status a due date and a reminder on the actions page', async () => {
        await go(`/agent/admin/workflows/${CODE}/actions`);
        await check('workflows, the actions page');
        const form = page.locator('form[aria-labelledby="actions"]');
        await page.selectOption('#na_st', 'verification');
        await page.selectOption('#na_kind', 'set_due_date');
        await click(form.locator('button', { hasText: 'Ajouter une action' }));
        assert.equal(last.status(), 200);
        const i = await page.locator('input[name$="_st"][value="verification"]').first().getAttribute('name');
        const row = i.match(/^a(\d+)_st$/)[1];
        /* Refused: no number of days; the field named, nothing saved. */
        await page.locator(`#a${row}_days`).fill('dix');
        await click(form.locator('button.btn', { hasText: 'Enregistrer les actions et les délais' }));
        assert.equal(last.status(), 400);
        assert.match(await page.locator('.error-summary').innerText(), /nombre de jours de l'échéance/);
        assert.equal(await page.locator(`#a${row}_days`).inputValue(), 'dix');
        await check('workflows, the actions page refused');
        await page.locator(`#a${row}_days`).fill('10');
        await page.locator(`#a${row}_working`).check();
        await page.selectOption('#no_st', 'verification');
        await page.selectOption('#no_kind', 'remind');
        await click(form.locator('button', { hasText: 'Ajouter un délai' }));
        assert.equal(last.status(), 200);
        /* The typed days survive the row added. */
        assert.equal(await page.locator(`#a${row}_days`).inputValue(), '10');
        const o = (await page.locator('input[name^="o"][name$="_st"][value="verification"]').first().getAttribute('name')).match(/^o(\d+)_st$/)[1];
        await page.locator(`#o${o}_delay`).fill('5');
        await check('workflows, the actions page with a new row');
        await click(form.locator('button.btn', { hasText: 'Enregistrer les actions et les délais' }));
        assert.equal(last.status(), 200);
        assert.match(page.url(), new RegExp(`/agent/admin/workflows/${CODE}/actions\\?fait=workflow_saved`));
        assert.equal(srv.sql(`SELECT a.params FROM workflow_actions a JOIN workflows w ON w.id = a.workflow_id WHERE w.code = '${CODE}' AND a.status_code = 'verification'`).trim(), '{"days":10,"working":true}');
        assert.equal(srv.sql(`SELECT t.delay || ' ' || t.kind || ' ' || t.whom FROM workflow_timeouts t JOIN workflows w ON w.id = t.workflow_id WHERE w.code = '${CODE}' AND t.status_code = 'verification'`).trim(), '5 remind agents');
        await go(`/agent/admin/workflows/${CODE}`);
        assert.match(await page.locator('main').innerText(), /Fixer l'échéance à 10 jour\(s\) ouvré\(s\)/);
        await check('workflows, a copy with its actions');
    });

    it('the actions page without JavaScript', async () => {
        const plain = await env.newPage({ javaScriptEnabled: false });
        await BF.loginPage(plain, srv, admin);
        /* axe itself needs JavaScript: the page checked above is the same HTML, which no
         * script changes; here the form works without any. */
        await B.goto(plain, `${srv.url}/agent/admin/workflows/${CODE}/actions`);
        await plain.selectOption('#na_st', 'verification');
        await plain.selectOption('#na_kind', 'ask_citizen');
        await Promise.all([plain.waitForNavigation({ waitUntil: 'load' }), plain.locator('button', { hasText: 'Ajouter une action' }).click()]);
        assert.ok(await plain.locator('select[name$="_return"]').count(), 'the return status appears');
        await plain.context().close();
    });

    it('gives the procedure a conditional question in its editor, previewed before it is saved', async () => {
        await go('/agent/admin/demarches/acte-etat-civil');
        await page.locator('#attributes-expert > summary').click(); /* the JSON editor is folded */
        const defs = JSON.parse(await page.locator('#attributes').inputValue());
        defs.push({ code: 'envoi_postal', datatype: 'yesno', required: true, variable: true,
                    description: 'Souhaitez-vous recevoir l\'acte par la poste ?', description_en: 'Should the certificate be posted to you?' });
        defs.push({ code: 'adresse_envoi', datatype: 'string', required: true, variable: true,
                    description: 'Adresse où envoyer l\'acte', description_en: 'Address to post it to',
                    show_if: { field: 'envoi_postal', equals: 'oui' } });
        await page.locator('#attributes').fill(JSON.stringify(defs, null, 1));
        const versions = srv.sql("SELECT count(*) FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = 'acte-etat-civil';").trim();
        await click(page.locator('button[name=previsualiser]'));
        assert.equal(last.status(), 200);
        const preview = await page.locator('#apercu').innerText();
        assert.match(preview, /Adresse où envoyer l’acte|Adresse où envoyer l'acte/);
        assert.match(preview, /Affiché si la réponse à « Souhaitez-vous recevoir l.acte par la poste \? » est « Oui »\./);
        assert.equal(srv.sql("SELECT count(*) FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = 'acte-etat-civil';").trim(),
                     versions, 'the preview saves nothing');
        await check('procedure editor, the preview with a condition');
        await click(page.locator('main form button[type=submit]:not([name])').first());
        assert.ok(last.status() === 200, `saving answered ${last.status()}`);
        assert.equal(Number(srv.sql("SELECT count(*) FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = 'acte-etat-civil';").trim()),
                     Number(versions) + 1, 'the save makes a new version');
    });

    it('a citizen files a request, the condition showing its question, an agent takes the new transition', async () => {
        /* Without JavaScript: the condition is evaluated between steps, the question shown
         * once «Oui» is sent. */
        const citizen = await env.newPage({ javaScriptEnabled: false });
        const filed = await F.fileDemarche(citizen, srv, 'acte-etat-civil', {
            email: `circuit.${Date.now()}@example.org`, choose: { 'attribute[envoi_postal]': 'oui' } });
        await citizen.context().close();
        assert.equal(srv.sql(`SELECT status FROM requests WHERE reference = '${filed.reference}'`).trim(), 'submitted');
        const answers = JSON.parse(srv.sql(`SELECT attributes FROM requests WHERE reference = '${filed.reference}'`).trim());
        assert.equal(answers.envoi_postal, 'oui');
        assert.ok(answers.adresse_envoi, `the conditional question was asked and answered: ${JSON.stringify(answers)}`);
        /* «Non»: the question is never asked, nothing stored for it. */
        const other = await env.newPage({ javaScriptEnabled: false });
        const filedNo = await F.fileDemarche(other, srv, 'acte-etat-civil', {
            email: `circuit.non.${Date.now()}@example.org`, choose: { 'attribute[envoi_postal]': 'non' } });
        await other.context().close();
        const noAnswers = JSON.parse(srv.sql(`SELECT attributes FROM requests WHERE reference = '${filedNo.reference}'`).trim());
        assert.equal(noAnswers.envoi_postal, 'non');
        assert.equal(noAnswers.adresse_envoi, undefined);
        await go(`/agent/demandes/${filed.reference}`);
        await page.selectOption('#statut', 'verification');
        await click(page.locator('form:has(#statut) button[type=submit]').last());
        assert.equal(srv.sql(`SELECT status FROM requests WHERE reference = '${filed.reference}'`).trim(), 'verification');
        assert.ok(await page.locator('main', { hasText: 'en vérification' }).count());
    });

    it('on a 390-pixel phone, nothing scrolls sideways', async () => {
        const phone = await env.newPage({ javaScriptEnabled: false, viewport: { width: WIDTH, height: 844 } });
        await BF.loginPage(phone, srv, admin);
        const wide = [];
        for (const p of ['/agent/admin/workflows', `/agent/admin/workflows/${CODE}`,
                         `/agent/admin/workflows/${CODE}/historique`, `/agent/admin/workflows/${CODE}/versions/2`,
                         `/agent/admin/workflows/${CODE}/actions`, `/agent/admin/workflows/${CODE}/versions/4`]) {
            await B.goto(phone, srv.url + p);
            const w = await phone.evaluate(() => document.documentElement.scrollWidth);
            if (w > WIDTH) wide.push(`${p} (${w} px)`);
        }
        assert.deepEqual(wide, []);
        await phone.context().close();
    });
});
