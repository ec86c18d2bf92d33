package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/reports"
)

// endedCategories are the categories the relay gives a recipient it
// ends itself, with no reply to classify (reports.Categories): an
// operator deleted it, it ran out of retries, or its address is
// suppressed. Each is a bounce and never a deferral.
var endedCategories = []string{"deleted", "expired", "suppressed"}

// metrics are counters derived from the event log as the hub follows it
// (from the moment the server starts), and gauges read on scrape. They live
// in a registry of their own, never the global default.
type metrics struct {
	reg          *prometheus.Registry
	events       *prometheus.CounterVec
	accepted     *prometheus.CounterVec
	sinkReply    *prometheus.CounterVec
	attempts     *prometheus.CounterVec
	delivered    prometheus.Counter
	deferred     *prometheus.CounterVec
	bounced      *prometheus.CounterVec
	expired      prometheus.Counter
	suppressed   prometheus.Counter
	probeListed  *prometheus.GaugeVec
	probeUnknown *prometheus.GaugeVec
	probeStatus  *prometheus.GaugeVec
	probeChange  prometheus.Counter
	probeHook    *prometheus.CounterVec
	reloadOK     prometheus.Gauge
	latency      prometheus.Histogram
	// probeMu guards probeSeen: the blocklist series of each target, so
	// that a list no longer asked loses its series.
	probeMu   sync.Mutex
	probeSeen map[string]map[string]bool
}

func newMetrics(relay RelayAPI, sink SinkAPI, st storeHealth, extra ...prometheus.Collector) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), probeSeen: map[string]map[string]bool{}}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relaylab_events_total", Help: "Events appended to the log, by kind."}, []string{"kind"})
	m.accepted = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relaylab_messages_accepted_total", Help: "Messages accepted, by the relay (queued) or the sink (received)."}, []string{"by"})
	m.sinkReply = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relaylab_sink_replies_total", Help: "Refusals and deferrals the sink gave (replies of 400 and above), by SMTP stage and code; messages it took are relaylab_messages_accepted_total{by=\"sink\"}."}, []string{"stage", "code"})
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relaylab_relay_attempts_total", Help: "Delivery attempts by the relay, by reply code and by the route path the attempt took (path=\"\" for an attempt that names none): a primary path failing over to the next shows as attempts moving from one path to the other."}, []string{"code", "path"})
	m.delivered = prometheus.NewCounter(prometheus.CounterOpts{Name: "relaylab_deliveries_total", Help: "Recipients delivered."})
	m.deferred = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relaylab_deferrals_total", Help: "Recipients deferred (a temporary failure; retried later), by category, as relaylab_bounces_total."}, []string{"category"})
	m.bounced = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relaylab_bounces_total", Help: "Recipients bounced, by category."}, []string{"category"})
	m.expired = prometheus.NewCounter(prometheus.CounterOpts{Name: "relaylab_expired_total", Help: "Recipients that expired in the queue."})
	m.suppressed = prometheus.NewCounter(prometheus.CounterOpts{Name: "relaylab_suppressed_total", Help: "Recipients refused by the suppression list."})
	m.probeListed = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "relaylab_probe_listed", Help: "Whether the last blocklist check of a watched target that got an answer found it listed on the list check=\"dnsbl:ZONE\": 1 listed, 0 not listed; kept while the answer is unknown, which relaylab_probe_unknown says (no sample before a first answer)."}, []string{"target", "check"})
	m.probeUnknown = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "relaylab_probe_unknown", Help: "1 when the last run of a check of a watched target could not be completed (a DNS failure; for check=\"dnsbl:ZONE\" the list was unhealthy or did not answer), so relaylab_probe_status and relaylab_probe_listed hold the last known answer; else 0."}, []string{"target", "check"})
	m.probeStatus = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "relaylab_probe_status", Help: "The status of a check (spf, dkim, dmarc, mx, ptr, mta-sts, mx-tls, tls-rpt, bimi, dnssec, blocklist) at the last run of a watched target that completed it: 0 ok, 1 warning, 2 error; kept while a later run could not complete it (a DNS failure), which relaylab_probe_unknown says with 1."}, []string{"target", "check"})
	m.probeChange = prometheus.NewCounter(prometheus.CounterOpts{Name: "relaylab_probe_changes_total", Help: "probe.changed events: a confirmed change of a watched target, or a listing found at its first checks."})
	m.probeHook = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relaylab_probe_webhook_deliveries_total",
		Help: "Changes the probe's webhook finished posting, by result: delivered (a 2xx answer), refused (an answer that a retry would not change: a 4xx other than 408 and 429, or a redirect) or failed (every attempt failed); the refused and failed are not posted again, and their probe.webhook_failed events say why."}, []string{"result"})
	m.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{Name: "relaylab_config_last_reload_successful",
		Help: "Whether the last SIGHUP reload of the configuration file (the sink's rules, profiles and verify) succeeded: 1 when it did, or when none was asked since the start; 0 when it was refused and the old rules still run (its sink.reload_failed event says where the file is wrong)."})
	m.reloadOK.Set(1)
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "relaylab_attempt_latency_seconds", Help: "Time of one delivery attempt, connect to last reply.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}})
	// Every category the relay can give, and both takers of messages, are
	// there from the start, at 0, so that a rate() or an alert on one has
	// a series before its first bounce or message. A deferral has those of
	// the classifier only: any of its categories can come of a temporary
	// failure (a 4xx, or no reply), but endedCategories never do.
	for _, c := range reports.Categories {
		m.bounced.WithLabelValues(c)
		if !slices.Contains(endedCategories, c) {
			m.deferred.WithLabelValues(c)
		}
	}
	m.accepted.WithLabelValues("relay")
	m.accepted.WithLabelValues("sink")
	for _, r := range []string{"delivered", "refused", "failed"} {
		m.probeHook.WithLabelValues(r)
	}
	for _, c := range []prometheus.Collector{m.events, m.accepted, m.sinkReply, m.attempts, m.delivered, m.deferred, m.bounced, m.expired, m.suppressed, m.probeListed, m.probeUnknown, m.probeStatus, m.probeChange, m.probeHook, m.reloadOK, m.latency} {
		f(c)
	}
	if relay != nil {
		f(queueDepth{relay})
	}
	liveGauges(f, relay, sink)
	if st != nil {
		f(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "relaylab_store_write_failures_total",
			Help: "Group commits of the store that failed (a full disk, the file gone): their writes were refused, and the SMTP clients whose mail they held were answered at the end of data: by the sink 452 4.3.1 (a full disk) or 451 4.3.0 (another failure), by the relay's submission 451 4.3.0."},
			func() float64 { return float64(st.Failures()) }))
		f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "relaylab_store_size_bytes", Help: "Bytes of the store's files on disk: the database, its write-ahead log and the log's index."},
			func() float64 { return float64(st.Size()) }))
		if df, ok := st.(diskFreer); ok {
			f(diskFree{df})
		}
	}
	for _, c := range extra {
		f(c)
	}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f(collectors.NewBuildInfoCollector())
	return m
}

