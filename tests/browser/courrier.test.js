'use strict';
/*
 * The post room in a real Chromium, without JavaScript's help needed: axe-core finds no WCAG
 * 2.1 A/AA violation on «Courrier entrant» empty, after an upload with a refused file (the
 * error tied to the file input), with a letter to process, on the letter's page (and with the
 * discard's error), and on the intake form prefilled from the letter beside its scan.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const B = require('./browser');
const F = require('./bo_flows');
const { pdfOf, letter, letterRead } = require('../http/scans');

describe('axe-core: the post room', () => {
    let env;
    let srv;
    let page;
    let last;
    const go = async (p, status = 200) => {
        last = await B.goto(page, srv.url + p, status);
        return last;
    };
    const submit = async (form) => {
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                    form.locator('button[type=submit]').click()]);
        return last;
    };
    const check = (label) => B.assertAccessible(page, label, { response: last });

    before(async () => {
        env = await B.start({ server: { requests: 0 } });
        srv = env.srv;
        const agent = F.addAgent(srv, { email: `axe.courrier.${process.pid}@ville-demo.test`, name: 'Axe Courrier', role: 'agent', departments: ['voirie'] });
        page = await env.newPage();
        await F.loginPage(page, srv, agent);
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('the list, an upload with a refused file, a letter, its page, the prefilled intake', async () => {
        await go('/agent/courrier');
        await check('post room (empty)');
        const dir = fs.mkdtempSync(path.join(srv.dir, 'scans-'));
        fs.writeFileSync(path.join(dir, 'lettre.pdf'), pdfOf([letter('Marie DUPONT', 'marie.dupont@exemple.fr')]));
        fs.writeFileSync(path.join(dir, 'notes.txt'), 'pas un courrier');
        const form = page.locator('main form[enctype="multipart/form-data"]');
        await form.locator('#scans').setInputFiles([path.join(dir, 'lettre.pdf'), path.join(dir, 'notes.txt')]);
        assert.equal((await submit(form)).status(), 400);
        assert.equal(await page.locator('#scans').getAttribute('aria-invalid'), 'true');
        await check('post room (a file refused)');
        const id = Number(srv.sql('SELECT id FROM post_letters').trim());
        assert.equal(await letterRead(srv, id), 'pending');
        await go('/agent/courrier');
        await check('post room (a letter to process)');
        await go(`/agent/courrier/${id}`);
        await check('a letter');
        const discard = page.locator(`main form[action^="/agent/courrier/${id}/ecarter"]`);
        assert.equal((await submit(discard)).status(), 400);
        await check('a letter (discard without a reason)');
        await go(`/agent/saisie?canal=post&courrier=${id}&demarche=question-generale`);
        assert.equal(await page.locator('#email').inputValue(), 'marie.dupont@exemple.fr');
        await check('intake prefilled from a letter');
    });
});
