'use strict';
/*
 * mta — a real mail relay for the tests: OpenSMTPD (tests/mta/smtpd-run) on a loopback port,
 * delivering every message into a Maildir that the tests read back, with a small MIME parser
 * (RFC 2047 headers, multipart, quoted-printable and base64, UTF-8) so that tests check
 * what a citizen's mail client would show.
 *
 *   const { startMta, mtaAvailable } = require('./mta');
 *   const mta = await startMta();            // {port, dir, maildir}
 *   const [m] = await mta.waitFor((m) => m.to === 'camille@exemple.test');
 *   m.subject, m.text, m.html, m.headers.get('message-id')
 *   m.parts: every leaf part; a file's {type, disposition, filename, bytes (a Buffer)}
 *   await mta.stop({ keep: true }); await mta.restart(); await mta.stop();
 *   startMta({ gate: { domain: 'ville-demo.test', program: '/path/to/script' } })
 *                                            // mail for that domain piped to the program
 *
 * OpenSMTPD must be started as root; mtaAvailable() says whether this machine can.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');

const SCRIPT = path.resolve(__dirname, '..', 'mta', 'smtpd-run');
const READY_TIMEOUT_MS = 10000;
/* How long another smtpd holding the machine's control socket is waited for. */
const BUSY_TIMEOUT_MS = 60000;

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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* '' when OpenSMTPD can run here, else the reason it cannot. */
function mtaAvailable() {
    if (typeof process.getuid === 'function' && process.getuid() !== 0)
        return 'OpenSMTPD must be started as root';
    const r = spawnSync('sh', ['-c', 'command -v smtpd || test -x /usr/sbin/smtpd'], { encoding: 'utf8' });
    if (r.status !== 0) return 'smtpd not installed (scripts/install-deps test installs opensmtpd)';
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

/* Resolves with the relay's greeting line once it answers on the port. */
function greeting(port, timeoutMs = 1000) {
    return new Promise((resolve, reject) => {
        const sock = net.connect(port, '127.0.0.1');
        const timer = setTimeout(() => {
            sock.destroy();
            reject(new Error('timeout'));
        }, timeoutMs);
        let data = '';
        sock.on('data', (c) => {
            data += c.toString('latin1');
            if (data.includes('\n')) {
                clearTimeout(timer);
                sock.end('QUIT\r\n');
                resolve(data.split('\r\n')[0]);
            }
        });
        sock.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
        });
    });
}

/* ---- MIME ---- */

/* Bytes held in a latin1 string (one char per byte) decoded as text in charset. */
function decodeBytes(bytes, charset) {
    const buf = Buffer.from(bytes, 'latin1');
    const cs = (charset || 'utf-8').toLowerCase();
    try {
        return new TextDecoder(cs, { fatal: true }).decode(buf);
    } catch (e) {
        throw new Error(`cannot decode ${buf.length} bytes as ${cs}: ${e.message}`);
    }
}

function decodeQP(s) {
    return s.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

/* RFC 2047 encoded words; whitespace between two adjacent encoded words disappears. */
function decodeHeader(value) {
    const re = /=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g;
    const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
    return joined.replace(re, (_, cs, enc, text) => {
        const bytes = enc.toUpperCase() === 'B'
            ? Buffer.from(text, 'base64').toString('latin1')
            : decodeQP(text.replace(/_/g, ' '));
        return decodeBytes(bytes, cs.replace(/\*.*$/, ''));
    });
}

/* Splits raw (latin1 string) into a header Map (lowercased names, unfolded, raw values) and
 * the body. */
function splitEntity(raw) {
    const m = /\r?\n\r?\n/.exec(raw);
    const head = m ? raw.slice(0, m.index) : raw;
    const body = m ? raw.slice(m.index + m[0].length) : '';
    const headers = new Map();
    for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const name = line.slice(0, i).trim().toLowerCase();
        const v = line.slice(i + 1).trim();
        if (!headers.has(name)) headers.set(name, v);
    }
    return { headers, body };
}

