'use strict';
/*
 * The administration's writes as core operations, against a real `guichet serve` on the
 * demo commune: each change and its "admin" audit entry commit together, answered once
 * durable (the page waits with its connection suspended), so that a change that could not be
 * written (the database held by another process) is answered 503 and leaves neither the
 * record nor an entry; a change refused inside its job (an unknown key) leaves no entry; the
 * entries name the admin and where the change came from.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const H = require('./harness');
const F = require('../browser/bo_flows');

let srv, adminRow, admin;

function count(where) {
    return Number(srv.sql(`SELECT count(*) FROM audit_log WHERE ${where};`).trim());
}

test.before(async () => {
    srv = await H.startServer({ requests: 5, env: { GUICHET_RETENTION_INTERVAL_S: '0' } });
    adminRow = F.addAgent(srv, { email: `admin.core.${process.pid}@ville-demo.test`, name: 'Admin Noyau', role: 'admin' });
    admin = await F.login(srv, adminRow);
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

test('a department saved by an admin: written with its entry (agent, source), answered once durable', async () => {
    await admin.get('/agent/admin/services');
    const r = await admin.post('/agent/admin/services', { code: 'noyau', name: 'Service du noyau' });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 500));
    assert.match(r.location, /\/agent\/admin\/services\?fait=department/);
    const id = srv.sql("SELECT id FROM departments WHERE code = 'noyau';").trim();
    assert.ok(Number(id) > 0);
    const rows = JSON.parse(require('node:child_process').execFileSync('sqlite3',
        ['-json', srv.db, `SELECT actor, agent_id, source FROM audit_log WHERE action = 'admin' AND object_kind = 'department' AND object_ids = '${id}'`]).toString() || '[]');
    assert.equal(rows.length, 1);
    const adminId = Number(srv.sql(`SELECT id FROM agents WHERE email = ${F.sqlq(adminRow.email)};`).trim());
    assert.equal(rows[0].actor, `agent:${adminId}`);
    assert.equal(rows[0].agent_id, adminId);
    assert.match(rows[0].source, /^web /);
    /* The page it is sent to shows it: the catalogue was reloaded before the answer. */
    const page = await admin.get('/agent/admin/services');
    assert.match(page.text, /Service du noyau/);
});

test('a change refused inside its job writes no entry', async () => {
    const before = count("action = 'admin'");
    await admin.get('/agent/admin/cles');
    const r = await admin.post('/agent/admin/cles/987654/revoquer', {});
    assert.equal(r.status, 404);
    assert.equal(count("action = 'admin'"), before);
    assert.equal(count("object_kind = 'apikey' AND object_ids = '987654'"), 0);
});

test('a change that cannot be written (database held elsewhere): 503, neither the record nor its entry; written once free', async () => {
    await admin.get('/agent/admin/services');
    const token = admin.csrf;
    const before = count("action = 'admin'");
    const locker = spawn('sqlite3', [srv.db], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
        let out = '';
        locker.stdout.on('data', (c) => (out += c));
        /* «locked» alone on its line says the lock is taken. */
        locker.stdin.write("PRAGMA busy_timeout=5000;\nBEGIN EXCLUSIVE;\nSELECT 'locked';\n");
        for (let i = 0; i < 300 && !/^locked$/m.test(out); i++) await H.sleep(20);
        assert.match(out, /^locked$/m, `sqlite3 could not take the lock: ${out}`);
        const r = await admin.req('POST', '/agent/admin/services',
            { form: { csrf_token: token, code: 'bloque', name: 'Service bloqué' } });
        assert.equal(r.status, 503, F.textOf(r.text).slice(0, 500));
    } finally {
        locker.kill('SIGKILL');
    }
    assert.equal(srv.sql("SELECT count(*) FROM departments WHERE code = 'bloque';").trim(), '0');
    assert.equal(count("action = 'admin'"), before);
    const again = await admin.post('/agent/admin/services', { code: 'bloque', name: 'Service bloqué' });
    assert.equal(again.status, 303, F.textOf(again.text).slice(0, 500));
    assert.equal(count("action = 'admin'"), before + 1);
});

