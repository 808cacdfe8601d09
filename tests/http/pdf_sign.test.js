'use strict';
/*
 * pdf_sign — issue 16's signing engine from the command line: `guichet pdf sign` and
 * `guichet pdf verify`. A throwaway CA, a maire's and an adjoint's certificates (keyUsage
 * digitalSignature, nonRepudiation) and their password-protected PKCS#12 files are made here
 * with `openssl req/x509/pkcs12`; nothing binary is committed. Every signed file is checked by
 * independent tools: poppler's `pdfsig` with an NSS database trusting the CA (its output is
 * read: it exits 0 even on a digest mismatch), `openssl cms -verify` on the ByteRange's bytes
 * (and `-cmsout -print` for the attributes: signing-certificate-v2, no signing-time),
 * `qpdf --check`, and `pdftotext` still giving the original text. Two signatures in a row
 * (maire, then adjoint), a file with a cross-reference stream, and the failures: a byte
 * changed, bytes appended, another CA, a wrong password, files that are no signed PDF.
 * B-T: a local RFC 3161 responder on loopback (`openssl ts -reply` behind node's http, with a
 * TSA certificate of the test CA, EKU timeStamping), the token checked by `openssl ts -verify`.
 * PKCS#11: the maire's key and certificate put on a SoftHSM2 token (softhsm2-util, pkcs11-tool)
 * in the test's directory, signing through the module. Two steps: `pdf prepare` prints the
 * SHA-256 a key held elsewhere signs (`openssl pkeyutl` here), `pdf complete` finishes.
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn, spawnSync } = require('node:child_process');
const H = require('./harness');
const { signers } = require('./signers');

let dir;
const TEXT = 'Arrete municipal 42';

function run(cmd, args, opts = {}) {
    const r = spawnSync(cmd, args, Object.assign({ encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, opts));
    if (r.error) throw r.error;
    return r;
}

function mustRun(cmd, args, opts) {
    const r = run(cmd, args, opts);
    assert.strictEqual(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
}

const f = (name) => path.join(dir, name);

/* The TSA of signers.js, answering from the test's directory (signers() rewrites pw with the
 * same password). */
let made;
const makers = () => made || (made = signers(dir, 'mot de passe élu'));
const startTsa = (cnf = 'tsa.cnf') => makers().startTsa(cnf);
const tsa = (name, caName, ext) => makers().tsa(name, caName, ext);
const guichet = (args) => run(H.BIN, args);

/* The binary run without blocking the event loop: the TSA below answers from this process. */
function guichetAsync(args) {
    return new Promise((resolve, reject) => {
        const child = spawn(H.BIN, args);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => { stdout += d; });
        child.stderr.on('data', (d) => { stderr += d; });
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
}

/* DER: the TLV at offset i of b: {tag, start of its value, end}. */
function tlv(b, i) {
    const tag = b[i];
    let len = b[i + 1];
    let at = i + 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + b[at + k];
        at += n;
    }
    return { tag, start: at, end: at + len, from: i };
}

/* The children of a constructed TLV. */
function children(b, t) {
    const out = [];
    for (let i = t.start; i < t.end;) {
        const c = tlv(b, i);
        out.push(c);
        i = c.end;
    }
    return out;
}

/* The only SignerInfo's signature value and its timeStampToken (whole TLV) in a CMS. */
function signerTimestamp(der) {
    const content = children(der, children(der, tlv(der, 0))[1])[0]; /* [0] → SignedData */
    const sd = children(der, content);
    const signerInfos = sd[sd.length - 1];
    const si = children(der, children(der, signerInfos)[0]);
    const sigAt = si.findIndex((c) => c.tag === 0x04);
    const unsigned = si.find((c) => c.tag === 0xa1);
    assert.ok(unsigned, 'an unsigned attribute');
    const attr = children(der, unsigned)[0];
    const [, values] = children(der, attr);
    const token = children(der, values)[0];
    return { value: der.subarray(si[sigAt].start, si[sigAt].end), token: der.subarray(token.from, token.end) };
}

/* A one-page PDF with a classic cross-reference table, its text in Helvetica. */
function minimalPdf() {
    const content = `BT /F1 24 Tf 72 720 Td (${TEXT}) Tj ET`;
    const objs = [
        '<< /Type /Catalog /Pages 2 0 R >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R ' +
            '/Resources << /Font << /F1 5 0 R >> >> >>',
        `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
        '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ];
    let out = '%PDF-1.7\n';
    const offs = objs.map((o, i) => {
        const at = out.length;
        out += `${i + 1} 0 obj\n${o}\nendobj\n`;
        return at;
    });
    const x = out.length;
    out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
    for (const o of offs) out += `${String(o).padStart(10, '0')} 00000 n \n`;
    out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`;
    return Buffer.from(out, 'latin1');
}

/* A certificate for an élu signed by the CA key given, and its PKCS#12 (password in pw). */
function elu(name, cn, caName, ext = 'ext.cnf') {
    mustRun('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`),
                        '-subj', `/CN=${cn}/O=Ville de Démo`, '-utf8']);
    mustRun('openssl', ['x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${caName}.pem`), '-CAkey', f(`${caName}.key`),
                        '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '30', '-extfile', f(ext),
                        '-extensions', 'elu']);
    mustRun('openssl', ['pkcs12', '-export', '-inkey', f(`${name}.key`), '-in', f(`${name}.pem`), '-certfile',
                        f(`${caName}.pem`), '-out', f(`${name}.p12`), '-passout', `file:${f('pw')}`]);
}

