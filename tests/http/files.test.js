'use strict';
/*
 * Attachments through the portal, against a real server: a citizen files an incident with a
 * photo carrying GPS coordinates in its EXIF (made at test time with libvips' CLI and
 * exiftool), and replies with more files on the tracking page; the files come back from
 * /pieces-jointes/{reference}/{id} re-encoded without any EXIF/GPS, as downloads, only for
 * whoever holds the tracking token (everyone else gets the same 404), or for anyone once
 * the photo is approved and the request public. Wrong types get a clear French error on the
 * form, a file over 10 MB a field error, a body over the upload limit a 413.
 *
 * Needs the `vips`, `vipsheader` and `exiftool` commands (scripts/install-deps test).
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startServer } = require('./harness');
const {
    decodeEntities, parseForms, fill, Browser, fileIncident, attachmentLinks, trackingPath, reply,
    download, setToken, attachmentUrl,
} = require('./portal_client');

const PROCEDURE = 'nid-de-poule';

/* ---- files made at test time ---- */

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-files-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

function run(cmd, args) {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/* A w × h JPEG (gradient) with GPS coordinates, a camera make and an orientation tag. */
function jpegWithGps(name, w, h, orientation = 1) {
    const v = path.join(work, `${name}.v`);
    const file = path.join(work, `${name}.jpg`);
    run('vips', ['xyz', v, String(w), String(h)]);
    run('vips', ['cast', v, path.join(work, `${name}-u.v`), 'uchar']);
    run('vips', ['bandjoin_const', path.join(work, `${name}-u.v`), file, '128']);
    run('exiftool', ['-q', '-overwrite_original', '-Make=GuichetCam', '-Model=Test 3000',
        '-GPSLatitude=45.7641', '-GPSLatitudeRef=N', '-GPSLongitude=4.8357',
        '-GPSLongitudeRef=E', '-GPSAltitude=170', `-Orientation#=${orientation}`,
        '-Artist=Jeanne Test', file]);
    return file;
}

/* Every tag exiftool finds, grouped ("EXIF:GPSLatitude", "XMP:…", "File:…"). */
function exifTags(file) {
    const out = JSON.parse(run('exiftool', ['-j', '-G', '-a', '-n', file]))[0];
    return out;
}

function imageSize(file) {
    return {
        w: Number(run('vipsheader', ['-f', 'width', file]).trim()),
        h: Number(run('vipsheader', ['-f', 'height', file]).trim()),
    };
}

const PDF = Buffer.from(
    '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n' +
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n' +
    'xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n' +
    '0000000115 00000 n \ntrailer << /Size 4 /Root 1 0 R >>\nstartxref\n190\n%%EOF\n');

const esc = (v) => String(v).replace(/'/g, "''");

/* Metadata tags (EXIF, XMP, IPTC, GPS…) exiftool finds in a served file. */
function metadataLeft(file) {
    const tags = exifTags(file);
    return Object.keys(tags).filter((k) => /^(EXIF|XMP|IPTC|MakerNotes|Photoshop|ICC_Profile)[-:]/.test(k) || /GPS/i.test(k));
}

/* ---- the tests ---- */

let srv;
let b;
let demo; /* {reference, token} of a demo incident given a known token */
let gpsFile;
let replied; /* ids of the files sent by the reply test: {photo, png, pdf} */

test.before(async () => {
    srv = await startServer({ requests: 5 });
    b = new Browser(srv);
    gpsFile = jpegWithGps('gps', 1200, 800, 6);
    const ref = srv.sql("SELECT r.reference FROM requests r JOIN procedures p ON p.id = r.procedure_id " +
                        `WHERE p.code = '${PROCEDURE}' ORDER BY r.id LIMIT 1;`).trim();
    assert.ok(ref, 'the demo has no incident');
    demo = { reference: ref, token: 'jeton-de-test-' + 'x'.repeat(30) };
    setToken(srv, ref, demo.token);
});

test.after(async () => {
    if (srv) await srv.stop();
});

test('the test photo really carries GPS and EXIF before upload', () => {
    const tags = exifTags(gpsFile);
    assert.ok(Object.keys(tags).some((k) => /GPSLatitude/.test(k)), JSON.stringify(tags));
    assert.equal(tags['EXIF:Make'], 'GuichetCam');
    assert.equal(tags['EXIF:Orientation'], 6);
});

test('a reply with a GPS photo, a PNG and a PDF: clean upright JPEGs, the PDF as sent', async () => {
    const png = path.join(work, 'plan.png');
    run('vips', ['black', png, '3000', '1000', '--bands', '3']);
    run('exiftool', ['-q', '-overwrite_original', '-XMP-exif:GPSLatitude=45.76', '-XMP-dc:Creator=Jeanne Test', png]);
    assert.ok(Object.keys(exifTags(png)).some((k) => /GPS/.test(k)));
    const r = await reply(b, demo.reference, demo.token, 'Voici la photo, le plan et le courrier.', [
        { name: 'photo trottoir.jpg', type: 'image/jpeg', data: fs.readFileSync(gpsFile) },
        { name: 'plan.png', type: 'image/png', data: fs.readFileSync(png) },
        { name: 'courrier «mairie».pdf', type: 'application/pdf', data: PDF },
    ]);
    assert.equal(r.status, 303, `reply answered ${r.status}: ${r.text.slice(0, 2000)}`);
    const rows = srv.sql('SELECT a.id, a.filename FROM attachments a JOIN requests r ON r.id = a.request_id ' +
                         `WHERE r.reference = '${esc(demo.reference)}' ORDER BY a.id;`).trim().split('\n');
    assert.equal(rows.length, 3, rows.join('\n'));
    const ids = rows.map((l) => l.split('|')[0]);
    replied = { photo: ids[0], png: ids[1], pdf: ids[2] };

    /* the tracking page links to them under the request's reference */
    const page = await b.get(trackingPath(demo.reference, demo.token));
    const linked = attachmentLinks(page.text, demo.reference).map((l) => l.id);
    for (const id of ids) assert.ok(linked.includes(id), `no /pieces-jointes/${demo.reference}/${id} link on the tracking page`);

    /* the photo: no EXIF/GPS left, upright, as a download, private */
    const d = await download(srv, attachmentUrl(demo.reference, replied.photo, demo.token));
    assert.equal(d.status, 200, d.text.slice(0, 500));
    assert.equal(d.headers.get('content-type'), 'image/jpeg');
    assert.equal(d.headers.get('content-disposition'),
                 'attachment; filename="photo trottoir.jpg"; filename*=UTF-8\'\'photo%20trottoir.jpg');
    assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
    assert.match(d.headers.get('cache-control'), /private/);
    assert.match(d.headers.get('cache-control'), /no-store/);
    const out = path.join(work, 'photo-back.jpg');
    fs.writeFileSync(out, d.buf);
    assert.deepEqual(metadataLeft(out), [], JSON.stringify(exifTags(out)));
    assert.ok(!d.buf.includes('GuichetCam') && !d.buf.includes('Jeanne Test'));
    assert.deepEqual(imageSize(out), { w: 800, h: 1200 }); /* orientation 6 applied */

    /* its thumbnail: inline for <img>, at most 400 px, clean too */
    const t = await download(srv, attachmentUrl(demo.reference, replied.photo, demo.token, 'miniature=1'));
    assert.equal(t.status, 200);
    assert.equal(t.headers.get('content-type'), 'image/jpeg');
    assert.match(t.headers.get('content-disposition'), /^inline; /);
    const thumb = path.join(work, 'thumb.jpg');
    fs.writeFileSync(thumb, t.buf);
    const ts = imageSize(thumb);
    assert.equal(ts.h, 400);
    assert.ok(Math.abs(ts.w - 267) <= 1, JSON.stringify(ts));
    assert.deepEqual(metadataLeft(thumb), []);

    /* the PNG: a JPEG fitted into 2560 px, named .jpg, without its XMP */
    const p = await download(srv, attachmentUrl(demo.reference, replied.png, demo.token));
    assert.equal(p.status, 200);
    assert.equal(p.headers.get('content-type'), 'image/jpeg');
    assert.match(p.headers.get('content-disposition'), /filename\*=UTF-8''plan\.jpg$/);
    const pf = path.join(work, 'plan-back.jpg');
    fs.writeFileSync(pf, p.buf);
    const ps = imageSize(pf);
    assert.equal(ps.w, 2560);
    assert.ok(Math.abs(ps.h - 853) <= 1, JSON.stringify(ps));
    assert.deepEqual(metadataLeft(pf), []);

    /* the PDF: byte for byte, no thumbnail */
    const f = await download(srv, attachmentUrl(demo.reference, replied.pdf, demo.token));
    assert.equal(f.status, 200);
    assert.equal(f.headers.get('content-type'), 'application/pdf');
    assert.ok(f.buf.equals(PDF));
    assert.equal(f.headers.get('content-disposition'),
                 'attachment; filename="courrier _mairie_.pdf"; filename*=UTF-8\'\'courrier%20%C2%ABmairie%C2%BB.pdf');
    assert.equal((await download(srv, attachmentUrl(demo.reference, replied.pdf, demo.token, 'miniature=1'))).status, 404);

    /* on disk: random names, private modes, no original bytes */
    const uploads = path.join(srv.dir, 'uploads');
    assert.equal(fs.statSync(uploads).mode & 0o777, 0o700);
    for (const name of fs.readdirSync(uploads)) {
        assert.match(name, /^[0-9a-f]{32}\.(jpg|pdf)$/);
        assert.equal(fs.statSync(path.join(uploads, name)).mode & 0o777, 0o600);
        assert.ok(!fs.readFileSync(path.join(uploads, name)).includes('GuichetCam'));
    }
});

test('a file of an internal note is not the citizen\'s: the same 404 with the token', async () => {
    assert.ok(replied, 'depends on the reply test');
    /* Make the reply's event internal, as a field agent's photo with an internal note is. */
    const ev = srv.sql(`SELECT event_id FROM attachments WHERE id = ${replied.png};`).trim();
    assert.ok(Number(ev) > 0, 'the reply\'s files belong to its event');
    srv.sql(`UPDATE request_events SET is_public = 0 WHERE id = ${ev};`);
    try {
        /* Before: the tracking token opened every file of the request, internal ones too. */
        const r = await download(srv, attachmentUrl(demo.reference, replied.png, demo.token));
        assert.equal(r.status, 404, `the citizen got an internal file: ${r.status}`);
        const page = await download(srv, `/suivi/${demo.reference}?jeton=${encodeURIComponent(demo.token)}`);
        assert.ok(!page.text.includes(`/pieces-jointes/${demo.reference}/${replied.png}`),
                  'nor is it linked from the tracking page');
    } finally {
        srv.sql(`UPDATE request_events SET is_public = 1 WHERE id = ${ev};`);
    }
    const again = await download(srv, attachmentUrl(demo.reference, replied.png, demo.token));
    assert.equal(again.status, 200, 'public again, the citizen has it again');
});

test('without the token, with a wrong one or under another reference: the same 404', async () => {
    assert.ok(replied, 'depends on the reply test');
    const other = srv.sql(`SELECT reference FROM requests WHERE reference <> '${esc(demo.reference)}' LIMIT 1;`).trim();
    assert.ok(other);
    const id = replied.photo;
    const cases = [
        attachmentUrl(demo.reference, id),
        attachmentUrl(demo.reference, id, ''),
        attachmentUrl(demo.reference, id, demo.token.slice(0, -2) + 'yy'),
        attachmentUrl(demo.reference, id, undefined, 'miniature=1'),
        attachmentUrl(other, id, demo.token),
        attachmentUrl(demo.reference, 999999, demo.token),
        attachmentUrl(demo.reference, '0' + id, demo.token),
        attachmentUrl(demo.reference, id + 'x', demo.token),
        attachmentUrl('2099-999999', id),
        `/pieces-jointes/${id}?jeton=${encodeURIComponent(demo.token)}`,
    ];
    let firstBody = null;
    for (const p of cases) {
        const r = await download(srv, p);
        assert.equal(r.status, 404, `${p} answered ${r.status}`);
        assert.match(r.headers.get('content-type'), /^text\/html/);
        assert.ok(!r.buf.includes(Buffer.from([0xff, 0xd8, 0xff])), `${p} leaked image bytes`);
        /* the same page whatever the reason (only the echoed path may differ) */
        const body = r.text.replace(/\/pieces-jointes\/[^"<\s]*/g, '')
            .replace(/name="csrf_token" value="[^"]*"/g, '');
        if (firstBody === null) firstBody = body;
        assert.equal(body, firstBody, `${p}: a different 404 page tells something`);
    }
});

test('an approved photo of a public request is visible to anyone; pending, rejected or private is not', async () => {
    assert.ok(replied, 'depends on the reply test');
    const p = attachmentUrl(demo.reference, replied.photo);
    srv.sql(`UPDATE requests SET is_public = 1 WHERE reference = '${esc(demo.reference)}';`);
    assert.equal((await download(srv, p)).status, 404, 'pending photo shown publicly');
    srv.sql(`UPDATE attachments SET moderation = 'approved' WHERE id IN (${replied.photo}, ${replied.pdf});`);
    const r = await download(srv, p);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('cache-control'), /^public/);
    const t = await download(srv, attachmentUrl(demo.reference, replied.photo, undefined, 'miniature=1'));
    assert.equal(t.status, 200);
    assert.match(t.headers.get('content-disposition'), /^inline/);
    /* only photos are ever public: a PDF may hold personal data */
    assert.equal((await download(srv, attachmentUrl(demo.reference, replied.pdf))).status, 404);
    srv.sql(`UPDATE attachments SET moderation = 'rejected' WHERE id = ${replied.photo};`);
    assert.equal((await download(srv, p)).status, 404, 'rejected photo shown publicly');
    /* the citizen still has it with the token */
    assert.equal((await download(srv, attachmentUrl(demo.reference, replied.photo, demo.token))).status, 200);
    srv.sql(`UPDATE attachments SET moderation = 'approved' WHERE id = ${replied.photo};`);
    srv.sql(`UPDATE requests SET is_public = 0 WHERE reference = '${esc(demo.reference)}';`);
    assert.equal((await download(srv, p)).status, 404, 'photo of a private request shown publicly');
});

test('a file that is neither a photo nor a PDF is refused on the form, in French', async () => {
    const count = () => Number(srv.sql('SELECT count(*) FROM attachments;').trim());
    const n0 = count();
    const uploads = path.join(srv.dir, 'uploads');
    const files0 = fs.existsSync(uploads) ? fs.readdirSync(uploads).length : 0;
    const cases = [
        { name: 'photo.jpg', type: 'image/jpeg', data: Buffer.from('<!DOCTYPE html><html><body><script>alert(1)</script></body></html>') },
        { name: 'setup.exe', type: 'application/octet-stream', data: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(510)]) },
        { name: 'archive.zip', type: 'application/zip', data: Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(60)]) },
    ];
    for (const file of cases) {
        const r = await reply(b, demo.reference, demo.token, 'Un fichier de plus.', [file]);
        assert.equal(r.status, 400, `${file.name}: ${r.status}`);
        assert.match(r.text, /<html[^>]*lang="fr"/);
        assert.match(r.text, /aria-invalid="true"/);
        const err = /id="fichiers-error"[^>]*>([\s\S]*?)<\/p>/.exec(r.text);
        assert.ok(err, `no error message next to the file input for ${file.name}`);
        assert.match(decodeEntities(err[1]), /PDF/, err[1]);
        assert.match(r.text, /Un fichier de plus\./); /* the message is kept */
    }
    assert.equal(count(), n0, 'a refused file was recorded');
    assert.equal(fs.existsSync(uploads) ? fs.readdirSync(uploads).length : 0, files0, 'a refused file was kept on disk');
});

