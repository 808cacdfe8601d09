'use strict';
/*
 * Actions on entering a status, against a real `guichet serve` and a real MTA (OpenSMTPD,
 * tests/http/mta.js): a démarche (the shipped démarche workflow) is put under review, then an
 * agent asks the citizen for a correction — refused without the words asking, which the
 * reply says; the back office shows the correction pending; the citizen is told by e-mail
 * with those words, finds the «attend une correction» box on their tracking page and answers
 * it with a file, which brings the request back under review (the timeline shows the answer
 * and the status moved, the citizen is told again); a second answer is refused. Each action
 * run is an internal event of the timeline.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const P = require('./portal_client');
const { startMta, mtaAvailable } = require('./mta');

const FROM = 'mairie@ville-demo.test';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const ASKED = 'Merci de joindre le plan coté de la terrasse.';

const statusOf = (srv, ref) => srv.sql(`SELECT status FROM requests WHERE reference = ${F.sqlq(ref)}`).trim();

test('a correction asked of the citizen, answered from the tracking page', async (t) => {
    const noMta = mtaAvailable();
    const mta = noMta ? null : await startMta();
    const env = mta ? { GUICHET_SMTP_URL: mta.url, GUICHET_MAIL_FROM: FROM, GUICHET_MAIL_BACKOFF_S: '1' } : {};
    const srv = await H.startServer({ requests: 3, env });
    t.after(async () => {
        await srv.stop();
        if (mta) await mta.stop();
    });
    const admin = await F.login(srv, F.addAgent(srv, { email: 'actions.admin@ville-demo.test', name: 'Admin Actions', role: 'admin' }));
    const agent = await F.login(srv, F.addAgent(srv, { email: 'actions.agent@ville-demo.test', name: 'Inès Actions', role: 'agent', departments: ['voirie'] }));
    await admin.get('/agent/admin/demarches/nouvelle');
    const created = await admin.post('/agent/admin/demarches/nouvelle', {
        code: 'terrasse-actions', name: 'Autorisation de terrasse', kind: 'demarche', department: 'voirie', delay_days: '',
        active: '1', open311: '1', open311_detail: 'full', attributes: '[]', description: 'Une démarche de test.',
        service_notice: '', name_en: '', description_en: '', service_notice_en: '',
    });
    assert.equal(created.status, 303, F.textOf(created.text).slice(0, 500));
    const filed = await F.fileRequest(srv, { service: 'terrasse-actions', tag: 'actn0001' });
    const url = `/agent/demandes/${filed.reference}`;
    const token = 'jeton-de-test-actions-0123456789abcdefghijklmno';
    P.setToken(srv, filed.reference, token);
    const citizen = new P.Browser(srv);

    await t.test('under review: its actions run with the change, each an internal event', async () => {
        const r = await agent.post(`${url}/traiter`, { statut: 'under_review' });
        assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
        const events = srv.sql(`SELECT kind, coalesce(body, ''), is_public FROM request_events WHERE request_id = ${filed.id} ORDER BY id`)
            .trim().split('\n');
        assert.deepEqual(events.slice(-3), ['status||1', 'action|set_due_date|0', 'action|notify_citizen|0']);
        /* «instruction : 2 mois» — the due date set by the action, 60 days on. */
        const due = Number(srv.sql(`SELECT due_at - updated_at FROM requests WHERE id = ${filed.id}`).trim());
        assert.ok(due > 59 * 86400 && due <= 64 * 86400, `due in ${due} s`);
        const page = F.unescapeHtml((await agent.get(url)).text);
        assert.match(page, /Action du statut : nouvelle échéance/);
        assert.match(page, /Action du statut : usager prévenu par e-mail/);
    });

    await t.test('asking needs the words asking, in the reply', async () => {
        const r = await agent.post(`${url}/traiter`, { statut: 'correction_requested', note: 'Plan manquant' });
        assert.equal(r.status, 400);
        assert.match(F.unescapeHtml(r.text), /Ce statut demande une correction à l'usager : écrivez-lui dans « Réponse à l'usager \(publique\) »/);
        assert.equal(statusOf(srv, filed.reference), 'under_review');
    });

    await t.test('the correction asked: the back office shows it pending', async () => {
        const r = await agent.post(`${url}/traiter`, { statut: 'correction_requested', reponse: ASKED });
        assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
        assert.equal(statusOf(srv, filed.reference), 'correction_requested');
        const page = F.unescapeHtml((await agent.get(url)).text);
        assert.match(page, /<section aria-labelledby="attente-titre" class="notice notice--info" id="attente-usager">/);
        assert.match(page, /Demande de correction en attente/);
        assert.match(page, /la fera passer au statut <strong>En instruction<\/strong>/i);
        assert.ok(page.includes(ASKED));
    });

    await t.test('the citizen is told by e-mail with the words asking', { skip: noMta || false }, async () => {
        const [m] = await mta.waitFor((x) => x.to === filed.email && x.text.includes(ASKED), 20000);
        assert.match(m.subject, /Votre demande a évolué/);
        assert.match(m.text, /Nouveau statut : Correction demandée/i);
        /* One e-mail for the move: no separate «nouvelle réponse» for the same words. */
        assert.equal(mta.messages().filter((x) => x.to === filed.email && /Nouvelle réponse/.test(x.subject)).length, 0);
    });

    await t.test('the tracking page: the box, its words and its form, without JavaScript', async () => {
        const page = await citizen.get(P.trackingPath(filed.reference, token));
        assert.equal(page.status, 200);
        const html = P.decodeEntities(page.text);
        assert.match(html, /<h2 id="correction-titre">Votre demande attend une correction ou un document<\/h2>/);
        assert.ok(html.includes(`<p>${ASKED}</p>`));
        const form = P.parseForms(page.text).find((f) => f.action.endsWith('/correction'));
        assert.ok(form);
        assert.equal(form.method, 'post');
        assert.ok(form.controls.some((c) => c.name === 'reponse' && c.tag === 'textarea'));
        assert.ok(form.controls.some((c) => c.name === 'fichiers' && c.type === 'file'));
        assert.match(html, /<label for="reponse">Votre réponse<\/label>/);
        /* An empty answer: refused, named, nothing written. */
        const empty = await P.answer(citizen, filed.reference, token, '', []);
        assert.equal(empty.status, 400);
        assert.match(P.decodeEntities(empty.text), /<a href="#reponse">/);
        assert.equal(statusOf(srv, filed.reference), 'correction_requested');
    });

    await t.test('the answer with its file brings the request back under review', async () => {
        const r = await P.answer(citizen, filed.reference, token, 'Voici le plan coté.',
                                 [{ name: 'plan.pdf', type: 'application/pdf', data: PDF }]);
        assert.equal(r.status, 303, r.text.slice(0, 500));
        assert.match(r.headers.get('location'), /corrige=1/);
        assert.equal(statusOf(srv, filed.reference), 'under_review');
        const events = srv.sql(`SELECT kind, coalesce(status_from, ''), coalesce(status_to, ''), is_public, coalesce(body, '')
                                FROM request_events WHERE request_id = ${filed.id} ORDER BY id`).trim().split('\n');
        const answered = events.findIndex((e) => e === 'message|||1|Voici le plan coté.');
        assert.ok(answered > 0, events.join('\n'));
        assert.equal(events[answered + 1], 'status|correction_requested|under_review|1|');
        assert.equal(srv.sql(`SELECT count(*) FROM attachments WHERE request_id = ${filed.id} AND filename = 'plan.pdf'`).trim(), '1');
        /* Both on the citizen's timeline, the box gone, the page saying it was sent. */
        const page = P.decodeEntities((await citizen.get(`${P.trackingPath(filed.reference, token)}&corrige=1`)).text);
        assert.match(page, /Votre réponse a bien été transmise à la mairie/);
        assert.doesNotMatch(page, /id="correction-titre"/);
        assert.ok(page.includes('Voici le plan coté.'));
        const bo = F.unescapeHtml((await agent.get(url)).text);
        assert.ok(bo.includes('Voici le plan coté.'));
        assert.doesNotMatch(bo, /Demande de correction en attente/);
    });

    await t.test('a second answer is refused: the request no longer waits', async () => {
        const page = await citizen.get(P.trackingPath(filed.reference, token));
        const form = P.parseForms(page.text).find((f) => f.action.endsWith('/message'));
        /* Posted to the answer's address anyway (an old page). */
        const r = await citizen.submit(form, [...P.fill(form).filter(([k]) => k !== 'message'), ['reponse', 'Encore moi.']],
                                       form.action.replace(/\/message$/, '/correction'));
        assert.equal(r.status, 409);
        assert.match(P.decodeEntities(r.text), /Cette demande n’attend plus de réponse de votre part/);
        assert.equal(srv.sql(`SELECT count(*) FROM request_events WHERE request_id = ${filed.id} AND body = 'Encore moi.'`).trim(), '0');
    });

    await t.test('told again when back under review, in the language the request was filed in', { skip: noMta || false }, async () => {
        const told = (x) => x.to === filed.email && /Nouveau statut : En instruction/i.test(x.text);
        /* Both entries under review (the agent's, then the answer's) each tell the citizen. */
        await mta.waitFor((x) => told(x) && mta.messages().filter(told).length >= 2, 20000);
        const found = mta.messages().filter(told);
        assert.equal(found.length, 2);
        assert.ok(found.every((m) => /Votre demande a évolué/.test(m.subject)));
    });
});
