/* mkoci.c: write a container image of a root directory as ONE tar that is
 * both an OCI image layout (oci-layout, index.json, blobs/sha256/...) and a
 * docker-archive (manifest.json pointing into blobs/), so that skopeo
 * (oci-archive: and docker-archive:), podman load and docker load take it.
 *
 * Specs: OCI image-spec v1.0 (image-layout.md, manifest.md, config.md,
 * descriptor.md); the docker-archive manifest.json of `docker save` (moby
 * image/tarexport).  One layer: the tree as a POSIX tar (lib/tar.h), gzip'd;
 * diff_id = sha256 of the tar, layer digest = sha256 of the gzip.
 * Reproducible: entries sorted, owner 0:0, every time = $SOURCE_DATE_EPOCH
 * (0 if unset), gzip without time or name.  Exit 1 is not used. */
#include "lib/atomic.h"
#include "lib/err.h"
#include "lib/gz.h"
#include "lib/opt.h"
#include "lib/sha256.h"
#include "lib/tar.h"
#include "lib/tree.h"
#include "lib/version.h"
#include "lib/xio.h"
#include "toolmain.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>


static const char usage[] =
	"usage: mkoci [-fq] [-a ARCH] [-t NAME:TAG] [-e WORD]... [-E KEY=VALUE]... [-l KEY=VALUE]... -o OUT ROOTFS\n"
	"\n"
	"Write the directory ROOTFS as a container image: one tar that is both an\n"
	"OCI image layout and a docker-archive, with one gzip'd layer.\n"
	"\n"
	"  -o OUT          the image tar ('-' = stdout, not a terminal)\n"
	"  -t NAME:TAG     image name (default rescue:" RESCUE_VERSION ")\n"
	"  -a ARCH         the binaries' architecture, as OCI names it: amd64 (default)\n"
	"                  or arm64; given, the index names the platform too\n"
	"  -e WORD         entrypoint word, repeat for more (default /bin/sh)\n"
	"  -E KEY=VALUE    environment entry, repeat for more (default none)\n"
	"  -l KEY=VALUE    label (org.opencontainers.image.version and .created are always set)\n"
	"  -f              replace OUT if it exists\n"
	"  -q              no summary line\n"
	"\n"
	"Load it with: podman load -i OUT, docker load -i OUT,\n"
	"skopeo copy oci-archive:OUT ... or docker-archive:OUT ...\n"
	"Exit status: 0 ok, 2 usage, 3 bad input (name, tree), 4 I/O error,\n"
	"5 refused (OUT exists, or OUT is inside ROOTFS).\n";

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar+gzip"

/* a growing string for the JSON documents */
struct buf {
	char *p;
	size_t n, cap;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	xgrow((void **)&b->p, &b->cap, b->n + n + 1, 1);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* a JSON string, quoted and escaped */
static void
putj(struct buf *b, const char *s)
{
	puts_(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			puts_(b, esc);
		} else {
			put(b, (const char *)&c, 1);
		}
	}
	puts_(b, "\"");
}

struct blob {
	char hex[2 * SHA256_LEN + 1];
	uint64_t size;
};

static void
blob_of(struct blob *bl, const void *data, size_t n)
{
	uint8_t d[SHA256_LEN];

	sha256_buf(data, n, d);
	sha256_hex(d, bl->hex);
	bl->size = n;
}

static void
putdesc(struct buf *b, const char *media, const struct blob *bl)
{
	char tail[96];

	puts_(b, "{\"mediaType\":");
	putj(b, media);
	snprintf(tail, sizeof tail, ",\"size\":%llu}", (unsigned long long)bl->size);
	puts_(b, ",\"digest\":\"sha256:");
	puts_(b, bl->hex);
	puts_(b, "\"");
	puts_(b, tail);
}

/* ---- the layer ---- */

struct layer_out {
	struct sha256 tar_sum;  /* diff_id */
	struct gz_writer gz;
};

static int
layer_write(void *ctx, const void *buf, size_t n)
{
	struct layer_out *l = ctx;

	sha256_update(&l->tar_sum, buf, n);
	return gz_write(&l->gz, buf, n);
}

