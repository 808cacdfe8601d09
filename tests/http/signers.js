'use strict';
/*
 * signers — a throwaway CA and élus' certificates for the signature tests, made with
 * `openssl req/x509/pkcs12` in a test's directory (nothing binary is committed): the CA
 * (basicConstraints CA, keyCertSign), each élu's certificate signed by it (keyUsage
 * digitalSignature, nonRepudiation) and its PKCS#12 protected by the password in `pw`, and
 * an NSS database trusting the CA for poppler's `pdfsig`, and a TSA (its certificate, and an
 * `openssl ts -reply` service on loopback) for B-T.
 */
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { spawn, spawnSync } = require('node:child_process');

function mustRun(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    assert.strictEqual(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
}

/* The makers for directory dir, whose file `pw` holds the PKCS#12 password (written here). */
function signers(dir, password) {
    const f = (name) => path.join(dir, name);
    fs.writeFileSync(f('ext.cnf'), '[elu]\nbasicConstraints = critical, CA:FALSE\n' +
        'keyUsage = critical, digitalSignature, nonRepudiation\nsubjectKeyIdentifier = hash\n' +
        'authorityKeyIdentifier = keyid\n');
    fs.writeFileSync(f('pw'), `${password}\n`);
    return {
        /* A self-signed CA: NAME.pem and NAME.key. */
        ca(name, cn) {
            mustRun('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out',
                                f(`${name}.pem`), '-days', '30', '-subj', `/CN=${cn}/O=Ville de Démo`, '-utf8',
                                '-addext', 'basicConstraints=critical,CA:TRUE',
                                '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
        },
        /* An élu's NAME.pem signed by the CA caName, and NAME.p12 (password in pw). */
        elu(name, cn, caName) {
            mustRun('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out',
                                f(`${name}.csr`), '-subj', `/CN=${cn}/O=Ville de Démo`, '-utf8']);
            mustRun('openssl', ['x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${caName}.pem`), '-CAkey',
                                f(`${caName}.key`), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '30',
                                '-extfile', f('ext.cnf'), '-extensions', 'elu']);
            mustRun('openssl', ['pkcs12', '-export', '-inkey', f(`${name}.key`), '-in', f(`${name}.pem`), '-certfile',
                                f(`${caName}.pem`), '-out', f(`${name}.p12`), '-passout', `file:${f('pw')}`]);
        },
        /* A TSA certificate issued by the CA caName (its extensions in section tsa of the
         * file ext in dir; tsa.ext, written here, when not given) and the `openssl ts -reply`
         * configuration NAME.cnf that answers with it (startTsa). */
        tsa(name, caName, ext) {
            if (!ext) {
                ext = 'tsa.ext';
                fs.writeFileSync(f(ext), '[tsa]\nbasicConstraints = critical, CA:FALSE\n' +
                    'keyUsage = critical, digitalSignature\nextendedKeyUsage = critical, timeStamping\n');
            }
            mustRun('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`),
                                '-subj', '/CN=Horodatage de test']);
            mustRun('openssl', ['x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${caName}.pem`), '-CAkey',
                                f(`${caName}.key`), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '30',
                                '-extfile', f(ext), '-extensions', 'tsa']);
            fs.writeFileSync(f(`${name}serial`), '01\n');
            fs.writeFileSync(f(`${name}.cnf`), `[tsa]\ndefault_tsa = tsa1\n[tsa1]\nserial = ${f(`${name}serial`)}\n` +
                `crypto_device = builtin\nsigner_cert = ${f(`${name}.pem`)}\nsigner_key = ${f(`${name}.key`)}\n` +
                `certs = ${f(`${caName}.pem`)}\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\n` +
                'accuracy = secs:1\nordering = no\ntsa_name = no\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n');
        },
        /* An RFC 3161 service on loopback answering with `openssl ts -reply -config cnf`
         * (a file of dir): {url, close()}. */
        async startTsa(cnf) {
            let n = 0;
            const server = http.createServer((req, res) => {
                const parts = [];
                req.on('data', (d) => parts.push(d));
                req.on('end', () => {
                    n++;
                    fs.writeFileSync(f(`q${n}.tsq`), Buffer.concat(parts));
                    const r = spawn('openssl', ['ts', '-reply', '-config', f(cnf), '-queryfile', f(`q${n}.tsq`),
                                                '-out', f(`r${n}.tsr`)]);
                    r.on('close', (status) => {
                        if (status !== 0) {
                            res.writeHead(500);
                            res.end();
                            return;
                        }
                        res.writeHead(200, { 'Content-Type': 'application/timestamp-reply' });
                        res.end(fs.readFileSync(f(`r${n}.tsr`)));
                    });
                });
            });
            await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
            return { url: `http://127.0.0.1:${server.address().port}/tsa`,
                     close: () => new Promise((resolve) => server.close(resolve)) };
        },
        /* An NSS database in NAME trusting the CA caName, for `pdfsig -nssdir sql:…`. */
        nss(name, caName) {
            fs.mkdirSync(f(name));
            mustRun('certutil', ['-N', '-d', `sql:${f(name)}`, '--empty-password']);
            mustRun('certutil', ['-A', '-d', `sql:${f(name)}`, '-n', caName, '-t', 'CT,C,C', '-i', f(`${caName}.pem`)]);
        },
    };
}

module.exports = { signers };
