/* fmt.c: encoding of blksync headers, frames and trailers (docs/blksync.md)
 * and their CRCs.  Beside it, by job: hash.c (block hashes, image digests),
 * stream.c (the buffered reader and writer that report offsets), src.c
 * (reads from the source device or image).
 */
#include "blksync/fmt.h"
#include "lib/bytes.h"

#include <string.h>
#include <zlib.h>

/* crc32 goes on over n bytes at p (zlib takes a uInt at a time) */
static uLong
crc_more(uLong c, const void *p, size_t n)
{
	while (n > 0) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;

		c = crc32(c, p, k);
		p = (const uint8_t *)p + k;
		n -= k;
	}
	return c;
}

uint32_t
bs_crc(const void *p, size_t n)
{
	return (uint32_t)crc_more(crc32(0L, Z_NULL, 0), p, n);
}

void
bs_hdr_encode(const struct bs_hdr *h, uint8_t out[BS_HDR_LEN])
{
	memset(out, 0, BS_HDR_LEN);
	memcpy(out, "BLKSYNC", 7);
	out[7] = (uint8_t)h->kind;
	out[8] = (uint8_t)h->version;
	out[9] = (uint8_t)(h->version >> 8);
	out[10] = (uint8_t)h->hash_id;
	out[11] = (uint8_t)h->hash_len;
	put_le32(out + 12, h->flags);
	put_le32(out + 16, h->block);
	put_le32(out + 20, h->group);
	put_le64(out + 24, h->seed);
	put_le64(out + 32, h->size);
	put_le64(out + 40, h->base_size);
	put_le64(out + 48, h->start);
	memcpy(out + 56, h->base_id, BS_DIGEST_LEN);
	put_le64(out + 88, h->target_id);
	put_le32(out + 124, bs_crc(out, 124));
}

const char *
bs_hdr_decode(struct bs_hdr *h, const uint8_t in[BS_HDR_LEN])
{
	memset(h, 0, sizeof *h);
	if (memcmp(in, "BLKSYNC", 7) != 0)
		return "not a blksync stream (bad magic)";
	if (get_le32(in + 124) != bs_crc(in, 124))
		return "header checksum mismatch";
	h->kind = in[7];
	h->version = in[8] | (unsigned)in[9] << 8;
	h->hash_id = in[10];
	h->hash_len = in[11];
	h->flags = get_le32(in + 12);
	h->block = get_le32(in + 16);
	h->group = get_le32(in + 20);
	h->seed = get_le64(in + 24);
	h->size = get_le64(in + 32);
	h->base_size = get_le64(in + 40);
	h->start = get_le64(in + 48);
	memcpy(h->base_id, in + 56, BS_DIGEST_LEN);
	h->target_id = get_le64(in + 88);
	if (h->kind != BS_SIGS && h->kind != BS_DELTA && h->kind != BS_HELLO)
		return "unknown stream kind";
	if (h->version != BS_VERSION)
		return "unsupported format version";
	if (!bs_hash_len(h->hash_id) || (h->hash_len != bs_hash_len(h->hash_id) &&
					 !(h->hash_id == BS_XXH3 && h->hash_len == 8)))
		return "unknown hash algorithm";
	if (h->block < BS_MIN_BLOCK || h->block > BS_MAX_BLOCK || (h->block & (h->block - 1)))
		return "bad block size";
	if (h->flags & ~(uint32_t)(BS_F_FULL | BS_F_BASEID | BS_F_LIVE | BS_F_DONEID))
		return "unknown flags";
	if ((h->flags & BS_F_DONEID) && (h->kind == BS_DELTA || !h->start))
		return "bad flags";
	if (h->group && (h->kind == BS_DELTA || h->group > BS_GROUP ||
			 (h->group & (h->group - 1)) || (uint64_t)h->group * h->block > BS_CHUNK))
		return "bad group size";
	if (h->start % h->block || (h->start && h->start >= h->size))
		return "bad start offset";
	if (h->size > (1ull << 62) || h->base_size > (1ull << 62))
		return "size out of range";
	return NULL;
}

void
bs_frame_encode(const struct bs_frame *f, uint8_t out[BS_FRAME_LEN])
{
	put_le32(out, f->tag);
	put_le64(out + 4, f->off);
	put_le32(out + 12, f->len);
	put_le32(out + 16, f->stored);
	put_le32(out + 20, f->crc);
}

void
bs_frame_decode(struct bs_frame *f, const uint8_t in[BS_FRAME_LEN])
{
	f->tag = get_le32(in);
	f->off = get_le64(in + 4);
	f->len = get_le32(in + 12);
	f->stored = get_le32(in + 16);
	f->crc = get_le32(in + 20);
	f->codec = f->tag == TAG_DATA && f->stored < f->len ? BS_DEFLATE : BS_RAW;
}

uint32_t
bs_frame_sum(const struct bs_frame *f, const void *data, size_t n)
{
	uint8_t b[BS_FRAME_LEN];

	bs_frame_encode(f, b);
	return (uint32_t)crc_more(crc_more(crc32(0L, Z_NULL, 0), b, 20), data, n);
}

void
bs_trailer_encode(const struct bs_trailer *t, uint8_t out[BS_TRAILER_LEN])
{
	memcpy(out, t->base_id, BS_DIGEST_LEN);
	memcpy(out + 32, t->result, BS_DIGEST_LEN);
	put_le64(out + 64, t->records);
	put_le64(out + 72, t->data_bytes);
	put_le64(out + 80, t->zero_bytes);
	put_le64(out + 88, t->size);
}

void
bs_trailer_decode(struct bs_trailer *t, const uint8_t in[BS_TRAILER_LEN])
{
	memcpy(t->base_id, in, BS_DIGEST_LEN);
	memcpy(t->result, in + 32, BS_DIGEST_LEN);
	t->records = get_le64(in + 64);
	t->data_bytes = get_le64(in + 72);
	t->zero_bytes = get_le64(in + 80);
	t->size = get_le64(in + 88);
}

const char *
bs_tag_name(uint32_t tag, char buf[8])
{
	for (int i = 0; i < 4; i++) {
		unsigned c = (tag >> (8 * i)) & 0xff;
		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[4] = 0;
	return buf;
}
