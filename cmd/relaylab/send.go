package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/quotedprintable"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/smtpload"
	"github.com/relaylab/relaylab/internal/textsafe"
	"github.com/relaylab/relaylab/relay"
)

func init() {
	register(command{name: "send", summary: "send one message over SMTP and print the conversation", run: runSend})
}

// Exit codes of "relaylab send" beyond the usual 0, 1 and 2.
const (
	exitTempFail = 4 // the server refused with a 4xx reply
	exitPermFail = 5 // the server refused with a 5xx reply
)

const sendSynopsis = `--to ADDR [--to ADDR...] [flags]

Sends one message and prints the SMTP conversation: " -> " lines were sent,
"<-  " lines received (" ~> " and "<~  " once TLS is on). Exit status: 0 when
the message was accepted for every recipient, 4 when the server refused with
a temporary (4xx) reply, 5 with a permanent (5xx) one, 1 for connection, TLS
or protocol errors (a reply SMTP does not allow, such as 250 to DATA or a
code outside 200-599), 2 for bad flags or a --data or --body-file that
cannot be read (or an --attach file), or an address that is not one
mailbox, 130 when interrupted (Ctrl-C; after the message's final dot was
sent, its fate is unknown: the server may have delivered it).

With --auth-user and no --auth-pass, the password is read from the
environment variable RELAYLAB_AUTH_PASS (which keeps it out of the process
list and the shell's history); with neither, send refuses (exit 2). The
transcript shows AUTH's data as [credentials hidden].

--data sends the file's bytes but for what SMTP needs: every line end
(CRLF, a bare LF or a bare CR) goes out as CRLF, a final line end is
added, and a line starting with a dot gets a second one (RFC 5321 4.5.2).
A server's handling of bare LF or CR cannot be tested with send.

MAIL FROM carries SIZE= when the server offers SIZE (RFC 1870), BODY=8BITMIME
when the message has 8-bit bytes and the server offers 8BITMIME (RFC 6152),
and SMTPUTF8 when an address or a header field is not ASCII (RFC 6531; when
the server does not offer it, send refuses with exit 1 and sends nothing).

--notify, --ret, --envid and --orcpt ask for DSNs (RFC 3461): RET= and
ENVID= (written in xtext) go on MAIL, NOTIFY= and ORCPT= on every RCPT,
and only to a server that offers DSN; to one that does not, the message
goes without them, with a note, and the exit status is the message's as
ever. ORCPT goes only with --orcpt (--orcpt self: each recipient's own
address, as Postfix sends it).

The built message's header fields are folded at their spaces into lines
of at most 78 characters where they can be, and never over 998 (RFC 5322
2.1.1); --subject is encoded (RFC 2047) when it is not ASCII, and so is a
--header of text (Subject, X-...) or the names in a --header of addresses
(To, Cc, ...); a --header that cannot hold an encoded-word (Date,
Content-Type, ...), or an address that is not ASCII, goes in UTF-8 as
written (RFC 6532), with SMTPUTF8. The body goes quoted-printable when it
is not ASCII or has a line over 998 characters.`

// sendOptions are the flags of "relaylab send".
type sendOptions struct {
	from, subject, body, bodyFile, dataFile, server, helo string
	authUser, authPass, authMech, quitAfter               string
	to, headers, attach                                   multiFlag
	attached                                              []attachment // the --attach files, read
	startTLS, implicitTLS, insecure, hideData             bool
	caFile                                                string
	timeout                                               time.Duration
	set                                                   map[string]bool // the flags given
	dsnFlags                                              dsnFlags
	dsn                                                   *smtpload.DSN // what the DSN flags ask for; nil: none
}

// authPassEnv holds the password for --auth-user when --auth-pass is not
// given.
const authPassEnv = "RELAYLAB_AUTH_PASS"

