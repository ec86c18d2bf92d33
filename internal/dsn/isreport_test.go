package dsn

import "testing"

func TestIsReport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ct   string
		want bool
	}{
		{`multipart/report; report-type=delivery-status; boundary="b"`, true},
		{`Multipart/Report; Report-Type="Global-Delivery-Status"; boundary=b`, true},
		{`multipart/report; report-type=disposition-notification; boundary=b`, false},
		{`multipart/report; boundary=b`, false},
		{`multipart/mixed; boundary=b`, false},
		{`text/plain`, false},
		{``, false},
	} {
		raw := []byte("From: <>\r\nContent-Type: " + tc.ct + "\r\n\r\nbody\r\n")
		if tc.ct == "" {
			raw = []byte("From: <>\r\n\r\nbody\r\n")
		}
		if got := IsReport(raw); got != tc.want {
			t.Errorf("IsReport(Content-Type: %s) = %v, want %v", tc.ct, got, tc.want)
		}
	}
}
