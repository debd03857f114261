/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fw-bench: what binding and unbinding a port costs through the nftables
 * backend, in process, the way the daemon does it: the filters are loaded
 * once, then each port is instantiated, compiled and applied as its own
 * transaction. The design promise is that port #1000 costs what port #1
 * costs (a shared template per filter tree, per-port data as set
 * elements), so each port is timed separately and the table shows the
 * median next to the first and the last port.
 *
 * Every size runs in a forked child that first moves to a fresh network
 * namespace: each row starts from an empty ruleset and nothing touches the
 * caller's namespace. Ports need not exist: nftables elements are names.
 *
 *   fw-bench [--tsv] [--stateful N] [N...]     the table (default N: 1 100 1000)
 *   fw-bench --bind PREFIX FIRST COUNT         bind PREFIX<FIRST>.. with clean-traffic
 *   fw-bench --uncounted ...                   drops not counted (drop_counters = no)
 *                                              in the current namespace (for scripts)
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/load.h"
#include "filter/filter.h"
#include "filter/filterset.h"
#include "filter/instantiate.h"
#include "fw/apply.h"
#include "fw/compile.h"
#include "util/cleanup.h"

#define BENCH_PORTS_MAX 65535 /* port ids of stateful ports are 16 bits */
#define STATEFUL_FILTER "bench-stateful"

/*
 * A small filter with layer 3/4 rules, so that the inet table, the packet
 * mark and the per-port id are on the measured path (clean-traffic has none).
 */
static const char stateful_xml[] = "<filter name='" STATEFUL_FILTER "' chain='root'>\n"
				   "  <rule action='accept' direction='out' priority='100'>\n"
				   "    <all state='ESTABLISHED,RELATED'/>\n"
				   "  </rule>\n"
				   "  <rule action='accept' direction='in' priority='100'>\n"
				   "    <all state='ESTABLISHED'/>\n"
				   "  </rule>\n"
				   "  <rule action='accept' direction='in' priority='200'>\n"
				   "    <tcp dstportstart='22' state='NEW'/>\n"
				   "  </rule>\n"
				   "  <rule action='accept' direction='out' priority='300'>\n"
				   "    <udp dstportstart='53' state='NEW'/>\n"
				   "  </rule>\n"
				   "  <rule action='drop' direction='inout' priority='1000'>\n"
				   "    <all/>\n"
				   "  </rule>\n"
				   "</filter>\n";

