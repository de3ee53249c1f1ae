/* test_clock.c: clock_now is monotonic and counts real seconds. */
#include "lib/clock.h"
#include "unit.h"

#include <time.h>

static void
test_advances(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	double a = clock_now(), b;

	nanosleep(&ts, NULL);
	b = clock_now();
	CHECK(a > 0);
	CHECK(b - a >= 0.049);
	CHECK(b - a < 5);
}

static void
test_never_back(void)
{
	double last = clock_now();

	for (int i = 0; i < 100000; i++) {
		double t = clock_now();
		if (t < last) {
			CHECK(t >= last);
			return;
		}
		last = t;
	}
	CHECK(1);
}

UNIT_MAIN(test_advances, test_never_back)
