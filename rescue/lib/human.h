/* human.h: byte counts for people: "512 B", "1.5 MiB" (binary units). */
#ifndef RESCUE_HUMAN_H
#define RESCUE_HUMAN_H

#include <stddef.h>

/* Format bytes into buf (n bytes): below 1 KiB a whole "N B", above that
 * the largest unit up to EiB with the given decimals.  Returns buf. */
const char *human_size(char *buf, size_t n, double bytes, int decimals);

#endif
