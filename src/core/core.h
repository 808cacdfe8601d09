/*
 * core — the context every entrance holds: the store, the instance secret used for keyed
 * hashes, and the catalogue cache. Core knows nothing of HTTP; entrances call the modules
 * below (catalogue, request, apikey) with a core handle.
 */
#ifndef GUICHET_CORE_CORE_H
#define GUICHET_CORE_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

typedef struct core core;

/* Callback of every asynchronous write: rc 0 once the change is durable, -1 with err. */
typedef void (*core_done_fn)(void *ctx, int rc, const error *err);

/* The portal's pages that core's messages link to (e-mails: acknowledgement, verification,
 * reset, login link): paths put after the collectivité's base URL. Core does not know the
 * portal's routes: the web layer does (web_portal_links), and the server and the CLI give
 * them to core at open. A path left NULL links to the base URL alone. */
typedef struct core_links {
    const char *tracking;       /* "/suivi/", then the reference */
    const char *tracking_token; /* "?jeton=", after the reference, then the tracking token */
    const char *verify;         /* "/compte/verifier?jeton=", then the token */
    const char *login;          /* "/compte/connexion" */
    const char *reset;          /* "/compte/nouveau-mot-de-passe?jeton=", then the token */
    const char *login_link;     /* "/compte/lien?jeton=", then the token */
} core_links;

/* What core is told at open rather than deciding itself; every string is copied. */
typedef struct core_config {
    /* The instance secret keys every token hash, the pending-login MAC and the sealing of
     * TOTP secrets: whoever holds it and a copy of the database can open an agent's
     * session. So it lives in secret_file (created mode 0600 on first use; a secret an
     * earlier version kept in the database is moved there and removed from the database),
     * never beside the data in the same file or backup. NULL keeps it in the database (unit
     * tests only). */
    const char *secret_file;
    /* Where attachments are kept (created mode 0700 when absent; attachment.h). NULL: not
     * set, for commands that never read nor write a file. */
    const char *uploads_dir;
    core_links links;
} core_config;

/* Opens core over an opened and migrated store (does not take ownership of it): reads or
 * creates the instance secret and loads the catalogue. cfg NULL: all defaults (the secret
 * in the database, no links). Caller frees with core_close. */
core *core_open_config(store *s, const core_config *cfg, error *err);
/* core_open_config with only the secret file set (see core_config.secret_file). */
core *core_open(store *s, const char *secret_file, error *err);
void core_close(core *c);
/* Starts the pool where every password is hashed and verified (core/hasher.h): `threads`
 * threads and room for `queue` jobs waiting; a job beyond that is refused with
 * ERR_UNAVAILABLE. Without it (the command line, tests) each hash runs on its caller's
 * thread. -1 with err (ERR_INVALID_ARG naming "hash-threads" or "hash-queue" when out of
 * range). Call it before serving, and core_hasher_stop once nothing submits any more. */
int core_hasher_start(core *c, unsigned threads, size_t queue, error *err);
/* How long a text search may keep walking older years once the newest have been searched
 * (request_search_text): SEARCH_BUDGET_MS_DEFAULT unless set; 0 searches one year at a time
 * (each further year asked for by the caller). */
#define SEARCH_BUDGET_MS_DEFAULT 10
#define SEARCH_BUDGET_MS_MAX 60000
void core_set_search_budget(core *c, int ms);
/* Stops the pool: jobs still queued fail with ERR_UNAVAILABLE (their callers are told), the
 * running ones finish. core_close does it too. */
void core_hasher_stop(core *c);

/* The links core was opened with (see core_links): its own copies, never NULL; their
 * fields NULL when not given. */
const core_links *core_links_get(const core *c);
store *core_store(core *c);
/* A number that grows after every write batch this process committed: a cache of pages read
 * through core (the HTTP response cache) stays valid while it does not move. */
uint64_t core_generation(core *c);

/* ---- links to pages, from the configuration only ---- */

#define CORE_URL_MAX 320 /* bytes of a base URL, NUL included */

/* Where links lead, as the server is configured: public_url (--public-url; NULL or "": none),
 * listen_url ("http://ADDRESS:PORT", the address the server bound) and port (the bound port:
 * that of links to a local host name). The server sets them once it listens; until then (and
 * in commands that do not serve) only public_url, when given, makes links. -1 when a URL is
 * over CORE_URL_MAX. */
int core_set_link_origin(core *c, const char *public_url, const char *listen_url, int port);
/* Base URL of links to collectivité t's pages ("https://grc.ville.fr", no trailing slash),
 * from the configuration only, never from a request's Host header (the links go into
 * e-mails: a client must not choose where they lead). In order: the public URL when set;
 * else t's first host name, as http://NAME:PORT (the server's port) for a name of the local
 * machine or a test domain (localhost, *.localhost, *.test, 127.x.x.x, [::1]) and as
 * https://NAME for any other (production sits behind a TLS proxy on the standard port); else
 * (t NULL or without host names) the listen URL. Into out (cap bytes); 0, or -1 with out ""
 * when nothing configured makes one (no link is then sent). */
struct cat_tenant;
int core_base_url(core *c, const struct cat_tenant *t, char *out, size_t cap);

/* Server-wide settings an administrator may change (`guichet setting set`): their names,
 * what they mean and their allowed values are a table in core.c. -1 with ERR_INVALID_ARG
 * naming "name" or "value" when unknown or out of range. */
int core_setting_set(core *c, const char *name, const char *value, error *err);
/* The value of a known setting (*value in a; NULL when never set). */
int core_setting_get(core *c, const char *name, arena *a, const char **value, error *err);
/* The integer value of known setting `name` into *out: def when never set or out of its
 * range (said in the log). -1 with err when the store fails (*out is then def). */
int core_setting_int(core *c, const char *name, int def, int *out, error *err);
/* The known settings, for listings: name, allowed values, meaning; NULL name ends it. */
typedef struct core_setting_info {
    const char *name;
    long min, max; /* integer values between min and max */
    const char *meaning;
} core_setting_info;
extern const core_setting_info core_settings[];

/* Keyed BLAKE2b of a high-entropy secret (API key, tracking token) as 64 hex chars + NUL. */
void core_hash_secret(const core *c, const char *secret, char out[65]);
/* A new random secret: `prefix` followed by 43 base64url characters (32 random bytes). */
void core_new_secret(const char *prefix, char *out, size_t out_size);

#endif
