/* progress.h: a progress line on stderr, only when stderr is a terminal and
 * the tool was not given -q.  At most ~6 updates a second; percent, rate, ETA.
 * progress_done() prints one summary line (unless quiet) on any stderr. */
#ifndef RESCUE_PROGRESS_H
#define RESCUE_PROGRESS_H

#include <stdint.h>

struct progress {
	const char *what;     /* e.g. "reading" */
	const char *unit;     /* "B" for bytes (shown as KiB/MiB...), else a noun */
	uint64_t total;       /* 0 = unknown */
	uint64_t done;
	double start, last;
	int tty, quiet;
};

void progress_init(struct progress *p, const char *what, const char *unit,
		   uint64_t total, int quiet);
void progress_update(struct progress *p, uint64_t done);
/* Erase the line and print "TOOL: <text>" built from fmt (unless quiet). */
void progress_done(struct progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* MooseFS mfsmetarestore's line, byte for byte (scripts parse it):
 * "\rprogress: current change: CUR (first:FIRST - last:LAST - P% - ETA:Ns)",
 * throttled and on a tty only; final (ETA:finished, then a newline) is
 * printed on any stderr.  Nothing when quiet. */
void progress_changes(struct progress *p, uint64_t cur, uint64_t first,
		      uint64_t last, int final);
/* Seconds since progress_init. */
double progress_elapsed(const struct progress *p);
/* Erase a progress line if one is showing (err.c calls this). */
void progress_clear(void);
/* Format n bytes as "1.5 MiB" into buf. */
const char *progress_human(char *buf, unsigned n, double bytes);

#endif
