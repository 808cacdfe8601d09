/*
 * fuzz_mail_inbound — the incoming e-mail's parser (channels/mail/inbound) on arbitrary bytes,
 * as POST /passerelle/mail hands it a body, and the HTML-to-text and folding helpers on the
 * same bytes. Checks what the routing and the store rely on: a result or a refusal with a
 * code, every string valid UTF-8 within its bound, the text without CR, files within their
 * limit, a bounce with a reason, and no file and no personal address in a bounce's reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/mail/inbound.h"
#include "util/utf8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_utf8(const char *s)
{
    CHECK(s != NULL);
    CHECK(utf8_valid(s, strlen(s)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena a;
    arena_init(&a, 0);
    mail_in m;
    error e;
    error_clear(&e);
    mail_in_config cfg = {.spam_header = "X-Spam-Status: Yes"};
    int rc = mail_in_parse((const char *)data, size, &cfg, &a, &m, &e);
    if (rc != 0) {
        CHECK(e.code == ERR_INVALID_ARG || e.code == ERR_TOO_LARGE);
    } else {
        check_utf8(m.subject);
        check_utf8(m.text);
        CHECK(strchr(m.text, '\r') == NULL);
        CHECK(utf8_length(m.text, strlen(m.text)) <= MAIL_IN_MAX_TEXT);
        check_utf8(m.from_name);
        if (m.folded)
            check_utf8(m.folded);
        CHECK(m.n_files <= MAIL_IN_MAX_FILES);
        CHECK(m.n_refs <= MAIL_IN_MAX_REFS && m.n_tags <= MAIL_IN_MAX_TAGS);
        for (size_t i = 0; i < m.n_files; i++)
            CHECK(m.files[i].data != NULL && m.files[i].len > 0);
        if (m.kind == MAIL_IN_BOUNCE) {
            CHECK(m.bounce_reason != NULL && strchr(m.bounce_reason, '@') == NULL);
        } else {
            CHECK(strchr(m.from_addr, '@') != NULL);
        }
    }
    /* The helpers alone, on text that need not be a message. */
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
        char *plain = mail_in_html_text(text, size, &a);
        CHECK(plain != NULL);
        const char *fresh, *folded;
        CHECK(mail_in_fold(text, &a, &fresh, &folded) == 0);
        CHECK(strlen(fresh) <= strlen(text));
        if (folded)
            CHECK(strlen(fresh) + strlen(folded) <= strlen(text));
        free(text);
    }
    arena_free(&a);
    return 0;
}
