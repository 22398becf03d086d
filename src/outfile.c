/*
 * outfile.c implements the one way every -o and -w target is written (cap -w, graph -o,
 * report -o), in the manner of git's lockfile:
 *
 *   "-"                       standard output;
 *   a FIFO, a character device  written in place: opened O_NONBLOCK (a FIFO with no reader
 *                             is refused at once, never waited for), never created, never
 *                             truncated; when it is ours or root's (/dev/null): another
 *                             user's FIFO or terminal would hand them what we write;
 *   a regular file, or none   written to a new file beside it (O_EXCL, 0600, a temporary
 *                             name in the same directory) that is renamed over it when
 *                             complete; on failure the temporary file is removed and the
 *                             old file is untouched;
 *   anything else             refused with one line: a symbolic link (never followed), a
 *                             directory, a socket or block device, a regular file that
 *                             belongs to another user than the one running us (effective
 *                             or real uid) or that has more than one link.
 *
 * outfile_decide() is the rule alone, over a struct stat, so it is tested without root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vethmap.h"

/*
 * What to do with an output path whose lstat() gave st (NULL: nothing is there), for a
 * process with effective uid euid and real uid ruid.  Returns OUT_NEW, OUT_REPLACE,
 * OUT_INPLACE, or OUT_REFUSE with *why set to a static reason.
 */
int outfile_decide(const struct stat *st, uid_t euid, uid_t ruid, const char **why)
{
	*why = NULL;
	if (!st)
		return OUT_NEW;
	if (S_ISLNK(st->st_mode))
		*why = "is a symbolic link (not followed)";
	else if ((S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode)) && st->st_uid != euid &&
		 st->st_uid != ruid && st->st_uid != 0)
		*why = "belongs to another user: not written to";
	else if (S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode))
		return OUT_INPLACE;
	else if (S_ISDIR(st->st_mode))
		*why = "is a directory";
	else if (!S_ISREG(st->st_mode))
		*why = "is not a regular file, FIFO or character device";
	else if (st->st_uid != euid && st->st_uid != ruid)
		*why = "belongs to another user: not replaced";
	else if (st->st_nlink > 1)
		*why = "has more than one link: not replaced";
	else
		return OUT_REPLACE;
	return OUT_REFUSE;
}

/* The temporary name beside path: DIR/.BASE.XXXXXX, for mkostemp(). */
static char *temp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *tmp;

	if (asprintf(&tmp, "%.*s.%s.XXXXXX", (int)(base - path), path, base) < 0)
		die("out of memory");
	return tmp;
}

/*
 * Standard output, for a writer that must not block: a pipe or a device is opened again
 * through /proc/self/fd/1 as a description of our own with O_NONBLOCK (the shell's stays
 * as it was); where that cannot be done, fd 1 itself is made non-blocking until
 * outfile_close().  A regular file is written as it is (it never blocks).
 */
static int open_stdout(struct outfile *of)
{
	struct stat st;
	int fd, fl;

	of->fd = STDOUT_FILENO;
	if (!of->nonblock || fstat(STDOUT_FILENO, &st) || S_ISREG(st.st_mode))
		return 0;
	fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st2;

		if (!fstat(fd, &st2) && st2.st_dev == st.st_dev && st2.st_ino == st.st_ino) {
			of->fd = fd;
			return 0;
		}
		close(fd);
	}
	fl = fcntl(STDOUT_FILENO, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK) && !fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK))
		of->restore_fl = fl + 1;
	return 0;
}

/*
 * Open path for writing as described at the top.  of->nonblock asks for a descriptor that
 * never blocks (standard output included).  Returns 0, or -1 after one line naming path.
 */
