/* test_blksync_fmt.c: blksync's header, frame and trailer encoding, block
 * hashes and digests, and a DELTA written by the writer and read back by the
 * reader (rescue/blksync/fmt.c, hash.c, stream.c, delta.c; docs/blksync.md). */
#include "blksync/bs.h"
#include "lib/err.h"
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

static void
test_header_roundtrip(void)
{
	struct bs_hdr h = { 0 }, g;
	uint8_t b[BS_HDR_LEN];

	h.kind = BS_DELTA;
	h.version = BS_VERSION;
	h.hash_id = BS_XXH3;
	h.hash_len = 8;
	h.flags = BS_F_BASEID;
	h.block = 65536;
	h.seed = 0x0123456789abcdefULL;
	h.size = 1000003;
	h.base_size = 999;
	memset(h.base_id, 0xa5, sizeof h.base_id);
	bs_hdr_encode(&h, b);
	CHECK(memcmp(b, "BLKSYNCD", 8) == 0);
	CHECK(b[24] == 0xef && b[31] == 0x01); /* little-endian seed */
	CHECK(bs_hdr_decode(&g, b) == NULL);
	CHECK(g.kind == BS_DELTA && g.block == 65536 && g.seed == h.seed);
	CHECK(g.size == 1000003 && g.base_size == 999 && g.hash_len == 8);
	CHECK(memcmp(g.base_id, h.base_id, 32) == 0);
	b[40] ^= 1;
	CHECK_STR(bs_hdr_decode(&g, b), "header checksum mismatch");
	b[40] ^= 1;
	h.block = 3000;
	bs_hdr_encode(&h, b);
	CHECK_STR(bs_hdr_decode(&g, b), "bad block size");
	h.block = 4096;
	h.hash_len = 12;
	bs_hdr_encode(&h, b);
	CHECK_STR(bs_hdr_decode(&g, b), "unknown hash algorithm");
}

static void
test_frame_sum(void)
{
	struct bs_frame f = { 0 }, g;
	uint8_t b[BS_FRAME_LEN], data[100];

	memset(data, 7, sizeof data);
	f.tag = TAG_DATA;
	f.off = 8192;
	f.len = 100;
	f.stored = 60;
	f.crc = bs_frame_sum(&f, data, sizeof data);
	bs_frame_encode(&f, b);
	CHECK(memcmp(b, "DATA", 4) == 0);
	bs_frame_decode(&g, b);
	CHECK(g.off == 8192 && g.len == 100 && g.stored == 60 && g.codec == BS_DEFLATE);
	CHECK(bs_frame_sum(&g, data, sizeof data) == f.crc);
	g.off = 0;
	CHECK(bs_frame_sum(&g, data, sizeof data) != f.crc);
}

static void
test_hashes(void)
{
	struct bs_hash a, b;
	uint8_t blk[4096] = { 0 }, h1[32], h2[32], h3[32];

	bs_hash_init(&a, BS_XXH3, 0, 1);
	bs_hash_init(&b, BS_XXH3, 0, 2);
	CHECK(a.len == 16 && a.wl == 8);
	bs_block_hash(&a, blk, sizeof blk, h1);
	bs_block_hash(&a, blk, sizeof blk, h2);
	bs_block_hash(&b, blk, sizeof blk, h3);
	CHECK(memcmp(h1, h2, 16) == 0);
	CHECK(memcmp(h1, h3, 16) != 0); /* seeded per session */
	bs_block_hash(&a, blk, 4095, h2);
	CHECK(memcmp(h1, h2, 16) != 0); /* length counts */
	bs_hash_init(&a, BS_SHA256, 0, 1);
	CHECK(a.len == 32 && a.wl == 32);
	CHECK(bs_is_zero(blk, sizeof blk));
	blk[4095] = 1;
	CHECK(!bs_is_zero(blk, sizeof blk));
	CHECK(bs_is_zero(blk, 4095));
}

static void
test_digest(void)
{
	struct bs_hash h;
	struct bs_digest d;
	uint8_t x[16] = { 1 }, o1[32], o2[32];

	bs_hash_init(&h, BS_XXH3, 0, 9);
	bs_digest_init(&d, &h, 100, 0);
	bs_digest_add(&d, x, 16);
	bs_digest_final(&d, o1);
	bs_digest_free(&d);
	bs_digest_init(&d, &h, 101, 0);
	bs_digest_add(&d, x, 16);
	bs_digest_final(&d, o2);
	bs_digest_free(&d);
	CHECK(memcmp(o1, o2, 32) != 0); /* the size is part of it */
}

