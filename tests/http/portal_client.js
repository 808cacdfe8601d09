'use strict';
/*
 * portal_client — a tiny browser for the HTTP tests of the citizens' portal, without
 * JavaScript as a citizen's browser may be: cookies, the forms of a page parsed and filled
 * with sample answers, multipart submissions, redirects followed by hand; and the portal's
 * paths (filing a procedure step by step, the tracking page and its reply form, attachment
 * downloads).
 *
 *   const { Browser, reviewStep, fileIncident, reply, parseForms, fill } = require('./portal_client');
 *   const b = new Browser(srv);
 *   const { reference, token } = await fileIncident(b, [{ name: 'a.pdf', type: 'application/pdf', data }]);
 *   const r = await reply(b, reference, token, 'Un message.', files);   // 303, or the page again
 */

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');

function decodeEntities(s) {
    return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (m, e) => {
        const l = e.toLowerCase();
        if (l === 'amp') return '&';
        if (l === 'lt') return '<';
        if (l === 'gt') return '>';
        if (l === 'quot') return '"';
        if (l === 'apos' || l === '#39') return "'";
        if (l.startsWith('#x')) return String.fromCodePoint(parseInt(l.slice(2), 16));
        return String.fromCodePoint(parseInt(l.slice(1), 10));
    });
}

