/*
 * fuzz_sms — what Kannel hands guichet, on arbitrary bytes: the inbound SMS callback's
 * parameters (key, from, to, text, time: lines of the input) as sms_in_check bounds and
 * checks them, and the delivery report's status (the sixth line). Checks what the handlers
 * rely on: an accepted sender is E.164 and normalises to itself; an accepted text is UTF-8
 * whose counting, folding and cutting stay within one SMS; a status maps to a known state or
 * to nothing; STOP detection never reads past the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/sms/sms_in.h"
#include "core/sms.h"
#include "util/phone.h"
#include "util/sms_text.h"
#include "util/utf8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

#define FIELDS 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    /* key \n from \n to \n text \n time \n status; a missing line is an absent parameter. */
    char *field[FIELDS] = {0};
    char *p = s;
    for (int i = 0; i < FIELDS && p; i++) {
        field[i] = p;
        char *nl = i + 1 < FIELDS ? strchr(p, '\n') : NULL;
        if (nl)
            *nl = '\0';
        p = nl ? nl + 1 : NULL;
    }
    sms_in_params in = {.key = field[0],
                        .from_typed = field[1],
                        .to = field[2],
                        .text = field[3],
                        .time = field[4]};
    error err;
    error_clear(&err);
    if (sms_in_check(&in, &err) == 0) {
        CHECK(phone_is_e164(in.from));
        char again[PHONE_E164_MAX];
        phone_result r;
        CHECK(phone_e164(in.from, again, &r) == 0 && strcmp(again, in.from) == 0);
        const char *text = in.text ? in.text : "";
        CHECK(strlen(text) <= SMS_IN_TEXT_MAX && utf8_valid(text, strlen(text)));
        sms_count c;
        CHECK(sms_text_count(text, &c) == 0 && c.parts >= 1);
        char *folded = strdup(text);
        if (folded) {
            sms_text_fold(folded);
            CHECK(strlen(folded) <= strlen(text) && utf8_valid(folded, strlen(folded)));
            free(folded);
        }
        char out[2 * SMS_IN_TEXT_MAX + 64];
        long n = sms_text_fit(text, "https://ville.fr/suivi", out, sizeof out);
        if (n >= 0) {
            CHECK((size_t)n == strlen(out));
            CHECK(sms_text_count(out, &c) == 0 && c.parts == 1);
        }
        (void)sms_is_stop(text);
    } else {
        CHECK(err.code == ERR_MISSING_ARG || err.code == ERR_INVALID_ARG);
        CHECK(*err.arg);
    }
    const char *state = sms_dlr_state(field[5]);
    CHECK(!state || !*state || strcmp(state, "delivered") == 0 || strcmp(state, "failed") == 0 ||
          strcmp(state, "sent") == 0);
    free(s);
    return 0;
}
