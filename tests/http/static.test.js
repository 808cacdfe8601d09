'use strict';
/*
 * Static files served from the assets embedded in the binary (src/web/static.c): the same
 * bytes as the source tree and Leaflet's npm distribution, the content type, ETag
 * revalidation with 304, the cache lifetime, HEAD, and 404 / 405 for everything else
 * (templates and strings are embedded too but never served).
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, request } = require('./harness');

const REPO = path.resolve(__dirname, '..', '..');
let srv;

test.before(async () => {
    srv = await startServer({ demo: true });
});
test.after(async () => {
    if (srv) await srv.stop();
});

async function getBytes(p, headers = {}) {
    const r = await fetch(srv.url + p, { headers, signal: AbortSignal.timeout(10000) });
    return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

const FILES = [
    ['/static/css/guichet.css', 'static/css/guichet.css', 'text/css; charset=utf-8'],
    ['/static/vendor/leaflet/leaflet.js', 'vendor/node_modules/leaflet/dist/leaflet.js',
     'text/javascript; charset=utf-8'],
    ['/static/vendor/leaflet/leaflet.css', 'vendor/node_modules/leaflet/dist/leaflet.css',
     'text/css; charset=utf-8'],
    ['/static/vendor/leaflet/images/marker-icon-2x.png',
     'vendor/node_modules/leaflet/dist/images/marker-icon-2x.png', 'image/png'],
];

test('embedded files are served byte for byte with their type and cache headers', async () => {
    for (const [url, file, type] of FILES) {
        const r = await getBytes(url);
        assert.equal(r.status, 200, url);
        assert.equal(r.headers.get('content-type'), type, url);
        assert.equal(r.headers.get('cache-control'), 'public, max-age=3600', url);
        assert.match(r.headers.get('etag'), /^"[0-9a-f]{16}"$/, url);
        assert.equal(r.headers.get('x-content-type-options'), 'nosniff', url);
        assert.ok(r.body.equals(fs.readFileSync(path.join(REPO, file))), `${url} differs from ${file}`);
    }
});

test('If-None-Match with the ETag answers 304 without a body', async () => {
    const first = await getBytes('/static/vendor/leaflet/leaflet.js');
    const etag = first.headers.get('etag');
    for (const inm of [etag, `W/${etag}`, `"0000000000000000", ${etag}`, '*']) {
        const r = await getBytes('/static/vendor/leaflet/leaflet.js', { 'If-None-Match': inm });
        assert.equal(r.status, 304, inm);
        assert.equal(r.body.length, 0);
        assert.equal(r.headers.get('etag'), etag);
    }
    const other = await getBytes('/static/vendor/leaflet/leaflet.js',
                                 { 'If-None-Match': '"0000000000000000"' });
    assert.equal(other.status, 200);
    assert.equal(other.body.length, first.body.length);
    const css = await getBytes('/static/vendor/leaflet/leaflet.css');
    assert.notEqual(css.headers.get('etag'), etag);
});

test('HEAD gives the headers and length of GET without the body', async () => {
    const get = await getBytes('/static/css/guichet.css');
    const r = await fetch(srv.url + '/static/css/guichet.css', { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), String(get.body.length));
    assert.equal(r.headers.get('etag'), get.headers.get('etag'));
    assert.equal((await r.arrayBuffer()).byteLength, 0);
});

test('anything not an embedded static file is 404; other methods 405', async () => {
    for (const p of ['/static/nope.css', '/static/css/nope.css', '/static/vendor/leaflet/leaflet.js.map',
                     '/static/../templates/home.html', '/static/%2e%2e/templates/home.html',
                     '/static/..%2ftemplates%2fhome.html', '/static/css%2fguichet.css',
                     '/static/i18n/fr/_meta.json', '/static/a/b/c/d/e.css']) {
        const r = await request(srv, 'GET', p);
        assert.equal(r.status, 404, p);
        assert.ok(!r.text.includes('"language_name"'), p);
    }
    const r = await request(srv, 'POST', '/static/css/guichet.css', { form: { a: '1' } });
    assert.equal(r.status, 405);
});
