/* Hex digits, encoding and one-shot digests. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "hex.h"
#include "unit.h"

static void
test_digits(void)
{
	static const struct { int c, v; } cases[] = {
		{ '0', 0 }, { '9', 9 }, { 'a', 10 }, { 'f', 15 }, { 'A', 10 },
		{ 'F', 15 }, { 'g', -1 }, { 'G', -1 }, { '/', -1 }, { ':', -1 },
		{ '@', -1 }, { '`', -1 }, { 0, -1 }, { 0xff, -1 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_EQUAL(hex_digit(cases[i].c), cases[i].v);
}

static void
test_encode(void)
{
	char	 out[9];

	hex_encode("\x00\x7f\x80\xff", 4, out);
	CU_ASSERT_STRING_EQUAL(out, "007f80ff");
	hex_encode("", 0, out);
	CU_ASSERT_STRING_EQUAL(out, "");
}

static void
test_digests(void)
{
	char	 s256[65], s1[41];

	/* FIPS 180 test vectors. */
	hex_sha256("abc", 3, s256);
	CU_ASSERT_STRING_EQUAL(s256, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	hex_sha1("abc", 3, s1);
	CU_ASSERT_STRING_EQUAL(s1, "a9993e364706816aba3e25717850c26c9cd0d89d");
	hex_sha256("", 0, s256);
	CU_ASSERT_STRING_EQUAL(s256, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

static const struct unit_test tests[] = {
	{ "hex digits", test_digits },
	{ "encoding", test_encode },
	{ "SHA-256 and SHA-1", test_digests },
	{ NULL, NULL }
};

UNIT_SUITE("hex", NULL, NULL, tests)