/* "text/plain; charset=utf-8" → {type: 'text/plain', params: {charset: 'utf-8'}}. */
function parseContentType(v) {
    const parts = (v || 'text/plain').split(';');
    const params = {};
    for (const p of parts.slice(1)) {
        const i = p.indexOf('=');
        if (i < 0) continue;
        params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    return { type: parts[0].trim().toLowerCase(), params };
}

/* Leaf parts of an entity, depth first: [{type, charset, text, headers}]. */
function leafParts(raw) {
    const { headers, body } = splitEntity(raw);
    const ct = parseContentType(headers.get('content-type'));
    if (ct.type.startsWith('multipart/')) {
        const b = ct.params.boundary;
        if (!b) throw new Error('multipart without boundary');
        const out = [];
        const chunks = body.split(new RegExp(`\\r?\\n?--${b.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
        /* chunks[0] is the preamble; the last one starts with "--" (the epilogue). */
        for (const c of chunks.slice(1)) {
            if (c.startsWith('--')) break;
            out.push(...leafParts(c.replace(/^[ \t]*\r?\n/, '')));
        }
        return out.map((p) => Object.assign(p, { multipart: p.multipart || ct.type }));
    }
    const cte = (headers.get('content-transfer-encoding') || '7bit').toLowerCase();
    let bytes = body;
    if (cte === 'quoted-printable') bytes = decodeQP(body);
    else if (cte === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('latin1');
    if (!ct.type.startsWith('text/')) {
        /* A file (an attachment): its bytes as they are, and its name. */
        const disp = parseContentType(headers.get('content-disposition') || 'inline');
        return [{ type: ct.type, charset: '', text: '', bytes: Buffer.from(bytes, 'latin1'),
            disposition: disp.type, filename: disp.params.filename || ct.params.name || '', headers }];
    }
    return [{ type: ct.type, charset: ct.params.charset || 'us-ascii', text: decodeBytes(bytes, ct.params.charset), headers }];
}

/* A delivered message: {file, raw, headers (decoded), subject, from, to, text, html, parts}. */
function parseMessage(raw, file) {
    const { headers } = splitEntity(raw);
    const decoded = new Map();
    for (const [k, v] of headers) decoded.set(k, decodeHeader(v));
    const parts = leafParts(raw);
    const text = parts.find((p) => p.type === 'text/plain');
    const html = parts.find((p) => p.type === 'text/html');
    const addr = (v) => {
        const m = /<([^>]+)>/.exec(v || '');
        return (m ? m[1] : (v || '').trim()).toLowerCase();
    };
    return {
        file,
        raw,
        headers: decoded,
        subject: decoded.get('subject') || '',
        from: decoded.get('from') || '',
        fromAddr: addr(headers.get('from')),
        to: addr(headers.get('to')),
        text: text ? text.text.replace(/\r\n/g, '\n') : '',
        html: html ? html.text.replace(/\r\n/g, '\n') : '',
        parts,
    };
}

/* ---- the relay ---- */

/*
 * startMta({port, dir}) → handle. port: a free one by default; dir: a new temp dir (Maildir
 * inside). handle.messages() parses every delivered message (oldest first);
 * handle.waitFor(pred, timeoutMs) polls until pred matches some, resolving with the matches.
 */
async function startMta(opts = {}) {
    const why = mtaAvailable();
    if (why) throw new Error(`startMta: ${why}`);
    const dir = opts.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-mta-'));
    const port = opts.port || await freePort();
    const maildir = path.join(dir, 'Maildir');
    const logPath = path.join(dir, 'smtpd.log');
    let child = null;
    let exited = null;

    const running = () => child && child.exitCode === null && child.signalCode === null;
    const readLog = () => {
        try {
            return fs.readFileSync(logPath, 'utf8');
        } catch (e) {
            return '';
        }
    };

    /* OpenSMTPD's control socket has one fixed path for the whole machine: while another
     * smtpd runs (the previous test's, still exiting, or another suite's on a shared
     * machine), a new one exits at once with "control socket already listening". That is
     * a wait, not a failure: try again for a while. */
    const spawnMta = async () => {
        const deadline = Date.now() + BUSY_TIMEOUT_MS;
        for (;;) {
            const before = readLog().length;
            try {
                return await spawnOnce();
            } catch (e) {
                const busy = readLog().slice(before).includes('control socket already listening');
                if (!busy || Date.now() > deadline) throw e;
                await sleep(500);
            }
        }
    };

    const spawnOnce = async () => {
        const fd = fs.openSync(logPath, 'a');
        const gate = opts.gate ? [opts.gate.domain, opts.gate.program] : [];
        child = spawn(SCRIPT, [dir, String(port), ...gate], { stdio: ['ignore', fd, fd] });
        fs.closeSync(fd);
        live.add(child);
        const me = child;
        exited = new Promise((resolve) => {
            me.on('exit', (code, signal) => {
                live.delete(me);
                resolve(code !== null ? code : signal);
            });
            me.on('error', () => resolve(-1));
        });
        const deadline = Date.now() + READY_TIMEOUT_MS;
        let last = '';
        while (Date.now() < deadline) {
            if (!running()) break;
            try {
                const g = await greeting(port);
                if (g.startsWith('220')) return;
                last = g;
            } catch (e) {
                last = String(e.message || e);
            }
            await sleep(50);
        }
        if (running()) me.kill('SIGKILL');
        await exited;
        throw new Error(`OpenSMTPD did not answer on 127.0.0.1:${port} (${last})\n${readLog().slice(-3000)}`);
    };

    const listFiles = () => {
        const files = [];
        if (!fs.existsSync(maildir)) return files;
        for (const box of fs.readdirSync(maildir)) {
            for (const sub of ['new', 'cur']) {
                const d = path.join(maildir, box, sub);
                if (!fs.existsSync(d)) continue;
                for (const f of fs.readdirSync(d)) {
                    const p = path.join(d, f);
                    files.push({ p, mtime: fs.statSync(p).mtimeMs });
                }
            }
        }
        return files.sort((a, b) => a.mtime - b.mtime || a.p.localeCompare(b.p)).map((f) => f.p);
    };

    const handle = {
        port,
        dir,
        maildir,
        url: `smtp://127.0.0.1:${port}`,
        log: readLog,
        running,
        messages() {
            return listFiles().map((p) => parseMessage(fs.readFileSync(p, 'latin1'), p));
        },
        async waitFor(pred, timeoutMs = 15000) {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
                const found = handle.messages().filter(pred);
                if (found.length) return found;
                if (Date.now() > deadline) {
                    const all = handle.messages().map((m) => `${m.to}: ${m.subject}`);
                    throw new Error(`no matching message within ${timeoutMs} ms; delivered: ` +
                                    `${JSON.stringify(all)}\n--- smtpd log ---\n${readLog().slice(-3000)}`);
                }
                await sleep(100);
            }
        },
        /* SIGTERM and wait; removes dir unless keep (then restart() may follow). */
        async stop({ keep = false } = {}) {
            if (running()) {
                child.kill('SIGTERM');
                const timer = setTimeout(() => running() && child.kill('SIGKILL'), 10000);
                await exited;
                clearTimeout(timer);
            }
            /* The relay refuses connections once its parent is gone: wait for the port. */
            for (let i = 0; i < 100; i++) {
                try {
                    await greeting(port, 200);
                } catch (e) {
                    break;
                }
                await sleep(50);
            }
            if (!keep && process.env.KEEP_TEST_DIRS !== '1') fs.rmSync(dir, { recursive: true, force: true });
        },
        async restart() {
            if (running()) throw new Error('restart: the relay is still running');
            await spawnMta();
            return handle;
        },
    };
    await spawnMta();
    return handle;
}

module.exports = { startMta, mtaAvailable, parseMessage, decodeHeader };