static int
tar_data(void *ctx, const void *buf, size_t n)
{
	return tar_write_data(ctx, buf, n);
}

static int
write_layer(const struct tree *t, int64_t mtime, int fd, char diff_hex[65])
{
	struct layer_out l;
	struct tar_writer w;
	uint8_t d[SHA256_LEN];
	int rc;

	sha256_init(&l.tar_sum);
	rc = gz_writer_init(&l.gz, fd, 9);
	if (rc)
		return rc;
	tar_writer_init(&w, layer_write, &l);
	for (size_t i = 0; i < t->n; i++) {
		const struct tree_ent *e = &t->e[i];
		struct tar_entry te = {
			.name = e->name, .mode = (uint32_t)(e->st.st_mode & 07777),
			.mtime = mtime, .linkname = e->link,
		};
		int k;

		switch (e->st.st_mode & S_IFMT) {
		case S_IFREG: te.type = TAR_REG; te.size = (uint64_t)e->st.st_size; break;
		case S_IFDIR: te.type = TAR_DIR; break;
		case S_IFLNK: te.type = TAR_SYM; break;
		case S_IFIFO: te.type = TAR_FIFO; break;
		case S_IFCHR:
		case S_IFBLK:
			te.type = S_ISCHR(e->st.st_mode) ? TAR_CHR : TAR_BLK;
			te.devmajor = major(e->st.st_rdev);
			te.devminor = minor(e->st.st_rdev);
			break;
		default:
			note("warning: %s: socket not stored in the image", e->path);
			continue;
		}
		k = tar_write_header(&w, &te);
		if (k == -2) {
			warn_rc(RC_DATA, "%s: cannot be stored in a tar archive", e->path);
			rc = RC_DATA;
			break;
		}
		if (k) {
			warn_sys(RC_IO, "write error");
			rc = RC_IO;
			break;
		}
		if (te.type == TAR_REG && te.size && (rc = tree_copy(e, tar_data, &w)))
			break;
	}
	if (rc == RC_OK && tar_finish(&w) != 0) {
		warn_sys(RC_IO, "write error");
		rc = RC_IO;
	}
	if (rc) {
		gz_writer_free(&l.gz);
		return rc;
	}
	if (gz_writer_finish(&l.gz) != 0) {
		warn_sys(RC_IO, "write error");
		return RC_IO;
	}
	sha256_final(&l.tar_sum, d);
	sha256_hex(d, diff_hex);
	return RC_OK;
}

/* sha256 and size of what fd holds, from the start */
static int
hash_fd(int fd, struct blob *bl)
{
	static uint8_t buf[65536];
	struct sha256 s;
	uint8_t d[SHA256_LEN];
	ssize_t k;

	if (lseek(fd, 0, SEEK_SET) != 0) {
		warn_sys(RC_IO, "temporary layer file");
		return RC_IO;
	}
	sha256_init(&s);
	bl->size = 0;
	while ((k = read_full(fd, buf, sizeof buf)) > 0) {
		sha256_update(&s, buf, (size_t)k);
		bl->size += (uint64_t)k;
	}
	if (k < 0) {
		warn_sys(RC_IO, "temporary layer file");
		return RC_IO;
	}
	sha256_final(&s, d);
	sha256_hex(d, bl->hex);
	return RC_OK;
}

/* ---- the documents ---- */

struct image {
	const char *tag;        /* NAME:TAG */
	const char *arch;       /* GOARCH name: amd64, arm64 */
	int platform;           /* -a given: a platform in the index descriptor */
	char **entry, **env, **labels;
	int nentry, nenv, nlabels;
	int64_t mtime;
	char created[32];
};

static void
putlist(struct buf *b, char **v, int n)
{
	puts_(b, "[");
	for (int i = 0; i < n; i++) {
		if (i)
			puts_(b, ",");
		putj(b, v[i]);
	}
	puts_(b, "]");
}

