/* report.c: metapick's ranking, its decision and the two outputs (the
 * table, whose last line is the chosen directory, and --json, whose layout
 * is documented in docs/man/metapick.1 and kept stable for recipes). */
#include "metapick/metapick.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Order: usable, then unusable, then unreadable; higher key, preferred
 * (FOLLOWER), higher key2; then the order given (array address). */
static int
better(const void *x, const void *y)
{
	const struct mp_cand *a = *(struct mp_cand *const *)x;
	const struct mp_cand *b = *(struct mp_cand *const *)y;
	int ca = a->status ? 2 : a->problem ? 1 : 0, cb = b->status ? 2 : b->problem ? 1 : 0;

	if (ca != cb)
		return ca - cb;
	if (a->has_key != b->has_key)
		return b->has_key - a->has_key;
	if (a->key != b->key)
		return a->key < b->key ? 1 : -1;
	if (a->prefer != b->prefer)
		return b->prefer - a->prefer;
	if (a->key2 != b->key2)
		return a->key2 < b->key2 ? 1 : -1;
	return a < b ? -1 : a > b;
}

static void
observer_steps(struct mp_cand *c)
{
	if (strcmp(c->kind, "doris") == 0)
		mp_warn(c, "the chosen copy is from an OBSERVER: before starting it, edit "
			"image/ROLE role=OBSERVER to role=FOLLOWER, then start it with "
			"metadata_failure_recovery (Doris procedure); afterwards remove the "
			"key, restart, and DROP and re-ADD the other FEs");
	else
		mp_warn(c, "the chosen copy is from an OBSERVER: the documented procedure "
			"needs extra steps: edit image/ROLE role=OBSERVER to FOLLOWER, add the "
			"reset key (bdbje_reset_election_group=true, or metadata_failure_recovery"
			"=true before 3.1.10/3.2.5), start and check it, remove the key without "
			"restarting, DROP every other FE, ADD a new FOLLOWER on a new host started "
			"with --helper, then stop all, put the reset key on the new follower only, "
			"start it, check, remove the key and restart (StarRocks Meta_recovery.md)");
}

int
mp_rank(struct mp_cand *c, size_t n, const char *kind, char **reason)
{
	struct mp_cand **order = xcalloc(n + 1, sizeof *order), *b;
	int chosen = -1, unreadable = 0;
	const struct mp_cand *id1 = NULL, *id2 = NULL, *tok1 = NULL, *tok2 = NULL;

	*reason = NULL;
	for (size_t i = 0; i < n; i++) {
		order[i] = &c[i];
		if (c[i].status)
			unreadable = 1;
		if (!c[i].status && c[i].identity) {
			if (!id1)
				id1 = &c[i];
			else if (!id2 && strcmp(id1->identity, c[i].identity) != 0)
				id2 = &c[i];
		}
		if (!c[i].status && c[i].identity2) {
			if (!tok1)
				tok1 = &c[i];
			else if (!tok2 && strcmp(tok1->identity2, c[i].identity2) != 0)
				tok2 = &c[i];
		}
	}
	if (n)
		qsort(order, n, sizeof *order, better);
	b = order[0];
	if (unreadable) {
		*reason = xstrdup("some input could not be read; no copy is chosen");
	} else if (id2) {
		*reason = mp_strf("the copies belong to different clusters: %s in %s, %s in %s",
				  id1->identity, id1->dir, id2->identity, id2->dir);
	} else if (tok2) {
		*reason = mp_strf("the copies belong to different clusters: %s in %s, %s in %s",
				  tok1->identity2, tok1->dir, tok2->identity2, tok2->dir);
	} else if (n == 0 || b->problem || !b->has_key) {
		*reason = xstrdup("no usable copy");
	} else {
		chosen = (int)(b - c);
		if (!strcmp(kind, "moosefs"))
			*reason = mp_strf("highest change reachable without a gap: %llu",
					  (unsigned long long)b->key);
		else if (!strcmp(kind, "leofs"))
			*reason = mp_strf("newest LATEST.LOG (%s)", b->key_text);
		else
			*reason = mp_strf("largest complete image id: %llu (%s)",
					  (unsigned long long)b->key, b->prefer ? "FOLLOWER" : "OBSERVER");
		if ((!strcmp(kind, "starrocks") || !strcmp(kind, "doris")) && !b->prefer)
			observer_steps(b);
	}
	for (size_t r = 0; r < n; r++) {
		struct mp_cand *x = order[r];

		x->rank = (int)r + 1;
		if (x->status)
			x->verdict = "unreadable";
		else if (x->problem)
			x->verdict = "unusable";
		else if (chosen < 0)
			x->verdict = "candidate";
		else if (x == b)
			x->verdict = "chosen";
		else if (x->key == b->key && x->prefer == b->prefer && x->key2 == b->key2)
			x->verdict = "equal";
		else
			x->verdict = "older";
	}
	free(order);
	return chosen;
}

