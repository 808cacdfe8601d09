/*
 * present/tenant — the collectivité as every renderer shows it (the portal's and the back
 * office's layouts, error pages, e-mails): its name, logo, colours, contact details and
 * opening hours worded in one language, from its record and branding. One builder, so that
 * a page footer and an e-mail signature never say two different things.
 */
#ifndef GUICHET_PRESENT_TENANT_H
#define GUICHET_PRESENT_TENANT_H

#include <jansson.h>

#include "present/present.h"
#include "store/records.h"

/* The path the logo is served at ("/logo.png"); its URL carries the logo's hash as ?v= so
 * that browsers may keep it for a year. */
#define PRESENT_LOGO_PATH "/logo.png"
/* The height a logo is shown at in the portal's header, in CSS pixels. */
#define PRESENT_LOGO_HEIGHT 48

/* A new JSON object (caller decrefs; NULL when out of memory) for templates' `tenant`:
 * name, slug, contact (text), address_lines[], phone, phone_href ("tel:+33…"), email,
 * website, has_details (any of those four), has_contact (those or contact), hours[] of {days,
 * times} (days with the same hours grouped: «Du lundi au vendredi», «8 h 30 – 12 h et 13 h 30 – 17
 * h 30»), hours_notes[] (paragraphs), has_week (hours[] not empty), has_hours (either), logo_url
 * ("" without a logo), logo_width and logo_height (at PRESENT_LOGO_HEIGHT), colour,
 * colour_secondary, colour_dark ("#rrggbb"), map {lat, lon, zoom}. t may be NULL (a request no
 * collectivité answers): "guichet" and the defaults. b may be NULL: no branding. */
json_t *present_tenant(const present *p, lang l, const store_tenant *t, const store_branding *b);

#endif
