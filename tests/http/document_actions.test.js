'use strict';
/*
 * The workflow action «générer un document» against a real `guichet serve` (core/
 * document_generate.c): the actions' page offers the collectivité's letter templates and
 * refuses a row without one or naming one that does not exist; a request entering the status
 * gets the document from a job right after the change's commit — a decision on the
 * letterhead whose text pdftotext gives back, its timeline event, its notice to the citizen,
 * shown on their tracking page. And the shipped «silence vaut accord» attestation: a
 * demarche_sva request whose two months ran out while the server was down is accepted at
 * start-up and gets its «Attestation de décision implicite d'acceptation» (CRPA L232-3) with
 * the date of receipt and the day the silence became a decision; an agent's acceptance gets
 * none. And the receipts of the requests `guichet demo` wrote before the server started: the
 * scheduler gives them theirs (the last 120 days), each on one page.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const H = require('./harness');
const F = require('../browser/bo_flows');
const P = require('./portal_client');

const ATTESTATION = "Attestation de décision implicite d'acceptation";
let srv, admin;

const api = (method, p, json) =>
    H.request(srv, method, p, { json, headers: { Authorization: `Bearer ${srv.keys.api}` } });
const one = (q) => srv.sql(q).trim();

async function until(what, pred) {
    for (let i = 0; i < 150; i++) {
        if (await pred()) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`never: ${what}`);
}

/* The fields the actions' form sends as it is (inputs, checked boxes, selected options,
 * text areas), as an object: its names are unique. */
function actionsForm(html) {
    const form = /<form method="post" action="[^"]*\/actions[^"]*"[^>]*>([\s\S]*?)<\/form>/.exec(html);
    assert.ok(form, 'no actions form');
    const out = {};
    for (const m of form[1].matchAll(/<input([^>]*)>|<select id="[^"]*" name="([^"]*)"[^>]*>([\s\S]*?)<\/select>|<textarea id="[^"]*" name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) {
        if (m[4]) {
            out[m[4]] = F.unescapeHtml(m[5]);
        } else if (m[2]) {
            const sel = /<option value="([^"]*)" selected>/.exec(m[3]);
            out[m[2]] = sel ? F.unescapeHtml(sel[1]) : '';
        } else {
            const name = /name="([^"]*)"/.exec(m[1]);
            const type = (/type="([^"]*)"/.exec(m[1]) || [])[1];
            if (!name || name[1] === 'csrf_token') continue;
            if ((type === 'checkbox' || type === 'radio') && !/ checked/.test(m[1])) continue;
            out[name[1]] = F.unescapeHtml((/value="([^"]*)"/.exec(m[1]) || ['', ''])[1]);
        }
    }
    return out;
}