function ca(name, cn) {
    mustRun('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out',
                        f(`${name}.pem`), '-days', '30', '-subj', `/CN=${cn}/O=Ville de Démo`, '-utf8',
                        '-addext', 'basicConstraints=critical,CA:TRUE',
                        '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function sign(input, output, p12, extra = []) {
    return guichet(['pdf', 'sign', '--p12', f(p12), '--password-file', f('pw'), ...extra, f(input), f(output)]);
}

function verify(file, caFile = 'ca.pem') {
    return guichet(['pdf', 'verify', '--ca', f(caFile), f(file)]);
}

/* pdfsig's report, one entry per signature: the lines under "Signature #N:". */
function pdfsig(file) {
    const out = mustRun('pdfsig', ['-nssdir', `sql:${f('nss')}`, f(file)]);
    return out.split(/^Signature #\d+:$/m).slice(1);
}

/* The ByteRange of the last signature of a file, its CMS (DER, without the padding) and the
 * signed bytes, read independently of guichet. */
function lastSignature(file) {
    const pdf = fs.readFileSync(f(file));
    const text = pdf.toString('latin1');
    const all = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
    const r = all[all.length - 1].slice(1, 5).map(Number);
    const hex = text.slice(r[1] + 1, r[2] - 1);
    let der = Buffer.from(hex, 'hex');
    /* The DER's own length (0x30 0x82 hi lo): the rest is the placeholder's zeros. */
    assert.strictEqual(der[0], 0x30);
    assert.strictEqual(der[1], 0x82);
    der = der.subarray(0, 4 + der.readUInt16BE(2));
    const signed = Buffer.concat([pdf.subarray(r[0], r[0] + r[1]), pdf.subarray(r[2], r[2] + r[3])]);
    return { r, der, signed, size: pdf.length };
}

test.before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-pdf-sign-'));
    fs.writeFileSync(f('ext.cnf'), '[elu]\nbasicConstraints = critical, CA:FALSE\n' +
        'keyUsage = critical, digitalSignature, nonRepudiation\nsubjectKeyIdentifier = hash\n' +
        'authorityKeyIdentifier = keyid\n');
    fs.writeFileSync(f('pw'), 'mot de passe élu\n');
    ca('ca', 'Autorité de certification de test');
    ca('other', 'Une autre autorité');
    elu('maire', 'Camille Maire', 'ca');
    elu('adjoint', 'Dominique Adjoint', 'ca');
    fs.writeFileSync(f('in.pdf'), minimalPdf());
    mustRun('qpdf', ['--object-streams=generate', f('in.pdf'), f('in-xref-stream.pdf')]);
    fs.writeFileSync(f('tsa.ext'), '[tsa]\nbasicConstraints = critical, CA:FALSE\n' +
        'keyUsage = critical, digitalSignature\nextendedKeyUsage = critical, timeStamping\n');
    tsa('tsa', 'ca', 'tsa.ext');
    fs.mkdirSync(f('nss'));
    mustRun('certutil', ['-N', '-d', `sql:${f('nss')}`, '--empty-password']);
    mustRun('certutil', ['-A', '-d', `sql:${f('nss')}`, '-n', 'ca', '-t', 'CT,C,C', '-i', f('ca.pem')]);
});

test.after(() => {
    if (dir && process.env.KEEP_TEST_DIRS !== '1') fs.rmSync(dir, { recursive: true, force: true });
});

test('a signed PDF: the original bytes kept, valid for guichet, pdfsig, openssl cms and qpdf', () => {
    const r = sign('in.pdf', 'signed.pdf', 'maire.p12', ['--reason', 'Arrêté n° 42 — signé', '--location', 'Mairie']);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /signed as field Signature1/);
    const original = fs.readFileSync(f('in.pdf'));
    const signed = fs.readFileSync(f('signed.pdf'));
    assert.ok(signed.subarray(0, original.length).equals(original), 'the original bytes are a prefix');

    const v = verify('signed.pdf');
    assert.strictEqual(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^signature 1: signer «Camille Maire», \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00'00', B-B, covers the whole file: valid$/m);

    const [s1] = pdfsig('signed.pdf');
    assert.match(s1, /Signature Type: ETSI\.CAdES\.detached/);
    assert.match(s1, /Signer Certificate Common Name: Camille Maire/);
    assert.match(s1, /Total document signed/);
    assert.match(s1, /Signature Validation: Signature is Valid\./);
    assert.match(s1, /Certificate Validation: Certificate is Trusted\./);

    const { r: range, der, signed: bytes, size } = lastSignature('signed.pdf');
    assert.strictEqual(range[2] + range[3], size);
    fs.writeFileSync(f('sig.der'), der);
    fs.writeFileSync(f('content.bin'), bytes);
    const cms = run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', f('sig.der'), '-content',
                                f('content.bin'), '-CAfile', f('ca.pem'), '-purpose', 'any', '-out', '/dev/null']);
    assert.strictEqual(cms.status, 0, cms.stderr);
    assert.match(cms.stderr, /Verification successful/);
    const printed = mustRun('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', f('sig.der')]);
    assert.match(printed, /id-smime-aa-signingCertificateV2/);
    assert.match(printed, /messageDigest/);
    assert.match(printed, /contentType/);
    assert.doesNotMatch(printed, /signingTime/);

    assert.match(mustRun('qpdf', ['--check', f('signed.pdf')]), /No syntax or stream encoding errors/);
    assert.ok(mustRun('pdftotext', [f('signed.pdf'), '-']).includes(TEXT));
    /* The texts, as UTF-16 text strings any reader shows. */
    const json = JSON.parse(mustRun('qpdf', ['--json', '--json-key=acroform', f('signed.pdf')]));
    assert.strictEqual(json.acroform.fields.length, 1);
    assert.strictEqual(json.acroform.fields[0].fullname, 'Signature1');
    const text = signed.toString('latin1');
    const reason = /\/Reason <FEFF([0-9A-F]+)>/.exec(text);
    assert.ok(reason, 'a /Reason');
    assert.strictEqual(Buffer.from(reason[1], 'hex').swap16().toString('utf16le'), 'Arrêté n° 42 — signé');
});

