/* starrocks.c: metapick for StarRocks and Apache Doris FE meta_dir copies.
 * Facts (docs/recipes/facts.md 1): image/ROLE and
 * image/VERSION are java.util.Properties files (role, name, hostType;
 * clusterId, token, runMode); the newest checkpoint is image/image.N with the
 * largest N (image.ckpt is a checkpoint still being written, *.part are
 * ignored); StarRocks may also write image/v2/image.N with v2/checksum.N, the
 * CRC32 in decimal, and loads the larger N (v2 on a tie).  Image headers:
 * Doris "COR1" ... "COR1"; StarRocks 3.x int32 meta version + {"beid":..};
 * older images begin with int32 -1. */
#include "metapick/metapick.h"
#include "lib/bytes.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "lib/xio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_PROPS 65536

void
mp_props_free(struct mp_props *p)
{
	free(p->role);
	free(p->name);
	free(p->host_type);
	free(p->cluster_id);
	free(p->token);
	free(p->run_mode);
	memset(p, 0, sizeof *p);
}

static int
hex4(const char *s, size_t n, unsigned *v)
{
	*v = 0;
	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Append the unescaped form of one Properties token character by character;
 * returns bytes of input consumed (escape aware). */
static size_t
take(const char *s, size_t n, char *out, size_t *o)
{
	if (s[0] != '\\' || n < 2) {
		out[(*o)++] = s[0];
		return 1;
	}
	switch (s[1]) {
	case 't': out[(*o)++] = '\t'; return 2;
	case 'n': out[(*o)++] = '\n'; return 2;
	case 'r': out[(*o)++] = '\r'; return 2;
	case 'f': out[(*o)++] = '\f'; return 2;
	case 'u': {
		unsigned v;
		if (hex4(s + 2, n - 2, &v) != 0)
			return 0;
		/* only ASCII matters for the keys metapick reads */
		out[(*o)++] = v < 128 && v ? (char)v : '?';
		return 6;
	}
	default:
		out[(*o)++] = s[1];
		return 2;
	}
}

static void
keep(struct mp_props *p, const char *key, const char *val)
{
	static const char *keys[] = { "role", "name", "hostType", "clusterId", "token",
				      "runMode" };
	char **slots[] = { &p->role, &p->name, &p->host_type, &p->cluster_id, &p->token,
			   &p->run_mode };

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(key, keys[i]) == 0) {
			free(*slots[i]);
			*slots[i] = xstrdup(val);
		}
	}
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\f';
}

/* Unescape line[*j..] into out (at *o, then NUL-terminated) up to a key's
 * end ('=', ':' or white space) when key, else to the end; -1 on a bad
 * escape. */
static int
take_run(const char *line, size_t len, size_t *j, char *out, size_t *o, int key)
{
	while (*j < len && !(key && (line[*j] == '=' || line[*j] == ':' || is_ws(line[*j])))) {
		size_t t = take(line + *j, len - *j, out, o);

		if (!t)
			return -1;
		*j += t;
	}
	out[*o] = 0;
	return 0;
}

int
mp_props_parse(const char *buf, size_t n, struct mp_props *p)
{
	char *line = xmalloc(n + 1), *key = xmalloc(n + 1), *val = xmalloc(n + 1);
	size_t i = 0;
	int rc = 0;

	memset(p, 0, sizeof *p);
	if (memchr(buf, 0, n)) {
		rc = -1;
		goto out;
	}
	while (i < n) {
		size_t len = 0, k = 0, v = 0, j = 0;

		/* one logical line: join continuations (odd trailing backslashes) */
		for (;;) {
			size_t start = i, bs = 0;
			while (i < n && buf[i] != '\n' && buf[i] != '\r')
				i++;
			for (size_t t = i; t > start && buf[t - 1] == '\\'; t--)
				bs++;
			memcpy(line + len, buf + start, i - start);
			len += i - start;
			if (i < n && buf[i] == '\r')
				i++;
			if (i < n && buf[i] == '\n')
				i++;
			if (bs % 2 == 0 || i >= n) {
				if (bs % 2)
					len--;
				break;
			}
			len--; /* drop the continuation backslash */
			while (i < n && is_ws(buf[i]))
				i++;
		}
		p->lines++;
		while (j < len && is_ws(line[j]))
			j++;
		if (j == len || line[j] == '#' || line[j] == '!')
			continue;
		if (take_run(line, len, &j, key, &k, 1) != 0) {
			rc = -1;
			goto out;
		}
		while (j < len && is_ws(line[j]))
			j++;
		if (j < len && (line[j] == '=' || line[j] == ':'))
			j++;
		while (j < len && is_ws(line[j]))
			j++;
		if (take_run(line, len, &j, val, &v, 0) != 0) {
			rc = -1;
			goto out;
		}
		keep(p, key, val);
	}
out:
	free(line);
	free(key);
	free(val);
	if (rc)
		mp_props_free(p);
	return rc;
}

