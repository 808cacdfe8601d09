/*
 * qr — libqrencode's module matrix (bit 0 of each byte: dark) read row by row into runs.
 */
#include "util/qr.h"

#include <qrencode.h>

int qr_runs(const char *text, int (*begin)(void *ctx, int width), qr_run_fn run, void *ctx)
{
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!qr)
        return -1;
    int rc = -1;
    int w = qr->width;
    if (begin && begin(ctx, w) != 0)
        goto cleanup;
    for (int y = 0; y < w; y++) {
        for (int x = 0; x < w;) {
            if (!(qr->data[y * w + x] & 1)) {
                x++;
                continue;
            }
            int len = 1;
            while (x + len < w && (qr->data[y * w + x + len] & 1))
                len++;
            if (run(ctx, x, y, len) != 0)
                goto cleanup;
            x += len;
        }
    }
    rc = 0;
cleanup:
    QRcode_free(qr);
    return rc;
}
