/* hash.c: blksync's block hashes (XXH3-128 seeded, or SHA-256 of
 * seed || block), group hashes and the image digest (docs/blksync.md).
 */
#include "blksync/fmt.h"
#include "lib/bytes.h"
#include "lib/err.h"
#include "lib/sha256.h"
#include "lib/xio.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <stdlib.h>
#include <string.h>

int
bs_hash_parse(const char *name, unsigned *id)
{
	if (strcmp(name, "xxh3") == 0)
		*id = BS_XXH3;
	else if (strcmp(name, "sha256") == 0)
		*id = BS_SHA256;
	else
		return -1;
	return 0;
}

const char *
bs_hash_name(unsigned id)
{
	return id == BS_XXH3 ? "xxh3" : id == BS_SHA256 ? "sha256" : "?";
}

unsigned
bs_hash_len(unsigned id)
{
	return id == BS_XXH3 ? 16 : id == BS_SHA256 ? 32 : 0;
}

unsigned
bs_wire_len(unsigned id)
{
	return id == BS_XXH3 ? 8 : bs_hash_len(id);
}

void
bs_hash_init(struct bs_hash *h, unsigned id, unsigned wl, uint64_t seed)
{
	h->id = id;
	h->len = bs_hash_len(id);
	h->wl = wl ? wl : bs_wire_len(id);
	h->seed = seed;
}

void
bs_block_hash(const struct bs_hash *h, const void *p, size_t n, uint8_t *out)
{
	if (h->id == BS_XXH3) {
		XXH128_hash_t x = XXH3_128bits_withSeed(p, n, h->seed);
		XXH128_canonical_t c;

		XXH128_canonicalFromHash(&c, x);
		memcpy(out, c.digest, 16);
	} else {
		struct sha256 s;
		uint8_t seed[8];

		put_le64(seed, h->seed);
		sha256_init(&s);
		sha256_update(&s, seed, 8);
		sha256_update(&s, p, n);
		sha256_final(&s, out);
	}
}

void
bs_digest_final(struct bs_digest *d, uint8_t out[BS_DIGEST_LEN])
{
	bs_digest_peek(d, out);
}

void
bs_group_hash(const struct bs_hash *h, const uint8_t *hashes, size_t n, uint8_t *out)
{
	uint8_t full[BS_DIGEST_LEN];

	bs_block_hash(h, hashes, n * h->len, full);
	memcpy(out, full, h->wl);
}

int
bs_is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t acc = 0;
	size_t i = 0;

	for (; i + 64 <= n; i += 64) {
		uint64_t w[8];

		memcpy(w, b + i, 64);
		acc |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
		if (acc)
			return 0;
	}
	for (; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

void
bs_digest_init(struct bs_digest *d, const struct bs_hash *h, uint64_t size, uint64_t start)
{
	uint8_t pre[24];

	d->h = *h;
	put_le64(pre, h->seed);
	put_le64(pre + 8, size);
	put_le64(pre + 16, start);
	if (h->id == BS_XXH3) {
		XXH3_state_t *s = XXH3_createState();

		if (!s)
			die_msg(RC_IO, "out of memory");
		XXH3_128bits_reset_withSeed(s, h->seed);
		XXH3_128bits_update(s, pre + 8, 16);
		d->state = s;
	} else {
		struct sha256 *s = xmalloc(sizeof *s);

		sha256_init(s);
		sha256_update(s, pre, 24);
		d->state = s;
	}
}

void
bs_digest_add(struct bs_digest *d, const uint8_t *hash, unsigned n)
{
	if (d->h.id == BS_XXH3)
		XXH3_128bits_update(d->state, hash, n);
	else
		sha256_update(d->state, hash, n);
}

void
bs_digest_peek(const struct bs_digest *d, uint8_t out[BS_DIGEST_LEN])
{
	memset(out, 0, BS_DIGEST_LEN);
	if (d->h.id == BS_XXH3) {
		XXH128_canonical_t c;

		/* XXH3 digests leave the state as it was */
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(d->state));
		memcpy(out, c.digest, 16);
	} else {
		struct sha256 s = *(const struct sha256 *)d->state;

		sha256_final(&s, out);
	}
}

void
bs_digest_copy(struct bs_digest *dst, const struct bs_digest *src)
{
	dst->h = src->h;
	if (src->h.id == BS_XXH3) {
		XXH3_state_t *s = XXH3_createState();

		if (!s)
			die_msg(RC_IO, "out of memory");
		XXH3_copyState(s, src->state);
		dst->state = s;
	} else {
		dst->state = xmalloc(sizeof(struct sha256));
		memcpy(dst->state, src->state, sizeof(struct sha256));
	}
}

uint64_t
bs_name_id(const char *s)
{
	uint64_t v = XXH3_64bits(s, strlen(s));

	return v ? v : 1;
}

void
bs_digest_free(struct bs_digest *d)
{
	if (!d->state)
		return;
	if (d->h.id == BS_XXH3)
		XXH3_freeState(d->state);
	else
		free(d->state);
	d->state = NULL;
}
