/* confset.c: read and edit one key of a "key = value" configuration file
 * (MooseFS mfsmaster.cfg, StarRocks fe.conf, LeoFS leo_manager.conf) without
 * disturbing anything else: comments, blank lines, order, CRLF endings, a
 * missing final newline, the file's mode and owner (line model: lib/conf.h).
 *
 * An edit writes FILE.rescue-bak.<UTC YYYYmmddTHHMMSSZ> first (atomically),
 * then replaces FILE atomically (lib/atomic.h; a symlink is followed).  It
 * holds an flock on .FILE.lock beside the real file from before the read to
 * after the rename (lib/lock.h): two runs that overlap would otherwise both
 * edit the same old content, and the second rename would drop the first
 * change.  Reads take no lock (a rename never shows a half-written file).
 * Exit 1 means: --get found no active line for KEY.
 * --profile reads FILE in the image profile syntax (lib/conf.h); with --dump
 * it is how initramfs/build-rootfs reads the profiles in config/.
 * Man page: docs/man/confset.1.
 */
#include "lib/atomic.h"
#include "lib/conf.h"
#include "lib/err.h"
#include "lib/lock.h"
#include "lib/opt.h"
#include "lib/xio.h"
#include "toolmain.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: confset [OPTIONS] FILE KEY VALUE\n"
	"       confset [OPTIONS] FILE --get KEY | --unset KEY | --list | --dump\n"
	"Set, read or remove KEY in a key = value configuration file (mfsmaster.cfg,\n"
	"fe.conf, leo_manager.conf), keeping comments, order, line endings, mode, owner.\n"
	"A commented \"# KEY = default\" stays; the active line is added after it.\n"
	"  --get KEY       print KEY's value (exit 1 if it is not set)\n"
	"  --unset KEY     remove KEY's active line\n"
	"  --list          print every active KEY=VALUE\n"
	"  --dump          print every active line as LINE<tab>KEY<tab>VALUE\n"
	"  --profile       read FILE as an image profile: '#' comments anywhere, '\\'\n"
	"                  continues a value, every line KEY = VALUE, each key once;\n"
	"                  values as words separated by one space (only reads)\n"
	"  --all           act on every active line of KEY (else a key set twice is refused)\n"
	"  --no-backup     do not write FILE.rescue-bak.<UTC time> before a change\n"
	"  --wait SECONDS  wait this long for another run's lock on .FILE.lock\n"
	"                  (default 10; 0 = do not wait)\n"
	"  -n, --dry-run   print the unified diff of the change; change nothing\n"
	"  -q, --quiet     print only errors\n"
	"  -h, --help      this text; --version\n"
	"Options may also follow FILE; the argument after KEY is always VALUE.\n"
	"Exit: 0 done (or nothing to do), 1 --get: not set, 2 usage, 3 bad file\n"
	"(binary, line over 65536 bytes, with --profile a bad line or a key set\n"
	"twice), 4 I/O error, 5 refused (KEY set twice\n"
	"without --all, FILE changed meanwhile, not a regular file, still locked\n"
	"by another run after --wait).\n";

/* seconds to wait for the lock: a run takes well under a second, so this is
 * room for a queue of them, and short enough for a script to notice */
#define WAIT_DEFAULT 10
#define WAIT_MAX 86400
/* bytes of a bad VALUE shown in the error */
#define SHOW_MAX 64

enum { DO_SET, DO_GET, DO_UNSET, DO_LIST, DO_DUMP };
enum { OPT_GET = 0x100, OPT_UNSET, OPT_LIST, OPT_DUMP, OPT_PROFILE, OPT_ALL,
       OPT_NOBACKUP, OPT_WAIT };

struct args {
	int action, all, backup, dry, quiet, profile;
	unsigned wait;
	const char *file, *key, *value;
};

static const struct option longopts[] = {
	{ "get", required_argument, 0, OPT_GET },
	{ "unset", required_argument, 0, OPT_UNSET },
	{ "list", no_argument, 0, OPT_LIST },
	{ "dump", no_argument, 0, OPT_DUMP },
	{ "profile", no_argument, 0, OPT_PROFILE },
	{ "all", no_argument, 0, OPT_ALL },
	{ "no-backup", no_argument, 0, OPT_NOBACKUP },
	{ "wait", required_argument, 0, OPT_WAIT },
	{ "dry-run", no_argument, 0, 'n' },
	{ "quiet", no_argument, 0, 'q' },
	OPT_COMMON,
	{ 0, 0, 0, 0 }
};

