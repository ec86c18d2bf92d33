package web

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// QueueAgeAPI is offered by a RelayAPI that can say how long the oldest
// message with a recipient waiting has been queued: the
// relaylab_queue_oldest_seconds gauge, which a queue that grows old
// while its depth stays small (one destination deferring everything)
// shows where relaylab_queue_depth does not.
type QueueAgeAPI interface {
	OldestWaiting(ctx context.Context) (time.Duration, error)
}

// OpenSessionsAPI is offered by a SinkAPI that can count its SMTP
// sessions open now.
type OpenSessionsAPI interface {
	OpenSessions() int
}

// InProgressAPI is offered by a RelayAPI that can count its submission
// sessions open now and its deliveries under way.
type InProgressAPI interface {
	InProgress() (sessions, deliveries int)
}

// liveGauges registers, through f, the gauges read on scrape from the
// running components that offer them.
func liveGauges(f func(prometheus.Collector), relay RelayAPI, sink SinkAPI) {
	if q, ok := relay.(QueueAgeAPI); ok {
		f(queueOldest{q})
	}
	s, _ := sink.(OpenSessionsAPI)
	p, _ := relay.(InProgressAPI)
	if s != nil || p != nil {
		f(inProgress{s, p})
	}
	if r, ok := relay.(SubmissionRefusalsAPI); ok {
		f(submissionRefusals{r})
	}
}

// SubmissionRefusalsAPI is offered by a RelayAPI whose submission port
// counts what it refused to clients that may not submit.
type SubmissionRefusalsAPI interface {
	SubmissionRefusals() (relayingDenied, authFailed uint64)
}

// submissionRefusals is the relaylab_submission_refusals_total counter,
// read from the relay on scrape.
type submissionRefusals struct{ relay SubmissionRefusalsAPI }

var submissionRefusalsDesc = prometheus.NewDesc("relaylab_submission_refusals_total",
	"What the relay's submission port refused to clients that may not submit, by reason: relaying-denied (MAIL, or RCPT after a null sender, from a client neither authenticated nor in relay.allowed_networks) or auth-failed (a failed AUTH, or an AUTH answered 454 because its address ran out of tries).", []string{"reason"}, nil)

func (g submissionRefusals) Describe(ch chan<- *prometheus.Desc) { ch <- submissionRefusalsDesc }

func (g submissionRefusals) Collect(ch chan<- prometheus.Metric) {
	denied, failed := g.relay.SubmissionRefusals()
	ch <- prometheus.MustNewConstMetric(submissionRefusalsDesc, prometheus.CounterValue, float64(denied), "relaying-denied")
	ch <- prometheus.MustNewConstMetric(submissionRefusalsDesc, prometheus.CounterValue, float64(failed), "auth-failed")
}

// queueOldest is the relaylab_queue_oldest_seconds gauge. As with the
// queue's depth, a queue that cannot be read leaves it out of the scrape.
type queueOldest struct{ relay QueueAgeAPI }

var queueOldestDesc = prometheus.NewDesc("relaylab_queue_oldest_seconds",
	"Seconds since the oldest message with a recipient waiting in the relay's queue was queued; 0 when nothing waits.", nil, nil)

func (q queueOldest) Describe(ch chan<- *prometheus.Desc) { ch <- queueOldestDesc }

func (q queueOldest) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	age, err := q.relay.OldestWaiting(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueOldestDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueOldestDesc, prometheus.GaugeValue, age.Seconds())
}

// inProgress is the relaylab_sessions_open gauge, a series for each of
// the sink and the relay's submission that runs, and the relay's
// relaylab_deliveries_in_progress.
type inProgress struct {
	sink  OpenSessionsAPI
	relay InProgressAPI
}

var (
	sessionsOpenDesc = prometheus.NewDesc("relaylab_sessions_open",
		"SMTP sessions open now, by the listener that took them: the sink's, or the relay's submission.", []string{"by"}, nil)
	deliveriesDesc = prometheus.NewDesc("relaylab_deliveries_in_progress",
		"Deliveries the relay has under way now.", nil, nil)
)

func (g inProgress) Describe(ch chan<- *prometheus.Desc) {
	ch <- sessionsOpenDesc
	if g.relay != nil {
		ch <- deliveriesDesc
	}
}

func (g inProgress) Collect(ch chan<- prometheus.Metric) {
	if g.sink != nil {
		ch <- prometheus.MustNewConstMetric(sessionsOpenDesc, prometheus.GaugeValue, float64(g.sink.OpenSessions()), "sink")
	}
	if g.relay != nil {
		sessions, deliveries := g.relay.InProgress()
		ch <- prometheus.MustNewConstMetric(sessionsOpenDesc, prometheus.GaugeValue, float64(sessions), "submission")
		ch <- prometheus.MustNewConstMetric(deliveriesDesc, prometheus.GaugeValue, float64(deliveries))
	}
}

// buildInfo is relaylab_build_info: 1, with the version of relaylab
// (Options.Version) and of Go that built it as labels, so that a
// dashboard can say which release each instance runs.
func buildInfo(version string) prometheus.Collector {
	if version == "" {
		version = "(unknown)"
	}
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "relaylab_build_info",
		Help:        "Always 1; its labels are the version of relaylab (a tag, or (devel) for a build from a checkout) and of Go that built it.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()}},
		func() float64 { return 1 })
}

// PruneStats records how the hourly prune of store.keep went, for the
// metrics: the caller that prunes says Pruned or PruneFailed after each
// run, and passes the same PruneStats in Options.Prune. Its zero value is
// ready; it is safe for concurrent use.
type PruneStats struct {
	mu       sync.Mutex
	lastOK   time.Time
	failures uint64
}

// Pruned records a prune that succeeded at at.
func (p *PruneStats) Pruned(at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastOK = at
}

// PruneFailed records a prune that failed (and is tried again later).
func (p *PruneStats) PruneFailed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures++
}

var (
	pruneLastOKDesc = prometheus.NewDesc("relaylab_store_prune_last_success_timestamp_seconds",
		"Unix time of the last hourly prune of store.keep that succeeded; no sample until the first one has (compare with time() to alert on a prune that keeps failing).", nil, nil)
	pruneFailuresDesc = prometheus.NewDesc("relaylab_store_prune_failures_total",
		"Hourly prunes of store.keep that failed (each is tried again an hour later, and logged as a WARN with its error); 0 from the start when store.keep is set, absent when it is not.", nil, nil)
)

// Describe and Collect make PruneStats a prometheus.Collector.
func (p *PruneStats) Describe(ch chan<- *prometheus.Desc) {
	ch <- pruneLastOKDesc
	ch <- pruneFailuresDesc
}

// Collect gives the failures, and the last success once there was one.
func (p *PruneStats) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	lastOK, failures := p.lastOK, p.failures
	p.mu.Unlock()
	if !lastOK.IsZero() {
		ch <- prometheus.MustNewConstMetric(pruneLastOKDesc, prometheus.GaugeValue, float64(lastOK.UnixNano())/1e9)
	}
	ch <- prometheus.MustNewConstMetric(pruneFailuresDesc, prometheus.CounterValue, float64(failures))
}