static void
fact_text(const struct mp_fact *f)
{
	switch (f->type) {
	case MP_STR: printf("%s=%s", f->key, f->str); break;
	case MP_NUM: printf("%s=%llu", f->key, (unsigned long long)f->num); break;
	case MP_BOOL: printf("%s=%s", f->key, f->num ? "yes" : "no"); break;
	default: printf("%s=-", f->key); break;
	}
}

static int
by_rank(const void *x, const void *y)
{
	return (*(struct mp_cand *const *)x)->rank - (*(struct mp_cand *const *)y)->rank;
}

static struct mp_cand **
ranked(struct mp_cand *c, size_t n)
{
	struct mp_cand **v = xcalloc(n + 1, sizeof *v);

	for (size_t i = 0; i < n; i++)
		v[i] = &c[i];
	qsort(v, n, sizeof *v, by_rank);
	return v;
}

void
mp_print_table(struct mp_cand *c, size_t n, const char *kind, int chosen,
	       const char *reason)
{
	struct mp_cand **v = ranked(c, n);

	printf("kind: %s, %zu candidate%s\n", kind, n, n == 1 ? "" : "s");
	printf("%-4s  %-10s  %-20s  %s\n", "RANK", "VERDICT", "KEY", "DIR");
	for (size_t i = 0; i < n; i++) {
		struct mp_cand *x = v[i];

		printf("%-4d  %-10s  %-20s  %s\n", x->rank, x->verdict,
		       x->key_text ? x->key_text : "-", x->dir);
		if (x->nfacts) {
			printf("      ");
			for (size_t k = 0; k < x->nfacts; k++) {
				if (k)
					putchar(' ');
				fact_text(&x->facts[k]);
			}
			putchar('\n');
		}
		if (x->problem)
			printf("      problem: %s\n", x->problem);
		for (size_t k = 0; k < x->nwarn; k++)
			printf("      warning: %s\n", x->warnings[k]);
	}
	if (chosen >= 0) {
		printf("chosen: %s: %s\n", c[chosen].dir, reason);
		printf("%s\n", c[chosen].dir);
	}
	free(v);
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
json_str_or_null(const char *s)
{
	if (s)
		json_str(s);
	else
		fputs("null", stdout);
}

void
mp_print_json(struct mp_cand *c, size_t n, const char *kind, int status, int chosen,
	      const char *reason)
{
	struct mp_cand **v = ranked(c, n);

	printf("{\"metapick\":1,\"kind\":");
	json_str(kind);
	printf(",\"status\":%d,\"chosen\":", status);
	json_str_or_null(chosen >= 0 ? c[chosen].dir : NULL);
	printf(",\"reason\":");
	json_str_or_null(reason);
	printf(",\"candidates\":[");
	for (size_t i = 0; i < n; i++) {
		struct mp_cand *x = v[i];

		printf("%s\n{\"rank\":%d,\"dir\":", i ? "," : "", x->rank);
		json_str(x->dir);
		printf(",\"kind\":");
		json_str_or_null(x->kind);
		printf(",\"verdict\":\"%s\",\"usable\":%s,\"key\":", x->verdict,
		       !x->status && !x->problem ? "true" : "false");
		if (x->has_key)
			printf("%llu", (unsigned long long)x->key);
		else
			fputs("null", stdout);
		printf(",\"key_text\":");
		json_str_or_null(x->key_text);
		printf(",\"identity\":");
		json_str_or_null(x->identity);
		printf(",\"identity2\":");
		json_str_or_null(x->identity2);
		printf(",\"problem\":");
		json_str_or_null(x->problem);
		printf(",\"facts\":{");
		for (size_t k = 0; k < x->nfacts; k++) {
			const struct mp_fact *f = &x->facts[k];
			printf("%s", k ? "," : "");
			json_str(f->key);
			putchar(':');
			if (f->type == MP_STR)
				json_str(f->str);
			else if (f->type == MP_NUM)
				printf("%llu", (unsigned long long)f->num);
			else if (f->type == MP_BOOL)
				fputs(f->num ? "true" : "false", stdout);
			else
				fputs("null", stdout);
		}
		printf("},\"warnings\":[");
		for (size_t k = 0; k < x->nwarn; k++) {
			printf("%s", k ? "," : "");
			json_str(x->warnings[k]);
		}
		printf("]}");
	}
	printf("\n]}\n");
	free(v);
}
