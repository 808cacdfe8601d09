/*
 * sms_text — the length of an SMS as the network counts it. A text whose characters are all in
 * the GSM 03.38 alphabet goes as GSM-7 (160 septets in one SMS, 153 a part when
 * concatenated; the extension table's characters, such as € [ ] { }, take two septets);
 * any other character makes the whole text UCS-2 (70 UTF-16 units, 67 a part). Long texts
 * are cut at a word so that they fit in one SMS, followed by a link.
 */
#ifndef GUICHET_UTIL_SMS_TEXT_H
#define GUICHET_UTIL_SMS_TEXT_H

#include <stddef.h>

typedef enum sms_encoding { SMS_GSM7 = 0, SMS_UCS2 } sms_encoding;

typedef struct sms_count {
    sms_encoding encoding;
    size_t units; /* septets (GSM-7) or UTF-16 code units (UCS-2) */
    size_t parts; /* SMS the text takes (1 for the empty text) */
} sms_count;

#define SMS_GSM7_SINGLE 160
#define SMS_GSM7_PART 153
#define SMS_UCS2_SINGLE 70
#define SMS_UCS2_PART 67

/* Counts s (NUL-terminated). -1 when s is not valid UTF-8, 0 otherwise. */
int sms_text_count(const char *s, sms_count *out);

/* Replaces, in place, the typographic characters that have a plain GSM-7 equivalent and the
 * same meaning (’ ‘ → ', « » “ ” → ", – — → -, … → ..., no-break spaces → space), so that a
 * French text without other non-GSM letters costs one GSM-7 SMS rather than UCS-2 ones.
 * « text » becomes "text", its inner spaces dropped. s must be valid UTF-8; it only gets
 * shorter. */
void sms_text_fold(char *s);

/* Writes into out (cap bytes) the text to send: text itself when it fits in one SMS with
 * " " link after it (link NULL or "": nothing after it), otherwise text cut after a whole word
 * with "..." then " " link, the cut chosen so that the whole fits in one SMS of the encoding
 * the result needs. Returns the bytes written (NUL not counted); -1 when text or link is not
 * valid UTF-8, when cap is too small for the result, or when the link alone leaves no room
 * for a word. */
long sms_text_fit(const char *text, const char *link, char *out, size_t cap);

#endif