static void
test_delta_roundtrip(void)
{
	char path[] = "/tmp/test_blksync.XXXXXX";
	int fd = mkstemp(path);
	struct bs_wr w;
	struct bs_dw dw;
	struct bs_hdr h = { 0 };
	struct bs_trailer t = { 0 };
	struct bs_frame f;
	struct bs_dr d;
	const uint8_t *data;
	uint8_t hb[BS_HDR_LEN], *text = malloc(8192), *rnd = malloc(4096);

	CHECK(fd >= 0);
	for (int i = 0; i < 8192; i++)
		text[i] = "rescue "[i % 7];
	srand(1);
	for (int i = 0; i < 4096; i++)
		rnd[i] = (uint8_t)rand();
	h.kind = BS_DELTA;
	h.version = BS_VERSION;
	h.hash_id = BS_XXH3;
	h.hash_len = 8;
	h.block = 4096;
	h.size = 40000;
	h.base_size = 40000;
	bs_hdr_encode(&h, hb);
	bs_wr_init(&w, fd, path);
	CHECK(bs_wr_put(&w, hb, sizeof hb) == 0);
	bs_dw_init(&dw, &w, 1);
	CHECK(bs_dw_data(&dw, 0, text, 8192) == RC_OK);
	CHECK(bs_dw_zero(&dw, 8192, 8192) == RC_OK);
	CHECK(bs_dw_mark(&dw, 16384) == RC_OK);
	CHECK(bs_dw_data(&dw, 36864, rnd, 40000 - 36864) == RC_OK);
	t.size = 40000;
	CHECK(bs_dw_end(&dw, &t) == RC_OK);
	CHECK(dw.stored_bytes < 8192 + 3136); /* the text was deflated */
	bs_dw_free(&dw);
	bs_wr_free(&w);
	lseek(fd, 0, SEEK_SET);
	CHECK(bs_dr_open(&d, fd, path) == RC_OK);
	CHECK(bs_dr_next(&d, &f, &data) == RC_OK && f.tag == TAG_DATA && f.codec == BS_DEFLATE);
	CHECK(data && memcmp(data, text, 8192) == 0);
	CHECK(bs_dr_next(&d, &f, &data) == RC_OK && f.tag == TAG_ZERO && f.len == 8192);
	CHECK(bs_dr_next(&d, &f, &data) == RC_OK && f.tag == TAG_MARK && f.off == 16384);
	CHECK(bs_dr_next(&d, &f, &data) == RC_OK && f.tag == TAG_DATA && f.codec == BS_RAW);
	CHECK(data && memcmp(data, rnd, 3136) == 0);
	CHECK(bs_dr_next(&d, &f, &data) == RC_OK && f.tag == TAG_DEND && d.tr.records == 3);
	CHECK(bs_dr_check_eof(&d) == RC_OK);
	bs_dr_free(&d);
	/* out of order: a record before the cursor is bad data */
	err_set_quiet(1);
	lseek(fd, 0, SEEK_SET);
	CHECK(bs_dr_open(&d, fd, path) == RC_OK);
	d.cursor = 4096;
	CHECK(bs_dr_next(&d, &f, &data) == RC_DATA);
	bs_dr_free(&d);
	err_set_quiet(0);
	close(fd);
	unlink(path);
	free(text);
	free(rnd);
}

static void
test_ring(void)
{
	struct bs_ring r;
	uint8_t h[16], o[16];
	uint64_t g;
	uint32_t n;

	bs_ring_init(&r, 4, 16, 10);
	for (int i = 0; i < 4; i++) {
		memset(h, i, sizeof h);
		CHECK(bs_ring_push_or_req(&r, h) == 0);
	}
	/* full, and a request waiting: the producer is told so */
	bs_ring_request(&r, 3, 64);
	CHECK(bs_ring_push_or_req(&r, h) == 1);
	CHECK(bs_ring_take_request(&r, &g, &n) == 0 && g == 3 && n == 64);
	CHECK(bs_ring_take_request(&r, &g, &n) < 0);
	CHECK(bs_ring_peek(&r, 12, o) == 0 && o[0] == 2);
	CHECK(bs_ring_peek(&r, 14, o) < 0);
	CHECK(bs_ring_pop(&r, o) == 0 && o[0] == 0);
	CHECK(bs_ring_peek(&r, 10, o) < 0);  /* consumed */
	bs_ring_consumer_done(&r);
	CHECK(bs_ring_wait_request(&r, &g, &n) < 0);
	bs_ring_free(&r);
}

