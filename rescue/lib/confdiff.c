/* confdiff.c: the unified diff between a parsed configuration file and its
 * edited copy (conf.h), in the format of `diff -u` that GNU patch applies:
 * "@@ -a,b +c,d @@" hunks with 3 lines of context, "\ No newline at end of
 * file" after a line without an ending.  No search is needed: every edited
 * line remembers which original line it came from (conf_line.orig). */
#include "lib/conf.h"
#include "lib/xio.h"

#include <stdlib.h>

#define CONTEXT 3

struct op {
	char kind;                  /* ' ', '-', '+' */
	const struct conf_line *l;
};

static void
put_line(FILE *out, char kind, const struct conf_line *l)
{
	fputc(kind, out);
	fwrite(l->text, 1, l->len, out);
	if (!l->eol)
		fputs("\n\\ No newline at end of file\n", out);
}

/* Within each run of changes, put the '-' lines before the '+' lines. */
static void
order_runs(struct op *op, size_t n, struct op *tmp)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i, k = 0;

		if (op[i].kind == ' ') {
			i++;
			continue;
		}
		while (j < n && op[j].kind != ' ')
			j++;
		for (size_t x = i; x < j; x++)
			if (op[x].kind == '-')
				tmp[k++] = op[x];
		for (size_t x = i; x < j; x++)
			if (op[x].kind == '+')
				tmp[k++] = op[x];
		for (size_t x = 0; x < k; x++)
			op[i + x] = tmp[x];
		i = j;
	}
}

static void
hunk(FILE *out, const struct op *op, size_t from, size_t to, size_t oline,
     size_t nline)
{
	size_t oc = 0, nc = 0;

	for (size_t i = from; i < to; i++) {
		oc += op[i].kind != '+';
		nc += op[i].kind != '-';
	}
	/* an empty side names the line before it (diff -u convention) */
	fprintf(out, "@@ -%zu", oc ? oline : oline - 1);
	if (oc != 1)
		fprintf(out, ",%zu", oc);
	fprintf(out, " +%zu", nc ? nline : nline - 1);
	if (nc != 1)
		fprintf(out, ",%zu", nc);
	fputs(" @@\n", out);
	for (size_t i = from; i < to; i++)
		put_line(out, op[i].kind, op[i].l);
}

void
conf_diff(FILE *out, const char *name, const struct conf *old,
	  const struct conf *new)
{
	size_t n = 0, o = 0, cap = old->n + new->n + 1;
	struct op *op = xcalloc(cap, sizeof *op), *tmp = xcalloc(cap, sizeof *op);
	size_t i, oline = 1, nline = 1, header = 0;

	for (size_t j = 0; j < new->n; j++) {
		size_t from = new->line[j].orig;

		if (from == CONF_NONE) {
			op[n++] = (struct op){ '+', new->line + j };
			continue;
		}
		while (o < from)
			op[n++] = (struct op){ '-', old->line + o++ };
		op[n++] = (struct op){ ' ', old->line + o++ };
	}
	while (o < old->n)
		op[n++] = (struct op){ '-', old->line + o++ };
	order_runs(op, n, tmp);

	i = 0;
	while (i < n) {
		size_t start, end, ostart, nstart, k;

		if (op[i].kind == ' ') {
			oline++;
			nline++;
			i++;
			continue;
		}
		/* a hunk: back up CONTEXT lines, then run until CONTEXT*2+1
		 * unchanged lines in a row (or the end) */
		start = i;
		ostart = oline;
		nstart = nline;
		for (k = 0; k < CONTEXT && start > 0 && op[start - 1].kind == ' '; k++) {
			start--;
			ostart--;
			nstart--;
		}
		end = i;
		for (;;) {
			size_t same = 0;

			while (end < n && op[end].kind != ' ') {
				oline += op[end].kind == '-';
				nline += op[end].kind == '+';
				end++;
			}
			while (end + same < n && op[end + same].kind == ' ' && same <= 2 * CONTEXT)
				same++;
			if (end + same < n && same <= 2 * CONTEXT) {
				oline += same;
				nline += same;
				end += same;
				continue;
			}
			k = same < CONTEXT ? same : CONTEXT;
			oline += k;
			nline += k;
			end += k;
			break;
		}
		if (!header++)
			fprintf(out, "--- %s\n+++ %s\n", name, name);
		hunk(out, op, start, end, ostart, nstart);
		i = end;
	}
	free(op);
	free(tmp);
}