int outfile_open(struct outfile *of, const char *path)
{
	struct stat st, st2;
	const char *why;
	int have, fd;

	of->path = path;
	of->fd = -1;
	of->tmp = NULL;
	of->restore_fl = 0;
	if (!strcmp(path, "-")) {
		of->kind = OUT_STDOUT;
		return open_stdout(of);
	}
	have = !lstat(path, &st);
	if (!have && errno != ENOENT) {
		error("cannot write '%s':", path);
		return -1;
	}
	of->kind = outfile_decide(have ? &st : NULL, geteuid(), getuid(), &why);
	if (of->kind == OUT_REFUSE) {
		error("cannot write '%s': %s", path, why);
		return -1;
	}
	if (of->kind == OUT_INPLACE) {
		fd = open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 && errno == ENXIO && S_ISFIFO(st.st_mode)) {
			error("cannot write '%s': no process reads that FIFO", path);
			return -1;
		}
		if (fd < 0) {
			error("cannot write '%s':", path);
			return -1;
		}
		if (fstat(fd, &st2) || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
			error("cannot write '%s': it changed while being opened", path);
			close(fd);
			return -1;
		}
		if (!of->nonblock)
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		of->fd = fd;
		return 0;
	}
	of->tmp = temp_name(path);
	fd = mkostemp(of->tmp, O_CLOEXEC);
	if (fd < 0) {
		error("cannot create a file beside '%s':", path);
		free(of->tmp);
		of->tmp = NULL;
		return -1;
	}
	fchmod(fd, 0600);
	of->fd = fd;
	return 0;
}

/*
 * Write all of buf, waiting (poll) while a non-blocking output is full.  Returns 0, or -1
 * with errno set (the caller names the file).
 */
int outfile_write(struct outfile *of, const void *buf, size_t n)
{
	return write_full(of->fd, buf, n, NULL);
}

/* Close our descriptor (not standard output), giving fd 1 back its flags; 0 or -1. */
int outfile_close(struct outfile *of)
{
	int rc = 0;

	if (of->restore_fl) {
		fcntl(STDOUT_FILENO, F_SETFL, of->restore_fl - 1);
		of->restore_fl = 0;
	}
	if (of->fd > STDOUT_FILENO || (of->fd >= 0 && of->kind != OUT_STDOUT))
		rc = close(of->fd);
	of->fd = -1;
	return rc;
}

/*
 * Finish: a new file is made durable (fsync) and renamed over the path; anything else is
 * closed.  Returns 0, or -1 after one line (the temporary file is then removed).
 */
int outfile_commit(struct outfile *of)
{
	int fd = of->fd;

	if (!of->tmp) {
		if (of->kind == OUT_STDOUT && fd == STDOUT_FILENO) {
			outfile_close(of);
			return finish_stdout();
		}
		if (outfile_close(of)) {
			error("cannot write '%s':", of->path);
			return -1;
		}
		return 0;
	}
	if (fd >= 0 && (fsync(fd) || outfile_close(of))) {
		error("cannot write '%s':", of->path);
		outfile_abort(of);
		return -1;
	}
	if (rename(of->tmp, of->path)) {
		error("cannot rename '%s' to '%s':", of->tmp, of->path);
		outfile_abort(of);
		return -1;
	}
	free(of->tmp);
	of->tmp = NULL;
	return 0;
}

/* Give up: close, and remove the temporary file; the old file stays as it was. */
void outfile_abort(struct outfile *of)
{
	outfile_close(of);
	if (of->tmp) {
		unlink(of->tmp);
		free(of->tmp);
		of->tmp = NULL;
	}
}

/* The whole of data into path, through outfile_open/write/commit; 0 or -1 (one line). */
int outfile_put(const char *path, const void *data, size_t len)
{
	struct outfile of = { .nonblock = 0 };

	if (!strcmp(path, "-")) {
		fwrite(data, 1, len, stdout);
		return finish_stdout();
	}
	if (outfile_open(&of, path))
		return -1;
	if (outfile_write(&of, data, len)) {
		error("cannot write '%s':", path);
		outfile_abort(&of);
		return -1;
	}
	return outfile_commit(&of);
}