func runSend(ctx context.Context, e *env, args []string) error {
	var o sendOptions
	fs := newFlags(e, "send", sendSynopsis)
	fs.StringVar(&o.from, "from", "relaylab@localhost", "envelope sender and From address (\"\" or \"<>\": the null sender, and From: MAILER-DAEMON@ the --helo name)")
	fs.Var(&o.to, "to", "recipient (repeatable)")
	fs.StringVar(&o.subject, "subject", "relaylab test message", "Subject of the built message")
	fs.StringVar(&o.body, "body", "This is a test message sent by relaylab send.\n", "body text of the built message (as in swaks, @FILE reads FILE and - standard input; a text that starts with @ goes in with --body-file)")
	fs.StringVar(&o.bodyFile, "body-file", "", "read the body from this file (- for standard input)")
	fs.StringVar(&o.dataFile, "data", "", "send this file as the whole RFC 5322 message (- for standard input); line ends become CRLF and leading dots are doubled")
	fs.Var(&o.attach, "attach", "attach this file (repeatable): the message becomes multipart/mixed, each file base64")
	fs.Var(&o.headers, "header", `extra or replacing header field "Name: value" (repeatable)`)
	fs.StringVar(&o.server, "server", "127.0.0.1:2525", "SMTP server as host:port")
	fs.BoolVar(&o.startTLS, "starttls", false, "upgrade the connection with STARTTLS (RFC 3207)")
	fs.BoolVar(&o.implicitTLS, "tls", false, "use TLS from the first byte (implicit TLS, RFC 8314; swaks' --tls, which is STARTTLS, is --starttls here)")
	fs.BoolVar(&o.insecure, "insecure", false, "do not verify the server's certificate (with --starttls or --tls; the sink's is self-signed)")
	fs.StringVar(&o.caFile, "ca-file", "", "trust the CA certificates of this PEM file, besides the system's, for the server's certificate (with --starttls or --tls; a test CA, or the sink's own certificate)")
	fs.StringVar(&o.authUser, "auth-user", "", "authenticate as this user (AUTH PLAIN, or LOGIN)")
	fs.StringVar(&o.authMech, "auth-mech", "", "AUTH mechanism, PLAIN or LOGIN (default: PLAIN when offered, else LOGIN)")
	fs.StringVar(&o.quitAfter, "quit-after", "", "send QUIT after this stage instead of the message: connect (the greeting), helo (EHLO, with STARTTLS and AUTH when asked), mail or rcpt")
	fs.StringVar(&o.authPass, "auth-pass", "", "password for --auth-user (default: the environment variable "+authPassEnv+")")
	fs.StringVar(&o.helo, "helo", "", "name to send in EHLO (default: this host's name)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "time allowed for each exchange with the server")
	fs.BoolVar(&o.hideData, "hide-data", false, "do not print the message lines in the transcript")
	o.dsnFlags.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; every option is a flag (--to ADDR)", fs.Arg(0))
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	// swaks' habits: "<>" is the null sender, a stage in any case.
	if o.from == "<>" {
		o.from = ""
	}
	o.quitAfter = strings.ToLower(o.quitAfter)
	if err := checkAuthFlags("send", &o.authPass, o.authUser, o.authMech, o.set["auth-pass"]); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	msg, err := o.message(e, clock.Real{})
	if err != nil {
		return err
	}
	if o.from == "" && o.dataFile == "" && !overridden(o.headers, "From") {
		fmt.Fprintf(e.stdout, "=== note: the envelope sender is null (MAIL FROM:<>); the From field says <%s>, as RFC 5322 3.6.2 wants a mailbox there\n", fromField(&o))
	}
	return sendMessage(ctx, e, &o, msg)
}

func (o *sendOptions) check() error {
	switch {
	case len(o.to) == 0:
		return usageError("no recipient: give at least one --to ADDR")
	case o.startTLS && o.implicitTLS:
		return usageError("--starttls and --tls exclude each other: --tls is TLS from the start (port 465), --starttls upgrades a plain connection (ports 25, 587)")
	case o.caFile != "" && !o.startTLS && !o.implicitTLS:
		return usageError("--ca-file checks the server's certificate, and without --starttls or --tls there is none; add one of them")
	case o.caFile != "" && o.insecure:
		return usageError("--ca-file and --insecure exclude each other: --insecure checks no certificate, so the CA file would be ignored")
	case o.dataFile != "" && (o.bodyFile != "" || len(o.headers) > 0):
		return usageError("--data sends a whole message as is; it cannot be combined with --body-file or --header")
	case o.quitAfter != "" && o.quitAfter != "connect" && o.quitAfter != "helo" && o.quitAfter != "mail" && o.quitAfter != "rcpt":
		return usageError("--quit-after %q: give connect, helo, mail or rcpt", o.quitAfter)
	}
	// Flags that the message would silently ignore.
	for _, pair := range [][2]string{{"data", "subject"}, {"data", "body"}, {"data", "attach"}, {"body-file", "body"}} {
		if o.set[pair[0]] && o.set[pair[1]] {
			return usageError("--%s and --%s exclude each other: --%s gives the %s, so --%s would be ignored", pair[0], pair[1], pair[0], map[string]string{"data": "whole message", "body-file": "body"}[pair[0]], pair[1])
		}
	}
	if o.set["subject"] && overridden(o.headers, "Subject") {
		return usageError("--subject and --header \"Subject: ...\" exclude each other: the header field would replace --subject; give one of them")
	}
	if len(o.attach) > 0 {
		// RFC 2046 5.1.1: the multipart's Content-Type carries the
		// boundary its parts are cut at; another would break the message.
		for _, name := range []string{"Content-Type", "Content-Transfer-Encoding"} {
			if overridden(o.headers, name) {
				return usageError("--attach and --header \"%s: ...\" exclude each other: with --attach the message is multipart/mixed, and its %s holds the MIME structure (the boundary between the parts); "+
					"the header field would replace it and break the message; leave the --header out, or send a whole message of your own with --data", name, name)
			}
		}
	}
	if err := checkPort("server", o.server); err != nil {
		return err
	}
	if err := flagAtLeast("timeout", o.timeout, 1, "a positive time, such as 30s"); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(o.server); err != nil {
		return usageError("--server %q: %v; give host:port, such as 127.0.0.1:2525", o.server, err)
	}
	if err := checkMailboxes("from", o.from); err != nil {
		return err
	}
	if err := checkMailboxes("to", o.to...); err != nil {
		return err
	}
	var err error
	if o.dsn, err = o.dsnFlags.parse(o.to, o.set); err != nil {
		return err
	}
	return checkHeaderFlags(o.headers)
}

// checkHeaderFlags refuses a --header that is no "Name: value" on one
// line with a printable ASCII name (send's and load's).
func checkHeaderFlags(headers []string) error {
	for _, h := range headers {
		name, _, ok := strings.Cut(h, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") || strings.ContainsAny(h, "\r\n") {
			return usageError(`--header %q: write it as "Name: value" on one line`, h)
		}
		if needsEncoding(name) {
			// RFC 5322 2.2 (and RFC 6532, which leaves names alone): a
			// field name is printable ASCII; only its value may be encoded.
			return usageError(`--header %q: the field name %q is not ASCII, and a field name can only be printable ASCII (RFC 5322 2.2; no encoding or SMTPUTF8 allows more); give an ASCII name, the value may hold any text`, h, name)
		}
	}
	return nil
}

// checkAuthFlags checks the AUTH flags of command (send, load): with
// user and no --auth-pass (passGiven), *pass is read from authPassEnv, and
// without either the command refuses, naming the flag.
func checkAuthFlags(command string, pass *string, user, mech string, passGiven bool) error {
	if user != "" && !passGiven {
		var ok bool
		if *pass, ok = os.LookupEnv(authPassEnv); !ok {
			return usageError("--auth-user %q needs a password: give --auth-pass, or set the environment variable %s (kept out of the process list)", user, authPassEnv)
		}
	}
	switch {
	case passGiven && user == "":
		return usageError("--auth-pass needs --auth-user")
	case mech != "" && user == "":
		return usageError("--auth-mech needs --auth-user")
	case mech != "" && !strings.EqualFold(mech, "PLAIN") && !strings.EqualFold(mech, "LOGIN"):
		return usageError("--auth-mech %q: %s speaks PLAIN or LOGIN", mech, command)
	}
	return nil
}

// checkPort refuses a host:port flag whose port is not one TCP has, as
// bad input (exit 2), before anything is dialled.
func checkPort(flagName, hostport string) error {
	if _, port, err := net.SplitHostPort(hostport); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return usageError("--%s %q: port %q is not a number from 1 to 65535", flagName, hostport, port)
		}
	}
	return nil
}

// message returns the message to send, in wire form.
func (o *sendOptions) message(e *env, clk clock.Clock) ([]byte, error) {
	if o.dataFile != "" {
		b, err := readInput(e, o.dataFile)
		if err != nil {
			return nil, inputError("data", o.dataFile, err)
		}
		return smtpload.WireFormat(b), nil
	}
	body := o.body
	flagName, file := "body-file", o.bodyFile
	if name, ok := strings.CutPrefix(o.body, "@"); ok && o.set["body"] {
		flagName, file = "body", name // swaks' --body @FILE
	} else if o.body == "-" && o.set["body"] {
		flagName, file = "body", "-"
	}
	if file != "" {
		b, err := readInput(e, file)
		if err != nil && flagName == "body" {
			return nil, inputError(flagName, o.body, err) // as given: "@name"
		}
		if err != nil {
			return nil, inputError(flagName, file, err)
		}
		body = string(b)
	}
	for _, name := range o.attach {
		if name == "-" {
			return nil, usageError("--attach -: attach a named file; standard input has no file name")
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, inputError("attach", name, err)
		}
		o.attached = append(o.attached, attachment{name: filepath.Base(name), data: b})
	}
	msg, err := buildMessage(o, body, clk.Now())
	if err != nil {
		return nil, err
	}
	return smtpload.WireFormat(msg), nil
}

// attachment is one --attach file.
type attachment struct {
	name string
	data []byte
}

