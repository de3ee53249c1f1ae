/* leofs.c: metapick for LeoFS manager Mnesia directories
 * (work/mnesia/127.0.0.1/: schema.DAT, <Table>.DCD, <Table>.DCL, LATEST.LOG;
 * docs/recipes/facts.md 2.1).  A directory without *.DCD makes a starting
 * manager create a new, empty configuration, so it is unusable.
 * LATEST.LOG is an Erlang disk_log: magic 01 02 03 04, then 06 07 08 09
 * (opened) or 63 58 4d 0b (closed), then records <<Size:32, "bWLA" (or
 * 0c 21 2c 37), term_to_binary(Term)>>; the first record is Mnesia's
 * {log_header, trans_log, Version, MnesiaVersion, Node, {Mega, Sec, Micro}}
 * written when the log was started (at the last dump), then one record per
 * committed transaction.  Rank: that time, then the number of commits. */
#include "metapick/metapick.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_LOG ((size_t)1 << 31)

/* A tiny reader for the Erlang external term format (just what the
 * log_header holds).  Every read is bounds checked; -1 on anything else. */
struct etf {
	const uint8_t *p;
	size_t n, i;
};

static int
etf_u8(struct etf *e, unsigned *v)
{
	if (e->i + 1 > e->n)
		return -1;
	*v = e->p[e->i++];
	return 0;
}

static int
etf_be(struct etf *e, size_t bytes, uint64_t *v)
{
	if (e->i + bytes > e->n)
		return -1;
	*v = 0;
	for (size_t k = 0; k < bytes; k++)
		*v = *v << 8 | e->p[e->i++];
	return 0;
}

/* An atom or a string (or [] for ""), copied into out. */
static int
etf_text(struct etf *e, char *out, size_t cap)
{
	unsigned tag;
	uint64_t len;

	if (etf_u8(e, &tag))
		return -1;
	if (tag == 106) { /* NIL_EXT: "" */
		out[0] = 0;
		return 0;
	}
	if (tag == 100 || tag == 118 || tag == 107) { /* ATOM, ATOM_UTF8, STRING */
		if (etf_be(e, 2, &len))
			return -1;
	} else if (tag == 115 || tag == 119) { /* SMALL_ATOM(_UTF8) */
		if (etf_be(e, 1, &len))
			return -1;
	} else {
		return -1;
	}
	if (e->i + len > e->n)
		return -1;
	snprintf(out, cap, "%.*s", (int)(len < cap ? len : cap - 1), (const char *)e->p + e->i);
	e->i += len;
	return 0;
}

static int
etf_int(struct etf *e, uint64_t *v)
{
	unsigned tag, n, sign;

	if (etf_u8(e, &tag))
		return -1;
	if (tag == 97) /* SMALL_INTEGER */
		return etf_be(e, 1, v);
	if (tag == 98) { /* INTEGER, signed 32 */
		if (etf_be(e, 4, v) || (*v & 0x80000000u))
			return -1;
		return 0;
	}
	if (tag == 110) { /* SMALL_BIG: n, sign, n bytes little-endian */
		if (etf_u8(e, &n) || etf_u8(e, &sign) || sign || n > 8 || e->i + n > e->n)
			return -1;
		*v = 0;
		for (unsigned k = n; k-- > 0;)
			*v = *v << 8 | e->p[e->i + k];
		e->i += n;
		return 0;
	}
	return -1;
}

static int
etf_tuple(struct etf *e, unsigned arity)
{
	unsigned tag, a;

	if (etf_u8(e, &tag) || tag != 104 || etf_u8(e, &a) || a != arity)
		return -1;
	return 0;
}

static int
parse_header(const uint8_t *p, size_t n, struct mp_leo_log *l)
{
	struct etf e = { p, n, 0 };
	char tag[32], ver[32], mver[32];
	uint64_t mega, sec, micro;
	unsigned v;

	if (etf_u8(&e, &v) || v != 131 || etf_tuple(&e, 6) ||
	    etf_text(&e, tag, sizeof tag) || strcmp(tag, "log_header") != 0 ||
	    etf_text(&e, l->kind, sizeof l->kind) || etf_text(&e, ver, sizeof ver) ||
	    etf_text(&e, mver, sizeof mver) || etf_text(&e, l->node, sizeof l->node) ||
	    etf_tuple(&e, 3) || etf_int(&e, &mega) || etf_int(&e, &sec) ||
	    etf_int(&e, &micro) || mega > 100000000 || sec >= 1000000 || micro >= 1000000)
		return -1;
	l->time_us = (mega * 1000000 + sec) * 1000000 + micro;
	return 0;
}

