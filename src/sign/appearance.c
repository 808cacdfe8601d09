/*
 * appearance — the visible signature's content stream (see appearance.h). The text is
 * converted from UTF-8 to WinAnsiEncoding (CP1252, which holds every French letter, «», € and
 * the typographic quotes and dashes) and written as literal strings, '(' ')' '\' escaped.
 */
#include "sign/appearance.h"

#include <stdint.h>
#include <string.h>

#include "util/utf8.h"

/* The characters a line holds at 8 points in the box (Helvetica averages half an em). */
#define LINE_CHARS 50

/* The CP1252 byte of code point c, '?' when it has none. */
static unsigned char winansi(uint32_t c)
{
    static const struct {
        uint32_t cp;
        unsigned char b;
    } extra[] = {{0x20AC, 0x80}, {0x201A, 0x82}, {0x0192, 0x83}, {0x201E, 0x84}, {0x2026, 0x85},
                 {0x2020, 0x86}, {0x2021, 0x87}, {0x02C6, 0x88}, {0x2030, 0x89}, {0x0160, 0x8A},
                 {0x2039, 0x8B}, {0x0152, 0x8C}, {0x017D, 0x8E}, {0x2018, 0x91}, {0x2019, 0x92},
                 {0x201C, 0x93}, {0x201D, 0x94}, {0x2022, 0x95}, {0x2013, 0x96}, {0x2014, 0x97},
                 {0x02DC, 0x98}, {0x2122, 0x99}, {0x0161, 0x9A}, {0x203A, 0x9B}, {0x0153, 0x9C},
                 {0x017E, 0x9E}, {0x0178, 0x9F}};
    if ((c >= 0x20 && c < 0x7F) || (c >= 0xA0 && c <= 0xFF))
        return (unsigned char)c;
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        if (extra[i].cp == c)
            return extra[i].b;
    return '?';
}

/* One line at (x, y): the text of s (UTF-8, checked by the caller) cut to LINE_CHARS. */
static void line(buf *out, double x, double y, const char *s)
{
    buf_printf(out, "BT /F1 8 Tf %.1f %.1f Td (", x, y);
    size_t n = utf8_prefix_bytes(s, strlen(s), LINE_CHARS);
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        int k = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
        uint32_t c = k == 1 ? *p : k == 2 ? *p & 0x1Fu : k == 3 ? *p & 0x0Fu : *p & 0x07u;
        for (int i = 1; i < k && p + i < end; i++)
            c = (c << 6) | (p[i] & 0x3Fu);
        p += k;
        unsigned char b = winansi(c);
        if (b == '(' || b == ')' || b == '\\')
            buf_putc(out, '\\');
        buf_putc(out, (char)b);
    }
    buf_puts(out, ") Tj ET\n");
}

void sign_appearance_stream(const char *name, const char *reason, time_t when, buf *out)
{
    struct tm tm;
    gmtime_r(&when, &tm);
    char date[64];
    strftime(date, sizeof date, "le %d/%m/%Y \xC3\xA0 %H:%M UTC", &tm);
    /* A light frame, then up to four lines from the top. */
    buf_printf(out, "q 0.4 w 0.2 G 0.5 0.5 %d %d re S Q\n0 g\n", SIGN_APPEARANCE_W - 1,
               SIGN_APPEARANCE_H - 1);
    double y = SIGN_APPEARANCE_H - 11;
    line(out, 5, y, "Sign\xC3\xA9 \xC3\xA9lectroniquement par");
    line(out, 5, y -= 9.5, name && *name ? name : "?");
    if (reason && *reason)
        line(out, 5, y -= 9.5, reason);
    line(out, 5, y - 9.5, date);
}
