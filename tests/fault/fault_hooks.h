/*
 * fault_hooks — fail the Nth allocation (guichet's own, jansson's, SQLite's) or the Nth
 * storage write, once, to test what the server does with a failure at every step of a
 * request. See fault_hooks.c for how the hooks are wired.
 */
#ifndef GUICHET_TESTS_FAULT_HOOKS_H
#define GUICHET_TESTS_FAULT_HOOKS_H

/* Points jansson and SQLite at the hooks and registers the fault VFS as SQLite's default.
 * Call before anything opens a database. -1 on failure. */
int fault_hooks_install(void);

/* The calling thread's allocations never fail (the test's own thread). */
void fault_alloc_exempt_this_thread(void);
/* From now on, the nth allocation (n >= 1) of the other threads fails, once. */
void fault_alloc_arm(long n);
void fault_alloc_disarm(void);
/* Whether the armed failure happened. */
int fault_alloc_fired(void);

/* From now on, the nth write, sync or truncate of the database files fails, once, with an
 * I/O error (or SQLITE_FULL when full). */
void fault_io_arm(long n, int full);
void fault_io_disarm(void);
int fault_io_fired(void);

#endif
