/* ringbind-load: the summary on stdout (its last line RESULT k=v ...) and
 * the JSON result (--json FILE, described by bench/load/result.schema.json).
 *
 * The JSON carries the latency histograms whole: the buckets are fixed
 * (log-linear, stats.c), so the histograms of two runs, two hosts or two
 * threads add up bucket by bucket into the histogram of both. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bench/load/load.h"

static const char *const mode_names[] = { "udp", "tcp", "storm", "ustorm", "mix", "prime" };

const char *lg_mode_name(const struct lg_opts *o)
{
	return mode_names[o->mode];
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static bool conns_apply(const struct lg_opts *o)
{
	return o->stream && o->mode != LG_MODE_STORM;
}

void lg_report_text(const struct lg_opts *o, const struct lg_result *r)
{
	const struct lg_counters *c = &r->c;
	double secs = r->secs;
	double rps = secs > 0 ? (double)c->replies / secs : 0;
	char cpu_per[32] = "na", cpu_pct[32] = "na", cpu_total[32] = "na";
	if (r->cpu_us >= 0) {
		snprintf(cpu_total, sizeof(cpu_total), "%" PRId64, r->cpu_us);
		if (c->replies)
			snprintf(cpu_per, sizeof(cpu_per), "%.3f", (double)r->cpu_us / (double)c->replies);
		if (secs > 0)
			snprintf(cpu_pct, sizeof(cpu_pct), "%.1f", (double)r->cpu_us / (secs * 1e4));
	}
	const char *mode = lg_mode_name(o);
	printf("ringbind-load: mode %s%s, call %s, %s port %u, %u thread(s), window %u", mode,
	       o->mode == LG_MODE_MIX ? (o->stream ? "/tcp" : "/udp") : "",
	       o->n_mix ? (o->preset ? o->preset : "mix") : lg_call_names[o->call], o->host, o->port,
	       o->threads, o->window);
	if (conns_apply(o))
		printf(", %u connections", o->conns);
	printf(", keys %u, miss %.1f%%, churn %.1f%%, %.2f s\n", o->keys, o->miss_pct, o->churn_pct, secs);
	printf("  replies   %" PRIu64 " valid (%.0f/s), %" PRIu64 " of them SET/UNSET; %" PRIu64 " calls sent\n",
	       c->replies, rps, c->mutations, c->sent);
	printf("  latency   lookups p50 %.1f us, p99 %.1f us, p99.9 %.1f us", us(lg_hist_quantile(&r->lat, 0.5)),
	       us(lg_hist_quantile(&r->lat, 0.99)), us(lg_hist_quantile(&r->lat, 0.999)));
	if (c->mutations)
		printf("; SET/UNSET p50 %.1f us, p99 %.1f us", us(lg_hist_quantile(&r->mlat, 0.5)),
		       us(lg_hist_quantile(&r->mlat, 0.99)));
	if (o->rate > 0)
		printf(" (from each call's intended send time)");
	printf("\n  problems  %" PRIu64 " error replies, %" PRIu64 " WRONG answers, %" PRIu64
	       " timeouts, %" PRIu64 " late, %" PRIu64 " local\n",
	       c->errors, c->wrong, c->timeouts, c->late, c->local_errors);
	if (o->rate > 0 && !o->ramp)
		printf("  rate      asked %.0f/s, sent %.0f/s, answered %.0f/s: %s%s\n", o->rate,
		       secs > 0 ? (double)c->sent / secs : 0, rps, r->rate_held ? "held" : "NOT HELD: ",
		       r->rate_held ? "" : r->rate_reason);
	if (o->ramp) {
		if (r->ramp_best >= 0) {
			const struct lg_step *b = &r->steps[r->ramp_best];
			printf("  capacity  %.0f replies/s sustained (step %d, %.0f/s asked, p99 %.1f us)\n",
			       b->dt_s > 0 ? (double)b->replies / b->dt_s : 0, r->ramp_best + 1, b->asked,
			       b->p99_us);
		} else {
			printf("  capacity  none: the first step did not hold\n");
		}
		if (r->ramp_broke >= 0)
			printf("  broke     at step %d, %.0f/s asked: %s\n", r->ramp_broke + 1,
			       r->steps[r->ramp_broke].asked, r->ramp_reason);
		else
			printf("  stopped   %s\n", r->ramp_reason);
	}
	if (o->idle_conns)
		printf("  idle      %u TCP connections held, %u still open at the end\n", r->idle_open,
		       r->idle_alive);
	if (o->server_pid > 0)
		printf("  server    pid %ld: %s us CPU, %s us per reply, %s%% of one CPU\n", o->server_pid,
		       cpu_total, cpu_per, cpu_pct);
	if (c->wrong)
		printf("  WRONG answers: are the --keys registered for this transport (--prime, --prime-proto)?\n");
	double cap = -1;
	if (o->ramp && r->ramp_best >= 0 && r->steps[r->ramp_best].dt_s > 0)
		cap = (double)r->steps[r->ramp_best].replies / r->steps[r->ramp_best].dt_s;
	printf("RESULT mode=%s call=%s transport=%s threads=%u window=%u conns=%u keys=%u miss_pct=%.1f"
	       " churn_pct=%.1f duration_s=%.3f sent=%" PRIu64 " replies=%" PRIu64 " rps=%.0f"
	       " p50_us=%.1f p99_us=%.1f p999_us=%.1f errors=%" PRIu64 " wrong=%" PRIu64
	       " timeouts=%" PRIu64 " late=%" PRIu64 " local_errors=%" PRIu64 " mutations=%" PRIu64
	       " mut_p99_us=%.1f idle_conns=%u idle_alive=%u server_cpu_us=%s"
	       " server_cpu_us_per_reply=%s server_cpu_pct=%s rate=%.0f rate_held=%s capacity=%.0f\n",
	       mode, o->n_mix ? (o->preset ? o->preset : "mix") : lg_call_names[o->call],
	       o->stream ? "tcp" : "udp", o->threads, o->window, conns_apply(o) ? o->conns : 0, o->keys,
	       o->miss_pct, o->churn_pct, secs, c->sent, c->replies, rps, us(lg_hist_quantile(&r->lat, 0.5)),
	       us(lg_hist_quantile(&r->lat, 0.99)), us(lg_hist_quantile(&r->lat, 0.999)), c->errors,
	       c->wrong, c->timeouts, c->late, c->local_errors, c->mutations,
	       us(lg_hist_quantile(&r->mlat, 0.99)), r->idle_open, r->idle_alive, cpu_total, cpu_per,
	       cpu_pct, o->rate, o->rate > 0 && !o->ramp ? (r->rate_held ? "1" : "0") : "na", cap);
}

/* A JSON string: the few things we print are ASCII; escape the rest. */
static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void jhist(FILE *f, const char *name, const struct lg_hist *h)
{
	fprintf(f, "    \"%s\": {\"count\": %" PRIu64 ", \"buckets\": [", name, h->n);
	bool first = true;
	for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
		if (!h->b[i])
			continue;
		fprintf(f, "%s\n      [%u, %" PRIu64 ", %" PRIu64 ", %" PRIu64 "]", first ? "" : ",", i,
			lg_hist_lo(i), lg_hist_hi(i), h->b[i]);
		first = false;
	}
	fprintf(f, "%s]}", first ? "" : "\n    ");
}

