/*
 * portal — the citizens' pages, mounted at "/" after the APIs. Each file owns one area and
 * exports its route table (terminated by {0, NULL, NULL}):
 *   filing.c    home and procedure search, procedure forms (multi-step, review),
 *               confirmation, printable receipt, accessibility statement, legal notices
 *   tracking.c  tracking by reference and token, the message thread and replies, rating and
 *               reopening, «Mes demandes», the public incidents list and map, «moi aussi»
 *   account.c   sign-up and verification, login, logout, password reset, login links,
 *               notification preferences
 *   files.c     attachments, served after an access check
 *   opendata.c  the public incidents as open data (CSV, GeoJSON), anonymised
 *   data.c      «Mes données personnelles»: the citizen's archive (RGPD art. 15 and 20)
 *   subscriptions.c «Abonnements»: topics chosen, double opt-in, leaving by link
 *               (portal_unsubscribe_routes: the one-click POST, mounted without the
 *               form admission since mail clients hold no CSRF cookie)
 *   addresses.c the collectivité's address list as JSON (search, nearest address) for the
 *               location step's scripts, mounted at "/adresses/" with its JSON error writer
 */
#ifndef GUICHET_WEB_PORTAL_H
#define GUICHET_WEB_PORTAL_H

#include "core/actor.h"
#include "http/http.h"
#include "web/web.h"

extern const http_route portal_filing_routes[];
extern const http_route portal_tracking_routes[];
extern const http_route portal_account_routes[];
/* «Vérifier mon numéro» (account_phone.c). */
extern const http_route portal_account_phone_routes[];
extern const http_route portal_files_routes[];
extern const http_route portal_data_routes[];
/* /verifier/{code}: what a document's verification code confirms (verify.c). */
extern const http_route portal_verify_routes[];
extern const http_route portal_address_routes[];
/* /donnees-ouvertes/signalements.{csv,geojson}: the public incidents as open data
 * (opendata.c). */
extern const http_route portal_opendata_routes[];
extern const http_route portal_subscription_routes[];
extern const http_route portal_unsubscribe_routes[];
/* The /adresses mount's errors: JSON, {"error": {"code", "message", "argument"}}. */
void portal_address_write_error(http_req *rq, const error *e);

/* The logged-in citizen: 0 and *acc (strings in rq's arena). Otherwise -1 after answering: the
 * visitor is sent to the login page, which brings them back to `back` (a local path). */
int portal_require_login(http_req *rq, store_account *acc, const char *back);
/* The citizen acting from this request, as core is told: with their account's id when they
 * are logged in (account_id > 0), anonymous otherwise; source web_audit_source. Strings in
 * rq->arena: valid for the request. */
core_actor portal_citizen(http_req *rq, int64_t account_id);

#endif
