'use strict';
/*
 * «Fusionner» end to end against a real server on the demo commune, with a real relay
 * (OpenSMTPD, tests/http/mta.js): an agent merges a duplicate into the request to keep from
 * the request's page, without JavaScript — errors on the reference field (empty, unknown,
 * the same request, another department's, already merged), a confirmation step that writes
 * nothing, then the merge: the duplicate closed and pointing at the survivor, the survivor's
 * page listing it with the copied message and file (internal), one audit entry; each citizen's
 * e-mail (their own tracking link, nothing of the other); the duplicate's tracking page
 * (the survivor's reference and status only); Open311 (closed, status_notes and
 * extended_attributes.merged_into, JSON and XML) and the JSON API (merged_into).
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const P = require('./portal_client');
const { startMta, mtaAvailable } = require('./mta');

const FROM = 'ne-pas-repondre@ville-demo.test';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n' +
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n' +
    'xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n' +
    '0000000115 00000 n \ntrailer << /Size 4 /Root 1 0 R >>\nstartxref\n190\n%%EOF\n');

/* None of req's personal data (its reference aside, which pages may name) in text. */
function assertNoPersonalData(text, req, label) {
    const plain = F.unescapeHtml(text);
    for (const [what, value] of F.secretsOf(req)) {
        if (what !== 'reference') assert.ok(!plain.includes(value), `${label}: shows the ${what} «${value}»`);
    }
}

const row = (srv, ref) => {
    const [id, status, merged, notes] = srv.sql(
        `SELECT id, status, coalesce(merged_into, 0), coalesce(status_notes, '') FROM requests WHERE reference = ${F.sqlq(ref)}`)
        .trim().split('|');
    return { id: Number(id), status, merged: Number(merged), notes };
};

