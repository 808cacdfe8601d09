'use strict';
/*
 * clamd — a real ClamAV daemon for the tests (tests/clamd/clamd-run): Debian's clamd on a
 * Unix socket in a temporary directory (and on a loopback TCP port when asked), loading only
 * guichet's test signatures (tests/clamd/guichet-test.ndb), so it starts in a second and
 * needs no freshclam. The payloads those signatures match are read back from the same file.
 *
 *   const { startClamd, PAYLOAD, EICAR } = require('./clamd');
 *   const av = await startClamd({ tcp: true, streamMax: '1M' }); // {socket, port, dir, log()}
 *   await av.stop(); await av.restart(); await av.stop();
 *
 * Installs clamav-daemon when clamd is missing (scripts/install-deps test) and throws when
 * clamd cannot be installed or started: the antivirus tests fail loudly, they never skip.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');

const SCRIPT = path.resolve(__dirname, '..', 'clamd', 'clamd-run');
const SIGNATURES = path.resolve(__dirname, '..', 'clamd', 'guichet-test.ndb');
const READY_TIMEOUT_MS = 60000;
const STOP_TIMEOUT_MS = 10000;

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

/* The bytes each test signature matches, by signature name (without clamd's ".UNOFFICIAL"):
 * the .ndb lines are NAME:TARGET:OFFSET:HEX. */
function signatureBytes() {
    const out = {};
    for (const line of fs.readFileSync(SIGNATURES, 'utf8').split('\n')) {
        const m = /^([^:]+):0:\*:([0-9a-f]+)$/.exec(line.trim());
        if (m) out[m[1]] = Buffer.from(m[2], 'hex');
    }
    return out;
}
const SIGS = signatureBytes();
const PAYLOAD = SIGS['Guichet.Test.Payload'];
const EICAR = SIGS['Guichet.Test.EICAR'];
if (!PAYLOAD || !EICAR) throw new Error(`clamd.js: ${SIGNATURES} lacks the test signatures`);

/* Sends a z-command to clamd and resolves with its reply (up to the NUL). */
function command(socket, cmd, timeoutMs = 2000) {
    return new Promise((resolve, reject) => {
        const sock = net.connect(socket);
        const timer = setTimeout(() => {
            sock.destroy();
            reject(new Error('timeout'));
        }, timeoutMs);
        let data = '';
        sock.on('connect', () => sock.write(`z${cmd}\0`));
        sock.on('data', (c) => {
            data += c.toString('latin1');
            if (data.includes('\0')) {
                clearTimeout(timer);
                sock.destroy();
                resolve(data.slice(0, data.indexOf('\0')));
            }
        });
        sock.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
        });
    });
}

/* Installs clamd when missing, once per process. */
let checked = false;
function ensureClamd() {
    if (checked) return;
    const r = spawnSync(SCRIPT, ['--check'], { encoding: 'utf8', timeout: 900000 });
    if (r.status !== 0) {
        throw new Error(`clamd is not available here and could not be installed: ` +
                        `${r.error || ''}${r.stderr || ''}`);
    }
    checked = true;
}

/*
 * startClamd({tcp, streamMax, dir}) → handle {socket, port, dir, log(), stop(), restart(),
 * version(), waitLog(re)}; log() is clamd's log, one line per scan ("instream(local): NAME
 * FOUND"), written just after clamd answers: waitLog(re) waits for a line.
 * tcp: also listen on 127.0.0.1:port (a free port); streamMax: clamd's StreamMaxLength
 * ("12M" by default, above guichet's 10 MB per file); dir: a new temp dir by default.
 * Resolves once clamd answers PING on its socket.
 */
async function startClamd(opts = {}) {
    ensureClamd();
    const dir = opts.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-clamd-'));
    const socket = path.join(dir, 'clamd.sock');
    /* clamd's own log (every scan, flushed line by line) and the script's output. */
    const logPath = path.join(dir, 'clamd.log');
    const outPath = path.join(os.tmpdir(), `${path.basename(dir)}.out`);
    let port = 0;
    if (opts.tcp) {
        const { freePort } = require('./harness');
        port = await freePort();
    }
    let child = null;
    let exited = null;

    const running = () => child && child.exitCode === null && child.signalCode === null;
    const read = (p) => {
        try {
            return fs.readFileSync(p, 'utf8');
        } catch (e) {
            return '';
        }
    };
    const log = () => read(logPath);

    const spawnClamd = async () => {
        const args = [dir];
        if (port) args.push('--tcp', String(port));
        if (opts.streamMax) args.push('--stream-max', opts.streamMax);
        const fd = fs.openSync(outPath, 'a');
        child = spawn(SCRIPT, args, { stdio: ['ignore', fd, fd] });
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
        while (Date.now() < deadline && running()) {
            try {
                if ((await command(socket, 'PING')) === 'PONG') return;
            } catch (e) {
                last = String(e.message || e);
            }
            await sleep(100);
        }
        if (running()) me.kill('SIGKILL');
        await exited;
        throw new Error(`clamd did not answer on ${socket} (${last})\n${read(outPath).slice(-3000)}`);
    };

    const stop = async ({ keep = false } = {}) => {
        if (running()) {
            child.kill('SIGTERM');
            const t = setTimeout(() => running() && child.kill('SIGKILL'), STOP_TIMEOUT_MS);
            await exited;
            clearTimeout(t);
        }
        if (!keep && process.env.KEEP_TEST_DIRS !== '1') {
            fs.rmSync(dir, { recursive: true, force: true });
            fs.rmSync(outPath, { force: true });
        }
    };

    /* clamd logs a scan after answering it: waits for a line of its log to match re. */
    const waitLog = async (re, timeoutMs = 5000) => {
        const deadline = Date.now() + timeoutMs;
        while (!re.test(log())) {
            if (Date.now() > deadline) throw new Error(`clamd's log never matched ${re}:\n${log().slice(-2000)}`);
            await sleep(50);
        }
    };

    await spawnClamd();
    return {
        socket,
        port,
        dir,
        log,
        waitLog,
        stop,
        restart: spawnClamd,
        version: () => command(socket, 'VERSION'),
    };
}

module.exports = { startClamd, PAYLOAD, EICAR };
