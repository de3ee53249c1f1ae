/* unit.h: the tiny unit-test runner.  A test file defines test functions and
 * ends with UNIT_MAIN(test_a, test_b, ...).  The program prints one line per
 * failed check, one "ok"/"not ok" line per test, then "N passed, N failed". */
#ifndef RESCUE_UNIT_H
#define RESCUE_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_checks;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		unit_failed_checks++; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (strcmp(a_, b_) != 0) { \
		fprintf(stderr, "%s:%d: check failed: %s == %s\n  got:      '%s'\n  expected: '%s'\n", \
			__FILE__, __LINE__, #a, #b, a_, b_); \
		unit_failed_checks++; \
	} \
} while (0)

typedef void (*unit_fn)(void);

static int
unit_run(const char *const *names, const unit_fn *fns, int n)
{
	int passed = 0, failed = 0;

	for (int i = 0; i < n; i++) {
		int before = unit_failed_checks;

		fns[i]();
		if (unit_failed_checks == before) {
			printf("ok %s\n", names[i]);
			passed++;
		} else {
			printf("not ok %s\n", names[i]);
			failed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#define UNIT_MAIN(...) \
	int main(void) { \
		static const unit_fn fns[] = { __VA_ARGS__ }; \
		static const char names_[] = #__VA_ARGS__; \
		static char buf[sizeof names_]; \
		const char *names[sizeof fns / sizeof fns[0]]; \
		char *p = buf; \
		memcpy(buf, names_, sizeof names_); \
		for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) { \
			while (*p == ' ' || *p == ',') p++; \
			names[i] = p; \
			while (*p && *p != ',') p++; \
			if (*p) *p++ = 0; \
		} \
		return unit_run(names, fns, (int)(sizeof fns / sizeof fns[0])); \
	}

#endif
