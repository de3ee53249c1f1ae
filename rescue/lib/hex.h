/* hex.h: bytes to lowercase hex text, and one hex digit back to its value. */
#ifndef RESCUE_HEX_H
#define RESCUE_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Write 2*n lowercase hex digits and a NUL into out (2*n+1 bytes); out. */
char *hex_encode(const uint8_t *p, size_t n, char *out);
/* The value of one hex digit, -1 if c is none.  Formats fix the case:
 * upper != 0 accepts only 0-9A-F (MooseFS), 0 only 0-9a-f (our own). */
int hex_digit(char c, int upper);

#endif
