'use strict';
/*
 * The citizen's answer to a correction asked (issue 13, «Actions on entering a status»), in a
 * real Chromium on a 390-pixel phone: the tracking page's «Votre demande attend une
 * correction ou un document» box with the mairie's words — axe-core finds nothing, the page
 * does not scroll sideways — then, without JavaScript, the answer typed and a file chosen
 * with the keyboard's controls, sent, and the request back under review with the page
 * saying so; the agent's request page shows the correction pending, accessible on a phone too.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const FB = require('./bo_flows');
const P = require('../http/portal_client');

const WIDTH = 390;
const ASKED = 'Merci de joindre votre justificatif de domicile de moins de trois mois.';

describe('the answer to a correction asked', () => {
    let env, filed;
    const token = 'jeton-de-test-correction-0123456789abcdefghijk';
    before(async () => {
        env = await B.start();
        filed = await FB.fileRequest(env.srv, { service: 'nid-de-poule' });
        /* The procedure follows the shipped démarche workflow, the request waits for its
         * citizen (as an agent's move into correction_requested leaves it). */
        env.srv.sql(`UPDATE procedures SET workflow_id = (SELECT w.id FROM workflows w WHERE w.tenant_id = procedures.tenant_id AND w.code = 'demarche')
                     WHERE code = 'nid-de-poule'`);
        env.srv.sql(`UPDATE requests SET status = 'correction_requested', status_notes = ${FB.sqlq(ASKED)} WHERE id = ${filed.id}`);
        P.setToken(env.srv, filed.reference, token);
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    const trackingUrl = () => `${env.srv.url}${P.trackingPath(filed.reference, token)}`;

    async function fitsPhone(page, label) {
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= WIDTH, `${label}: ${w} px wide`);
    }

    /* The catalogue notices the workflow's change within a second or so. */
    async function untilBox(page) {
        for (let i = 0; i < 40; i++) {
            await B.goto(page, trackingUrl());
            if (await page.locator('#correction-titre').count()) return;
            await new Promise((r) => setTimeout(r, 100));
        }
        assert.fail('the tracking page never showed the correction box');
    }

    it('the box on a phone: accessible, the mairie\'s words, no sideways scroll', async () => {
        const page = await env.newPage({ viewport: { width: WIDTH, height: 844 } });
        await untilBox(page);
        assert.equal((await page.locator('#correction-titre').innerText()).trim(),
                     'Votre demande attend une correction ou un document');
        assert.match(await page.locator('#correction').innerText(), new RegExp(ASKED));
        const box = await page.locator('#reponse').boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= WIDTH, `the answer field at ${JSON.stringify(box)}`);
        await B.assertAccessible(page, 'tracking page with a correction asked');
        await fitsPhone(page, 'tracking page with a correction asked');
        assert.deepEqual(page.consoleErrors, []);
        await page.context().close();
    });

    it('the back office shows the correction pending: accessible, on a phone too', async () => {
        const agent = FB.addAgent(env.srv, { email: 'correction.agent@ville-demo.test', name: 'Agent Correction', role: 'agent', departments: ['voirie'] });
        const page = await env.newPage({ viewport: { width: WIDTH, height: 844 } });
        await FB.loginPage(page, env.srv, agent);
        await B.goto(page, `${env.srv.url}/agent/demandes/${filed.reference}`);
        assert.equal((await page.locator('#attente-titre').innerText()).trim(), 'Demande de correction en attente');
        assert.match(await page.locator('#attente-usager').innerText(), new RegExp(ASKED));
        await B.assertAccessible(page, 'request page with a correction pending');
        await fitsPhone(page, 'request page with a correction pending');
        assert.deepEqual(page.consoleErrors, []);
        await page.context().close();
    });

    it('answered without JavaScript, with a file: back under review', async () => {
        const page = await env.newPage({ javaScriptEnabled: false, viewport: { width: WIDTH, height: 844 } });
        await untilBox(page);
        await fitsPhone(page, 'tracking page without JavaScript');
        await page.getByLabel('Votre réponse').fill('Voici mon justificatif.');
        await page.getByLabel('Joindre le document demandé (facultatif)').setInputFiles({
            name: 'justificatif.pdf', mimeType: 'application/pdf',
            buffer: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
                '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
        });
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                           page.getByRole('button', { name: 'Envoyer ma réponse' }).click()]);
        assert.match(page.url(), /corrige=1/);
        assert.match(await page.locator('[role=status]').innerText(), /Votre réponse a bien été transmise à la mairie/);
        assert.equal(await page.locator('#correction-titre').count(), 0);
        assert.equal(env.srv.sql(`SELECT status FROM requests WHERE id = ${filed.id}`).trim(), 'under_review');
        assert.equal(env.srv.sql(`SELECT count(*) FROM attachments WHERE request_id = ${filed.id} AND filename = 'justificatif.pdf'`).trim(), '1');
        await fitsPhone(page, 'tracking page after the answer');
        await page.context().close();
    });
});
