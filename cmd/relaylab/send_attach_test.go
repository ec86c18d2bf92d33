package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestSendAttach: --attach makes a multipart/mixed message whose parts
// are the text and each file, base64, named in Content-Disposition (RFC
// 2231 for a name that is not ASCII), as a MIME reader reads them back.
func TestSendAttach(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Keep: true})
	dir := t.TempDir()
	bin := bytes.Repeat([]byte{0, 1, 2, 0xff, '\r', '\n', '.'}, 40)
	files := map[string][]byte{"résumé.pdf": bin, "notes.txt": []byte("line one\nline two\n")}
	args := []string{"send", "--server", srv.Addr, "--to", "b@y.test", "--helo", "client.test", "--timeout", "20s", "--body", "see attached\n", "--hide-data"}
	for _, name := range []string{"résumé.pdf", "notes.txt"} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, files[name], 0o644)
		args = append(args, "--attach", path)
	}
	code, out, errOut := runIn(t, context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q (%v), want multipart/mixed", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var got []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(p)
		if p.FileName() == "" {
			got = append(got, "text:"+string(raw))
			continue
		}
		data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
		if err != nil || !bytes.Equal(data, files[p.FileName()]) {
			t.Errorf("part %q: content differs from the file (%v)", p.FileName(), err)
		}
		got = append(got, p.FileName())
	}
	if strings.Join(got, "|") != "text:see attached|résumé.pdf|notes.txt" {
		t.Errorf("parts %q, want the text, résumé.pdf, notes.txt\n%s", got, msgs[0].Data)
	}
	if !strings.Contains(string(msgs[0].Data), "filename*=utf-8''r%C3%A9sum%C3%A9.pdf") {
		t.Errorf("the non-ASCII file name is not RFC 2231 encoded:\n%s", msgs[0].Data)
	}
	code, _, errOut = runIn(t, context.Background(), "send", "--to", "b@y.test", "--data", "x", "--attach", "y")
	if code != 2 || !strings.Contains(errOut, "--data and --attach exclude each other") {
		t.Errorf("--data with --attach: exit %d, stderr %q", code, errOut)
	}
}
