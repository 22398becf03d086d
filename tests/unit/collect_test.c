/*
 * collect_test.c: unit tests of 'vethmap collect' without root: the pod list of a
 * recorded `kubectl get pods -o json` (tests/data/kubectl/pods.json, written by hand in
 * the shape of the Kubernetes v1 API: no cluster here), the file names of hosts, the check
 * that a document is a scan, and the runner (collect_run) on small commands: a scan-shaped
 * output kept, a deadline, an exit status with its stderr line, an output bound, a missing
 * program, and a file written only when good.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vethmap.h"
#include "collect.h"
#include "unit.h"

#define S(x) ((char *)(uintptr_t)(x))	/* argv wants char * */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;

	*len = 0;
	if (f) {
		buf = malloc(1 << 20);
		*len = fread(buf, 1, (1 << 20) - 1, f);
		buf[*len] = '\0';
		fclose(f);
	}
	return buf;
}

static void test_pods(sqlite3 *jdb)
{
	static const struct {
		const char *name, *node, *why;	/* why NULL: usable */
	} want[] = {
		{ "vethmap-4kx7p", "node-a.example", NULL },
		{ "vethmap-9zq2m", "node-b.example", NULL },
		{ "vethmap-pend1", "", "not on a node (not scheduled)" },
		{ "vethmap-old77", "node-c.example", "being deleted" },
		{ "vethmap-crash", "node-d.example", "not running" },
		{ "-oProxyCommand=touch /tmp/x", "node-e.example", "its name is not a Kubernetes name" },
		{ "vethmap-evil1", "../../etc/cron.d/x", "its node's name is not a Kubernetes name" },
		{ "", "node-f.example", "its name is not a Kubernetes name" },
	};
	static const char *const bad[] = { "", "[]", "{}", "{\"items\": {}}", "{\"items\": [",
					   "not json" };
	struct kpod *v;
	const char *err;
	size_t len;
	char *doc = slurp("tests/data/kubectl/pods.json", &len);
	long n = doc ? kube_pods_parse(jdb, doc, len, &v, &err) : -1;

	check(n == 8, "pods: every item of the recorded list", "got %ld", n);
	for (long i = 0; i < n && i < 8; i++) {
		char name[64];

		snprintf(name, sizeof(name), "pods: item %ld (%.30s)", i, want[i].name);
		check(!strcmp(v[i].name, want[i].name) && !strcmp(v[i].node, want[i].node) &&
		      v[i].usable == !want[i].why &&
		      (!want[i].why || (v[i].why && !strcmp(v[i].why, want[i].why))), name,
		      "name '%s' node '%s' usable %d why '%s'", v[i].name, v[i].node, v[i].usable,
		      v[i].why ? v[i].why : "");
	}
	if (n > 0)
		free(v);
	free(doc);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "pods: '%s' is refused", bad[i]);
		n = kube_pods_parse(jdb, bad[i], strlen(bad[i]), &v, &err);
		check(n == -1 && err && *err, name, "got %ld", n);
	}
	n = kube_pods_parse(jdb, "{\"items\": []}", 13, &v, &err);
	check(n == 0, "pods: an empty list is no pods", "got %ld", n);
	free(v);
}

static void test_names(void)
{
	static const struct {
		const char *label, *want;
	} cases[] = {
		{ "10.251.0.11", "10.251.0.11.json" },
		{ "root@node-a", "root@node-a.json" },
		{ "ssh://h:22", "ssh:%2F%2Fh:22.json" },
		{ "..", "%2E..json" },
		{ ".hidden", "%2Ehidden.json" },
		{ "a/../b", "a%2F..%2Fb.json" },
		{ "caf\xc3\xa9 x", "caf%C3%A9%20x.json" },
	};
	char buf[256], longl[300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = collect_file_name(buf, sizeof(buf), cases[i].label);

		check(!rc && !strcmp(buf, cases[i].want), cases[i].want, "got %d '%s'", rc, buf);
	}
	check(collect_file_name(buf, sizeof(buf), "") == -1, "file name: an empty label is refused",
	      "accepted");
	memset(longl, 'a', sizeof(longl) - 1);
	longl[sizeof(longl) - 1] = '\0';
	check(collect_file_name(buf, sizeof(buf), longl) == -1,
	      "file name: a label too long is refused", "accepted");
}

static void test_check_scan(sqlite3 *jdb)
{
	static const struct {
		const char *doc, *host;	/* host NULL: refused */
		int incomplete;
	} cases[] = {
		{ "{\"scan\": {\"host\": \"h1\", \"incomplete\": false}, \"netns\": [], "
		  "\"interfaces\": [], \"edges\": []}", "h1", 0 },
		{ "{\"host\": {\"name\": \"n1\", \"machine_id\": \"ab\"}, \"scan\": {\"host\": \"h1\"},"
		  " \"netns\": [], \"interfaces\": [], \"edges\": []}", "n1", 0 },
		{ "{\"scan\": {\"host\": \"h2\", \"incomplete\": true}, \"netns\": [], "
		  "\"interfaces\": [], \"edges\": []}", "h2", 1 },
		{ "{\"scan\": {}, \"netns\": {}, \"interfaces\": [], \"edges\": []}", NULL, 0 },
		{ "{\"x\": 1}", NULL, 0 },
		{ "[1, 2]", NULL, 0 },
		{ "{\"scan\": {", NULL, 0 },
		{ "", NULL, 0 },
	};
	char host[128];
	int inc;
	const char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = collect_check_scan(jdb, cases[i].doc, strlen(cases[i].doc), host,
					    sizeof(host), &inc, &why);
		char name[80];

		snprintf(name, sizeof(name), "check_scan: %.50s", cases[i].doc);
		if (cases[i].host)
			check(!rc && !strcmp(host, cases[i].host) && inc == cases[i].incomplete, name,
			      "rc %d host '%s' incomplete %d", rc, host, inc);
		else
			check(rc == -1 && why && *why, name, "accepted (host '%s')", host);
	}
	check(collect_check_scan(jdb, "{\"scan\": {}}\0x", 14, host, sizeof(host), &inc, &why) == -1,
	      "check_scan: a NUL byte is refused", "accepted");
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ts_diff_ms(&t, t0) / 1000;
}