void
mp_leo_log_parse(const uint8_t *buf, size_t n, struct mp_leo_log *l)
{
	size_t pos = 8;

	memset(l, 0, sizeof *l);
	if (n < 8 || memcmp(buf, "\1\2\3\4", 4) != 0) {
		l->why = "not a disk_log file (bad magic)";
		return;
	}
	if (memcmp(buf + 4, "\x63\x58\x4d\x0b", 4) == 0)
		l->closed = 1;
	else if (memcmp(buf + 4, "\6\7\10\11", 4) != 0) {
		l->why = "not a disk_log file (bad state)";
		return;
	}
	l->valid = 1;
	while (pos < n) {
		uint64_t size;

		if (n - pos < 8 || (memcmp(buf + pos + 4, "bWLA", 4) != 0 &&
				    memcmp(buf + pos + 4, "\x0c\x21\x2c\x37", 4) != 0)) {
			l->torn = 1;
			break;
		}
		size = (uint64_t)buf[pos] << 24 | (uint64_t)buf[pos + 1] << 16 |
		       (uint64_t)buf[pos + 2] << 8 | buf[pos + 3];
		if (size > n - pos - 8) {
			l->torn = 1;
			break;
		}
		if (!l->has_header && l->records == 0) {
			if (parse_header(buf + pos + 8, (size_t)size, l) == 0)
				l->has_header = 1;
			else
				l->why = "first record is not a Mnesia log_header";
		} else {
			l->records++;
		}
		pos += 8 + (size_t)size;
		if (!l->has_header)
			break;
	}
}

int
mp_leo_detect(int dirfd)
{
	size_t n;
	char **v = dir_names(dirfd, &n);
	int found = 0;

	for (size_t i = 0; i < n && !found; i++) {
		size_t len = strlen(v[i]);
		found = strcmp(v[i], "schema.DAT") == 0 || strcmp(v[i], "LATEST.LOG") == 0 ||
			(len > 4 && strcmp(v[i] + len - 4, ".DCD") == 0);
	}
	dir_names_free(v);
	if (!found) {
		/* an install dir: work/mnesia/<ip>/ */
		int w = openat(dirfd, "work/mnesia", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (w >= 0) {
			found = 1;
			close(w);
		}
	}
	return found;
}

/* The manager's own tables (leo_manager_sup.erl, leo_redundant_manager):
 * missing ones are worth a warning. */
static const char *core[] = {
	"leo_members_cur", "leo_ring_cur", "leo_storage_nodes", "leo_gateway_nodes",
	"leo_system_conf",
};

/* "key = value" from leo_manager.conf (cuttlefish format); malloc'd or NULL */
static char *
conf_get(const char *buf, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *q = p, *end;

		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, key, kl) != 0)
			continue;
		q += kl;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		end = q + strcspn(q, "\r\n");
		while (end > q && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		return mp_strf("%.*s", (int)(end - q), q);
	}
	return NULL;
}

/* the mnesia directory: dirfd itself, or an install dir's single
 * work/mnesia/<dir>; a new descriptor */
