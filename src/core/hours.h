/*
 * hours — a collectivité's weekly opening hours: up to three ranges a day, Monday first.
 * Parses what an administrator types for one day («8h30-12h, 13h30-17h30», «fermé»),
 * checks it (real times, each range forward, ranges in order without overlap) and keeps
 * the week in one canonical text the store holds and every renderer reads back. Pure: no
 * store, no strings of any language (present/ words them).
 */
#ifndef GUICHET_CORE_HOURS_H
#define GUICHET_CORE_HOURS_H

#include <stddef.h>

#define HOURS_DAYS 7
#define HOURS_RANGES_MAX 3
/* The canonical week: 7 days of at most 3 "HH:MM-HH:MM" joined by ',', days joined by '|'. */
#define HOURS_CANONICAL_MAX (HOURS_DAYS * (HOURS_RANGES_MAX * 12) + HOURS_DAYS)
/* What one day's field may hold as typed. */
#define HOURS_DAY_INPUT_MAX 100

typedef struct hours_range {
    int start, end; /* minutes after midnight, start < end <= 1440 */
} hours_range;

typedef struct hours_day {
    int n; /* 0: closed */
    hours_range r[HOURS_RANGES_MAX];
} hours_day;

typedef struct hours_week {
    hours_day day[HOURS_DAYS]; /* [0] Monday … [6] Sunday */
} hours_week;

typedef enum hours_problem {
    HOURS_OK = 0,
    HOURS_SYNTAX,   /* not times and dashes: «8h30 à midi» */
    HOURS_TIME,     /* a time that is not one: 25:00, 8:75 */
    HOURS_BACKWARD, /* a range that ends before it starts: 17:00-8:00 */
    HOURS_OVERLAP,  /* ranges out of order or overlapping */
    HOURS_TOO_MANY, /* more than HOURS_RANGES_MAX ranges */
} hours_problem;

/* Parses one day as typed: empty, «fermé», «ferme» or «closed» (any case) is closed;
 * otherwise ranges «H[:MM]-H[:MM]» (the hour and minutes separated by ':', 'h' or '.'; the
 * dash '-', '–', '—' or «à»/«to»), separated by ',', ';', '/', «et», «and» or spaces. *out
 * is filled only on HOURS_OK. */
hours_problem hours_parse_day(const char *text, hours_day *out);
/* The day as the form shows it back: "08:30-12:00, 13:30-17:30" ("" when closed). */
void hours_day_format(const hours_day *d, char *out, size_t size);
/* The week in canonical form into out (HOURS_CANONICAL_MAX + 1 bytes suffice); "" when
 * every day is closed (no hours set). */
void hours_format(const hours_week *w, char *out, size_t size);
/* Reads a canonical week (NULL or "": every day closed). 0, or -1 when s is not canonical
 * (a row written by something else than hours_format). */
int hours_parse(const char *s, hours_week *out);
/* 1 when days a and b have the same ranges. */
int hours_day_equal(const hours_day *a, const hours_day *b);

#endif