test('a file with a cross-reference stream gets a stream section, valid everywhere', () => {
    const r = sign('in-xref-stream.pdf', 'signed-xs.pdf', 'maire.p12');
    assert.strictEqual(r.status, 0, r.stderr);
    const text = fs.readFileSync(f('signed-xs.pdf'), 'latin1');
    const startxref = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)[1]);
    assert.match(text.slice(startxref, startxref + 200), /\/Type \/XRef/);
    assert.strictEqual(verify('signed-xs.pdf').status, 0);
    const [s1] = pdfsig('signed-xs.pdf');
    assert.match(s1, /Total document signed/);
    assert.match(s1, /Signature is Valid\./);
    assert.match(s1, /Certificate is Trusted\./);
    assert.match(mustRun('qpdf', ['--check', f('signed-xs.pdf')]), /No syntax or stream encoding errors/);
    assert.ok(mustRun('pdftotext', [f('signed-xs.pdf'), '-']).includes(TEXT));
});

test('two signatures in a row (maire, then adjoint by delegation) both verify', () => {
    assert.strictEqual(sign('in.pdf', 'one.pdf', 'maire.p12').status, 0);
    const r = sign('one.pdf', 'two.pdf', 'adjoint.p12', ['--name', 'Dominique Adjoint, par délégation du maire']);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /signed as field Signature2/);
    const v = verify('two.pdf');
    assert.strictEqual(v.status, 0, v.stdout);
    const size1 = fs.statSync(f('one.pdf')).size;
    assert.match(v.stdout, new RegExp(`^signature 1: signer «Camille Maire», .*, covers ${size1} of \\d+ bytes: valid$`, 'm'));
    assert.match(v.stdout, /^signature 2: signer «Dominique Adjoint», .*, covers the whole file: valid$/m);
    const [s1, s2] = pdfsig('two.pdf');
    assert.match(s1, /Camille Maire/);
    assert.match(s1, /Signature is Valid\./);
    assert.match(s1, /Not total document signed/);
    assert.match(s2, /Dominique Adjoint/);
    assert.match(s2, /Signature is Valid\./);
    assert.match(s2, /Certificate is Trusted\./);
    assert.match(s2, /Total document signed/);
    assert.match(mustRun('qpdf', ['--check', f('two.pdf')]), /No syntax or stream encoding errors/);
    const json = JSON.parse(mustRun('qpdf', ['--json', '--json-key=acroform', f('two.pdf')]));
    assert.deepStrictEqual(json.acroform.fields.map((x) => x.fullname), ['Signature1', 'Signature2']);
});

test('a byte changed inside the signed range: digest mismatch for guichet and pdfsig', () => {
    assert.strictEqual(sign('in.pdf', 'ok.pdf', 'maire.p12').status, 0);
    const pdf = fs.readFileSync(f('ok.pdf'));
    const at = pdf.indexOf(TEXT);
    pdf[at] = 'B'.charCodeAt(0);
    fs.writeFileSync(f('flipped.pdf'), pdf);
    const v = verify('flipped.pdf');
    assert.strictEqual(v.status, 1);
    assert.match(v.stdout, /^signature 1: .*INVALID: digest mismatch: the signed bytes were changed$/m);
    assert.match(pdfsig('flipped.pdf')[0], /Digest Mismatch/);
});

test('bytes appended after the signature: not total, exit 1; pdfsig agrees', () => {
    assert.strictEqual(sign('in.pdf', 'ok2.pdf', 'maire.p12').status, 0);
    fs.writeFileSync(f('appended.pdf'), Buffer.concat([fs.readFileSync(f('ok2.pdf')), Buffer.from('% more\n')]));
    const v = verify('appended.pdf');
    assert.strictEqual(v.status, 1);
    assert.match(v.stdout, /^signature 1: .*, covers \d+ of \d+ bytes: valid$/m);
    assert.match(v.stdout, /not total: bytes after the last signature are not signed/);
    assert.match(pdfsig('appended.pdf')[0], /Not total document signed/);
});

test('a signer from another CA does not chain', () => {
    assert.strictEqual(sign('in.pdf', 'ok3.pdf', 'maire.p12').status, 0);
    const v = verify('ok3.pdf', 'other.pem');
    assert.strictEqual(v.status, 1);
    assert.match(v.stdout, /INVALID: the signer does not chain to the trusted CA: /);
});

test('a CMS with a signing-time (what openssl cms -sign makes) is valid CMS but not PAdES baseline', () => {
    assert.strictEqual(sign('in.pdf', 'ok4.pdf', 'maire.p12').status, 0);
    const { r, signed } = lastSignature('ok4.pdf');
    fs.writeFileSync(f('content4.bin'), signed);
    mustRun('openssl', ['cms', '-sign', '-binary', '-cades', '-md', 'sha256', '-in', f('content4.bin'),
                        '-signer', f('maire.pem'), '-inkey', f('maire.key'), '-outform', 'DER',
                        '-out', f('timed.der')]);
    const der = fs.readFileSync(f('timed.der'));
    assert.match(mustRun('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', f('timed.der')]),
                 /signingTime/);
    /* The same bytes signed, the CMS put in place of guichet's, padded with zeros. */
    const pdf = fs.readFileSync(f('ok4.pdf'));
    const hex = der.toString('hex').toUpperCase().padEnd(r[2] - r[1] - 2, '0');
    pdf.write(hex, r[1] + 1, 'latin1');
    fs.writeFileSync(f('timed.pdf'), pdf);
    const v = verify('timed.pdf');
    assert.strictEqual(v.status, 1);
    assert.match(v.stdout, /INVALID: the CMS has a signing-time attribute, which PAdES baseline forbids/);
});

/* An RFC 3161 responder on loopback: each query answered by `openssl ts -reply`. */

