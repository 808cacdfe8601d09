'use strict';
/*
 * letters — issue 15's letters and decisions from templates. The administration's templates
 * (/agent/admin/modeles-courriers): the demo's are seeded; a template with an unknown
 * placeholder, without a name, or with a name taken comes back with the error beside its
 * field and what was typed; an edit makes version 2 and keeps version 1; its PDF preview
 * with a made-up request and with a chosen one. An agent of the request's department writes
 * a letter from the request page: the form is filled for the request, an unknown placeholder
 * is refused with its name and the text kept, the preview shows the letter and its PDF, and
 * «Émettre» stores it as a document (kind, agent, title, shown to the citizen) with its
 * public timeline event, its audit entry and the citizen's e-mail in the outbox; the citizen
 * sees it on the tracking page (timeline and documents) and downloads it. An élu gets 403,
 * an agent of another department 404, and neither writes anything. A decision's PDF gives
 * back its visas, considérants and articles in order. A template deleted leaves the lists,
 * its versions and the documents issued staying.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const H = require('./harness');
const F = require('../browser/bo_flows');

const ADMIN_PAGE = '/agent/admin/modeles-courriers';
let srv;
const ctx = { agents: {}, clients: {} };

function pdfText(buf, name) {
    const f = path.join(srv.dir, name);
    fs.writeFileSync(f, buf);
    const r = spawnSync('pdftotext', ['-enc', 'UTF-8', f, '-'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.replace(/\s+/g, ' ');
}

async function fetchPdf(client, p, form) {
    const h = { Cookie: client.cookieHeader() };
    let body;
    if (form) {
        body = new URLSearchParams(Object.assign({ csrf_token: client.csrf }, form)).toString();
        h['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    const r = await fetch(srv.url + p, { method: form ? 'POST' : 'GET', headers: h, body, redirect: 'manual' });
    return { status: r.status, type: r.headers.get('content-type'), bytes: Buffer.from(await r.arrayBuffer()) };
}

function templateId(name) {
    return Number(srv.sql(`SELECT id FROM letter_templates WHERE name = ${F.sqlq(name)}`).trim());
}

function count(sql) {
    return Number(srv.sql(sql).trim());
}

test.before(async () => {
    srv = await H.startServer({ requests: 0 });
    const add = (key, role, departments) => {
        ctx.agents[key] = F.addAgent(srv, {
            email: `${key.toLowerCase()}.${process.pid}@ville-demo.test`,
            name: `Courrier ${key}`,
            role,
            departments,
        });
    };
    add('agentA', 'agent', ['voirie']);
    add('agentB', 'agent', ['proprete']);
    add('elected', 'elected', []);
    add('admin', 'admin', []);
    for (const k of Object.keys(ctx.agents)) ctx.clients[k] = await F.login(srv, ctx.agents[k]);
    ctx.req = await F.fileRequest(srv, { service: 'nid-de-poule' });
    assert.equal(ctx.req.department, 'voirie');
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

test('the templates page: the demo\'s templates, for admins only', async () => {
    const page = await ctx.clients.admin.get(ADMIN_PAGE);
    assert.equal(page.status, 200);
    for (const name of ['Réponse standard', 'Arrêté de voirie — permission de stationnement', 'Décision de refus'])
        assert.ok(F.textOf(page.text).includes(name), name);
    assert.match(page.text, /<caption>Modèles de la collectivité<\/caption>/);
    for (const k of ['agentA', 'elected']) assert.equal((await ctx.clients[k].get(ADMIN_PAGE)).status, 403, k);
    const refusal = await ctx.clients.agentA.post(ADMIN_PAGE, { name: 'X', kind: 'letter', lang: 'fr', subject: 's', body: 'b' });
    assert.equal(refusal.status, 403);
    assert.equal(count("SELECT count(*) FROM letter_templates WHERE name = 'X'"), 0);
});

test('a template is refused with the error beside its field and what was typed kept', async () => {
    const admin = ctx.clients.admin;
    await admin.get(ADMIN_PAGE);
    const typed = { name: 'Modèle essai', kind: 'letter', lang: 'fr', procedure_id: '', subject: 'Objet {reference}',
                    body: 'Bonjour {prenom}, votre {inconnu} est prête.', quality: 'Le Maire' };
    let r = await admin.post(ADMIN_PAGE, typed);
    assert.equal(r.status, 400);
    assert.match(r.text, /<textarea id="body" name="body" rows="14" required aria-describedby="body-hint body-error" aria-invalid="true">Bonjour \{prenom\}, votre \{inconnu\} est prête\.<\/textarea>/);
    assert.ok(F.textOf(r.text).includes('Le champ {inconnu} n’existe pas. Champs possibles : {reference}, {date_depot}'), F.textOf(r.text));
    assert.match(r.text, /id="subject"[^>]*value="Objet \{reference\}"/);
    r = await admin.post(ADMIN_PAGE, Object.assign({}, typed, { name: '', body: 'Bonjour.' }));
    assert.equal(r.status, 400);
    assert.match(r.text, /<p class="field-error" id="name-error">/);
    r = await admin.post(ADMIN_PAGE, Object.assign({}, typed, { name: 'Décision de refus', body: 'Bonjour.' }));
    assert.equal(r.status, 400);
    assert.ok(F.textOf(r.text).includes('Un autre modèle porte déjà ce nom'));
    r = await admin.post(ADMIN_PAGE, Object.assign({}, typed, { kind: 'lettre', body: 'Bonjour.' }));
    assert.equal(r.status, 400);
    assert.match(r.text, /<p class="field-error" id="kind-error">/);
    assert.equal(count("SELECT count(*) FROM letter_templates WHERE name = 'Modèle essai'"), 0);

    r = await admin.post(ADMIN_PAGE, Object.assign({}, typed, { body: 'Bonjour {prenom} {nom}.\n\nSuite de la réponse.' }));
    assert.equal(r.status, 303, F.textOf(r.text));
    const id = templateId('Modèle essai');
    assert.ok(id > 0);
    r = await admin.post(ADMIN_PAGE, Object.assign({}, typed, { editing: String(id), body: 'Nouvelle version pour {prenom}.' }));
    assert.equal(r.status, 303, F.textOf(r.text));
    assert.equal(srv.sql(`SELECT version, body FROM letter_templates WHERE id = ${id}`).trim(), '2|Nouvelle version pour {prenom}.');
    assert.equal(srv.sql(`SELECT group_concat(version || ':' || substr(body, 1, 7), ',') FROM (SELECT * FROM letter_template_versions WHERE template_id = ${id} ORDER BY version)`).trim(),
                 '1:Bonjour,2:Nouvell');
    assert.equal(count(`SELECT count(*) FROM audit_log WHERE action = 'admin' AND object_kind = 'letter_template'`), 2);
    const edit = await admin.get(`${ADMIN_PAGE}?modifier=${id}`);
    assert.match(edit.text, /<input type="hidden" name="editing" value="\d+">/);
    assert.ok(edit.text.includes('Nouvelle version pour {prenom}.'));
});

test('the admin\'s preview: a PDF with a made-up request, or with a chosen one', async () => {
    const id = templateId('Réponse standard');
    const admin = ctx.clients.admin;
    let r = await fetchPdf(admin, `${ADMIN_PAGE}/apercu?modele=${id}`);
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/pdf');
    let t = pdfText(r.bytes, 'sample.pdf');
    assert.ok(t.includes('Camille Exemple') && t.includes('2026-000042'), t);
    r = await fetchPdf(admin, `${ADMIN_PAGE}/apercu?modele=${id}&demande=${ctx.req.reference}`);
    assert.equal(r.status, 200);
    t = pdfText(r.bytes, 'chosen.pdf');
    assert.ok(t.includes(ctx.req.last) && t.includes(ctx.req.reference), t);
    assert.equal((await fetchPdf(admin, `${ADMIN_PAGE}/apercu?modele=999999`)).status, 404);
    assert.equal((await fetchPdf(ctx.clients.agentA, `${ADMIN_PAGE}/apercu?modele=${id}`)).status, 403);
});

test('a decision\'s PDF gives back its visas, considérants and articles in order', async () => {
    const id = templateId('Arrêté de voirie — permission de stationnement');
    const r = await fetchPdf(ctx.clients.admin, `${ADMIN_PAGE}/apercu?modele=${id}&demande=${ctx.req.reference}`);
    assert.equal(r.status, 200);
    const t = pdfText(r.bytes, 'decision.pdf');
    const order = ['Arrêté portant permission de stationnement', `Référence de la demande : ${ctx.req.reference}`,
                   'Vu le code général des collectivités territoriales', 'Vu le code de la route',
                   `Vu la demande n° ${ctx.req.reference}`, 'Considérant que l’occupation demandée', 'ARRÊTE :',
                   `Article 1 : ${ctx.req.first} ${ctx.req.last} est autorisé(e)`, 'Article 2 : Le permissionnaire',
                   'Article 3 :', 'Article 4 : Le présent arrêté peut faire l’objet d’un recours', 'Télérecours citoyens',
                   'Article 5 :', 'Le Maire de'];
    let at = -1;
    for (const s of order) {
        const i = t.indexOf(s, at + 1);
        assert.ok(i > at, `«${s}» not found after position ${at} in: ${t}`);
        at = i;
    }
});

test('an agent writes, previews and issues a letter; the citizen is told and sees it', async () => {
    const agent = ctx.clients.agentA;
    const ref = ctx.req.reference;
    const id = templateId('Réponse standard');
    const show = await agent.get(`/agent/demandes/${ref}`);
    assert.equal(show.status, 200);
    assert.match(show.text, new RegExp(`<option value="${id}">Réponse standard</option>`));
    const form = await agent.get(`/agent/demandes/${ref}/redaction?modele=${id}`);
    assert.equal(form.status, 200);
    assert.ok(form.text.includes(`enregistrée sous la référence ${ref}`), F.textOf(form.text));
    const body = `Madame, Monsieur,\n\nVotre demande ${ref} est acceptée : les travaux auront lieu sous huit jours.\n\nCordialement.`;
    const fields = { modele: String(id), subject: 'Votre demande « {demarche} »', body, quality: 'Le service {service}', signatory: '{agent}' };

    let r = await agent.post(`/agent/demandes/${ref}/redaction`, Object.assign({}, fields, { action: 'apercu', body: body + ' {montant}' }));
    assert.equal(r.status, 400);
    assert.ok(F.textOf(r.text).includes('Le champ {montant} n’existe pas'), F.textOf(r.text));
    assert.ok(r.text.includes('les travaux auront lieu sous huit jours.\n\nCordialement. {montant}</textarea>'));

    r = await agent.post(`/agent/demandes/${ref}/redaction`, Object.assign({}, fields, { action: 'apercu' }));
    assert.equal(r.status, 200);
    const preview = F.textOf(r.text);
    assert.ok(preview.includes('Objet : Votre demande « Nid de poule »'), preview);
    assert.ok(preview.includes('les travaux auront lieu sous huit jours'), preview);
    assert.ok(preview.includes('Le service Voirie'), preview);
    assert.match(r.text, /<button type="submit" name="action" value="emettre" class="btn">Émettre<\/button>/);

    const pdf = await fetchPdf(agent, `/agent/demandes/${ref}/redaction`, Object.assign({}, fields, { action: 'pdf' }));
    assert.equal(pdf.status, 200);
    assert.ok(pdfText(pdf.bytes, 'letter-preview.pdf').includes('les travaux auront lieu sous huit jours'));
    assert.equal(count(`SELECT count(*) FROM documents WHERE request_id = ${ctx.req.id} AND kind = 'letter'`), 0);

    r = await agent.post(`/agent/demandes/${ref}/redaction`, Object.assign({}, fields, { action: 'emettre' }));
    assert.equal(r.status, 303, F.textOf(r.text));
    assert.equal(F.locPath(r, srv),
                 `/agent/demandes/${ref}?fait=emis`);
    const [doc] = JSON.parse(srv.sql(`SELECT json_group_array(json_object('id', id, 'kind', kind, 'version', version, 'title', title, 'agent', agent_id, 'visible', citizen_visible)) FROM documents WHERE request_id = ${ctx.req.id} AND kind = 'letter'`));
    assert.deepEqual({ kind: doc.kind, version: doc.version, title: doc.title, agent: doc.agent, visible: doc.visible },
                     { kind: 'letter', version: 1, title: 'Votre demande « Nid de poule »', agent: ctx.agents.agentA.id, visible: 1 });
    assert.equal(srv.sql(`SELECT is_public || '|' || body FROM request_events WHERE request_id = ${ctx.req.id} AND kind = 'letter_issued'`).trim(),
                 '1|Votre demande « Nid de poule »');
    assert.equal(count(`SELECT count(*) FROM audit_log WHERE action = 'issue' AND object_kind = 'document' AND agent_id = ${ctx.agents.agentA.id}`), 1);
    const mail = srv.sql(`SELECT recipient || '|' || template FROM outbox WHERE request_id = ${ctx.req.id} AND template = 'document_issued'`).trim();
    assert.equal(mail, `${ctx.req.email}|document_issued`);
    /* The e-mail carries the letter: its row names the document and its hash, not its bytes. */
    assert.equal(srv.sql(`SELECT o.document_id = d.id AND o.document_sha256 = d.sha256 FROM outbox o, documents d
                          WHERE o.request_id = ${ctx.req.id} AND o.template = 'document_issued' AND d.id = ${doc.id}`).trim(), '1');
    const done = await agent.follow(r);
    assert.ok(F.textOf(done.text).includes('Le document est émis'), F.textOf(done.text));
    assert.ok(F.textOf(done.text).includes('Courrier émis — Courrier agentA Votre demande « Nid de poule »'), F.textOf(done.text).slice(0, 3000));

    /* The stored PDF: the letter as previewed, with its verification code. */
    const stored = await fetchPdf(agent, `/documents/${ref}/${doc.id}`);
    assert.equal(stored.status, 200);
    const t = pdfText(stored.bytes, 'letter.pdf');
    assert.ok(t.includes('les travaux auront lieu sous huit jours') && t.includes('/verifier/'), t);

    /* The citizen: the timeline and the documents of the tracking page. */
    const { setToken } = require('./portal_client');
    const token = 'jeton-courrier-' + 'c'.repeat(30);
    setToken(srv, ref, token);
    const page = await H.request(srv, 'GET', `/suivi/${ref}?jeton=${encodeURIComponent(token)}`);
    assert.equal(page.status, 200);
    const text = F.textOf(page.text);
    assert.ok(text.includes('Courrier émis par la mairie'), text);
    assert.ok(text.includes('Documents de la mairie') && text.includes('Votre demande « Nid de poule »'), text);
    const dl = await fetch(`${srv.url}/documents/${ref}/${doc.id}?jeton=${encodeURIComponent(token)}`);
    assert.equal(dl.status, 200);
    assert.equal(dl.headers.get('content-type'), 'application/pdf');

    /* A letter of another subject is another document; issued again under the same subject,
     * it is that document's next version (a document is its request, kind and title). */
    const versions = () => srv.sql(`SELECT group_concat(title || ' v' || version, ' | ') FROM (SELECT title, version FROM documents WHERE request_id = ${ctx.req.id} AND kind = 'letter' ORDER BY id)`).trim();
    r = await agent.post(`/agent/demandes/${ref}/redaction`, Object.assign({}, fields, { action: 'emettre', subject: 'Complément' }));
    assert.equal(r.status, 303);
    r = await agent.post(`/agent/demandes/${ref}/redaction`, Object.assign({}, fields, { action: 'emettre', subject: 'Complément' }));
    assert.equal(r.status, 303);
    assert.equal(versions(), 'Votre demande « Nid de poule » v1 | Complément v1 | Complément v2');
});

