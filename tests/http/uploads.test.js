'use strict';
/*
 * Issue 12, «Nothing lost, nothing impossible»: files within the announced limits
 * («5 fichiers, 10 Mo chacun») reach the request, and a file too large or too many is refused
 * on the report form itself, which comes back with everything typed and the files that
 * fitted; files already sent are kept on the server between the steps and never asked for
 * twice. Only a body beyond the overall limit (max-upload × max-files + max-body) still
 * gets a 413, on a page of the collectivité.
 *
 * Photos are made at test time with libvips' CLI (`vips`, scripts/install-deps test): a
 * small JPEG padded after its end marker to the size a phone's photo has (decoders stop at
 * the marker; libvips checks the image itself whole).
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startServer, rawRequest } = require('./harness');
const { decodeEntities, fill, Browser, reviewStep, confirmation, finishFiling, procedureForm } = require('./portal_client');

const MiB = 1024 * 1024;
/* What portal_client's fill types into the description (sampleFor, a textarea). */
const TYPED = 'Un trou profond devant le numéro 12, dangereux pour les cyclistes.';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-uploads-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

let jpeg; /* a small whole JPEG */
function photo(name, size) {
    if (!jpeg) {
        const v = path.join(work, 'p.v');
        const file = path.join(work, 'p.jpg');
        execFileSync('vips', ['xyz', v, '640', '480']);
        execFileSync('vips', ['cast', v, path.join(work, 'pu.v'), 'uchar']);
        execFileSync('vips', ['bandjoin_const', path.join(work, 'pu.v'), file, '128']);
        jpeg = fs.readFileSync(file);
    }
    const data = size ? Buffer.concat([jpeg, Buffer.alloc(size - jpeg.length)]) : jpeg;
    return { name, type: 'image/jpeg', data };
}

/* The error message shown beside the file input. */
function fileError(html) {
    const m = /id="files-error"[^>]*>([\s\S]*?)<\/p>/.exec(html);
    return m ? decodeEntities(m[1]).replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim() : null;
}

/* The files the review step lists as kept: [{name, size, id}]. */
function keptFiles(html) {
    return [...html.matchAll(/<li><span>([^<]*), ([^<]*)<\/span> — <button[^>]*name="retirer" value="([^"]+)"/g)]
        .map((m) => ({ name: decodeEntities(m[1]), size: decodeEntities(m[2]), id: m[3] }));
}

function attachmentsOf(srv, reference) {
    return srv.sql('SELECT a.filename FROM attachments a JOIN requests r ON r.id = a.request_id ' +
                   `WHERE r.reference = '${reference.replace(/'/g, "''")}' ORDER BY a.id;`)
        .split('\n').map((s) => s.trim()).filter(Boolean);
}

/* Files waiting in the stashes of forms not sent yet. */
function stashed(srv) {
    const root = path.join(srv.dir, 'uploads', 'stash');
    if (!fs.existsSync(root)) return [];
    return fs.readdirSync(root).flatMap((d) => fs.readdirSync(path.join(root, d)).map((f) => path.join(root, d, f)));
}

/* Sends the files' step again, choosing nothing more — what a citizen does once the refusal
 * is read —, then the rest of the form: the answer of sending it. */
async function sendAgain(b, page) {
    const form = procedureForm(page.text);
    assert.ok(form, 'no procedure form on the page');
    return finishFiling(b, await b.submit(form, fill(form)));
}

let srv;

test.before(async () => {
    srv = await startServer({ requests: 3 });
});

test.after(async () => {
    if (srv) await srv.stop();
});

test('three photos of 9 MB, within «5 fichiers, 10 Mo chacun», are filed with the report', async () => {
    const b = new Browser(srv);
    const { page, form } = await reviewStep(b);
    assert.match(decodeEntities(page.text), /Jusqu’à 5 fichiers : photos \(JPEG, PNG, WebP\) ou PDF, 10 Mo au plus chacun/);
    const files = [1, 2, 3].map((i) => photo(`photo${i}.jpg`, 9 * MiB));
    const filed = await confirmation(b, await finishFiling(b, await b.submit(form, fill(form, { '*': files }))));
    assert.deepEqual(attachmentsOf(srv, filed.reference), ['photo1.jpg', 'photo2.jpg', 'photo3.jpg']);
    assert.deepEqual(stashed(srv), [], 'files left waiting once the report is filed');
});