test('B-T: the signature timestamped by a TSA; guichet, pdfsig and openssl ts -verify agree', async () => {
    const tsa = await startTsa();
    try {
        const r = await guichetAsync(['pdf', 'sign', '--p12', f('maire.p12'), '--password-file', f('pw'),
                                      '--level', 'B-T', '--tsa', tsa.url, f('in.pdf'), f('bt.pdf')]);
        assert.strictEqual(r.status, 0, r.stderr);
    } finally {
        await tsa.close();
    }
    const v = verify('bt.pdf');
    assert.strictEqual(v.status, 0, v.stdout);
    assert.match(v.stdout, /^signature 1: signer «Camille Maire», .*, timestamped \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, B-T, covers the whole file: valid$/m);
    const [s1] = pdfsig('bt.pdf');
    assert.match(s1, /Total document signed/);
    assert.match(s1, /Signature is Valid\./);
    assert.match(s1, /Certificate is Trusted\./);
    const { der } = lastSignature('bt.pdf');
    const { value, token } = signerTimestamp(der);
    fs.writeFileSync(f('bt-value.bin'), value);
    fs.writeFileSync(f('bt-token.der'), token);
    const ts = run('openssl', ['ts', '-verify', '-data', f('bt-value.bin'), '-in', f('bt-token.der'), '-token_in',
                               '-CAfile', f('ca.pem')]);
    assert.strictEqual(ts.status, 0, ts.stdout + ts.stderr);
    assert.match(ts.stdout, /Verification: OK/);
    /* Against another CA, the TSA's chain fails as the signer's does. */
    assert.strictEqual(verify('bt.pdf', 'other.pem').status, 1);
    assert.match(mustRun('qpdf', ['--check', f('bt.pdf')]), /No syntax or stream encoding errors/);
});

test('B-T: no TSA answering means no signed file; --level and --tsa go together', async () => {
    const port = await H.freePort();
    let r = await guichetAsync(['pdf', 'sign', '--p12', f('maire.p12'), '--password-file', f('pw'), '--level', 'B-T',
                                '--tsa', `http://127.0.0.1:${port}/`, f('in.pdf'), f('nobt.pdf')]);
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /the TSA did not answer/);
    assert.ok(!fs.existsSync(f('nobt.pdf')));
    r = sign('in.pdf', 'nobt.pdf', 'maire.p12', ['--level', 'B-T']);
    assert.strictEqual(r.status, 2);
    r = sign('in.pdf', 'nobt.pdf', 'maire.p12', ['--tsa', 'http://127.0.0.1:1/']);
    assert.strictEqual(r.status, 2);
    r = sign('in.pdf', 'nobt.pdf', 'maire.p12', ['--level', 'B-LT']);
    assert.strictEqual(r.status, 2);
    r = sign('in.pdf', 'nobt.pdf', 'maire.p12', ['--level', 'B-T', '--tsa', 'file:///etc/passwd']);
    assert.strictEqual(r.status, 2);
    assert.ok(!fs.existsSync(f('nobt.pdf')));
});

/* B-LT's CA: it publishes its CRL (DER) on loopback, at the URL its certificates name as
 * their distribution point; the adjoint's certificate is revoked on it. Made once. */
let ltCa = null;
async function startLtCa() {
    if (ltCa) return ltCa;
    const server = http.createServer((req, res) => {
        ltCa.fetched++;
        if (req.url !== '/lt.crl') {
            res.writeHead(404);
            res.end();
            return;
        }
        res.writeHead(200, { 'Content-Type': 'application/pkix-crl' });
        res.end(fs.readFileSync(f('lt.crl.der')));
    });
    const port = await H.freePort();
    await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
    const dp = `crlDistributionPoints = URI:http://127.0.0.1:${port}/lt.crl\n`;
    fs.writeFileSync(f('lt.ext'), '[elu]\nbasicConstraints = critical, CA:FALSE\n' +
        `keyUsage = critical, digitalSignature, nonRepudiation\n${dp}` +
        '[tsa]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n' +
        `extendedKeyUsage = critical, timeStamping\n${dp}` +
        '[nodp]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n');
    ca('ltca', 'Autorité B-LT de test');
    elu('ltmaire', 'Claude Maire', 'ltca', 'lt.ext');
    elu('ltadjoint', 'Sacha Révoqué', 'ltca', 'lt.ext');
    tsa('lttsa', 'ltca', 'lt.ext');
    fs.writeFileSync(f('ltindex.txt'), '');
    fs.writeFileSync(f('ltcrlnumber'), '01\n');
    fs.writeFileSync(f('ltca.cnf'), `[ca]\ndefault_ca = lt\n[lt]\ndatabase = ${f('ltindex.txt')}\n` +
        `crlnumber = ${f('ltcrlnumber')}\ndefault_md = sha256\ndefault_crl_days = 7\n`);
    const caArgs = ['-config', f('ltca.cnf'), '-keyfile', f('ltca.key'), '-cert', f('ltca.pem')];
    mustRun('openssl', ['ca', ...caArgs, '-revoke', f('ltadjoint.pem')]);
    mustRun('openssl', ['ca', ...caArgs, '-gencrl', '-out', f('lt.crl')]);
    mustRun('openssl', ['crl', '-in', f('lt.crl'), '-outform', 'DER', '-out', f('lt.crl.der')]);
    mustRun('certutil', ['-A', '-d', `sql:${f('nss')}`, '-n', 'ltca', '-t', 'CT,C,C', '-i', f('ltca.pem')]);
    ltCa = { fetched: 0, close: () => new Promise((resolve) => server.close(resolve)) };
    return ltCa;
}

test.after(async () => {
    if (ltCa) await ltCa.close();
});

/* qpdf's JSON (version 2) of a file: its objects by "obj:N G R" and its trailer. */
function qpdfObjects(file) {
    const json = JSON.parse(mustRun('qpdf', ['--json=2', '--json-key=qpdf', f(file)]));
    return json.qpdf[1];
}

/* The raw bytes of each stream an array of references ("N 0 R") names. */
function streams(file, refs) {
    return refs.map((r) => run('qpdf', [`--show-object=${r.split(' ')[0]}`, '--raw-stream-data', f(file)],
                               { encoding: 'buffer' }).stdout);
}

const der = (pem) => Buffer.from(pem.toString().replace(/-----[^-]+-----|\s/g, ''), 'base64');

