package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"costbot/bot/tghtml"
	"costbot/models"
)

func TestDelivererHonoursRetryAfterForTheChat(t *testing.T) {
	f := newOutboxFixture(t)
	f.enqueue(t, 1, "a1", "a2", "a3")
	f.enqueue(t, 2, "b1", "b2")
	f.sender.script[1] = []error{rateLimited(3 * time.Second)}

	f.pass(t)
	// Chat 1 is held; chat 2 went on meanwhile.
	if calls := f.sender.callsTo(1); len(calls) != 1 || !calls[0].at.Equal(t0) {
		t.Fatalf("calls to chat 1 = %+v, want one, at t0", calls)
	}
	assertDelivered(t, f.sender, map[int64][]string{2: {"b1", "b2"}})

	f.clock.Advance(t0.Add(3*time.Second).Sub(f.clock.Now()) - time.Millisecond)
	f.pass(t)
	if calls := f.sender.callsTo(1); len(calls) != 1 {
		t.Fatalf("chat 1 called again before retry_after: %+v", calls)
	}

	f.clock.Advance(time.Millisecond)
	f.pass(t)
	calls := f.sender.callsTo(1)
	if len(calls) != 4 || !calls[1].at.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("calls to chat 1 = %+v; want the retry exactly at t0+3s, then the rest", calls)
	}
	assertDelivered(t, f.sender, map[int64][]string{1: {"a1", "a2", "a3"}, 2: {"b1", "b2"}})
	if n := f.pending(t); n != 0 {
		t.Errorf("pending = %d", n)
	}
}

func TestDelivererHoldsEveryChatOnAGlobal429(t *testing.T) {
	f := newOutboxFixture(t)
	f.enqueue(t, 1, "a1")
	f.enqueue(t, 2, "b1")
	f.enqueue(t, 3, "c1")
	f.sender.script[1] = []error{rateLimited(5 * time.Second)}
	f.sender.script[2] = []error{rateLimited(5 * time.Second)}

	f.pass(t)
	if calls := f.sender.callsTo(3); len(calls) != 0 {
		t.Fatalf("chat 3 was sent to during a global 429: %+v", calls)
	}
	// Two chats rate limited at once: everything waits for the later retry_after.
	holdEnd := f.sender.callsTo(2)[0].at.Add(5 * time.Second)
	f.untilEmpty(t, 10)
	for _, c := range f.sender.allCalls()[2:] {
		if c.at.Before(holdEnd) {
			t.Errorf("call %+v before the hold ended at %v", c, holdEnd)
		}
	}
	assertDelivered(t, f.sender, map[int64][]string{1: {"a1"}, 2: {"b1"}, 3: {"c1"}})
	if !strings.Contains(f.logs.String(), "holding every chat") {
		t.Errorf("no log line about the global hold:\n%s", f.logs)
	}
}