/* One row of the table. Times in nanoseconds. */
struct bench_row {
	const char *filter;
	unsigned n;
	uint64_t total;       /* wall time to bind all n ports */
	uint64_t median;      /* one port: instantiate + compile + apply */
	uint64_t first, last; /* port 1 (creates the base and the template) and port n */
	uint64_t max;
	uint64_t median_compile; /* instantiate + compile (pure) */
	uint64_t median_apply;   /* the nftables transaction */
	uint64_t remove_one;     /* the middle port, while the others still use the template */
	uint64_t remove_rest;    /* the other n - 1 ports, in bind order */
	uint64_t median_remove;
	unsigned n_rules, n_elements;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Sorts v in place. */
static uint64_t median(uint64_t *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(void *userdata, const struct conf_message *m)
{
	if (m->severity == CONF_ERROR)
		fprintf(stderr, "fw-bench: %s\n", m->text);
}

/* --uncounted: templates drop without counting, as with drop_counters = no */
static bool is_uncounted;

/* Port k of a run: vnetK (or PREFIXK), MAC 52:54:00:xx:xx:xx and IP 10.x.y.1 made from k. */
static int make_binding(const char *filter, const char *prefix, unsigned k, bool with_ip,
			struct binding **ret)
{
	_cleanup_(binding_freep) struct binding *b = binding_new();
	char ip[IP_TEXT_MAX];

	if (!b)
		return -ENOMEM;
	if (asprintf(&b->portdev, "%s%u", prefix, k) < 0) {
		b->portdev = NULL;
		return -ENOMEM;
	}
	/* no interface can have a longer name: such a binding would measure nothing real */
	if (strlen(b->portdev) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	b->owner_name = strdup(b->portdev);
	b->ref.filter = strdup(filter);
	if (!b->owner_name || !b->ref.filter)
		return -ENOMEM;
	memcpy(b->mac,
	       (uint8_t[]){ 0x52, 0x54, 0, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k },
	       MAC_LEN);
	if (with_ip) {
		snprintf(ip, sizeof(ip), "10.%u.%u.1", (k >> 8) & 0xff, k & 0xff);
		if (filter_params_add(&b->ref.params, "IP", ip) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(b);
	return 0;
}

/*
 * Binds port k: instantiate + compile (pure, timed as compile) and apply
 * (one nftables transaction). *ret_rec is what removing the port needs.
 */
static int bind_port(const struct filter_set *set, struct fw_ctx *ctx, const char *filter,
		     const char *prefix, unsigned k, bool is_stateful, struct fw_record **ret_rec,
		     uint64_t *ret_compile, uint64_t *ret_apply, struct fw_port **ret_port,
		     struct err *err)
{
	_cleanup_(binding_freep) struct binding *b = NULL;
	_cleanup_(instance_freep) struct instance *inst = NULL;
	_cleanup_(fw_port_freep) struct fw_port *p = NULL;
	uint64_t t0, t1, t2;
	int r;

	r = make_binding(filter, prefix, k, !is_stateful, &b);
	if (r < 0)
		return err_set(err, r, "port %s%u: cannot build the binding: %s", prefix, k,
			       r == -ENAMETOOLONG ? "name longer than 15 characters"
						  : strerror(-r));
	t0 = now_ns();
	r = filter_instantiate(set, b, &inst, err);
	if (r < 0)
		return r;
	if (!instance_is_complete(inst))
		return err_set(err, -EINVAL, "port %s: filter '%s' has unresolved variables",
			       b->portdev, filter);
	r = fw_compile(inst, b->portdev,
		       &(struct fw_compile_opts){ .port_id = k, .is_uncounted = is_uncounted }, &p,
		       err);
	if (r < 0)
		return r;
	t1 = now_ns();
	r = fw_apply_port(ctx, p, NULL, ret_rec, err);
	if (r < 0)
		return r;
	t2 = now_ns();
	*ret_compile = t1 - t0;
	*ret_apply = t2 - t1;
	if (ret_port)
		*ret_port = TAKE_PTR(p);
	return 0;
}

struct bench_times {
	uint64_t *compile, *apply, *port, *remove; /* owned, n each */
	struct fw_record **recs;                   /* owned, n */
	unsigned n;
};

static void bench_times_fini(struct bench_times *t)
{
	for (unsigned i = 0; t->recs && i < t->n; i++)
		fw_record_free(t->recs[i]);
	free(t->recs);
	free(t->compile);
	free(t->apply);
	free(t->port);
	free(t->remove);
}

static int bench_times_init(struct bench_times *t, unsigned n)
{
	*t = (struct bench_times){ .n = n };
	t->compile = calloc(n, sizeof(uint64_t));
	t->apply = calloc(n, sizeof(uint64_t));
	t->port = calloc(n, sizeof(uint64_t));
	t->remove = calloc(n, sizeof(uint64_t));
	t->recs = calloc(n, sizeof(*t->recs));
	if (!t->compile || !t->apply || !t->port || !t->remove || !t->recs) {
		bench_times_fini(t);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Removes the middle port first, while the other ports still use the
 * template (the common case: the daemon knows the template stays), then the
 * rest in bind order; the last one takes the template with it.
 */
static int remove_ports(struct fw_ctx *ctx, struct bench_times *t, struct bench_row *row,
			struct err *err)
{
	unsigned middle = t->n / 2, n_rest = 0;
	uint64_t t0, t1;
	int r;

	t0 = now_ns();
	r = fw_remove_port(ctx, t->recs[middle], t->n == 1, err);
	if (r < 0)
		return r;
	row->remove_one = now_ns() - t0;
	for (unsigned i = 0; i < t->n; i++) {
		if (i == middle)
			continue;
		t0 = now_ns();
		r = fw_remove_port(ctx, t->recs[i], n_rest + 2 == t->n, err);
		if (r < 0)
			return r;
		t1 = now_ns();
		t->remove[n_rest++] = t1 - t0;
		row->remove_rest += t1 - t0;
	}
	row->median_remove = median(t->remove, n_rest);
	return 0;
}

static int run_size(const struct filter_set *set, const char *filter, unsigned n,
		    struct bench_row *row, struct err *err)
{
	_cleanup_(fw_closep) struct fw_ctx *ctx = NULL;
	bool is_stateful = strcmp(filter, STATEFUL_FILTER) == 0;
	struct bench_times t;
	uint64_t t0;
	int r;

	*row = (struct bench_row){ .filter = filter, .n = n };
	if (bench_times_init(&t, n) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	r = fw_open(FW_NFLOG_GROUP_DEFAULT, &ctx, err);
	if (r < 0)
		goto out;
	t0 = now_ns();
	for (unsigned i = 0; i < n; i++) {
		_cleanup_(fw_port_freep) struct fw_port *p = NULL;

		r = bind_port(set, ctx, filter, "vnet", i + 1, is_stateful, &t.recs[i],
			      &t.compile[i], &t.apply[i], i == 0 ? &p : NULL, err);
		if (r < 0)
			goto out;
		t.port[i] = t.compile[i] + t.apply[i];
		if (t.port[i] > row->max)
			row->max = t.port[i];
		if (p) {
			row->n_rules = p->n_rules;
			row->n_elements = p->n_elements;
		}
	}
	row->total = now_ns() - t0;
	row->first = t.port[0];
	row->last = t.port[n - 1];
	row->median_compile = median(t.compile, n);
	row->median_apply = median(t.apply, n);
	row->median = median(t.port, n);
	r = remove_ports(ctx, &t, row, err);
out:
	bench_times_fini(&t);
	return r;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void print_header(bool is_tsv)
{
	if (is_tsv)
		printf("filter\tports\trules\telements\tbind_all_ms\tmedian_ms\tport1_ms\tportN_ms\t"
		       "max_ms\tcompile_median_ms\tapply_median_ms\tremove_one_ms\t"
		       "remove_rest_ms\tremove_median_ms\n");
	else
		printf("%-15s %5s %10s %8s %8s %8s %8s %8s %8s %8s %10s %8s\n", "filter", "ports",
		       "bind all", "median", "port 1", "port N", "max", "compile", "apply", "rm 1",
		       "rm rest", "rm med");
	fflush(stdout);
}

static void print_row(const struct bench_row *r, bool is_tsv)
{
	if (is_tsv)
		printf("%s\t%u\t%u\t%u\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\n",
		       r->filter, r->n, r->n_rules, r->n_elements, ms(r->total), ms(r->median),
		       ms(r->first), ms(r->last), ms(r->max), ms(r->median_compile),
		       ms(r->median_apply), ms(r->remove_one), ms(r->remove_rest),
		       ms(r->median_remove));
	else
		printf("%-15s %5u %10.1f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %10.1f %8.3f\n",
		       r->filter, r->n, ms(r->total), ms(r->median), ms(r->first), ms(r->last),
		       ms(r->max), ms(r->median_compile), ms(r->median_apply), ms(r->remove_one),
		       ms(r->remove_rest), ms(r->median_remove));
	fflush(stdout);
}

/* One row in a child in a fresh network namespace, so every row starts from an empty ruleset. */
static int run_isolated(const struct filter_set *set, const char *filter, unsigned n, bool is_tsv)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct bench_row row;
		struct err err = { 0 };

		if (unshare(CLONE_NEWNET) < 0) {
			fprintf(stderr,
				"fw-bench: cannot create a network namespace: %m (needs root)\n");
			_exit(77);
		}
		if (run_size(set, filter, n, &row, &err) < 0) {
			fprintf(stderr, "fw-bench: %s, %u ports: %s\n", filter, n, err.msg);
			_exit(1);
		}
		print_row(&row, is_tsv);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -EINTR;
	return WEXITSTATUS(status) == 77 ? -EPERM : WEXITSTATUS(status) ? -EIO : 0;
}

/* Writes the stateful filter to a temporary directory and loads it like any filter directory. */
static int load_stateful(struct filter_set *set, struct conf_diag *diag)
{
	char dir[] = "/tmp/fw-bench.XXXXXX";
	_cleanup_free_ char *path = NULL;
	FILE *f;
	int r;

	if (!mkdtemp(dir))
		return -errno;
	if (asprintf(&path, "%s/%s.xml", dir, STATEFUL_FILTER) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto out;
	}
	f = fopen(path, "we");
	if (!f) {
		r = -errno;
		goto out;
	}
	r = fputs(stateful_xml, f) < 0 ? -EIO : 0;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0)
		r = conf_load_dir(dir, set, diag);
	if (r > 0)
		r = -EINVAL;
out:
	if (path)
		(void)unlink(path);
	(void)rmdir(dir);
	return r;
}

static int load_filters(struct filter_set **ret, bool with_stateful)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	struct conf_diag diag = { .report = report };
	int r;

	if (!set)
		return -ENOMEM;
	r = conf_load_dir(conf_builtin_dir(), set, &diag);
	if (r != 0) {
		fprintf(stderr, "fw-bench: cannot load the built-in filters from %s\n",
			conf_builtin_dir());
		return r < 0 ? r : -EINVAL;
	}
	if (with_stateful) {
		r = load_stateful(set, &diag);
		if (r < 0) {
			fprintf(stderr, "fw-bench: cannot load the stateful test filter: %s\n",
				strerror(-r));
			return r;
		}
	}
	*ret = TAKE_PTR(set);
	return 0;
}

/* --bind: extra clean-traffic ports in the caller's namespace, left in place for the caller. */
static int bind_range(const struct filter_set *set, const char *prefix, unsigned first,
		      unsigned count)
{
	_cleanup_(fw_closep) struct fw_ctx *ctx = NULL;
	_cleanup_free_ uint64_t *times = calloc(count ? count : 1, sizeof(uint64_t));
	_cleanup_free_ char *template_id = NULL;
	struct err err = { 0 };
	uint64_t t0 = now_ns(), total;

	if (!times)
		return -ENOMEM;
	if (fw_open(FW_NFLOG_GROUP_DEFAULT, &ctx, &err) < 0) {
		fprintf(stderr, "fw-bench: %s\n", err.msg);
		return err.code;
	}
	for (unsigned i = 0; i < count; i++) {
		_cleanup_(fw_record_freep) struct fw_record *rec = NULL;
		uint64_t compile, apply;
		int r;

		r = bind_port(set, ctx, "clean-traffic", prefix, first + i, false, &rec, &compile,
			      &apply, NULL, &err);
		if (r < 0) {
			fprintf(stderr, "fw-bench: %s\n", err.msg);
			return r;
		}
		times[i] = compile + apply;
		if (!template_id)
			template_id = strdup(rec->template_id);
	}
	total = now_ns() - t0;
	printf("bound %u ports %s%u..%s%u with clean-traffic%s (template %s): %.1f ms, median %.3f ms\n",
	       count, prefix, first, prefix, first + count - 1, is_uncounted ? ", uncounted" : "",
	       template_id ? template_id : "-", ms(total), ms(median(times, count)));
	return 0;
}

static int parse_count(const char *text, unsigned min, unsigned *ret)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || !end || *end || end == text || v < min || v > BENCH_PORTS_MAX)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: fw-bench [--tsv] [--stateful N] [N...]   (N: 1..%u; default "
		"1 100 1000, stateful 1000; --stateful 0 skips it)\n"
		"       fw-bench --bind PREFIX FIRST COUNT\n"
		"       --uncounted: drops not counted per reason (drop_counters = no)\n",
		BENCH_PORTS_MAX);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "tsv", no_argument, NULL, 't' },  { "stateful", required_argument, NULL, 's' },
		{ "bind", no_argument, NULL, 'b' }, { "uncounted", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	_cleanup_(filter_set_freep) struct filter_set *set = NULL;
	_cleanup_free_ unsigned *sizes = NULL;
	bool is_tsv = false, is_bind = false;
	unsigned n_stateful = 1000, first, count;
	size_t n_sizes = 3;
	int opt, r, rc = 0;

	while ((opt = getopt_long(argc, argv, "ts:buh", options, NULL)) != -1) {
		switch (opt) {
		case 't':
			is_tsv = true;
			break;
		case 's':
			if (parse_count(optarg, 0, &n_stateful) < 0)
				return usage();
			break;
		case 'b':
			is_bind = true;
			break;
		case 'u':
			is_uncounted = true;
			break;
		default:
			return usage();
		}
	}
	if (is_bind) {
		if (argc - optind != 3 || parse_count(argv[optind + 1], 1, &first) < 0 ||
		    parse_count(argv[optind + 2], 1, &count) < 0)
			return usage();
		if (load_filters(&set, false) < 0)
			return 1;
		return bind_range(set, argv[optind], first, count) < 0 ? 1 : 0;
	}
	if (optind < argc)
		n_sizes = (size_t)(argc - optind);
	sizes = calloc(n_sizes, sizeof(*sizes));
	if (!sizes)
		return 1;
	if (optind == argc)
		memcpy(sizes, (unsigned[]){ 1, 100, 1000 }, 3 * sizeof(*sizes));
	for (size_t i = 0; optind < argc && i < n_sizes; i++)
		if (parse_count(argv[optind + (int)i], 1, &sizes[i]) < 0)
			return usage();
	if (load_filters(&set, n_stateful > 0) < 0)
		return 1;
	print_header(is_tsv);
	for (size_t i = 0; i <= n_sizes; i++) {
		if (i == n_sizes && n_stateful == 0)
			break;
		if (i < n_sizes)
			r = run_isolated(set, "clean-traffic", sizes[i], is_tsv);
		else
			r = run_isolated(set, STATEFUL_FILTER, n_stateful, is_tsv);
		if (r == -EPERM)
			return 77;
		if (r < 0)
			rc = 1;
	}
	return rc;
}