test('B-LT: a DSS with the chains and the CRL, added after the B-T signature; qpdf and pdfsig agree', async () => {
    await startLtCa();
    const tsaServer = await startTsa('lttsa.cnf');
    let r;
    try {
        /* The test CA publishes its CRL on loopback: allowed only by --crl-private-ok. */
        r = await guichetAsync(['pdf', 'sign', '--p12', f('ltmaire.p12'), '--password-file', f('pw'),
                                '--level', 'B-LT', '--tsa', tsaServer.url, '--crl-private-ok',
                                f('in.pdf'), f('blt.pdf')]);
    } finally {
        await tsaServer.close();
    }
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(mustRun('qpdf', ['--check', f('blt.pdf')]), /No syntax or stream encoding errors/);
    const [s1] = pdfsig('blt.pdf');
    assert.match(s1, /Signer Certificate Common Name: Claude Maire/);
    assert.match(s1, /Signature Validation: Signature is Valid\./);
    assert.match(s1, /Certificate Validation: Certificate is Trusted\./);

    /* The DSS read back with qpdf: the catalog names it, it holds the signer's certificate,
     * its CA's and the TSA's, the CA's CRL, an empty /OCSPs, and the signature's VRI entry
     * keyed by the SHA-1 of its /Contents. */
    const objs = qpdfObjects('blt.pdf');
    const root = objs[`obj:${objs.trailer.value['/Root'].replace(/ R$/, ' R')}`].value;
    const dss = objs[`obj:${root['/DSS']}`].value;
    assert.strictEqual(dss['/Type'], '/DSS');
    assert.deepStrictEqual(dss['/OCSPs'], []);
    const certs = streams('blt.pdf', dss['/Certs']);
    for (const name of ['ltmaire', 'ltca', 'lttsa']) {
        assert.ok(certs.some((c) => c.equals(der(fs.readFileSync(f(`${name}.pem`))))), `${name} in /Certs`);
    }
    const crls = streams('blt.pdf', dss['/CRLs']);
    assert.strictEqual(crls.length, 1, 'one CRL for the CA that issued the signer and the TSA');
    assert.ok(crls[0].equals(fs.readFileSync(f('lt.crl.der'))));
    const { r: range } = lastSignature('blt.pdf');
    const pdf = fs.readFileSync(f('blt.pdf'));
    const contents = Buffer.from(pdf.toString('latin1', range[1] + 1, range[2] - 1), 'hex');
    const key = require('node:crypto').createHash('sha1').update(contents).digest('hex').toUpperCase();
    const vri = dss['/VRI'][`/${key}`];
    assert.ok(vri, `a /VRI entry /${key}`);
    assert.deepStrictEqual(vri['/Cert'], dss['/Certs']);
    assert.deepStrictEqual(vri['/CRL'], dss['/CRLs']);

    /* guichet's verifier: the signature valid, at B-LT, the DSS update allowed after it. */
    const v = guichet(['pdf', 'verify', '--ca', f('ltca.pem'), f('blt.pdf')]);
    assert.strictEqual(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^signature 1: signer «Claude Maire», .*, timestamped .* UTC, B-LT, covers \d+ of \d+ bytes, then a DSS update: valid$/m);
});

test('document timestamp after a B-LT signature: valid and total; a page changed then timestamped is not', async () => {
    await startLtCa();
    const tsaServer = await startTsa('lttsa.cnf');
    let r;
    let bad;
    const base = fs.readFileSync(f('blt.pdf'));
    /* The page turned to landscape after the signature, then the whole timestamped. */
    const page = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Contents 4 0 R ' +
        '/Resources << /Font << /F1 5 0 R >> >> /Annots [] >>';
    fs.writeFileSync(f('blt-page.pdf'), appendUpdate(base, { 3: page }));
    try {
        r = await guichetAsync(['pdf', 'timestamp', '--tsa', tsaServer.url, '--crl-private-ok',
                                f('blt.pdf'), f('blta.pdf')]);
        bad = await guichetAsync(['pdf', 'timestamp', '--tsa', tsaServer.url, '--crl-private-ok',
                                  f('blt-page.pdf'), f('blt-page-ts.pdf')]);
    } finally {
        await tsaServer.close();
    }
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /document timestamp in field Signature2/);
    const out = fs.readFileSync(f('blta.pdf'));
    assert.ok(out.subarray(0, base.length).equals(base), 'the B-LT file kept byte for byte');
    const added = out.toString('latin1', base.length);
    assert.match(added, /\/Type \/DocTimeStamp\n\/Filter \/Adobe\.PPKLite\n\/SubFilter \/ETSI\.RFC3161\n/);
    assert.doesNotMatch(added.slice(0, added.indexOf('/ByteRange')), /\/M \(/);
    assert.match(mustRun('qpdf', ['--check', f('blta.pdf')]), /No syntax or stream encoding errors/);

    /* The token over the ByteRange, read independently: openssl ts -verify on the signed
     * bytes with the CA (the TSA's chain). */
    const text = out.toString('latin1');
    const ranges = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
    assert.strictEqual(ranges.length, 2);
    const br = ranges[1].slice(1, 5).map(Number);
    let token = Buffer.from(text.slice(br[1] + 1, br[2] - 1), 'hex');
    token = token.subarray(0, 4 + token.readUInt16BE(2));
    fs.writeFileSync(f('docts.der'), token);
    fs.writeFileSync(f('docts.data'), Buffer.concat([out.subarray(br[0], br[0] + br[1]), out.subarray(br[2], br[2] + br[3])]));
    assert.match(mustRun('openssl', ['ts', '-verify', '-token_in', '-in', f('docts.der'), '-data', f('docts.data'),
                                     '-CAfile', f('ltca.pem')]), /Verification: OK/);

    /* pdfsig reads both: the signature still valid, the timestamp a second entry signed by
     * the TSA over its ranges (poppler 22 names no type for ETSI.RFC3161 and leaves it
     * unverified: openssl ts checked it above). */
    const [s1, s2] = pdfsig('blta.pdf');
    assert.match(s1, /Signer Certificate Common Name: Claude Maire/);
    assert.match(s1, /Signature Validation: Signature is Valid\./);
    assert.match(s2, /Signer Certificate Common Name: Horodatage de test/);
    assert.match(s2, new RegExp(`Signed Ranges: \\[0 - ${br[1]}\\], \\[${br[2]} - ${br[2] + br[3]}\\]`));

    let v = guichet(['pdf', 'verify', '--ca', f('ltca.pem'), f('blta.pdf')]);
    assert.strictEqual(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^signature 1: signer «Claude Maire», .*, B-LT, covers \d+ of \d+ bytes, then document timestamps: valid$/m);
    assert.match(v.stdout, /^document timestamp 2: TSA «Horodatage de test», \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, DocTS, covers \d+ of \d+ bytes, then a DSS update: valid$/m);

    /* The page changed between the signature and the timestamp: not total, whatever the
     * timestamp covers. */
    assert.strictEqual(bad.status, 0, bad.stderr);
    v = guichet(['pdf', 'verify', '--ca', f('ltca.pem'), f('blt-page-ts.pdf')]);
    assert.strictEqual(v.status, 1, v.stdout);
    assert.match(v.stdout, /^document timestamp 2: .*: valid$/m);
    assert.match(v.stdout, /not total: the update after it changes object 3 0/);

    /* A usage error: one line, exit 2, nothing written. */
    r = guichet(['pdf', 'timestamp', '--tsa', 'file:///etc/passwd', f('blt.pdf'), f('nots.pdf')]);
    assert.strictEqual(r.status, 2);
    assert.strictEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!fs.existsSync(f('nots.pdf')));
});

