#ifndef MM_HFWRITE_H
#define MM_HFWRITE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/*
 * Writing primitives for the HuggingFace Hub cache, in the layout that
 * huggingface_hub writes (HF-HUB.md section 2).  Everything below the
 * cache directory goes through directory file descriptors and *at()
 * calls with O_NOFOLLOW, so no symlink planted in the cache is ever
 * followed.  Directories are created 0775 (minus the caller's umask)
 * plus setgid, so a shared group keeps write access.  Functions return
 * 0 (or a file descriptor) on success and -1 with errno set on failure
 * unless said otherwise.
 */

/* The exact content of CACHEDIR.TAG written by huggingface_hub. */
extern const char	 hfwrite_cachedir_tag_text[];

/*
 * mkdir -p of path (the cache directory itself, which the operator
 * configures: symlinks in it are followed).  Created directories get
 * the setgid bit.
 */
int	 hfwrite_mkdirs(const char *path);

/*
 * Opens the directory name inside dirfd without following a symlink,
 * first creating it (0775 & ~umask, setgid) when create is set.  Returns
 * the new descriptor (O_CLOEXEC), which the caller closes.
 */
int	 hfwrite_dir(int dirfd, const char *name, int create);

/*
 * As hfwrite_dir for a relative path of '/'-separated segments, walked
 * one segment at a time ("" or NULL gives a duplicate of dirfd).  Empty,
 * "." and ".." segments fail with EINVAL.
 */
int	 hfwrite_dirs(int dirfd, const char *relpath, int create);

/*
 * Removes name inside dirfd and, when it is a directory, everything in
 * it, like rm -rf but never following a symlink: links are unlinked,
 * never what they point to.  Walks with one directory descriptor at a
 * time and no path buffer, so any depth works; going back up checks that
 * ".." is the directory it came from (EXDEV when the tree was moved
 * meanwhile).  A missing name is not an error.
 */
int	 hfwrite_rmtree(int dirfd, const char *name);

/* Writes CACHEDIR.TAG into cachefd unless an entry of that name exists. */
int	 hfwrite_cachedir_tag(int cachefd);

/*
 * Takes flock(LOCK_EX | LOCK_NB) on name inside dirfd, creating the
 * file with mode 0664 if missing (it is never deleted: huggingface_hub
 * uses the same files).  Returns the locked descriptor; closing it
 * releases the lock.  When another process holds the lock, returns -1
 * with errno EWOULDBLOCK.
 */
int	 hfwrite_lock(int dirfd, const char *name);

/*
 * Replaces name inside dirfd atomically with len bytes of data: a
 * unique "<name>.<8 hex>.tmp" beside it, then rename(2).  The file mode
 * is 0666 & ~umask.  fsync()s the file first when do_fsync is set.
 */
int	 hfwrite_atomic(int dirfd, const char *name, const void *data,
	    size_t len, int do_fsync);

/*
 * Writes refs/<revision> (refsfd is the refs/ directory; revision may
 * hold '/' and must be valid per hubname_valid_revision) with content
 * commit and no newline, atomically and durably (the file and its
 * directory fsync'ed), unless it already is a regular file holding
 * exactly that.  A symlink or fifo planted there is replaced, never
 * followed or read.
 */
int	 hfwrite_ref(int refsfd, const char *revision, const char *commit);

/*
 * Creates <path> inside snapfd (the snapshots/<commit> directory) as a
 * relative symlink to "../../" + one "../" per directory level +
 * "blobs/<etag>": intermediate
 * directories are created segment by segment (never through a
 * symlink), an existing entry at path is removed first, and a link that
 * a concurrent writer created to the same target is accepted.  path must
 * be valid per hubname_valid_filename.
 */
int	 hfwrite_link(int snapfd, const char *path, const char *etag);

/* One file of a tree listing, as trees/<commit>.json stores it. */
struct hfwrite_tree {
	const char	*path;
	uint64_t	 size;
	const char	*blob_id;	/* git object id */
	const char	*lfs_sha256;	/* NULL unless an LFS file */
	uint64_t	 lfs_size;
	const char	*xet_hash;	/* NULL unless given */
};

/*
 * The files of a listing, in strictly increasing byte order of their
 * paths (as Python sorts str), fetched one at a time so the whole
 * listing never has to be in memory: get(arg, i, f) fills f with file i
 * (0 <= i < n); the strings f points to stay valid until the next call.
 * get returns 0, or -1 with errno set.
 */
struct hfwrite_list {
	size_t	  n;
	int	(*get)(void *arg, size_t i, struct hfwrite_tree *f);
	void	 *arg;
};

/*
 * A list over an array of n files already sorted by path; files must
 * outlive l.  Cannot fail.
 */
void	 hfwrite_list_array(struct hfwrite_list *l,
	    const struct hfwrite_tree *files, size_t n);

/*
 * Builds the trees/<commit>.json text (HF-HUB.md section 3.6) byte for
 * byte as huggingface_hub writes it: json.dump(indent=1) of
 * {"format_version": 1, "files": {...}} with the files in path order
 * and each file's keys in the order size, blob_id, lfs_sha256,
 * lfs_size, xet_hash; non-ASCII escaped as \uXXXX; no final newline.
 * Paths must be valid UTF-8.  Returns a malloc'd NUL-terminated string
 * the caller frees (length in *len), or NULL (errno ENOMEM, EINVAL for a
 * string that is not UTF-8, or get's errno).  For tests: a download
 * writes the file with hfwrite_trees, never holding the text.
 */
char	*hfwrite_trees_json(const struct hfwrite_list *files, size_t *len);

/*
 * Writes trees/<commit>.json inside repofd (creating trees/), the text
 * of hfwrite_trees_json streamed through a small buffer into a temporary
 * file renamed into place.
 */
int	 hfwrite_trees(int repofd, const char *commit,
	    const struct hfwrite_list *files);

/*
 * Starts the digest that names a blob: SHA-256 of the content for an LFS
 * file (lfs set), else the git blob SHA-1 of "blob <size>\0" + content.
 * Returns 0, or -1 if OpenSSL fails.
 */
int	 hfwrite_hash_begin(EVP_MD_CTX *md, int lfs, uint64_t size);

/*
 * Finishes the digest started by hfwrite_hash_begin and compares it with
 * etag (lowercase hex).  Returns 1 when they match, 0 otherwise.
 */
int	 hfwrite_hash_matches(EVP_MD_CTX *md, const char *etag);

#endif
