'use strict';
/*
 * bench/smtp_sink.js — the local SMTP sink of bench scenario 6: accepts every message over
 * plain SMTP on 127.0.0.1:PORT and throws it away, so that the broadcast's dispatcher has a
 * relay that never slows it down. Writes the number of messages accepted so far to COUNT_FILE
 * after each one (the bench reads how many were sent during a round).
 *
 *   node bench/smtp_sink.js PORT COUNT_FILE
 */
const net = require('node:net');
const fs = require('node:fs');

const [portArg, countFile] = process.argv.slice(2);
const port = Number(portArg);
if (!(port > 0) || !countFile) {
    console.error('usage: node bench/smtp_sink.js PORT COUNT_FILE');
    process.exit(2);
}
let accepted = 0;
fs.writeFileSync(countFile, '0\n');

net.createServer((sock) => {
    let buf = '';
    let inData = false;
    sock.write('220 bench-sink ESMTP\r\n');
    sock.on('data', (chunk) => {
        buf += chunk.toString('latin1');
        for (;;) {
            if (inData) {
                const end = buf.indexOf('\r\n.\r\n');
                if (end < 0) {
                    /* Keep only what may hold the start of the terminator. */
                    if (buf.length > 4) buf = buf.slice(-4);
                    return;
                }
                buf = buf.slice(end + 5);
                inData = false;
                accepted++;
                fs.writeFileSync(countFile, `${accepted}\n`);
                sock.write('250 2.0.0 accepted\r\n');
                continue;
            }
            const eol = buf.indexOf('\r\n');
            if (eol < 0) return;
            const line = buf.slice(0, eol);
            buf = buf.slice(eol + 2);
            const verb = line.slice(0, 4).toUpperCase();
            if (verb === 'EHLO') sock.write('250-bench-sink\r\n250 8BITMIME\r\n');
            else if (verb === 'HELO') sock.write('250 bench-sink\r\n');
            else if (verb === 'DATA') {
                inData = true;
                sock.write('354 go ahead\r\n');
            } else if (verb === 'QUIT') {
                sock.end('221 bye\r\n');
                return;
            } else sock.write('250 ok\r\n');
        }
    });
    sock.on('error', () => {});
}).listen(port, '127.0.0.1');
