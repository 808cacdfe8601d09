'use strict';
/*
 * The parapheur in a real Chromium, each step through its own page as people do it: an admin
 * saves an élu's PKCS#12 key (./../http/signers makes it), an agent uploads a PDF on a request
 * and sends it for signature, the élu finds it in their queue — on a desktop and on a phone's
 * width, no wider than the screen — opens it, types a wrong PIN (the error tied to the field), refuses without a comment
 * (the same), then signs it. axe-core finds no WCAG 2.1 A/AA violation on the admin page, the
 * sending form, the queue (full and empty), the document's page with its errors and the
 * selection's confirmation page.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const B = require('./browser');
const F = require('./bo_flows');
const { signers } = require('../http/signers');

const PIN = 'code élu 5678';

describe('axe-core: the parapheur', () => {
    let env;
    let srv;
    let last;
    const pages = {};
    const agents = {};
    const go = async (who, p, status = 200) => {
        last = await B.goto(pages[who], srv.url + p, status);
        return last;
    };
    const submit = async (who, form) => {
        [last] = await Promise.all([pages[who].waitForNavigation({ waitUntil: 'load' }),
                                    form.locator('button[type=submit]').click()]);
        return last;
    };
    const check = (who, label) => B.assertAccessible(pages[who], label, { response: last });

    before(async () => {
        env = await B.start({ server: { requests: 0 } });
        srv = env.srv;
        const add = (key, role, departments) => {
            agents[key] = F.addAgent(srv, { email: `axe.${key}.${process.pid}@ville-demo.test`, name: `Axe ${key}`, role, departments });
        };
        add('admin', 'admin', []);
        add('agent', 'agent', ['voirie']);
        add('elu', 'elected', []);
        for (const k of Object.keys(agents)) {
            pages[k] = await env.newPage();
            await F.loginPage(pages[k], srv, agents[k]);
        }
        const { ca, elu } = signers(srv.dir, PIN);
        ca('ca', 'Autorité de test');
        elu('elu', 'Axe elu', 'ca');
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('keys, sending, the queue on a desktop and a phone, the document\'s page and its errors', async () => {
        /* The admin saves the élu's key. */
        await go('admin', '/agent/admin/signatures');
        await check('admin', 'signing keys (none)');
        const keyForm = pages.admin.locator('main form[action^="/agent/admin/signatures"][enctype="multipart/form-data"]');
        await keyForm.locator('#agent').selectOption(String(agents.elu.id));
        await keyForm.locator('#quality').fill('Maire');
        await keyForm.locator('#p12').setInputFiles(path.join(srv.dir, 'elu.p12'));
        await keyForm.locator('#pin').fill('faux');
        assert.equal((await submit('admin', keyForm)).status(), 400);
        assert.equal(await pages.admin.locator('#pin').getAttribute('aria-invalid'), 'true');
        await check('admin', 'signing keys (a wrong PIN)');
        await keyForm.locator('#p12').setInputFiles(path.join(srv.dir, 'elu.p12'));
        await keyForm.locator('#pin').fill(PIN);
        assert.equal((await submit('admin', keyForm)).status(), 200);
        await check('admin', 'signing keys (one saved)');

        /* The agent uploads a PDF on a request and sends it for signature. */
        const req = await F.fileRequest(srv, { service: 'nid-de-poule' });
        const pdf = path.join(srv.dir, 'source.pdf');
        const r = srv.guichet(['document', 'receipt', '--db', srv.db, '--request', req.reference, '--out', pdf]);
        assert.equal(r.status, 0, r.stderr);
        await go('agent', `/agent/demandes/${req.reference}`);
        const upload = pages.agent.locator('main form[action$="/documents"]');
        await upload.locator('#document_titre').fill('Arrêté à signer');
        await upload.locator('#document_fichier').setInputFiles(pdf);
        await submit('agent', upload);
        await go('agent', `/agent/demandes/${req.reference}/signature`);
        await check('agent', 'send for signature');
        const send = pages.agent.locator('main form');
        assert.equal((await submit('agent', send)).status(), 400, 'no élu chosen');
        assert.equal(await pages.agent.locator('#elu1').getAttribute('aria-invalid'), 'true');
        await check('agent', 'send for signature (no élu)');
        await send.locator('#document').selectOption(await send.locator('#document option', { hasText: 'Arrêté à signer' }).getAttribute('value'));
        await send.locator('#elu1').selectOption(String(agents.elu.id));
        await send.locator('#message').fill('À signer avant vendredi.');
        await submit('agent', send);
        assert.match(pages.agent.url(), /fait=signature/);

        /* The élu's queue, on a desktop then a phone's width (its forms need no script: the
         * HTTP tests drive them without one). */
        await go('elu', '/agent/parapheur');
        assert.equal(await pages.elu.locator('#parapheur-queue tbody tr').count(), 1);
        await check('elu', 'the queue');
        await pages.elu.setViewportSize({ width: 360, height: 740 });
        await go('elu', '/agent/parapheur');
        await check('elu', 'the queue (phone)');
        const width = await pages.elu.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 360, `the queue is ${width} px wide on a 360 px screen`);
        await pages.elu.locator('#parapheur-queue tbody a').first().click();
        await pages.elu.waitForLoadState('load');
        last = null;
        await check('elu', 'a document to sign (phone)');
        const circuit = pages.elu.url().match(/parapheur\/(\d+)/)[1];
        const sign = pages.elu.locator(`main form[action^="/agent/parapheur/${circuit}/signer"]`);
        await sign.locator('#pin').fill('faux');
        assert.equal((await submit('elu', sign)).status(), 400);
        assert.equal(await pages.elu.locator('#pin').getAttribute('aria-invalid'), 'true');
        await check('elu', 'a document to sign (wrong PIN)');
        const refuse = pages.elu.locator(`main form[action^="/agent/parapheur/${circuit}/refuser"]`);
        assert.equal((await submit('elu', refuse)).status(), 400);
        assert.equal(await pages.elu.locator('#comment').getAttribute('aria-invalid'), 'true');
        await check('elu', 'a document to sign (refusal without a comment)');
        await pages.elu.setViewportSize({ width: 1280, height: 900 });
        /* The selection's confirmation page, then the signature. */
        await go('elu', '/agent/parapheur');
        await pages.elu.locator('#parapheur-queue input[type=checkbox]').first().check();
        await submit('elu', pages.elu.locator('main form[action^="/agent/parapheur/selection"]'));
        assert.equal(await pages.elu.locator('#batch-list li').count(), 1);
        await check('elu', 'the selection to sign');
        await pages.elu.locator('#pin').fill(PIN);
        assert.equal((await submit('elu', pages.elu.locator('main form[action^="/agent/parapheur/selection/signer"]'))).status(), 200);
        await check('elu', 'the selection signed');
        assert.equal(await pages.elu.locator('#batch-results li.is-ok').count(), 1);
        await go('elu', '/agent/parapheur');
        assert.equal(await pages.elu.locator('#parapheur-empty').count(), 1);
        await check('elu', 'the queue (empty)');
    });
});
