/*
 * outfile_test.c: unit tests of the output-file rules (outfile.c) without root: the pure
 * outfile_decide() over struct stat values, then outfile_open/commit/abort on files of our
 * own in a temporary directory (new, replaced, symlink, FIFO with and without a reader).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vethmap.h"
#include "unit.h"

static struct stat mk(mode_t mode, uid_t uid, nlink_t nlink)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = mode;
	st.st_uid = uid;
	st.st_nlink = nlink;
	return st;
}

static void test_decide(void)
{
	static const struct {
		const char *name;
		mode_t mode;
		uid_t uid, euid, ruid;
		nlink_t nlink;
		int want;
	} cases[] = {
		{ "own regular file: replaced", S_IFREG | 0644, 0, 0, 0, 1, OUT_REPLACE },
		{ "another user's 0666 file: refused", S_IFREG | 0666, 65534, 0, 0, 1, OUT_REFUSE },
		{ "real uid's file (setuid/file caps): replaced", S_IFREG | 0600, 1000, 0, 1000, 1,
		  OUT_REPLACE },
		{ "effective uid's file: replaced", S_IFREG | 0600, 1000, 1000, 1000, 1, OUT_REPLACE },
		{ "non-root user, root's file: refused", S_IFREG | 0666, 0, 1000, 1000, 1, OUT_REFUSE },
		{ "own file with 2 links: refused", S_IFREG | 0600, 0, 0, 0, 2, OUT_REFUSE },
		{ "symlink: refused", S_IFLNK | 0777, 0, 0, 0, 1, OUT_REFUSE },
		{ "another user's symlink: refused", S_IFLNK | 0777, 65534, 0, 0, 1, OUT_REFUSE },
		{ "own FIFO: in place", S_IFIFO | 0600, 0, 0, 0, 1, OUT_INPLACE },
		{ "another user's FIFO: refused", S_IFIFO | 0666, 65534, 0, 0, 1, OUT_REFUSE },
		{ "non-root user's own FIFO: in place", S_IFIFO | 0600, 1000, 1000, 1000, 1,
		  OUT_INPLACE },
		{ "root's character device: in place", S_IFCHR | 0666, 0, 0, 0, 1, OUT_INPLACE },
		{ "root's /dev/null for a non-root user: in place", S_IFCHR | 0666, 0, 1000, 1000, 1,
		  OUT_INPLACE },
		{ "another user's terminal: refused", S_IFCHR | 0620, 1000, 0, 0, 1, OUT_REFUSE },
		{ "directory: refused", S_IFDIR | 0755, 0, 0, 0, 2, OUT_REFUSE },
		{ "socket: refused", S_IFSOCK | 0755, 0, 0, 0, 1, OUT_REFUSE },
		{ "block device: refused", S_IFBLK | 0660, 0, 0, 0, 1, OUT_REFUSE },
	};
	const char *why;
	int k;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stat st = mk(cases[i].mode, cases[i].uid, cases[i].nlink);

		k = outfile_decide(&st, cases[i].euid, cases[i].ruid, &why);
		check(k == cases[i].want && (k == OUT_REFUSE) == (why != NULL), cases[i].name,
		      "got %d (%s), want %d", k, why ? why : "no reason", cases[i].want);
	}
	k = outfile_decide(NULL, 0, 0, &why);
	check(k == OUT_NEW && !why, "nothing there: new file", "got %d", k);
}

static char dir[] = "/tmp/outfile_test.XXXXXX";

static char *at(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int entries(void)
{
	char cmd[300];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static char *slurp(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_files(void)
{
	struct outfile of = { .nonblock = 0 };
	struct stat st;
	int rc, fd, rd;

	if (!mkdtemp(dir)) {
		check(0, "files: temporary directory", "mkdtemp failed");
		return;
	}
	rc = outfile_put(at("new"), "abc", 3);
	check(rc == 0 && !strcmp(slurp(at("new")), "abc") && !stat(at("new"), &st) &&
	      (st.st_mode & 0777) == 0600 && entries() == 1, "files: new file, 0600, nothing else",
	      "rc %d mode %o entries %d", rc, st.st_mode & 0777, entries());
	chmod(at("new"), 0644);
	rc = outfile_put(at("new"), "defg", 4);
	check(rc == 0 && !strcmp(slurp(at("new")), "defg") && !stat(at("new"), &st) &&
	      (st.st_mode & 0777) == 0600 && entries() == 1, "files: own file replaced by a new 0600 one",
	      "rc %d entries %d", rc, entries());

	rc = outfile_open(&of, at("new"));
	rc = rc ? rc : outfile_write(&of, "zz", 2);
	outfile_abort(&of);
	check(rc == 0 && !strcmp(slurp(at("new")), "defg") && entries() == 1,
	      "files: aborted: old file untouched, temporary removed", "rc %d entries %d", rc,
	      entries());

	if (symlink(at("new"), at("link")))
		perror("symlink");
	fprintf(stderr, "(expected:) ");
	rc = outfile_put(at("link"), "x", 1);
	check(rc == -1 && !strcmp(slurp(at("new")), "defg") && !lstat(at("link"), &st) &&
	      S_ISLNK(st.st_mode) && entries() == 2, "files: symlink refused, not followed, not replaced",
	      "rc %d entries %d", rc, entries());

	if (link(at("new"), at("hard")))
		perror("link");
	fprintf(stderr, "(expected:) ");
	rc = outfile_put(at("hard"), "x", 1);
	check(rc == -1 && !strcmp(slurp(at("new")), "defg"), "files: file with two links refused",
	      "rc %d", rc);

	mkfifo(at("fifo"), 0600);
	fprintf(stderr, "(expected:) ");
	rc = outfile_put(at("fifo"), "x", 1);
	check(rc == -1, "files: FIFO with no reader refused at once", "rc %d", rc);
	rd = open(at("fifo"), O_RDONLY | O_NONBLOCK);
	rc = outfile_put(at("fifo"), "fifo!", 5);
	{
		char b[16] = "";
		ssize_t n = rd >= 0 ? read(rd, b, sizeof(b) - 1) : -1;

		check(rc == 0 && n == 5 && !memcmp(b, "fifo!", 5) && !lstat(at("fifo"), &st) &&
		      S_ISFIFO(st.st_mode), "files: FIFO with a reader written in place, still a FIFO",
		      "rc %d n %zd", rc, n);
	}
	if (rd >= 0)
		close(rd);
	fd = open("/dev/null", O_RDONLY);
	check(fd >= 0 && outfile_put("/dev/null", "x", 1) == 0 && !stat("/dev/null", &st) &&
	      S_ISCHR(st.st_mode), "files: /dev/null written in place, still a device", "fd %d", fd);
	if (fd >= 0)
		close(fd);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", dir);
	}
}

int main(void)
{
	test_decide();
	test_files();
	return unit_failures ? 1 : 0;
}
