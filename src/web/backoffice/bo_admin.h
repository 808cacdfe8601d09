/*
 * bo_admin — what the administration's pages share across files (bo_admin.c, bo_rgpd.c):
 * the tabs every page under /agent/admin shows.
 */
#ifndef GUICHET_WEB_BACKOFFICE_BO_ADMIN_H
#define GUICHET_WEB_BACKOFFICE_BO_ADMIN_H

#include <jansson.h>

#include "web/backoffice/bo_common.h"

/* The administration's tabs [{href, label, current}] with `current` (a tab's path) marked;
 * a new array. */
json_t *bo_admin_tabs(bo_page *p, const char *current);

#endif
