// Package dnstest runs a real authoritative DNS server (github.com/miekg/dns)
// on 127.0.0.1, UDP and TCP on one port, serving zone files, for tests of
// anything that resolves names.
//
// Besides records, a zone file can make names misbehave with directive
// comments, which apply to the name and every name below it:
//
//	;@dnstest servfail  broken.example.
//	;@dnstest timeout   slow.example.
//
// Behaviours: servfail, refused, timeout (no reply at all), malformed
// (garbage bytes), truncate (TC over UDP whatever the size, full over TCP),
// truncate-always (TC over TCP too), wrongtype (answers another type),
// wrongname (answers another name), otherquestion (echoes another
// question), validated (answers as a validating resolver that found the
// name secure: AD set when the query asks with DO or AD, RFC 6840 5.7 and
// 5.8). Replies larger than the client's EDNS0 size (512 without EDNS0) are
// truncated over UDP, as a real server does.
//
// A query with the DO bit (RFC 3225) gets the RRSIG records of the owner
// that cover the type asked beside the answer (RFC 4035 3.1.1), and the DO
// bit back; without DO, RRSIG records are served only when asked for.
//
// A name in no zone gets REFUSED, with an extended error (RFC 8914) that
// names the zones served; a TXT query for ZonesName lists them, so that a
// client such as relaylab probe --zone can say "in none of the zone
// files" instead of blaming a resolver.
package dnstest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// Behaviour is how the server misbehaves for a name.
type Behaviour string

// Behaviours a name can have.
const (
	Normal         Behaviour = ""
	ServFail       Behaviour = "servfail"
	Refused        Behaviour = "refused"
	Timeout        Behaviour = "timeout"
	Malformed      Behaviour = "malformed"
	Truncate       Behaviour = "truncate"
	TruncateAlways Behaviour = "truncate-always"
	WrongType      Behaviour = "wrongtype"
	WrongName      Behaviour = "wrongname"
	OtherQuestion  Behaviour = "otherquestion"
	Validated      Behaviour = "validated"
)

var behaviours = map[Behaviour]bool{ServFail: true, Refused: true, Timeout: true, Malformed: true,
	Truncate: true, TruncateAlways: true, WrongType: true, WrongName: true, OtherQuestion: true, Validated: true}

// Server is a running DNS server.
type Server struct {
	// Addr is HOST:PORT, the same port for UDP and TCP.
	Addr    string
	udp     *dns.Server
	tcp     *dns.Server
	queries atomic.Int64

	mu    sync.RWMutex
	rrs   map[string]map[uint16][]dns.RR // owner -> type -> records
	names map[string]bool                // owners, and every name between an owner and its zone apex
	zones map[string]*dns.SOA            // apex -> SOA
	// implicit are the apexes of zones a file implies without an SOA
	// (see Load); a real SOA at or above one replaces it.
	implicit map[string]bool
	behave   map[string]Behaviour
}

// New returns a server with no records; Load, Add and Set fill it.
func New() *Server {
	return &Server{rrs: map[string]map[uint16][]dns.RR{}, names: map[string]bool{},
		zones: map[string]*dns.SOA{}, implicit: map[string]bool{}, behave: map[string]Behaviour{}}
}

// Start starts a server on 127.0.0.1 serving files (zone files, or
// directories whose *.zone files are all loaded), and stops it when the test
// ends.
func Start(tb testing.TB, files ...string) *Server {
	tb.Helper()
	s := New()
	for _, f := range files {
		if err := s.LoadPath(f); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Listen(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// LoadPath loads a zone file, or every *.zone file in a directory.
func (s *Server) LoadPath(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	files := []string{path}
	if st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(path, "*.zone"))
		sort.Strings(files)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		err = s.Load(fh, f)
		fh.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Load reads one zone file in RFC 1035 master format, with its directives.
//
// A file may hold the records of several zones. A name is served from the
// closest enclosing SOA, of this file or any other. Records under no SOA
// at all, such as PTR records after "$ORIGIN 2.0.192.in-addr.arpa." in a
// forward zone's file, are served too, as a zone of their own: its apex is
// the longest $ORIGIN of the file that holds them (else the record's
// parent name), with an SOA made up for its negative answers (RFC 2308).
// An SOA loaded later at or above that apex takes its place.
func (s *Server) Load(r io.Reader, name string) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	zp := dns.NewZoneParser(strings.NewReader(string(data)), "", name)
	zp.SetIncludeAllowed(false)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return fmt.Errorf("dnstest: %s: %w", name, err)
	}
	s.Add(rrs...)
	var origins []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && strings.EqualFold(f[0], "$ORIGIN") && strings.HasSuffix(f[1], ".") {
			origins = append(origins, strings.ToLower(f[1]))
		}
		if len(f) == 0 || f[0] != ";@dnstest" {
			continue
		}
		if len(f) != 3 || !behaviours[Behaviour(f[1])] {
			return fmt.Errorf("dnstest: %s:%d: want \";@dnstest BEHAVIOUR NAME\" with a known behaviour", name, line)
		}
		s.Set(f[2], Behaviour(f[1]))
	}
	s.implyZones(rrs, origins)
	return nil
}