test('B-LT refused: a revoked certificate, a certificate without a distribution point, a CRL that cannot be had', async () => {
    const lt = await startLtCa();
    const tsaServer = await startTsa('lttsa.cnf');
    const bltSign = (p12, out, flags = ['--crl-private-ok']) =>
        guichetAsync(['pdf', 'sign', '--p12', f(p12), '--password-file', f('pw'), '--level', 'B-LT',
                      '--tsa', tsaServer.url, ...flags, f('in.pdf'), f(out)]);
    try {
        /* A distribution point on loopback (an outsider's certificate could name the server's
         * own services): refused before any connection without --crl-private-ok. */
        const fetched = lt.fetched;
        let r = await bltSign('ltmaire.p12', 'private.pdf', []);
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /cannot be signed at B-LT: the CRL of «Claude Maire» is not fetched from http:\/\/127\.0\.0\.1:\d+\/lt\.crl: its host 127\.0\.0\.1 is a loopback address \(allowed only with --crl-private-ok/);
        assert.strictEqual(lt.fetched, fetched);
        assert.ok(!fs.existsSync(f('private.pdf')));
        r = await bltSign('ltadjoint.p12', 'revoked.pdf');
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /cannot be signed at B-LT: the certificate «Sacha Révoqué» is revoked \(CRL at http:\/\/127\.0\.0\.1:\d+\/lt\.crl\)/);
        assert.ok(!fs.existsSync(f('revoked.pdf')));
        /* The maire of the first CA: no distribution point in its certificate. */
        r = await bltSign('maire.p12', 'nodp.pdf');
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /the certificate «Camille Maire» names no http CRL distribution point/);
        assert.ok(!fs.existsSync(f('nodp.pdf')));
        /* The CA's server gone: no CRL, no B-LT. */
        const before = lt.fetched;
        await lt.close();
        r = await bltSign('ltmaire.p12', 'nocrl.pdf');
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /the CRL of «Claude Maire» could not be fetched from http:\/\/127\.0\.0\.1:\d+\/lt\.crl/);
        assert.strictEqual(lt.fetched, before);
        assert.ok(!fs.existsSync(f('nocrl.pdf')));
    } finally {
        await tsaServer.close();
        ltCa = null;
    }
});

/* An incremental update appended to pdf: objs maps object numbers to their new bodies; a
 * classic cross-reference table and a trailer pointing back to the previous section. */
function appendUpdate(pdf, objs) {
    const text = pdf.toString('latin1');
    const prev = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)[1]);
    const size = Math.max(...[...text.matchAll(/\/Size (\d+)/g)].map((m) => Number(m[1])), ...Object.keys(objs).map((k) => Number(k) + 1));
    let out = '';
    const offs = {};
    for (const [id, body] of Object.entries(objs)) {
        offs[id] = pdf.length + out.length;
        out += `${id} 0 obj\n${body}\nendobj\n`;
    }
    const x = pdf.length + out.length;
    out += 'xref\n';
    for (const id of Object.keys(objs)) out += `${id} 1\n${String(offs[id]).padStart(10, '0')} 00000 n \n`;
    out += `trailer\n<< /Size ${size} /Root 1 0 R /Prev ${prev} >>\nstartxref\n${x}\n%%EOF\n`;
    return Buffer.concat([pdf, Buffer.from(out, 'latin1')]);
}

