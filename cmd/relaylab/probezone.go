package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/dnstest"
)

// serveZones serves zone files (or directories of *.zone files) on a free
// port of 127.0.0.1, for relaylab probe --zone: the same server the tests
// use, so that a newcomer can try probes against testdata/dns with nothing
// leaving the machine. Names in no zone get REFUSED.
func serveZones(paths []string) (*dnstest.Server, error) {
	srv, err := loadZones(paths, "--zone")
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(); err != nil {
		return nil, fmt.Errorf("--zone: serving the zones on 127.0.0.1: %v", err)
	}
	return srv, nil
}

// loadZones reads the zone files (or directories of them) into a server
// not yet listening, its errors named by flag.
func loadZones(paths []string, flag string) (*dnstest.Server, error) {
	srv := dnstest.New()
	for _, p := range paths {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %s does not exist: give a zone file (a DNS master file, RFC 1035 5, such as testdata/dns/auth.zone of the source tree) or a directory of *.zone files", flag, p)
		}
		// LoadPath reads an empty directory without complaint: a typo in
		// the path would then give every check REFUSED answers.
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			if fs, _ := filepath.Glob(filepath.Join(p, "*.zone")); len(fs) == 0 {
				return nil, fmt.Errorf("%s: %s is a directory with no *.zone file in it", flag, p)
			}
		}
		if err := srv.LoadPath(p); err != nil {
			return nil, fmt.Errorf("%s: %s", flag, zoneError(err))
		}
		// An empty file loads without complaint too, and would have
		// every lookup refused and blamed on names missing from it.
		if n, err := zoneRecords(p); err == nil && n == 0 {
			what := "is empty or holds only comments and directives"
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				what = "is a directory whose *.zone files hold no records"
			}
			return nil, fmt.Errorf("%s: %s %s: give a zone file with the records to check (an SOA record, then such lines as \"@ IN TXT \\\"v=spf1 -all\\\"\")", flag, p, what)
		}
	}
	return srv, nil
}

// zoneRecords counts the records of a zone file, or of the *.zone files
// of a directory, as dnstest reads them.
func zoneRecords(path string) (int, error) {
	files := []string{path}
	if st, err := os.Stat(path); err != nil {
		return 0, err
	} else if st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(path, "*.zone"))
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		zp := dns.NewZoneParser(bytes.NewReader(data), "", f)
		zp.SetIncludeAllowed(false)
		for _, ok := zp.Next(); ok; _, ok = zp.Next() {
			n++
		}
		if err := zp.Err(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// zoneError is dnstest's error for a zone file, which names the file
// (twice when the parser, which names it too, failed), without its prefix,
// and with the parser's words ("dns: bad TXT Txt: \" \" at line: 3:9")
// said as what is wrong on which line.
func zoneError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "dnstest: ")
	if i := strings.Index(msg, ": "); i > 0 && strings.HasPrefix(msg[i+2:], msg[:i]+": ") {
		msg = msg[i+2:]
	}
	m := zoneParseError.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	file, what, tok, line, col := m[1], m[2], m[3], m[4], m[5]
	where := fmt.Sprintf("line %s", line)
	if file != "" {
		where = file + " " + where
	}
	return fmt.Sprintf("%s (column %s): %s", where, col, zoneProblem(what, tok))
}

// zoneParseError is miekg/dns's error for a zone file: FILE: dns: WHAT:
// "TOKEN" at line: LINE:COLUMN.
var zoneParseError = regexp.MustCompile(`^(?:(.*): )?dns: (.*): "((?:[^"\\]|\\.)*)" at line: (\d+):(\d+)$`)

// zoneProblem says in words what the zone parser found wrong ("bad TXT
// Txt", "bad A A", "not a TTL") at the token tok.
func zoneProblem(what, tok string) string {
	switch {
	case what == "bad TXT Txt":
		return `a TXT record's text has a quote that is not closed, or text after its closing quote: quote each string whole, such as "v=spf1 -all"`
	case what == "bad A A":
		return fmt.Sprintf("%q is not an IPv4 address (an A record takes one, such as 192.0.2.1)", tok)
	case what == "bad AAAA AAAA":
		return fmt.Sprintf("%q is not an IPv6 address (an AAAA record takes one, such as 2001:db8::1)", tok)
	case what == "bad MX Pref":
		return fmt.Sprintf("%q is not a preference number: an MX record takes a number and then a host, such as 10 mx.example.test.", tok)
	case what == "bad owner name":
		return fmt.Sprintf("%q is not a name the file can complete: a name without a final dot needs a \"$ORIGIN zone.test.\" line above it (or write it in full, ending in a dot)", strings.TrimSpace(tok))
	case what == "not a TTL":
		return fmt.Sprintf("%q is not a TTL, a class or a record type the parser knows (a record is NAME [TTL] [IN] TYPE DATA)", tok)
	case strings.HasPrefix(what, "bad "):
		f := strings.Fields(what)
		if len(f) == 3 {
			article := "a"
			if strings.ContainsRune("AEFHILMNORSX", rune(f[1][0])) { // said "an MX", "an SOA"
				article = "an"
			}
			return fmt.Sprintf("%s %s record's %s field is missing or wrong (at %q): check the record's data against its type", article, f[1], strings.ToLower(f[2]), strings.TrimSpace(tok))
		}
	}
	return fmt.Sprintf("%s (at %q)", what, tok)
}