static int
mnesia_dir(int dirfd, struct mp_cand *c)
{
	int fd = dup(dirfd);
	int w = openat(fd, "work/mnesia", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (w >= 0) {
		size_t k;
		char **sub = dir_names(w, &k);
		if (k == 1) {
			int s = openat(w, sub[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (s >= 0) {
				close(fd);
				fd = s;
			}
		} else {
			mp_unusable(c, "work/mnesia holds %zu entries; name the mnesia "
				    "directory itself", k);
		}
		dir_names_free(sub);
		close(w);
	}
	return fd;
}

/* schema.DAT and the table files (.DCD, .DCL), the core tables among them */
static void
scan_tables(int fd, struct mp_cand *c)
{
	size_t n, ndcd = 0, ndcl = 0;
	char **names = dir_names(fd, &n);
	char tables[512] = "";
	int schema = 0;

	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(names[i]);
		if (strcmp(names[i], "schema.DAT") == 0)
			schema = 1;
		if (nl > 4 && strcmp(names[i] + nl - 4, ".DCD") == 0)
			ndcd++;
		if (nl > 4 && strcmp(names[i] + nl - 4, ".DCL") == 0)
			ndcl++;
	}
	for (size_t k = 0; k < sizeof core / sizeof core[0]; k++) {
		char want[64];
		int found = 0;

		snprintf(want, sizeof want, "%s.DCD", core[k]);
		for (size_t i = 0; i < n && !found; i++)
			found = strcmp(names[i], want) == 0;
		if (!found && ndcd)
			snprintf(tables + strlen(tables), sizeof tables - strlen(tables), "%s%s",
				 tables[0] ? ", " : "", core[k]);
	}
	dir_names_free(names);
	mp_fact_bool(c, "schema", schema);
	mp_fact_num(c, "dcd_files", ndcd);
	mp_fact_num(c, "dcl_files", ndcl);
	if (tables[0])
		mp_warn(c, "no .DCD for %s", tables);
	if (!schema)
		mp_unusable(c, "no schema.DAT");
	if (!ndcd)
		mp_unusable(c, "no .DCD table files: a manager started on it creates a new, "
			    "empty cluster configuration");
}

/* LATEST.LOG into l, and its facts */
static void
scan_log(int fd, struct mp_cand *c, struct mp_leo_log *l)
{
	size_t len = 0;
	char *buf = mp_slurp(fd, "LATEST.LOG", MAX_LOG, &len);

	if (!buf) {
		mp_unusable(c, "no readable LATEST.LOG");
		memset(l, 0, sizeof *l);
	} else {
		mp_leo_log_parse((const uint8_t *)buf, len, l);
		free(buf);
		if (!l->valid || !l->has_header)
			mp_unusable(c, "LATEST.LOG: %s", l->why ? l->why : "no log header");
	}
	mp_fact_str(c, "log_node", l->has_header ? l->node : NULL);
	if (l->has_header) {
		char when[64];
		time_t t = (time_t)(l->time_us / 1000000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		mp_fact_str(c, "log_started", when);
		mp_fact_num(c, "log_started_us", l->time_us);
	} else {
		mp_fact_null(c, "log_started");
		mp_fact_null(c, "log_started_us");
	}
	mp_fact_num(c, "log_commits", l->records);
	mp_fact_bool(c, "log_closed", l->closed);
}

void
mp_leo_scan(int dirfd, struct mp_cand *c)
{
	struct mp_leo_log l;
	int fd;
	char *nodename, *partner;

	c->kind = "leofs";
	{
		size_t cl;
		char *conf = mp_slurp(dirfd, "etc/leo_manager.conf", 1 << 20, &cl);

		nodename = conf ? conf_get(conf, "nodename") : NULL;
		partner = conf ? conf_get(conf, "manager.partner") : NULL;
		free(conf);
	}
	fd = mnesia_dir(dirfd, c);
	scan_tables(fd, c);
	scan_log(fd, c, &l);
	mp_fact_str(c, "conf_nodename", nodename);
	mp_fact_str(c, "conf_partner", partner);
	if (nodename && l.has_header && strcmp(nodename, l.node) != 0)
		mp_warn(c, "etc/leo_manager.conf names the node %s but the mnesia log was "
			"written by %s: files copied from another node work only when both "
			"managers share the schema (in-place recovery); otherwise use the "
			"dump-mnesia-data / load-mnesia-data take-over", nodename, l.node);
	free(nodename);
	free(partner);
	if (l.valid && !l.closed)
		mp_warn(c, "LATEST.LOG was not closed (the manager crashed or is still "
			"running); Mnesia repairs it on start");
	if (l.torn)
		mp_warn(c, "LATEST.LOG ends with an incomplete record (dropped on repair)");
	if (l.has_header) {
		c->has_key = 1;
		c->key = l.time_us;
		c->key2 = l.records;
		c->prefer = 1;
		c->key_text = mp_strf("log %llu+%llu", (unsigned long long)(l.time_us / 1000000),
				      (unsigned long long)l.records);
	}
	close(fd);
}