static void
make_config(struct buf *b, const struct image *im, const char *diff_hex)
{
	puts_(b, "{\"architecture\":");
	putj(b, im->arch);
	puts_(b, ",\"config\":{\"Entrypoint\":");
	putlist(b, im->entry, im->nentry);
	puts_(b, ",\"Env\":");
	putlist(b, im->env, im->nenv);
	puts_(b, ",\"Labels\":{");
	for (int i = 0; i < im->nlabels; i++) {
		char *eq = strchr(im->labels[i], '=');

		if (i)
			puts_(b, ",");
		*eq = 0;
		putj(b, im->labels[i]);
		*eq = '=';
		puts_(b, ":");
		putj(b, eq + 1);
	}
	puts_(b, "},\"WorkingDir\":\"/\"},\"created\":");
	putj(b, im->created);
	puts_(b, ",\"history\":[{\"created\":");
	putj(b, im->created);
	puts_(b, ",\"created_by\":\"mkoci (rescue " RESCUE_VERSION ")\"}],"
		 "\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[\"sha256:");
	puts_(b, diff_hex);
	puts_(b, "\"],\"type\":\"layers\"}}");
}

static int
put_entry(struct tar_writer *w, const char *name, const void *data, size_t n,
	  int64_t mtime)
{
	struct tar_entry e = { .name = name, .type = TAR_REG, .mode = 0644,
			       .mtime = mtime };

	return tar_write_mem(w, &e, data, n);
}

static int
put_blob(struct tar_writer *w, const struct blob *bl, const void *data, int64_t mtime)
{
	char name[96];

	snprintf(name, sizeof name, "blobs/sha256/%s", bl->hex);
	return put_entry(w, name, data, (size_t)bl->size, mtime);
}

static int
copy_layer(struct tar_writer *w, int fd, const struct blob *bl, int64_t mtime)
{
	static uint8_t buf[65536];
	char name[96];
	struct tar_entry e = { .name = name, .type = TAR_REG, .mode = 0644,
			       .mtime = mtime, .size = bl->size };
	ssize_t k;

	snprintf(name, sizeof name, "blobs/sha256/%s", bl->hex);
	if (lseek(fd, 0, SEEK_SET) != 0 || tar_write_header(w, &e))
		return -1;
	while ((k = read_full(fd, buf, sizeof buf)) > 0)
		if (tar_write_data(w, buf, (size_t)k))
			return -1;
	return k < 0 ? -1 : 0;
}

/* The outer tar: sorted names; blobs sorted by digest. */
static int
write_image(int fd, const struct image *im, int lfd, const struct blob *layer,
	    const struct buf *config, const struct blob *cblob,
	    const struct buf *manifest, const struct blob *mblob,
	    const struct buf *index, const struct buf *dmanifest)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	const struct blob *order[3] = { cblob, layer, mblob };
	struct tar_writer w;
	struct tar_entry dir = { .type = TAR_DIR, .mode = 0755, .mtime = im->mtime };

	tar_writer_init(&w, tar_to_fd, &fd);
	/* three digests: a tiny sort */
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (strcmp(order[j]->hex, order[i]->hex) < 0) {
				const struct blob *t = order[i];

				order[i] = order[j];
				order[j] = t;
			}
	dir.name = "blobs";
	if (tar_write_header(&w, &dir))
		return -1;
	dir.name = "blobs/sha256";
	if (tar_write_header(&w, &dir))
		return -1;
	for (int i = 0; i < 3; i++) {
		int k;

		if (order[i] == layer)
			k = copy_layer(&w, lfd, layer, im->mtime);
		else if (order[i] == cblob)
			k = put_blob(&w, cblob, config->p, im->mtime);
		else
			k = put_blob(&w, mblob, manifest->p, im->mtime);
		if (k)
			return -1;
	}
	if (put_entry(&w, "index.json", index->p, index->n, im->mtime) ||
	    put_entry(&w, "manifest.json", dmanifest->p, dmanifest->n, im->mtime) ||
	    put_entry(&w, "oci-layout", layout, sizeof layout - 1, im->mtime))
		return -1;
	return tar_finish(&w);
}

