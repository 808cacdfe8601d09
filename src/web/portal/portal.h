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
 *   data.c      «Mes données personnelles»: the citizen's archive (RGPD art. 15 and 20)
 */
#ifndef GUICHET_WEB_PORTAL_H
#define GUICHET_WEB_PORTAL_H

#include "http/http.h"
#include "web/web.h"

extern const http_route portal_filing_routes[];
extern const http_route portal_tracking_routes[];
extern const http_route portal_account_routes[];
extern const http_route portal_files_routes[];
extern const http_route portal_data_routes[];

/* The logged-in citizen: 0 and *acc (strings in rq's arena). Otherwise -1 after answering: the
 * visitor is sent to the login page, which brings them back to `back` (a local path). */
int portal_require_login(http_req *rq, store_account *acc, const char *back);

#endif