test('a file over 10 MB is refused on the form, with everything typed and the photo that fitted', async () => {
    const b = new Browser(srv);
    const { form } = await reviewStep(b);
    const r = await b.submit(form, fill(form, { '*': [photo('trottoir.jpg', 2411725), photo('enorme.jpg', 11 * MiB)] }));
    assert.equal(r.status, 400, r.text.slice(0, 2000));
    assert.equal(fileError(r.text), 'Erreur : Le fichier « enorme.jpg » dépasse 10 Mo : choisissez une photo plus légère.');
    assert.match(decodeEntities(r.text), new RegExp(TYPED), 'the description is lost');
    assert.match(r.text, /name="step" value="what"/);
    assert.deepEqual(keptFiles(r.text).map((f) => [f.name, f.size]), [['trottoir.jpg', '2,3 Mo']]);
    /* sent as it is now: the kept photo is attached, not asked for again */
    const filed = await confirmation(b, await sendAgain(b, r));
    assert.deepEqual(attachmentsOf(srv, filed.reference), ['trottoir.jpg']);
});

test('in English, the same refusal in English', async () => {
    const b = new Browser(srv);
    const { form } = await reviewStep(b, 'nid-de-poule?lang=en');
    const r = await b.submit(form, fill(form, { '*': [photo('huge.jpg', 11 * MiB)] }));
    assert.equal(r.status, 400);
    assert.match(r.text, /<html[^>]*lang="en"/);
    assert.equal(fileError(r.text), 'Error: The file “huge.jpg” is over 10 MB: choose a lighter photo.');
    assert.match(decodeEntities(r.text), new RegExp(TYPED));
});

test('six files: the sixth is refused by name, the five others kept, nothing typed lost', async () => {
    const b = new Browser(srv);
    const { form } = await reviewStep(b);
    const files = [1, 2, 3, 4, 5, 6].map((i) => photo(`photo${i}.jpg`));
    const r = await b.submit(form, fill(form, { '*': files }));
    assert.equal(r.status, 400, r.text.slice(0, 2000));
    assert.equal(fileError(r.text), 'Erreur : Le fichier « photo6.jpg » n’a pas été joint : 5 fichiers au plus par demande. ' +
                 'Retirez-en un pour le remplacer.');
    assert.match(decodeEntities(r.text), new RegExp(TYPED));
    assert.deepEqual(keptFiles(r.text).map((f) => f.name), ['photo1.jpg', 'photo2.jpg', 'photo3.jpg', 'photo4.jpg', 'photo5.jpg']);
    /* one more once five are kept: refused the same way */
    const again = await b.submit(procedureForm(r.text), fill(procedureForm(r.text), { '*': [photo('photo7.jpg')] }));
    assert.equal(again.status, 400);
    assert.match(fileError(again.text), /« photo7\.jpg » n’a pas été joint/);
    /* «retirer» makes room; then the five are filed */
    const kept = keptFiles(again.text);
    const removeForm = procedureForm(again.text);
    const removed = await b.submit(removeForm, [...fill(removeForm), ['retirer', kept[4].id]]);
    assert.equal(removed.status, 200);
    assert.deepEqual(keptFiles(removed.text).map((f) => f.name), ['photo1.jpg', 'photo2.jpg', 'photo3.jpg', 'photo4.jpg']);
    const last = procedureForm(removed.text);
    const filed = await confirmation(b, await finishFiling(b, await b.submit(last, fill(last, { '*': [photo('photo7.jpg')] }))));
    assert.deepEqual(attachmentsOf(srv, filed.reference),
                     ['photo1.jpg', 'photo2.jpg', 'photo3.jpg', 'photo4.jpg', 'photo7.jpg']);
});

test('a file too large takes no place: with five photos, only it is refused', async () => {
    const b = new Browser(srv);
    const { form } = await reviewStep(b);
    const files = [photo('p1.jpg'), photo('lourde.jpg', 11 * MiB), photo('p2.jpg'), photo('p3.jpg'), photo('p4.jpg'), photo('p5.jpg')];
    const r = await b.submit(form, fill(form, { '*': files }));
    assert.equal(r.status, 400);
    assert.equal(fileError(r.text), 'Erreur : Le fichier « lourde.jpg » dépasse 10 Mo : choisissez une photo plus légère.');
    assert.deepEqual(keptFiles(r.text).map((f) => f.name), ['p1.jpg', 'p2.jpg', 'p3.jpg', 'p4.jpg', 'p5.jpg']);
});