// mimePart writes one attachment as a MIME body part (RFC 2045, 2183): its
// type guessed from the file name's extension, its name in
// Content-Disposition (RFC 2231 encoded when not ASCII), base64 in lines
// of 76 characters.
func (a attachment) mimePart(b *strings.Builder) {
	ctype := mime.TypeByExtension(filepath.Ext(a.name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	b.WriteString("Content-Type: " + ctype + "\r\n")
	b.WriteString(dispositionField(a.name))
	b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(a.data)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	if enc != "" {
		b.WriteString(enc + "\r\n")
	}
}

// dispositionField is the attachment's Content-Disposition field (RFC
// 2183) with its file name: as mime writes it (RFC 2231 encoded when not
// ASCII), folded, when its lines then fit in 78 characters; else the name
// cut into RFC 2231 3 continuations (filename*0*=, filename*1*=, ...,
// percent-encoded, the first after the charset utf-8 and two apostrophes),
// one a line, so that no line passes 78 characters whatever the name's
// length (a 200-character name made a line of 255).
func dispositionField(name string) string {
	if f, err := foldField("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name})); err == nil {
		fits := true
		for l := range strings.SplitSeq(strings.TrimSuffix(f, "\r\n"), "\r\n") {
			fits = fits && len(l) <= foldAt
		}
		if fits {
			return f
		}
	}
	// RFC 2231 4: the extended value, percent-encoded but for
	// attribute-chars; 7: a continuation holds whole %XX triplets.
	var enc []string
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c > ' ' && c < 0x7f && !strings.ContainsRune("*'%()<>@,;:\\\"/[]?=", rune(c)) {
			enc = append(enc, string(c))
		} else {
			enc = append(enc, fmt.Sprintf("%%%02X", c))
		}
	}
	const room = 56 // for " filename*NN*=" and ";" within 78
	var b strings.Builder
	b.WriteString("Content-Disposition: attachment")
	piece, n := "utf-8''", 0
	flush := func() {
		fmt.Fprintf(&b, ";\r\n filename*%d*=%s", n, piece)
		piece, n = "", n+1
	}
	for _, e := range enc {
		if len(piece)+len(e) > room {
			flush()
		}
		piece += e
	}
	flush()
	b.WriteString("\r\n")
	return b.String()
}

// inputError is a file that --data or --body-file names and that cannot
// be read: bad input, exit 2 as in the other commands, not the exit 1 of a
// connection that failed.
func inputError(flagName, name string, err error) error {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageError("--%s %s: no such file", flagName, name)
	case errors.As(err, &pe):
		return usageError("--%s %s: cannot read it: %v", flagName, name, pe.Err)
	}
	return usageError("--%s %s: cannot read it: %v", flagName, name, err)
}

func readInput(e *env, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(e.stdin)
	}
	return os.ReadFile(name)
}

// buildMessage writes an RFC 5322 message with the MIME fields of RFC 2045;
// a --header replaces a default field of the same name. Every header line
// is folded at its spaces (webadapt_header.go, as the web API's built
// messages are) to at most 78 characters where it can be, and never over
// 998 (RFC 5322 2.1.1); a --header that cannot be is refused, naming it.
// The body goes quoted-printable when it is not 7-bit ASCII in lines of
// at most 998 characters (sevenBitLines, as the web API's text parts).
func buildMessage(o *sendOptions, body string, now time.Time) ([]byte, error) {
	from, err := foldField("From", "<"+fromField(o)+">")
	if err != nil {
		return nil, usageError("--from %q: %v", o.from, err)
	}
	to, err := foldField("To", addressList(o.to))
	if err != nil {
		return nil, usageError("--to: %v", err)
	}
	subject, _ := textField("Subject", o.subject, true) // encoded-words always fold
	ctype := "Content-Type: text/plain; charset=us-ascii\r\n"
	cte := "Content-Transfer-Encoding: 7bit\r\n"
	if !isASCII(body) {
		ctype = "Content-Type: text/plain; charset=utf-8\r\n"
	}
	if !sevenBitLines(body) {
		cte = "Content-Transfer-Encoding: quoted-printable\r\n"
		var b strings.Builder
		w := quotedprintable.NewWriter(&b)
		io.WriteString(w, body)
		w.Close()
		body = b.String()
	}
	defaults := []string{
		"Date: " + now.Format("Mon, 02 Jan 2006 15:04:05 -0700") + "\r\n", // RFC 5322 3.3
		from,
		to,
		subject,
		"Message-ID: " + newMessageID(o.from) + "\r\n",
		"MIME-Version: 1.0\r\n",
		ctype,
		cte,
		"X-Mailer: relaylab send\r\n",
	}
	if len(o.attached) > 0 {
		// RFC 2046 5.1.3: the text first, then each file.
		var r [12]byte
		rand.Read(r[:])
		boundary := "relaylab-" + hex.EncodeToString(r[:])
		var mb strings.Builder
		mb.WriteString("--" + boundary + "\r\n" + ctype + cte + "\r\n" + body)
		if !strings.HasSuffix(body, "\n") {
			mb.WriteString("\r\n")
		}
		for _, a := range o.attached {
			mb.WriteString("--" + boundary + "\r\n")
			a.mimePart(&mb)
		}
		mb.WriteString("--" + boundary + "--\r\n")
		body = mb.String()
		defaults[6] = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n"
		defaults = append(defaults[:7], defaults[8:]...)
	}
	var b strings.Builder
	for _, d := range defaults {
		name, _, _ := strings.Cut(d, ":")
		if !overridden(o.headers, name) {
			b.WriteString(d)
		}
	}
	for _, h := range o.headers {
		name, value, _ := strings.Cut(h, ":")
		f, err := headerField(name, strings.TrimLeft(value, " \t"))
		if err != nil {
			return nil, usageError("--header %q: %v", truncateArg(h), err)
		}
		b.WriteString(f)
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return []byte(b.String()), nil
}

// truncateArg shortens a long flag value for an error message.
func truncateArg(s string) string {
	if len(s) <= 60 {
		return s
	}
	return s[:57] + "..."
}

func overridden(headers []string, name string) bool {
	for _, h := range headers {
		n, _, _ := strings.Cut(h, ":")
		if strings.EqualFold(strings.TrimSpace(n), name) {
			return true
		}
	}
	return false
}

func angleList(addrs []string) string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = "<" + a + ">"
	}
	return strings.Join(out, ", ")
}

