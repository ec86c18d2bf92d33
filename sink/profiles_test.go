package sink

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

func TestProfiles(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Profiles = map[string]string{"*.corp.test": "microsoft", "mail.example": "yahoo"}
		c.ProfileFiles = []string{"../testdata/sink/extra-profiles.yaml"}
	})
	addr := addrOf(t, s, "mx")
	checkProfileReplies(t, addr, []profileCase{
		{"a@x.test", "nosuchuser@gmail.com", 550, "5.1.1"},
		{"a@x.test", "ratelimit@gmail.test", 421, "4.7.28"},
		{"a@x.test", "deferred@yahoo.com", 421, "4.7.0 [TSS04]"},
		{"a@x.test", "busy@mail.example", 421, "[TSS04]"},
		{"a@x.test", "blocked@outlook.com", 550, "5.7.1"},
		{"a@x.test", "blocked@mx.corp.test", 550, "S3150"},
		{"a@x.test", "nosuchuser@fastmail.test", 550, "no mailbox by that name"},
		{"a@x.test", "alice@gmail.com", 250, ""},
		{"unauth@x.test", "alice@gmail.com", 550, "5.7.26"},
		{"a@x.test", "spam1@gmail.com", 550, "5.7.1"},
		// Rules on the sender answer at the first recipient of the
		// profile's domain, the first moment the domain is known.
		{"deferred@b.test", "x@yahoo.test", 421, "4.7.0 [TSS04]"},
		{"blocked@b.test", "x@outlook.test", 550, "S3140"},
		{"blocked@b.test", "x@gmail.test", 250, ""},
		// A directive wins over the profile.
		{"a@x.test", "nosuchuser+rcpt452@gmail.com", 452, "4.5.3"},
	})
}

func TestBadProfiles(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Profiles = map[string]string{"x.test": "nope"}
	if _, err := loadProfiles(cfg); err == nil || !strings.Contains(err.Error(), "gmail") {
		t.Errorf("an unknown profile: got %v, want an error listing the known ones", err)
	}
	if _, err := ParseCatalogue("bad.yaml", []byte("profiles:\n  - name: x\n    rules:\n      - stage: rcpt\n        reply: \"99\"\n")); err == nil || !strings.Contains(err.Error(), "bad.yaml:5") {
		t.Errorf("a bad rule in a catalogue: got %v, want bad.yaml:5", err)
	}
	_, err := ParseCatalogue("early.yaml", []byte("profiles:\n  - name: x\n    rules:\n      - {stage: rcpt, reply: \"451 4.7.1 later\"}\n      - stage: connect\n        reply: \"554 5.7.1 go away\"\n"))
	if err == nil || !strings.Contains(err.Error(), "early.yaml:5:16: profiles[0].rules[1].stage: connect: never matches: a profile is chosen by the recipient's domain") {
		t.Errorf("a connect rule in a profile: got %v, want it refused at early.yaml:5:16", err)
	}
}

func TestExampleConfig(t *testing.T) {
	t.Parallel()
	var f struct {
		Sink Config `yaml:"sink"`
	}
	f.Sink = DefaultConfig()
	if err := config.Load("../testdata/sink/sink.yaml", &f); err != nil {
		t.Fatal(err)
	}
	// relaylab reads profile_files beside the configuration file;
	// Validate reads them.
	for i, p := range f.Sink.ProfileFiles {
		f.Sink.ProfileFiles[i] = filepath.Join("../testdata/sink", p)
	}
	if err := f.Sink.Validate("sink"); err != nil {
		t.Fatal(err)
	}
	if len(f.Sink.Listeners) != 2 || len(f.Sink.Rules) != 3 || f.Sink.Listeners[1].TLS != "implicit" {
		t.Errorf("decoded %+v", f.Sink)
	}
}