function attrs(s) {
    const out = {};
    for (const m of s.matchAll(/([\w:-]+)(?:\s*=\s*"([^"]*)")?/g)) out[m[1].toLowerCase()] = m[2] === undefined ? '' : decodeEntities(m[2]);
    return out;
}

/* The forms of a page: {action, method, enctype, controls: [{tag, type, name, value, checked,
 * options}]}. */
function parseForms(html) {
    const forms = [];
    for (const fm of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
        const a = attrs(fm[1]);
        const body = fm[2];
        const controls = [];
        const re = /<input\b([^>]*)>|<textarea\b([^>]*)>([\s\S]*?)<\/textarea>|<select\b([^>]*)>([\s\S]*?)<\/select>|<button\b([^>]*)>/g;
        for (const m of body.matchAll(re)) {
            if (m[1] !== undefined) {
                const x = attrs(m[1]);
                controls.push({ tag: 'input', type: (x.type || 'text').toLowerCase(), name: x.name,
                                value: x.value || '', checked: 'checked' in x, required: 'required' in x });
            } else if (m[2] !== undefined) {
                const x = attrs(m[2]);
                controls.push({ tag: 'textarea', type: 'textarea', name: x.name, value: decodeEntities(m[3]),
                                required: 'required' in x });
            } else if (m[4] !== undefined) {
                const x = attrs(m[4]);
                const options = [...m[5].matchAll(/<option\b([^>]*)>/g)].map((o) => attrs(o[1]));
                const sel = options.find((o) => 'selected' in o);
                controls.push({ tag: 'select', type: 'select', name: x.name, value: sel ? sel.value : '',
                                options: options.map((o) => o.value), required: 'required' in x });
            } else {
                const x = attrs(m[6]);
                controls.push({ tag: 'button', type: (x.type || 'submit').toLowerCase(), name: x.name,
                                value: x.value || '' });
            }
        }
        forms.push({ action: a.action || '', method: (a.method || 'get').toLowerCase(),
                     enctype: a.enctype || 'application/x-www-form-urlencoded', controls });
    }
    return forms;
}

/* A value the procedure forms accept for an empty control. */
function sampleFor(c) {
    const n = (c.name || '').toLowerCase();
    if (n === 'lat') return '45.764';
    if (n === 'long' || n === 'lon') return '4.8357';
    if (/adress|address/.test(n)) return '12 rue de la République, 69002 Lyon';
    if (/e-?mail|courriel/.test(n) || c.type === 'email') return 'jeanne.test@exemple.fr';
    if (/phone|tel/.test(n) || c.type === 'tel') return '0601020304';
    switch (c.type) {
    case 'number': return '3';
    case 'date': return '2026-03-01';
    case 'datetime-local': return '2026-03-01T10:00';
    case 'time': return '10:00';
    case 'textarea': return 'Un trou profond devant le numéro 12, dangereux pour les cyclistes.';
    default: return 'Valeur de test';
    }
}

/* The fields a browser would send for `form` after filling every empty control; `files`
 * (name → [{name, type, data}]) go to the form's file inputs. */
function fill(form, files = {}) {
    const fields = [];
    const doneGroups = new Set();
    for (const c of form.controls) {
        if (!c.name) continue;
        if (c.tag === 'button') continue; /* the default button sends nothing */
        if (c.type === 'file') {
            for (const f of files[c.name] || files['*'] || []) fields.push([c.name, f]);
            continue;
        }
        if (c.type === 'radio') {
            if (doneGroups.has(c.name)) continue;
            const group = form.controls.filter((x) => x.name === c.name && x.type === 'radio');
            const pick = group.find((x) => x.checked) || group[0];
            fields.push([c.name, pick.value]);
            doneGroups.add(c.name);
            continue;
        }
        if (c.type === 'checkbox') {
            if (c.checked || !doneGroups.has(c.name)) fields.push([c.name, c.value || 'on']);
            doneGroups.add(c.name);
            continue;
        }
        if (c.type === 'submit' || c.type === 'reset' || c.type === 'image') continue;
        if (c.tag === 'select') {
            fields.push([c.name, c.value || c.options.find((v) => v) || '']);
            continue;
        }
        if (c.type === 'hidden' || c.value) {
            fields.push([c.name, c.value]);
            continue;
        }
        if (c.type === 'search') continue;
        fields.push([c.name, sampleFor(c)]);
    }
    return fields;
}

class Browser {
    constructor(srv) {
        this.srv = srv;
        this.cookies = new Map();
    }

    cookieHeader() {
        return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }

    async fetch(method, p, { body, headers = {} } = {}) {
        const h = Object.assign({}, headers);
        if (this.cookies.size) h.Cookie = this.cookieHeader();
        const r = await fetch(this.srv.url + p, { method, headers: h, body, redirect: 'manual',
                                                  signal: AbortSignal.timeout(60000) });
        for (const c of r.headers.getSetCookie()) {
            const [pair] = c.split(';');
            const i = pair.indexOf('=');
            const name = pair.slice(0, i).trim();
            const value = pair.slice(i + 1).trim();
            if (/max-age=0/i.test(c) || value === '') this.cookies.delete(name);
            else this.cookies.set(name, value);
        }
        const buf = Buffer.from(await r.arrayBuffer());
        return { status: r.status, headers: r.headers, buf, text: buf.toString('utf8'),
                 location: r.headers.get('location') };
    }

    get(p) {
        return this.fetch('GET', p);
    }

    /* Submits fields ([name, value | {name, type, data}]) as the form says. */
    async submit(form, fields, action) {
        const target = action || form.action;
        if (form.enctype === 'multipart/form-data') {
            const fd = new FormData();
            for (const [k, v] of fields) {
                if (typeof v === 'string') fd.append(k, v);
                else fd.append(k, new Blob([v.data], { type: v.type || 'application/octet-stream' }), v.name);
            }
            return this.fetch('POST', target, { body: fd });
        }
        const p = new URLSearchParams();
        for (const [k, v] of fields) if (typeof v === 'string') p.append(k, v);
        return this.fetch('POST', target, {
            body: p.toString(),
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        });
    }
}

/* The procedure's form on a page (posted to /demarches/…, or /signaler for a report). */
function procedureForm(html) {
    return parseForms(html).find((f) => f.method === 'post' &&
                                 (f.action.startsWith('/demarches/') || f.action.startsWith('/signaler')));
}

/* Walks the procedure's form with sample answers up to the step that offers a file input (a
 * report's «Le problème», a démarche's review step). Returns {page, form}: that step's answer
 * and its form. */
async function reviewStep(b, procedure = 'nid-de-poule') {
    let r = await b.get(`/demarches/${procedure}`);
    assert.equal(r.status, 200, `GET /demarches/${procedure}: ${r.status}`);
    for (let step = 0; step < 12; step++) {
        const form = procedureForm(r.text);
        assert.ok(form, `no procedure form on the page:\n${r.text.slice(0, 3000)}`);
        if (form.controls.some((c) => c.type === 'file')) return { page: r, form };
        r = await b.submit(form, fill(form));
        assert.equal(r.status, 200, `form step answered ${r.status}:\n${r.text.slice(0, 3000)}`);
        assert.ok(!/aria-invalid="true"/.test(r.text) || step < 11,
                  `the form keeps refusing: ${r.text.slice(0, 3000)}`);
    }
    assert.fail('the form never offered a file input');
}

/* The confirmation a filed form redirected to (r: its 303): {reference, token, page}. */
async function confirmation(b, r) {
    assert.equal(r.status, 303, `the form answered ${r.status}:\n${r.text.slice(0, 3000)}`);
    const page = await b.get(r.location);
    const m = /\/suivi\/([^/?"&]+)\?jeton=([^"&<\s]+)/.exec(decodeEntities(page.text)) ||
              /\/suivi\/([^/?"&]+)\?jeton=([^"&<\s]+)/.exec(r.location);
    assert.ok(m, `no tracking link after filing (${r.location}, ${page.status})`);
    return { reference: decodeURIComponent(m[1]), token: decodeURIComponent(m[2]), page };
}

/* Goes on from r, a step of the form answered 200, with sample answers until the form is
 * sent: returns the last answer (the 303 of sending, or a step that kept refusing). */
async function finishFiling(b, r) {
    for (let step = 0; step < 6 && r.status === 200; step++) {
        const form = procedureForm(r.text);
        if (!form) break;
        r = await b.submit(form, fill(form));
    }
    return r;
}

/* Files a request of `procedure` through the portal's form, step by step, attaching `files`
 * on the step that asks for them. Returns {reference, token, page}. */
async function fileIncident(b, files, procedure = 'nid-de-poule') {
    const { form } = await reviewStep(b, procedure);
    return confirmation(b, await finishFiling(b, await b.submit(form, fill(form, { '*': files }))));
}

/* Links to attachments on the tracking page: [{ref, id, href}] */
function attachmentLinks(html, ref) {
    const out = [];
    for (const m of decodeEntities(html).matchAll(/href="(\/pieces-jointes\/([^/"?]+)\/(\d+)[^"]*)"/g)) {
        out.push({ href: m[1], ref: decodeURIComponent(m[2]), id: m[3] });
    }
    return out.filter((l) => !ref || l.ref === ref);
}