static void
set_action(struct args *a, int action, const char *key)
{
	if (a->action != DO_SET)
		die_usage("only one of --get, --unset, --list, --dump");
	a->action = action;
	a->key = key;
}

static void
take_option(struct args *a, int c, const char *val)
{
	switch (c) {
	case OPT_GET: set_action(a, DO_GET, val); break;
	case OPT_UNSET: set_action(a, DO_UNSET, val); break;
	case OPT_LIST: set_action(a, DO_LIST, NULL); break;
	case OPT_DUMP: set_action(a, DO_DUMP, NULL); break;
	case OPT_PROFILE: a->profile = 1; break;
	case OPT_ALL: a->all = 1; break;
	case OPT_NOBACKUP: a->backup = 0; break;
	case OPT_WAIT: a->wait = (unsigned)opt_uint("--wait", val, 0, WAIT_MAX); break;
	case 'n': a->dry = 1; break;
	case 'q': a->quiet = 1; break;
	default: die_usage("unknown option");
	}
}

/* An option word after FILE ("--get", "--get=KEY", "-n" ...): its code, or
 * dies; *val gets the text after '=' (else NULL). */
static int
late_option(const char *w, const char **val)
{
	const char *eq = strchr(w, '=');
	size_t n = eq ? (size_t)(eq - w) : strlen(w);

	*val = eq ? eq + 1 : NULL;
	if (!strcmp(w, "-n"))
		return 'n';
	if (!strcmp(w, "-q"))
		return 'q';
	if (!strcmp(w, "-h") || !strcmp(w, "--help")) {
		fputs(usage, stdout);
		exit(err_finish(RC_OK));
	}
	for (const struct option *o = longopts; w[0] == '-' && w[1] == '-' && o->name; o++)
		if (n - 2 == strlen(o->name) && !strncmp(w + 2, o->name, n - 2) &&
		    o->val != OPT_VERSION && (!eq || o->has_arg))
			return o->val;
	die_usage("unknown option '%s'", w);
}

static void
check_value(const char *v)
{
	size_t n = strlen(v);

	if (n > CONF_MAX_VALUE)
		die_usage("VALUE is %zu bytes; the limit is %d", n, CONF_MAX_VALUE);
	if (!conf_value_ok(v))
		die_usage("bad VALUE '%.*s%s' (no control bytes, line breaks or "
			  "leading/trailing blanks)", SHOW_MAX, v, n > SHOW_MAX ? "..." : "");
}

static void
parse_args(struct args *a, int argc, char **argv)
{
	const char *pos[4] = { 0 }, *val;
	int c, npos = 0, ddash = 0;

	memset(a, 0, sizeof *a);
	a->backup = 1;
	a->wait = WAIT_DEFAULT;
	while ((c = opt_next(argc, argv, "+:nqh", longopts, usage)) != -1)
		take_option(a, c, optarg);
	if (optind > 0 && !strcmp(argv[optind - 1], "--"))
		ddash = 1;
	for (int i = optind; i < argc; i++) {
		const char *w = argv[i];
		/* the word after KEY is VALUE, whatever it looks like */
		int is_value = npos == 2 && a->action == DO_SET;

		if (!ddash && !is_value && w[0] == '-' && w[1]) {
			if (!strcmp(w, "--")) {
				ddash = 1;
				continue;
			}
			c = late_option(w, &val);
			if ((c == OPT_GET || c == OPT_UNSET || c == OPT_WAIT) && !val) {
				if (i + 1 >= argc)
					die_usage("option '%s' needs a value", w);
				val = argv[++i];
			}
			take_option(a, c, val);
			continue;
		}
		if (npos < 4)
			pos[npos++] = w;
	}
	if (npos == 4)
		die_usage("unexpected argument '%s'", pos[3]);
	if (npos == 0)
		die_usage("missing FILE");
	a->file = pos[0];
	if (a->action == DO_SET) {
		if (npos < 2)
			die_usage("missing KEY");
		if (npos < 3)
			die_usage("missing VALUE");
		a->key = pos[1];
		a->value = pos[2];
		check_value(a->value);
	} else if (npos > 1) {
		die_usage("unexpected argument '%s'", pos[1]);
	}
	if (a->profile && (a->action == DO_SET || a->action == DO_UNSET))
		die_usage("--profile only reads (--get, --list, --dump)");
	if (!a->key)
		return;
	/* the length first, so that the message never repeats a huge word */
	if (strlen(a->key) > CONF_MAX_KEY)
		die_usage("KEY is %zu bytes; the limit is %d", strlen(a->key), CONF_MAX_KEY);
	if (!conf_key_ok(a->key))
		die_usage("bad KEY '%s'", a->key);
}