// newMessageID returns a unique id in the sender's domain (RFC 5322 3.6.4).
func newMessageID(from string) string {
	var r [12]byte
	rand.Read(r[:])
	domain := "relaylab.local"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i+1 < len(from) {
		domain = from[i+1:]
	}
	return "<" + hex.EncodeToString(r[:]) + "@" + domain + ">"
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// sendMessage runs the session and prints its transcript to e.stdout.
func sendMessage(ctx context.Context, e *env, o *sendOptions, msg []byte) error {
	host, _, _ := net.SplitHostPort(o.server)
	// An IP address as ServerName is checked against the certificate's IP
	// addresses.
	tlsCfg := &tls.Config{InsecureSkipVerify: o.insecure, ServerName: host}
	if o.caFile != "" {
		roots, err := caPool(o.caFile)
		if err != nil {
			return err
		}
		tlsCfg.RootCAs = roots
	}
	helo := heloName(o)
	var c *smtpload.Client
	inData, hidden := false, false
	s := &sendSession{ctx: ctx, o: o, stage: smtpload.StageConnect}
	trace := func(dir, line string) {
		enc := c != nil && c.TLS()
		line = textsafe.Escape(line) // the server's text: shown, not obeyed by the terminal
		if dir == smtpload.Sent {
			s.sent(line, inData)
		}
		if inData && o.hideData && dir == smtpload.Sent && line != "." {
			if !hidden {
				// One line in their place, so that the transcript shows
				// what went: a DATA with nothing after it reads as a
				// client that sent no message.
				hidden = true
				arrow := " -> "
				if enc {
					arrow = " ~> "
				}
				fmt.Fprintf(e.stdout, "%s[the message: %d octets in %d lines, not shown (--hide-data)]\n", arrow, len(msg), bytes.Count(msg, []byte("\n")))
			}
			return
		}
		switch {
		case dir == smtpload.Sent && enc:
			fmt.Fprintf(e.stdout, " ~> %s\n", line)
		case dir == smtpload.Sent:
			fmt.Fprintf(e.stdout, " -> %s\n", line)
		case enc:
			fmt.Fprintf(e.stdout, "<~  %s\n", line)
		default:
			fmt.Fprintf(e.stdout, "<-  %s\n", line)
		}
		if dir == smtpload.Received && strings.HasPrefix(line, "354") {
			inData = true
		}
		if dir == smtpload.Sent && line == "." {
			inData = false
		}
	}
	tlsStarted := func(st tls.ConnectionState) {
		fmt.Fprintf(e.stdout, "=== TLS started with cipher %s (%s)\n", tls.CipherSuiteName(st.CipherSuite), tls.VersionName(st.Version))
		for _, l := range tlsPeerLines(st, host, tlsCfg.RootCAs, o.insecure, time.Now()) {
			fmt.Fprintf(e.stdout, "=== TLS %s\n", l)
		}
	}
	fmt.Fprintf(e.stdout, "=== Trying %s...\n", o.server)
	var err error
	c, err = smtpload.Dial(ctx, o.server, o.implicitTLS, smtpload.Options{Helo: helo, TLS: tlsCfg, Timeout: o.timeout, Trace: trace, TLSStarted: tlsStarted, AuthMech: o.authMech})
	if err != nil && ctx.Err() != nil {
		return &exitError{code: exitInterrupted, err: s.interrupted(err)}
	}
	if err != nil {
		return &exitError{code: 1, err: s.connErr("connecting to", err)}
	}
	defer c.Close()
	// Ctrl-C closes the connection under a command that waits for its
	// reply, instead of waiting out --timeout; failed says so.
	raw := c.Conn()
	if tc, ok := raw.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	defer context.AfterFunc(ctx, func() { raw.Close() })()
	fmt.Fprintf(e.stdout, "=== Connected to %s.\n", o.server)
	if tc, ok := c.Conn().(*tls.Conn); ok {
		tlsStarted(tc.ConnectionState())
	}
	s.stage = smtpload.StageGreeting
	if _, err := c.Greeting(); err != nil {
		return s.failed(err)
	}
	if o.quitAfter == "connect" {
		return s.quit(e, c)
	}
	if _, err := c.Hello(); err != nil {
		return s.failed(err)
	}
	if o.startTLS {
		if err := c.StartTLS(); err != nil {
			return s.failed(err)
		}
	}
	if o.authUser != "" {
		s.authing = true
		if err := c.Auth(o.authUser, o.authPass); err != nil {
			return s.failed(err)
		}
		s.authing = false
	}
	if o.quitAfter == "helo" {
		return s.quit(e, c)
	}
	params, err := mailParams(e, o, c, msg)
	if err != nil {
		return err
	}
	tx := &smtpload.Transaction{From: o.from, To: o.to, MailParams: params, Parts: [][]byte{msg}}
	applyDSN(e, c, tx, o.dsn)
	if o.quitAfter != "" {
		return s.envelopeOnly(e, c, tx)
	}
	res, err := c.Send(tx, false)
	// QUIT ends the session unless the server ended it: a 421 (RFC 5321
	// 3.8, to the RSET after a refusal too) or a hang-up. A server that
	// refused the RSET with a 5xx still talks.
	quit := err == nil && (!res.Closing() || res.Rset.Code >= 500)
	if err == nil {
		err = res.ResetErr
	}
	if err != nil && !refused(&res) {
		return s.failed(err)
	}
	for _, n := range unusualPositives(o, &res) {
		fmt.Fprintf(e.stdout, "=== note: %s\n", n)
	}
	if quit {
		if err := c.Quit(); err != nil {
			fmt.Fprintf(e.stdout, "*** QUIT: %v\n", err)
		}
	}
	return sendOutcome(e, o, &res, err)
}

// envelopeOnly sends MAIL (and with --quit-after rcpt the RCPTs), then
// QUIT: a refusal is the outcome, as for a whole message. Every
// recipient is tried, and the outcome says which were accepted and which
// refused; only a 421 (the server is closing, RFC 5321 3.8) ends it
// without QUIT.
func (s *sendSession) envelopeOnly(e *env, c *smtpload.Client, tx *smtpload.Transaction) error {
	if _, err := c.Cmd(smtpload.StageMail, 250, tx.MailCommand()); err != nil {
		return s.failed(err)
	}
	if s.o.quitAfter != "rcpt" {
		return s.quit(e, c)
	}
	var accepted, refusals []string
	worst := 0
	for i, to := range s.o.to {
		rep, err := c.Cmd(smtpload.StageRcpt, 250, tx.RcptCommand(i))
		var re *smtpload.ReplyError
		switch {
		case err == nil || smtpload.RcptAccepted(rep):
			accepted = append(accepted, "<"+to+">")
			continue
		case !errors.As(err, &re):
			return s.failed(err)
		}
		refusals = append(refusals, fmt.Sprintf("<%s>: %s%s", to, re.Error(), explainRefusal(smtpload.StageRcpt, rep, -1)))
		worst = max(worst, rep.Code)
		if rep.Code == 421 {
			if rest := s.o.to[i+1:]; len(rest) > 0 {
				refusals = append(refusals, fmt.Sprintf("%s: not tried: the server closed the session before them", angleList(rest)))
			}
			break
		}
	}
	if worst == 421 {
		c.Close()
		fmt.Fprintf(e.stdout, "=== The server closed the session (421); no message was sent\n")
	} else if err := s.quit(e, c); err != nil {
		return err
	}
	if len(refusals) == 0 {
		return nil
	}
	code := exitPermFail
	if worst < 500 {
		code = exitTempFail
	}
	took := "no recipient was accepted"
	if len(accepted) > 0 {
		took = "accepted at RCPT: " + strings.Join(accepted, ", ")
	}
	return &exitError{code: code, err: fmt.Errorf("quit after rcpt, as --quit-after asked (no message was sent); %s; refused:\n  %s", took, strings.Join(refusals, "\n  "))}
}

// quit ends a session that --quit-after stopped.
func (s *sendSession) quit(e *env, c *smtpload.Client) error {
	if err := c.Quit(); err != nil {
		fmt.Fprintf(e.stdout, "*** QUIT: %v\n", err)
	}
	fmt.Fprintf(e.stdout, "=== Quit after %s, as --quit-after asked; no message was sent\n", s.o.quitAfter)
	return nil
}

// mailParams are the MAIL FROM parameters the message needs and the
// server offers (smtpload's Client.MailParams, which load uses too): a
// message that needs SMTPUTF8 of a server that does not offer it is not
// sent, and 8-bit content without 8BITMIME is sent with a note.
func mailParams(e *env, o *sendOptions, c *smtpload.Client, msg []byte) (string, error) {
	params, missing := c.MailParams(&smtpload.Transaction{From: o.from, To: o.to, Parts: [][]byte{msg}})
	sending := !slices.Contains(missing, "SMTPUTF8") // else it is not sent: see below
	for _, n := range contentNotes(msg, sending, strings.Contains(" "+params+" ", " SMTPUTF8 ")) {
		fmt.Fprintf(e.stdout, "=== note: %s\n", n)
	}
	for _, m := range missing {
		switch m {
		case "8BITMIME":
			fmt.Fprintf(e.stdout, "=== note: the message has 8-bit bytes and the server does not offer 8BITMIME (RFC 6152); sent as it is\n")
		case "SMTPUTF8":
			return "", &exitError{code: 1, err: fmt.Errorf("not sent: an address or a header field is not ASCII, and the server does not offer SMTPUTF8 (RFC 6531), so it could only refuse it (553 5.6.7)\n" +
				"    category smtputf8-required: the message needs SMTPUTF8 and the server does not take it\n" +
				"    what to do: use ASCII addresses, and ASCII in fields such as Date or Content-Type (--subject, and --header text and display names, are encoded for you), or a server that offers SMTPUTF8")}
		}
	}
	return params, nil
}

// refused reports whether the transaction got a refusal to report.
func refused(res *smtpload.TxResult) bool {
	if res.Mail.Code >= 400 || res.Data.Code >= 400 || res.DataEnd.Code >= 400 {
		return true
	}
	for _, r := range res.Rcpts {
		if r.Code >= 400 {
			return true
		}
	}
	return false
}

// sendSession follows where the session is, for failures that come
// without a reply (a timeout, a hang-up).
type sendSession struct {
	ctx   context.Context // ended by Ctrl-C
	o     *sendOptions
	stage string
	// authing is set while send asks for AUTH, so that an AUTH the
	// server does not offer gets advice of its own.
	authing bool
}

// sent notes the stage a command line starts.
func (s *sendSession) sent(line string, inData bool) {
	if inData {
		if line == "." {
			s.stage = smtpload.StageDataEnd
		}
		return
	}
	verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
	switch verb {
	case "EHLO", "HELO":
		s.stage = smtpload.StageEHLO
	case "STARTTLS":
		s.stage = smtpload.StageStartTLS
	case "AUTH":
		s.stage = smtpload.StageAuth
	case "MAIL":
		s.stage = smtpload.StageMail
	case "RCPT":
		s.stage = smtpload.StageRcpt
	case "DATA":
		s.stage = smtpload.StageData
	case "RSET":
		s.stage = smtpload.StageRset
	case "QUIT":
		s.stage = smtpload.StageQuit
	}
}

// failed reports an error that ended the session.
func (s *sendSession) failed(err error) error {
	var re *smtpload.ReplyError
	if errors.As(err, &re) {
		code := exitPermFail
		if re.Temporary() {
			code = exitTempFail
		}
		// The reply shows its enhanced status code already.
		return &exitError{code: code, err: errors.New(re.Error() + explainRefusal(re.Stage, re.Reply, -1))}
	}
	if s.ctx != nil && s.ctx.Err() != nil {
		return &exitError{code: exitInterrupted, err: s.interrupted(err)}
	}
	return &exitError{code: 1, err: s.connErr("talking to", err)}
}

// interrupted explains a session that Ctrl-C ended while it waited: where,
// and, after the message's final dot, that the server may have delivered
// it.
func (s *sendSession) interrupted(err error) error {
	out := fmt.Sprintf("interrupted %s (%v)", stageAt(s.stage), err)
	if s.stage == smtpload.StageDataEnd {
		out += "\n    category interrupted: the final dot was sent and its reply not read, so the message's fate is unknown: the server may have delivered it (RFC 5321 4.5.4.1)" +
			"\n    what to do: check the server's log or mailbox before sending again, which may deliver it twice"
	} else {
		out += "\n    category interrupted: the session was ended before the message's final dot, so nothing was delivered" +
			"\n    what to do: run send again when you want the message sent"
	}
	return errors.New(out)
}

// sendOutcome turns the transaction's replies into the command's result;
// after is a failure that came after a refusal (the server hung up), said
// after it.
func sendOutcome(e *env, o *sendOptions, res *smtpload.TxResult, after error) error {
	var refusals []string
	worst := 0
	note := func(stage string, to string, r smtpload.Reply) {
		what := (&smtpload.ReplyError{Stage: stage, Reply: r}).Error()
		if to != "" {
			what = fmt.Sprintf("<%s>: %s", to, what)
		}
		took := -1
		if res.OK() {
			took = res.Accepted
		}
		refusals = append(refusals, what+explainRefusal(stage, r, took))
		worst = max(worst, r.Code)
	}
	if !smtpload.Positive(res.Mail.Code) {
		note(smtpload.StageMail, "", res.Mail)
	}
	for i, r := range res.Rcpts {
		if !smtpload.RcptAccepted(r) {
			note(smtpload.StageRcpt, o.to[i], r)
		}
	}
	if smtpload.Positive(res.Mail.Code) && len(res.Rcpts) < len(o.to) {
		// RFC 5321 3.8: after a 421 the client sends nothing more.
		refusals = append(refusals, fmt.Sprintf("%s: not tried: the server closed the session before them", angleList(o.to[len(res.Rcpts):])))
	}
	if res.Data.Code != 0 && res.Data.Code != 354 {
		note(smtpload.StageData, "", res.Data)
	}
	if res.DataEnd.Code != 0 && !smtpload.Positive(res.DataEnd.Code) {
		note(smtpload.StageDataEnd, "", res.DataEnd)
	}
	if len(refusals) == 0 {
		fmt.Fprintf(e.stdout, "=== Message accepted for %d recipient(s): %s\n", res.Accepted, res.DataEnd)
		return nil
	}
	if after != nil {
		refusals = append(refusals, afterRefusal(after))
	}
	code := exitPermFail
	if worst < 500 {
		code = exitTempFail
	}
	summary := "message not sent"
	if res.OK() {
		summary = fmt.Sprintf("message accepted for %d of %d recipients", res.Accepted, len(o.to))
	}
	return &exitError{code: code, err: fmt.Errorf("%s:\n  %s", summary, strings.Join(refusals, "\n  "))}
}

// explainRefusal is what a 4xx or 5xx reply at stage means and what to
// do about it, for a client (send, load): its category and reason as the
// relay's built-in classification reads them, but in a client's terms
// where the table speaks of the relay's own paths and retries (or
// send's own, for what that table leaves unclassified), and advice for a
// one-shot client, on lines of their own under the reply; "" when it has
// nothing to say. took is the number of recipients the server took in
// the transaction when the message went to them, else -1.
func explainRefusal(stage string, r smtpload.Reply, took int) string {
	if r.Code < 400 || r.Code > 599 {
		return ""
	}
	c, err := builtinClassifier()
	if err != nil {
		return ""
	}
	v := c.Classify(relay.Reply{Stage: relayStage(stage), Code: r.Code, Enhanced: r.Enhanced, Text: r.Text()})
	category, reason := v.Category, v.Reason
	if category == "" || category == "unclassified" {
		if cat, why := sendCategory(stage, r, took); cat != "" {
			category, reason = cat, why
		}
	}
	if why := authReason(stage, r); why != "" {
		reason = why
	} else if category == "greylisted" {
		reason = "the server greylists: it defers the first try of an unknown client, sender and recipient, and takes one made again after its delay"
	}
	if why := sessionEndReason(stage, r); why != "" {
		reason = why
	} else if relayTerms(reason) {
		reason = clientReason(category, stage, r)
	}
	if category == "" && reason == "" {
		return ""
	}
	out := "\n    category " + category
	if reason != "" {
		out += ": " + reason
	}
	if advice := sendAdvice(stage, r, v.Advice); advice != "" {
		out += "\n    what to do: " + advice
	}
	return out
}

// authReason is why the server refused AUTH, for a person running send:
// the relay's reasons speak of its paths. Only a 535 judged the password.
func authReason(stage string, r smtpload.Reply) string {
	switch {
	case (stage == smtpload.StageMail || stage == smtpload.StageRcpt || stage == smtpload.StageData) && r.Code == 530 && !needsTLS(stage, r):
		return "the server takes mail only from clients that authenticate (RFC 4954 6: 530 5.7.0, authentication required), and this session had not; the message itself was not judged"
	case stage != smtpload.StageAuth:
		return ""
	case r.Code == 538 || r.Enhanced == "5.7.11":
		return "the server takes these credentials only over an encrypted connection (RFC 4954 4: 538 5.7.11), and this one had no TLS; the password was not judged"
	case r.Code == 534 || r.Enhanced == "5.7.9":
		return "the server refused the mechanism as too weak for this connection (RFC 4954 6: 534 5.7.9), as servers do PLAIN and LOGIN without TLS; the password was not judged"
	case r.Code == 454:
		return "the server could not check the credentials for now (RFC 4954 6: 454 4.7.0, temporary authentication failure); the password was not judged"
	case r.Code == 535 || r.Enhanced == "5.7.8":
		return "the server refused the user name and password (RFC 4954 6: 535 5.7.8)"
	case r.Code == 432 || r.Enhanced == "4.7.12":
		return "the server asks for the account's password to be changed before it takes this mechanism (RFC 4954 4: 432 4.7.12, a password transition is needed)"
	case r.Code == 504 || r.Enhanced == "5.5.4":
		return "the server does not take the AUTH mechanism used (RFC 4954 4: 504 5.5.4, unrecognized authentication type); the password was not judged"
	case r.Code == 530 && needsTLS(stage, r):
		return "the server takes AUTH only over an encrypted connection (530, STARTTLS first), and this one had no TLS; the password was not judged"
	}
	return ""
}

// needsTLS reports whether a refusal asks for TLS first: AUTH that
// takes credentials only encrypted (538 5.7.11, 534 5.7.9), or a 530
// whose text says TLS is required (RFC 3207 4: 530 5.7.0 "Must issue a
// STARTTLS command first"). Any other 530 is authentication required (RFC
// 4954 6: 530 5.7.0), though its text may say that AUTH is offered after
// STARTTLS. The text is read as the relay's table reads it
// (relay/classify.yaml), so that send and the relay agree.
func needsTLS(stage string, r smtpload.Reply) bool {
	if stage == smtpload.StageAuth && (r.Code == 538 || r.Enhanced == "5.7.11" || r.Code == 534 || r.Enhanced == "5.7.9") {
		return true
	}
	return r.Code == 530 && relayCategory(stage, r) == "tls-failure"
}

// relayCategory is the category the relay's built-in classification
// gives r at stage, or "" when it cannot be read.
func relayCategory(stage string, r smtpload.Reply) string {
	c, err := builtinClassifier()
	if err != nil {
		return ""
	}
	return c.Classify(relay.Reply{Stage: relayStage(stage), Code: r.Code, Enhanced: r.Enhanced, Text: r.Text()}).Category
}

// relayTerms reports whether a reason or advice of the relay's table
// speaks of what the relay does (its paths, routes, queue, retries, the
// destinations it rests and throttles, "us" as the relay), which a client
// such as send or load does not do.
func relayTerms(s string) bool {
	for _, w := range []string{"retried", "retry", "path", "route", "the relay", "queued", "attempt", "suppress", "upstream",
		"rested", "rests", "destination", "throttl"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return relayWeRE.MatchString(s)
}

// relayWeRE finds "us" and "our" in the relay's table, where they mean
// the relay ("throttling us", "our IP").
var relayWeRE = regexp.MustCompile(`\b(us|our)\b`)

// clientReason is what a refusal of category at stage means to a client,
// for the categories whose reason in the relay's table speaks of the
// relay's own doings; else the generic words.
func clientReason(category, stage string, r smtpload.Reply) string {
	switch {
	case category == "rate-limited":
		return "the server limits how fast this client sends (its reply names a rate, a volume or throttling)"
	case r.Code == 421:
		return "the server is closing the session (421, service not available, RFC 5321 3.8, 4.2.2) without naming a rate or volume; nothing more can be sent on this connection"
	}
	return "the server refused " + stageWhatOf(stage) + "; its text says why"
}

// sessionEndReason is what a refusal of the RSET after a refusal, or of
// QUIT, means: not a refusal of the message, whose own reply came before;
// "" at other stages.
func sessionEndReason(stage string, r smtpload.Reply) string {
	switch {
	case stage == smtpload.StageRset && r.Code == 421:
		return "the server closed the session at the RSET that follows a refusal (421, RFC 5321 3.8), so the connection was not used again; the refusal before it is the message's outcome"
	case stage == smtpload.StageRset:
		return "the server refused the RSET that resets the transaction after a refusal (RFC 5321 4.1.1.5: RSET is answered 250), so the connection was not used again, its state not known; the refusal before it is the message's outcome"
	case stage == smtpload.StageQuit:
		return fmt.Sprintf("the server answered QUIT with %d instead of 221 (RFC 5321 4.1.1.10); the session's messages had their replies before it, so it refused none of them", r.Code)
	}
	return ""
}

// stageWhatOf names what a reply at stage answered ("the recipient at
// RCPT TO"), as ReplyError does.
func stageWhatOf(stage string) string {
	what := (&smtpload.ReplyError{Stage: stage, Reply: smtpload.Reply{Code: 500}}).Error()
	what = strings.TrimPrefix(what, "server rejected ")
	return strings.TrimSuffix(what, ": 500")
}

// tooManyRecipients reports whether r refused a recipient for the
// server's limit on recipients per message (RFC 5321 4.5.3.1.10: 452, or
// the 552 some servers give).
func tooManyRecipients(stage string, r smtpload.Reply) bool {
	return stage == smtpload.StageRcpt && (r.Code == 452 || r.Code == 552) &&
		(r.Enhanced == "4.5.3" || r.Enhanced == "5.5.3" || r.Enhanced == "" && strings.Contains(strings.ToLower(r.Text()), "too many r"))
}

// sendCategory names replies that the relay's table leaves unclassified,
// or classifies in the relay's terms.
func sendCategory(stage string, r smtpload.Reply, took int) (category, reason string) {
	switch {
	case tooManyRecipients(stage, r) && took > 0:
		return "too-many-recipients", fmt.Sprintf("the server takes at most %d recipients per message (RFC 5321 4.5.3.1.10); the first %d were accepted and the message went to them", took, took)
	case tooManyRecipients(stage, r):
		return "too-many-recipients", "the server takes only so many recipients per message and refused those over its limit (RFC 5321 4.5.3.1.10); the ones before it were accepted"

	case r.Enhanced == "5.6.7" || r.Enhanced == "5.6.8" || r.Enhanced == "5.6.9":
		return "smtputf8-required", "the server takes no non-ASCII address or header field without SMTPUTF8 (RFC 6531 3.5)"
	case r.Code == 501 || r.Enhanced == "5.5.2" || r.Enhanced == "5.5.4":
		return "syntax-error", "the server did not accept the command's syntax or its parameters (RFC 5321 4.2.2)"
	case r.Code == 500 || r.Code == 502 || r.Code == 503 || r.Code == 504:
		return "protocol-error", "the server did not accept the command here (RFC 5321 4.2.2)"
	}
	return "", ""
}

// sendAdvice is what a person running send does about a refusal; the
// relay's advice (a retry, a path, a route) fits only 5xx replies that
// are about the message or its addresses.
func sendAdvice(stage string, r smtpload.Reply, relayAdvice string) string {
	switch {
	case stage == smtpload.StageRset || stage == smtpload.StageQuit:
		return "nothing for the message: the reply before it says what became of it; a server that ends the session this way after every refusal costs a new connection for each message"
	case r.Code >= 400 && r.Code < 500 && relayCategory(stage, r) == "rate-limited":
		return "send more slowly: fewer messages at a time, or a pause between them (for load: a lower --rate or --sessions), then send again"
	case stage != smtpload.StageAuth && r.Code == 530 && strings.Contains(strings.ToLower(r.Text()), "tls") && strings.Contains(strings.ToLower(r.Text()), "auth"):
		// AUTH required, offered after STARTTLS; or TLS first, to
		// authenticate.
		return "add --starttls and --auth-user (or --tls when the port speaks TLS from the first byte, usually 465), and --insecure for a test server's self-signed certificate"
	case needsTLS(stage, r):
		return "add --starttls (or --tls when the port speaks TLS from the first byte, usually 465), and --insecure for a test server's self-signed certificate"
	case stage != smtpload.StageAuth && (r.Code == 530 || r.Enhanced == "5.7.0" && strings.Contains(strings.ToLower(r.Text()), "auth")):
		return "authentication required: add --auth-user (with --starttls or --tls when the server offers AUTH only over TLS)"
	case stage == smtpload.StageAuth && (r.Code == 432 || r.Enhanced == "4.7.12"):
		return "change the account's password with the provider's own tools, then send again with the new one"
	case stage == smtpload.StageAuth && (r.Code == 504 || r.Enhanced == "5.5.4"):
		return "try the other mechanism (--auth-mech LOGIN or PLAIN); the server's EHLO lists those it takes"
	case stage == smtpload.StageAuth && r.Code == 530:
		return "read the reply text: the server refused AUTH itself; check that this port takes AUTH (submission: 587 with --starttls, or 465 with --tls)"
	case stage == smtpload.StageAuth && r.Code == 535:
		return "the server refused the user name or password: check --auth-user and the password (--auth-pass or " + authPassEnv + ")"
	case tooManyRecipients(stage, r):
		return "send the rest in another message, to the refused recipients only (sending it again to all would deliver it twice to the accepted ones)"
	case r.Code == 421:
		return "the server is closing the session (busy, or limiting connections or rate): try again later"
	case r.Code >= 400 && r.Code < 500:
		return "the server asks to try again later: send it again later"
	case r.Enhanced == "5.6.7" || r.Enhanced == "5.6.8" || r.Enhanced == "5.6.9":
		return "use ASCII addresses and header fields, or a server that offers SMTPUTF8"
	}
	generic := "the server will not take this as it is: read the reply text, change the message or address, and send again"
	if r.Code == 501 || r.Code == 500 || r.Code >= 502 && r.Code <= 504 {
		generic = "read the reply text: it says what the server did not accept (an address, a parameter, a line too long)"
	}
	if relayAdvice == "" || relayTerms(relayAdvice) {
		return generic
	}
	return relayAdvice
}

// connErr explains a failure without a reply: where it came, its
// category, and what to do.
func (s *sendSession) connErr(doing string, err error) error {
	server, stage := s.o.server, s.stage
	_, port, _ := net.SplitHostPort(server)
	var ce *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	category, reason, advice := "connection", "", ""
	switch kind := smtpload.ErrorKind(err); {
	case errors.Is(err, smtpload.ErrNotOffered):
		category, reason = "not-offered", "the server's EHLO reply does not offer it, so nothing was sent"
		if s.authing && (s.o.startTLS || s.o.implicitTLS) {
			// Without TLS, the error says already to add it first.
			advice = "drop --auth-user if the server takes mail from your address without AUTH (relaylab's relay does from relay.allowed_networks, loopback by default); else configure users on the server (for relaylab's relay, relay.users) or use a port that offers AUTH"
		}
	case kind == "refused":
		reason = "nothing accepted the connection"
		advice = "is a server listening there? (relaylab sink listens on 127.0.0.1:2525 by default)"
	case kind == "timeout" && stage == smtpload.StageGreeting && !s.o.implicitTLS:
		reason = "the server sent no greeting in time"
		advice = "if this port speaks TLS from the first byte (implicit TLS, usually 465), add --tls; else raise --timeout"
		if port == "465" {
			advice = "port 465 speaks TLS from the first byte: add --tls"
		}
	case kind == "timeout" && stage == smtpload.StageDataEnd:
		reason = "the server did not answer the message's final dot in time; it may have delivered the message all the same (RFC 5321 4.5.4.1)"
		advice = "check the server's log or mailbox before sending again, which may deliver it twice; raise --timeout if the server is slow"
	case kind == "timeout":
		reason = "the server did not answer in time " + stageAt(stage) + "; nothing was delivered"
		advice = "raise --timeout, or check the server's load"
	case errors.As(err, &ce):
		category, reason = "tls-failure", "the server's certificate could not be verified"
		advice = "add --insecure to accept a test server's self-signed certificate"
	case errors.As(err, &rh) && s.o.implicitTLS:
		category, reason = "tls-failure", "--tls was given but the server answered in plaintext"
		advice = "drop --tls; add --starttls to upgrade a plaintext connection (ports 25, 587)"
	case kind == "tls":
		category, reason = "tls-failure", "the TLS handshake failed"
		advice = "does the server speak TLS on this port? (--tls is for port 465, --starttls for 25/587); read the error"
	case kind == "protocol":
		category, reason = "protocol-error", "the server's answer is not an SMTP reply"
		advice = "is this an SMTP server?"
		var pe *smtpload.ProtocolError
		if errors.As(err, &pe) && len(pe.Line) >= 3 && pe.Line[0] >= '2' && pe.Line[0] <= '3' {
			// A well-formed reply in the wrong place (354 to RCPT, 250
			// to DATA).
			reason = "the server gave a reply SMTP does not allow " + stageAt(stage) + " (" + misplacedWhy(pe.Stage, pe.Line[0]) + ")"
			advice = "the server must be fixed: read its reply above"
		}
	case kind == "eof" || kind == "reset":
		reason = "the server closed the connection " + stageAt(stage) + " without a reply"
		advice = "read the server's log: it may limit connections or refuse this client; run send again"
		if stage == smtpload.StageGreeting {
			advice = "is this an SMTP port? A web server (relaylab's UI on 8025) or another service waits for a request of its own and closes the connection with no greeting; else read the server's log: it may limit connections or refuse this client"
		}
		if stage == smtpload.StageDataEnd {
			reason = "the server closed the connection after the message's final dot without a reply; it may have delivered the message all the same"
			advice = "check the server's log or mailbox before sending again, which may deliver it twice"
		}
	}
	out := fmt.Sprintf("%s %s: %v", doing, server, err)
	if reason != "" {
		out += "\n    category " + category + ": " + reason
	}
	if advice != "" {
		out += "\n    what to do: " + advice
	}
	return errors.New(out)
}

// stageAt says where in the session stage is.
func stageAt(stage string) string {
	switch stage {
	case smtpload.StageConnect:
		return "while connecting"
	case smtpload.StageGreeting:
		return "before its greeting"
	case smtpload.StageDataEnd:
		return "after the message's final dot"
	}
	return "at " + strings.ToUpper(stage)
}

// afterRefusal says what ended the session after the message's refusal:
// the server's reply to the RSET that followed it, or a broken connection.
func afterRefusal(after error) string {
	var re *smtpload.ReplyError
	if !errors.As(after, &re) || re.Stage != smtpload.StageRset {
		return fmt.Sprintf("then the connection ended: %v", after)
	}
	if re.Reply.Code == 421 {
		return fmt.Sprintf("then the server answered RSET with %s: it closed the session (RFC 5321 3.8), so no QUIT was sent; the refusal above is the message's outcome", re.Reply)
	}
	return fmt.Sprintf("then the server refused RSET with %s (RFC 5321 4.1.1.5: RSET is answered 250); the refusal above is the message's outcome", re.Reply)
}

// unusualPositives notes each 2yz of the transaction other than the one
// RFC 5321 gives at its stage (a 299 after the final dot): taken as a
// success all the same, as RFC 5321 4.2.1 reads any 2yz.
func unusualPositives(o *sendOptions, res *smtpload.TxResult) []string {
	var out []string
	add := func(stage, what string, r smtpload.Reply) {
		if smtpload.Unusual(stage, r.Code) {
			out = append(out, fmt.Sprintf("%s was answered %d: %s", what, r.Code, unusualMeaning(stage)))
		}
	}
	add(smtpload.StageMail, "MAIL FROM", res.Mail)
	for i, r := range res.Rcpts {
		add(smtpload.StageRcpt, "RCPT TO:<"+o.to[i]+">", r)
	}
	add(smtpload.StageDataEnd, "the final dot", res.DataEnd)
	return out
}

// unusualMeaning says what a 2yz other than the usual one at stage is
// taken for, and what RFC 5321 gives there.
func unusualMeaning(stage string) string {
	usual := "250"
	switch stage {
	case smtpload.StageRcpt:
		usual = "250, 251 or 252"
	case smtpload.StageQuit:
		usual = "221"
	}
	taken := "an acceptance"
	if stage == smtpload.StageRset || stage == smtpload.StageQuit {
		taken = "done"
	}
	return fmt.Sprintf("taken as %s: any 2yz is a positive completion (RFC 5321 4.2.1), though RFC 5321 4.3.2 gives %s there", taken, usual)
}

// misplacedWhy is the rule a positive reply of class (the code's first
// digit, '2' or '3') broke at stage: a 2xx to DATA, which asks for the
// message with 354; a 2xx in an AUTH exchange, which goes on with 334; a
// 3xx anywhere but DATA or AUTH.
func misplacedWhy(stage string, class byte) string {
	switch {
	case class == '2' && stage == smtpload.StageData:
		return "RFC 5321 4.1.1.4, 4.3.2: DATA is answered 354 to ask for the message, or refused with a 4xx or 5xx; with a 2xx the server never asked for it, so none was sent"
	case class == '2' && stage == smtpload.StageAuth:
		return "RFC 4954 4: an AUTH exchange goes on with 334 until the server ends it with 235 or a refusal"
	case class == '3' && stage == smtpload.StageData:
		return "RFC 5321 4.3.2: DATA is answered 354 to ask for the message, or refused with a 4xx or 5xx"
	}
	return "RFC 5321 4.2.1, 4.3.2: a 3xx answers only DATA or an AUTH exchange"
}

// fromField is the address of the built message's From field: --from, or
// for the null sender MAILER-DAEMON at the EHLO name, as RFC 5322 3.6.2
// wants a mailbox there and "<>" is none.
func fromField(o *sendOptions) string {
	if o.from != "" {
		return o.from
	}
	return "MAILER-DAEMON@" + heloName(o)
}

// heloName is the name send gives in EHLO: --helo, else this host's name.
func heloName(o *sendOptions) string {
	if o.helo != "" {
		return o.helo
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}
