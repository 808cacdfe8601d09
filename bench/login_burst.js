'use strict';
/*
 * bench/login_burst.js — the logins of bench scenario 5: an agent's password login
 * (POST /agent/connexion, the demo agent and its demo password) sent at a fixed rate,
 * whatever the answers' delays (a new one every 1/RATE s, never waiting for the previous),
 * for SECONDS; then waits for the answers still due and prints one line:
 *   sent=N answered=N ok=N busy=N other=N errors=N p50_ms=X p99_ms=Y
 * ok: 303 (logged in), busy: 503 (the password pool's queue was full), other: any other
 * status. The CSRF cookie and token come from one GET of the login page, as a browser's.
 *
 *   node bench/login_burst.js BASE_URL RATE SECONDS EMAIL PASSWORD
 */

const [base, rateArg, secondsArg, email, password] = process.argv.slice(2);
const rate = Number(rateArg), seconds = Number(secondsArg);
if (!base || !(rate > 0) || !(seconds > 0) || !email || !password) {
    console.error('usage: node bench/login_burst.js BASE_URL RATE SECONDS EMAIL PASSWORD');
    process.exit(2);
}

async function main() {
    const page = await fetch(base + '/agent/connexion');
    const html = await page.text();
    const m = html.match(/name="csrf_token" value="([0-9a-f]{64})"/);
    if (page.status !== 200 || !m) throw new Error(`GET /agent/connexion: ${page.status}, no CSRF token`);
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const body = new URLSearchParams({ csrf_token: m[1], email, password }).toString();

    const counts = { sent: 0, answered: 0, ok: 0, busy: 0, other: 0, errors: 0 };
    const times = [];
    const pending = [];
    const one = async () => {
        const t0 = performance.now();
        try {
            const r = await fetch(base + '/agent/connexion', {
                method: 'POST',
                redirect: 'manual',
                headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
                body,
                signal: AbortSignal.timeout(30000),
            });
            await r.arrayBuffer();
            counts.answered++;
            times.push(performance.now() - t0);
            if (r.status === 303) counts.ok++;
            else if (r.status === 503) counts.busy++;
            else counts.other++;
        } catch (e) {
            counts.errors++;
        }
    };
    const start = performance.now();
    const interval = 1000 / rate;
    /* Each login at its own time since the start, so that a late timer does not shift the
     * ones after it. */
    for (let i = 0; i * interval < seconds * 1000; i++) {
        const due = start + i * interval;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        counts.sent++;
        pending.push(one());
    }
    await Promise.all(pending);
    times.sort((a, b) => a - b);
    const pct = (p) => (times.length ? times[Math.min(times.length - 1, Math.floor(p * times.length))] : 0);
    console.log(`sent=${counts.sent} answered=${counts.answered} ok=${counts.ok} busy=${counts.busy} ` +
                `other=${counts.other} errors=${counts.errors} p50_ms=${pct(0.5).toFixed(1)} ` +
                `p99_ms=${pct(0.99).toFixed(1)}`);
}

main().catch((e) => {
    console.error(`login_burst: ${e.message}`);
    process.exit(1);
});
