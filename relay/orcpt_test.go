package relay

import (
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/dsn"
)

// TestORCPTType: an ORCPT of type utf-8 (RFC 6533 3) is passed on to the
// next hop as a utf-8 ORCPT with the same address, and the DSN's
// Original-Recipient keeps the type it came with; an rfc822 one stays
// rfc822.
func TestORCPTType(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, to string
		typ      smtp.DSNAddressType
		orcpt    string
		field    string // the DSN's Original-Recipient
	}{
		{"utf-8, non-ASCII", "zoë@y.test", smtp.DSNAddressTypeUTF8, "Zoë+Orig@y.test", "Original-Recipient: utf-8;Zoë+Orig@y.test"},
		{"utf-8, ASCII", "zoe@y.test", smtp.DSNAddressTypeUTF8, "Zoe.Orig@y.test", "Original-Recipient: utf-8;Zoe.Orig@y.test"},
		// RFC 6533 3: in an ASCII DSN, utf-8-addr-xtext, "+" and "=" escaped.
		{"utf-8, ASCII with + and =", "zed@y.test", smtp.DSNAddressTypeUTF8, "Zed+Orig=1@y.test", `Original-Recipient: utf-8;Zed\x{2B}Orig\x{3D}1@y.test`},
		{"rfc822", "bob@y.test", smtp.DSNAddressTypeRFC822, "Bob+Orig@y.test", "Original-Recipient: rfc822;Bob+Orig@y.test"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, func(f *fakeMTA) {
				f.utf8 = true
				f.onRcpt = func(to string) error {
					if to == tt.to {
						return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
					}
					return nil
				}
			})
			cfg := testConfig(mta.addr)
			cfg.Listen = "127.0.0.1:0"
			h := newHarness(t, cfg, Options{})
			submitSMTP(t, h.r.Addr().String(), "a@x.test", &smtp.MailOptions{UTF8: !isASCII(tt.to)}, tt.to, &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure},
				OriginalRecipientType: tt.typ, OriginalRecipient: tt.orcpt})
			h.firstDSN(t)
			mta.mu.Lock()
			got := mta.rcptOpts[tt.to]
			mta.mu.Unlock()
			if got.OriginalRecipientType != tt.typ || got.OriginalRecipient != tt.orcpt {
				t.Errorf("the next hop got ORCPT %s;%s, want %s;%s", got.OriginalRecipientType, got.OriginalRecipient, tt.typ, tt.orcpt)
			}
			var raw string
			for _, m := range mta.received() {
				if m.from == "" {
					raw = string(m.data)
				}
			}
			if !strings.Contains(raw, "\r\n"+tt.field+"\r\n") || strings.Contains(raw, "rfc822; utf-8") {
				t.Errorf("DSN lacks %q:\n%s", tt.field, raw)
			}
			p, err := dsn.Parse([]byte(raw))
			if err != nil || len(p.Report.Recipients) != 1 || p.Report.Recipients[0].OriginalRecipient != tt.orcpt {
				t.Errorf("parsed DSN %+v, %v; want original recipient %s", p.Report.Recipients, err, tt.orcpt)
			}
		})
	}
}
