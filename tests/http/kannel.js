'use strict';
/*
 * kannel — a real SMS gateway for the tests: Kannel's bearerbox and smsbox (packages kannel,
 * kannel-extras; scripts/install-deps test installs them) with its fake SMSC, fakesmsc, all on
 * loopback ports of their own, started here and stopped after. fakesmsc prints every SMS the
 * gateway hands it («Got message N: <FROM TO text …>»); the tests read them back.
 *
 *   const { startKannel, kannelAvailable } = require('./kannel');
 *   const k = await startKannel({ getUrl: `${srv.url}/passerelle/sms?key=…&from=%p&…` });
 *   k.sendsmsUrl, k.username, k.password
 *   const [m] = await k.waitFor((m) => m.to === '+33612345678');   // {from, to, coding, text}
 *   await k.sendFromPhone('+33612345678', '38100', 'Bonjour');     // through get-url
 *   await k.stop();
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');

const FAKESMSC = '/usr/lib/kannel/test/fakesmsc';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const live = new Set();
process.on('exit', () => {
    for (const child of live) {
        try {
            child.kill('SIGKILL');
        } catch (e) {
            /* already gone */
        }
    }
});

/* '' when Kannel can run here, else why not. */
function kannelAvailable() {
    const r = spawnSync('sh', ['-c', 'command -v bearerbox && command -v smsbox'], { encoding: 'utf8' });
    if (r.status !== 0) return 'Kannel not installed (scripts/install-deps test installs kannel)';
    if (!fs.existsSync(FAKESMSC)) return 'fakesmsc not installed (package kannel-extras)';
    return '';
}

function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.unref();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

function listening(port) {
    return new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.on('connect', () => { s.destroy(); resolve(true); });
        s.on('error', () => resolve(false));
    });
}

async function waitListening(port, what, logs) {
    for (let i = 0; i < 200; i++) {
        if (await listening(port)) return;
        await sleep(50);
    }
    throw new Error(`${what} did not listen on ${port}\n${logs()}`);
}

/* fakesmsc's «Got message N: <FROM TO CODING TEXT>»: text as sent, ucs-2 as %XX of UTF-16BE. */
function parseLine(line) {
    const m = /Got message \d+: <(\S+) (\S+) (\S+) (.*)>$/.exec(line);
    if (!m) return null;
    let text = m[4];
    if (m[3] === 'ucs-2') {
        const bytes = Buffer.from(unescape(text.replace(/\+/g, ' ').replace(/%([0-9A-F]{2})/gi, '%$1')), 'latin1');
        text = '';
        for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode(bytes.readUInt16BE(i));
    }
    return { from: m[1], to: m[2], coding: m[3], text };
}

async function startKannel({ getUrl = 'http://127.0.0.1:9/', username = 'guichet', password = 'secret-kannel' } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-test-kannel-'));
    const [admin, box, smsc, sendsms] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const conf = path.join(dir, 'kannel.conf');
    fs.writeFileSync(conf, [
        'group = core', `admin-port = ${admin}`, 'admin-password = test-admin', 'admin-allow-ip = 127.0.0.1',
        `smsbox-port = ${box}`, 'box-allow-ip = 127.0.0.1', `log-file = ${dir}/bearerbox.log`, 'log-level = 1',
        'dlr-storage = internal', '',
        'group = smsc', 'smsc = fake', 'smsc-id = fake', 'host = 127.0.0.1', `port = ${smsc}`,
        'connect-allow-ip = 127.0.0.1', '',
        'group = smsbox', 'bearerbox-host = 127.0.0.1', `bearerbox-port = ${box}`, `sendsms-port = ${sendsms}`,
        'sendsms-interface = 127.0.0.1', `log-file = ${dir}/smsbox.log`, 'log-level = 1', '',
        'group = sendsms-user', `username = ${username}`, `password = ${password}`, 'concatenation = true',
        'max-messages = 3', '',
        'group = sms-service', 'keyword = default', 'catch-all = true', 'max-messages = 0',
        `get-url = "${getUrl}"`, '',
    ].join('\n'));
    const out = { bearerbox: '', smsbox: '', fakesmsc: '' };
    const messages = [];
    const children = [];
    const run = (name, cmd, args) => {
        const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        live.add(child);
        children.push(child);
        let pending = '';
        const take = (chunk) => {
            out[name] += chunk;
            if (out[name].length > 200000) out[name] = out[name].slice(-100000);
            if (name !== 'fakesmsc') return;
            pending += chunk;
            const lines = pending.split('\n');
            pending = lines.pop();
            for (const l of lines) {
                const m = parseLine(l);
                if (m) messages.push(m);
            }
        };
        child.stdout.setEncoding('utf8').on('data', take);
        child.stderr.setEncoding('utf8').on('data', take);
        child.on('exit', () => live.delete(child));
        return child;
    };
    const logs = () => Object.entries(out).map(([k, v]) => `--- ${k} ---\n${v.split('\n').slice(-15).join('\n')}`).join('\n');
    run('bearerbox', 'bearerbox', [conf]);
    await waitListening(box, 'bearerbox', logs);
    run('smsbox', 'smsbox', [conf]);
    await waitListening(sendsms, 'smsbox', logs);
    /* The fake SMSC's one client: replaced to send an SMS from a phone (-m 1), it goes on
     * printing what the gateway hands it. */
    let smscClient = null;
    const connects = () => (fs.readFileSync(path.join(dir, 'bearerbox.log'), 'utf8').match(/Fakesmsc client connected/g) || []).length;
    const connectSmsc = async (args) => {
        if (smscClient && smscClient.exitCode === null && smscClient.signalCode === null) {
            const gone = new Promise((r) => smscClient.on('exit', r));
            smscClient.kill('SIGTERM');
            await gone;
        }
        const before = connects();
        smscClient = run('fakesmsc', FAKESMSC, ['-H', '127.0.0.1', '-r', String(smsc), '-i', '0.1', ...args]);
        for (let i = 0; i < 200 && connects() === before; i++) await sleep(50);
    };
    await connectSmsc(['-m', '0', 'x']);

    return {
        dir,
        username,
        password,
        sendsmsUrl: `http://127.0.0.1:${sendsms}/cgi-bin/sendsms`,
        messages,
        logs,
        /* A citizen's phone sends text from `from` to the service number `to`. */
        async sendFromPhone(from, to, text) {
            await connectSmsc(['-m', '1', `${from} ${to} text ${text}`]);
        },
        async waitFor(pred, ms = 20000) {
            const deadline = Date.now() + ms;
            while (Date.now() < deadline) {
                const found = messages.filter(pred);
                if (found.length) return found;
                await sleep(50);
            }
            throw new Error(`no such SMS reached the fake SMSC in ${ms} ms; got ${JSON.stringify(messages)}\n${logs()}`);
        },
        async stop() {
            for (const c of children.reverse()) {
                if (c.exitCode === null && c.signalCode === null) {
                    const gone = new Promise((r) => c.on('exit', r));
                    c.kill('SIGTERM');
                    await Promise.race([gone, sleep(3000)]);
                    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
                }
            }
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

module.exports = { startKannel, kannelAvailable };
