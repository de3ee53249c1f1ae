/* unit.h: the tiny unit-test runner.  A test file defines test functions and
 * ends with UNIT_MAIN(test_a, test_b, ...), or with
 * UNIT_MAIN_FIXTURE(setup, teardown, test_a, ...) when the tests share a
 * setup (run first) and a teardown (run last); neither is counted as a test.
 * The program prints one line per failed check, one "ok"/"not ok" line per
 * test, then "N passed, N failed".  Only real tests are counted: a test in
 * which no check ran is "not ok" (it proved nothing), and a failed check in
 * the setup fails every test. */
#ifndef RESCUE_UNIT_H
#define RESCUE_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_checks, unit_checks;

#define CHECK(cond) do { \
	unit_checks++; \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		unit_failed_checks++; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	unit_checks++; \
	if (strcmp(a_, b_) != 0) { \
		fprintf(stderr, "%s:%d: check failed: %s == %s\n  got:      '%s'\n  expected: '%s'\n", \
			__FILE__, __LINE__, #a, #b, a_, b_); \
		unit_failed_checks++; \
	} \
} while (0)

typedef void (*unit_fn)(void);

static inline void
unit_nothing(void)
{
}

/* unit_one: run one test; 1 if it passed (checks ran, none failed). */
static int
unit_one(const char *name, unit_fn fn)
{
	int failed_before = unit_failed_checks, checks_before = unit_checks;

	fn();
	if (unit_failed_checks != failed_before) {
		printf("not ok %s\n", name);
		return 0;
	}
	if (unit_checks == checks_before) {
		printf("not ok %s: no check ran\n", name);
		return 0;
	}
	printf("ok %s\n", name);
	return 1;
}

static int
unit_run(const char *const *names, const unit_fn *fns, int n, unit_fn setup, unit_fn teardown)
{
	int passed = 0, failed = 0;

	/* line-buffered: the lines before a crash stay in the log */
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup();
	if (unit_failed_checks) {
		printf("not ok setup: %d tests not run\n", n);
		failed = n;
	} else {
		for (int i = 0; i < n; i++) {
			if (unit_one(names[i], fns[i]))
				passed++;
			else
				failed++;
		}
	}
	int before = unit_failed_checks;

	teardown();
	if (unit_failed_checks != before) {
		printf("not ok teardown\n");
		failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#define UNIT_MAIN(...) UNIT_MAIN_FIXTURE(unit_nothing, unit_nothing, __VA_ARGS__)

#define UNIT_MAIN_FIXTURE(setup, teardown, ...) \
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
		return unit_run(names, fns, (int)(sizeof fns / sizeof fns[0]), setup, teardown); \
	}

#endif
