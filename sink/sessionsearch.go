package sink

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/relaylab/relaylab/internal/mailaddr"
)

// SessionFilter selects sessions for ListSessions. Each field given
// narrows the list; the searches a tester makes from a client's log: its
// address, the name it gave, an address of its envelope, a piece of the
// transcript.
type SessionFilter struct {
	BeforeID int64 // 0: from the newest
	Listener string
	Limit    int // default 100
	// Client is the client's IP address, whatever its port, or one
	// address and port (192.0.2.1:40000, [2001:db8::1]:40000).
	Client string
	// HELO is a part of the name of the client's EHLO or HELO, in any case.
	HELO string
	// Sender and Recipient are an address of a MAIL FROM or RCPT TO of the
	// session, in any case of ASCII letters, its domain in UTF-8 or as
	// A-labels: as the sink recorded its attempts.
	Sender, Recipient string
	// Text is a part of the transcript, ASCII letters in any case.
	Text string
}

// Check says what of f ListSessions cannot read (a client that is no IP
// address), so that a command can refuse it before it asks; nil when
// nothing.
func (f SessionFilter) Check() error {
	_, _, err := f.where()
	return err
}

// where is f as SQL conditions on sink_sessions, each after AND, and
// their arguments; an error says which field cannot be read.
func (f SessionFilter) where() (string, []any, error) {
	var q strings.Builder
	var args []any
	if f.BeforeID > 0 {
		q.WriteString(` AND id < ?`)
		args = append(args, f.BeforeID)
	}
	if f.Listener != "" {
		q.WriteString(` AND listener = ?`)
		args = append(args, f.Listener)
	}
	if f.Client != "" {
		exact, prefix, err := clientPatterns(f.Client)
		if err != nil {
			return "", nil, err
		}
		q.WriteString(` AND (client = ? OR client LIKE ? ESCAPE '\')`)
		args = append(args, exact, likeEscape(prefix)+"%")
	}
	if f.HELO != "" {
		q.WriteString(` AND helo LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscape(f.HELO)+"%")
	}
	for _, a := range []struct{ col, addr string }{{"sender", f.Sender}, {"recipient", f.Recipient}} {
		if a.addr == "" {
			continue
		}
		spell := addrSpellings(strings.Trim(strings.TrimSpace(a.addr), "<>"))
		q.WriteString(` AND id IN (SELECT session_id FROM sink_attempts WHERE ` + a.col + ` COLLATE NOCASE IN (?` + strings.Repeat(", ?", len(spell)-1) + `))`)
		for _, s := range spell {
			args = append(args, s)
		}
	}
	if f.Text != "" {
		q.WriteString(` AND transcript LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscape(f.Text)+"%")
	}
	return q.String(), args, nil
}

// clientPatterns reads a client filter: an IP address matches the client
// column ("IP:port", "[IPv6]:port") by its prefix, an address and port
// exactly.
func clientPatterns(c string) (exact, prefix string, err error) {
	c = strings.TrimSpace(c)
	if ap, err := netip.ParseAddrPort(c); err == nil {
		return ap.String(), ap.String(), nil
	}
	ip, err := netip.ParseAddr(strings.Trim(c, "[]"))
	if err != nil {
		return "", "", fmt.Errorf("sink: client %q is no IP address: give one, as 192.0.2.1 or 2001:db8::1, or an address and port, as 192.0.2.1:40000 or [2001:db8::1]:40000", c)
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String(), ip.String() + ":", nil
	}
	return "[" + ip.String() + "]", "[" + ip.String() + "]:", nil
}

// addrSpellings are the spellings of addr that the sink may have recorded
// for one mailbox: as given, and with its domain in its other form
// (domainSpellings); case is left to COLLATE NOCASE.
func addrSpellings(addr string) []string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return []string{addr}
	}
	out := []string{addr}
	for _, d := range domainSpellings(strings.ToLower(addr[at+1:])) {
		if s := addr[:at+1] + d; !strings.EqualFold(s, addr) {
			out = append(out, s)
		}
	}
	if k := mailaddr.Key(addr); !strings.EqualFold(k, addr) && !containsFold(out, k) {
		out = append(out, k)
	}
	return out
}

// likeEscape escapes LIKE's wildcards in s, for ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