static int
build(const char *outpath, const char *rootfs, struct image *im, int force, int quiet)
{
	struct tree t = { 0 };
	struct buf config = { 0 }, manifest = { 0 }, index = { 0 }, dman = { 0 };
	struct blob layer, cblob, mblob;
	struct atomic_out ao = { .fd = -1 };
	struct stat out_st;
	char diff_hex[65];
	int to_stdout = strcmp(outpath, "-") == 0, rc, fd = STDOUT_FILENO;
	FILE *tmp = NULL;

	if (to_stdout && isatty(STDOUT_FILENO))
		die_msg(RC_REFUSED, "not writing an image to a terminal (use -o FILE)");
	rc = tree_scan(&t, rootfs);
	if (rc)
		goto out;
	tree_sort(&t);
	if (!to_stdout && stat(outpath, &out_st) == 0) {
		for (size_t i = 0; i < t.n; i++) {
			if (S_ISREG(t.e[i].st.st_mode) && same_file(&out_st, &t.e[i].st)) {
				warn_rc(RC_REFUSED, "%s: is the output file; not put into the image",
					t.e[i].path);
				rc = RC_REFUSED;
				goto out;
			}
		}
	}
	tmp = tmpfile();
	if (!tmp) {
		warn_sys(RC_IO, "cannot make a temporary file for the layer");
		rc = RC_IO;
		goto out;
	}
	rc = write_layer(&t, im->mtime, fileno(tmp), diff_hex);
	if (rc == RC_OK)
		rc = hash_fd(fileno(tmp), &layer);
	if (rc)
		goto out;

	make_config(&config, im, diff_hex);
	blob_of(&cblob, config.p, config.n);
	puts_(&manifest, "{\"schemaVersion\":2,\"mediaType\":\"" MT_MANIFEST "\",\"config\":");
	putdesc(&manifest, MT_CONFIG, &cblob);
	puts_(&manifest, ",\"layers\":[");
	putdesc(&manifest, MT_LAYER, &layer);
	puts_(&manifest, "]}");
	blob_of(&mblob, manifest.p, manifest.n);
	puts_(&index, "{\"schemaVersion\":2,\"mediaType\":\"" MT_INDEX "\",\"manifests\":[");
	putdesc(&index, MT_MANIFEST, &mblob);
	/* put the annotations (and the platform) inside the descriptor: drop
	 * its closing brace.  Without -a, no platform: the bytes that images
	 * made before -a existed have. */
	index.n--;
	puts_(&index, ",\"annotations\":{\"io.containerd.image.name\":");
	putj(&index, im->tag);
	puts_(&index, ",\"org.opencontainers.image.ref.name\":");
	putj(&index, im->tag);
	puts_(&index, "}");
	if (im->platform) {
		puts_(&index, ",\"platform\":{\"architecture\":");
		putj(&index, im->arch);
		puts_(&index, ",\"os\":\"linux\"}");
	}
	puts_(&index, "}]}");
	puts_(&dman, "[{\"Config\":\"blobs/sha256/");
	puts_(&dman, cblob.hex);
	puts_(&dman, "\",\"RepoTags\":[");
	putj(&dman, im->tag);
	puts_(&dman, "],\"Layers\":[\"blobs/sha256/");
	puts_(&dman, layer.hex);
	puts_(&dman, "\"]}]");

	if (!to_stdout) {
		rc = atomic_open(&ao, outpath, force ? ATOMIC_OVERWRITE : 0, 0644);
		if (rc)
			goto out;
		fd = ao.fd;
	}
	if (write_image(fd, im, fileno(tmp), &layer, &config, &cblob, &manifest,
			&mblob, &index, &dman) != 0) {
		warn_sys(RC_IO, "write error");
		rc = RC_IO;
	}
	if (ao.fd >= 0) {
		if (rc)
			atomic_abort(&ao);
		else
			rc = atomic_commit(&ao);
	}
	if (rc == RC_OK && !quiet)
		note("%s: %s, %zu entries, layer %llu bytes (sha256:%.12s), manifest sha256:%.12s",
		     to_stdout ? "(stdout)" : outpath, im->tag, t.n,
		     (unsigned long long)layer.size, layer.hex, mblob.hex);
out:
	if (tmp)
		fclose(tmp);
	free(config.p);
	free(manifest.p);
	free(index.p);
	free(dman.p);
	tree_free(&t);
	return rc;
}

