'use strict';
/*
 * The collectivité's branding and settings against a real server on the demo commune: the
 * portal shows the demo's logo, colours, contact details, opening hours and map centre (error
 * pages too, a 413 included); an
 * admin edits them on /agent/admin/collectivite (every wrong field named at once with what
 * was typed kept: a colour white text cannot be read on is refused with its contrast, hours
 * that end before they start, a partial map centre), previews the header with the colours
 * typed, saves (one audit entry), and the portal, /theme.css and the back office follow;
 * logos: a non-image and an SVG with a script are refused, a PNG is re-encoded and served,
 * then removed. Needs the `vips` command (scripts/install-deps test).
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const H = require('./harness');
const F = require('../browser/bo_flows');

const TAB = '/agent/admin/collectivite';

let srv;
let admin;

test.before(async () => {
    srv = await H.startServer({ requests: 5 });
    const a = F.addAgent(srv, { email: `branding.${process.pid}@ville-demo.test`, name: 'Admin Branding', role: 'admin' });
    admin = await F.login(srv, a);
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

function auditCount(kind) {
    return Number(srv.sql(`SELECT count(*) FROM audit_log WHERE action = 'admin' AND object_kind = '${kind}'`).trim());
}

/* The settings form's fields as the page shows them (name → value). */
function formValues(html) {
    const out = {};
    const form = html.slice(html.indexOf(`action="${TAB}"`));
    for (const m of form.matchAll(/<input id="([^"]+)" name="[^"]+"[^>]*value="([^"]*)"/g)) out[m[1]] = F.unescapeHtml(m[2]);
    for (const m of form.matchAll(/<textarea id="([^"]+)"[^>]*>([^<]*)<\/textarea>/g)) out[m[1]] = F.unescapeHtml(m[2]);
    return out;
}

/* POSTs the settings form with every field as shown, some changed. */
async function saveSettings(changes) {
    const page = await admin.get(TAB);
    assert.equal(page.status, 200);
    return admin.post(TAB, Object.assign(formValues(page.text), changes));
}

/* Sends a file to the logo form (multipart, as a browser does). */
async function uploadLogo(name, type, bytes) {
    const page = await admin.get(TAB);
    const fd = new FormData();
    fd.append('csrf_token', F.csrfOf(page.text));
    fd.append('logo', new Blob([bytes], { type }), name);
    const r = await fetch(srv.url + TAB + '/logo', {
        method: 'POST', body: fd, redirect: 'manual', headers: { Cookie: admin.cookieHeader() },
        signal: AbortSignal.timeout(30000),
    });
    return { status: r.status, text: await r.text(), location: r.headers.get('location') };
}

