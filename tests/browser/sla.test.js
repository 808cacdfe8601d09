'use strict';
/*
 * Deadlines in a real Chromium (issue 13): the inbox's views «En retard» and «Échéance
 * aujourd'hui», their rows' badges and the request page's, on a 390-pixel phone — axe-core
 * finds nothing, no page scrolls sideways, every badge is on screen and says its state in
 * words — and the collectivité's calendar of public holidays on its settings page, chosen
 * with the keyboard's radio buttons and saved without JavaScript. And a workflow timeout's
 * pending «silence vaut accord», on the request page and the citizen's tracking page.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const FB = require('./bo_flows');
const H = require('../http/harness');
const P = require('../http/portal_client');

const WIDTH = 390;

describe('deadlines in the back office', () => {
    let env;
    const refs = {};
    before(async () => {
        env = await B.start();
        const filed = [];
        for (let i = 0; i < 4; i++) filed.push((await FB.fileRequest(env.srv, { service: 'nid-de-poule' })).reference);
        [refs.late, refs.late2, refs.today, refs.onTime] = filed;
        const now = Math.floor(Date.now() / 1000);
        const dueOf = { late: now - 86400, late2: now - 4 * 86400, today: Math.min(now + 60, FB.nextParisMidnight(now) - 1), onTime: now + 6 * 86400 };
        /* Only these four of the voirie have a due date: the views hold exactly them. */
        env.srv.sql("UPDATE requests SET due_at = NULL WHERE department_id = (SELECT id FROM departments WHERE code = 'voirie')");
        for (const [k, due] of Object.entries(dueOf))
            env.srv.sql(`UPDATE requests SET due_at = ${due} WHERE reference = '${refs[k]}'`);
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    /* axe-core where scripts run (it is one), the width with and without them. */
    async function checkPage(page, label, javaScriptEnabled) {
        if (javaScriptEnabled) await B.assertAccessible(page, label);
        await fitsPhone(page, label);
    }

    /* Fails when the page is wider than the phone. */
    async function fitsPhone(page, label) {
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= WIDTH, `${label}: ${w} px wide`);
    }

    /* The SLA badges of the inbox's rows: [reference, words], each checked on screen. */
    async function badges(page) {
        const out = [];
        for (const row of await page.locator('table[data-inbox] tbody tr').all()) {
            const badge = row.locator('.badge--sla');
            if (await badge.count() === 0) continue;
            const box = await badge.boundingBox();
            assert.ok(box && box.x >= 0 && box.x + box.width <= WIDTH, `badge at ${JSON.stringify(box)}`);
            out.push([await row.locator('a[data-open]').innerText(), await badge.innerText()]);
        }
        return out;
    }

    it('the views and their badges on a phone: accessible, in words, no sideways scroll', async () => {
        const agent = FB.addAgent(env.srv, { email: 'sla.telephone@ville-demo.test', name: 'Agent Échéances', role: 'agent', departments: ['voirie'] });
        for (const javaScriptEnabled of [false, true]) {
            const page = await env.newPage({ javaScriptEnabled, viewport: { width: WIDTH, height: 844 } });
            await FB.loginPage(page, env.srv, agent);
            const what = `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`;

            await B.goto(page, env.srv.url + '/agent/?onglet=service');
            await checkPage(page, `inbox «Mon service» (${what})`, javaScriptEnabled);
            const late = page.locator('a[data-view="retard"]');
            assert.equal((await late.textContent()).trim(), 'En retard (2 demandes)');
            const today = page.locator('a[data-view="aujourdhui"]');
            assert.equal((await today.textContent()).trim(), 'Échéance aujourd\'hui (1 demande)');

            /* A link like any other: followed, it is the page of its URL, current in the nav. */
            await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), late.click()]);
            assert.equal(new URL(page.url()).search, '?onglet=service&vue=retard');
            assert.equal(await page.locator('a[data-view="retard"]').getAttribute('aria-current'), 'page');
            assert.deepEqual(await badges(page), [[refs.late2, 'En retard'], [refs.late, 'En retard']]);
            await checkPage(page, `view «En retard» (${what})`, javaScriptEnabled);

            await B.goto(page, env.srv.url + '/agent/?onglet=service&vue=aujourdhui');
            assert.deepEqual(await badges(page), [[refs.today, 'Échéance aujourd\'hui']]);
            await checkPage(page, `view «Échéance aujourd'hui» (${what})`, javaScriptEnabled);

            await B.goto(page, env.srv.url + `/agent/demandes/${refs.onTime}`);
            const badge = page.locator('main .badge--sla');
            assert.equal(await badge.innerText(), 'Dans les temps');
            await checkPage(page, `request page (${what})`, javaScriptEnabled);
            assert.deepEqual(page.consoleErrors, []);
            await page.context().close();
        }
    });

    it('a «silence vaut accord» pending: on the request page and the citizen\'s tracking page, accessible on a phone', async () => {
        const admin = await FB.login(env.srv, FB.addAgent(env.srv, { email: 'sla.sva@ville-demo.test', name: 'Admin Silence', role: 'admin' }));
        await admin.get('/agent/admin/demarches/nouvelle');
        const created = await admin.post('/agent/admin/demarches/nouvelle', {
            code: 'permis-sva', name: 'Permis tacite', kind: 'demarche', department: 'voirie', delay_days: '60',
            active: '1', open311: '1', open311_detail: 'full', attributes: '[]', description: 'Silence vaut accord.',
            service_notice: '', name_en: '', description_en: '', service_notice_en: '', workflow: 'demarche_sva',
        });
        assert.equal(created.status, 303);
        const filed = await FB.fileRequest(env.srv, { service: 'permis-sva' });
        const r = await H.request(env.srv, 'PATCH', `/api/v1/requests/${filed.reference}`,
                                  { json: { status: 'under_review' }, headers: { Authorization: `Bearer ${env.srv.keys.api}` } });
        assert.equal(r.status, 200, r.text);
        const token = 'jeton-de-test-sva-navigateur-0123456789abcdefghij';
        P.setToken(env.srv, filed.reference, token);
        const agent = FB.addAgent(env.srv, { email: 'sla.sva.agent@ville-demo.test', name: 'Agent Silence', role: 'agent', departments: ['voirie'] });
        for (const javaScriptEnabled of [false, true]) {
            const what = `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`;
            const page = await env.newPage({ javaScriptEnabled, viewport: { width: WIDTH, height: 844 } });
            await FB.loginPage(page, env.srv, agent);
            await B.goto(page, env.srv.url + `/agent/demandes/${filed.reference}`);
            assert.match(await page.locator('main').innerText(), /Délais en cours\s+Silence vaut accord le \d{1,2} \S+ \d{4}/);
            await checkPage(page, `request page with a pending jump (${what})`, javaScriptEnabled);
            await page.context().close();
            const citizen = await env.newPage({ javaScriptEnabled, viewport: { width: WIDTH, height: 844 } });
            await B.goto(citizen, env.srv.url + P.trackingPath(filed.reference, token));
            assert.match(await citizen.locator('#silence').innerText(), /Sans décision de la mairie d'ici le \d{1,2} \S+ \d{4}, votre demande sera réputée acceptée/);
            await checkPage(citizen, `tracking page with its silence notice (${what})`, javaScriptEnabled);
            assert.deepEqual(citizen.consoleErrors, []);
            await citizen.context().close();
        }
    });

    it('the calendar of public holidays is chosen on the collectivité\'s page, without JavaScript', async () => {
        const admin = FB.addAgent(env.srv, { email: 'sla.admin@ville-demo.test', name: 'Admin Échéances', role: 'admin' });
        const withJs = await env.newPage({ viewport: { width: WIDTH, height: 844 } });
        await FB.loginPage(withJs, env.srv, admin);
        await B.goto(withJs, env.srv.url + '/agent/admin/collectivite');
        await checkPage(withJs, 'the collectivité\'s settings', true);
        await withJs.context().close();
        const page = await env.newPage({ javaScriptEnabled: false, viewport: { width: WIDTH, height: 844 } });
        await FB.loginPage(page, env.srv, admin);
        await B.goto(page, env.srv.url + '/agent/admin/collectivite');
        await fitsPhone(page, 'the collectivité\'s settings');
        const alsace = page.getByRole('radio', { name: /Alsace-Moselle/ });
        assert.equal(await alsace.isChecked(), false);
        await alsace.check();
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                           page.locator('#reglages-titre ~ form button[type=submit]').first().click()]);
        assert.equal(env.srv.sql('SELECT holidays FROM tenant_branding').trim(), '1');
        await B.goto(page, env.srv.url + '/agent/admin/collectivite');
        assert.equal(await page.getByRole('radio', { name: /Alsace-Moselle/ }).isChecked(), true);
        await page.context().close();
    });
});
