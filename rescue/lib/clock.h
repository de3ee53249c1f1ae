/* clock.h: the monotonic clock, for rates, timeouts and throttling (never
 * for what a tool prints as a date: wall time there, SOURCE_DATE_EPOCH). */
#ifndef RESCUE_CLOCK_H
#define RESCUE_CLOCK_H

/* Seconds on CLOCK_MONOTONIC, with nanoseconds as the fraction. */
double clock_now(void);

#endif
