package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/relaylab/relaylab/internal/dnstest"
)

// serveZones serves zone files (or directories of *.zone files) on a free
// port of 127.0.0.1, for relaylab probe --zone: the same server the tests
// use, so that a newcomer can try probes against testdata/dns with nothing
// leaving the machine. Names in no zone get REFUSED.
func serveZones(paths []string) (*dnstest.Server, error) {
	srv := dnstest.New()
	for _, p := range paths {
		// LoadPath reads an empty directory without complaint: a typo in
		// the path would then give every check REFUSED answers.
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			if fs, _ := filepath.Glob(filepath.Join(p, "*.zone")); len(fs) == 0 {
				return nil, fmt.Errorf("--zone: %s is a directory with no *.zone file in it", p)
			}
		}
		if err := srv.LoadPath(p); err != nil {
			return nil, fmt.Errorf("--zone: %s", zoneError(err))
		}
	}
	if err := srv.Listen(); err != nil {
		return nil, fmt.Errorf("--zone: serving the zones on 127.0.0.1: %v", err)
	}
	return srv, nil
}

// zoneError is dnstest's error for a zone file, which names the file
// (twice when the parser, which names it too, failed), without its prefix:
// "FILE: dns: bad A A: "300.1.1.1" at line: 4:18".
func zoneError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "dnstest: ")
	if i := strings.Index(msg, ": "); i > 0 && strings.HasPrefix(msg[i+2:], msg[:i]+": ") {
		msg = msg[i+2:]
	}
	return msg
}
