package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/quotedprintable"
	"net"
	"os"
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
cannot be read.`

// sendOptions are the flags of "relaylab send".
type sendOptions struct {
	from, subject, body, bodyFile, dataFile, server, helo string
	authUser, authPass                                    string
	to, headers                                           multiFlag
	startTLS, implicitTLS, insecure, hideData             bool
	timeout                                               time.Duration
}

func runSend(ctx context.Context, e *env, args []string) error {
	var o sendOptions
	fs := newFlags(e, "send", sendSynopsis)
	fs.StringVar(&o.from, "from", "relaylab@localhost", "envelope sender and From address")
	fs.Var(&o.to, "to", "recipient (repeatable)")
	fs.StringVar(&o.subject, "subject", "relaylab test message", "Subject of the built message")
	fs.StringVar(&o.body, "body", "This is a test message sent by relaylab send.\n", "body text of the built message")
	fs.StringVar(&o.bodyFile, "body-file", "", "read the body from this file (- for standard input)")
	fs.StringVar(&o.dataFile, "data", "", "send this file as the whole RFC 5322 message, as is (- for standard input)")
	fs.Var(&o.headers, "header", `extra or replacing header field "Name: value" (repeatable)`)
	fs.StringVar(&o.server, "server", "127.0.0.1:2525", "SMTP server as host:port")
	fs.BoolVar(&o.startTLS, "starttls", false, "upgrade the connection with STARTTLS (RFC 3207)")
	fs.BoolVar(&o.implicitTLS, "tls", false, "use TLS from the first byte (implicit TLS, RFC 8314)")
	fs.BoolVar(&o.insecure, "insecure", false, "do not verify the server's certificate")
	fs.StringVar(&o.authUser, "auth-user", "", "authenticate as this user (AUTH PLAIN, or LOGIN)")
	fs.StringVar(&o.authPass, "auth-pass", "", "password for --auth-user")
	fs.StringVar(&o.helo, "helo", "", "name to send in EHLO (default: this host's name)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "time allowed for each exchange with the server")
	fs.BoolVar(&o.hideData, "hide-data", false, "do not print the message lines in the transcript")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; every option is a flag (--to ADDR)", fs.Arg(0))
	}
	if err := o.check(); err != nil {
		return err
	}
	msg, err := o.message(e, clock.Real{})
	if err != nil {
		return err
	}
	return sendMessage(ctx, e, &o, msg)
}

func (o *sendOptions) check() error {
	switch {
	case len(o.to) == 0:
		return usageError("no recipient: give at least one --to ADDR")
	case o.startTLS && o.implicitTLS:
		return usageError("--starttls and --tls exclude each other: --tls is TLS from the start (port 465), --starttls upgrades a plain connection (ports 25, 587)")
	case o.dataFile != "" && (o.bodyFile != "" || len(o.headers) > 0):
		return usageError("--data sends a whole message as is; it cannot be combined with --body-file or --header")
	case o.authPass != "" && o.authUser == "":
		return usageError("--auth-pass needs --auth-user")
	}
	if err := flagAtLeast("timeout", o.timeout, 1, "a positive time, such as 30s"); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(o.server); err != nil {
		return usageError("--server %q: %v; give host:port, such as 127.0.0.1:2525", o.server, err)
	}
	if err := checkAddresses("from", o.from); err != nil {
		return err
	}
	if err := checkAddresses("to", o.to...); err != nil {
		return err
	}
	for _, h := range o.headers {
		name, _, ok := strings.Cut(h, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") || strings.ContainsAny(h, "\r\n") {
			return usageError(`--header %q: write it as "Name: value" on one line`, h)
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
	if o.bodyFile != "" {
		b, err := readInput(e, o.bodyFile)
		if err != nil {
			return nil, inputError("body-file", o.bodyFile, err)
		}
		body = string(b)
	}
	return smtpload.WireFormat(buildMessage(o, body, clk.Now())), nil
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
// a --header replaces a default field of the same name.
func buildMessage(o *sendOptions, body string, now time.Time) []byte {
	ascii := isASCII(body)
	defaults := []string{
		"Date: " + now.Format("Mon, 02 Jan 2006 15:04:05 -0700"), // RFC 5322 3.3
		"From: <" + o.from + ">",
		"To: " + angleList(o.to),
		"Subject: " + mime.QEncoding.Encode("utf-8", o.subject), // RFC 2047
		"Message-ID: " + newMessageID(o.from),
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"Content-Transfer-Encoding: 7bit",
		"X-Mailer: relaylab send",
	}
	if ascii {
		defaults[6] = "Content-Type: text/plain; charset=us-ascii"
	} else {
		defaults[7] = "Content-Transfer-Encoding: quoted-printable"
		var b strings.Builder
		w := quotedprintable.NewWriter(&b)
		io.WriteString(w, body)
		w.Close()
		body = b.String()
	}
	var b strings.Builder
	for _, d := range defaults {
		name, _, _ := strings.Cut(d, ":")
		if !overridden(o.headers, name) {
			b.WriteString(d + "\r\n")
		}
	}
	for _, h := range o.headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return []byte(b.String())
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
	helo := o.helo
	if helo == "" {
		helo, _ = os.Hostname()
	}
	var c *smtpload.Client
	inData := false
	trace := func(dir, line string) {
		enc := c != nil && c.TLS()
		line = textsafe.Escape(line) // the server's text: shown, not obeyed by the terminal
		if inData && o.hideData && dir == smtpload.Sent && line != "." {
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
	fmt.Fprintf(e.stdout, "=== Trying %s...\n", o.server)
	var err error
	c, err = smtpload.Dial(ctx, o.server, o.implicitTLS, smtpload.Options{Helo: helo, TLS: tlsCfg, Timeout: o.timeout, Trace: trace})
	if err != nil {
		return &exitError{code: 1, err: explainConnErr(o.server, "connecting", err)}
	}
	defer c.Close()
	fmt.Fprintf(e.stdout, "=== Connected to %s.\n", o.server)
	if o.implicitTLS {
		printTLS(e, c)
	}
	if _, err := c.Greeting(); err != nil {
		return sendFailed(o, err)
	}
	if _, err := c.Hello(); err != nil {
		return sendFailed(o, err)
	}
	if o.startTLS {
		if err := c.StartTLS(); err != nil {
			return sendFailed(o, err)
		}
		printTLS(e, c)
	}
	if o.authUser != "" {
		if err := c.Auth(o.authUser, o.authPass); err != nil {
			return sendFailed(o, err)
		}
	}
	tx := &smtpload.Transaction{From: o.from, To: o.to, Parts: [][]byte{msg}}
	res, err := c.Send(tx, false)
	if err != nil {
		return sendFailed(o, err)
	}
	if err := c.Quit(); err != nil {
		fmt.Fprintf(e.stdout, "*** QUIT: %v\n", err)
	}
	return sendOutcome(e, o, &res)
}

func printTLS(e *env, c *smtpload.Client) {
	if tc, ok := c.Conn().(*tls.Conn); ok {
		st := tc.ConnectionState()
		fmt.Fprintf(e.stdout, "=== TLS started with cipher %s (%s)\n", tls.CipherSuiteName(st.CipherSuite), tls.VersionName(st.Version))
	}
}

// sendOutcome turns the transaction's replies into the command's result.
func sendOutcome(e *env, o *sendOptions, res *smtpload.TxResult) error {
	var refused []string
	worst := 0
	note := func(stage string, to string, r smtpload.Reply) {
		what := (&smtpload.ReplyError{Stage: stage, Reply: r}).Error()
		if to != "" {
			what = fmt.Sprintf("<%s>: %s", to, what)
		}
		refused = append(refused, what+explainRefusal(stage, r))
		worst = max(worst, r.Code)
	}
	if res.Mail.Code != 250 {
		note(smtpload.StageMail, "", res.Mail)
	}
	for i, r := range res.Rcpts {
		if r.Code != 250 && r.Code != 251 {
			note(smtpload.StageRcpt, o.to[i], r)
		}
	}
	if res.Data.Code != 0 && res.Data.Code != 354 {
		note(smtpload.StageData, "", res.Data)
	}
	if res.DataEnd.Code != 0 && res.DataEnd.Code != 250 {
		note(smtpload.StageDataEnd, "", res.DataEnd)
	}
	if len(refused) == 0 {
		fmt.Fprintf(e.stdout, "=== Message accepted for %d recipient(s): %s\n", res.Accepted, res.DataEnd)
		return nil
	}
	code := exitPermFail
	if worst < 500 {
		code = exitTempFail
	}
	summary := "message not sent"
	if res.OK() {
		summary = fmt.Sprintf("message accepted for %d of %d recipients", res.Accepted, len(o.to))
	}
	return &exitError{code: code, err: fmt.Errorf("%s:\n  %s", summary, strings.Join(refused, "\n  "))}
}

// explainRefusal is what a 4xx or 5xx reply at stage means and what to
// do about it, as the relay's built-in classification reads it: its
// category, its reason and its advice, on lines of their own under the
// reply; "" when it has nothing to say.
func explainRefusal(stage string, r smtpload.Reply) string {
	if r.Code < 400 || r.Code > 599 {
		return ""
	}
	c, err := builtinClassifier()
	if err != nil {
		return ""
	}
	v := c.Classify(relay.Reply{Stage: relayStage(stage), Code: r.Code, Enhanced: r.Enhanced, Text: r.Text()})
	if v.Category == "" && v.Reason == "" {
		return ""
	}
	out := "\n    category " + v.Category
	if v.Reason != "" {
		out += ": " + v.Reason
	}
	if v.Advice != "" {
		out += "\n    what to do: " + v.Advice
	}
	return out
}

// sendFailed reports an error before the mail transaction.
func sendFailed(o *sendOptions, err error) error {
	var re *smtpload.ReplyError
	if errors.As(err, &re) {
		code := exitPermFail
		if re.Temporary() {
			code = exitTempFail
		}
		// The reply shows its enhanced status code already.
		return &exitError{code: code, err: errors.New(re.Error() + explainRefusal(re.Stage, re.Reply))}
	}
	return &exitError{code: 1, err: explainConnErr(o.server, "talking to", err)}
}

// explainConnErr adds what to do to the common failures.
func explainConnErr(server, doing string, err error) error {
	hint := ""
	switch smtpload.ErrorKind(err) {
	case "refused":
		hint = "; is a server listening there? (relaylab sink listens on 127.0.0.1:2525 by default)"
	case "timeout":
		hint = "; the server did not answer in time (raise --timeout?)"
	case "tls":
		var ce *tls.CertificateVerificationError
		if errors.As(err, &ce) {
			hint = "; add --insecure to accept a test server's self-signed certificate"
		} else {
			hint = "; does the server speak TLS on this port? (--tls is for port 465, --starttls for 25/587)"
		}
	case "protocol":
		hint = "; is this an SMTP server?"
	}
	return fmt.Errorf("%s %s: %w%s", doing, server, err, hint)
}
