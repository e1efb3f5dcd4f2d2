package cli

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	costaws "costbot/aws"
	"costbot/internal/awstest"
	"costbot/jobs"
	"costbot/leader"
)

// testLease is a lease whose hold the test decides.
type testLease struct{ held atomic.Bool }

func (l *testLease) Lost() <-chan struct{} { return nil }
func (l *testLease) Release() error        { return nil }
func (l *testLease) Held() bool            { return l.held.Load() }

// exitRecorder stands in for os.Exit and notes when it was called.
type exitRecorder struct {
	mu    sync.Mutex
	codes []int
}

func (e *exitRecorder) exit(code int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.codes = append(e.codes, code)
}

func (e *exitRecorder) exited() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]int(nil), e.codes...)
}

func newTestReplica(state string) (*replicaWiring, *exitRecorder) {
	rec := &exitRecorder{}
	r := &replicaWiring{log: slog.New(slog.NewTextHandler(io.Discard, nil)), exit: rec.exit}
	if state != "follower" {
		l := &testLease{}
		l.held.Store(state == "held")
		var lease leader.Lease = l
		r.lease.Store(&lease)
	}
	return r, rec
}

// sentCount is a jobs.Sender that counts what reaches it and whether the replica had
// exited by then.
type sentCount struct {
	rec            *exitRecorder
	sent, afterEnd int
}

func (s *sentCount) Send(context.Context, int64, string, string) error {
	s.sent++
	if len(s.rec.exited()) > 0 {
		s.afterEnd++
	}
	return nil
}

// Before a push and before every AWS call a leader checks its lease by its own clock:
// while held it acts; once it no longer holds, it exits with status 1 before the push
// or the request leaves. A follower, which runs nothing that acts, is never fenced.
func TestReplicaFence(t *testing.T) {
	cases := []struct {
		state    string
		wantExit bool
	}{
		{"held", false},
		{"expired", true},
		{"follower", false},
	}
	for _, tc := range cases {
		t.Run(tc.state+"/push", func(t *testing.T) {
			r, rec := newTestReplica(tc.state)
			next := &sentCount{rec: rec}
			var s jobs.Sender = r.fenceSender(next)
			if err := s.Send(context.Background(), 1, "hello", "HTML"); err != nil {
				t.Fatal(err)
			}
			checkFenced(t, rec, tc.wantExit)
			// The stand-in exit returns, so the push goes on; it must come after the exit.
			wantAfter := 0
			if tc.wantExit {
				wantAfter = 1
			}
			if next.sent != 1 || next.afterEnd != wantAfter {
				t.Errorf("sent %d, %d of them after the exit; want 1, %d", next.sent, next.afterEnd, wantAfter)
			}
		})
		t.Run(tc.state+"/aws", func(t *testing.T) {
			r, rec := newTestReplica(tc.state)
			ls := awstest.StartLightsail(t)
			ls.AddUsedInstance("us-east-1", "web", time.Now(), 50)
			cfg := ls.Config("us-east-1")
			r.fenceAWS(&cfg)
			stopsAtExit := -1
			r.exit = func(code int) {
				stopsAtExit = len(ls.Calls("StopInstance"))
				rec.exit(code)
			}
			if err := costaws.StopLightsailInstance(context.Background(), cfg.Copy(), "web"); err != nil {
				t.Fatal(err)
			}
			checkFenced(t, rec, tc.wantExit)
			if tc.wantExit && stopsAtExit != 0 {
				t.Errorf("Lightsail had %d stops when the replica exited, want the exit first", stopsAtExit)
			}
			if n := len(ls.Calls("StopInstance")); n != 1 {
				t.Errorf("%d stops reached Lightsail, want 1", n)
			}
		})
	}
}

func checkFenced(t *testing.T, rec *exitRecorder, want bool) {
	t.Helper()
	got := rec.exited()
	switch {
	case want && (len(got) != 1 || got[0] != 1):
		t.Errorf("exits %v, want one with status 1", got)
	case !want && len(got) != 0:
		t.Errorf("exits %v, want none", got)
	}
}

// A follower tries for the lease every fifteenth of the lease, between 0.1 s and 1 s:
// the takeover comes at most that long after the lease expires.
func TestCampaignEvery(t *testing.T) {
	for _, tc := range []struct{ lease, want time.Duration }{
		{15 * time.Second, time.Second},
		{3 * time.Second, 200 * time.Millisecond},
		{time.Second, 100 * time.Millisecond},
		{time.Hour, time.Second},
	} {
		if got := campaignEvery(tc.lease); got != tc.want {
			t.Errorf("campaignEvery(%v) = %v, want %v", tc.lease, got, tc.want)
		}
	}
}
