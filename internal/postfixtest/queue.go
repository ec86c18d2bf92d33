package postfixtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/smtp"
	"time"
)

// Message is one message in Postfix's queue, as postqueue -j shows it
// (postqueue(1), "JSON OBJECT FORMAT").
type Message struct {
	Queue      string      `json:"queue_name"` // incoming, active, deferred, hold, maildrop
	ID         string      `json:"queue_id"`
	Arrival    int64       `json:"arrival_time"` // Unix seconds
	Size       int64       `json:"message_size"`
	Sender     string      `json:"sender"`
	Recipients []Recipient `json:"recipients"`
}

// Recipient is one recipient of a queued message.
type Recipient struct {
	Address string `json:"address"`
	// DelayReason is why the last attempt failed, such as "host
	// 127.0.0.1[127.0.0.1] said: 451 4.7.1 ...".
	DelayReason string `json:"delay_reason,omitempty"`
}

// ArrivalTime is when the message entered the queue.
func (m Message) ArrivalTime() time.Time { return time.Unix(m.Arrival, 0) }

// parseQueue reads postqueue -j output: one JSON object per line.
func parseQueue(out []byte) ([]Message, error) {
	var msgs []Message
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var m Message
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, fmt.Errorf("postfixtest: postqueue -j line %d is not a queue entry: %v", n, err)
		}
		msgs = append(msgs, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("postfixtest: reading postqueue -j output: %v", err)
	}
	return msgs, nil
}

// Submit sends one message to the instance's smtpd, as a client on the
// same host would (127.0.0.1 is in mynetworks, so Postfix relays it).
func (inst *Instance) Submit(ctx context.Context, from string, to []string, msg []byte) error {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", inst.Addr)
	if err != nil {
		return fmt.Errorf("postfixtest: submitting to %s: %v", inst.Addr, err)
	}
	defer nc.Close()
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	c, err := smtp.NewClient(nc, "127.0.0.1")
	if err != nil {
		return fmt.Errorf("postfixtest: submitting to %s: greeting: %v", inst.Addr, err)
	}
	defer c.Close()
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("postfixtest: submitting to %s: %s: %v", inst.Addr, what, err)
		}
		return nil
	}
	if err := step("EHLO", c.Hello("client.postfixtest.test")); err != nil {
		return err
	}
	if err := step("MAIL FROM", c.Mail(from)); err != nil {
		return err
	}
	for _, r := range to {
		if err := step("RCPT TO "+r, c.Rcpt(r)); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err := step("DATA", err); err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return step("writing the message", err)
	}
	if err := step("end of data", w.Close()); err != nil {
		return err
	}
	return step("QUIT", c.Quit())
}