static void test_run(void)
{
	static const char scan[] = "{\"scan\": {\"host\": \"h\"}, \"netns\": [], \"interfaces\": [],"
				   " \"edges\": []}";
	char *ok_argv[] = { S("printf"), S("%s"), S(scan), NULL };
	char *slow_argv[] = { S("sleep"), S("20"), NULL };
	char *fail_argv[] = { S("sh"), S("-c"), S("echo first >&2; "
			      "echo 'ssh: connect to host x port 22: Connection refused' >&2; exit 255"),
			      NULL };
	char *big_argv[] = { S("yes"), NULL };
	char *none_argv[] = { S("/nonexistent/vk1-ssh"), NULL };
	char *garbage_argv[] = { S("echo"), S("{\"x\": 1}"), NULL };
	/* the process exits, a grandchild keeps its stdout open: the deadline still holds */
	char *grand_argv[] = { S("sh"), S("-c"), S("sleep 20 & exit 0"), NULL };
	char *noisy_argv[] = { S("sh"), S("-c"), S("yes x | head -c 100000 >&2; echo last >&2; exit 3"),
			       NULL };
	char dir[] = "/tmp/vk1-unit.XXXXXX", okp[64], badp[64];
	struct cjob v[8] = {
		{ .label = "ok", .argv = ok_argv, .check_scan = 1 },
		{ .label = "slow", .argv = slow_argv, .check_scan = 1 },
		{ .label = "fail", .argv = fail_argv, .check_scan = 1 },
		{ .label = "big", .argv = big_argv, .check_scan = 1 },
		{ .label = "none", .argv = none_argv, .check_scan = 1 },
		{ .label = "garbage", .argv = garbage_argv, .check_scan = 1 },
		{ .label = "grand", .argv = grand_argv, .check_scan = 1 },
		{ .label = "noisy", .argv = noisy_argv, .check_scan = 1 },
	};
	struct timespec t0;
	struct stat st;
	size_t good;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	good = collect_run(v, 8, 0.5, 1 << 20);
	check(good == 1, "run: one of eight collected", "got %zu", good);
	check(since(&t0) < 5, "run: in parallel, the deadline kills (0.5 s, not 20)", "took %.1f s",
	      since(&t0));
	check(v[0].ok == 1 && v[0].buf && !strcmp(v[0].buf, scan) && !strcmp(v[0].host, "h"),
	      "run: a scan is kept", "ok %d why '%s'", v[0].ok, v[0].why);
	check(!v[1].ok && strstr(v[1].why, "timed out"), "run: a hung one times out", "'%s'",
	      v[1].why);
	check(!v[2].ok && !strcmp(v[2].why, "exit status 255: ssh: connect to host x port 22: "
	      "Connection refused"), "run: exit status and the last line of stderr", "'%s'",
	      v[2].why);
	check(!v[3].ok && strstr(v[3].why, "output beyond 1 MiB"), "run: the output is bounded",
	      "'%s'", v[3].why);
	check(!v[4].ok && strstr(v[4].why, "exit status 127: cannot run"),
	      "run: a missing program says so", "'%s'", v[4].why);
	check(!v[5].ok && !strcmp(v[5].why, "JSON, but not a vethmap scan"),
	      "run: JSON that is not a scan is refused", "'%s'", v[5].why);
	check(!v[6].ok && strstr(v[6].why, "timed out"),
	      "run: an output held open by a grandchild costs the deadline", "'%s'", v[6].why);
	check(!v[7].ok && !strcmp(v[7].why, "exit status 3: last"),
	      "run: 100 kB of stderr: its last line is the reason", "'%s'", v[7].why);
	for (int i = 0; i < 8; i++)
		free(v[i].buf);

	/* into files: the good one renamed into place, the bad one leaves nothing */
	if (!mkdtemp(dir)) {
		check(0, "run: a temporary directory", "mkdtemp failed");
		return;
	}
	snprintf(okp, sizeof(okp), "%s/ok.json", dir);
	snprintf(badp, sizeof(badp), "%s/bad.json", dir);
	{
		struct cjob f[2] = {
			{ .label = "ok", .argv = ok_argv, .check_scan = 1, .path = okp },
			{ .label = "bad", .argv = garbage_argv, .check_scan = 1, .path = badp },
		};
		good = collect_run(f, 2, 5, 1 << 20);
		check(good == 1 && f[0].ok == 1 && !stat(okp, &st) && st.st_size == (off_t)strlen(scan)
		      && (st.st_mode & 0777) == 0600, "run: a good scan is written (0600)",
		      "good %zu why '%s'", good, f[0].why);
		check(stat(badp, &st) && !f[1].ok, "run: a bad one writes no file", "it is there");
		unlink(okp);
		check(rmdir(dir) == 0, "run: no temporary file is left behind", "directory not empty");
	}
}

int main(void)
{
	sqlite3 *jdb;

	if (sqlite3_open_v2(":memory:", &jdb, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return 1;
	test_pods(jdb);
	test_names();
	test_check_scan(jdb);
	test_run();
	sqlite3_close(jdb);
	return unit_failures ? 1 : 0;
}