// storeHealth is what the metrics and /readyz read of the store.
type storeHealth interface {
	Failing() error
	Failures() uint64
	Size() int64
}

// diskFreer is a store that can tell the room left on its disk.
type diskFreer interface{ DiskFree() (uint64, bool) }

// diskFree is the relaylab_store_disk_free_bytes gauge, read on scrape
// (the store reads the file system at most once a second), and left out
// of a scrape where the room cannot be read.
type diskFree struct{ st diskFreer }

var diskFreeDesc = prometheus.NewDesc("relaylab_store_disk_free_bytes",
	"Bytes free for relaylab on the file system of the store: below store.min_free_bytes (default 64 MiB) the sink and the relay's submission answer MAIL with 452 4.3.1; alert well before that.", nil, nil)

func (d diskFree) Describe(ch chan<- *prometheus.Desc) { ch <- diskFreeDesc }

func (d diskFree) Collect(ch chan<- prometheus.Metric) {
	if free, ok := d.st.DiskFree(); ok {
		ch <- prometheus.MustNewConstMetric(diskFreeDesc, prometheus.GaugeValue, float64(free))
	}
}

// queueDepth is the relaylab_queue_depth gauge, read on scrape. When the
// queue cannot be read, the gauge is left out of that scrape (and the
// error logged by the handler) rather than given a value that looks like
// a depth.
type queueDepth struct{ relay RelayAPI }

var queueDepthDesc = prometheus.NewDesc("relaylab_queue_depth", "Recipients waiting in the relay's queue.", nil, nil)

func (q queueDepth) Describe(ch chan<- *prometheus.Desc) { ch <- queueDepthDesc }

func (q queueDepth) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := q.relay.QueueDepth(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDepthDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(n))
}

