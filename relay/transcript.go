package relay

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// maxTranscript caps one attempt's transcript.
const maxTranscript = 16 << 10

const truncatedMark = "[transcript truncated at 16 KiB]"

// transcript records one SMTP conversation for the event log: "C:" lines
// the relay sent, "S:" lines the server answered, "--" notes, each after
// the milliseconds since the connection was opened. It never holds AUTH
// credentials nor message data. The zero value records nothing.
type transcript struct {
	clock     clock.Clock // nil: recording is off
	start     time.Time
	b         strings.Builder
	truncated bool
}

func newTranscript(c clock.Clock) *transcript {
	if c == nil {
		return &transcript{}
	}
	return &transcript{clock: c, start: c.Now()}
}

func (t *transcript) line(dir, text string) {
	if t == nil || t.clock == nil || t.truncated {
		return
	}
	// Bad servers send anything; keep the transcript one line per entry.
	if strings.ContainsAny(text, "\r\n") {
		text = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, text)
	}
	ms := strconv.FormatInt(t.clock.Now().Sub(t.start).Milliseconds(), 10)
	n := 1 + len(ms) + 3 + len(dir) + 1 + len(text) + 1
	if t.b.Len()+n+len(truncatedMark)+1 > maxTranscript {
		t.b.WriteString(truncatedMark + "\n")
		t.truncated = true
		return
	}
	t.b.Grow(n)
	t.b.WriteByte('+')
	t.b.WriteString(ms)
	t.b.WriteString("ms ")
	t.b.WriteString(dir)
	t.b.WriteByte(' ')
	t.b.WriteString(text)
	t.b.WriteByte('\n')
}

// sent records a line the client sent.
func (t *transcript) sent(line string) { t.line("C:", line) }

// received records a line the server sent.
func (t *transcript) received(line string) { t.line("S:", line) }

// note records something that is not a protocol line.
func (t *transcript) note(format string, args ...any) { t.line("--", fmt.Sprintf(format, args...)) }

// take returns what was recorded since the last take and starts afresh,
// so that each transaction on a kept connection gets its own transcript
// (the times still count from the connection's opening).
func (t *transcript) take() string {
	if t == nil {
		return ""
	}
	s := strings.TrimSuffix(t.b.String(), "\n")
	t.b.Reset()
	t.truncated = false
	return s
}
