'use strict';
/*
 * Broadcasts in a real Chromium on a 390-pixel phone, with and without JavaScript: the
 * portal's «Abonnements» page (empty, then refused with its errors tied to the fields, then
 * sent; by number, the code's page, then a code refused), and the back office's
 * «Diffusions» page for a manager (empty, refused, the confirmation with the number of
 * subscribers, then the broadcast's page with its figures per channel). axe-core finds
 * nothing on any of these states and no page scrolls sideways.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const FB = require('./bo_flows');

const WIDTH = 390;

describe('broadcast pages in a browser', () => {
    let env;
    before(async () => {
        env = await B.start({ server: { requests: 0 } });
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    async function checkPage(page, label, javaScriptEnabled) {
        if (javaScriptEnabled) await B.assertAccessible(page, label);
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= WIDTH, `${label}: ${w} px wide`);
    }

    async function submit(page, form) {
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
            page.locator(`${form} button[type=submit]`).first().click()]);
    }

    it('subscribe on the portal and broadcast from the back office: on a phone, with and without JavaScript', async () => {
        const manager = FB.addAgent(env.srv, { email: 'diffusion.telephone@ville-demo.test', name: 'Resp Diffusion', role: 'manager' });
        for (const javaScriptEnabled of [false, true]) {
            const what = `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`;
            const page = await env.newPage({ javaScriptEnabled, viewport: { width: WIDTH, height: 844 } });

            await B.goto(page, env.srv.url + '/abonnements');
            await checkPage(page, `subscriptions (${what})`, javaScriptEnabled);
            const form = 'form[action^="/abonnements"]';
            await submit(page, form);
            assert.equal(await page.locator('.error-summary').count(), 1, 'the errors are summed up');
            assert.equal(await page.locator('#email[aria-invalid="true"]').count(), 1);
            await checkPage(page, `subscriptions refused (${what})`, javaScriptEnabled);
            await page.locator('input[name="topics"]').first().check();
            await page.fill('#email', `abonne.${javaScriptEnabled ? 'js' : 'nojs'}@exemple.test`);
            await submit(page, form);
            assert.match(await page.locator('h1').innerText(), /Vérifiez votre messagerie/);
            await checkPage(page, `subscription sent (${what})`, javaScriptEnabled);

            /* By number: the page that asks for the code, then a wrong code refused. */
            await B.goto(page, env.srv.url + '/abonnements');
            await page.locator('input[name="topics"]').first().check();
            await page.fill('#email', '');
            await page.fill('#phone', javaScriptEnabled ? '06 12 34 56 11' : '06 12 34 56 12');
            await submit(page, form);
            assert.match(await page.locator('h1').innerText(), /Saisissez le code reçu par SMS/);
            await checkPage(page, `subscription code (${what})`, javaScriptEnabled);
            await page.fill('#code', '12');
            await submit(page, 'form[action^="/abonnements/code"]');
            assert.equal(await page.locator('#code[aria-invalid="true"]').count(), 1);
            assert.equal(await page.locator('.error-summary').count(), 1);
            await checkPage(page, `subscription code refused (${what})`, javaScriptEnabled);

            await FB.loginPage(page, env.srv, manager);
            await B.goto(page, env.srv.url + '/agent/diffusions');
            await checkPage(page, `broadcasts (${what})`, javaScriptEnabled);
            const bform = 'form[aria-labelledby="new-title"]';
            await submit(page, bform);
            assert.equal(await page.locator('#subject[aria-invalid="true"]').count(), 1);
            await checkPage(page, `broadcast refused (${what})`, javaScriptEnabled);
            await page.locator('input[name="topics"]').first().check();
            await page.fill('#subject', 'Travaux place du marché');
            await page.fill('#body', 'La place sera fermée samedi matin.\nMerci.');
            await page.locator('#channel_sms').check();
            await submit(page, bform);
            assert.match(await page.locator('h1').innerText(), /Confirmer l’envoi/);
            await checkPage(page, `broadcast confirmation (${what})`, javaScriptEnabled);
            await submit(page, 'form[action^="/agent/diffusions"]');
            assert.match(await page.locator('h1').innerText(), /Travaux place du marché/);
            await checkPage(page, `broadcast page (${what})`, javaScriptEnabled);
            await page.close();
        }
    });

    it('the topics page for an administrator: on a phone, with and without JavaScript', async () => {
        const admin = FB.addAgent(env.srv, { email: 'sujets.telephone@ville-demo.test', name: 'Admin Sujets', role: 'admin' });
        for (const javaScriptEnabled of [false, true]) {
            const what = `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`;
            const page = await env.newPage({ javaScriptEnabled, viewport: { width: WIDTH, height: 844 } });
            await FB.loginPage(page, env.srv, admin);
            await B.goto(page, env.srv.url + '/agent/diffusions/sujets');
            await checkPage(page, `topics (${what})`, javaScriptEnabled);
            const form = 'form[action^="/agent/diffusions/sujets/"]';
            await page.locator(`${form} input[name="name"]`).first().fill('');
            await submit(page, form);
            assert.equal(await page.locator('input[name="name"][aria-invalid="true"]').count(), 1);
            await checkPage(page, `topics refused (${what})`, javaScriptEnabled);
            const refused = 'form:has(input[name="name"][aria-invalid="true"])';
            await page.locator(`${refused} input[name="name"]`).fill('Travaux et voirie');
            await submit(page, refused);
            assert.equal(await page.locator('.notice, [role="status"]').count() > 0, true, 'the save is announced');
            await checkPage(page, `topic saved (${what})`, javaScriptEnabled);
            await page.close();
        }
    });
});