func (m *metrics) handler() http.Handler {
	// A metric that cannot be read (the queue's depth on a failing store)
	// is left out; the others are still served.
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

// payloadFields are the payload fields the metrics read; events of other
// shapes count only by kind.
type payloadFields struct {
	Stage    string          `json:"stage"`
	Code     json.RawMessage `json:"code"`
	Category string          `json:"category"`
	// Path is the route path a relay.attempt took (the event's own Path
	// field says the same; the payload wins when both are set).
	Path   string `json:"path"`
	Status string `json:"status"`
	Check  string `json:"check"`
	// Count is how many replies a sink.reply stands for: past a session's
	// first 2,000, the sink folds them by stage and code.
	Count int `json:"count"`
	// Checks are the status of each check of a probe.result (the
	// payload probe.ResultPayload).
	Checks []struct {
		Check  string `json:"check"`
		Status string `json:"status"`
	} `json:"checks"`
	// Listings are the blocklist answers of a probe.result (the
	// payload probe.ResultPayload).
	Listings []struct {
		Zone    string `json:"zone"`
		Subject string `json:"subject"`
		Status  string `json:"status"`
	} `json:"listings"`
	LatencyMS *float64        `json:"latency_ms"`
	Latency   json.RawMessage `json:"latency"` // nanoseconds (a Go Duration) or "1.5s"
	// By is who replaced the sink's rules (sink.rules): "Reload" for a
	// SIGHUP, "SetRules" for the web's editor.
	By string `json:"by"`
	// Result is how the webhook's POSTs of a change ended
	// (probe.webhook_delivered, probe.webhook_failed).
	Result string `json:"result"`
	// Reply is where the relay puts the SMTP reply: {stage, code, enhanced, text}.
	Reply struct {
		Stage string          `json:"stage"`
		Code  json.RawMessage `json:"code"`
	} `json:"reply"`
}

// observe updates the counters for one event; the hub calls it once per
// event, in order, from its goroutine.
func (m *metrics) observe(e events.Event) {
	m.events.WithLabelValues(label(e.Kind, 40)).Inc()
	var p payloadFields
	switch e.Kind {
	case events.SinkReply, events.RelayAttempt, events.RelayDeferred, events.RelayBounced, events.ProbeResult, events.SinkRules, events.ProbeWebhookDelivered, events.ProbeWebhookFailed:
		if len(e.Payload) > 0 {
			json.Unmarshal(e.Payload, &p) // fields that do not parse stay empty
		}
		if len(p.Code) == 0 {
			p.Code = p.Reply.Code
		}
		if p.Stage == "" {
			p.Stage = p.Reply.Stage
		}
	}
	switch e.Kind {
	case events.RelayQueued:
		m.accepted.WithLabelValues("relay").Inc()
	case events.SinkMessage:
		m.accepted.WithLabelValues("sink").Inc()
	case events.SinkReply:
		m.sinkReply.WithLabelValues(label(p.Stage, 16), replyCode(p.Code)).Add(float64(max(p.Count, 1)))
	case events.RelayAttempt:
		m.attempts.WithLabelValues(replyCode(p.Code), pathLabel(p.Path, e.Path)).Inc()
		if d, ok := p.latency(); ok {
			m.latency.Observe(d.Seconds())
		}
	case events.RelayDelivered:
		m.delivered.Inc()
	case events.RelayDeferred:
		m.deferred.WithLabelValues(label(p.Category, 32)).Inc()
	case events.RelayBounced:
		m.bounced.WithLabelValues(label(p.Category, 32)).Inc()
	case events.RelayExpired:
		m.expired.Inc()
	case events.RelaySuppressed:
		m.suppressed.Inc()
	case events.ProbeResult:
		m.observeChecks(e.Target, p)
		m.observeProbe(e.Target, p)
	case events.ProbeChanged:
		m.probeChange.Inc()
	case events.ProbeWebhookDelivered:
		m.probeHook.WithLabelValues("delivered").Inc()
	case events.ProbeWebhookFailed:
		r := "failed"
		if p.Result == "refused" {
			r = "refused"
		}
		m.probeHook.WithLabelValues(r).Inc()
	// A SIGHUP's reload ends in one of these (sink.Reload,
	// sink.ReloadFailed); the web editor's rules (by SetRules) are no
	// reload of the file, which may still be wrong.
	case events.SinkRules:
		if p.By == "Reload" {
			m.reloadOK.Set(1)
		}
	case events.SinkReloadFailed:
		m.reloadOK.Set(0)
	}
}

// checkLevels are the values of relaylab_probe_status.
var checkLevels = map[string]float64{"ok": 0, "warning": 1, "error": 2}

// observeChecks sets the relaylab_probe_status series of the checks a
// probe.result made, and their relaylab_probe_unknown: those it did not
// make keep their values, and one whose status is unknown (or not one
// the gauge knows) keeps its last known status with unknown 1. Deleting
// the status series instead, as before, resolved an alert on "== 2"
// during a DNS outage though nothing had been mended.
func (m *metrics) observeChecks(target string, p payloadFields) {
	t := label(target, 128)
	for _, c := range p.Checks {
		check := label(c.Check, 32)
		if v, ok := checkLevels[c.Status]; ok {
			m.probeStatus.WithLabelValues(t, check).Set(v)
			m.probeUnknown.WithLabelValues(t, check).Set(0)
		} else {
			m.probeUnknown.WithLabelValues(t, check).Set(1)
		}
	}
}

// observeProbe sets the blocklist series of a probe.result: one per list
// the run asked (check="dnsbl:ZONE"), 1 listed or 0 not, kept while the
// answer is unknown, which relaylab_probe_unknown says (none before the
// list first answers). A run
// that asked no blocklist (a records-only cycle) leaves them as they
// are. A payload that names its own check (not the monitor's) is that
// check's status.
func (m *metrics) observeProbe(target string, p payloadFields) {
	if p.Check != "" {
		v := 0.0
		if p.Status == "listed" {
			v = 1
		}
		m.probeListed.WithLabelValues(label(target, 128), label(p.Check, 64)).Set(v)
		return
	}
	if len(p.Listings) == 0 {
		return
	}
	m.probeMu.Lock()
	defer m.probeMu.Unlock()
	now := map[string]map[string]bool{}
	for _, l := range p.Listings {
		t := l.Subject
		if t == "" {
			t = target
		}
		t, check := label(t, 128), label("dnsbl:"+l.Zone, 64)
		if now[t] == nil {
			now[t] = map[string]bool{}
		}
		now[t][check] = true
		switch l.Status {
		case "listed", "not-listed":
			v := 0.0
			if l.Status == "listed" {
				v = 1
			}
			m.probeListed.WithLabelValues(t, check).Set(v)
			m.probeUnknown.WithLabelValues(t, check).Set(0)
		default:
			// The last answer stays, as a check's status does
			// (observeChecks): a listing's alert does not resolve
			// because the list stopped answering.
			m.probeUnknown.WithLabelValues(t, check).Set(1)
		}
	}
	for t, checks := range now {
		for c := range m.probeSeen[t] {
			if !checks[c] {
				m.probeListed.DeleteLabelValues(t, c)
				m.probeUnknown.DeleteLabelValues(t, c)
			}
		}
		m.probeSeen[t] = checks
	}
}

func (p payloadFields) latency() (time.Duration, bool) {
	if p.LatencyMS != nil && *p.LatencyMS >= 0 && *p.LatencyMS < 1e9 { // under 11 days
		return time.Duration(*p.LatencyMS * float64(time.Millisecond)), true
	}
	if len(p.Latency) == 0 {
		return 0, false
	}
	var ns int64
	if json.Unmarshal(p.Latency, &ns) == nil && ns >= 0 {
		return time.Duration(ns), true
	}
	var s string
	if json.Unmarshal(p.Latency, &s) == nil {
		if d, err := time.ParseDuration(s); err == nil && d >= 0 {
			return d, true
		}
	}
	return 0, false
}

// replyCode keeps label values to three-digit SMTP codes (RFC 5321 4.2).
func replyCode(raw json.RawMessage) string {
	var n int
	if json.Unmarshal(raw, &n) == nil && n >= 200 && n <= 599 {
		return itoa3(n)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && len(s) == 3 && s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' {
		return s
	}
	if len(raw) == 0 {
		return "none"
	}
	return "other"
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

// pathLabel is the route path of a relay.attempt: its payload's, else
// the event's, bounded as label does; "" when neither names one.
func pathLabel(payload, event string) string {
	if payload == "" {
		payload = event
	}
	if payload == "" {
		return ""
	}
	return label(payload, 64)
}

// label bounds a label value taken from an event, so that odd input cannot
// blow up the series count with long or binary values.
func label(s string, max int) string {
	if s == "" {
		return "unknown"
	}
	if len(s) > max {
		return "other"
	}
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			return "other"
		}
	}
	return s
}