test('a file sent at one step is still attached at the end without being sent again', async () => {
    const b = new Browser(srv);
    const { form } = await reviewStep(b);
    /* «Étape précédente» with a photo chosen: the photo travels and is kept */
    const back = await b.submit(form, [...fill(form, { '*': [photo('avant-modif.jpg')] }), ['goto', 'location']]);
    assert.equal(back.status, 200, back.text.slice(0, 2000));
    assert.match(back.text, /name="step" value="location"/);
    let page = back;
    for (let i = 0; i < 4 && !/name="step" value="send"/.test(page.text); i++) {
        const f = procedureForm(page.text);
        page = await b.submit(f, fill(f));
        assert.equal(page.status, 200, page.text.slice(0, 2000));
        if (/name="step" value="what"/.test(page.text)) {
            /* on the way, the photo's step lists it, not to be chosen again */
            assert.deepEqual(keptFiles(page.text).map((x) => x.name), ['avant-modif.jpg']);
            assert.match(decodeEntities(page.text), /déjà reçus et seront joints à votre demande/);
        }
    }
    assert.match(page.text, /name="step" value="send"/);
    assert.match(decodeEntities(page.text), /<dt>Pièces jointes<\/dt><dd>avant-modif\.jpg<\/dd>/);
    const f = procedureForm(page.text);
    const filed = await confirmation(b, await b.submit(f, fill(f)));
    assert.deepEqual(attachmentsOf(srv, filed.reference), ['avant-modif.jpg']);
    /* another browser's form never sees them */
    const other = await reviewStep(new Browser(srv));
    assert.deepEqual(keptFiles(other.page.text), []);
});

test('the limits follow --max-upload and --max-files; beyond them all, a 413 page of the collectivité', async (t) => {
    const small = await startServer({ requests: 1, env: { GUICHET_MAX_UPLOAD: String(MiB), GUICHET_MAX_FILES: '2' } });
    t.after(() => small.stop());
    const b = new Browser(small);
    const { page, form } = await reviewStep(b);
    assert.match(decodeEntities(page.text), /Jusqu’à 2 fichiers : .* 1 Mo au plus chacun/);
    const r = await b.submit(form, fill(form, { '*': [photo('lourde.jpg', 1.5 * MiB)] }));
    assert.equal(r.status, 400);
    assert.equal(fileError(r.text), 'Erreur : Le fichier « lourde.jpg » dépasse 1 Mo : choisissez une photo plus légère.');
    /* 2 × 1 MiB + 1 MiB of text at most: 4 MiB is beyond what any valid form needs, and is
     * refused on its headers (the body is never read, so the raw answer is read here) */
    const over = await rawRequest(small, `POST /demarches/nid-de-poule HTTP/1.1\r\nHost: x\r\n` +
        `Cookie: ${b.cookieHeader()}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n` +
        `Content-Length: ${4 * MiB}\r\n\r\n`);
    assert.match(over, /^HTTP\/1\.1 413 /);
    const text = decodeEntities(over);
    assert.match(text, /<title>[^<]*Ville de Démo<\/title>/);
    assert.match(text, /contact@ville-demo\.test/);
    assert.match(text, /01 23 45 67 89/);
});

test('files of a form never sent are removed after a day, at the latest when the server starts', async () => {
    const b = new Browser(srv);
    const { form } = await reviewStep(b);
    const r = await b.submit(form, [...fill(form, { '*': [photo('oubliee.jpg')] }), ['goto', 'contact']]);
    assert.equal(r.status, 200);
    const files = stashed(srv);
    assert.ok(files.length >= 2, `kept: ${files.join(', ')}`); /* the photo, its thumbnail, its description */
    const dayAgo = new Date(Date.now() - 25 * 3600 * 1000);
    for (const f of files) fs.utimesSync(f, dayAgo, dayAgo);
    fs.utimesSync(path.dirname(files[0]), dayAgo, dayAgo);
    await srv.stop('SIGTERM', { keep: true });
    await srv.restart();
    assert.deepEqual(stashed(srv), []);
    assert.match(srv.log(), /kept uploads: \d+ file\(s\) of forms never sent removed/);
});
