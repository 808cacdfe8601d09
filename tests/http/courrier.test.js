'use strict';
/*
 * The post room over HTTP: scans uploaded in bulk on /agent/courrier (a bad file named with
 * its reason, the others received), read by the OCR job into a letter with proposals, filed
 * through the intake form prefilled from it as a request of channel post with the scan
 * attached; a letter linked to a request it cites (an event with the file); an unreadable one
 * set aside with its reason, then discarded with the agent's; and `guichet courrier import`
 * on a folder with one bad file (the good one received and moved to traites/, the bad one to
 * rejetes/ with its reason in French), then with the server unreachable (files left, exit 1);
 * a batch of three letters cut at separator pages, whose second, filed, and third, linked,
 * each reach their request as their own pages alone (pdfinfo, pdftotext), and whose first,
 * its scan damaged, is refused with why rather than attached whole.
 * The scans are PDFs this test writes itself (Helvetica text, no image).
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer } = require('./harness');
const F = require('../browser/bo_flows');
const { pdfOf, letter, letterRead } = require('./scans');

const BIN = path.resolve(__dirname, '..', '..', process.env.GUICHET_BIN || 'build/guichet');

/* A multipart POST with the client's cookies and CSRF token. */
async function postFiles(client, p, fields, files) {
    const fd = new FormData();
    fd.append('csrf_token', client.csrf);
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    for (const f of files) fd.append(f.field, new Blob([f.data], { type: f.type }), f.name);
    const r = await fetch(client.srv.url + p, {
        method: 'POST', body: fd, redirect: 'manual', signal: AbortSignal.timeout(60000),
        headers: { Cookie: client.cookieHeader() },
    });
    return { status: r.status, text: await r.text(), location: r.headers.get('location') };
}

const valueOf = (html, id) => {
    const m = new RegExp(`id="${id}" name="${id}" value="([^"]*)"`).exec(html);
    return m ? F.unescapeHtml(m[1]) : null;
};

