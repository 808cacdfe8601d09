'use strict';
/*
 * axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa): zero violations on every back-office page and
 * state — login (and with errors), the code step, TOTP enrolment, the inbox (each tab, with
 * filters, with search results, with no result), a request's page (timeline and actions, and
 * an action answered with an error; a démarche's, with transitions needing a comment and one
 * refused without it; «Fusionner» with an error, its confirmation, the request
 * kept and the merged one afterwards), intake (empty, with errors, done), the mobile view,
 * every administration page (the RGPD register, its printable page and the data export, with
 * an error and with nothing found, included), the audit page, the 403 and 404 pages; and on a
 * 390-pixel phone, the inbox's tabs with rows and the administration's lists, all as cards.
 * One test per page state, so that the count says how many were checked and a failure names
 * the page; every violation is printed with its rule, help, nodes' selectors and markup.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./bo_flows');

describe('axe-core: zero WCAG 2.1 A/AA violations on every back-office page', () => {
    let env;
    let srv;
    let page; /* the admin, logged in */
    let agentPage; /* an agent of voirie, logged in */
    let last;
    let req;
    const results = [];
    const agents = {};

    const check = async (p, label) => {
        const r = await B.assertAccessible(p, label, { response: last });
        results.push(`${label}: 0 violations, ${r.bytes} bytes`);
    };
    const go = async (p, path, status = 200) => {
        last = await B.goto(p, srv.url + path, status);
        return last;
    };
    const submitMain = async (p) => {
        const btn = p.locator('main form button[type=submit]').last();
        [last] = await Promise.all([p.waitForNavigation({ waitUntil: 'load' }), btn.click()]);
        return last;
    };

    before(async () => {
        env = await B.start({ server: { requests: 40 } });
        srv = env.srv;
        agents.admin = F.addAgent(srv, { email: `axe.admin.${process.pid}@ville-demo.test`, name: 'Axe Admin', role: 'admin' });
        agents.agent = F.addAgent(srv, { email: `axe.agent.${process.pid}@ville-demo.test`, name: 'Axe Agent', role: 'agent', departments: ['voirie'] });
        req = await F.fileRequest(srv, { service: 'nid-de-poule' });
        page = await env.newPage();
        agentPage = await env.newPage();
    });
    after(async () => {
        if (results.length) console.log(`axe results:\n  ${results.join('\n  ')}`);
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('login page, and with errors', async () => {
        await go(page, '/agent/connexion');
        await check(page, 'login');
        await page.locator('#email').fill(agents.admin.email);
        await page.locator('#password').fill('pas le bon mot de passe');
        await submitMain(page);
        await check(page, 'login with errors');
    });

    it('TOTP enrolment, and with errors', async () => {
        await go(page, '/agent/connexion');
        await page.locator('#email').fill(agents.admin.email);
        await page.locator('#password').fill(agents.admin.password);
        last = await submitMain(page);
        assert.match(new URL(page.url()).pathname, /^\/agent\/totp/);
        await check(page, 'TOTP enrolment');
        agents.admin.secret = F.secretFromHtml(await page.content());
        await page.locator('#code').fill('000000' === F.totp(agents.admin.secret) ? '111111' : '000000');
        await submitMain(page);
        await check(page, 'TOTP enrolment with errors');
        await page.locator('#code').fill(await F.freshCode(agents.admin.secret));
        await submitMain(page);
        F.loginDone(agents.admin.secret);
        assert.match(new URL(page.url()).pathname, /^\/agent\/($|\?)/, `not logged in after enrolment: ${page.url()}`);
    });

    it('code step, and with errors', async () => {
        const p = await env.newPage();
        await go(p, '/agent/connexion');
        await p.locator('#email').fill(agents.admin.email);
        await p.locator('#password').fill(agents.admin.password);
        await submitMain(p);
        assert.match(new URL(p.url()).pathname, /^\/agent\/connexion\/code/);
        await check(p, 'code step');
        await p.locator('#code').fill('12');
        await submitMain(p);
        await check(p, 'code step with errors');
    });

    it('inbox: each tab', async () => {
        await F.loginPage(agentPage, srv, agents.agent);
        for (const tab of ['', '?onglet=moi', '?onglet=service', '?onglet=tout', '?vue=retard', '?vue=aujourdhui']) {
            await go(agentPage, '/agent/' + tab);
            await check(agentPage, `inbox ${tab || '(default tab)'}`);
        }
        await go(page, '/agent/?onglet=tout');
        await check(page, 'inbox «Tout» as an admin (bulk actions)');
    });

    it('inbox: filters, search results, no result', async () => {
        await go(agentPage, '/agent/?onglet=service&statut=new&demarche=nid-de-poule&canal=api&tri=priorite&retard=1');
        await check(agentPage, 'inbox with filters');
        await go(agentPage, `/agent/?onglet=service&q=${encodeURIComponent(req.last)}`);
        assert.ok((await agentPage.locator('main').innerText()).includes(req.reference), 'the search does not find the request');
        await check(agentPage, 'inbox search results');
        await go(agentPage, '/agent/?onglet=service&q=zzzzqqqq');
        assert.equal(await agentPage.locator('main tr[data-row]').count(), 0);
        await check(agentPage, 'inbox search without results');
    });

    it('«Mes notifications» with the weekly digest\'s choice (an administrator\'s page)', async () => {
        await go(page, '/agent/notifications');
        assert.equal(await page.locator('main #bilan').count(), 1, 'no weekly digest checkbox');
        await check(page, 'notifications with the weekly digest');
    });

    it('request page: timeline and actions, and an action with an error', async () => {
        await go(agentPage, `/agent/demandes/${req.reference}`);
        await check(agentPage, 'request page');
        /* Sent with nothing chosen: refused with an error summary on the page. */
        const form = agentPage.locator('main form[data-process]');
        assert.ok(await form.count(), 'no processing form');
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type=submit]').last().click()]);
        assert.equal(last.status(), 400);
        assert.ok(await agentPage.locator('.error-summary').count(), 'an empty processing form shows no error summary');
        await check(agentPage, 'request page with an error');
        /* After a change: the notice and the longer timeline. */
        await form.locator('#note').fill('Vu sur place, à reboucher.');
        await form.locator('#reponse').fill('Bonjour, une équipe passera cette semaine.');
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }), agentPage.locator('main form[data-process] button[type=submit]').last().click()]);
        assert.equal(last.status(), 200);
        await check(agentPage, 'request page after a change');
        await go(page, `/agent/demandes/${req.reference}`);
        await check(page, 'request page as an admin (assignment, transfer)');
    });

    it('request page of a démarche: transitions needing a comment, and one refused without it', async () => {
        const admin = await F.login(srv, agents.admin);
        await admin.get('/agent/admin/demarches/nouvelle');
        const created = await admin.post('/agent/admin/demarches/nouvelle', {
            code: 'permis-axe', name: 'Permis axe', kind: 'demarche', department: 'voirie', delay_days: '10',
            active: '1', open311: '1', open311_detail: 'full', attributes: '[]', description: 'Démarche de test.',
            service_notice: '', name_en: '', description_en: '', service_notice_en: '',
        });
        assert.equal(created.status, 303);
        const d = await F.fileRequest(srv, { service: 'permis-axe' });
        await go(agentPage, `/agent/demandes/${d.reference}`);
        const form = agentPage.locator('main form[data-process]');
        await form.locator('#statut').selectOption('under_review');
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type=submit]').last().click()]);
        assert.equal(last.status(), 200);
        assert.ok(await agentPage.locator('#statut-hint').count(), 'no hint for the transitions needing a comment');
        await check(agentPage, 'request page of a démarche (comment required)');
        await form.locator('#statut').selectOption('refused');
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type=submit]').last().click()]);
        assert.equal(last.status(), 400);
        assert.equal(await agentPage.locator('#statut').inputValue(), 'refused', 'the choice is kept');
        assert.ok(await agentPage.locator('.error-summary a[href="#statut"]').count(), 'no error summary for the status');
        await check(agentPage, 'request page with a comment required error');
    });

    it('«Texte public»: an error, then approved', async () => {
        await go(agentPage, `/agent/demandes/${req.reference}`);
        const form = agentPage.locator('main form[action$="/texte-public"]');
        assert.ok(await form.count(), 'no public text form on a public procedure\'s request');
        await form.locator('#texte_public').fill('   ');
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }), form.locator('button[value=approuver]').click()]);
        assert.equal(last.status(), 400);
        assert.ok(await agentPage.locator('.error-summary a[href="#texte_public"]').count(), 'no error summary for the public text');
        await check(agentPage, 'request page with a public text error');
        await agentPage.locator('#texte_public').fill('Nid de poule profond devant le numéro 12.');
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }), agentPage.locator('main form[action$="/texte-public"] button[value=approuver]').click()]);
        assert.equal(last.status(), 200);
        assert.ok(await agentPage.locator('main form[action$="/texte-public"] button[value=retirer]').count(), 'no «Retirer» once approved');
        await check(agentPage, 'request page with an approved public text');
    });

    it('«Fusionner»: an error, the confirmation, both requests after the merge', async () => {
        const dup = await F.fileRequest(srv, { service: 'nid-de-poule' });
        await go(agentPage, `/agent/demandes/${dup.reference}`);
        const form = agentPage.locator('main form[action$="/fusionner"]');
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type=submit]').click()]);
        assert.equal(last.status(), 400);
        assert.ok(await agentPage.locator('.error-summary a[href="#conserver"]').count(), 'no error summary for the merge');
        await check(agentPage, 'request page with a merge error');
        await agentPage.locator('#conserver').fill(req.reference);
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }), agentPage.locator('main form[action$="/fusionner"] button[type=submit]').last().click()]);
        assert.equal(last.status(), 200);
        assert.ok(await agentPage.locator('#confirmer-fusion').count(), 'no confirmation');
        await check(agentPage, 'request page asking to confirm a merge');
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }), agentPage.locator('#confirmer-fusion button[type=submit]').click()]);
        assert.equal(last.status(), 200);
        assert.ok(await agentPage.locator('#fusionnees').count(), 'the request kept does not list the merged one');
        await check(agentPage, 'request page listing a merged request');
        await go(agentPage, `/agent/demandes/${dup.reference}`);
        assert.ok(await agentPage.locator('#merged-notice').count());
        await check(agentPage, 'a merged request\'s page');
    });

    it('intake: empty, with errors, done', async () => {
        await go(agentPage, '/agent/saisie');
        await check(agentPage, 'intake (choosing the procedure)');
        await go(agentPage, '/agent/saisie?canal=phone&demarche=nid-de-poule');
        await check(agentPage, 'intake form');
        const form = agentPage.locator('main form[method=post][action="/agent/saisie"]');
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type=submit]').last().click()]);
        assert.equal(last.status(), 400);
        assert.ok(await agentPage.locator('.error-summary').count(), 'an empty intake shows no error summary');
        await check(agentPage, 'intake with errors');
        const f2 = agentPage.locator('main form[method=post][action="/agent/saisie"]');
        await f2.locator('#description').fill('Appel : un trou devant le 3 rue de la Gare.');
        await f2.locator('#adresse').fill('3 rue de la Gare');
        await f2.locator('#lat').fill('45.7645');
        await f2.locator('#long').fill('4.8350');
        await f2.locator('#nom').fill('Appelant');
        for (const sel of await f2.locator('select[name^=attr_]').all()) {
            const v = await sel.evaluate((x) => Array.from(x.options).map((o) => o.value).find((y) => y));
            if (v) await sel.selectOption(v);
        }
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }), f2.locator('button[type=submit]').last().click()]);
        assert.equal(last.status(), 201, `intake answered ${last.status()}: ${(await agentPage.locator('main').innerText()).slice(0, 500)}`);
        await check(agentPage, 'intake done');
        /* The citizen's receipt (printable, in the request's language), then a new code. */
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }),
                                    agentPage.locator('main form[action$="/recu"] button[type=submit]').click()]);
        assert.equal(last.status(), 200);
        await check(agentPage, 'counter receipt');
        const back = await agentPage.locator('main a').first().getAttribute('href');
        await go(agentPage, back);
        [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }),
                                    agentPage.locator('main form[action$="/code"] button[type=submit]').click()]);
        assert.equal(last.status(), 201);
        await check(agentPage, 'new tracking code');
    });

    it('caller lookup: empty, a caller, an unknown number, a refused one', async () => {
        await go(agentPage, '/agent/appel');
        await check(agentPage, 'caller lookup (empty)');
        await go(agentPage, `/agent/appel?tel=${encodeURIComponent(req.phone)}`);
        assert.ok(await agentPage.locator('#caller-requests').count(), 'the caller\'s requests are listed');
        await check(agentPage, 'caller lookup (a caller)');
        await go(agentPage, '/agent/appel?tel=01%2099%2088%2077%2066');
        assert.ok(await agentPage.locator('#caller-unknown').count(), 'an unknown number is said so');
        await check(agentPage, 'caller lookup (unknown number)');
        await go(agentPage, '/agent/appel?tel=06%2012', 400);
        assert.ok(await agentPage.locator('.error-summary').count(), 'a refused number shows the error summary');
        await check(agentPage, 'caller lookup (refused number)');
    });

    it('the procedure editor refusing faulty questions, its help unfolded', async () => {
        await go(page, '/agent/admin/demarches/nid-de-poule');
        await page.locator('#attributes-expert > summary').click(); /* the JSON editor is folded */
        await page.locator('#attributes').fill('[{"code": "a", "datatype": "colour"}]');
        await submitMain(page);
        assert.equal(last.status(), 400);
        assert.match(await page.locator('#attributes-error').innerText(), /« colour » n’existe pas/);
        await page.locator('main details.help > summary').click();
        await check(page, 'procedure editor with a questions error');
    });

    it('mobile view (375×667)', async () => {
        const p = await env.newPage({ viewport: { width: 375, height: 667 } });
        await F.loginPage(p, srv, agents.agent);
        await go(p, '/agent/terrain');
        await check(p, 'mobile view without a position');
        await go(p, '/agent/terrain?lat=45.764&long=4.8357&rayon=5000');
        assert.ok(await p.locator('main form[enctype="multipart/form-data"]').count(), 'no request near the position');
        await check(p, 'mobile view with requests');
        await p.locator('main details.field-card__act > summary').first().click();
        await check(p, 'mobile view with a card\'s actions unfolded');
        [last] = await Promise.all([p.waitForNavigation({ waitUntil: 'load' }),
                                    p.locator('main details.field-card__act[open] button[value=photo]').first().click()]);
        assert.equal(last.status(), 400);
        assert.ok(await p.locator('main details.field-card__act[open]').count(), 'the refused card is not unfolded');
        await check(p, 'mobile view with a refused action');
        await p.locator('header nav.site-nav--narrow summary').click();
        await check(p, 'the back office menu unfolded on a phone');
        await go(p, '/agent/terrain?lat=abc&long=4.8357', 400);
        assert.ok(await p.locator('.error-summary').count(), 'a wrong position shows no error summary');
        await check(p, 'mobile view with a wrong position');
    });

    it('a phone (390 px): the inbox\'s tabs with rows as cards, the admin\'s lists as cards', async () => {
        const mine = await F.fileRequest(srv, { service: 'nid-de-poule' });
        try {
            await agentPage.setViewportSize({ width: 390, height: 844 });
            await page.setViewportSize({ width: 390, height: 844 });
            /* «Mes demandes» gets a row: the agent takes a request of their service. */
            await go(agentPage, '/agent/?onglet=service');
            [last] = await Promise.all([agentPage.waitForNavigation({ waitUntil: 'load' }),
                                        agentPage.locator(`tr:has(a[href="/agent/demandes/${mine.reference}"]) button[data-take]`).click()]);
            for (const tab of ['', '?onglet=moi', '?onglet=service', '?onglet=tout', '?vue=retard']) {
                await go(agentPage, '/agent/' + tab);
                assert.ok(await agentPage.locator('main table[data-inbox] tbody tr').count() > 0, `inbox ${tab}: no row`);
                await check(agentPage, `inbox ${tab || '(default tab)'} at 390 px, with rows`);
            }
            for (const path of ['/agent/?onglet=tout', '/agent/admin/agents', '/agent/admin/demarches', '/agent/admin/cles',
                                '/agent/admin/audit']) {
                await go(page, path);
                assert.ok(await page.locator('main table tbody tr').count() > 0, `${path}: no row`);
                await check(page, `${path} at 390 px (admin)`);
            }
        } finally {
            await agentPage.setViewportSize({ width: 1280, height: 900 });
            await page.setViewportSize({ width: 1280, height: 900 });
        }
    });

    for (const path of ['/agent/admin', '/agent/admin/services', '/agent/admin/agents', '/agent/admin/demarches',
                        '/agent/admin/demarches/nouvelle', '/agent/admin/demarches/nid-de-poule', '/agent/admin/cles',
                        '/agent/admin/certificats', '/agent/admin/collectivite', '/agent/admin/audit', '/agent/admin/registre',
                        '/agent/admin/registre/imprimer', '/agent/admin/registre?lang=en', '/agent/admin/export',
                        '/agent/admin/conservation', '/agent/admin/comptes', '/agent/admin/webhooks',
                        '/agent/admin/messagerie', '/agent/admin/messagerie?lang=en',
                        '/agent/admin/sms',
                        '/agent/admin/workflows', '/agent/admin/workflows/incident?lang=en',
                        '/agent/admin/workflows/incident/historique', '/agent/admin/demarches/nid-de-poule/circuit',
                        '/agent/admin/comptes?email=personne%40exemple.fr']) {
        it(`admin: ${path}`, async () => {
            await go(page, path);
            await check(page, `admin ${path}`);
        });
    }

    it('admin: the e-mail settings with every field wrong, the test message\'s answer; a request to send by post', async () => {
        await go(page, '/agent/admin/messagerie');
        await page.fill('#smtp_url', 'http://relais');
        await page.fill('#smtp_user', 'nom avec espace');
        await page.fill('#reply_local', 'a+b');
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                    page.locator('main form button[type=submit]').first().click()]);
        assert.equal(last.status(), 400);
        await check(page, 'admin /agent/admin/messagerie with errors');
        await go(page, '/agent/admin/messagerie');
        await page.fill('#test_to', 'essai@ville-demo.test');
        await submitMain(page);
        assert.ok(await page.locator('#test-result').count() === 1, 'the test\'s answer is shown');
        await check(page, 'admin /agent/admin/messagerie with the test\'s answer');
        srv.sql(`UPDATE requests SET letter_due = 1 WHERE reference = '${req.reference}';`);
        await go(agentPage, `/agent/demandes/${req.reference}`);
        assert.equal(await agentPage.locator('#courrier').count(), 1);
        await check(agentPage, 'a request to send by post');
        await go(agentPage, '/agent/?vue=courrier');
        await check(agentPage, 'inbox: the view of the requests to send by post');
        srv.sql(`UPDATE requests SET letter_due = 0 WHERE reference = '${req.reference}';`);
    });

    it('admin: «Courriels reçus» with held mail and addresses, at 1280 and 390 px, and with an error', async () => {
        const r = await fetch(`${srv.url}/passerelle/mail`, {
            method: 'POST',
            headers: { 'Content-Type': 'message/rfc822', Authorization: `Bearer ${srv.keys.gateway}` },
            body: 'From: Promo <promo.axe@spam.test>\r\nX-Spam-Flag: YES\r\nSubject: Une offre exceptionnelle pour votre commune\r\n\r\nGagnez\r\n',
        });
        assert.equal(r.status, 200);
        srv.sql(`INSERT INTO mail_contacts (tenant_id, address, procedure_id)
                 SELECT tenant_id, 'etat-civil.tres-longue-adresse@ville-demo.test', id FROM procedures
                 WHERE code = 'question-generale'`);
        await go(page, '/agent/admin/courriels');
        assert.ok(await page.locator('main table tbody tr').count() >= 2, 'held mail and an address listed');
        await check(page, 'admin «Courriels reçus»');
        await page.setViewportSize({ width: 390, height: 844 });
        try {
            await go(page, '/agent/admin/courriels');
            await check(page, 'admin «Courriels reçus» at 390 px');
            assert.equal(await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth),
                         false, 'no horizontal scroll at 390 px');
        } finally {
            await page.setViewportSize({ width: 1280, height: 900 });
        }
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                    page.locator('main form[action^="/agent/admin/courriels/adresses"]:not([action*="retirer"]) button[type=submit]').click()]);
        assert.equal(last.status(), 400);
        await check(page, 'admin «Courriels reçus» with an error');
    });

    it('admin: the SMS gateway page with its errors, without sideways scroll at 390 px', async () => {
        await go(page, '/agent/admin/sms');
        await page.fill('#broadcast_rate', '0');
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                    page.locator('main form[action="/agent/admin/sms"] button[type=submit]').click()]);
        assert.equal(last.status(), 400);
        assert.match(await page.locator('main').innerText(), /Saisissez l'adresse complète de l'interface sendsms/);
        assert.equal(await page.locator('#broadcast_rate').inputValue(), '0', 'what was typed is kept');
        await check(page, 'admin SMS gateway with errors');
        await page.setViewportSize({ width: 390, height: 844 });
        try {
            await go(page, '/agent/admin/sms');
            assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390);
            await check(page, 'admin SMS gateway at 390 px');
        } finally {
            await page.setViewportSize({ width: 1280, height: 900 });
        }
    });

    it('admin: the SMS keywords, a refusal, at 390 px', async () => {
        /* A keyword listed, and an incident procedure an SMS can be filed under (its required
         * questions made optional for the while: a space marks them, to set them back). */
        srv.sql(`UPDATE procedures SET attributes = replace(attributes, '"required":true', '"required":false ')
                 WHERE code = 'nid-de-poule';
                 INSERT INTO sms_keywords (tenant_id, keyword, procedure_id)
                 SELECT tenant_id, 'trou', id FROM procedures WHERE code = 'nid-de-poule';`);
        try {
            await new Promise((res) => setTimeout(res, 1100)); /* the catalogue's next look */
            await go(page, '/agent/admin/sms');
            await page.fill('#keyword', 'nid de poule');
            [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                        page.locator('main form[action="/agent/admin/sms/mots-cles"] button[type=submit]').click()]);
            assert.equal(last.status(), 400);
            assert.match(await page.locator('main').innerText(), /un seul mot de lettres et de chiffres/);
            await check(page, 'admin SMS keywords with a refusal');
            await page.setViewportSize({ width: 390, height: 844 });
            try {
                await go(page, '/agent/admin/sms');
                assert.match(await page.locator('main').innerText(), /trou/);
                assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390);
                await check(page, 'admin SMS keywords at 390 px');
            } finally {
                await page.setViewportSize({ width: 1280, height: 900 });
            }
        } finally {
            srv.sql(`DELETE FROM sms_keywords;
                     UPDATE procedures SET attributes = replace(attributes, '"required":false ', '"required":true')
                     WHERE code = 'nid-de-poule';`);
            await new Promise((res) => setTimeout(res, 1100));
        }
    });

    it('admin: an agent\'s page, forms with errors, the audit verification', async () => {
        await go(page, `/agent/admin/agents/${agents.agent.id}`);
        await check(page, 'admin agent page');
        await go(page, '/agent/admin/agents');
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                    page.locator('main form[method=post][action="/agent/admin/agents"] button[type=submit]').last().click()]);
        assert.equal(last.status(), 400);
        await check(page, 'admin agents with errors');
        await go(page, '/agent/admin/audit');
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                    page.locator('main form[action="/agent/admin/audit/verifier"] button[type=submit]').click()]);
        assert.match(await page.locator('main').innerText(), /La chaîne est intacte/);
        await check(page, 'admin audit verified');
    });

    it('admin: the trust anchors with an error (bytes that are no certificate)', async () => {
        await go(page, '/agent/admin/certificats');
        await page.fill('#certificate', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----');
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                    page.locator('main form[action^="/agent/admin/certificats"] button[type=submit]').last().click()]);
        assert.equal(last.status(), 400);
        assert.equal(await page.locator('#certificate').getAttribute('aria-invalid'), 'true');
        await check(page, 'admin /agent/admin/certificats with an error');
    });

    it('admin: the data export with an error, and with no data for the address', async () => {
        await go(page, '/agent/admin/export');
        const form = page.locator('main form[method=post][action^="/agent/admin/export"]');
        await form.locator('#email').fill('pas une adresse');
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type=submit]').click()]);
        assert.equal(last.status(), 400);
        assert.ok(await page.locator('.error-summary').count(), 'a wrong address shows no error summary');
        await check(page, 'admin export with errors');
        const again = page.locator('main form[method=post][action^="/agent/admin/export"]');
        await again.locator('#email').fill(`personne.${process.pid}@exemple.fr`);
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), again.locator('button[type=submit]').click()]);
        assert.equal(last.status(), 200);
        assert.match(await page.locator('main').innerText(), /Aucun compte ni aucune demande/);
        await check(page, 'admin export, nothing found');
    });

    it('403 and 404 pages', async () => {
        await go(agentPage, '/agent/admin', 403);
        await check(agentPage, '403');
        await go(agentPage, '/agent/demandes/1999-999999', 404);
        await check(agentPage, '404');
    });
});
