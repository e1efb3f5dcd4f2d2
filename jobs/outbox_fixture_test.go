package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/bot/tghtml"
	"costbot/models"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// sendCall is one call of the fake sender.
type sendCall struct {
	chatID    int64
	text      string
	parseMode string
	at        time.Time
	err       error
}

// scriptedSender answers each chat's calls from a script (one error per call, nil for
// success; success once the script is used up), after an optional rule, and records
// every call.
type scriptedSender struct {
	clock clockwork.Clock

	mu     sync.Mutex
	script map[int64][]error
	rule   func(chatID int64, text, parseMode string) error
	calls  []sendCall
	onCall func(sendCall)
	seen   chan sendCall // every call, when not nil
}

func newScriptedSender(clock clockwork.Clock) *scriptedSender {
	return &scriptedSender{clock: clock, script: map[int64][]error{}}
}

func (s *scriptedSender) Send(ctx context.Context, chatID int64, text, parseMode string) error {
	s.mu.Lock()
	var err error
	if s.rule != nil {
		err = s.rule(chatID, text, parseMode)
	}
	if err == nil && len(s.script[chatID]) > 0 {
		err = s.script[chatID][0]
		s.script[chatID] = s.script[chatID][1:]
	}
	c := sendCall{chatID: chatID, text: text, parseMode: parseMode, at: s.clock.Now(), err: err}
	s.calls = append(s.calls, c)
	onCall, seen := s.onCall, s.seen
	s.mu.Unlock()
	if onCall != nil {
		onCall(c)
	}
	if seen != nil {
		seen <- c
	}
	return err
}

func (s *scriptedSender) allCalls() []sendCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sendCall(nil), s.calls...)
}

// delivered is what Telegram accepted, per chat, in order.
func (s *scriptedSender) delivered() map[int64][]string {
	out := map[int64][]string{}
	for _, c := range s.allCalls() {
		if c.err == nil {
			out[c.chatID] = append(out[c.chatID], c.text)
		}
	}
	return out
}

func (s *scriptedSender) callsTo(chatID int64) []sendCall {
	var out []sendCall
	for _, c := range s.allCalls() {
		if c.chatID == chatID {
			out = append(out, c)
		}
	}
	return out
}

func rateLimited(d time.Duration) error {
	return &models.SendError{Kind: models.RateLimited, RetryAfter: d, Err: errors.New("429 Too Many Requests")}
}

func sendErr(kind models.SendErrorKind, msg string) error {
	return &models.SendError{Kind: kind, Err: errors.New(msg)}
}

// syncBuffer is a log sink tests can read while the deliverer writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type outboxFixture struct {
	store  *models.Store
	clock  *clockwork.FakeClock
	sender *scriptedSender
	d      *Deliverer
	logs   *syncBuffer
	path   string
}

func newOutboxFixture(t *testing.T) *outboxFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.db")
	store, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clock := clockwork.NewFakeClockAt(t0)
	f := &outboxFixture{store: store, clock: clock, sender: newScriptedSender(clock), logs: &syncBuffer{}, path: path}
	f.d = f.newDeliverer(store)
	return f
}

func (f *outboxFixture) newDeliverer(store *models.Store) *Deliverer {
	return NewDeliverer(store, f.sender, DelivererOptions{
		Clock:       f.clock,
		Logger:      slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Jitter:      func(d time.Duration) time.Duration { return d },
		MaxAttempts: 3,
	})
}

func (f *outboxFixture) enqueue(t *testing.T, chatID int64, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if _, err := f.store.Enqueue(context.Background(), chatID, tghtml.Split(text, "HTML", tghtml.MaxMessageLen), "HTML", ""); err != nil {
			t.Fatal(err)
		}
	}
}

// pass runs one DeliverDue, moving the fake clock on in steps of the global interval
// whenever the deliverer waits for pacing, and returns its counts.
func (f *outboxFixture) pass(t *testing.T) (sent, failed int) {
	t.Helper()
	sent, failed, err := f.passCtx(context.Background())
	if err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
	return sent, failed
}

func (f *outboxFixture) passCtx(ctx context.Context) (sent, failed int, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		sent, failed, err = f.d.DeliverDue(ctx)
	}()
	driving, stop := context.WithCancel(context.Background())
	defer stop()
	advanced := make(chan struct{})
	go func() {
		defer close(advanced)
		for f.clock.BlockUntilContext(driving, 1) == nil {
			f.clock.Advance(f.d.opt.GlobalInterval)
		}
	}()
	<-done
	stop()
	<-advanced
	return sent, failed, err
}

// untilEmpty alternates passes with jumps to the next due time until nothing is pending.
func (f *outboxFixture) untilEmpty(t *testing.T, maxPasses int) {
	t.Helper()
	ctx := context.Background()
	for range maxPasses {
		f.pass(t)
		next, ok := f.d.nextWake(ctx)
		if !ok {
			if n := f.pending(t); n != 0 {
				t.Fatalf("%d pending, yet nothing to wake for", n)
			}
			return
		}
		if wait := f.clock.Until(next); wait > 0 {
			f.clock.Advance(wait)
		}
	}
	n, _ := f.store.PendingCount(ctx)
	t.Fatalf("%d messages still pending after %d passes", n, maxPasses)
}

func (f *outboxFixture) pending(t *testing.T) int64 {
	t.Helper()
	n, err := f.store.PendingCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func assertDelivered(t *testing.T, s *scriptedSender, want map[int64][]string) {
	t.Helper()
	got := s.delivered()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delivered = %v\nwant        %v", got, want)
	}
}