function trackingPath(ref, token) {
    return `/suivi/${encodeURIComponent(ref)}?jeton=${encodeURIComponent(token)}`;
}

/* Sends a reply with files on the tracking page; returns the answer (303 or the page). */
/* Sends the tracking page's form ending in `/suffix` (text in field `field`, files). */
async function sendTracking(b, ref, token, suffix, field, text, files) {
    const page = await b.get(trackingPath(ref, token));
    assert.equal(page.status, 200);
    const form = parseForms(page.text).find((f) => f.action.endsWith(`/${suffix}`));
    assert.ok(form, `no /${suffix} form on the tracking page`);
    assert.equal(form.enctype, 'multipart/form-data');
    const fields = fill(form, { '*': files }).filter(([k]) => k !== field);
    fields.push([field, text]);
    return b.submit(form, fields);
}

function reply(b, ref, token, message, files) {
    return sendTracking(b, ref, token, 'message', 'message', message, files);
}

/* The answer to a correction asked (the box shown while the request waits for it). */
function answer(b, ref, token, text, files) {
    return sendTracking(b, ref, token, 'correction', 'reponse', text, files);
}

function download(srv, p, headers = {}) {
    return new Browser(srv).fetch('GET', p, { headers });
}

/* Gives request `ref` the tracking token `token`, as request_create would have: the keyed
 * BLAKE2b-256 of the token under the instance secret (python3's hashlib has keyed BLAKE2b,
 * node's crypto has not). Lets the tests reach the tracking page of a demo request. */
function setToken(s, ref, token) {
    const secret = require('node:fs').readFileSync(`${s.db}.key`, 'utf8').trim(); /* the instance secret's file */
    assert.match(secret, /^[0-9a-f]{64}$/);
    const hash = execFileSync('python3', ['-c',
        'import hashlib,sys; print(hashlib.blake2b(sys.argv[1].encode(), digest_size=32, ' +
        'key=bytes.fromhex(sys.argv[2])).hexdigest())', token, secret], { encoding: 'utf8' }).trim();
    s.sql(`UPDATE requests SET token_hash = '${hash}' WHERE reference = '${ref}';`);
}

function attachmentUrl(ref, id, token, extra = '') {
    const q = [];
    if (token !== undefined) q.push(`jeton=${encodeURIComponent(token)}`);
    if (extra) q.push(extra);
    return `/pieces-jointes/${encodeURIComponent(ref)}/${id}${q.length ? '?' + q.join('&') : ''}`;
}

module.exports = {
    decodeEntities,
    parseForms,
    fill,
    Browser,
    procedureForm,
    reviewStep,
    finishFiling,
    confirmation,
    fileIncident,
    attachmentLinks,
    trackingPath,
    reply,
    answer,
    download,
    setToken,
    attachmentUrl,
};
