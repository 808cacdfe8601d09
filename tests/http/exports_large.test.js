'use strict';
/*
 * exports_large — the inbox's exports and open data stay in bounded memory: 30,000 demo
 * requests exported as CSV, XLSX and GeoJSON by an administrator (every row read back), with
 * the server's resident memory (VmRSS, sampled as the bytes arrive: its peak, VmHWM, is set
 * at start-up already) printed as a bench figure and held under a loose bound — the rows are
 * read in batches and written as they are sent, XLSX in libxlsxwriter's constant_memory
 * mode.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const XLSX = require('xlsx');
const H = require('./harness');
const F = require('../browser/bo_flows');

/* 30,000: the demo makes them in under two minutes under ASan too (the harness's bound). */
const N = 30000;
let srv, admin;

test.before(async () => {
    srv = await H.startServer({ requests: N });
    const ad = F.addAgent(srv, { email: `big.admin.${process.pid}@ville-demo.test`, name: 'Admin Gros Export', role: 'admin' });
    admin = await F.login(srv, ad);
});

test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

/* The server's resident memory now and at its peak, in bytes. */
function memory() {
    const status = fs.readFileSync(`/proc/${srv.pid()}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)[1]) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/* Downloads p, counting the bytes as they come without keeping them unless keep; maxRss:
 * the server's largest resident size sampled meanwhile. */
async function download(p, keep) {
    const r = await fetch(srv.url + p, { headers: { Cookie: admin.cookieHeader() }, signal: AbortSignal.timeout(600000) });
    assert.equal(r.status, 200);
    const chunks = [];
    let size = 0, maxRss = memory().rss;
    for await (const c of r.body) {
        size += c.length;
        if (keep) chunks.push(c);
        maxRss = Math.max(maxRss, memory().rss);
    }
    return { size, maxRss, bytes: keep ? Buffer.concat(chunks) : null };
}

test(`${N} requests exported in bounded memory, every row there`, async () => {
    const total = Number(srv.sql('SELECT count(*) FROM requests').trim());
    assert.equal(total, N);
    /* A first small export: what every export allocates once (caches, pools) is then in. */
    await download('/agent/export/csv?onglet=tout&canal=post', false);
    const before = memory();
    const t0 = Date.now();
    const csv = await download('/agent/export/csv?onglet=tout', true);
    const tCsv = Date.now() - t0;
    const lines = csv.bytes.toString('utf8').split('\r\n').filter((l) => /^\d{4}-\d{6};/.test(l));
    assert.equal(lines.length, N, 'a row per request');

    const t1 = Date.now();
    const xlsx = await download('/agent/export/xlsx?onglet=tout', true);
    const tXlsx = Date.now() - t1;
    const sheet = XLSX.read(xlsx.bytes, { type: 'buffer', dense: true });
    const rows = XLSX.utils.sheet_to_json(sheet.Sheets.Demandes, { header: 1 });
    assert.equal(rows.length, N + 1, 'a row per request and the headings');

    const t2 = Date.now();
    const open = await download('/donnees-ouvertes/signalements.geojson', false);
    const tOpen = Date.now() - t2;

    const mb = (b) => (b / 1048576).toFixed(1);
    console.log(`# export bench: CSV ${mb(csv.size)} MB in ${tCsv} ms, XLSX ${mb(xlsx.size)} MB in ${tXlsx} ms, ` +
                `open data GeoJSON ${mb(open.size)} MB in ${tOpen} ms; server RSS ${mb(before.rss)} MB before, at most ` +
                `${mb(csv.maxRss)} during CSV, ${mb(xlsx.maxRss)} during XLSX, ${mb(open.maxRss)} during open data`);
    /* A loose guard far from the noise, the figure above being the measure: the readers'
     * SQLite page caches (8 MiB a connection, one a thread) and malloc's arenas move the
     * resident size by some 10 MiB; 64 MiB more would be a regression to look at. */
    const bound = 64 * 1048576;
    const most = Math.max(csv.maxRss, xlsx.maxRss, open.maxRss);
    /* The rows are checked under AddressSanitizer too, the bound only on the plain build. */
    if (!H.underAsan()) {
        assert.ok(most - before.rss < bound,
                  `RSS ${mb(most)} MB, ${mb(most - before.rss)} MB over the ${mb(before.rss)} MB before: over ${mb(bound)} MB`);
    }
});