/* Pen-test finding (issue 9): libvips decoded what it could of a cut-off image and the
 * photo was accepted, half grey. A photo must decode whole. */
test('a truncated photo is refused with a clear message, in French and in English, the message kept', async () => {
    const count = () => Number(srv.sql('SELECT count(*) FROM attachments;').trim());
    const uploads = path.join(srv.dir, 'uploads');
    const files = () => (fs.existsSync(uploads) ? fs.readdirSync(uploads).length : 0);
    const n0 = count(), files0 = files();
    const v = path.join(work, 'entier.v');
    const whole = path.join(work, 'entier.png');
    run('vips', ['xyz', v, '640', '480']);
    run('vips', ['cast', v, whole, 'uchar']);
    const bytes = fs.readFileSync(whole);
    const cut = bytes.subarray(0, Math.floor(bytes.length * 0.6));
    const photo = [{ name: 'trou.png', type: 'image/png', data: cut }];

    const fr = await reply(b, demo.reference, demo.token, 'Voici la photo du trou, prise ce matin.', photo);
    assert.equal(fr.status, 400, `truncated PNG: ${fr.status}`);
    const err = /id="fichiers-error"[^>]*>([\s\S]*?)<\/p>/.exec(fr.text);
    assert.ok(err, 'no error message next to the file input');
    assert.match(decodeEntities(err[1]), /incomplet ou abîmé/, err[1]);
    assert.match(fr.text, /Voici la photo du trou, prise ce matin\./, 'the message is kept');

    const page = await b.get(trackingPath(demo.reference, demo.token));
    const form = parseForms(page.text).find((f) => f.action.endsWith('/message'));
    const fd = new FormData();
    for (const [k, val] of fill(form, { '*': photo }).filter(([k]) => k !== 'message')) {
        if (typeof val === 'string') fd.append(k, val);
        else fd.append(k, new Blob([val.data], { type: val.type }), val.name);
    }
    fd.append('message', 'Here is the photo of the hole.');
    const en = await b.fetch('POST', form.action, { body: fd, headers: { 'Accept-Language': 'en' } });
    assert.equal(en.status, 400);
    const errEn = /id="fichiers-error"[^>]*>([\s\S]*?)<\/p>/.exec(en.text);
    assert.ok(errEn, 'no error message next to the file input (en)');
    assert.match(decodeEntities(errEn[1]), /incomplete or damaged/, errEn[1]);
    assert.match(en.text, /Here is the photo of the hole\./, 'the message is kept (en)');

    assert.equal(count(), n0, 'a truncated photo was recorded');
    assert.equal(files(), files0, 'a truncated photo was kept on disk');
    /* The whole image is accepted, so the refusal is about the cut. */
    const ok = await reply(b, demo.reference, demo.token, 'La photo entière.', [{ name: 'trou.png', type: 'image/png', data: bytes }]);
    assert.equal(ok.status, 303, ok.text.slice(0, 500));
});