func TestAsyncBounceOnVirtualClock(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	// The sender's side: another sink that gets the DSN.
	rx, rxStore := testSink(t, v, nil)
	s, st := testSink(t, v, func(c *Config) {
		c.Bounce.Relay = addrOf(t, rx, "mx")
		c.Listeners[0].Hostname = "mx.bouncer.test"
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	if code, msg := c.send("sender@origin.test", "bounce5m@sink.test", testMsg); code != 250 {
		t.Fatalf("got %d %q, want 250", code, msg)
	}
	c.cmd("QUIT")
	v.Advance(4 * time.Minute)
	var n int
	rxStore.DB().QueryRow(`SELECT COUNT(*) FROM sink_messages`).Scan(&n)
	if n != 0 {
		t.Fatalf("bounced before its time")
	}
	v.Advance(time.Minute)
	var from, to string
	var raw []byte
	for i := 0; i < 2000; i++ {
		if rxStore.DB().QueryRow(`SELECT mail_from, rcpts, raw FROM sink_messages`).Scan(&from, &to, &raw) == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if from != "" || to != "sender@origin.test" {
		t.Fatalf("DSN envelope: from %q to %q, want <> and the original sender", from, to)
	}
	for _, want := range []string{"multipart/report", "report-type=delivery-status", "bounce5m@sink.test", "5.1.1", "mx.bouncer.test"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("DSN lacks %q:\n%s", want, raw)
		}
	}
	for i := 0; i < 2000; i++ {
		evs, _ := st.Events(context.Background(), events.Filter{Kinds: []string{events.SinkBounce}})
		if len(evs) == 1 {
			if strings.Contains(string(evs[0].Payload), `"error":"`) && !strings.Contains(string(evs[0].Payload), `"error":""`) {
				t.Errorf("bounce event: %s", evs[0].Payload)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no sink.bounce event")
}

func TestPendingBounceSurvivesRestart(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rx, rxStore := testSink(t, v, nil)
	path := t.TempDir() + "/bouncer.db"
	edit := func(c *Config) { c.Bounce.Relay = addrOf(t, rx, "mx") }
	s, st := testSinkAt(t, path, v, edit)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	if code, msg := c.send("sender@origin.test", "u@sink.test", testMsg); code != 250 {
		t.Fatalf("got %d %q", code, msg)
	}
	c.cmd("QUIT")
	// The bounce comes from a rule this time, and the sink restarts before it is due.
	s.SetRules([]Rule{{Stage: "data-end", Recipient: "late@sink.test", Bounce: &BounceRule{After: ptr(config.Duration(time.Hour)), Reply: "550 5.2.1 mailbox disabled"}}})
	c = dial(t, addrOf(t, s, "mx"))
	c.greet()
	if code, msg := c.send("sender@origin.test", "late@sink.test", testMsg); code != 250 {
		t.Fatalf("got %d %q", code, msg)
	}
	c.cmd("QUIT")
	waitSessions(t, st, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	testSinkAt(t, path, v, edit)
	v.Advance(time.Hour)
	var raw []byte
	for i := 0; i < 2000; i++ {
		if rxStore.DB().QueryRow(`SELECT raw FROM sink_messages`).Scan(&raw) == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(string(raw), "5.2.1") || !strings.Contains(string(raw), "late@sink.test") {
		t.Fatalf("DSN after restart:\n%s", raw)
	}
}

// Problems with profiles are config errors at their key, so the loader
// gives the file and line (and the command exits 2); a problem inside a
// profile file also names that file's line and key.
func TestProfileErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "profiles:\n  - {name: extra, domains: [extra.test], rules: [{stage: rcpt, reply: '550 5.1.1 no'}]}\n")
	empty := write("empty.yaml", "")
	none := write("none.yaml", "# nothing yet\nprofiles: []\n")
	badRE := write("badre.yaml", "profiles:\n  - name: x\n    domains: [ok.test, '/[a-/']\n    rules: [{stage: rcpt, reply: '550 5.1.1 no'}]\n")
	missing := filepath.Join(dir, "missing.yaml")
	files := func(fs ...string) string { return "sink:\n  profile_files: ['" + strings.Join(fs, "', '") + "']\n" }
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"empty file", files(good, empty), []string{"sink.yaml:2:", "sink.profile_files[1]: " + empty + ": the file has no profiles"}},
		{"empty list", files(none), []string{"sink.yaml:2:", "sink.profile_files[0]: " + none + ":2:", "the file has no profiles"}},
		{"bad domain regexp", files(badRE), []string{"sink.yaml:2:", "sink.profile_files[0]: " + badRE + ":3:", "profiles[0].domains[1]: bad regexp /[a-/"}},
		{"missing file", files(good, missing), []string{"sink.yaml:2:", "sink.profile_files[1]: open " + missing}},
		{"unknown profile", "sink:\n  profiles:\n    gmail.test: gmail\n    x.test: nope\n", []string{"sink.yaml:4:13: sink.profiles.'x.test': no profile is named \"nope\" (known: gmail, microsoft, strict, yahoo)"}},
		{"profile from a file", files(good) + "  profiles: {x.test: extra, y.test: nope}\n", []string{"sink.yaml:3:", "sink.profiles.'y.test': no profile is named \"nope\" (known: extra, gmail"}},
		{"bad glob key", "sink:\n  profiles: {'/(/': gmail}\n", []string{"sink.yaml:2:", "sink.profiles.'/(/': bad regexp"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeSink(t, tc.doc)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("got %v\nwant an error containing %s", err, w)
				}
			}
			if strings.Contains(err.Error(), "EOF") {
				t.Errorf("error says EOF: %v", err)
			}
		})
	}
	if _, err := decodeSink(t, files(good)+"  profiles: {x.test: extra}\n"); err != nil {
		t.Errorf("a profile from a file: %v", err)
	}
}

// A profile's regexp domain is matched as written: lower-casing it first
// turned \S into \s.
func TestProfileDomainRegexpKeepsCase(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	p := filepath.Join(t.TempDir(), "re.yaml")
	if err := os.WriteFile(p, []byte("profiles:\n  - {name: re, domains: ['/^\\S+\\.re\\.test$/', '/^Mail\\.Test$/'], rules: [{stage: rcpt, reply: '550 5.1.1 no'}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.ProfileFiles = []string{p}
	ps, err := loadProfiles(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := ps.forDomain("mx.re.test"); got == nil || got.name != "re" {
		t.Errorf("mx.re.test has profile %v, want re", got)
	}
	// Domains have no case, whatever case the pattern is written in.
	if got := ps.forDomain("mail.test"); got == nil || got.name != "re" {
		t.Errorf("mail.test has profile %v, want re (from /^Mail\\.Test$/)", got)
	}
}
