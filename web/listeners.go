package web

import "net/http"

// SinkListenersAPI is offered by a SinkAPI that can say where its
// listeners listen: each listener's name and URL (smtp://127.0.0.1:2525,
// smtps:// for implicit TLS).
type SinkListenersAPI interface {
	ListenerURLs() map[string]string
}

// RelayListenersAPI is offered by a RelayAPI that can say where its
// submission listens (smtp://127.0.0.1:2587); "" when it does not.
type RelayListenersAPI interface {
	SubmissionURL() string
}

// Listeners is where the running components take mail, for the UI's
// examples (a swaks line that reaches this serve, not its defaults) and
// for scripts.
type Listeners struct {
	Sink  map[string]string `json:"sink"`            // listener name: URL; {} without a sink
	Relay string            `json:"relay,omitempty"` // the submission's URL
}

func (s *Server) listeners(w http.ResponseWriter, r *http.Request) {
	out := Listeners{Sink: map[string]string{}}
	if x, ok := s.opts.Sink.(SinkListenersAPI); ok {
		for name, u := range x.ListenerURLs() {
			out.Sink[name] = u
		}
	}
	if x, ok := s.opts.Relay.(RelayListenersAPI); ok {
		out.Relay = x.SubmissionURL()
	}
	writeJSON(w, http.StatusOK, out)
}
