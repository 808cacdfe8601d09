'use strict';
/*
 * Letters and arrêtés in a real Chromium, with axe-core (WCAG 2.1 A/AA): the administration's
 * templates page, with an unknown placeholder refused (the error summary leads to the
 * field), a decision's template being edited, and after a deletion; the request page's «Courriers et arrêtés»; the letter's form filled for the
 * request, and with an error; its preview; and «Émettre», which brings the agent back to the
 * request with the notice and the timeline's «Courrier émis». Every page without JavaScript
 * (forms and buttons only) and with zero violations.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./bo_flows');

describe('letters and arrêtés: the pages, accessible', () => {
    let env;
    let srv;
    let admin;
    let agent;
    let req;
    let last;
    const results = [];

    const check = async (p, label) => {
        const r = await B.assertAccessible(p, label, { response: last });
        results.push(`${label}: 0 violations, ${r.bytes} bytes`);
    };
    const go = async (p, path, status = 200) => {
        last = await B.goto(p, srv.url + path, status);
        return last;
    };
    const click = async (p, selector) => {
        [last] = await Promise.all([p.waitForNavigation({ waitUntil: 'load' }), p.locator(selector).click()]);
        return last;
    };

    before(async () => {
        env = await B.start({ server: { requests: 0 } });
        srv = env.srv;
        const a = F.addAgent(srv, { email: `lettres.admin.${process.pid}@ville-demo.test`, name: 'Lettres Admin', role: 'admin' });
        const g = F.addAgent(srv, { email: `lettres.agent.${process.pid}@ville-demo.test`, name: 'Lettres Agent', role: 'agent', departments: ['voirie'] });
        req = await F.fileRequest(srv, { service: 'nid-de-poule' });
        admin = await env.newPage();
        agent = await env.newPage();
        await F.loginPage(admin, srv, a);
        await F.loginPage(agent, srv, g);
    });
    after(async () => {
        if (results.length) console.log(`axe results:\n  ${results.join('\n  ')}`);
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('the templates page, and a template refused for an unknown placeholder', async () => {
        await go(admin, '/agent/admin/modeles-courriers');
        assert.ok(await admin.locator('main table caption').count(), 'no caption');
        await check(admin, 'templates');
        await admin.fill('#name', 'Modèle navigateur');
        await admin.fill('#subject', 'Objet {reference}');
        await admin.fill('#body', 'Bonjour {prenom}, votre {inconnu}.');
        await click(admin, 'main form[aria-labelledby="form-title"] button[type=submit]');
        assert.equal(last.status(), 400);
        assert.equal(await admin.locator('#body').getAttribute('aria-invalid'), 'true');
        assert.equal(await admin.locator('#body').inputValue(), 'Bonjour {prenom}, votre {inconnu}.');
        assert.equal(await admin.locator('.error-summary a[href="#body"]').count(), 1);
        await check(admin, 'templates with an error');
        await go(admin, `/agent/admin/modeles-courriers?modifier=${srv.sql("SELECT id FROM letter_templates WHERE kind = 'decision' ORDER BY id LIMIT 1").trim()}`);
        assert.ok((await admin.locator('#visas').inputValue()).startsWith('Vu '));
        await check(admin, 'a decision template being edited');
        await click(admin, 'main table button:has-text("Supprimer Réponse standard")');
        assert.equal(last.status(), 200);
        assert.match(await admin.locator('main').innerText(), /Le modèle est supprimé/);
        await check(admin, 'templates after a deletion');
    });

    it('an agent writes, previews and issues a letter', async () => {
        await go(agent, `/agent/demandes/${req.reference}`);
        assert.equal(await agent.locator('#redaction').count(), 1, 'no «Courriers et arrêtés» on the request page');
        await check(agent, 'request page with its letters section');
        await click(agent, '#redaction button[type=submit]');
        assert.equal(last.status(), 200);
        assert.ok((await agent.locator('#body').inputValue()).includes(req.reference));
        await check(agent, 'the letter\'s form');
        await agent.fill('#body', 'Votre demande {reference} : {montant}.');
        await click(agent, 'button[value=apercu]');
        assert.equal(last.status(), 400);
        assert.equal(await agent.locator('#body').getAttribute('aria-invalid'), 'true');
        await check(agent, 'the letter\'s form with an error');
        await agent.fill('#body', 'Madame, Monsieur,\n\nVotre demande {reference} est acceptée.');
        await click(agent, 'button[value=apercu]');
        assert.equal(last.status(), 200);
        assert.ok((await agent.locator('article.letter-preview').innerText()).includes(`Votre demande ${req.reference} est acceptée.`));
        await check(agent, 'the letter\'s preview');
        await click(agent, 'button[value=emettre]');
        assert.equal(last.status(), 200);
        assert.match(new URL(agent.url()).search, /fait=emis/);
        assert.ok((await agent.locator('main').innerText()).includes('Courrier émis'));
        await check(agent, 'the request after the issue');
    });
});