test('élus read but issue nothing (403); another department\'s agent gets 404', async () => {
    const ref = ctx.req.reference;
    const id = templateId('Réponse standard');
    const before = count(`SELECT count(*) FROM documents WHERE request_id = ${ctx.req.id}`);
    const fields = { modele: String(id), subject: 'Objet', body: 'Texte.', action: 'emettre' };
    const elected = ctx.clients.elected;
    const show = await elected.get(`/agent/demandes/${ref}`);
    assert.equal(show.status, 200);
    assert.ok(!show.text.includes('/redaction'), 'an élu is offered to write a letter');
    assert.equal((await elected.get(`/agent/demandes/${ref}/redaction?modele=${id}`)).status, 403);
    assert.equal((await elected.post(`/agent/demandes/${ref}/redaction`, fields)).status, 403);
    const other = ctx.clients.agentB;
    for (const r of [await other.get(`/agent/demandes/${ref}/redaction?modele=${id}`),
                     await other.post(`/agent/demandes/${ref}/redaction`, fields)]) {
        assert.equal(r.status, 404);
        F.assertNoLeak(r.text, ctx.req, 'agent of another department', `/agent/demandes/${ref}/redaction`);
    }
    assert.equal((await ctx.clients.agentA.get(`/agent/demandes/${ref}/redaction?modele=999999`)).status, 404);
    assert.equal(count(`SELECT count(*) FROM documents WHERE request_id = ${ctx.req.id}`), before);

    /* An anonymised request takes no letter: its text would bring personal data back. */
    const gone = await F.fileRequest(srv, { service: 'nid-de-poule' });
    srv.sql(`UPDATE requests SET anonymised_at = 1 WHERE id = ${gone.id}`);
    const agentA = ctx.clients.agentA;
    assert.ok(!(await agentA.get(`/agent/demandes/${gone.reference}`)).text.includes('/redaction'),
              'an anonymised request offers to write a letter');
    assert.equal((await agentA.get(`/agent/demandes/${gone.reference}/redaction?modele=${id}`)).status, 403);
    assert.equal((await agentA.post(`/agent/demandes/${gone.reference}/redaction`, fields)).status, 403);
    assert.equal(count(`SELECT count(*) FROM documents WHERE request_id = ${gone.id} AND kind = 'letter'`), 0);
});

