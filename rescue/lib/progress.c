/* progress.c: zstd-style progress: tty only, throttled, one summary line. */
#include "lib/progress.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int showing; /* a line without newline is on the terminal */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *
progress_human(char *buf, unsigned n, double bytes)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	unsigned u = 0;

	while (bytes >= 1024 && u < 5) {
		bytes /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%.0f B", bytes);
	else
		snprintf(buf, n, "%.1f %s", bytes, units[u]);
	return buf;
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
	p->start = p->last = now();
}

static void
amount(char *buf, unsigned n, const struct progress *p, double v)
{
	if (strcmp(p->unit, "B") == 0)
		progress_human(buf, n, v);
	else
		snprintf(buf, n, "%.0f %s", v, p->unit);
}

void
progress_update(struct progress *p, uint64_t done)
{
	char line[256], a[32], r[32], eta[32] = "";
	double t, el, rate;
	int len;

	p->done = done;
	if (!p->tty)
		return;
	t = now();
	if (t - p->last < 0.16)
		return;
	p->last = t;
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
	if (len > 0 && write_full(2, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1) == 0)
		showing = 1;
}

double
progress_elapsed(const struct progress *p)
{
	return now() - p->start;
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
