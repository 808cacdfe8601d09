/*
 * csv — RFC 4180 fields with a formula-injection guard (see csv.h).
 */
#include "util/csv.h"

#include <string.h>

/* Characters that make a spreadsheet read a cell as a formula (OWASP, «CSV injection»). */
static int formula_start(const char *s)
{
    return *s && strchr("=+-@\t\r", *s) != NULL;
}

void csv_field(buf *out, const char *s, csv_quoting quoting)
{
    if (!s)
        s = "";
    const char specials[] = {CSV_SEPARATOR, '"', '\r', '\n', '\0'};
    int quote = quoting == CSV_QUOTE_ALWAYS || strpbrk(s, specials) != NULL;
    if (quote)
        buf_putc(out, '"');
    if (formula_start(s))
        buf_putc(out, '\'');
    for (const char *q = s; *q; q++) {
        if (*q == '"')
            buf_putc(out, '"');
        buf_putc(out, *q);
    }
    if (quote)
        buf_putc(out, '"');
}

void csv_end(buf *out, int last)
{
    if (last)
        buf_puts(out, "\r\n");
    else
        buf_putc(out, CSV_SEPARATOR);
}