test('«Fusionner»: a duplicate merged into the request kept', async (t) => {
    const noMta = mtaAvailable();
    const mta = noMta ? null : await startMta();
    const env = mta ? { GUICHET_SMTP_URL: mta.url, GUICHET_MAIL_FROM: FROM, GUICHET_MAIL_BACKOFF_S: '1' } : {};
    const srv = await H.startServer({ requests: 10, env });
    t.after(async () => {
        await srv.stop();
        if (mta) await mta.stop();
    });
    const agent = F.addAgent(srv, { email: 'fusion.voirie@ville-demo.test', name: 'Agnès Fusion', role: 'agent', departments: ['voirie'] });
    const desk = await F.login(srv, agent);
    const keep = await F.fileRequest(srv, { service: 'nid-de-poule', tag: 'garde01' });
    const dup = await F.fileRequest(srv, { service: 'nid-de-poule', tag: 'double02' });
    const other = await F.fileRequest(srv, { service: 'depot-sauvage', tag: 'autre003' });
    assert.equal(other.department, 'proprete');
    /* The duplicate's citizen writes with a file from their tracking page. */
    const token = 'jeton-de-test-fusion-0123456789abcdefghijklmnop';
    P.setToken(srv, dup.reference, token);
    const citizen = new P.Browser(srv);
    const sent = await P.reply(citizen, dup.reference, token, 'Le trou est encore plus grand ce matin.',
                               [{ name: 'constat.pdf', type: 'application/pdf', data: PDF }]);
    assert.equal(sent.status, 303, sent.text.slice(0, 500));
    const page = `/agent/demandes/${dup.reference}`;
    const merge = (fields) => desk.post(`${page}/fusionner`, fields);

    await t.test('the request page offers «Fusionner», not the old «doublon» form', async () => {
        const r = await desk.get(page);
        assert.equal(r.status, 200);
        assert.match(r.text, /<form method="post" action="[^"]*\/fusionner"/);
        assert.match(r.text, /<label for="conserver">Référence de la demande à conserver<\/label>/);
        assert.doesNotMatch(r.text, /\/doublon"/);
        assert.equal((await desk.post(`${page}/doublon`, { original: keep.reference })).status, 404);
    });

    await t.test('refusals name the field, keep the value and write nothing', async () => {
        const before = srv.sql('SELECT count(*) FROM request_events; SELECT count(*) FROM audit_log WHERE action = \'merge\';');
        const cases = [
            ['', /Saisissez la référence de la demande à conserver/],
            ['2099-999999', /Aucune demande que vous pouvez consulter ne porte cette référence/],
            ['pas une référence', /Aucune demande que vous pouvez consulter/],
            [dup.reference, /Saisissez la référence d'une autre demande que celle-ci/],
            [other.reference, /Aucune demande que vous pouvez consulter/],
        ];
        for (const [value, message] of cases) {
            const r = await merge({ conserver: value, confirmer: '1' });
            assert.equal(r.status, 400, `«${value}»: ${r.status}`);
            assert.match(F.unescapeHtml(r.text), message, `«${value}»`);
            assert.match(r.text, /<a href="#conserver">/, 'the error summary links to the field');
            assert.match(r.text, /aria-invalid="true"/);
            /* Another department's request: nothing of it shows (its reference, typed, is
             * only echoed in the field). */
            assertNoPersonalData(r.text, other, `merge into «${value}»`);
        }
        assert.equal(srv.sql('SELECT count(*) FROM request_events; SELECT count(*) FROM audit_log WHERE action = \'merge\';'), before);
    });

    await t.test('a confirmation step first, which changes nothing', async () => {
        const r = await merge({ conserver: ` ${keep.reference} ` });
        assert.equal(r.status, 200);
        const text = F.textOf(r.text);
        assert.match(text, /Confirmer la fusion/);
        assert.match(text, new RegExp(`Vous allez clore comme doublon la demande n° ${dup.reference}`));
        assert.match(text, new RegExp(`Demande conservée ${keep.reference}`));
        assert.match(r.text, /<input type="hidden" name="confirmer" value="1">/);
        assert.match(r.text, new RegExp(`<input type="hidden" name="conserver" value="${keep.reference}">`));
        assert.equal(row(srv, dup.reference).status, 'new');
        assert.equal(row(srv, dup.reference).merged, 0);
    });

    await t.test('confirmed: the duplicate is closed, the survivor lists it with the copies', async () => {
        const r = await merge({ conserver: keep.reference, confirmer: '1' });
        assert.equal(r.status, 303);
        assert.equal(F.locPath(r, srv), `/agent/demandes/${keep.reference}?fait=fusion`);
        const d = row(srv, dup.reference), k = row(srv, keep.reference);
        assert.equal(d.status, 'duplicate');
        assert.equal(d.merged, k.id);
        assert.equal(d.notes, `Fusionnée avec la demande ${keep.reference}`);
        assert.equal(k.merged, 0);
        const audit = srv.sql(`SELECT object_ids FROM audit_log WHERE action = 'merge'`).trim();
        assert.equal(audit, `${d.id},${k.id}`);

        const survivor = await desk.get(`/agent/demandes/${keep.reference}?fait=fusion`);
        const text = F.textOf(survivor.text);
        assert.match(text, /La fusion est faite/);
        assert.match(text, new RegExp(`Demandes fusionnées dans celle-ci .*${dup.reference}`));
        assert.match(survivor.text, new RegExp(`<a href="/agent/demandes/${dup.reference}">${dup.reference}</a>`));
        assert.match(text, new RegExp(`\\[Interne\\] Demande fusionnée ici — Agnès Fusion ${dup.reference}`));
        assert.match(text, /\[Interne\] Message de l'usager de la demande fusionnée \(copie\) — L'usager Le trou est encore plus grand ce matin\./);
        assert.match(text, /constat\.pdf/);
        /* The copied file is the survivor's own, served to agents. */
        const link = /href="(\/pieces-jointes\/[^"?]+\/\d+)"/.exec(survivor.text.slice(survivor.text.indexOf('pj-titre')));
        assert.ok(link && link[1].includes(keep.reference), 'the survivor lists the copied file');
        const file = await desk.get(link[1]);
        assert.equal(file.status, 200);
        assert.equal(file.text, PDF.toString());

        const duplicate = await desk.get(page);
        const dtext = F.textOf(duplicate.text);
        assert.match(dtext, new RegExp(`Cette demande a été fusionnée avec la demande n° ${keep.reference}`));
        assert.doesNotMatch(duplicate.text, /\/fusionner"/, 'a merged request offers no second merge');
        assert.doesNotMatch(duplicate.text, /<select id="statut"/, 'nor a status change');
        /* Already merged: refused, and a status change through «Traiter» too. */
        const again = await merge({ conserver: keep.reference, confirmer: '1' });
        assert.equal(again.status, 400);
        assert.match(F.unescapeHtml(again.text), /déjà close comme doublon/);
        const reopen = await desk.post(`${page}/traiter`, { statut: 'in_progress' });
        assert.notEqual(reopen.status, 303);
        assert.equal(row(srv, dup.reference).status, 'duplicate');
    });

    await t.test('the survivor\'s citizen sees nothing of the other request', async () => {
        const token2 = 'jeton-de-test-garde-0123456789abcdefghijklmnopq';
        P.setToken(srv, keep.reference, token2);
        const r = await new P.Browser(srv).get(`/suivi/${keep.reference}?jeton=${token2}`);
        assert.equal(r.status, 200);
        assert.doesNotMatch(r.text, new RegExp(dup.reference));
        assert.doesNotMatch(r.text, /encore plus grand|constat\.pdf/);
        assertNoPersonalData(r.text, dup, 'the survivor\'s tracking page');
    });

    await t.test('the duplicate\'s tracking page names the survivor and its status, nothing else', async () => {
        const r = await citizen.get(`/suivi/${dup.reference}?jeton=${token}`);
        assert.equal(r.status, 200);
        const text = F.textOf(r.text);
        assert.match(text, new RegExp(`regroupée : la demande n° ${keep.reference} \\.`));
        assert.match(text, /État de la demande regroupée : Nouvelle/);
        /* Their own message stays on their page. */
        assert.match(text, /Le trou est encore plus grand ce matin\./);
        assertNoPersonalData(r.text, keep, 'the duplicate\'s tracking page');
        assert.doesNotMatch(r.text, new RegExp(`/suivi/${keep.reference}`));
        /* In English too. */
        const en = await citizen.get(`/suivi/${dup.reference}?jeton=${token}&lang=en`);
        assert.match(F.textOf(en.text), new RegExp(`merged: request no. ${keep.reference} \\.`));
    });

    await t.test('Open311: closed, with the survivor in status_notes and extended_attributes', async () => {
        const r = await H.request(srv, 'GET', `/open311/v2/requests/${dup.reference}.json?extensions=true`);
        assert.equal(r.status, 200);
        H.validate('service_requests', r.json);
        const [o] = r.json;
        assert.equal(o.status, 'closed');
        assert.equal(o.status_notes, `Fusionnée avec la demande ${keep.reference}`);
        assert.equal(o.extended_attributes.merged_into, keep.reference);
        const plain = await H.request(srv, 'GET', `/open311/v2/requests/${dup.reference}.json`);
        assert.equal(plain.json[0].status_notes, `Fusionnée avec la demande ${keep.reference}`);
        assert.equal(plain.json[0].extended_attributes, undefined);
        const xml = await H.request(srv, 'GET', `/open311/v2/requests/${dup.reference}.xml?extensions=true`);
        assert.match(xml.text, new RegExp(`<merged_into>${keep.reference}</merged_into>`));
        const k = await H.request(srv, 'GET', `/open311/v2/requests/${keep.reference}.json?extensions=true`);
        assert.equal(k.json[0].status, 'open');
        assert.equal(k.json[0].extended_attributes.merged_into, undefined);
    });

    await t.test('the JSON API shows merged_into', async () => {
        const get = (ref) => fetch(`${srv.url}/api/v1/requests/${ref}`, { headers: { Authorization: `Bearer ${srv.keys.api}` } })
            .then((r) => r.json());
        const d = await get(dup.reference);
        assert.equal(d.status, 'duplicate');
        assert.equal(d.merged_into, keep.reference);
        assert.equal((await get(keep.reference)).merged_into, null);
        /* A merged request keeps its status: 409. */
        const r = await fetch(`${srv.url}/api/v1/requests/${dup.reference}`, {
            method: 'PATCH', body: JSON.stringify({ status: 'in_progress' }),
            headers: { Authorization: `Bearer ${srv.keys.api}`, 'Content-Type': 'application/json' },
        });
        assert.equal(r.status, 409);
    });

    await t.test('each citizen is told by e-mail, with their own link and nothing of the other', { skip: noMta || false }, async () => {
        const [m] = await mta.waitFor((x) => x.to === dup.email && /regroupée/.test(x.subject), 20000);
        assert.match(m.subject, /Votre demande a été regroupée avec une autre/);
        assert.match(m.text, new RegExp(`Suivie désormais sous la référence : ${keep.reference}`));
        assert.match(m.text, new RegExp(`/suivi/${dup.reference}\\b`));
        assert.doesNotMatch(m.text + m.html, /jeton=/);
        for (const v of [keep.email, keep.first, keep.last, keep.phone, keep.description])
            assert.ok(!(m.text + m.html).includes(v), `the duplicate's e-mail holds ${v}`);
        const [k] = await mta.waitFor((x) => x.to === keep.email && /regroupée/.test(x.subject), 20000);
        assert.match(k.subject, /Une demande similaire a été regroupée avec la vôtre/);
        assert.match(k.text, new RegExp(`/suivi/${keep.reference}\\b`));
        for (const v of [dup.reference, dup.email, dup.first, dup.last, dup.phone, dup.description])
            assert.ok(!(k.text + k.html).includes(v), `the survivor's e-mail holds ${v}`);
    });
});