/* Active lines of key: returns how many; *first gets the first.  With more
 * than one and no --all, refuses (naming both lines) and returns -1. */
static long
count_key(const struct args *a, const struct conf *c, size_t *first)
{
	size_t i = conf_find(c, a->key, CONF_ENTRY, 0), j;
	long n = 0;

	*first = i;
	for (j = i; j != CONF_NONE; j = conf_find(c, a->key, CONF_ENTRY, j + 1)) {
		if (++n == 2 && !a->all) {
			warn_at(RC_REFUSED, a->file, c->line[j].orig + 1,
				"key '%s' set again (first at line %zu); use --all",
				a->key, c->line[i].orig + 1);
			return -1;
		}
	}
	return n;
}

/* Entry i's value and a newline: as it is, or (--profile) its words. */
static void
put_value(const struct args *a, const struct conf *c, size_t i)
{
	const struct conf_line *l = c->line + i;

	if (a->profile) {
		char *w = conf_words(c, i);

		fputs(w, stdout);
		free(w);
	} else {
		fwrite(l->text + l->val, 1, l->vallen, stdout);
	}
	putchar('\n');
}

static int
do_read(const struct args *a, const struct conf *c)
{
	size_t i;
	long n;

	if (a->action == DO_LIST || a->action == DO_DUMP) {
		for (i = 0; i < c->n; i++) {
			if (c->line[i].kind != CONF_ENTRY)
				continue;
			if (a->action == DO_DUMP)
				printf("%zu\t", c->line[i].orig + 1);
			fwrite(c->line[i].text + c->line[i].key, 1, c->line[i].keylen, stdout);
			putchar(a->action == DO_DUMP ? '\t' : '=');
			put_value(a, c, i);
		}
		return RC_OK;
	}
	n = count_key(a, c, &i);
	if (n < 0)
		return RC_REFUSED;
	if (n == 0) {
		if (!a->quiet)
			warn_rc(RC_DIFF, "%s: key '%s' is not set", a->file, a->key);
		return RC_DIFF;
	}
	for (; i != CONF_NONE; i = conf_find(c, a->key, CONF_ENTRY, i + 1))
		put_value(a, c, i);
	return RC_OK;
}

/* Apply the edit to c; returns the number of lines changed, or -1 (refused).
 * With report, says what changed (run again after the write for that). */
static long
edit(const struct args *a, struct conf *c, int report)
{
	size_t i, vlen = a->action == DO_SET ? strlen(a->value) : 0;
	long n = count_key(a, c, &i), changed = 0;

	if (n < 0)
		return -1;
	if (a->action == DO_UNSET) {
		while (i != CONF_NONE) {
			if (report)
				note("%s:%zu: %s removed (was '%.*s')", a->file,
				     c->line[i].orig + 1, a->key,
				     (int)c->line[i].vallen, c->line[i].text + c->line[i].val);
			conf_delete(c, i);
			changed++;
			i = conf_find(c, a->key, CONF_ENTRY, i);
		}
		return changed;
	}
	if (n == 0) {
		size_t after = CONF_NONE, d;

		/* after the last commented default, else at the end */
		for (d = conf_find(c, a->key, CONF_DEFAULT, 0); d != CONF_NONE;
		     d = conf_find(c, a->key, CONF_DEFAULT, d + 1))
			after = d;
		i = conf_insert(c, after, a->key, a->value);
		if (report)
			note("%s:%zu: %s = %s added %s", a->file, i + 1, a->key, a->value,
			     after == CONF_NONE ? "at the end" : "after its commented default");
		return 1;
	}
	for (; i != CONF_NONE; i = conf_find(c, a->key, CONF_ENTRY, i + 1)) {
		struct conf_line *l = c->line + i;

		if (l->vallen == vlen && !memcmp(l->text + l->val, a->value, vlen))
			continue;
		if (report)
			note("%s:%zu: %s changed from '%.*s' to '%s'", a->file, i + 1,
			     a->key, (int)l->vallen, l->text + l->val, a->value);
		conf_set_value(c, i, a->value);
		changed++;
	}
	return changed;
}

