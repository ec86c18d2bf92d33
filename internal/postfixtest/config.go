// Package postfixtest starts a private Postfix instance for one test: its
// own configuration, queue and data directories in a temporary directory,
// an smtpd on a free loopback port, and a relayhost the test chooses. It
// never reads or changes the system's /etc/postfix or its running instance.
//
// Postfix is the system under test that no one here wrote: tests submit mail
// to Instance.Addr and watch what arrives at relaylab's sink, or point
// relaylab's relay at Postfix as a smarthost.
//
// Run as root, "postfix -c DIR start" and "postqueue -c DIR" take any
// directory: alternate_config_directories and multi_instance_directories in
// the system's main.cf only matter to the set-gid commands run by other
// users, so the system's configuration stays untouched. An instance whose
// test binary died without cleaning up (killed, or at its -timeout) is
// stopped by the next Start on the machine.
package postfixtest

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Options configure one instance.
type Options struct {
	// RelayHost is host:port where Postfix sends every message (a sink's
	// listener). Required.
	RelayHost string
	// Extra sets or overrides main.cf parameters (name -> value), for
	// example {"smtp_tls_security_level": "may"}.
	Extra map[string]string
}

// layout is where one instance keeps its files, and its unique names.
type layout struct {
	root     string // holds everything below, removed at the end
	confDir  string // main.cf, master.cf
	queueDir string
	dataDir  string
	logFile  string
	name     string // syslog_name and hostname label, unique per instance
	port     int    // smtpd's port on 127.0.0.1
}

// Retry timing for tests, in whole seconds: Postfix keeps queue file times
// in seconds, and 3.7 refuses anything below 1s ("qmgr: fatal: invalid
// queue_run_delay: 0 (min 1)"). A deferred message becomes due backoff
// seconds after the second its attempt ended, so the gap between two
// attempts is more than minimal_backoff_time minus one second.
const (
	queueRunDelay = "1s"
	minBackoff    = "2s"
	maxBackoff    = "4s"
)

// mainCF renders main.cf: every path inside the instance's directory,
// loopback only, no local delivery, no DNS, short retries.
func mainCF(l layout, o Options) (string, error) {
	host, port, err := net.SplitHostPort(o.RelayHost)
	if err != nil {
		return "", fmt.Errorf("postfixtest: relay host %q: %v: want host:port such as 127.0.0.1:2525", o.RelayHost, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("postfixtest: relay host %q is not a loopback address: tests talk to 127.0.0.1 or ::1 only", o.RelayHost)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("postfixtest: relay host %q: port %q is not a number from 1 to 65535", o.RelayHost, port)
	}
	p := map[string]string{
		"compatibility_level": "3.6",
		"queue_directory":     l.queueDir,
		"data_directory":      l.dataDir,
		// Postfix refuses a maillog_file outside maillog_file_prefixes.
		"maillog_file":          l.logFile,
		"maillog_file_prefixes": l.root,
		"syslog_name":           l.name,
		"myhostname":            l.name + ".postfix.test",
		"mydomain":              "postfix.test",
		"myorigin":              "$myhostname",
		"mydestination":         "",
		"local_transport":       "error:5.1.1 this test instance delivers nothing locally",
		"alias_maps":            "",
		"alias_database":        "",
		"biff":                  "no",
		"inet_interfaces":       "127.0.0.1",
		"inet_protocols":        "ipv4",
		"mynetworks":            "127.0.0.0/8",
		// Brackets: the address itself, no MX lookup (postconf(5) relayhost).
		"relayhost":                       "[" + host + "]:" + port,
		"smtpd_peername_lookup":           "no",
		"smtp_dns_support_level":          "disabled",
		"queue_run_delay":                 queueRunDelay,
		"minimal_backoff_time":            minBackoff,
		"maximal_backoff_time":            maxBackoff,
		"smtp_connection_cache_on_demand": "no", // one session per attempt
		"smtp_tls_security_level":         "",
		"smtpd_tls_security_level":        "",
	}
	for k, v := range o.Extra {
		if k == "" || strings.ContainsAny(k, " =\n") || strings.Contains(v, "\n") {
			return "", fmt.Errorf("postfixtest: extra parameter %q = %q: want a parameter name and a one-line value", k, v)
		}
		p[k] = v
	}
	var b strings.Builder
	b.WriteString("# Written by postfixtest for one test; removed when it ends.\n")
	for _, k := range slices.Sorted(maps.Keys(p)) {
		fmt.Fprintf(&b, "%s = %s\n", k, p[k])
	}
	return b.String(), nil
}

// masterCF renders master.cf: smtpd on the instance's loopback port and the
// services a relaying Postfix needs, none chrooted (the chroot would need
// copies of system files in the queue directory).
func masterCF(l layout) string {
	var b strings.Builder
	b.WriteString("# service type private unpriv chroot wakeup maxproc command\n")
	fmt.Fprintf(&b, "127.0.0.1:%d inet n - n - - smtpd\n", l.port)
	for _, s := range []string{
		"pickup unix n - n 60 1 pickup",
		"cleanup unix n - n - 0 cleanup",
		"qmgr unix n - n 300 1 qmgr",
		"tlsmgr unix - - n 1000? 1 tlsmgr",
		"rewrite unix - - n - - trivial-rewrite",
		"bounce unix - - n - 0 bounce",
		"defer unix - - n - 0 bounce",
		"trace unix - - n - 0 bounce",
		"verify unix - - n - 1 verify",
		"flush unix n - n 1000? 0 flush",
		"proxymap unix - - n - - proxymap",
		"smtp unix - - n - - smtp",
		"relay unix - - n - - smtp",
		"showq unix n - n - - showq",
		"error unix - - n - - error",
		"retry unix - - n - - error",
		"discard unix - - n - - discard",
		"anvil unix - - n - 1 anvil",
		"scache unix - - n - 1 scache",
		"postlog unix-dgram n - n - 1 postlogd", // writes maillog_file
	} {
		b.WriteString(s + "\n")
	}
	return b.String()
}