static void jlat(FILE *f, const struct lg_hist *h)
{
	fprintf(f, "{\"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, \"p999\": %.1f, \"max\": %.1f}",
		us(lg_hist_quantile(h, 0.5)), us(lg_hist_quantile(h, 0.9)), us(lg_hist_quantile(h, 0.99)),
		us(lg_hist_quantile(h, 0.999)), us(lg_hist_quantile(h, 1.0)));
}

static void jstep(FILE *f, const struct lg_step *s, bool ramp)
{
	double sr = s->dt_s > 0 ? (double)s->sent / s->dt_s : 0;
	double rr = s->dt_s > 0 ? (double)s->replies / s->dt_s : 0;
	fprintf(f, "{\"t_s\": %.3f, \"dt_s\": %.3f, \"asked_per_s\": %.1f, \"sent\": %" PRIu64
		   ", \"replies\": %" PRIu64 ", \"errors\": %" PRIu64 ", \"timeouts\": %" PRIu64
		   ", \"wrong\": %" PRIu64 ", \"sent_per_s\": %.1f, \"replies_per_s\": %.1f"
		   ", \"p50_us\": %.1f, \"p99_us\": %.1f",
		s->t_s, s->dt_s, s->asked, s->sent, s->replies, s->errors, s->timeouts, s->wrong, sr, rr,
		s->p50_us, s->p99_us);
	if (ramp)
		fprintf(f, ", \"held\": %s", s->ok ? "true" : "false");
	fputc('}', f);
}