test('the portal shows the demo commune\'s branding', async () => {
    const home = await H.request(srv, 'GET', '/');
    assert.equal(home.status, 200);
    const logo = /<img class="brand-logo" src="(\/logo\.png\?v=[0-9a-f]{32})" alt="" width="(\d+)" height="48">/.exec(home.text);
    assert.ok(logo, 'the header shows the logo beside the name');
    assert.ok(home.text.includes(`<link rel="icon" href="${logo[1]}" type="image/png">`),
              'the logo is the tab\'s icon too');
    assert.match(home.text, /<span>Ville de Démo<\/span><\/a>/);
    assert.match(home.text, /<span class="tenant-contact__line">1 place de la Mairie<\/span>/);
    assert.match(home.text, /<a href="tel:0123456789">01 23 45 67 89<\/a>/);
    assert.match(home.text, /<a href="mailto:contact@ville-demo.test">contact@ville-demo.test<\/a>/);
    assert.match(home.text, /<dt>Du lundi au jeudi<\/dt><dd>8 h 30 – 12 h et 13 h 30 – 17 h 30<\/dd>/);
    assert.match(home.text, /<dt>Dimanche<\/dt><dd>fermé<\/dd>/);
    assert.match(home.text, /Fermé les jours fériés\./);
    const en = await H.request(srv, 'GET', '/?lang=en');
    assert.match(en.text, /<dt>Monday to Thursday<\/dt><dd>8:30 – 12:00 and 13:30 – 17:30<\/dd>/);

    const png = await fetch(srv.url + logo[1]);
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.match(png.headers.get('cache-control'), /immutable/);
    const bytes = Buffer.from(await png.arrayBuffer());
    assert.equal(bytes.subarray(1, 4).toString(), 'PNG');

    const css = await H.request(srv, 'GET', '/theme.css');
    assert.match(css.text, /--brand: #005a70;/);
    assert.match(css.text, /--brand-secondary: #263846;/);

    /* The location step's map opens on the commune's centre and zoom. */
    const form = await H.request(srv, 'GET', '/demarches/nid-de-poule');
    assert.match(form.text, /data-lat="45\.764000" data-lon="4\.835700" data-zoom="14"/);

    /* An error page, even one answered before the body is read, says who to contact. */
    const big = await H.rawRequest(srv, 'POST /compte/connexion HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 99999999\r\n\r\n');
    assert.match(big, /^HTTP\/1\.1 413/);
    assert.match(big, /<title>Envoi trop volumineux – Ville de Démo<\/title>/);
    assert.match(big, /<a href="tel:0123456789">01 23 45 67 89<\/a>/);

    /* The back office's header too. */
    const inbox = await admin.get('/agent/');
    assert.match(inbox.text, /<img class="brand-logo" src="\/logo\.png\?v=[0-9a-f]{32}"/);
    assert.match(inbox.text, /<link rel="icon" href="\/logo\.png\?v=[0-9a-f]{32}" type="image\/png">/);
});

test('the settings page shows what is saved, with the header\'s preview', async () => {
    const page = await admin.get(TAB);
    assert.equal(page.status, 200);
    const v = formValues(page.text);
    assert.equal(v.colour_primary, '#005a70');
    assert.equal(v.hours_0, '08:30-12:00, 13:30-17:30');
    assert.equal(v.hours_6, '');
    assert.equal(v.map_zoom, '14');
    assert.match(v.address, /1 place de la Mairie/);
    assert.match(page.text, /<link rel="stylesheet" href="\/agent\/admin\/collectivite\/apercu\.css\?primary=%23005a70&amp;secondary=%23263846">/);
    assert.match(page.text, /<div class="brand-preview">/);
    assert.match(page.text, /<label for="hours_0">Lundi<\/label>/);
});

test('wrong fields are named at once, what was typed kept, nothing written', async () => {
    const before = srv.sql("SELECT colour_primary, hours FROM tenant_branding").trim();
    const audits = auditCount('tenant');
    const r = await saveSettings({
        colour_primary: '#ffcc00', hours_1: '17:00-8:00', hours_2: '8h30 à midi', phone: 'appelez-nous',
        website: 'javascript:alert(1)', map_zoom: '', email: 'pas une adresse',
    });
    assert.equal(r.status, 400);
    const text = F.unescapeHtml(r.text);
    assert.match(text, /La couleur principale #ffcc00 n’offre qu’un contraste de 1,3:1 avec le texte blanc et le fond clair des pages : il faut au moins 4,5:1/);
    assert.match(text, /Mardi : une plage se termine avant de commencer\./);
    assert.match(text, /Mercredi : saisissez des plages comme/);
    assert.match(text, /Saisissez un numéro de téléphone/);
    assert.match(text, /Saisissez l’adresse complète du site/);
    assert.match(text, /Saisissez la latitude, la longitude et le niveau de zoom, ou laissez les trois vides\./);
    assert.match(text, /Saisissez une adresse e-mail valide/);
    assert.match(r.text, /<a href="#colour_primary">/, 'the summary links to the field');
    assert.match(r.text, /id="colour_primary" name="colour_primary" type="text" aria-describedby="colour_primary-hint colour_primary-error" aria-invalid="true" value="#ffcc00"/);
    const v = formValues(r.text);
    assert.equal(v.hours_1, '17:00-8:00');
    assert.equal(v.phone, 'appelez-nous');
    assert.equal(srv.sql("SELECT colour_primary, hours FROM tenant_branding").trim(), before);
    assert.equal(auditCount('tenant'), audits);

    const en = await admin.get(TAB + '?lang=en');
    const r2 = await admin.post(TAB + '?lang=en', Object.assign(formValues(en.text), { colour_secondary: '#77aadd' }));
    assert.equal(r2.status, 400);
    assert.match(F.unescapeHtml(r2.text), /The secondary colour #77aadd only has a contrast of 2\.4:1 with the menu's white text: at least 4\.5:1 is required/);
});

test('a preview shows the colours typed without saving them', async () => {
    const r = await saveSettings({ colour_primary: '#7A1F1F', apercu: '1' });
    assert.equal(r.status, 200);
    assert.match(r.text, /apercu\.css\?primary=%237a1f1f&amp;secondary=%23263846/);
    assert.match(F.unescapeHtml(r.text), /rien n’est encore enregistré/);
    const css = await admin.get('/agent/admin/collectivite/apercu.css?primary=%237a1f1f&secondary=%23263846');
    assert.equal(css.status, 200);
    assert.match(css.text, /\.brand-preview \{\n  --brand: #7a1f1f;/);
    const bad = await admin.get('/agent/admin/collectivite/apercu.css?primary=red;}body{x&secondary=');
    assert.match(bad.text, /--brand: #1f4e8c;/, 'only #rrggbb reaches the sheet');
    assert.equal(srv.sql("SELECT colour_primary FROM tenant_branding").trim(), '#005a70');
});

test('saved settings reach the portal, the theme and the audit log', async () => {
    const audits = auditCount('tenant');
    const r = await saveSettings({
        colour_primary: '#7A1F1F', hours_5: 'fermé', hours_6: '10h-12h', hours_notes: 'Fermé le 25 décembre.',
        phone: '+33 4 72 00 00 00', map_lat: '45,75', map_lon: '4.85', map_zoom: '13',
    });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 600));
    assert.equal(auditCount('tenant'), audits + 1);
    assert.equal(srv.sql("SELECT colour_primary, map_zoom FROM tenant_branding").trim(), '#7a1f1f|13');
    const css = await H.request(srv, 'GET', '/theme.css');
    assert.match(css.text, /--brand: #7a1f1f;/);
    const home = await H.request(srv, 'GET', '/');
    assert.match(home.text, /<dt>Samedi<\/dt><dd>fermé<\/dd>/);
    assert.match(home.text, /<dt>Dimanche<\/dt><dd>10 h – 12 h<\/dd>/);
    assert.match(home.text, /Fermé le 25 décembre\./);
    assert.match(home.text, /<a href="tel:\+33472000000">\+33 4 72 00 00 00<\/a>/);
    const form = await H.request(srv, 'GET', '/demarches/nid-de-poule');
    assert.match(form.text, /data-lat="45\.750000" data-lon="4\.850000" data-zoom="13"/);
    const page = await admin.follow(r);
    assert.match(F.unescapeHtml(page.text), /Les informations de la collectivité sont enregistrées\./);
});

test('the legal notice names the publication director, the DPO and the host from the settings', async () => {
    /* The demo's own first. */
    const demo = F.unescapeHtml((await H.request(srv, 'GET', '/mentions-legales')).text);
    assert.match(demo, /Directeur ou directrice de la publication : Marie Dupont, maire de Ville de Démo/);
    assert.match(demo, /<p id="hebergeur">Hébergeur de démonstration SAS<br>10 rue des Serveurs, 69000 Lyon<br>/);
    assert.match(demo, /<p id="dpo">Délégué à la protection des données de Ville de Démo<br>dpo@ville-demo\.test<br>/);
    /* Changed in the back office; a text over 500 characters refused at its field. */
    const long = await saveSettings({ host: 'x'.repeat(501) });
    assert.equal(long.status, 400);
    assert.match(long.text, /<a href="#host">/);
    const r = await saveSettings({
        publication_director: 'Jean Martin, maire', dpo: 'Service juridique\ndpo@mairie.test', host: '',
    });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 600));
    const page = F.unescapeHtml((await H.request(srv, 'GET', '/mentions-legales')).text);
    assert.match(page, /Directeur ou directrice de la publication : Jean Martin, maire/);
    assert.match(page, /<p id="dpo">Service juridique<br>dpo@mairie\.test<br><\/p>/);
    /* No host given: the general sentence. */
    assert.doesNotMatch(page, /id="hebergeur"/);
    assert.match(page, /Les coordonnées de l’hébergeur sont communiquées sur simple demande/);
    const en = F.unescapeHtml((await H.request(srv, 'GET', '/mentions-legales?lang=en')).text);
    assert.match(en, /Director of publication: Jean Martin, maire/);
});

test('logos: a non-image and a scripted SVG are refused; a PNG is re-encoded, served, removed', async () => {
    const audits = auditCount('logo');
    const oldHash = srv.sql('SELECT logo_hash FROM tenant_branding').trim();
    const text = await uploadLogo('logo.png', 'image/png', Buffer.from('ceci n\'est pas une image\n'.repeat(20)));
    assert.equal(text.status, 400);
    assert.match(F.unescapeHtml(text.text), /Le fichier n’est pas une image PNG, JPEG ou SVG\./);
    assert.match(text.text, /<a href="#logo">/);
    const svg = await uploadLogo('logo.svg', 'image/svg+xml', Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>'));
    assert.equal(svg.status, 400);
    assert.match(F.unescapeHtml(svg.text), /Ce SVG contient des scripts/);
    const external = await uploadLogo('logo.svg', 'image/svg+xml', Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image xlink:href="file:///etc/passwd" width="10" height="10"/></svg>'));
    assert.equal(external.status, 400);
    assert.equal(srv.sql('SELECT logo_hash FROM tenant_branding').trim(), oldHash);
    assert.equal(auditCount('logo'), audits);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-logo-'));
    const file = path.join(dir, 'wide.png');
    execFileSync('vips', ['black', file, '800', '200', '--bands', '3']);
    const ok = await uploadLogo('wide.png', 'image/png', fs.readFileSync(file));
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(ok.status, 303, F.textOf(ok.text).slice(0, 400));
    assert.equal(auditCount('logo'), audits + 1);
    const row = srv.sql('SELECT logo_hash, logo_width, logo_height FROM tenant_branding').trim().split('|');
    assert.notEqual(row[0], oldHash);
    assert.deepEqual(row.slice(1), ['256', '64'], 'fitted in 256 pixels, proportions kept');
    const home = await H.request(srv, 'GET', '/');
    assert.match(home.text, new RegExp(`<img class="brand-logo" src="/logo\\.png\\?v=${row[0]}" alt="" width="192" height="48">`));
    const page = await admin.get(TAB);
    assert.match(page.text, /<img class="brand-logo-current" src="\/logo\.png\?v=[0-9a-f]{32}" alt="Ville de Démo"/, 'alone, the logo carries the name');

    const rm = await admin.post(TAB + '/logo/supprimer', {});
    assert.equal(rm.status, 303);
    assert.equal(auditCount('logo'), audits + 2);
    const after = await H.request(srv, 'GET', '/');
    assert.match(after.text, /<img class="brand-emblem" src="\/static\/img\/emblem\.svg"/);
    assert.match(after.text, /<link rel="icon" href="\/static\/img\/emblem\.svg" type="image\/svg\+xml">/);
    const inbox = await admin.get('/agent/');
    assert.match(inbox.text, /<img class="brand-emblem" src="\/static\/img\/emblem\.svg"/, 'the back office falls back too');
    assert.match(inbox.text, /<link rel="icon" href="\/static\/img\/emblem\.svg" type="image\/svg\+xml">/);
    assert.equal((await fetch(srv.url + '/logo.png')).status, 404);
});

test('the settings are an admin\'s alone', async () => {
    const a = F.addAgent(srv, { email: `branding.agent.${process.pid}@ville-demo.test`, name: 'Agent Branding', role: 'agent', departments: ['voirie'] });
    const agent = await F.login(srv, a);
    assert.equal((await agent.get(TAB)).status, 403);
    assert.equal((await agent.post(TAB, { name: 'Pris' })).status, 403);
    assert.equal((await agent.post(TAB + '/logo/supprimer', {})).status, 403);
    assert.equal((await agent.get(TAB + '/apercu.css')).status, 403);
});
