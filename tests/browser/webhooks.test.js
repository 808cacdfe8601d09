'use strict';
/*
 * The webhooks and due-date warning page in a real Chromium (issue 13), as an administrator
 * uses it on a 390-pixel phone, with and without JavaScript: a subscription refused with its
 * errors tied to the fields, then made — the secret shown once in a status box that stays on
 * screen however long it is —, a request filed and its signed delivery listed with its state,
 * the subscription switched off from its row. axe-core finds nothing on any of these states
 * and no page scrolls sideways. The receiver is a node HTTP server on 127.0.0.1 (allowed by
 * --webhook-allow-local); it answers 500 once, so the list shows a retried delivery.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const B = require('./browser');
const FB = require('./bo_flows');
const H = require('../http/harness');

const WIDTH = 390;

describe('the webhooks page in a browser', () => {
    let env, receiver;
    const received = [];
    let answers = [];
    before(async () => {
        receiver = await new Promise((resolve) => {
            const s = http.createServer((req, res) => {
                const chunks = [];
                req.on('data', (c) => chunks.push(c));
                req.on('end', () => {
                    received.push({ headers: req.headers, body: Buffer.concat(chunks) });
                    res.statusCode = answers.length ? answers.shift() : 200;
                    res.end('ok');
                });
            });
            s.listen(0, '127.0.0.1', () => resolve(s));
        });
        env = await B.start({ server: { requests: 3, env: { GUICHET_WEBHOOK_ALLOW_LOCAL: '1', GUICHET_WEBHOOK_BACKOFF_S: '1' } } });
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
        if (receiver) receiver.close();
    });

    async function until(what, fn, ms = 20000) {
        const deadline = Date.now() + ms;
        while (Date.now() < deadline) {
            const v = await fn();
            if (v) return v;
            await H.sleep(100);
        }
        assert.fail(`timed out waiting for ${what}`);
    }

    /* axe-core where scripts run (it is one), the width with and without them. */
    async function checkPage(page, label, javaScriptEnabled) {
        if (javaScriptEnabled) await B.assertAccessible(page, label);
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= WIDTH, `${label}: ${w} px wide`);
    }

    async function submit(page, form) {
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
            page.locator(`${form} button[type=submit]`).click()]);
    }

    it('subscribe, see the secret once, follow the deliveries, switch off: on a phone, with and without JavaScript', async () => {
        const admin = FB.addAgent(env.srv, { email: 'webhooks.telephone@ville-demo.test', name: 'Admin Webhooks', role: 'admin' });
        const target = `http://127.0.0.1:${receiver.address().port}/hook`;
        for (const javaScriptEnabled of [false, true]) {
            const what = `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`;
            env.srv.sql("DELETE FROM webhooks;");
            const page = await env.newPage({ javaScriptEnabled, viewport: { width: WIDTH, height: 844 } });
            await FB.loginPage(page, env.srv, admin);
            await B.goto(page, env.srv.url + '/agent/admin/webhooks');
            await checkPage(page, `webhooks, none yet (${what})`, javaScriptEnabled);
            const create = 'form[aria-labelledby="create-title"]';

            /* Refused: each error names its field and is tied to it; nothing is written. */
            await page.locator('#url').fill('http://hooks.example.org/x');
            const events = page.locator(`${create} fieldset input[type=checkbox]`);
            assert.ok(await events.count() >= 3, 'every event offered');
            for (const box of await events.all()) {
                assert.ok(await box.isChecked(), 'a new subscription offers every event checked');
                await box.uncheck();
            }
            await submit(page, create);
            assert.equal(await page.locator('#url').getAttribute('aria-invalid'), 'true');
            assert.match(await page.locator('#url-error').innerText(), /adresse https:\/\/ complète/);
            assert.match(await page.locator('#url').getAttribute('aria-describedby'), /\burl-error\b/);
            assert.match(await page.locator('#events-error').innerText(), /Cochez au moins un événement/);
            assert.equal(await page.locator('#url').inputValue(), 'http://hooks.example.org/x', 'what was typed is kept');
            await checkPage(page, `webhooks, refused (${what})`, javaScriptEnabled);
            assert.equal(env.srv.sql('SELECT count(*) FROM webhooks;').trim(), '0');

            /* Made: the events chosen by their labels, the secret shown once, on screen. */
            await page.locator('#url').fill(target);
            assert.equal(await events.evaluateAll((l) => l.filter((e) => e.checked).length), 0, 'the choice kept: none');
            await page.getByLabel(/\(request\.created\)/).check();
            await page.getByLabel(/\(request\.status_changed\)/).check();
            await submit(page, create);
            const box = page.locator('.bo-key[role=status]');
            const secret = (await box.locator('#new-secret').innerText()).trim();
            assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
            const r = await box.locator('#new-secret').boundingBox();
            assert.ok(r && r.x >= 0 && r.x + r.width <= WIDTH, `the secret at ${JSON.stringify(r)} is cut off`);
            await checkPage(page, `webhooks, secret shown (${what})`, javaScriptEnabled);
            const row = page.locator('table tbody tr', { hasText: target });
            assert.equal(await row.count(), 1);
            assert.match(await row.innerText(), /Demande déposée, Statut modifié/);

            /* A request filed: its delivery fails once, then is made, signed with that secret. */
            const before = received.length;
            answers = [500];
            const filed = await FB.fileRequest(env.srv, { service: 'nid-de-poule' });
            const done = await until('two attempts', () => received.length >= before + 2 && received.slice(before));
            const [first, second] = done;
            const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(second.headers['x-guichet-signature'] || '');
            assert.ok(m, `signature: ${second.headers['x-guichet-signature']}`);
            assert.equal(m[2], crypto.createHmac('sha256', secret).update(`${m[1]}.`).update(second.body).digest('hex'));
            const delivery = first.headers['x-guichet-delivery'];
            assert.equal(second.headers['x-guichet-delivery'], delivery);
            assert.equal(JSON.parse(second.body).request.reference, filed.reference);
            await until('the delivery marked done', () =>
                env.srv.sql(`SELECT state FROM jobs WHERE ukey = '${delivery}';`).trim() === 'done');

            /* Listed, the secret never shown again; the row says it was received at the
             * second attempt. */
            await B.goto(page, env.srv.url + '/agent/admin/webhooks');
            assert.ok(!(await page.content()).includes(secret), 'the secret is never shown again');
            const listed = page.locator('table tbody tr', { hasText: delivery });
            assert.equal(await listed.count(), 1, 'the delivery is listed');
            assert.match(await listed.innerText(), /Reçu[\s\S]*\b2\b/);
            await checkPage(page, `webhooks, deliveries (${what})`, javaScriptEnabled);

            /* Switched off from its row, named for screen readers by its URL. */
            const off = row.getByRole('button', { name: `Désactiver ${target}` });
            assert.equal(await off.count(), 1);
            await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), off.click()]);
            assert.equal(env.srv.sql('SELECT active FROM webhooks;').trim(), '0');
            assert.equal(await page.locator('table tbody tr', { hasText: target }).getByRole('button', { name: `Activer ${target}` }).count(), 1);
            await checkPage(page, `webhooks, switched off (${what})`, javaScriptEnabled);
            /* The refusal's own 400 is the only error the console may show. */
            assert.deepEqual(page.consoleErrors.filter((e) => !/status of 400 \(Bad Request\)/.test(e)), []);
            await page.context().close();
        }
    });
});
