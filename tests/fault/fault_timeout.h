/*
 * fault_timeout — the fault loops over a workflow timeout's jump (core/workflow_timeout.h):
 * the jump's run made to fail at its Nth allocation or storage write, then the scheduler
 * run again as it would be, must leave the request moved exactly once.
 */
#ifndef GUICHET_TESTS_FAULT_TIMEOUT_H
#define GUICHET_TESTS_FAULT_TIMEOUT_H

/* Runs the loop over allocations (io 0) or storage writes (io 1), one N in stride; prints
 * its line as fault_loop's do and adds to *passed or *failed. */
void fault_timeout_loop(int io, long stride, int *passed, int *failed);

#endif