/* FILE.rescue-bak.<UTC time>[.N], written atomically with FILE's mode and
 * owner; never replaces an existing file. */
static int
backup(const struct args *a, const struct stat *st, const char *data, size_t len)
{
	struct atomic_out o;
	char stamp[32], *name;
	time_t now = time(NULL);
	struct tm tm;
	size_t cap;
	int rc;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	cap = strlen(a->file) + sizeof stamp + 32;
	name = xmalloc(cap);
	for (int n = 0;; n++) {
		struct stat bs;

		if (n == 0)
			snprintf(name, cap, "%s.rescue-bak.%s", a->file, stamp);
		else
			snprintf(name, cap, "%s.rescue-bak.%s.%d", a->file, stamp, n);
		if (lstat(name, &bs) != 0 || n == 99)
			break;
	}
	rc = atomic_open(&o, name, 0, st->st_mode & 07777);
	if (rc)
		goto out;
	if (fchown(o.fd, st->st_uid, st->st_gid) != 0 && errno != EPERM) {
		warn_sys(RC_IO, "%s: cannot set owner", name);
		atomic_abort(&o);
		rc = RC_IO;
		goto out;
	}
	if (write_full(o.fd, data, len) != 0) {
		warn_sys(RC_IO, "%s: write", name);
		atomic_abort(&o);
		rc = RC_IO;
		goto out;
	}
	rc = atomic_commit(&o);
	if (!rc && !a->quiet)
		note("backup %s", name);
out:
	free(name);
	return rc;
}

/* path (named name in messages) is still the file stat() described in was */
static int
unchanged_since(const char *path, const char *name, const struct stat *was)
{
	struct stat now;

	if (stat(path, &now) != 0) {
		warn_sys(RC_IO, "%s", name);
		return RC_IO;
	}
	if (now.st_ino != was->st_ino || now.st_dev != was->st_dev ||
	    now.st_size != was->st_size ||
	    now.st_mtim.tv_sec != was->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != was->st_mtim.tv_nsec) {
		warn_rc(RC_REFUSED, "%s: changed while being edited; not written", name);
		return RC_REFUSED;
	}
	return RC_OK;
}

static int
write_back(const struct args *a, const char *path, const struct stat *st,
	   const struct conf *c)
{
	struct atomic_out o;
	size_t len = conf_size(c);
	char *out = xmalloc(len + 1);
	int rc = unchanged_since(path, a->file, st);

	conf_render(c, out);
	if (!rc)
		rc = atomic_open(&o, path, ATOMIC_OVERWRITE | ATOMIC_KEEP_META, 0600);
	if (!rc && write_full(o.fd, out, len) != 0) {
		warn_sys(RC_IO, "%s: write", a->file);
		atomic_abort(&o);
		rc = RC_IO;
	} else if (!rc) {
		rc = atomic_commit(&o);
	}
	free(out);
	return rc;
}

/* stat() path into st; anything but a regular file is refused before it is
 * opened (a FIFO would block the read, a device could have side effects). */
static int
check_kind(const struct args *a, const char *path, struct stat *st, int edit)
{
	if (stat(path, st) != 0) {
		warn_sys(RC_IO, "%s", a->file);
		return RC_IO;
	}
	if (S_ISREG(st->st_mode))
		return RC_OK;
	if (!edit && S_ISDIR(st->st_mode)) {
		warn_rc(RC_DATA, "%s: is a directory", a->file);
		return RC_DATA;
	}
	warn_rc(RC_REFUSED, "%s: not a regular file; not %s", a->file,
		edit ? "edited" : "read");
	return RC_REFUSED;
}

/* Read the st_size bytes of path, which check_kind() found to be a regular
 * file: O_NONBLOCK and a second check, so that a FIFO or device put there
 * meanwhile is neither read nor waited for.  A file that grows meanwhile is
 * caught by unchanged_since() before it is replaced. */
