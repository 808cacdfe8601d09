'use strict';
/*
 * Incoming e-mail with the real MTA: OpenSMTPD on loopback (tests/http/mta.js) pipes mail for
 * the mairie's domain to `guichet mailgate` (its `mda` action), which hands it to the server.
 * A new e-mail creates a request; a reply threads into it; a bounce and an auto-reply create
 * nothing; with the server down the mailgate exits 75, the MTA keeps the message and, once the
 * server is back and the queue is run again, it arrives, once.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, sleep } = require('./harness');
const { startMta, mtaAvailable } = require('./mta');

const BIN = path.resolve(__dirname, '..', '..', process.env.GUICHET_BIN || 'build/guichet');
const DOMAIN = 'ville-demo.test';

/* One SMTP transaction, as a client would send it; resolves with the last reply. */
function smtpSend(port, from, to, data) {
    return new Promise((resolve, reject) => {
        const sock = net.connect(port, '127.0.0.1');
        const steps = [`EHLO client.test`, `MAIL FROM:<${from}>`, `RCPT TO:<${to}>`, 'DATA',
                       `${data.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.`, 'QUIT'];
        let buf = '';
        let i = -1;
        sock.setEncoding('latin1');
        sock.setTimeout(10000, () => reject(new Error(`SMTP timeout: ${buf}`)));
        sock.on('data', (d) => {
            buf += d;
            /* A complete reply: its last line has a space after the code. */
            const lines = buf.split('\r\n').filter(Boolean);
            const last = lines[lines.length - 1];
            if (!/^\d{3} /.test(last || '') || !buf.endsWith('\r\n')) return;
            buf = '';
            if (!/^[23]/.test(last)) {
                sock.destroy();
                reject(new Error(`SMTP refused at step ${i}: ${last}`));
                return;
            }
            i++;
            if (i < steps.length) sock.write(`${steps[i]}\r\n`);
            else {
                sock.end();
                resolve(last);
            }
        });
        sock.on('error', reject);
    });
}

async function until(pred, what, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = pred();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(100);
    }
}

test('inbound e-mail through OpenSMTPD and the mailgate', { skip: mtaAvailable() || false }, async (t) => {
    const srv = await startServer({ requests: 0 });
    /* The MDA runs as the relay's unprivileged user: the script, the key and the log it
     * writes live in a directory it can read. */
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-mta-'));
    fs.chmodSync(dir, 0o755);
    const keyFile = path.join(dir, 'gateway.key');
    fs.writeFileSync(keyFile, `${srv.keys.gateway}\n`, { mode: 0o644 });
    const gateLog = path.join(dir, 'mailgate.log');
    fs.writeFileSync(gateLog, '', { mode: 0o666 });
    fs.chmodSync(gateLog, 0o666);
    const script = path.join(dir, 'mailgate.sh');
    fs.writeFileSync(script, `#!/bin/sh\nexec ${BIN} mailgate --url ${srv.url} --key-file ${keyFile} >>${gateLog} 2>&1\n`,
                     { mode: 0o755 });
    /* Registered before the relay starts: a relay that cannot start must not leave the
     * server running (its child process would keep this test file from ever exiting). */
    let mta = null;
    t.after(async () => {
        if (mta) await mta.stop();
        await srv.stop();
    });
    mta = await startMta({ dir, gate: { domain: DOMAIN, program: script } });
    const count = (where) => Number(srv.sql(`SELECT count(*) FROM requests WHERE ${where}`).trim());
    const lines = () => fs.readFileSync(gateLog, 'utf8').split('\n').filter(Boolean);

    let reference;
    await t.test('a new e-mail creates a request', async () => {
        await smtpSend(mta.port, 'camille@exemple.test', `contact@${DOMAIN}`,
                       'From: Camille Durand <camille@exemple.test>\nTo: contact@ville-demo.test\n' +
                       'Subject: Horaires de la mairie\nMessage-ID: <m1@exemple.test>\n\n' +
                       'Bonjour, quels sont vos horaires le samedi ?\n');
        await until(() => count("channel = 'email'") === 1, 'the request');
        reference = srv.sql("SELECT reference FROM requests WHERE channel = 'email'").trim();
        await until(() => lines().includes(`created ${reference}`), 'the mailgate\'s line');
    });

    await t.test('a reply threads into it', async () => {
        const ack = srv.sql(`SELECT o.message_id FROM outbox o JOIN requests r ON r.id = o.request_id
                             WHERE r.reference = '${reference}'`).trim();
        assert.match(ack, /^[0-9a-f]{32}$/);
        await smtpSend(mta.port, 'camille@exemple.test', `contact@${DOMAIN}`,
                       'From: camille@exemple.test\nTo: contact@ville-demo.test\nSubject: Re: accuse\n' +
                       `In-Reply-To: <${ack}@${DOMAIN}>\n\nEt le dimanche ?\n`);
        await until(() => lines().includes(`threaded into ${reference}`), 'the threaded line');
        assert.equal(srv.sql(`SELECT e.body FROM request_events e JOIN requests r ON r.id = e.request_id
                              WHERE r.reference = '${reference}' AND e.kind = 'message'`).trim(), 'Et le dimanche ?');
        assert.equal(count('1'), 1);
    });

    await t.test('a bounce and an auto-reply create nothing', async () => {
        await smtpSend(mta.port, '', `ne-pas-repondre@${DOMAIN}`,
                       'From: MAILER-DAEMON@mx.exemple.test\nTo: ne-pas-repondre@ville-demo.test\n' +
                       'Subject: Undelivered Mail\nMIME-Version: 1.0\n' +
                       'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\n\n' +
                       '--R\nContent-Type: text/plain\n\nfailed\n--R\nContent-Type: message/delivery-status\n\n' +
                       'Status: 5.1.1\n--R\nContent-Type: text/rfc822-headers\n\nMessage-ID: <x@ville-demo.test>\n--R--\n');
        await smtpSend(mta.port, 'camille@exemple.test', `contact@${DOMAIN}`,
                       'From: camille@exemple.test\nTo: contact@ville-demo.test\nSubject: Absente\n' +
                       'Auto-Submitted: auto-replied\n\nJe suis absente.\n');
        await until(() => lines().includes('dropped: bounce') && lines().includes('dropped: autoreply'),
                    'both drops');
        assert.equal(count('1'), 1);
        assert.equal(Number(srv.sql("SELECT count(*) FROM request_events WHERE kind = 'message'").trim()), 1);
    });

    await t.test('the server down: the mailgate exits 75, the MTA retries, the message arrives once', async () => {
        await srv.stop('SIGTERM', { keep: true });
        await smtpSend(mta.port, 'dominique@exemple.test', `contact@${DOMAIN}`,
                       'From: dominique@exemple.test\nTo: contact@ville-demo.test\nSubject: Panne\n\n' +
                       'Le lampadaire est en panne.\n');
        await until(() => lines().some((l) => l.startsWith('not taken, will retry')), 'the 75 of the mailgate');
        await srv.restart();
        /* The relay's next attempt comes minutes later: ask for it now. */
        await until(() => {
            spawnSync('smtpctl', ['schedule', 'all'], { encoding: 'utf8', env: Object.assign({}, process.env, { PATH: `${process.env.PATH}:/usr/sbin` }) });
            return count("email = 'dominique@exemple.test'") === 1;
        }, 'the message after the retry', 30000);
        await sleep(500);
        assert.equal(count("email = 'dominique@exemple.test'"), 1, 'once');
    });
});