func TestDelivererRecoversFromARunOf502s(t *testing.T) {
	f := newOutboxFixture(t)
	bad := sendErr(models.Temporary, "502 Bad Gateway")
	f.enqueue(t, 1, "a1", "a2", "a3")
	f.enqueue(t, 2, "b1", "b2")
	f.enqueue(t, 3, "c1", "c2", "c3")
	f.sender.script[1] = []error{bad, bad, bad, bad}
	f.sender.script[2] = []error{nil, bad, bad}
	f.sender.script[3] = []error{bad}

	f.untilEmpty(t, 30)

	assertDelivered(t, f.sender, map[int64][]string{1: {"a1", "a2", "a3"}, 2: {"b1", "b2"}, 3: {"c1", "c2", "c3"}})
	// Backoff doubles from one second: a1 is tried again after 1s, 2s, 4s, 8s (plus at
	// most a few pacing slots, as other chats send at the same moments).
	calls := f.sender.callsTo(1)
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if gap := calls[i+1].at.Sub(calls[i].at); gap < want || gap > want+200*time.Millisecond {
			t.Errorf("attempt %d of a1 came %v after the one before, want %v", i+2, gap, want)
		}
	}
	var rows []models.OutboxMessage
	f.store.DB().Order("id").Find(&rows)
	for _, r := range rows {
		if r.SentAt == nil || r.Dropped {
			t.Errorf("row %d (%s) not marked sent: %+v", r.ID, r.Text, r)
		}
	}
	if rows[0].Attempts != 5 || !strings.Contains(rows[0].LastError, "502") {
		t.Errorf("a1 = attempts %d, last error %q; want 5 and the 502 kept", rows[0].Attempts, rows[0].LastError)
	}
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	d := NewDeliverer(nil, nil, DelivererOptions{Jitter: func(d time.Duration) time.Duration { return d }})
	var got []time.Duration
	for attempts := 1; attempts <= 11; attempts++ {
		got = append(got, d.backoff(attempts))
	}
	if want := "[1s 2s 4s 8s 16s 32s 1m4s 2m8s 4m16s 5m0s 5m0s]"; fmt.Sprint(got) != want {
		t.Errorf("backoff = %v, want %s", got, want)
	}

	jittered := NewDeliverer(nil, nil, DelivererOptions{})
	seen := map[time.Duration]bool{}
	for range 200 {
		b := jittered.backoff(3)
		if b < 2*time.Second || b > 4*time.Second {
			t.Fatalf("jittered backoff %v outside [2s, 4s]", b)
		}
		seen[b] = true
	}
	if len(seen) < 10 {
		t.Errorf("jitter produced only %d distinct delays", len(seen))
	}
}

func TestDelivererStopsAtABlockedChat(t *testing.T) {
	f := newOutboxFixture(t)
	ctx := context.Background()
	f.enqueue(t, 1, "a1", "a2", "a3")
	f.enqueue(t, 2, "b1")
	f.sender.script[1] = []error{sendErr(models.Blocked, "403 Forbidden: bot was blocked by the user")}

	f.pass(t)
	f.clock.Advance(time.Hour)
	f.pass(t)

	if calls := f.sender.callsTo(1); len(calls) != 1 {
		t.Errorf("calls to the blocked chat = %d, want 1", len(calls))
	}
	assertDelivered(t, f.sender, map[int64][]string{2: {"b1"}})
	if blocked, _ := f.store.BlockedChats(ctx); fmt.Sprint(blocked) != "[1]" {
		t.Errorf("BlockedChats = %v, want [1]", blocked)
	}
	if n := f.pending(t); n != 0 {
		t.Errorf("pending = %d; the blocked chat's messages should be dropped", n)
	}
	var dropped []models.OutboxMessage
	f.store.DB().Where("dropped = ?", true).Find(&dropped)
	if len(dropped) != 3 || !strings.Contains(dropped[2].LastError, "blocked") {
		t.Errorf("dropped = %+v; want a1..a3 with the reason", dropped)
	}
	if !strings.Contains(f.logs.String(), "marked blocked") || !strings.Contains(f.logs.String(), "chat_id=1") {
		t.Errorf("no log line about the blocked chat:\n%s", f.logs)
	}
	if subs, _ := f.store.SubscribedChats(ctx, []int64{1, 2}); fmt.Sprint(subs) != "[2]" {
		t.Errorf("SubscribedChats = %v; a blocked chat gets no broadcasts", subs)
	}
}

func TestDelivererResendsUnparseableAsPlainText(t *testing.T) {
	f := newOutboxFixture(t)
	f.enqueue(t, 1, "<b>web-1</b> is at <oops> 95% &amp; stopped", "next")
	f.sender.rule = func(_ int64, text, parseMode string) error {
		if parseMode == "HTML" && strings.Contains(text, "<oops>") {
			return sendErr(models.Unparseable, `400 Bad Request: can't parse entities: Unsupported start tag "oops"`)
		}
		return nil
	}

	f.untilEmpty(t, 5)

	calls := f.sender.callsTo(1)
	if len(calls) != 3 {
		t.Fatalf("calls = %+v, want 3", calls)
	}
	if calls[1].text != "web-1 is at <oops> 95% & stopped" || calls[1].parseMode != "" {
		t.Errorf("resent as %q (mode %q), want the plain text", calls[1].text, calls[1].parseMode)
	}
	if calls[2].text != "next" || calls[2].parseMode != "HTML" {
		t.Errorf("the next message went as %q (mode %q)", calls[2].text, calls[2].parseMode)
	}
}