// implyZones gives the records of rrs that are under no SOA a zone of
// their own (see Load); origins are the file's $ORIGIN names.
func (s *Server) implyZones(rrs []dns.RR, origins []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rr := range rrs {
		owner := rr.Header().Name // lowercased and absolute by Add
		if s.zoneLocked(owner) != "" {
			continue
		}
		apex := ""
		for _, o := range origins {
			if dns.IsSubDomain(o, owner) && len(o) > len(apex) && dns.CountLabel(o) > 1 {
				apex = o
			}
		}
		if apex == "" {
			// The parent, unless that is a top-level domain: a zone
			// there would answer NXDOMAIN for every name under it
			// that no file holds, where REFUSED says "not served".
			apex = owner
			if i, end := dns.NextLabel(owner, 0); !end && dns.CountLabel(owner[i:]) > 1 {
				apex = owner[i:]
			}
		}
		s.zones[apex] = &dns.SOA{Hdr: dns.RR_Header{Name: apex, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
			Ns: "ns.dnstest.invalid.", Mbox: "hostmaster.dnstest.invalid.", Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 60}
		s.implicit[apex] = true
	}
}

// Add serves records. A SOA record makes its owner a zone apex.
func (s *Server) Add(rrs ...dns.RR) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rr := range rrs {
		h := rr.Header()
		h.Name = strings.ToLower(dns.Fqdn(h.Name))
		if soa, ok := rr.(*dns.SOA); ok {
			for z := range s.implicit {
				if dns.IsSubDomain(h.Name, z) {
					delete(s.zones, z)
					delete(s.implicit, z)
				}
			}
			s.zones[h.Name] = soa
		}
		byType := s.rrs[h.Name]
		if byType == nil {
			byType = map[uint16][]dns.RR{}
			s.rrs[h.Name] = byType
		}
		// RFC 2181 5: an RRset has no duplicates; a record given twice
		// (whatever its TTL, or the case of its names) is served once.
		if !slices.ContainsFunc(byType[h.Rrtype], func(o dns.RR) bool { return dns.IsDuplicate(o, rr) }) {
			byType[h.Rrtype] = append(byType[h.Rrtype], rr)
		}
		// Empty non-terminals exist too (RFC 8020).
		for n := h.Name; ; {
			s.names[n] = true
			i, end := dns.NextLabel(n, 0)
			if end || n == "." {
				break
			}
			n = n[i:]
		}
	}
}

// AddString parses and serves records in zone-file syntax, one per string.
func (s *Server) AddString(records ...string) error {
	for _, r := range records {
		rr, err := dns.NewRR(r)
		if err != nil {
			return fmt.Errorf("dnstest: %q: %w", r, err)
		}
		if rr != nil {
			s.Add(rr)
		}
	}
	return nil
}

// Set makes name, and every name below it, misbehave (Normal undoes it).
func (s *Server) Set(name string, b Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = strings.ToLower(dns.Fqdn(name))
	if b == Normal {
		delete(s.behave, name)
		return
	}
	s.behave[name] = b
}

// Queries returns how many queries the server has received.
func (s *Server) Queries() int64 { return s.queries.Load() }

// Listen starts serving UDP and TCP on one free port of 127.0.0.1.
func (s *Server) Listen() error { return s.ListenAt("127.0.0.1:0") }

// ListenAt starts serving UDP and TCP on addr (HOST:PORT); with port 0,
// on one port free for both.
func (s *Server) ListenAt(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	tries := 1
	if port == "0" {
		tries = 20 // the UDP port may be taken in TCP: pick another
	}
	var lastErr error
	for try := 0; try < tries; try++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return err
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			lastErr = err
			continue
		}
		s.Addr = pc.LocalAddr().String()
		h := dns.HandlerFunc(s.serve)
		s.udp = &dns.Server{PacketConn: pc, Handler: h}
		s.tcp = &dns.Server{Listener: l, Handler: h}
		var wg sync.WaitGroup
		wg.Add(2)
		s.udp.NotifyStartedFunc = wg.Done
		s.tcp.NotifyStartedFunc = wg.Done
		go s.udp.ActivateAndServe() //nolint:errcheck // ends with Close
		go s.tcp.ActivateAndServe() //nolint:errcheck
		wg.Wait()
		return nil
	}
	if tries == 1 {
		return lastErr
	}
	return fmt.Errorf("dnstest: no port free for both UDP and TCP: %w", lastErr)
}

// Zones lists the apexes of the zones served, in order.
func (s *Server) Zones() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.zones))
	for z := range s.zones {
		out = append(out, z)
	}
	slices.Sort(out)
	return out
}

// Close stops the server.
func (s *Server) Close() {
	if s.udp != nil {
		s.udp.Shutdown() //nolint:errcheck
	}
	if s.tcp != nil {
		s.tcp.Shutdown() //nolint:errcheck
	}
}

// Remove stops serving the records of name of type qtype (dns.TypeANY:
// all types), so that tests can change a record between lookups.
func (s *Server) Remove(name string, qtype uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = strings.ToLower(dns.Fqdn(name))
	if qtype == dns.TypeANY {
		delete(s.rrs, name)
		return
	}
	delete(s.rrs[name], qtype)
}
