#ifndef MM_HUBPARTS_H
#define MM_HUBPARTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The parts of one blob fetched as several HTTP Range requests at once
 * (hubxfer.c), as pure bookkeeping with no I/O: which bytes of the
 * partial file are on disk (spans recorded, plus what each part in
 * flight has written so far), which range the next part takes, how far
 * the contiguous prefix that the digest may follow reaches, and the part
 * map file that records it across runs (<etag>.mm.parts, beside the
 * blob's .lock; format below).
 *
 * Parts are taken in file order, each the first unclaimed range of
 * hubparts_next_len bytes, so that the prefix advances while the file
 * streams in and the digest follows it without a second pass.
 */

#define HUBPARTS_SPANS	64	/* recorded ranges, in memory and in a map */
#define HUBPARTS_PIECES	32	/* parts in flight at once (parts_per_file) */

/* The map file: its exact size for n spans, and the largest one. */
#define HUBPARTS_MAP_HDR	88
#define HUBPARTS_MAP_LEN(n)	(HUBPARTS_MAP_HDR + 16 * (size_t)(n) + 8)
#define HUBPARTS_MAP_MAX	HUBPARTS_MAP_LEN(HUBPARTS_SPANS)

struct hubspan {
	uint64_t	 start, end;	/* [start, end) */
};

/* A part in flight: [start, end) asked for, [start, pos) written. */
struct hubpiece {
	uint64_t	 start, pos, end;
	uint64_t	 mark;		/* pos when the map was last encoded */
	int		 used;
};

struct hubparts {
	uint64_t	 size;		/* the blob's */
	struct hubspan	 done[HUBPARTS_SPANS];	/* sorted, disjoint, never
						   adjacent */
	size_t		 ndone;
	struct hubpiece	 piece[HUBPARTS_PIECES];
	size_t		 npieces;	/* used ones */
	uint64_t	 filled;	/* bytes on disk: done and written */
	uint64_t	 prefix;	/* [0, prefix) is on disk */
};

/* Nothing on disk, nothing in flight, for a blob of size bytes. */
void	 hubparts_init(struct hubparts *p, uint64_t size);

/*
 * Records [start, end) as on disk (merging it with what it touches).
 * Returns 0, or -1 when HUBPARTS_SPANS ranges are recorded already and
 * it touches none: the range is then forgotten (fetched again later).
 */
int	 hubparts_add(struct hubparts *p, uint64_t start, uint64_t end);

/*
 * The length of the next part: a share of the bytes nobody fetches yet
 * (a (2 * parts)th, so that the last parts are short and finish
 * together), within [lo, hi].
 */
uint64_t hubparts_next_len(const struct hubparts *p, unsigned parts,
	    uint64_t lo, uint64_t hi);

/*
 * Takes the first range that is neither on disk nor in flight, at most
 * len bytes (the whole rest of it when less than lo would remain).
 * Returns the part's index, or -1 when nothing is left to take or
 * HUBPARTS_PIECES parts are in flight.
 */
int	 hubparts_take(struct hubparts *p, uint64_t len, uint64_t lo);

/*
 * Takes the whole blob as one part from byte 0 (a server that ignored a
 * Range answers with the whole file: it is written over what is there).
 * Returns its index, or -1 when HUBPARTS_PIECES parts are in flight.
 */
int	 hubparts_take_all(struct hubparts *p);

/* Part i wrote len more bytes at its pos. */
void	 hubparts_wrote(struct hubparts *p, int i, uint64_t len);

/*
 * Ends part i: what it wrote is recorded (hubparts_add), the rest of its
 * range is free to take again.  Returns hubparts_add's result (0 when i
 * is not a part in flight: nothing changes).
 */
int	 hubparts_drop(struct hubparts *p, int i);

/* 1 when every byte of the blob is on disk. */
int	 hubparts_complete(const struct hubparts *p);

/* 1 if some range is neither on disk nor in flight. */
int	 hubparts_has_hole(const struct hubparts *p);

/*
 * The map file (all integers little-endian):
 *	"MMPARTS\0"		magic
 *	u32 version (1), u32 n	n ranges, at most HUBPARTS_SPANS
 *	u64 size		the blob's size
 *	char etag[64]		its name, NUL-padded
 *	n x (u64 start, u64 end) the ranges on disk: sorted, disjoint,
 *				never adjacent, within [0, size)
 *	u64 check		FNV-1a 64 of every byte before it
 */

/*
 * Encodes into buf (HUBPARTS_MAP_MAX bytes) every byte on disk, the
 * parts' written bytes included, and notes each part's pos as its mark.
 * Ranges beyond HUBPARTS_SPANS are left out (they are fetched again).
 * Returns the length.
 */
size_t	 hubparts_encode(struct hubparts *p, const char *etag,
	    unsigned char *buf);

/*
 * Decodes a map of len bytes for the blob etag of size bytes into p
 * (hubparts_init first, no part in flight).  Returns 0, or -1 (p then
 * as after hubparts_init) when anything is off: length, magic, version,
 * size, etag, order or bounds of a range, checksum.
 */
int	 hubparts_decode(struct hubparts *p, const unsigned char *buf,
	    size_t len, const char *etag, uint64_t size);

/* The end of the last recorded range (0 when none). */
uint64_t hubparts_extent(const struct hubparts *p);

#endif
