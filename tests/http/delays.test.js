'use strict';
/*
 * delays — a procedure's delay counted in calendar days or in jours ouvrés (issue 13), chosen
 * in the procedure editor and applied to the requests filed afterwards: the due date is the
 * end (23:59:59, the collectivité's clock) of the last day of the delay, the filing day not
 * counted; in calendar days a last day that is a Saturday, a Sunday or a public holiday moves
 * to the next working day; in jours ouvrés only Monday to Friday outside public holidays
 * count. The expected days are computed here independently of util/workdays.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const H = require('./harness');
const F = require('../browser/bo_flows');
const { Browser, procedureForm, fill, confirmation } = require('./portal_client');

/* French public holidays by Easter's date (Meeus/Jones/Butcher), as YYYY-MM-DD. */
function holidays(year) {
    const a = year % 19, b = Math.floor(year / 100), c = year % 100, d = Math.floor(b / 4), e = b % 4;
    const f = Math.floor((b + 8) / 25), g = Math.floor((b - f + 1) / 3), h = (19 * a + b - d - g + 15) % 30;
    const i = Math.floor(c / 4), k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = Math.floor((a + 11 * h + 22 * l) / 451);
    const month = Math.floor((h + l - 7 * m + 114) / 31), day = ((h + l - 7 * m + 114) % 31) + 1;
    const easter = Date.UTC(year, month - 1, day);
    const iso = (t) => new Date(t).toISOString().slice(0, 10);
    return new Set([`${year}-01-01`, `${year}-05-01`, `${year}-05-08`, `${year}-07-14`, `${year}-08-15`,
                    `${year}-11-01`, `${year}-11-11`, `${year}-12-25`,
                    iso(easter + 86400e3), iso(easter + 39 * 86400e3), iso(easter + 50 * 86400e3)]);
}
const working = (t) => {
    const d = new Date(t);
    return d.getUTCDay() !== 0 && d.getUTCDay() !== 6 && !holidays(d.getUTCFullYear()).has(d.toISOString().slice(0, 10));
};
/* The due day (as YYYY-MM-DD) of n days after the day `filed` (YYYY-MM-DD). */
function dueDay(filed, n, inWorkingDays) {
    let t = Date.parse(`${filed}T00:00:00Z`);
    if (inWorkingDays) {
        for (let left = n; left > 0;) {
            t += 86400e3;
            if (working(t)) left--;
        }
    } else {
        t += n * 86400e3;
        while (!working(t)) t += 86400e3;
    }
    return new Date(t).toISOString().slice(0, 10);
}

let srv, admin;
test.before(async () => {
    srv = await H.startServer({ demo: true });
    const row = F.addAgent(srv, { email: `delais.${process.pid}@ville-demo.test`, name: 'Admin Délais', role: 'admin' });
    admin = await F.login(srv, row);
});
test.after(async () => {
    if (srv) assert.equal(await srv.stop(), 0, 'guichet did not exit cleanly');
});

async function saveProcedure(code, count) {
    await admin.get('/agent/admin/demarches/nouvelle');
    const r = await admin.post('/agent/admin/demarches/nouvelle', {
        code, name: `Délai ${count}`, kind: 'demarche', department: 'voirie', delay_days: '3',
        delay_count: count, active: '1', attributes: '[]', description: 'Une démarche au délai compté.',
    });
    assert.equal(r.status, 303, F.textOf(r.text).slice(0, 800));
}

/* The collectivité's local date and time of unix time t, as «YYYY-MM-DD HH:MM:SS». */
function paris(t) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    }).formatToParts(new Date(t * 1000)).map((x) => [x.type, x.value]));
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/* Files the démarche `code` on the portal; returns the request's {created, due} as the
 * collectivité's local date and time. */
async function file(code) {
    const b = new Browser(srv);
    let r = await b.get(`/demarches/${code}`);
    for (let i = 0; i < 4 && r.status === 200; i++) {
        const form = procedureForm(r.text);
        r = await b.submit(form, fill(form));
    }
    const { reference } = await confirmation(b, r);
    const [created, due] = srv.sql(`SELECT created_at, due_at FROM requests WHERE reference = '${reference}';`)
        .trim().split('|').map(Number);
    return { created: paris(created), due: paris(due) };
}

test('the editor offers calendar days and jours ouvrés, and refuses anything else', async () => {
    await saveProcedure('delai-ouvre', 'ouvres');
    assert.equal(srv.sql("SELECT delay_working FROM procedures WHERE code = 'delai-ouvre';").trim(), '1');
    const page = await admin.get('/agent/admin/demarches/delai-ouvre');
    assert.match(page.text, /<input type="radio" id="delay_count-ouvres" name="delay_count" value="ouvres" checked>/);
    await admin.get('/agent/admin/demarches/nouvelle');
    const bad = await admin.post('/agent/admin/demarches/nouvelle', {
        code: 'delai-faux', name: 'Délai faux', kind: 'demarche', department: 'voirie', delay_days: '3',
        delay_count: 'lunaires', active: '1', attributes: '[]',
    });
    assert.equal(bad.status, 400);
    assert.match(F.unescapeHtml(bad.text), /Choisissez comment le délai se compte : en jours calendaires ou en jours ouvrés\./);
});

test('a request is due at the end of the delay\'s last day, counted as the procedure says', async () => {
    await saveProcedure('delai-calendaire', 'calendaires');
    for (const [code, inWorkingDays] of [['delai-calendaire', false], ['delai-ouvre', true]]) {
        const { created, due } = await file(code);
        assert.equal(due.slice(11), '23:59:59', `${code}: due at the end of a day (${due})`);
        assert.equal(due.slice(0, 10), dueDay(created.slice(0, 10), 3, inWorkingDays), `${code} filed ${created}`);
    }
});
