/*
 * pdf_cmd — `guichet pdf sign`, `timestamp` and `verify`: PAdES baseline B-B signatures of PDF
 * files (sign/pades.h) from the command line, with a PKCS#12 key. The command table in
 * commands.c lists them.
 */
#ifndef GUICHET_CLI_PDF_CMD_H
#define GUICHET_CLI_PDF_CMD_H

#include "cli/options.h"

extern const opt_spec pdf_cmd_sign_opts[];
extern const opt_spec pdf_cmd_prepare_opts[];
extern const opt_spec pdf_cmd_complete_opts[];
extern const opt_spec pdf_cmd_timestamp_opts[];
extern const opt_spec pdf_cmd_verify_opts[];

/* guichet pdf sign (--p12 FILE --password-file FILE | --pkcs11-module LIB --token LABEL
 *   --key LABEL --pin-file FILE) [--level B-B|B-T|B-LT --tsa URL] [--visible] [--reason TEXT]
 *   [--location TEXT] [--name TEXT] IN.pdf OUT.pdf
 * Exit 0 once OUT.pdf (IN.pdf and one more signature, as an incremental update) is written
 * whole; 1 when IN.pdf cannot be signed (not a PDF, damaged, encrypted) or OUT.pdf cannot be
 * written, or the TSA or the token fails, or at B-LT a CRL cannot be had or names the signer
 * or the TSA revoked; 2 on a wrong usage, a key that does not open (wrong
 * password or PIN, no PKCS#12 file, no such token or key) or a text refused (--reason,
 * --location, --name). */
int pdf_cmd_sign(const opt_values *v);

/* guichet pdf prepare --cert FILE [--visible] [--reason TEXT] [--location TEXT] [--name TEXT]
 *   IN.pdf PREP.pdf
 * The first half of a signature made by a key held elsewhere: writes PREP.pdf (IN.pdf with
 * its signature placeholder) and prints the SHA-256 the key must sign (RSA PKCS#1 v1.5), in
 * hex. Exit 0, 1 when IN.pdf cannot be signed, 2 on a wrong usage or certificate. */
int pdf_cmd_prepare(const opt_values *v);

/* guichet pdf complete --signature FILE --cert FILE [--level B-B|B-T|B-LT --tsa URL] PREP.pdf
 *   OUT.pdf
 * The second half: PREP.pdf with the signature made elsewhere (binary). Exit 0 once OUT.pdf is
 * written; 1 when PREP.pdf is not a prepared file or the TSA fails; 2 on a wrong usage, or a
 * signature that does not verify with the certificate over PREP.pdf. */
int pdf_cmd_complete(const opt_values *v);

/* guichet pdf timestamp --tsa URL [--crl-private-ok] IN.pdf OUT.pdf
 * Adds a document timestamp (PAdES B-LTA's building block) as an incremental update, then a
 * DSS with the TSA's chain and its CRLs (fetched from the distribution points; one on a
 * private or loopback address only with --crl-private-ok). Exit 0 once OUT.pdf is written; 1
 * when IN.pdf cannot be timestamped, the TSA fails or a CRL cannot be had; 2 on a wrong
 * usage. */
int pdf_cmd_timestamp(const opt_values *v);

/* guichet pdf verify (--ca FILE | --db FILE [--tenant SLUG]) FILE.pdf
 * Prints one line per signature (signer, /M, the timestamp, the level, what it covers, valid
 * or why not) and per document timestamp (the TSA, its time). The anchors are --ca's, or the trust
 * anchors of the database's collectivité
 * (--tenant needed when it holds several). Exit 0 when every signature is valid and chains to
 * them and the last one covers the whole file or is followed only by a DSS update, document
 * timestamps being allowed after the last signature; 1
 * otherwise (no signature, an invalid one, anything else after the last); 2 on a wrong usage,
 * an unreadable --ca or FILE.pdf, a database that cannot be opened or a collectivité without
 * trust anchors. */
int pdf_cmd_verify(const opt_values *v);

#endif
