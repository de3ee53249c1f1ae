/* progress.c: zstd-style progress: tty only, throttled, one summary line. */
#include "lib/progress.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/human.h"
#include "lib/xio.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int showing; /* a line without newline is on the terminal */

const char *
progress_human(char *buf, unsigned n, double bytes)
{
	return human_size(buf, n, bytes, 1);
}

void
progress_clear(void)
{
	if (showing) {
		static const char erase[] = "\r\033[K";
		(void)write_full(2, erase, sizeof erase - 1);
		showing = 0;
	}
}

void
progress_init(struct progress *p, const char *what, const char *unit,
	      uint64_t total, int quiet)
{
	memset(p, 0, sizeof *p);
	p->what = what;
	p->unit = unit ? unit : "B";
	p->total = total;
	p->quiet = quiet;
	p->tty = !quiet && isatty(2);
	p->start = p->last = clock_now();
}

static void
amount(char *buf, unsigned n, const struct progress *p, double v)
{
	if (strcmp(p->unit, "B") == 0)
		progress_human(buf, n, v);
	else
		snprintf(buf, n, "%.0f %s", v, p->unit);
}

/* write a formatted line (snprintf's len, truncated to the buffer of n);
 * open: it ends without a newline, progress_clear erases it */
static void
put_line(const char *line, int len, size_t n, int open)
{
	if (len > 0 && write_full(2, line, (size_t)len < n ? (size_t)len : n - 1) == 0)
		showing = open;
}

/* 1 (and the time in *t) if a tty line is wanted now: ~6 a second */
static int
due(struct progress *p, double *t)
{
	if (!p->tty)
		return 0;
	*t = clock_now();
	if (*t - p->last < 0.16)
		return 0;
	p->last = *t;
	return 1;
}

void
progress_update(struct progress *p, uint64_t done)
{
	char line[256], a[32], r[32], eta[32] = "";
	double t, el, rate;
	int len;

	p->done = done;
	if (!due(p, &t))
		return;
	el = t - p->start;
	rate = el > 0 ? (double)done / el : 0;
	amount(a, sizeof a, p, (double)done);
	amount(r, sizeof r, p, rate);
	if (p->total && rate > 0 && done <= p->total) {
		double left = (double)(p->total - done) / rate;
		snprintf(eta, sizeof eta, " ETA %d:%02d", (int)left / 60, (int)left % 60);
	}
	if (p->total)
		len = snprintf(line, sizeof line, "\r\033[K%s: %s %5.1f%% %s (%s/s)%s",
			       prog, p->what, 100.0 * (double)done / (double)p->total,
			       a, r, eta);
	else
		len = snprintf(line, sizeof line, "\r\033[K%s: %s %s (%s/s)",
			       prog, p->what, a, r);
	put_line(line, len, sizeof line, 1);
}

double
progress_elapsed(const struct progress *p)
{
	return clock_now() - p->start;
}

void
progress_done(struct progress *p, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	progress_clear();
	if (p->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	note("%s", text);
}

void
progress_changes(struct progress *p, uint64_t cur, uint64_t first,
		 uint64_t last, int final)
{
	char line[256], eta[32];
	double t, pct;
	int len;

	if (p->quiet || (!final && !due(p, &t)))
		return;
	if (final)
		t = clock_now();
	pct = last > first ? 100.0 * (double)(cur - first) / (double)(last - first) : 100.0;
	if (final || pct >= 100.0)
		snprintf(eta, sizeof eta, "finished");
	else
		snprintf(eta, sizeof eta, "%us",
			 (unsigned)(pct > 0 ? (t - p->start) * (100.0 - pct) / pct : 0));
	/* no "TOOL: " and no erase: the bytes MooseFS's mfsmetarestore prints */
	len = snprintf(line, sizeof line,
		       "\rprogress: current change: %llu (first:%llu - last:%llu - %u%% - ETA:%s)%s",
		       (unsigned long long)cur, (unsigned long long)first,
		       (unsigned long long)last, (unsigned)pct, eta, final ? "\n" : "");
	put_line(line, len, sizeof line, !final);
}