test('the agents list follows French order: accents and case folded («Éric» with the E), then exact', async () => {
    const names = ['Zoé Zèbre', 'éric Ordinal', 'Émile Ancien', 'Eric Ordinal', 'Edmond Premier', 'Œdipe Roi', 'Octave Ocre'];
    names.forEach((name, i) => F.addAgent(srv, { email: `ordre${i}.${process.pid}@ville-demo.test`, name, role: 'agent', departments: ['voirie'] }));
    const page = await admin.get('/agent/admin/agents');
    assert.equal(page.status, 200);
    const listed = [...F.unescapeHtml(page.text).matchAll(/<a href="\/agent\/admin\/agents\/\d+[^"]*">([^<]+)<\/a>/g)]
        .map((m) => m[1]).filter((n) => names.includes(n));
    assert.deepEqual(listed, ['Edmond Premier', 'Émile Ancien', 'Eric Ordinal', 'éric Ordinal', 'Octave Ocre', 'Œdipe Roi', 'Zoé Zèbre']);
});

test('a procedure in English: name, description and notice shown to English visitors, the French otherwise', async () => {
    const fields = {
        code: 'permis-chien', name: 'Permis de détention de chien', kind: 'demarche', department: 'voirie',
        delay_days: '10', active: '1', attributes: '[]', description: 'Déclarez votre chien de catégorie 1 ou 2.',
        service_notice: 'Nous vous répondons sous dix jours.',
        name_en: 'Dog ownership permit', description_en: 'Declare your category 1 or 2 dog.',
        service_notice_en: '',
    };
    await admin.get('/agent/admin/demarches/nouvelle');
    const tooLong = await admin.post('/agent/admin/demarches/nouvelle', Object.assign({}, fields, { name_en: 'x'.repeat(501) }));
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.text, /<a href="#name_en">/);
    assert.match(F.unescapeHtml(tooLong.text), /Le nom en anglais est trop long/);
    const ok = await admin.post('/agent/admin/demarches/nouvelle', fields);
    assert.equal(ok.status, 303, F.textOf(ok.text).slice(0, 500));
    assert.equal(srv.sql("SELECT name_en, ifnull(service_notice_en, '-') FROM procedures WHERE code = 'permis-chien'").trim(),
                 'Dog ownership permit|-');
    const form = await admin.get('/agent/admin/demarches/permis-chien');
    assert.match(form.text, /id="name_en" name="name_en" type="text" lang="en" value="Dog ownership permit"/);
    /* The portal: English where given, French where not, French pages untouched. */
    const en = F.unescapeHtml((await H.request(srv, 'GET', '/demarches/permis-chien?lang=en')).text);
    assert.match(en, /Dog ownership permit/);
    assert.match(en, /Declare your category 1 or 2 dog\./);
    const homeEn = F.unescapeHtml((await H.request(srv, 'GET', '/?lang=en')).text);
    assert.match(homeEn, /Dog ownership permit/);
    const fr = F.unescapeHtml((await H.request(srv, 'GET', '/demarches/permis-chien')).text);
    assert.match(fr, /Permis de détention de chien/);
    assert.doesNotMatch(fr, /Dog ownership permit/);
    /* The demo's procedures have English names; one without keeps its French name. */
    assert.match(F.unescapeHtml((await H.request(srv, 'GET', '/demarches/nid-de-poule?lang=en')).text), /Pothole/);
    await admin.get('/agent/admin/demarches/nouvelle');
    const plain = await admin.post('/agent/admin/demarches/nouvelle', Object.assign({}, fields, {
        code: 'permis-chat', name: 'Déclaration de chat errant', name_en: '', description_en: '' }));
    assert.equal(plain.status, 303);
    const fallback = F.unescapeHtml((await H.request(srv, 'GET', '/demarches/permis-chat?lang=en')).text);
    assert.match(fallback, /Déclaration de chat errant/);
    assert.match(fallback, /Déclarez votre chien de catégorie 1 ou 2\./, 'the French description too');
});
