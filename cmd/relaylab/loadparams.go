package main

import (
	"time"

	"github.com/relaylab/relaylab/internal/smtpload"
)

// loadParamsJSON is what a load run was asked to do, in --json, so that
// a summary read later says what it measured.
type loadParamsJSON struct {
	// Messages is --messages; 0 with a duration is no limit.
	Messages        int     `json:"messages"`
	DurationSeconds float64 `json:"duration_seconds,omitempty"`
	Sessions        int     `json:"sessions"` // --sessions, before it is cut to the messages
	Rcpts           int     `json:"rcpts"`
	// BodySize is --size: the body's octets, rounded up to whole filler
	// lines; the header adds to it. 0 with --data.
	BodySize int `json:"body_size"`
	// DataSize is the octets of the --data message as sent (CRLF line
	// ends, dots doubled), its Message-ID replaced by each message's.
	DataSize int `json:"data_size,omitempty"`
	// Headers are the --header fields, as given.
	Headers []string `json:"headers,omitempty"`
	Reuse   int      `json:"reuse"` // messages per connection; 0: unlimited
	// Rate is --rate in messages a second (600/m is 10); 0: as fast as the
	// server answers.
	Rate           float64 `json:"rate"`
	Pipelining     bool    `json:"pipelining"`
	Protocol       string  `json:"protocol"` // "smtp", or "lmtp" with --lmtp
	TLS            string  `json:"tls"`      // "none", "starttls" or "implicit"
	TLSVerify      bool    `json:"tls_verify,omitempty"`
	Auth           string  `json:"auth"` // "none", or the mechanism asked: "PLAIN", "LOGIN" or "auto"
	AuthUser       string  `json:"auth_user,omitempty"`
	Helo           string  `json:"helo"`
	From           string  `json:"from"`
	To             string  `json:"to"`
	TimeoutSeconds float64 `json:"timeout_seconds"`
	// GiveUpSeconds is --give-up; 0: never.
	GiveUpSeconds float64 `json:"give_up_seconds"`
}

// loadConnsJSON counts the run's connections: a dial that failed reached
// no server, though its message counts as tried (and failed).
type loadConnsJSON struct {
	Tried  int `json:"tried"`
	Opened int `json:"opened"`
}

func loadParamsOf(cfg smtpload.Config) loadParamsJSON {
	p := loadParamsJSON{Messages: cfg.Messages, DurationSeconds: cfg.Duration.Seconds(), Sessions: cfg.Sessions, Rcpts: cfg.Rcpts,
		BodySize: cfg.Size, Reuse: cfg.Reuse, Rate: cfg.Rate, Pipelining: cfg.Pipeline, TLS: "none", Auth: "none", AuthUser: cfg.AuthUser,
		Helo: cfg.Helo, From: cfg.From, To: cfg.To, TimeoutSeconds: cfg.Timeout.Seconds(), GiveUpSeconds: max(cfg.GiveUp, 0).Seconds(),
		DataSize: len(cfg.Data), Headers: cfg.Headers, Protocol: "smtp"}
	if cfg.LMTP {
		p.Protocol = "lmtp"
	}
	switch {
	case cfg.StartTLS:
		p.TLS = "starttls"
	case cfg.ImplicitTLS:
		p.TLS = "implicit"
	}
	if p.TLS != "none" && cfg.TLS != nil {
		p.TLSVerify = !cfg.TLS.InsecureSkipVerify
	}
	if cfg.AuthUser != "" {
		p.Auth = "auto"
		if cfg.AuthMech != "" {
			p.Auth = cfg.AuthMech
		}
	}
	return p
}

// notTried is how many of the messages asked for were neither tried nor
// cancelled in flight: those a run that gave up, was interrupted or ran
// out its --duration never began. 0 without a message limit.
func notTried(cfg smtpload.Config, res *smtpload.Result) int {
	if cfg.Messages == 0 {
		return 0
	}
	return max(cfg.Messages-res.Attempted-res.Cancelled, 0)
}

// startedJSON is the run's start, as RFC 3339 with milliseconds.
func startedJSON(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z07:00") }