/* NAME[:TAG], lower-case name components as the docker reference grammar wants */
static int
tag_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	size_t n = strlen(s);

	if (n == 0 || n > 255 || !colon || colon == s || colon[1] == 0 ||
	    strchr(colon, '/'))
		return 0;
	for (const char *p = s; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      strchr("._-/", *p)))
			return 0;
	for (const char *p = colon + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._-", *p)))
			return 0;
	return strlen(colon + 1) <= 128;
}

int
mkoci_main(int argc, char **argv)
{
	static const struct option longopts[] = { OPT_COMMON, { 0 } };
	static char def_entry[] = "/bin/sh";
	struct image im = { .tag = "rescue:" RESCUE_VERSION, .arch = "amd64" };
	const char *out = NULL;
	char *version_label, *created_label;
	int force = 0, quiet = 0, c, rc;
	struct tm tm;
	time_t tt;

	im.entry = xcalloc((size_t)argc + 1, sizeof *im.entry);
	im.env = xcalloc((size_t)argc + 1, sizeof *im.env);
	im.labels = xcalloc((size_t)argc + 3, sizeof *im.labels);
	while ((c = opt_next(argc, argv, "+:a:e:E:fl:o:qt:", longopts, usage)) != -1) {
		switch (c) {
		case 'a':
			if (strcmp(optarg, "amd64") != 0 && strcmp(optarg, "arm64") != 0)
				die_usage("bad -a '%s' (want amd64 or arm64)", optarg);
			im.arch = optarg;
			im.platform = 1;
			break;
		case 'e': im.entry[im.nentry++] = optarg; break;
		case 'E':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				die_usage("bad -E '%s' (want KEY=VALUE)", optarg);
			im.env[im.nenv++] = optarg;
			break;
		case 'f': force = 1; break;
		case 'l':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				die_usage("bad -l '%s' (want KEY=VALUE)", optarg);
			im.labels[im.nlabels++] = optarg;
			break;
		case 'o': out = optarg; break;
		case 'q': quiet = 1; break;
		case 't': im.tag = optarg; break;
		}
	}
	if (!out)
		die_usage("missing -o OUT");
	if (optind != argc - 1)
		die_usage(optind == argc ? "missing ROOTFS" : "one ROOTFS only");
	if (!tag_ok(im.tag))
		die_usage("bad -t '%s' (want name:tag, name in lower case)", im.tag);
	im.mtime = (int64_t)opt_epoch(253402300799ull, 0); /* up to year 9999 */
	tt = (time_t)im.mtime;
	gmtime_r(&tt, &tm);
	strftime(im.created, sizeof im.created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (im.nentry == 0)
		im.entry[im.nentry++] = def_entry;
	/* fixed labels first, then the user's (sorted by key for stable output) */
	version_label = xmalloc(96);
	snprintf(version_label, 96, "org.opencontainers.image.version=%s", RESCUE_VERSION);
	created_label = xmalloc(96);
	snprintf(created_label, 96, "org.opencontainers.image.created=%s", im.created);
	im.labels[im.nlabels++] = created_label;
	im.labels[im.nlabels++] = version_label;
	for (int i = 0; i < im.nlabels; i++)
		for (int j = i + 1; j < im.nlabels; j++) {
			size_t a = strcspn(im.labels[i], "="), b = strcspn(im.labels[j], "=");
			int cmp = strncmp(im.labels[i], im.labels[j], a < b ? a : b);

			if (cmp == 0 && a == b)
				die_usage("label '%.*s' given twice", (int)a, im.labels[i]);
			if (cmp > 0 || (cmp == 0 && a > b)) {
				char *t = im.labels[i];

				im.labels[i] = im.labels[j];
				im.labels[j] = t;
			}
		}
	rc = build(out, argv[optind], &im, force, quiet);
	free(version_label);
	free(created_label);
	free(im.entry);
	free(im.env);
	free(im.labels);
	return rc;
}
