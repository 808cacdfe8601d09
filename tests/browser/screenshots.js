'use strict';
/*
 * screenshots — the main pages of the portal and the back office as a citizen on a phone
 * (390 × 844) and an agent at a desk (1366 × 900) see their first screen, written to
 * docs/ui/ as JPEG for docs/ui.md. Run by scripts/screenshots against a fresh demo commune in
 * Debian's Chromium, like the browser tests (tests/browser/browser.js); not a test: it
 * checks nothing but that every page answers without an error.
 *
 * Map tiles come from a tile server the machine cannot reach: maps show their frame and
 * marker on grey.
 */

const fs = require('node:fs');
const path = require('node:path');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./flows');
const BO = require('./bo_flows');

const OUT = path.join(__dirname, '..', '..', 'docs', 'ui');
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1366, height: 900 } };

async function shoot(page, name, size) {
    const file = path.join(OUT, `${name}-${size}.jpg`);
    await page.screenshot({ path: file, type: 'jpeg', quality: 70 });
    process.stdout.write(`docs/ui/${path.basename(file)}\n`);
}

async function open(page, url) {
    const r = await B.goto(page, url);
    assert.ok(!r || r.status() < 400, `${url} answered ${r && r.status()}`);
}

async function main() {
    fs.mkdirSync(OUT, { recursive: true });
    const env = await B.start();
    const srv = env.srv;
    try {
        const manager = BO.addAgent(srv, { email: 'maud.manager@ville-demo.test', name: 'Maud Manager', role: 'manager', departments: ['voirie'] });
        for (const [size, viewport] of Object.entries(SIZES)) {
            const page = await env.newPage({ viewport });
            /* The citizen: home, the report's three steps, its confirmation and tracking page. */
            await open(page, `${srv.url}/`);
            await shoot(page, 'accueil', size);
            await open(page, `${srv.url}/signaler`);
            await shoot(page, 'signaler-1-lieu', size);
            await page.locator('main input[name=address]').fill('12 rue Victor Hugo');
            await F.submitForward(page);
            await page.locator('main textarea[name=description]').fill('Un trou profond dans la chaussée devant le numéro 12, dangereux pour les vélos.');
            await page.locator('main input[name=files]').setInputFiles(Object.assign({}, await B.makeJpeg(page), { name: 'trou.jpg' }));
            /* The category the words point to, checked by report.js as they are typed. */
            await page.waitForFunction(() => {
                const r = document.querySelector('input[name=categorie][value="nid-de-poule"]');
                return r && r.checked;
            }, null, { timeout: 5000 });
            await shoot(page, 'signaler-2-probleme', size);
            await F.submitForward(page);
            assert.equal(await F.errorSummary(page), null, 'the problem step was refused');
            await shoot(page, 'signaler-3-envoi', size);
            await F.fillForm(page, { email: `capture.${size}@example.org` });
            await F.submitForward(page);
            const err = await F.errorSummary(page);
            assert.equal(err, null, `the report was refused: ${err && err.text}`);
            const filed = await F.confirmationOf(page);
            await shoot(page, 'confirmation', size);
            await open(page, `${srv.url}/suivi/${filed.reference}?jeton=${encodeURIComponent(filed.token)}`);
            await shoot(page, 'suivi', size);
            await open(page, `${srv.url}/signalements`);
            await shoot(page, 'signalements', size);
            /* The agent: the inbox, a request, the field view. */
            const agentPage = await env.newPage({ viewport });
            await BO.loginPage(agentPage, srv, manager);
            await open(agentPage, `${srv.url}/agent/`);
            await shoot(agentPage, 'bo-corbeille', size);
            await open(agentPage, `${srv.url}/agent/demandes/${filed.reference}`);
            await shoot(agentPage, 'bo-demande', size);
            await open(agentPage, `${srv.url}/agent/terrain`);
            await shoot(agentPage, 'bo-terrain', size);
        }
    } finally {
        await env.stop();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