func TestDelivererSendsATooLongMessageInParts(t *testing.T) {
	f := newOutboxFixture(t)
	var lines []string
	for i := range 12 {
		lines = append(lines, fmt.Sprintf("<b>line %02d</b> &amp; some more words", i))
	}
	text := strings.Join(lines, "\n")
	f.enqueue(t, 1, text, "after")
	// This Telegram takes at most 200 characters.
	f.sender.rule = func(_ int64, text, _ string) error {
		if utf8.RuneCountInString(text) > 200 {
			return sendErr(models.TooLong, "400 Bad Request: message is too long")
		}
		return nil
	}

	f.untilEmpty(t, 5)

	got := f.sender.delivered()[1]
	if len(got) < 3 || got[len(got)-1] != "after" {
		t.Fatalf("delivered = %q; want the long message in parts, then \"after\"", got)
	}
	parts := got[:len(got)-1]
	if strings.Join(strings.Fields(tghtml.PlainText(strings.Join(parts, "\n"))), " ") !=
		strings.Join(strings.Fields(tghtml.PlainText(text)), " ") {
		t.Errorf("the parts do not read as the message:\n%q", parts)
	}
	if n := f.pending(t); n != 0 {
		t.Errorf("pending = %d", n)
	}
}

func TestDelivererDropsPermanentFailuresAfterMaxAttempts(t *testing.T) {
	f := newOutboxFixture(t)
	refused := sendErr(models.Permanent, "400 Bad Request: wrong parameter")
	f.enqueue(t, 1, "a1", "a2")
	f.sender.script[1] = []error{refused, refused, refused}

	f.untilEmpty(t, 10)

	var a1 models.OutboxMessage
	f.store.DB().Where("text = ?", "a1").Take(&a1)
	if !a1.Dropped || a1.SentAt != nil || a1.Attempts != 3 || a1.LastError != refused.Error() {
		t.Errorf("a1 = %+v; want dropped after 3 attempts with the error kept", a1)
	}
	assertDelivered(t, f.sender, map[int64][]string{1: {"a2"}})
	if !strings.Contains(f.logs.String(), "dropped") {
		t.Errorf("no log line about the dropped message")
	}
}

func TestDelivererPacesOneChatAtOnePerSecond(t *testing.T) {
	f := newOutboxFixture(t)
	const n = 10
	for i := range n {
		f.enqueue(t, 1, fmt.Sprintf("m%d", i))
	}

	if sent, _ := f.pass(t); sent != n {
		t.Fatalf("sent %d in one pass, want %d", sent, n)
	}

	calls := f.sender.callsTo(1)
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].at.Sub(calls[i-1].at); gap < time.Second {
			t.Errorf("messages %d and %d to one chat %v apart", i-1, i, gap)
		}
	}
	if span := calls[n-1].at.Sub(calls[0].at); span < (n-1)*time.Second {
		t.Errorf("%d messages took %v, want at least %v", n, span, (n-1)*time.Second)
	}
}

func TestDelivererPacesAllChatsAt25PerSecond(t *testing.T) {
	f := newOutboxFixture(t)
	const chats = 80
	for c := range chats {
		f.enqueue(t, int64(100+c), "hello", "again")
	}

	f.pass(t)

	calls := f.sender.allCalls()
	if len(calls) != 2*chats {
		t.Fatalf("%d calls, want %d", len(calls), 2*chats)
	}
	// No second holds more than 25 sends.
	for i := 25; i < len(calls); i++ {
		if window := calls[i].at.Sub(calls[i-25].at); window < time.Second {
			t.Fatalf("26 sends within %v (calls %d..%d)", window, i-25, i)
		}
	}
	// Pacing, not something slower, set the pace: 160 sends at 25/s take 6.36s.
	if span := calls[len(calls)-1].at.Sub(calls[0].at); span > 7*time.Second {
		t.Errorf("160 sends took %v", span)
	}
	assertPerChatOrder(t, f.sender, []string{"hello", "again"})
}