static int
load(const char *path, const char *name, const struct stat *st, char **data,
     size_t *len)
{
	struct stat now;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	*data = NULL;
	if (fd < 0) {
		warn_sys(RC_IO, "%s", name);
		return RC_IO;
	}
	if (fstat(fd, &now) != 0 || !S_ISREG(now.st_mode) || !same_file(&now, st)) {
		close(fd);
		warn_rc(RC_REFUSED, "%s: replaced while being opened; not read", name);
		return RC_REFUSED;
	}
	if ((unsigned long long)now.st_size > CONF_MAX_FILE) {
		close(fd);
		warn_rc(RC_DATA, "%s: larger than %lu bytes", name, CONF_MAX_FILE);
		return RC_DATA;
	}
	*data = xmalloc((size_t)now.st_size + 1);
	r = read_full(fd, *data, (size_t)now.st_size);
	close(fd);
	if (r < 0) {
		warn_sys(RC_IO, "%s", name);
		free(*data);
		*data = NULL;
		return RC_IO;
	}
	(*data)[r] = 0;
	*len = (size_t)r;
	return RC_OK;
}

/* Read path and act on it; with an edit the caller holds the lock. */
static int
process(const struct args *a, const char *path, const struct stat *st)
{
	struct conf orig, c;
	char *data;
	size_t len;
	long changed;
	int rc;

	if ((rc = load(path, a->file, st, &data, &len)))
		return rc;
	rc = a->profile ? conf_parse_profile(&orig, a->file, data, len)
			: conf_parse(&orig, a->file, data, len);
	if (rc)
		goto out_data;
	if (a->action == DO_GET || a->action == DO_LIST || a->action == DO_DUMP) {
		rc = do_read(a, &orig);
		goto out_orig;
	}
	conf_parse(&c, a->file, data, len);
	changed = edit(a, &c, 0);
	if (changed < 0) {
		rc = RC_REFUSED;
	} else if (changed == 0) {
		if (!a->quiet && a->action == DO_SET)
			note("%s: %s is already '%s'; not changed", a->file, a->key, a->value);
		else if (!a->quiet)
			note("%s: %s is not set; not changed", a->file, a->key);
	} else if (a->dry) {
		conf_diff(stdout, a->file, &orig, &c);
	} else {
		rc = a->backup ? backup(a, st, data, len) : RC_OK;
		if (!rc)
			rc = write_back(a, path, st, &c);
		if (!rc && st->st_nlink > 1)
			note("%s: had %lu hard links; the other names keep the old content",
			     a->file, (unsigned long)st->st_nlink);
		if (!rc && !a->quiet) {
			conf_free(&c);
			conf_parse(&c, a->file, data, len);
			edit(a, &c, 1);
		}
	}
	conf_free(&c);
out_orig:
	conf_free(&orig);
out_data:
	free(data);
	return rc;
}

/* An edit: lock beside the real file (a symlink is resolved once, so the
 * lock, the read and the rename all concern the same file), then process. */
static int
locked_edit(const struct args *a)
{
	struct file_lock lk;
	struct stat st;
	char *path;
	int rc;

	if (lstat(a->file, &st) == 0 && S_ISLNK(st.st_mode)) {
		path = realpath(a->file, NULL);
		if (!path) {
			warn_sys(RC_IO, "%s", a->file);
			return RC_IO;
		}
	} else {
		path = xstrdup(a->file);
	}
	rc = lock_take(&lk, path, a->wait * 1000UL);
	if (lk.busy) {
		char who[64];

		lock_holder(&lk, who, sizeof who);
		warn_rc(RC_REFUSED, "%s: locked by %s through %s; not changed after "
			"waiting %u s (see --wait)", a->file, who, lk.path, a->wait);
	}
	/* stat again under the lock: what was read is what gets replaced */
	if (!rc)
		rc = check_kind(a, path, &st, 1);
	if (!rc)
		rc = process(a, path, &st);
	lock_release(&lk);
	free(path);
	return rc;
}

static int
run(const struct args *a)
{
	int reading = a->action != DO_SET && a->action != DO_UNSET;
	struct stat st;
	int rc = check_kind(a, a->file, &st, !reading);

	if (rc)
		return rc;
	/* a dry run changes nothing and leaves no lock file */
	if (reading || a->dry)
		return process(a, a->file, &st);
	return locked_edit(a);
}

int
confset_main(int argc, char **argv)
{
	struct args a;

	parse_args(&a, argc, argv);
	return err_finish(run(&a));
}