/* A resumed HELLO: DONEID with start > 0 only; the target id round-trips. */
static void
test_hello_doneid(void)
{
	struct bs_hdr h = { 0 }, g;
	uint8_t b[BS_HDR_LEN];

	h.kind = BS_HELLO;
	h.version = BS_VERSION;
	h.hash_id = BS_SHA256;
	h.hash_len = 32;
	h.block = 4096;
	h.size = 1 << 20;
	h.start = 65536;
	h.flags = BS_F_DONEID;
	h.target_id = 0x1122334455667788ULL;
	memset(h.base_id, 0x5a, sizeof h.base_id);
	bs_hdr_encode(&h, b);
	CHECK(b[88] == 0x88 && b[95] == 0x11);
	CHECK(bs_hdr_decode(&g, b) == NULL);
	CHECK(g.flags == BS_F_DONEID && g.start == 65536 && g.target_id == h.target_id);
	CHECK(memcmp(g.base_id, h.base_id, 32) == 0);
	h.start = 0;
	bs_hdr_encode(&h, b);
	CHECK_STR(bs_hdr_decode(&g, b), "bad flags");
	h.kind = BS_DELTA;
	h.start = 65536;
	bs_hdr_encode(&h, b);
	CHECK_STR(bs_hdr_decode(&g, b), "bad flags");
	CHECK(bs_name_id("dst.img") != bs_name_id("other.img") && bs_name_id("") != 0);
}

/* The done-range digest: a peek is the digest so far and leaves the state
 * as it was; a copy goes on independently. */
static void
test_digest_peek(void)
{
	struct bs_hash hs;
	struct bs_digest a, b, c;
	uint8_t h1[32], h2[32], p[32], f[32], g[32];
	unsigned ids[] = { BS_XXH3, BS_SHA256 };

	memset(h1, 1, sizeof h1);
	memset(h2, 2, sizeof h2);
	for (int i = 0; i < 2; i++) {
		bs_hash_init(&hs, ids[i], 0, 99);
		bs_digest_init(&a, &hs, 8192, 0);
		bs_digest_init(&b, &hs, 8192, 0);
		bs_digest_add(&a, h1, hs.len);
		bs_digest_add(&b, h1, hs.len);
		bs_digest_peek(&a, p);
		bs_digest_copy(&c, &a);
		bs_digest_add(&a, h2, hs.len);
		bs_digest_final(&b, f);
		CHECK(memcmp(p, f, 32) == 0);
		bs_digest_final(&a, f);
		bs_digest_add(&c, h2, hs.len);
		bs_digest_final(&c, g);
		CHECK(memcmp(f, g, 32) == 0 && memcmp(f, p, 32) != 0);
		bs_digest_free(&a);
		bs_digest_free(&b);
		bs_digest_free(&c);
	}
}

/* serve's reader, done with its hashes, is woken to send an ACKD. */
static void
test_ring_kick(void)
{
	struct bs_ring r;
	uint64_t g;
	uint32_t n;

	bs_ring_init(&r, 4, 16, 0);
	bs_ring_close(&r, 0);
	bs_ring_kick(&r);
	CHECK(bs_ring_wait_request(&r, &g, &n) == 1);
	bs_ring_request(&r, 5, 2);
	bs_ring_kick(&r);
	CHECK(bs_ring_wait_request(&r, &g, &n) == 0 && g == 5 && n == 2);
	CHECK(bs_ring_wait_request(&r, &g, &n) == 1);
	bs_ring_consumer_done(&r);
	CHECK(bs_ring_wait_request(&r, &g, &n) < 0);
	bs_ring_free(&r);
}

UNIT_MAIN(test_header_roundtrip, test_frame_sum, test_hashes, test_digest, test_delta_roundtrip,
	  test_ring, test_hello_doneid, test_digest_peek, test_ring_kick)