const char *
mp_sr_image_check(const uint8_t *head, size_t n, const uint8_t *tail, uint64_t size,
		  int *complete)
{
	uint32_t v;

	*complete = 0;
	if (n < 8 || size < 8)
		return NULL;
	if (memcmp(head, "COR1", 4) == 0) {
		*complete = size >= 8 && memcmp(tail, "COR1", 4) == 0;
		return "doris-cor1";
	}
	v = get_be32(head);
	*complete = -1;
	if (v == 0xffffffffu)
		return "old";
	if (v >= 1 && v <= 1000 && n >= 9) {
		uint32_t len = get_be32(head + 4);
		if (len >= 2 && len < 65536 && head[8] == '{')
			return "starrocks-v1";
	}
	*complete = 0;
	return NULL;
}

static int
exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, 0) == 0;
}

/* "image.123" -> 123; -1 otherwise */
static int
image_id(const char *name, const char *prefix, uint64_t *n)
{
	size_t pl = strlen(prefix);

	if (strncmp(name, prefix, pl) != 0)
		return -1;
	return opt_parse_uint(name + pl, 0, OPT_DEC_MAX, n);
}

int
mp_sr_detect(int dirfd)
{
	return exists(dirfd, "image/ROLE") || exists(dirfd, "image/VERSION") ||
	       exists(dirfd, "ROLE") || exists(dirfd, "VERSION");
}

static int
cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Image ids in a directory, largest first. */
static uint64_t *
ids(int fd, const char *prefix, size_t *count, int *ckpt)
{
	size_t n, cap = 0;
	char **names = dir_names(fd, &n);
	uint64_t *v = NULL, id;

	*count = 0;
	for (size_t i = 0; i < n; i++) {
		if (ckpt && strcmp(names[i], "image.ckpt") == 0)
			*ckpt = 1;
		if (image_id(names[i], prefix, &id) == 0) {
			xgrow((void **)&v, &cap, *count + 1, sizeof *v);
			v[(*count)++] = id;
		}
	}
	dir_names_free(names);
	if (*count)
		qsort(v, *count, sizeof *v, cmp_desc);
	return v;
}

/* Check one v1 image; returns its format, or NULL (with *why) if unusable. */
static const char *
check_v1(int fd, const char *name, const char **why)
{
	uint8_t head[64], tail[4];
	struct stat st;
	int f = openat(fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY), complete;
	ssize_t k;
	const char *fmt;

	*why = NULL;
	if (f < 0 || fstat(f, &st) != 0) {
		*why = "cannot be read";
		if (f >= 0)
			close(f);
		return NULL;
	}
	k = read_full(f, head, sizeof head);
	if (k < 0 || (st.st_size >= 4 && pread_full(f, tail, 4, (uint64_t)st.st_size - 4) != 4)) {
		close(f);
		*why = "cannot be read";
		return NULL;
	}
	close(f);
	if (st.st_size == 0) {
		*why = "is empty";
		return NULL;
	}
	fmt = mp_sr_image_check(head, (size_t)k, tail, (uint64_t)st.st_size, &complete);
	if (!fmt) {
		*why = "has an unknown header";
		return NULL;
	}
	if (complete == 0) {
		*why = "is truncated (no COR1 footer)";
		return NULL;
	}
	return fmt;
}