test('the post room', async (t) => {
    const srv = await startServer({ requests: 0 });
    t.after(() => srv.stop());
    const agent = F.addAgent(srv, { email: 'courrier@ville-demo.test', name: 'Camille Courrier', role: 'admin' });
    const client = await F.login(srv, agent);

    await t.test('bulk upload: the bad file is named with its reason, the good one received', async () => {
        const page = await client.get('/agent/courrier');
        assert.equal(page.status, 200);
        assert.match(page.text, /<input type="file" id="scans" name="scans" multiple/);
        const r = await postFiles(client, '/agent/courrier', {}, [
            { field: 'scans', name: 'lettre-dupont.pdf', type: 'application/pdf',
              data: pdfOf([letter('Marie DUPONT', 'marie.dupont@exemple.fr')]) },
            { field: 'scans', name: 'notes.txt', type: 'text/plain', data: 'pas un courrier' },
        ]);
        assert.equal(r.status, 400);
        const text = F.textOf(r.text);
        assert.match(text, /« notes\.txt » n'a pas été reçu/);
        assert.match(text, /1 courrier\(s\) reçu\(s\)/);
        assert.match(r.text, /aria-describedby="scans-hint scans-error" aria-invalid="true"/);
        assert.equal(srv.sql('SELECT count(*) FROM post_letters').trim(), '1');
    });

    let requestRef;
    await t.test('the OCR job proposes, the intake files a request of channel post with the scan', async () => {
        const id = Number(srv.sql("SELECT id FROM post_letters WHERE filename = 'lettre-dupont.pdf'").trim());
        assert.equal(await letterRead(srv, id), 'pending');
        const proposals = JSON.parse(srv.sql(`SELECT proposals FROM post_letters WHERE id = ${id}`));
        assert.equal(proposals.email, 'marie.dupont@exemple.fr');
        assert.equal(proposals.last_name, 'DUPONT');
        assert.equal(proposals.phone, '+33612345678');

        const list = await client.get('/agent/courrier');
        assert.match(list.text, new RegExp(`href="/agent/courrier/${id}"`));
        const page = await client.get(`/agent/courrier/${id}`);
        assert.equal(page.status, 200);
        assert.match(F.textOf(page.text), /trottoir/);
        const png = await fetch(`${srv.url}/agent/courrier/${id}/apercu.png`, { headers: { Cookie: client.cookieHeader() } });
        assert.equal(png.status, 200);
        assert.equal(png.headers.get('content-type'), 'image/png');
        /* Rendered once by the OCR job and stored beside the scan: served from the file, with
         * its name as its version. */
        const preview = srv.sql(`SELECT preview FROM post_letters WHERE id = ${id}`).trim();
        assert.match(preview, /^[0-9a-f]{32}\.png$/);
        const stored = fs.readFileSync(path.join(srv.dir, 'uploads', preview));
        const served = Buffer.from(await png.arrayBuffer());
        assert.ok(served.equals(stored), 'the stored preview is what is served');
        assert.equal(served.subarray(1, 4).toString('latin1'), 'PNG');
        assert.equal(png.headers.get('etag'), `"${preview}"`);
        assert.equal(png.headers.get('cache-control'), 'private, no-store', 'a scanned letter never rests in the browser\'s cache');
        const again304 = await fetch(`${srv.url}/agent/courrier/${id}/apercu.png`, {
            headers: { Cookie: client.cookieHeader(), 'If-None-Match': `"${preview}"` } });
        assert.equal(again304.status, 304);

        const form = await client.get(`/agent/saisie?canal=post&courrier=${id}&demarche=question-generale`);
        assert.equal(form.status, 200);
        assert.equal(valueOf(form.text, 'email'), 'marie.dupont@exemple.fr');
        assert.equal(valueOf(form.text, 'nom'), 'DUPONT');
        assert.match(form.text, new RegExp(`<input type="hidden" name="courrier" value="${id}">`));
        const desc = /<textarea id="description" name="description" rows="5">([^<]*)</.exec(form.text);
        assert.ok(desc && /trottoir/.test(desc[1]), 'the description is the letter\'s text');

        const r = await postFiles(client, '/agent/saisie', {
            demarche: 'question-generale', canal: 'post', courrier: String(id),
            prenom: valueOf(form.text, 'prenom') || 'Marie', nom: 'DUPONT',
            email: 'marie.dupont@exemple.fr', tel: '', description: F.unescapeHtml(desc[1]),
            adresse: valueOf(form.text, 'adresse') || '', langue: 'fr',
        }, []);
        assert.equal(r.status, 201, F.textOf(r.text).slice(0, 600));
        requestRef = /(\d{4}-\d{6})/.exec(F.textOf(r.text))[1];
        const row = srv.sql(`SELECT r.channel, r.email, (SELECT count(*) FROM attachments a WHERE a.request_id = r.id
                               AND a.content_type = 'application/pdf'), l.state
                             FROM requests r JOIN post_letters l ON l.request_id = r.id
                             WHERE r.reference = '${requestRef}'`).trim();
        assert.equal(row, 'post|marie.dupont@exemple.fr|1|filed');
        /* Filed once: the same letter cannot make a second request. */
        const again = await postFiles(client, '/agent/saisie', {
            demarche: 'question-generale', canal: 'post', courrier: String(id), nom: 'X', description: 'encore',
        }, []);
        assert.equal(again.status, 409);
        assert.match(F.textOf(again.text), /vient d'être traité/);
        assert.equal(srv.sql("SELECT count(*) FROM requests WHERE channel = 'post'").trim(), '1');
    });

    await t.test('guichet courrier import: received to traites/, refused to rejetes/ with the reason', async () => {
        const dir = fs.mkdtempSync(path.join(srv.dir, 'scanner-'));
        fs.writeFileSync(path.join(dir, 'a-lettre.pdf'),
                         pdfOf([letter('Jean MARTIN', 'jean.martin@exemple.fr', [`Voir ma demande ${requestRef}.`])]));
        fs.writeFileSync(path.join(dir, 'b-illisible.pdf'), pdfOf([[], []]));
        fs.writeFileSync(path.join(dir, 'c-mauvais.txt'), 'ceci n\'est pas un scan\n');
        const keyFile = path.join(srv.dir, 'gateway.key');
        fs.writeFileSync(keyFile, `${srv.keys.gateway}\n`);
        /* Scans the scanner finished a minute ago; one it is still writing; and a link to the
         * key file, which the import must never send. */
        const aMinuteAgo = new Date(Date.now() - 60000);
        const settled = (name) => fs.utimesSync(path.join(dir, name), aMinuteAgo, aMinuteAgo);
        for (const name of ['a-lettre.pdf', 'b-illisible.pdf', 'c-mauvais.txt']) settled(name);
        fs.writeFileSync(path.join(dir, 'e-en-cours.pdf'), pdfOf([letter('Lea PETIT', 'lea@exemple.fr')]).subarray(0, 200));
        fs.symlinkSync(keyFile, path.join(dir, 'f-lien.pdf'));
        const r = spawnSync(BIN, ['courrier', 'import', '--url', srv.url, '--key-file', keyFile, dir],
                            { encoding: 'utf8', timeout: 60000 });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        const lines = r.stdout.trim().split('\n');
        assert.equal(lines.length, 5, r.stdout);
        assert.match(lines[0], /^a-lettre\.pdf: received as letter \d+$/);
        assert.match(lines[1], /^b-illisible\.pdf: received as letter \d+$/);
        assert.match(lines[2], /^c-mauvais\.txt: refused: Le fichier n'est ni un PDF ni une image/);
        assert.match(lines[3], /^e-en-cours\.pdf: still being written, left for the next pass$/);
        assert.match(lines[4], /2 received, 1 refused, 1 still being written$/);
        assert.deepEqual(fs.readdirSync(path.join(dir, 'traites')).sort(), ['a-lettre.pdf', 'b-illisible.pdf']);
        assert.deepEqual(fs.readdirSync(path.join(dir, 'rejetes')).sort(), ['c-mauvais.txt', 'c-mauvais.txt.motif.txt']);
        assert.match(fs.readFileSync(path.join(dir, 'rejetes', 'c-mauvais.txt.motif.txt'), 'utf8'), /ni un PDF ni une image/);
        assert.deepEqual(fs.readdirSync(dir).sort(), ['e-en-cours.pdf', 'f-lien.pdf', 'rejetes', 'traites']);
        assert.equal(srv.sql("SELECT count(*) FROM post_letters WHERE filename IN ('e-en-cours.pdf', 'f-lien.pdf')").trim(), '0');
        fs.unlinkSync(path.join(dir, 'e-en-cours.pdf'));
        fs.unlinkSync(path.join(dir, 'f-lien.pdf'));

        /* The server unreachable: the file stays, one clear line, a non-zero exit. */
        fs.writeFileSync(path.join(dir, 'd-plus-tard.pdf'), pdfOf([letter('Paul DURAND', 'paul@exemple.fr')]));
        settled('d-plus-tard.pdf');
        const down = spawnSync(BIN, ['courrier', 'import', '--url', 'http://127.0.0.1:1', '--key-file', keyFile, dir],
                               { encoding: 'utf8', timeout: 60000 });
        assert.equal(down.status, 1);
        assert.match(down.stdout, /cannot be reached .*d-plus-tard\.pdf and the next files are left in/);
        assert.ok(fs.existsSync(path.join(dir, 'd-plus-tard.pdf')));
    });

    await t.test('a letter citing a request is linked to it; an unreadable one is set aside, then discarded', async () => {
        const cited = Number(srv.sql("SELECT id FROM post_letters WHERE filename = 'a-lettre.pdf'").trim());
        const blank = Number(srv.sql("SELECT id FROM post_letters WHERE filename = 'b-illisible.pdf'").trim());
        assert.equal(await letterRead(srv, cited), 'pending');
        assert.equal(await letterRead(srv, blank), 'rejected');
        assert.equal(srv.sql(`SELECT reason FROM post_letters WHERE id = ${blank}`).trim(), 'no_text');
        const list = F.textOf((await client.get('/agent/courrier')).text);
        assert.match(list, /Illisible, mis de côté : Aucune page ne porte de texte/);

        const page = await client.get(`/agent/courrier/${cited}`);
        assert.equal(valueOf(page.text, 'reference') || /id="reference" name="reference" maxlength="23" autocomplete="off" value="([^"]*)"/.exec(page.text)[1], requestRef);
        let r = await client.post(`/agent/courrier/${cited}/rattacher`, { reference: '2099-999999' });
        assert.equal(r.status, 400);
        assert.match(F.textOf(r.text), /Aucune demande que vous pouvez consulter/);
        /* An anonymised request takes no scan (it would bring personal data back): refused
         * with why, the letter still to process. */
        const other = await F.fileRequest(srv, { service: 'nid-de-poule' });
        srv.sql(`UPDATE requests SET anonymised_at = 1 WHERE id = ${other.id}`);
        r = await client.post(`/agent/courrier/${cited}/rattacher`, { reference: other.reference });
        assert.equal(r.status, 409);
        assert.match(F.textOf(r.text), /Cette demande a été anonymisée/);
        assert.equal(srv.sql(`SELECT state FROM post_letters WHERE id = ${cited}`).trim(), 'pending');
        assert.equal(srv.sql(`SELECT count(*) FROM attachments WHERE request_id = ${other.id}`).trim(), '0');
        r = await client.post(`/agent/courrier/${cited}/rattacher`, { reference: requestRef });
        assert.equal(r.status, 303);
        const linked = srv.sql(`SELECT (SELECT count(*) FROM request_events e WHERE e.request_id = r.id AND e.kind = 'post_letter'),
                                       (SELECT count(*) FROM attachments a WHERE a.request_id = r.id), l.state
                                FROM requests r JOIN post_letters l ON l.request_id = r.id AND l.id = ${cited}
                                WHERE r.reference = '${requestRef}'`).trim();
        assert.equal(linked, '1|2|linked');

        r = await client.post(`/agent/courrier/${blank}/ecarter`, { motif: '' });
        assert.equal(r.status, 400);
        assert.match(r.text, /id="motif-error"/);
        r = await client.post(`/agent/courrier/${blank}/ecarter`, { motif: 'Pages blanches envoyées par erreur' });
        assert.equal(r.status, 303);
        assert.equal(srv.sql(`SELECT state || '|' || reason FROM post_letters WHERE id = ${blank}`).trim(),
                     'discarded|Pages blanches envoyées par erreur');
        /* Each decision is in the audit log, and so are the reads of letters. */
        const audit = srv.sql("SELECT action FROM audit_log WHERE object_kind = 'post_letter' ORDER BY id").trim().split('\n');
        for (const a of ['receive', 'read', 'link', 'discard']) assert.ok(audit.includes(a), `audit has ${a}: ${audit}`);
    });

    await t.test('a PDF cut at a SÉPARATEUR page gives two letters sharing the file', async () => {
        const pdf = pdfOf([letter('Anne LEROY', 'anne.leroy@exemple.fr'), ['SEPARATEUR'],
                           letter('Luc MOREAU', 'luc.moreau@exemple.fr')]);
        const r = await fetch(`${srv.url}/passerelle/courrier?nom=lot.pdf`, {
            method: 'POST', body: pdf, headers: { Authorization: `Bearer ${srv.keys.gateway}` },
        });
        assert.equal(r.status, 201);
        const { id } = await r.json();
        assert.equal(await letterRead(srv, id), 'pending');
        const rows = srv.sql(`SELECT first_page || '-' || last_page || '/' || pages, json_extract(proposals, '$.email'),
                                     storage_name = (SELECT storage_name FROM post_letters WHERE id = ${id})
                              FROM post_letters WHERE id = ${id} OR scan_id = ${id} ORDER BY id`).trim().split('\n');
        assert.deepEqual(rows, ['1-1/3|anne.leroy@exemple.fr|1', '3-3/3|luc.moreau@exemple.fr|1']);
    });

    await t.test('a letter cut out of a batch reaches its request with its own pages only', async () => {
        /* Three senders in one scan: Anne (page 1), Luc (pages 3–4), Paul (page 6), separated
         * by SÉPARATEUR pages. Whoever files Luc's letter must not hand Anne's or Paul's to his
         * request. */
        const luc = letter('Luc MOREAU', 'luc.moreau@exemple.fr');
        const pdf = pdfOf([letter('Anne LEROY', 'anne.leroy@exemple.fr'), ['SEPARATEUR'],
                           luc.slice(0, 10), luc.slice(10), ['SEPARATEUR'],
                           letter('Paul DURAND', 'paul.durand@exemple.fr')]);
        const r = await fetch(`${srv.url}/passerelle/courrier?nom=lot-3.pdf`, {
            method: 'POST', body: pdf, headers: { Authorization: `Bearer ${srv.keys.gateway}` },
        });
        assert.equal(r.status, 201);
        const { id } = await r.json();
        assert.equal(await letterRead(srv, id), 'pending');
        const rows = srv.sql(`SELECT id, first_page || '-' || last_page || '/' || pages FROM post_letters
                              WHERE id = ${id} OR scan_id = ${id} ORDER BY id`).trim().split('\n').map((l) => l.split('|'));
        assert.deepEqual(rows.map((x) => x[1]), ['1-1/6', '3-4/6', '6-6/6']);
        const [second, third] = [Number(rows[1][0]), Number(rows[2][0])];

        /* The attachment of request `ref` whose name matches re: its file read with poppler. */
        const attached = (ref, re) => {
            const list = srv.sql(`SELECT a.filename, a.storage_name, a.size FROM attachments a JOIN requests r ON r.id = a.request_id
                                  WHERE r.reference = '${ref}' ORDER BY a.id`).trim().split('\n').map((l) => l.split('|'));
            const row = list.find((x) => re.test(x[0]));
            assert.ok(row, `an attachment named like ${re}: ${JSON.stringify(list)}`);
            const file = path.join(srv.dir, 'uploads', row[1]);
            assert.equal(fs.statSync(file).size, Number(row[2]));
            const info = spawnSync('pdfinfo', [file], { encoding: 'utf8' });
            assert.equal(info.status, 0, info.stderr);
            const text = spawnSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
            assert.equal(text.status, 0, text.stderr);
            return { pages: Number(/^Pages:\s+(\d+)$/m.exec(info.stdout)[1]), text: text.stdout };
        };
        const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());

        /* Filed through the intake form: the request gets pages 3–4, and nothing of the others. */
        const form = await client.get(`/agent/saisie?canal=post&courrier=${second}&demarche=question-generale`);
        assert.equal(form.status, 200);
        const desc = /<textarea id="description" name="description" rows="5">([^<]*)</.exec(form.text);
        const filed = await postFiles(client, '/agent/saisie', {
            demarche: 'question-generale', canal: 'post', courrier: String(second),
            prenom: 'Luc', nom: 'MOREAU', email: 'luc.moreau@exemple.fr', tel: '',
            description: F.unescapeHtml(desc[1]), adresse: '', langue: 'fr',
        }, []);
        assert.equal(filed.status, 201, F.textOf(filed.text).slice(0, 600));
        const ref = /(\d{4}-\d{6})/.exec(F.textOf(filed.text))[1];
        const own = attached(ref, new RegExp(`^courrier-${day}-p3-4\\.pdf$`));
        assert.equal(own.pages, 2);
        assert.match(own.text, /Luc MOREAU/);
        assert.match(own.text, /luc\.moreau@exemple\.fr/);
        assert.match(own.text, /Veuillez agreer/, 'the letter\'s second page came along');
        assert.doesNotMatch(own.text, /LEROY|DURAND|anne\.leroy|paul\.durand/);
        const check = spawnSync('qpdf', ['--check', path.join(srv.dir, 'uploads',
            srv.sql(`SELECT a.storage_name FROM attachments a JOIN requests r ON r.id = a.request_id WHERE r.reference = '${ref}'`).trim())]);
        assert.equal(check.status, 0, String(check.stdout));

        /* Linked to a request it cites: the same cut, page 6 alone. */
        const linked = await client.post(`/agent/courrier/${third}/rattacher`, { reference: ref });
        assert.equal(linked.status, 303, F.textOf(linked.text).slice(0, 400));
        const paul = attached(ref, new RegExp(`^courrier-${day}-p6-6\\.pdf$`));
        assert.equal(paul.pages, 1);
        assert.match(paul.text, /Paul DURAND/);
        assert.doesNotMatch(paul.text, /LEROY|MOREAU/);
        /* The scan itself stays whole for the post room (the first letter is still to file). */
        const scan = srv.sql(`SELECT storage_name FROM post_letters WHERE id = ${id}`).trim();
        assert.match(spawnSync('pdfinfo', [path.join(srv.dir, 'uploads', scan)], { encoding: 'utf8' }).stdout, /^Pages:\s+6$/m);

        /* A scan qpdf cannot cut (damaged on disk since its reading): neither filed nor linked
         * — never whole — the agent told why beside the field, what they typed kept. */
        fs.writeFileSync(path.join(srv.dir, 'uploads', scan), '%PDF-1.4\n1 0 obj\n<< /Type /Catalog\n%%EOF\n');
        const attachments = () => srv.sql('SELECT count(*) FROM attachments').trim();
        const before = attachments();
        const refused = await client.post(`/agent/courrier/${id}/rattacher`, { reference: ref });
        assert.equal(refused.status, 400);
        assert.match(F.textOf(refused.text), /Les pages de ce courrier n'ont pas pu être extraites du fichier numérisé/);
        assert.match(refused.text, /aria-invalid="true"/);
        const requests = srv.sql('SELECT count(*) FROM requests').trim();
        const intake = await postFiles(client, '/agent/saisie', {
            demarche: 'question-generale', canal: 'post', courrier: String(id),
            prenom: 'Anne', nom: 'LEROY', email: 'anne.leroy@exemple.fr', tel: '',
            description: 'Trottoir abîmé rue des Lilas', adresse: '', langue: 'fr',
        }, []);
        assert.equal(intake.status, 400);
        assert.match(F.textOf(intake.text), /Les pages de ce courrier n'ont pas pu être extraites/);
        assert.match(intake.text, /Trottoir abîmé rue des Lilas/);
        assert.equal(srv.sql('SELECT count(*) FROM requests').trim(), requests);
        assert.equal(attachments(), before);
        assert.equal(srv.sql(`SELECT state FROM post_letters WHERE id = ${id}`).trim(), 'pending');
    });

    await t.test('a scan whose preview did not render: the page says so, the image is a 404, not a 500', async () => {
        const pdf = pdfOf([letter('Paul MARTIN', 'paul.martin@exemple.fr')]);
        const r = await postFiles(client, '/agent/courrier', {}, [
            { field: 'scans', data: pdf, type: 'application/pdf', name: 'sans-apercu.pdf' }]);
        assert.ok(r.status < 400, F.textOf(r.text).slice(0, 300));
        const id = Number(srv.sql("SELECT id FROM post_letters WHERE filename = 'sans-apercu.pdf'").trim());
        assert.equal(await letterRead(srv, id), 'pending');
        /* As when poppler could not render page 1: the letter read, no preview kept. */
        const preview = srv.sql(`SELECT preview FROM post_letters WHERE id = ${id}`).trim();
        fs.rmSync(path.join(srv.dir, 'uploads', preview));
        srv.sql(`UPDATE post_letters SET preview = NULL WHERE id = ${id}`);
        const page = await client.get(`/agent/courrier/${id}`);
        assert.equal(page.status, 200);
        assert.match(F.textOf(page.text), /L’aperçu de la première page n’a pas pu être produit/);
        assert.ok(!page.text.includes('apercu.png'), 'no image linked');
        assert.match(page.text, new RegExp(`href="/agent/courrier/${id}/fichier"`));
        const png = await fetch(`${srv.url}/agent/courrier/${id}/apercu.png`, { headers: { Cookie: client.cookieHeader() } });
        assert.equal(png.status, 404);
    });

    await t.test('an élu may not open the post room', async () => {
        const elu = F.addAgent(srv, { email: 'conseillere.courrier@ville-demo.test', name: 'Conseillère', role: 'elected' });
        const c = await F.login(srv, elu);
        assert.equal((await c.get('/agent/courrier')).status, 403);
    });
});