function pdfText(bytes, name) {
    const f = path.join(srv.dir, name);
    fs.writeFileSync(f, bytes);
    const r = spawnSync('pdftotext', ['-enc', 'UTF-8', f, '-'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.replace(/\s+/g, ' ');
}

/* A démarche on workflow wf, filed by a citizen with an e-mail address. */
async function procedure(code, wf) {
    await admin.get('/agent/admin/demarches/nouvelle');
    const created = await admin.post('/agent/admin/demarches/nouvelle', {
        code, name: `Démarche ${code}`, kind: 'demarche', department: 'voirie', delay_days: '60',
        active: '1', open311: '1', open311_detail: 'full', attributes: '[]', description: 'Une démarche de test.',
        service_notice: '', name_en: '', description_en: '', service_notice_en: '', workflow: wf,
    });
    assert.equal(created.status, 303, F.textOf(created.text).slice(0, 500));
}

/* The generated documents of request id: [{kind, title, visible, code}]. */
const generated = (id) => JSON.parse(one(`SELECT json_group_array(json_object('id', id, 'kind', kind, 'title', title, 'visible', citizen_visible, 'agent', agent_id)) FROM documents WHERE request_id = ${id} AND kind IN ('letter', 'decision')`));

test.before(async () => {
    srv = await H.startServer({ requests: 5, env: { GUICHET_RETENTION_INTERVAL_S: '0' } });
    admin = await F.login(srv, F.addAgent(srv, { email: `gen.admin.${process.pid}@ville-demo.test`, name: 'Admin Documents', role: 'admin' }));
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

test('every collectivité has the attestation template, and the démarche workflows its action for a silence', () => {
    const tenants = one('SELECT count(*) FROM tenants');
    assert.equal(one(`SELECT count(*) FROM letter_templates WHERE name = '${ATTESTATION.replace(/'/g, "''")}' AND kind = 'decision'`), tenants);
    assert.equal(one(`SELECT count(*) FROM letter_template_versions v JOIN letter_templates l ON l.id = v.template_id WHERE l.name = '${ATTESTATION.replace(/'/g, "''")}' AND v.version = 1`), tenants);
    assert.equal(one(`SELECT count(*) FROM workflow_actions a JOIN workflows w ON w.id = a.workflow_id
                      WHERE w.code IN ('demarche', 'demarche_sva') AND a.status_code = 'accepted' AND a.kind = 'generate_document'
                      AND json_extract(a.params, '$.silence_only') = 1 AND json_extract(a.params, '$.template') = '${ATTESTATION.replace(/'/g, "''")}'`),
                 String(2 * Number(tenants)));
});

test('the demo\'s requests, created before the server, get their receipts, each on one page', async () => {
    const recent = () => one(`SELECT count(*) FROM requests WHERE created_at >= CAST(strftime('%s', 'now') AS INTEGER) - 120 * 86400 AND anonymised_at IS NULL`);
    const withReceipt = () => one(`SELECT count(*) FROM requests r WHERE r.created_at >= CAST(strftime('%s', 'now') AS INTEGER) - 120 * 86400 AND EXISTS (SELECT 1 FROM documents d WHERE d.request_id = r.id AND d.kind = 'receipt')`);
    assert.ok(Number(recent()) >= 1, 'no recent demo request');
    await until('every recent request has its receipt', () => withReceipt() === recent());
    const ids = one(`SELECT group_concat(id) FROM documents WHERE kind = 'receipt'`).split(',');
    for (const id of ids) {
        const f = path.join(srv.dir, `receipt-${id}.pdf`);
        fs.writeFileSync(f, Buffer.from(one(`SELECT hex(content) FROM documents WHERE id = ${id}`), 'hex'));
        const info = spawnSync('pdfinfo', [f], { encoding: 'utf8' });
        assert.match(info.stdout, /Pages:\s+1\n/, `receipt ${id}`);
    }
    /* Each once: a receipt job per request, whatever the passes. */
    assert.equal(one(`SELECT count(*) FROM (SELECT request_id FROM jobs WHERE kind = 'document_receipt' GROUP BY request_id HAVING count(*) > 1)`), '0');
});

test('the action added in the editor, refused without a known template, then generating the document on entry', async () => {
    const code = 'demarche_docs';
    const dup = await admin.post('/agent/admin/workflows/dupliquer', { source: 'demarche', code, name: 'Démarche avec documents' });
    assert.equal(dup.status, 303);
    const wfid = one(`SELECT id FROM workflows WHERE code = '${code}'`);
    const page = await admin.get(`/agent/admin/workflows/${code}/actions`);
    let f = actionsForm(page.text);
    Object.assign(f, { na_st: 'under_review', na_kind: 'generate_document', op: 'add-action' });
    const added = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(added.status, 200, F.textOf(added.text).slice(0, 800));
    const rows = [...added.text.matchAll(/name="a(\d+)_kind" value="generate_document"/g)].map((m) => m[1]);
    const i = rows.find((r) => new RegExp(`name="a${r}_st" value="under_review"`).test(added.text));
    assert.ok(i, 'no generate_document row on under_review');
    /* The collectivité's templates offered, shown to the citizen unless unticked. */
    assert.match(added.text, new RegExp(`<select id="a${i}_template" name="a${i}_template"[^>]*><option value="">[^<]*</option>[^]*<option value="${ATTESTATION.replace(/'/g, '&#39;')}">`));
    assert.match(added.text, new RegExp(`id="a${i}_visible" name="a${i}_visible" value="1" checked`));

    /* No template chosen: refused on its field. */
    f = actionsForm(added.text);
    f.op = 'save';
    const actionsBefore = one(`SELECT count(*) FROM workflow_actions WHERE workflow_id = ${wfid}`);
    let bad = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(bad.status, 400);
    assert.match(F.textOf(bad.text), /Choisissez le modèle du document à générer \(statut « En cours d'instruction »\)|Choisissez le modèle du document à générer/);
    assert.match(bad.text, new RegExp(`id="a${i}_template" name="a${i}_template" aria-describedby="a${i}_template-hint a${i}_template-error" aria-invalid="true"`));
    /* A template the collectivité does not have: refused, named. */
    f = actionsForm(bad.text);
    Object.assign(f, { [`a${i}_template`]: 'Modèle disparu', op: 'save' });
    bad = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(bad.status, 400);
    assert.match(F.textOf(bad.text), /Le modèle « Modèle disparu » \(statut « [^»]+ »\) n'existe pas ou plus/);
    assert.equal(one(`SELECT count(*) FROM workflow_actions WHERE workflow_id = ${wfid}`), actionsBefore);
    /* The attestation's template, hidden from the citizen: saved. */
    f = actionsForm(bad.text);
    f[`a${i}_template`] = ATTESTATION;
    delete f[`a${i}_visible`];
    f.op = 'save';
    const ok = await admin.post(`/agent/admin/workflows/${code}/actions`, f);
    assert.equal(ok.status, 303, F.textOf(ok.text).slice(0, 800));
    assert.equal(one(`SELECT params FROM workflow_actions WHERE workflow_id = ${wfid} AND status_code = 'under_review' AND kind = 'generate_document'`),
                 `{"template":"${ATTESTATION}","citizen_visible":false,"silence_only":false}`);
    const shown = await admin.get(`/agent/admin/workflows/${code}`);
    assert.ok(F.textOf(shown.text).includes(`Générer le document « ${ATTESTATION} »`), F.textOf(shown.text).slice(0, 3000));

    /* A request entering the status: the job draws it after the commit, once. */
    await procedure('permis-docs', code);
    const filed = await F.fileRequest(srv, { service: 'permis-docs', tag: 'gen00001' });
    const r = await api('PATCH', `/api/v1/requests/${filed.reference}`, { status: 'under_review' });
    assert.equal(r.status, 200, r.text);
    const job = () => one(`SELECT state FROM jobs WHERE request_id = ${filed.id} AND kind = 'document_generate'`);
    await until('the document generated', () => job() === 'done');
    const docs = generated(filed.id);
    assert.equal(docs.length, 1);
    assert.deepEqual({ kind: docs[0].kind, visible: docs[0].visible, agent: docs[0].agent },
                     { kind: 'decision', visible: 0, agent: null });
    assert.equal(docs[0].title, `${ATTESTATION} — demande ${filed.reference}`);
    assert.equal(one(`SELECT is_public || '|' || actor || '|' || body FROM request_events WHERE request_id = ${filed.id} AND kind = 'letter_issued'`),
                 `0|system|${docs[0].title}`);
    assert.equal(one(`SELECT count(*) FROM request_events WHERE request_id = ${filed.id} AND kind = 'action' AND body = 'generate_document'`), '1');
    /* Hidden from the citizen: no notice. */
    assert.equal(one(`SELECT count(*) FROM outbox WHERE request_id = ${filed.id} AND template = 'document_issued'`), '0');
    const pdf = Buffer.from(one(`SELECT hex(content) FROM documents WHERE id = ${docs[0].id}`), 'hex');
    const text = pdfText(pdf, 'generated.pdf');
    assert.ok(text.includes(filed.reference) && text.includes('L232-3') && text.includes('/verifier/'), text);
    assert.ok(spawnSync('qpdf', ['--check', path.join(srv.dir, 'generated.pdf')]).status === 0, 'qpdf --check');
});

test('silence vaut accord: the jump made at start-up issues the attestation, shown to the citizen; an agent\'s acceptance none', async () => {
    await procedure('permis-tacite-doc', 'demarche_sva');
    const filed = await F.fileRequest(srv, { service: 'permis-tacite-doc', tag: 'gen00002' });
    let r = await api('PATCH', `/api/v1/requests/${filed.reference}`, { status: 'under_review' });
    assert.equal(r.status, 200, r.text);
    const express = await F.fileRequest(srv, { service: 'permis-tacite-doc', tag: 'gen00003' });
    r = await api('PATCH', `/api/v1/requests/${express.reference}`, { status: 'under_review' });
    assert.equal(r.status, 200, r.text);
    r = await api('PATCH', `/api/v1/requests/${express.reference}`, { status: 'accepted' });
    assert.equal(r.status, 200, r.text);

    await srv.stop('SIGTERM', { keep: true });
    /* Two months pass while the server is down. */
    const due = Math.floor(Date.now() / 1000) - 3 * 86400;
    srv.sql(`UPDATE jobs SET due_at = ${due} WHERE request_id = ${filed.id} AND kind = 'workflow_timeout'`);
    await srv.restart();
    await until('the jump and the attestation', () =>
        one(`SELECT state FROM jobs WHERE request_id = ${filed.id} AND kind = 'document_generate'`) === 'done');
    assert.equal(one(`SELECT status FROM requests WHERE id = ${filed.id}`), 'accepted');
    const docs = generated(filed.id);
    assert.equal(docs.length, 1);
    assert.deepEqual({ kind: docs[0].kind, visible: docs[0].visible }, { kind: 'decision', visible: 1 });
    const text = pdfText(Buffer.from(one(`SELECT hex(content) FROM documents WHERE id = ${docs[0].id}`), 'hex'), 'attestation.pdf');
    assert.ok(text.includes("décision implicite d'acceptation") && text.includes('L232-3') && text.includes(filed.reference), text);
    /* The date the silence became a decision: the jump's due day, not the day it ran. */
    const day = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Paris' }).format(new Date(due * 1000));
    assert.ok(text.includes(`a expiré le ${day}`), `${day} in ${text}`);
    assert.equal(one(`SELECT count(*) FROM outbox WHERE request_id = ${filed.id} AND template = 'document_issued'`), '1');

    /* The citizen sees it on their tracking page. */
    const token = 'jeton-attestation-' + 'a'.repeat(30);
    P.setToken(srv, filed.reference, token);
    const page = F.textOf((await H.request(srv, 'GET', `/suivi/${filed.reference}?jeton=${encodeURIComponent(token)}`)).text);
    assert.ok(page.includes('Documents de la mairie') && page.includes(ATTESTATION), page);

    /* Accepted by an agent: an express decision, no attestation, nothing on the timeline. */
    assert.equal(generated(express.id).length, 0);
    assert.equal(one(`SELECT count(*) FROM jobs WHERE request_id = ${express.id} AND kind = 'document_generate'`), '0');
});