test('a template deleted goes from the lists; its versions and the documents issued stay', async () => {
    const id = templateId('Modèle essai');
    assert.ok(id > 0);
    const path = `${ADMIN_PAGE}/${id}/supprimer`;
    assert.equal((await ctx.clients.agentA.post(path, {})).status, 403);
    assert.equal(count(`SELECT count(*) FROM letter_templates WHERE id = ${id}`), 1);
    const docs = count('SELECT count(*) FROM documents');
    const r = await ctx.clients.admin.post(path, {});
    assert.equal(r.status, 303);
    assert.ok(F.textOf((await ctx.clients.admin.follow(r)).text).includes('Le modèle est supprimé'));
    assert.equal(count(`SELECT count(*) FROM letter_templates WHERE id = ${id}`), 0);
    assert.equal(count(`SELECT count(*) FROM letter_template_versions WHERE template_id = ${id}`), 2);
    assert.equal(count('SELECT count(*) FROM documents'), docs);
    assert.equal(count("SELECT count(*) FROM audit_log WHERE action = 'admin' AND object_kind = 'letter_template'"), 3);
    assert.ok(!(await ctx.clients.agentA.get(`/agent/demandes/${ctx.req.reference}`)).text.includes('Modèle essai'));
    assert.equal((await ctx.clients.agentA.get(`/agent/demandes/${ctx.req.reference}/redaction?modele=${id}`)).status, 404);
    assert.equal((await ctx.clients.admin.post(path, {})).status, 404);
    /* A new template never takes a deleted one's id (its versions keep theirs). */
    await ctx.clients.admin.get(ADMIN_PAGE);
    const again = await ctx.clients.admin.post(ADMIN_PAGE, { name: 'Modèle essai', kind: 'letter', lang: 'fr', subject: 'Objet', body: 'Texte.' });
    assert.equal(again.status, 303);
    assert.ok(templateId('Modèle essai') > id);
});