test('after the last signature only a DSS update is allowed: a page changed is not total, with or without a DSS', () => {
    assert.strictEqual(sign('in.pdf', 'base.pdf', 'maire.p12').status, 0);
    const base = fs.readFileSync(f('base.pdf'));
    const page = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Contents 4 0 R ' +
        '/Resources << /Font << /F1 5 0 R >> >> >>';
    /* The page turned to landscape, nothing else. */
    fs.writeFileSync(f('page-changed.pdf'), appendUpdate(base, { 3: page }));
    let v = verify('page-changed.pdf');
    assert.strictEqual(v.status, 1, v.stdout);
    assert.match(v.stdout, /^signature 1: .*, covers \d+ of \d+ bytes: valid$/m);
    assert.match(v.stdout, /not total: bytes after the last signature are not signed/);
    /* A DSS added in the same update does not excuse it. */
    const root = /1 0 obj\n<<\n([\s\S]*?)>>\nendobj/g;
    const catalogs = [...base.toString('latin1').matchAll(root)];
    const catalog = `<<\n${catalogs[catalogs.length - 1][1]}/DSS << /Certs [] /CRLs [] /OCSPs [] >>\n>>`;
    fs.writeFileSync(f('dss-and-page.pdf'), appendUpdate(base, { 1: catalog, 3: page }));
    v = verify('dss-and-page.pdf');
    assert.strictEqual(v.status, 1, v.stdout);
    assert.match(v.stdout, /not total: the update after it changes object 3 0/);
    assert.match(mustRun('qpdf', ['--check', f('dss-and-page.pdf')]), /No syntax or stream encoding errors/);
    /* The same DSS alone is allowed. */
    fs.writeFileSync(f('dss-only.pdf'), appendUpdate(base, { 1: catalog }));
    v = verify('dss-only.pdf');
    assert.strictEqual(v.status, 0, v.stdout);
    assert.match(v.stdout, /^signature 1: .*, B-B, covers \d+ of \d+ bytes, then a DSS update: valid$/m);
});

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';

test('PKCS#11: a key on a SoftHSM2 token signs; a wrong PIN is refused', () => {
    fs.mkdirSync(f('hsm/tokens'), { recursive: true });
    fs.writeFileSync(f('hsm/softhsm2.conf'), `directories.tokendir = ${f('hsm/tokens')}\nobjectstore.backend = file\n`);
    const env = Object.assign({}, process.env, { SOFTHSM2_CONF: f('hsm/softhsm2.conf') });
    mustRun('softhsm2-util', ['--init-token', '--free', '--label', 'mairie', '--pin', '1234', '--so-pin', '5678'], { env });
    mustRun('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', f('maire.key'), '-outform', 'DER', '-out', f('maire.key.der')]);
    mustRun('openssl', ['x509', '-in', f('maire.pem'), '-outform', 'DER', '-out', f('maire.der')]);
    for (const [file, type] of [['maire.key.der', 'privkey'], ['maire.der', 'cert']]) {
        mustRun('pkcs11-tool', ['--module', SOFTHSM, '--token-label', 'mairie', '--login', '--pin', '1234',
                                '--write-object', f(file), '--type', type, '--id', '01', '--label', 'maire'], { env });
    }
    fs.writeFileSync(f('pin'), '1234\n');
    fs.writeFileSync(f('bad-pin'), '0000\n');
    const args = (pin, out) => ['pdf', 'sign', '--pkcs11-module', SOFTHSM, '--token', 'mairie', '--key', 'maire',
                                '--pin-file', f(pin), f('in.pdf'), f(out)];
    let r = run(H.BIN, args('pin', 'hsm.pdf'), { env });
    assert.strictEqual(r.status, 0, r.stderr);
    const v = verify('hsm.pdf');
    assert.strictEqual(v.status, 0, v.stdout);
    assert.match(v.stdout, /^signature 1: signer «Camille Maire», .*, covers the whole file: valid$/m);
    const [s1] = pdfsig('hsm.pdf');
    assert.match(s1, /Total document signed/);
    assert.match(s1, /Signature is Valid\./);
    assert.match(s1, /Certificate is Trusted\./);
    r = run(H.BIN, args('bad-pin', 'hsm2.pdf'), { env });
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--pin-file: the PIN is refused/);
    assert.ok(!fs.existsSync(f('hsm2.pdf')));
    r = run(H.BIN, ['pdf', 'sign', '--pkcs11-module', SOFTHSM, '--token', 'nowhere', '--key', 'maire',
                    '--pin-file', f('pin'), f('in.pdf'), f('hsm2.pdf')], { env });
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--token: no token labelled 'nowhere'/);
    /* Both key stores at once, or a token without its key: a wrong usage. */
    r = run(H.BIN, [...args('pin', 'hsm2.pdf').slice(0, 2), '--p12', f('maire.p12'), ...args('pin', 'hsm2.pdf').slice(2)], { env });
    assert.strictEqual(r.status, 2);
    r = guichet(['pdf', 'sign', '--pkcs11-module', SOFTHSM, '--pin-file', f('pin'), f('in.pdf'), f('hsm2.pdf')]);
    assert.strictEqual(r.status, 2);
});

test('--visible: a box with the name, the capacity and the date on the page; still valid and whole', () => {
    const r = sign('in.pdf', 'visible.pdf', 'adjoint.p12', ['--visible', '--reason', 'Adjoint au maire, par délégation']);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(verify('visible.pdf').status, 0);
    const [s1] = pdfsig('visible.pdf');
    assert.match(s1, /Total document signed/);
    assert.match(s1, /Signature is Valid\./);
    assert.match(mustRun('qpdf', ['--check', f('visible.pdf')]), /No syntax or stream encoding errors/);
    const text = mustRun('pdftotext', ['-enc', 'UTF-8', f('visible.pdf'), '-']);
    assert.ok(text.includes(TEXT));
    assert.ok(text.includes('Signé électroniquement par'), text);
    assert.ok(text.includes('Dominique Adjoint'), text);
    assert.ok(text.includes('Adjoint au maire, par délégation'), text);
    assert.match(text, /le \d\d\/\d\d\/\d{4} à \d\d:\d\d UTC/);
    const json = JSON.parse(mustRun('qpdf', ['--json', '--json-key=acroform', f('visible.pdf')]));
    const field = json.acroform.fields[0];
    assert.strictEqual(field.fieldtype, '/Sig');
    assert.strictEqual(field.pageposfrom1, 1);
    assert.strictEqual(field.annotation.annotationflags, 132);
    /* Its rectangle: 220 × 46 points at the page's bottom right, with an appearance. */
    const id = field.object.split(' ')[0];
    const widget = mustRun('qpdf', ['--show-object=' + id, f('visible.pdf')]);
    assert.match(widget, /\/Rect \[ 319\.00 56\.00 539\.00 102\.00 \]/);
    assert.match(widget, /\/AP << \/N \d+ 0 R >>/);
});