/* v2/image.N against v2/checksum.N: "ok", "mismatch", "missing". */
static const char *
check_v2(int v2, uint64_t id, char **detail)
{
	char name[64], sum[32];
	uint8_t buf[65536];
	long k;
	uLong crc = crc32(0L, Z_NULL, 0);
	unsigned long long want;
	char *end;
	int f;

	*detail = NULL;
	snprintf(name, sizeof name, "checksum.%llu", (unsigned long long)id);
	k = mp_read(v2, name, sum, sizeof sum - 1);
	if (k <= 0)
		return "missing";
	sum[k] = 0;
	want = strtoull(sum, &end, 10);
	if (end == sum || (*end && *end != '\n'))
		return "mismatch";
	snprintf(name, sizeof name, "image.%llu", (unsigned long long)id);
	if ((f = openat(v2, name, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return "mismatch";
	while ((k = (long)read_full(f, buf, sizeof buf)) > 0)
		crc = crc32(crc, buf, (uInt)k);
	close(f);
	if (k < 0 || crc != want) {
		*detail = mp_strf("expect %llu actual %lu", want, crc);
		return "mismatch";
	}
	return "ok";
}

/* Last BDB JE log file (8 hex digits + .jdb) and the number of them. */
static void
bdb_facts(int meta, struct mp_cand *c, uint64_t *key2)
{
	int bdb = openat(meta, "bdb", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t n, count = 0;
	char **names, *last = NULL;
	uint64_t lastnum = 0;

	*key2 = 0;
	if (bdb < 0) {
		mp_fact_num(c, "bdb_files", 0);
		mp_fact_null(c, "bdb_last");
		return;
	}
	names = dir_names(bdb, &n);
	for (size_t i = 0; i < n; i++) {
		char *end;
		unsigned long long v;

		if (strlen(names[i]) != 12 || strcmp(names[i] + 8, ".jdb") != 0)
			continue;
		v = strtoull(names[i], &end, 16);
		if (end != names[i] + 8)
			continue;
		count++;
		if (!last || v >= lastnum) {
			last = names[i];
			lastnum = v;
		}
	}
	mp_fact_num(c, "bdb_files", count);
	mp_fact_str(c, "bdb_last", last);
	if (last) {
		struct stat st;
		uint64_t size = fstatat(bdb, last, &st, 0) == 0 ? (uint64_t)st.st_size : 0;
		*key2 = lastnum << 32 | (size >> 10 & 0xffffffffu);
	}
	dir_names_free(names);
	close(bdb);
}

static void
props_facts(int img, struct mp_cand *c, struct mp_props *role, struct mp_props *ver)
{
	size_t rl = 0, vl = 0;
	char *r = mp_slurp(img, "ROLE", MAX_PROPS, &rl), *v = mp_slurp(img, "VERSION", MAX_PROPS, &vl);

	memset(role, 0, sizeof *role);
	memset(ver, 0, sizeof *ver);
	if (!r && !v)
		mp_unusable(c, "no image/ROLE or image/VERSION (an FE started on it joins "
			    "as a new, empty node)");
	else if (!r || !v)
		mp_unusable(c, "image/%s without image/%s (FE refuses to start: role file "
			    "and version file must both exist or both not exist)",
			    r ? "ROLE" : "VERSION", r ? "VERSION" : "ROLE");
	if (r && mp_props_parse(r, rl, role) != 0)
		mp_unusable(c, "image/ROLE is not a properties file");
	if (v && mp_props_parse(v, vl, ver) != 0)
		mp_unusable(c, "image/VERSION is not a properties file");
	free(r);
	free(v);
	mp_fact_str(c, "role", role->role);
	mp_fact_str(c, "name", role->name);
	mp_fact_str(c, "host_type", role->host_type);
	mp_fact_str(c, "cluster_id", ver->cluster_id);
	mp_fact_str(c, "token", ver->token);
	mp_fact_str(c, "run_mode", ver->run_mode);
	if (role->role && strcmp(role->role, "FOLLOWER") && strcmp(role->role, "OBSERVER"))
		mp_unusable(c, "image/ROLE: role '%s' is neither FOLLOWER nor OBSERVER",
			    role->role);
	else if (r && !role->role)
		mp_unusable(c, "image/ROLE has no role");
	if (v) {
		char *end = NULL;
		unsigned long long id = ver->cluster_id ? strtoull(ver->cluster_id, &end, 10) : 0;
		if (!ver->cluster_id || *end || id < 1 || id > 2147483647ULL)
			mp_unusable(c, "image/VERSION: bad or missing clusterId");
		else {
			c->identity = mp_strf("clusterId %s", ver->cluster_id);
			if (ver->token)
				c->identity2 = mp_strf("token %s", ver->token);
		}
	}
	c->prefer = role->role && strcmp(role->role, "FOLLOWER") == 0;
}

void
mp_sr_scan(int dirfd, struct mp_cand *c, int want_doris)
{
	struct mp_props role, ver;
	int img = openat(dirfd, "image", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int meta = img >= 0, ckpt = 0, v2;
	size_t n1 = 0, n2 = 0;
	uint64_t *v1ids, *v2ids = NULL, best = 0, key2;
	const char *fmt = NULL, *v2state = NULL, *why;
	char file[96] = "";
	int have = 0, doris;

	if (img < 0)
		img = dup(dirfd);
	props_facts(img, c, &role, &ver);
	v1ids = ids(img, "image.", &n1, &ckpt);
	for (size_t i = 0; i < n1; i++) {
		char name[64];
		snprintf(name, sizeof name, "image.%llu", (unsigned long long)v1ids[i]);
		if ((fmt = check_v1(img, name, &why))) {
			best = v1ids[i];
			have = 1;
			snprintf(file, sizeof file, "%simage.%llu", meta ? "image/" : "",
				 (unsigned long long)best);
			break;
		}
		mp_warn(c, "%s%s %s; using an older image", meta ? "image/" : "", name, why);
	}
	v2 = openat(img, "v2", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v2 >= 0) {
		v2ids = ids(v2, "image.", &n2, NULL);
		for (size_t i = 0; i < n2; i++) {
			char *detail;
			const char *s = check_v2(v2, v2ids[i], &detail);

			if (strcmp(s, "ok") == 0) {
				v2state = "ok";
				if (!have || v2ids[i] >= best) {
					best = v2ids[i];
					have = 1;
					fmt = "starrocks-v2";
					snprintf(file, sizeof file, "%sv2/image.%llu", meta ? "image/" : "",
						 (unsigned long long)best);
				}
				break;
			}
			if (!v2state)
				v2state = s;
			mp_warn(c, "v2/image.%llu: checksum %s%s%s (StarRocks refuses to load it)",
				(unsigned long long)v2ids[i], s, detail ? ": " : "",
				detail ? detail : "");
			free(detail);
		}
		close(v2);
	}
	doris = want_doris > 0 || (want_doris == 0 &&
		(!role.host_type && !ver.run_mode && n2 == 0 &&
		 ((fmt && strcmp(fmt, "doris-cor1") == 0) ||
		  (role.name && strncmp(role.name, "fe_", 3) == 0))));
	c->kind = doris ? "doris" : "starrocks";
	mp_fact_num(c, "image", best);
	if (!have)
		c->facts[c->nfacts - 1].type = MP_NULL;
	mp_fact_str(c, "image_file", have ? file : NULL);
	mp_fact_str(c, "image_format", fmt);
	mp_fact_bool(c, "image_ckpt", ckpt);
	mp_fact_str(c, "v2_checksum", v2state);
	if (ckpt)
		mp_warn(c, "image.ckpt left by an interrupted checkpoint (FE ignores it; "
			"the copy is only as new as its largest complete image.N)");
	if (!have)
		mp_unusable(c, "no complete image.N");
	else {
		c->has_key = 1;
		c->key = best;
		c->key_text = mp_strf("image.%llu", (unsigned long long)best);
	}
	if (meta)
		bdb_facts(dirfd, c, &key2);
	else {
		key2 = 0;
		mp_fact_num(c, "bdb_files", 0);
		mp_fact_null(c, "bdb_last");
		mp_warn(c, "DIR is the image directory itself; the bdb journal beside it was not checked");
	}
	c->key2 = key2;
	free(v1ids);
	free(v2ids);
	mp_props_free(&role);
	mp_props_free(&ver);
	close(img);
}
