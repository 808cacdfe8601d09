/*
 * workdays — the French calendar of public holidays (the eleven of the Code du travail,
 * art. L3133-1, Easter by the Gregorian computus; Good Friday and 26 December in
 * Alsace-Moselle), working days, and the day a delay counted in days ends.
 *
 * Days are counted as day numbers: days since 1970-01-01 of the proleptic Gregorian calendar
 * (workdays_day / workdays_civil convert). Years 1583 to 9999.
 */
#ifndef GUICHET_UTIL_WORKDAYS_H
#define GUICHET_UTIL_WORKDAYS_H

#include <stdint.h>

/* Where the holidays are those of: the national list, or with Alsace-Moselle's two more. */
typedef enum workdays_region { WORKDAYS_FRANCE = 0, WORKDAYS_ALSACE_MOSELLE = 1 } workdays_region;

/* How a delay is counted: calendar days (jours calendaires) or working days (jours ouvrés:
 * Monday to Friday, public holidays excluded). */
/* And calendar months (the law's «deux mois»: to the same-numbered day). */
typedef enum workdays_count {
    WORKDAYS_CALENDAR = 0,
    WORKDAYS_WORKING = 1,
    WORKDAYS_MONTHS = 2
} workdays_count;

/* Day number of a civil date (no range check), and back. */
int64_t workdays_day(int y, int m, int d);
void workdays_civil(int64_t day, int *y, int *m, int *d);
/* Day of the week of a day number: 1 Monday … 7 Sunday (ISO 8601). */
int workdays_weekday(int64_t day);

/* Easter Sunday of year y (Gregorian, y >= 1583) as its month (3 or 4) and day. */
void workdays_easter(int y, int *month, int *day);

/* The French name of the public holiday on day ("Lundi de Pâques"), NULL when it is none. */
const char *workdays_holiday(int64_t day, workdays_region region);

/* 1 when day is a working day (jour ouvré): Monday to Friday and no public holiday. */
int workdays_is_working_day(int64_t day, workdays_region region);

/* The n-th working day after day (n >= 0; 0: day itself when it is one, else the next). */
int64_t workdays_add_working(int64_t day, int n, workdays_region region);
/* day + n calendar days. */
int64_t workdays_add_calendar(int64_t day, int n);
/* The same-numbered day n months after day (n >= 0), or the last day of that month when it
 * has no such day (31 January + 1 month: 28 or 29 February). */
int64_t workdays_add_months(int64_t day, int n);

/* The day a delay of n days started on day `start` ends (the rule of the Code de procédure
 * civile, art. 641-642, which the administrative courts apply to the CRPA's delays): the
 * start day does not count; in calendar days, a delay whose last day is a Saturday, a Sunday
 * or a public holiday is extended to the next working day; in months, it ends on the
 * same-numbered day n months later (workdays_add_months), extended the same way; in working
 * days, the n-th working day after the start day. */
int64_t workdays_due_day(int64_t start, int n, workdays_count count, workdays_region region);

/* The instant a delay of n days from instant t ends in zone tz (IANA; NULL: UTC): the last
 * second (23:59:59 by the zone's clocks) of workdays_due_day of t's local day, since a delay
 * runs to the end of its last day and a due date is shown as that day. */
int64_t workdays_due_at(int64_t t, const char *tz, int n, workdays_count count,
                        workdays_region region);

/* The day number of instant t in zone tz. */
int64_t workdays_local_day(int64_t t, const char *tz);

#endif