test('two steps: prepare prints the digest, a key held elsewhere signs it, complete finishes', () => {
    let r = guichet(['pdf', 'prepare', '--cert', f('maire.pem'), '--reason', 'Arrêté n° 43', f('in.pdf'), f('prep.pdf')]);
    assert.strictEqual(r.status, 0, r.stderr);
    const hex = r.stdout.trim();
    assert.match(hex, /^[0-9a-f]{64}$/);
    fs.writeFileSync(f('to-sign.bin'), Buffer.from(hex, 'hex'));
    mustRun('openssl', ['pkeyutl', '-sign', '-inkey', f('maire.key'), '-pkeyopt', 'digest:sha256',
                        '-in', f('to-sign.bin'), '-out', f('external.sig')]);
    /* A signature that is not over this file with this certificate is refused. */
    r = guichet(['pdf', 'complete', '--signature', f('external.sig'), '--cert', f('adjoint.pem'), f('prep.pdf'), f('x.pdf')]);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--signature: the signature does not verify with the certificate/);
    r = guichet(['pdf', 'complete', '--signature', f('external.sig'), '--cert', f('maire.pem'), f('prep.pdf'), f('two-step.pdf')]);
    assert.strictEqual(r.status, 0, r.stderr);
    const original = fs.readFileSync(f('in.pdf'));
    assert.ok(fs.readFileSync(f('two-step.pdf')).subarray(0, original.length).equals(original));
    const v = verify('two-step.pdf');
    assert.strictEqual(v.status, 0, v.stdout);
    assert.match(v.stdout, /^signature 1: signer «Camille Maire», .*, covers the whole file: valid$/m);
    const [s1] = pdfsig('two-step.pdf');
    assert.match(s1, /Total document signed/);
    assert.match(s1, /Signature is Valid\./);
    assert.match(s1, /Certificate is Trusted\./);
    /* A file already complete, or never prepared, is not a prepared file. */
    r = guichet(['pdf', 'complete', '--signature', f('external.sig'), '--cert', f('maire.pem'), f('two-step.pdf'), f('x.pdf')]);
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /not a file prepared by guichet pdf prepare/);
    /* Nor is a file whose last /Contents is smaller than the placeholder `prepare` reserves:
     * the signature's hex would run past it (and past the file's end). */
    const head = '%PDF-1.7\n1 0 obj\n<< /Type /Sig /ByteRange [0 ';
    const tail = ' 0] /Contents <0000>';
    let at = 0;
    for (let i = 0; i < 3; i++) at = `${head}${String(at).padStart(10, '0')} ${String(at + 6).padStart(10, '0')}${tail}`.length - 6;
    fs.writeFileSync(f('tiny-gap.pdf'), `${head}${String(at).padStart(10, '0')} ${String(at + 6).padStart(10, '0')}${tail}`);
    r = guichet(['pdf', 'complete', '--signature', f('external.sig'), '--cert', f('maire.pem'), f('tiny-gap.pdf'), f('x.pdf')]);
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stderr, /not a file prepared by guichet pdf prepare/);
    assert.ok(!fs.existsSync(f('x.pdf')));
    r = guichet(['pdf', 'prepare', '--cert', f('maire.key'), f('in.pdf'), f('x.pdf')]);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--cert: .* holds no certificate/);
    assert.ok(!fs.existsSync(f('x.pdf')));
});

test('a wrong password, a missing option, a bad --reason: exit 2 and nothing written', () => {
    fs.writeFileSync(f('bad-pw'), 'pas le bon\n');
    let r = guichet(['pdf', 'sign', '--p12', f('maire.p12'), '--password-file', f('bad-pw'), f('in.pdf'), f('x.pdf')]);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--password-file: the password does not open the PKCS#12 file/);
    r = guichet(['pdf', 'sign', '--p12', f('maire.p12'), f('in.pdf'), f('x.pdf')]);
    assert.strictEqual(r.status, 2);
    r = sign('in.pdf', 'x.pdf', 'maire.p12', ['--reason', 'x'.repeat(201)]);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--reason: over 200 characters/);
    r = sign('in.pdf', 'x.pdf', 'ca.pem');
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--p12: not a PKCS#12 file/);
    assert.ok(!fs.existsSync(f('x.pdf')));
    assert.ok(!fs.existsSync(f('x.pdf.tmp')));
});

test('files that are no signed PDF: a clear message, never a crash', () => {
    let r = sign('ca.pem', 'x.pdf', 'maire.p12');
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /cannot be signed: not a PDF file/);
    r = verify('in.pdf');
    assert.strictEqual(r.status, 1);
    assert.match(r.stdout, /no signature/);
    /* A signed file cut in its /Contents, and one whose ByteRange points outside the file. */
    const ok = fs.readFileSync(f('ok.pdf'));
    fs.writeFileSync(f('cut.pdf'), ok.subarray(0, ok.indexOf('/Contents <') + 500));
    r = verify('cut.pdf');
    assert.strictEqual(r.status, 1);
    assert.match(r.stdout, /INVALID: the ByteRange does not start the file or lies outside it/);
    const t = ok.toString('latin1').replace(/\/ByteRange \[0 (\d+) (\d+) (\d+)/, (m, a, b, c) =>
        `/ByteRange [0 ${a} ${b} ${String(Number(c) + 9).padEnd(c.length)}`);
    fs.writeFileSync(f('outside.pdf'), Buffer.from(t, 'latin1'));
    r = verify('outside.pdf');
    assert.strictEqual(r.status, 1);
    assert.match(r.stdout, /INVALID: the ByteRange does not start the file or lies outside it/);
    r = guichet(['pdf', 'verify', '--ca', f('in.pdf'), f('ok.pdf')]);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--ca: no certificate could be read/);
    r = guichet(['pdf', 'verify', '--ca', f('ca.pem'), f('nothing-here.pdf')]);
    assert.strictEqual(r.status, 2);
});