test('a file over 10 MB or one too many gets a field error naming it; a body over the overall limit gets 413', async () => {
    const big = Buffer.concat([PDF.subarray(0, 9), Buffer.alloc(11 * 1024 * 1024, 0x20), Buffer.from('\n%%EOF\n')]);
    const r = await reply(b, demo.reference, demo.token, 'Le dossier complet.', [
        { name: 'dossier.pdf', type: 'application/pdf', data: big },
    ]);
    assert.equal(r.status, 400, `11 MB file: ${r.status}`);
    const err = /id="fichiers-error"[^>]*>([\s\S]*?)<\/p>/.exec(r.text);
    assert.ok(err, 'no error message next to the file input');
    assert.match(decodeEntities(err[1]), /dossier\.pdf — ce fichier dépasse 10 Mo : choisissez-en un plus léger\./);
    assert.match(r.text, /Le dossier complet\./, 'the message is kept');
    assert.match(decodeEntities(r.text), /jusqu’à 5 fichiers, 10 Mo au plus chacun/);

    /* one file more than a message takes: named, the message kept (it was an error page) */
    const six = [1, 2, 3, 4, 5, 6].map((i) => ({ name: `piece${i}.pdf`, type: 'application/pdf', data: PDF }));
    const many = await reply(b, demo.reference, demo.token, 'Toutes les pièces.', six);
    assert.equal(many.status, 400);
    const errMany = /id="fichiers-error"[^>]*>([\s\S]*?)<\/p>/.exec(many.text);
    assert.ok(errMany, 'no error message next to the file input');
    assert.match(decodeEntities(errMany[1]), /piece6\.pdf — ce fichier n'a pas été joint : 5 fichiers au plus par message\./);
    assert.match(many.text, /Toutes les pièces\./);

    /* Beyond every form's room: 5 files of 10 MiB and 1 MiB of text (max-upload × max-files
     * + max-body). */
    const huge = Buffer.concat([PDF.subarray(0, 9), Buffer.alloc(52 * 1024 * 1024, 0x20), Buffer.from('\n%%EOF\n')]);
    let status;
    try {
        status = (await reply(b, demo.reference, demo.token, 'Trop gros.', [
            { name: 'enorme.pdf', type: 'application/pdf', data: huge },
        ])).status;
    } catch (e) {
        /* the server may answer and close while the client still sends: fetch then fails,
         * and the access log tells what the answer was */
        status = /POST \/suivi\/\S+ 413/.test(srv.log()) ? 413 : `error ${e.cause || e}`;
    }
    assert.equal(status, 413);
    assert.equal((await b.get(trackingPath(demo.reference, demo.token))).status, 200);
});

test('a photo filed with a new incident on the portal form comes back without EXIF/GPS', async () => {
    const filed = await fileIncident(new Browser(srv), [
        { name: 'IMG_2041.JPG', type: 'image/jpeg', data: fs.readFileSync(gpsFile) },
    ]);
    const page = await b.get(trackingPath(filed.reference, filed.token));
    assert.equal(page.status, 200);
    const links = attachmentLinks(page.text, filed.reference);
    assert.equal(links.length, 1, `attachment links on the tracking page:\n${page.text.slice(0, 4000)}`);
    const d = await download(srv, attachmentUrl(filed.reference, links[0].id, filed.token));
    assert.equal(d.status, 200);
    assert.equal(d.headers.get('content-type'), 'image/jpeg');
    assert.match(d.headers.get('content-disposition'), /^attachment; filename="IMG_2041.JPG"/);
    const out = path.join(work, 'filed-back.jpg');
    fs.writeFileSync(out, d.buf);
    assert.deepEqual(metadataLeft(out), []);
    assert.deepEqual(imageSize(out), { w: 800, h: 1200 });
    /* and not to anyone else */
    assert.equal((await download(srv, attachmentUrl(filed.reference, links[0].id))).status, 404);
});

/* Pen-test finding (issue 9): a kill -9 between a file's write and its row's commit left
 * the file behind for ever. The server sweeps the uploads directory when it starts. */
test('files no attachment refers to are swept at start-up; referenced ones stay', async () => {
    const uploads = path.join(srv.dir, 'uploads');
    const referenced = srv.sql("SELECT storage_name FROM attachments UNION ALL " +
                               "SELECT thumb_name FROM attachments WHERE thumb_name IS NOT NULL;")
        .split('\n').map((s) => s.trim()).filter(Boolean);
    assert.ok(referenced.length >= 4, 'the earlier tests stored files');
    for (const name of referenced) assert.ok(fs.existsSync(path.join(uploads, name)), name);
    const hex = () => require('node:crypto').randomBytes(16).toString('hex');
    const orphans = [`${hex()}.jpg`, `${hex()}.pdf`, `${hex()}.jpg`];
    for (const name of orphans) fs.writeFileSync(path.join(uploads, name), 'left by a crash', { mode: 0o600 });
    /* A file part being streamed when the server was killed, before it was unlinked. */
    const partial = '.upload-Ab12Cd';
    fs.writeFileSync(path.join(uploads, partial), 'half a photo', { mode: 0o600 });
    const foreign = 'LISEZMOI.txt'; /* not a name guichet gives: not its to remove */
    fs.writeFileSync(path.join(uploads, foreign), 'notes de l\'administrateur');

    await srv.kill9();
    await srv.restart();

    for (const name of orphans) assert.ok(!fs.existsSync(path.join(uploads, name)), `${name} is still there`);
    assert.ok(!fs.existsSync(path.join(uploads, partial)), 'a partial upload is still there');
    for (const name of referenced) assert.ok(fs.existsSync(path.join(uploads, name)), `${name} was removed`);
    assert.ok(fs.existsSync(path.join(uploads, foreign)), 'a file guichet did not name was removed');
    for (const name of orphans) assert.match(srv.log(), new RegExp(`removed orphan file ${name}`));
    /* and the stored files still serve */
    const d = await download(srv, attachmentUrl(demo.reference, replied.photo, demo.token));
    assert.equal(d.status, 200);
});

/* Agents preview citizens' files from the back office: the portal reads the agent's session
 * (web_agent, shared with the back office) and core's access rule (perm_can_view). */
test('an agent who may see the request has its files without the token; others get the 404', async () => {
    assert.ok(replied, 'depends on the reply test');
    const PASSWORD = 'un-mot-de-passe-solide';
    const { spawnSync } = require('node:child_process');
    const bin = path.resolve(__dirname, '..', '..', process.env.GUICHET_BIN || 'build/guichet');
    const addAgent = (email, department) => {
        const r = spawnSync(bin, ['agent', 'add', '--db', srv.db, '--email', email, '--name', email,
                                  '--role', 'agent', '--department', department, '--password-stdin'],
                            { input: PASSWORD + '\n', encoding: 'utf8', env: srv.env });
        assert.equal(r.status, 0, `agent add ${email}: ${r.stderr}`);
    };
    const login = async (email) => {
        const a = new Browser(srv);
        const page = await a.get('/agent/connexion');
        const csrf = page.text.match(/name="csrf_token" value="([^"]+)"/)[1];
        const r = await a.submit({ enctype: 'application/x-www-form-urlencoded' },
                                 [['csrf_token', csrf], ['email', email], ['password', PASSWORD]],
                                 '/agent/connexion');
        assert.equal(r.status, 303, `login of ${email}: ${r.text.slice(0, 300)}`);
        assert.equal((await a.get('/agent/')).status, 200, 'the inbox opens after login');
        return a;
    };
    addAgent('files.voirie@ville-demo.test', 'voirie');
    addAgent('files.accueil@ville-demo.test', 'accueil');
    const pdf = attachmentUrl(demo.reference, replied.pdf);
    assert.equal((await download(srv, pdf)).status, 404, 'a visitor without the token');

    const voirie = await login('files.voirie@ville-demo.test');
    const d = await voirie.get(pdf);
    assert.equal(d.status, 200, 'the agent of the request\'s department');
    assert.ok(d.buf.equals(PDF));
    assert.match(d.headers.get('cache-control'), /private/);

    const accueil = await login('files.accueil@ville-demo.test');
    assert.equal((await accueil.get(pdf)).status, 404, 'an agent of another department');
});
