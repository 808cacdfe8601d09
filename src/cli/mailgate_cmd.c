/*
 * mailgate_cmd — `guichet mailgate` (mailgate_cmd.h): standard input read with a bound, one
 * POST with libcurl, the server's JSON answer turned into one line and the MTA's exit code.
 * Everything that is not the message's own fault is EX_TEMPFAIL, so that a mistake in the
 * MTA's set-up delays mail instead of bouncing it to citizens.
 */
#include "cli/mailgate_cmd.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/mail/inbound.h"
#include "cli/file_read.h"
#include "cli/gateway_client.h"
#include "util/buf.h"

const opt_spec mailgate_cmd_opts[] = {
    {"url", "GUICHET_MAILGATE_URL", OPT_STRING, NULL, 1, 0, 0,
     "the server's base URL, e.g. https://grc.ville.fr (its host names the collectivité)"},
    {"key-file", "GUICHET_MAILGATE_KEY_FILE", OPT_STRING, NULL, 1, 0, 0,
     "file holding a \"gateway\"-scope API key (guichet apikey create --scope gateway)"},
    {"tenant", NULL, OPT_STRING, NULL, 0, 0, 0,
     "the collectivité's slug, when the URL's host does not name it"},
    {"recipient", NULL, OPT_STRING, NULL, 0, 0, 0,
     "the envelope recipient (Postfix ${original_recipient}, OpenSMTPD %{rcpt}): without "
     "--tenant, and a host that names no collectivité, the collectivité whose contact "
     "address it is"},
    {"timeout", "GUICHET_MAILGATE_TIMEOUT_S", OPT_UINT, "60", 0, 1, 3600,
     "seconds the server may take to answer before the message is retried"},
    {0}};

/* The line and exit code of the server's answer. */
static int report(long status, const buf *answer)
{
    gateway_answer a;
    gateway_answer_read(answer, &a);
    int rc;
    if (status >= 200 && status < 300) {
        const char *outcome = json_string_value(json_object_get(a.json, "outcome"));
        const char *ref = json_string_value(json_object_get(a.json, "reference"));
        const char *reason = json_string_value(json_object_get(a.json, "reason"));
        if (outcome && strcmp(outcome, "created") == 0 && ref)
            printf("created %s\n", ref);
        else if (outcome && strcmp(outcome, "threaded") == 0 && ref)
            printf("threaded into %s\n", ref);
        else if (outcome && strcmp(outcome, "held") == 0)
            printf("held: %s\n", reason ? reason : "(no reason given)");
        else
            printf("dropped: %s\n", reason ? reason : "(no reason given)");
        rc = MAILGATE_EX_OK;
    } else {
        const char *arg = a.argument;
        /* Only the message's own fault is final; a key, a tenant, a busy server, a
         * configuration to fix: the MTA keeps the message and tries again. */
        int final = (status == 400 || status == 413) && arg &&
                    (strcmp(arg, "message") == 0 || strcmp(arg, "from") == 0);
        printf("%s: HTTP %ld %s%s%s%s%s\n", final ? "refused" : "not taken, will retry", status,
               a.code ? a.code : "", arg ? " " : "", arg ? arg : "", a.detail ? ": " : "",
               a.detail ? a.detail : "");
        rc = final ? MAILGATE_EX_DATAERR : MAILGATE_EX_TEMPFAIL;
    }
    gateway_answer_free(&a);
    return rc;
}

int mailgate_cmd_run(const opt_values *v)
{
    const char *base = opt_str(v, "url");
    const char *tenant = opt_str(v, "tenant");
    const char *recipient = opt_str(v, "recipient");
    size_t blen = gateway_base_len(base);
    if (blen == 0) {
        printf("guichet mailgate: --url must be an http:// or https:// URL (try again later)\n");
        return MAILGATE_EX_TEMPFAIL;
    }
    char *key = gateway_key_read("guichet mailgate", opt_str(v, "key-file"), " (try again later)");
    if (!key)
        return MAILGATE_EX_TEMPFAIL;
    size_t len = 0;
    int too_large = 0;
    char *msg = cli_file_read("guichet mailgate", "-", MAIL_IN_MAX_BYTES, &len, &too_large);
    if (!msg) {
        gateway_key_free(key);
        if (too_large) {
            printf("refused: the message is over %d bytes\n", MAIL_IN_MAX_BYTES);
            return MAILGATE_EX_DATAERR;
        }
        return MAILGATE_EX_TEMPFAIL;
    }
    int rc = MAILGATE_EX_TEMPFAIL;
    CURL *h = NULL;
    char *url = NULL, *esc = NULL, *rcpt = NULL;
    buf answer;
    buf_init(&answer, GATEWAY_ANSWER_MAX);
    if (gateway_client_init() != 0 || !(h = curl_easy_init())) {
        printf("guichet mailgate: cannot start libcurl (try again later)\n");
        goto done;
    }
    esc = tenant ? curl_easy_escape(h, tenant, 0) : NULL;
    rcpt = recipient && *recipient ? curl_easy_escape(h, recipient, 0) : NULL;
    if (asprintf(&url, "%.*s/passerelle/mail%s%s%s%s", (int)blen, base, esc ? "?tenant=" : "",
                 esc ? esc : "", rcpt ? (esc ? "&recipient=" : "?recipient=") : "",
                 rcpt ? rcpt : "") < 0) {
        url = NULL;
        printf("guichet mailgate: out of memory (try again later)\n");
        goto done;
    }
    long status = 0;
    char why[256];
    if (gateway_post(url, key, "message/rfc822", msg, len, (long)opt_uint(v, "timeout"), &status,
                     &answer, why, sizeof why) != 0) {
        printf("not taken, will retry: %s\n", why);
        goto done;
    }
    rc = report(status, &answer);
done:
    curl_free(esc);
    curl_free(rcpt);
    free(url);
    if (h)
        curl_easy_cleanup(h);
    buf_free(&answer);
    gateway_key_free(key);
    free(msg);
    return rc;
}