int lg_report_json(const struct lg_opts *o, const struct lg_result *r, const char *path)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	const struct lg_counters *c = &r->c;
	double secs = r->secs;
	fprintf(f, "{\n  \"format\": \"ringbind-load/1\",\n  \"config\": {\n    \"server\": ");
	jstr(f, o->host);
	fprintf(f, ", \"port\": %u, \"family\": \"%s\", \"mode\": \"%s\", \"call\": ", o->port,
		o->family == AF_INET6 ? "inet6" : "inet", lg_mode_name(o));
	jstr(f, o->n_mix ? (o->preset ? o->preset : "mix") : lg_call_names[o->call]);
	fprintf(f, ",\n    \"transport\": \"%s\", \"threads\": %u, \"window\": %u, \"conns\": %u"
		   ", \"keys\": %u, \"miss_pct\": %.2f, \"churn_pct\": %.2f, \"duration_s\": %.3f"
		   ", \"timeout_ms\": %u,\n    \"rate\": %.1f, \"ramp\": %s",
		o->stream ? "tcp" : "udp", o->threads, o->window, conns_apply(o) ? o->conns : 0, o->keys,
		o->miss_pct, o->churn_pct, o->duration_s, o->timeout_ms, o->rate, o->ramp ? "true" : "false");
	fprintf(f, ",\n    \"mix\": [");
	for (unsigned i = 0; i < o->n_mix; i++) {
		const struct lg_mix_ent *e = &o->mix[i];
		fprintf(f, "%s\n      {\"procedure\": \"%s\", \"version\": %u, \"program\": %u, \"netid\": \"%s\""
			   ", \"weight\": %u, \"port\": ",
			i ? "," : "", lg_call_names[e->call], e->vers, e->prog, e->netid, e->weight);
		if (e->port == LG_PORT_ANY)
			fprintf(f, "null}");
		else
			fprintf(f, "%d}", e->port);
	}
	fprintf(f, "%s]\n  },\n", o->n_mix ? "\n    " : "");
	fprintf(f, "  \"duration_s\": %.3f,\n", secs);
	fprintf(f, "  \"totals\": {\"sent\": %" PRIu64 ", \"replies\": %" PRIu64 ", \"mutations\": %" PRIu64
		   ", \"errors\": %" PRIu64 ", \"wrong\": %" PRIu64 ", \"timeouts\": %" PRIu64
		   ", \"late\": %" PRIu64 ", \"local_errors\": %" PRIu64 "},\n",
		c->sent, c->replies, c->mutations, c->errors, c->wrong, c->timeouts, c->late, c->local_errors);
	fprintf(f, "  \"throughput\": {\"sent_per_s\": %.1f, \"replies_per_s\": %.1f},\n",
		secs > 0 ? (double)c->sent / secs : 0, secs > 0 ? (double)c->replies / secs : 0);
	fprintf(f, "  \"latency_us\": {\"lookups\": ");
	jlat(f, &r->lat);
	fprintf(f, ", \"mutations\": ");
	jlat(f, &r->mlat);
	fprintf(f, ", \"from\": \"%s\"},\n", o->rate > 0 ? "intended-send" : "send");
	if (o->rate > 0 && !o->ramp) {
		fprintf(f, "  \"rate\": {\"asked_per_s\": %.1f, \"sent_per_s\": %.1f, \"replies_per_s\": %.1f"
			   ", \"held\": %s, \"behind\": %" PRIu64 ", \"reason\": ",
			o->rate, secs > 0 ? (double)c->sent / secs : 0, secs > 0 ? (double)c->replies / secs : 0,
			r->rate_held ? "true" : "false", r->behind);
		jstr(f, r->rate_reason);
		fprintf(f, "},\n");
	} else {
		fprintf(f, "  \"rate\": null,\n");
	}
	if (o->ramp) {
		double cap = 0;
		if (r->ramp_best >= 0 && r->steps[r->ramp_best].dt_s > 0)
			cap = (double)r->steps[r->ramp_best].replies / r->steps[r->ramp_best].dt_s;
		fprintf(f, "  \"ramp\": {\"start_per_s\": %.1f, \"factor\": %g, \"step_s\": %g, \"max_per_s\": %.1f"
			   ", \"min_ratio\": %g, \"p99_bound_ms\": %g,\n    \"capacity_per_s\": %.1f"
			   ", \"capacity_step\": %d, \"broke_step\": %d, \"reason\": ",
			o->rate, o->ramp_factor, o->ramp_step_s, o->ramp_max, o->ramp_min_ratio, o->ramp_p99_ms,
			cap, r->ramp_best >= 0 ? r->ramp_best + 1 : 0, r->ramp_broke >= 0 ? r->ramp_broke + 1 : 0);
		jstr(f, r->ramp_reason);
		fprintf(f, "},\n");
	} else {
		fprintf(f, "  \"ramp\": null,\n");
	}
	fprintf(f, "  \"steps\": [");
	for (size_t i = 0; i < r->n_steps; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		jstep(f, &r->steps[i], o->ramp);
	}
	fprintf(f, "%s],\n", r->n_steps ? "\n  " : "");
	if (r->cpu_us >= 0)
		fprintf(f, "  \"server\": {\"pid\": %ld, \"cpu_us\": %" PRId64 ", \"cpu_us_per_reply\": %.4f},\n",
			o->server_pid, r->cpu_us, c->replies ? (double)r->cpu_us / (double)c->replies : 0.0);
	else
		fprintf(f, "  \"server\": null,\n");
	fprintf(f, "  \"histograms\": {\n    \"scheme\": {\"name\": \"log-linear\", \"unit\": \"ns\""
		   ", \"exact_below\": %u, \"sub_buckets\": %u, \"buckets\": %u},\n",
		2u * LG_HIST_SUB, LG_HIST_SUB, LG_HIST_BUCKETS);
	jhist(f, "lookups", &r->lat);
	fprintf(f, ",\n");
	jhist(f, "mutations", &r->mlat);
	fprintf(f, "\n  },\n  \"exit_status\": %d\n}\n", r->exit_status);
	int rc = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}
