/*
 * timeutil — instants as int64 unix seconds, RFC 3339 formatting with a numeric zone offset
 * in a given IANA zone, and strict RFC 3339 / ISO 8601 parsing of client input.
 */
#ifndef GUICHET_UTIL_TIMEUTIL_H
#define GUICHET_UTIL_TIMEUTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define TIME_RFC3339_LEN 32

/* Current unix time in seconds. */
int64_t time_now(void);
/* Monotonic milliseconds, for durations. */
int64_t time_mono_ms(void);
/* Writes t as "2026-11-29T08:30:00+01:00" in zone `tz` (IANA name; NULL or "" means UTC,
 * written with "+00:00"; an unknown zone is logged once and treated as UTC) into out (at
 * least TIME_RFC3339_LEN bytes). t is clamped to years 0000..9999. Thread-safe. */
void time_format_rfc3339(int64_t t, const char *tz, char *out);
/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" (T, t or space; z; +HHMM too; the
 * fraction is ignored; :60 is the next second) or "YYYY-MM-DD" (start of that day, UTC).
 * Returns 0 and *out, or -1 when the text is not exactly one of those or a field is out of
 * range. */
int time_parse_rfc3339(const char *s, int64_t *out);
/* Parses a wall-clock time without offset, "YYYY-MM-DDTHH:MM[:SS[.frac]]" (T, t or space: what
 * <input type=datetime-local> sends), as the time shown by clocks in zone tz (NULL or "": UTC).
 * Returns 0 and *out, or -1 when the text is not exactly that (an offset included: that is
 * time_parse_rfc3339's). */
int time_parse_local(const char *s, const char *tz, int64_t *out);
/* The instant at which clocks in zone tz show `wall` (seconds since the epoch as if the clock
 * showed UTC). In the hour skipped or repeated when clocks change, one of the two offsets. */
int64_t time_from_local(int64_t wall, const char *tz);
/* Year (e.g. 2026) of t in zone tz. */
int time_year(int64_t t, const char *tz);
/* The date clocks in zone tz show at t, as days since 1970-01-01 (negative before). Thread-safe
 * and cheap for instants in one period of constant offset (a per-thread cache). */
int64_t time_local_day(int64_t t, const char *tz);
/* The calendar date of `day` (days since 1970-01-01). */
void time_day_civil(int64_t day, int *year, unsigned *month, unsigned *mday);
/* The ISO 8601 week of `day`: weeks start on Monday and belong to the year of their Thursday
 * (2027-01-01, a Friday, is in 2026-W53). */
void time_day_iso_week(int64_t day, int *iso_year, unsigned *week);

/* Initialises cv on the monotonic clock, so that a timed wait does not stretch or shrink
 * when the wall clock is set. 0, or -1 (cv not initialised). */
int time_cond_init(pthread_cond_t *cv);
/* The worker threads' pause: waits on cv (made by time_cond_init; mu locked by the caller,
 * and locked again on return) until *flag or *other (NULL: no second flag) is non-zero or ms
 * milliseconds have passed. The caller reads the flags it cares about on return. */
void time_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms, const int *flag,
                       const int *other);

#endif
