package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

func openTest(t *testing.T) (*Store, *clock.Virtual) {
	t.Helper()
	vc := clock.NewVirtual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s, err := Open(context.Background(), Options{Path: filepath.Join(t.TempDir(), "t.db"), Clock: vc, Sync: SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, vc
}

func TestAppendAndRead(t *testing.T) {
	t.Parallel()
	s, vc := openTest(t)
	ctx := context.Background()
	e, err := s.Append(ctx, events.Event{Kind: events.RelayQueued, Message: "m1", Recipient: "a@x.test"}.WithPayload(map[string]int{"size": 10}))
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != 1 || !e.Time.Equal(vc.Now()) {
		t.Fatalf("appended %+v", e)
	}
	vc.Advance(time.Minute)
	if _, err := s.Append(ctx, events.Event{Kind: events.RelayDelivered, Message: "m1", Recipient: "a@x.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, events.Event{Kind: events.SinkMessage, Message: "m2"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    events.Filter
		want []int64
	}{
		{events.Filter{}, []int64{1, 2, 3}},
		{events.Filter{AfterID: 1}, []int64{2, 3}},
		{events.Filter{Kinds: []string{"relay."}}, []int64{1, 2}},
		{events.Filter{Kinds: []string{events.SinkMessage}}, []int64{3}},
		{events.Filter{Message: "m1", Limit: 1}, []int64{1}},
		{events.Filter{Recipient: "a@x.test", AfterID: 1}, []int64{2}},
	} {
		got, err := s.Events(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, e := range got {
			ids = append(ids, e.ID)
			if !tc.f.Match(e) {
				t.Errorf("%+v: Filter.Match rejects %+v that SQL returned", tc.f, e)
			}
		}
		if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
			t.Errorf("%+v: ids %v, want %v", tc.f, ids, tc.want)
		}
	}
	got, _ := s.Events(ctx, events.Filter{AfterID: 1, Limit: 1})
	if !got[0].Time.Equal(vc.Now()) || string(got[0].Payload) != "{}" {
		t.Errorf("event 2 = %+v", got[0])
	}
}

func TestGroupCommitIsolatesFailures(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := context.Background()
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Write(ctx, func(tx *Tx) error {
				if _, err := tx.Append(events.Event{Kind: "test.write", Target: fmt.Sprint(i)}); err != nil {
					return err
				}
				if i%3 == 0 {
					return boom
				}
				if i%7 == 0 {
					panic("write panics")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	want := 0
	for i, err := range errs {
		switch {
		case i%3 == 0:
			if !errors.Is(err, boom) {
				t.Errorf("write %d: err %v, want boom", i, err)
			}
		case i%7 == 0:
			if err == nil {
				t.Errorf("write %d: panic not reported", i)
			}
		default:
			want++
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	got, err := s.Events(ctx, events.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != want {
		t.Fatalf("%d events committed, want %d", len(got), want)
	}
	last, _ := s.Changes()
	if last != got[len(got)-1].ID {
		t.Fatalf("Changes last = %d, want %d", last, got[len(got)-1].ID)
	}
}

func TestChangesWakesFollower(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	last, ch := s.Changes()
	if last != 0 {
		t.Fatalf("last = %d on an empty log", last)
	}
	// A write without events does not wake followers.
	if err := s.Write(context.Background(), func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Fatal("woken by a write without events")
	default:
	}
	if _, err := s.Append(context.Background(), events.Event{Kind: "x"}); err != nil {
		t.Fatal(err)
	}
	<-ch
	if last, _ := s.Changes(); last != 1 {
		t.Fatalf("last = %d, want 1", last)
	}
}

func TestReopenKeepsDataAndMigrationsRunOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.db")
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, events.Event{Kind: "x"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Write(ctx, func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close = %v", err)
	}
	s, err = Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if last, _ := s.Changes(); last != 1 {
		t.Fatalf("after reopen last = %d, want 1", last)
	}
}

func TestOpenRejectsBadSync(t *testing.T) {
	t.Parallel()
	_, err := Open(context.Background(), Options{Path: filepath.Join(t.TempDir(), "x.db"), Sync: "sometimes"})
	if err == nil {
		t.Fatal("Open accepted sync=sometimes")
	}
}

func BenchmarkGroupCommit(b *testing.B) {
	s, err := Open(context.Background(), Options{Path: filepath.Join(b.TempDir(), "b.db"), Sync: SyncFull})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	payload := make([]byte, 2048)
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := s.Write(context.Background(), func(tx *Tx) error {
				if _, err := tx.Exec(`CREATE TABLE IF NOT EXISTS bench (b BLOB)`); err != nil {
					return err
				}
				if _, err := tx.Exec(`INSERT INTO bench (b) VALUES (?)`, payload); err != nil {
					return err
				}
				_, err := tx.Append(events.Event{Kind: "bench"})
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