func assertPerChatOrder(t *testing.T, s *scriptedSender, want []string) {
	t.Helper()
	for chat, got := range s.delivered() {
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("chat %d got %q, want %q", chat, got, want)
		}
	}
}

func TestANewDelivererAfterARestartSendsWhatWasPending(t *testing.T) {
	f := newOutboxFixture(t)
	f.enqueue(t, 1, "a1", "a2", "a3")
	f.enqueue(t, 2, "b1")
	f.sender.script[2] = []error{sendErr(models.Temporary, "dial tcp: connection refused")}

	// The first process sends a1, fails b1, and dies waiting to send a2.
	ctx, crash := context.WithCancel(context.Background())
	f.sender.onCall = func(c sendCall) {
		if c.text == "b1" {
			crash()
		}
	}
	if _, _, err := f.passCtx(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("DeliverDue after the crash = %v, want context.Canceled", err)
	}
	f.sender.onCall = nil
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}

	// A new process over the same file.
	store, err := models.Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	f.store = store
	f.d = f.newDeliverer(store)
	if n := f.pending(t); n != 3 {
		t.Fatalf("pending after restart = %d, want 3 (a2, a3, b1)", n)
	}
	f.untilEmpty(t, 5)

	assertDelivered(t, f.sender, map[int64][]string{1: {"a1", "a2", "a3"}, 2: {"b1"}})
}

func TestRunWakesOnNotifyAndAtRetryAfter(t *testing.T) {
	f := newOutboxFixture(t)
	f.sender.seen = make(chan sendCall, 10)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- f.d.Run(ctx) }()
	await := func() sendCall {
		t.Helper()
		select {
		case c := <-f.sender.seen:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("no send")
			return sendCall{}
		}
	}
	blockUntilWaiting := func() {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		defer wcancel()
		if err := f.clock.BlockUntilContext(wctx, 1); err != nil {
			t.Fatal("Run is not waiting")
		}
	}

	// Idle, Run waits for its tick; a push wakes it without the clock moving.
	blockUntilWaiting()
	if _, err := f.d.Push(ctx, 1, "hello", "HTML", "k1"); err != nil {
		t.Fatal(err)
	}
	if c := await(); c.text != "hello" || !c.at.Equal(t0) {
		t.Errorf("first send = %+v", c)
	}

	// A 429 with retry_after 3s: Run sleeps exactly that long.
	blockUntilWaiting()
	f.clock.Advance(time.Second)
	f.sender.mu.Lock()
	f.sender.script[2] = []error{rateLimited(3 * time.Second)}
	f.sender.mu.Unlock()
	n, err := f.d.Broadcast(ctx, []int64{2}, "alert", "HTML", "k2")
	if err != nil || n != 1 {
		t.Fatalf("Broadcast = %d, %v", n, err)
	}
	limitedAt := await().at
	blockUntilWaiting()
	f.clock.Advance(3*time.Second - time.Millisecond)
	blockUntilWaiting() // still asleep
	if calls := f.sender.callsTo(2); len(calls) != 1 {
		t.Fatalf("chat 2 called before retry_after: %+v", calls)
	}
	f.clock.Advance(time.Millisecond)
	if c := await(); c.text != "alert" || !c.at.Equal(limitedAt.Add(3*time.Second)) {
		t.Errorf("retry = %+v, want at %v", c, limitedAt.Add(3*time.Second))
	}

	cancel()
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	if n := f.pending(t); n != 0 {
		t.Errorf("pending = %d", n)
	}
}
