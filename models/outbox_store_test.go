package models

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openOutboxStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustEnqueue(t *testing.T, s *Store, chatID int64, text, key string) {
	t.Helper()
	queued, err := s.Enqueue(context.Background(), chatID, []string{text}, "HTML", key)
	if err != nil || !queued {
		t.Fatalf("Enqueue(%d, %q) = %v, %v", chatID, text, queued, err)
	}
}

func allOutbox(t *testing.T, s *Store) []OutboxMessage {
	t.Helper()
	var rows []OutboxMessage
	if err := s.DB().Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func texts(msgs []OutboxMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = fmt.Sprintf("%d:%s", m.ChatID, m.Text)
	}
	return out
}

func TestEnqueueWithDedupKeyIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := openOutboxStore(t)

	steps := []struct {
		chatID int64
		text   string
		key    string
		queued bool
	}{
		{1, "stopped web-1", "stop:web-1:2025-06", true},
		{1, "stopped web-1 (again)", "stop:web-1:2025-06", false}, // a retried producer
		{2, "stopped web-1", "stop:web-1:2025-06", true},          // the same key in another chat
		{1, "no key", "", true},
		{1, "no key", "", true}, // without a key every call queues
	}
	for i, st := range steps {
		queued, err := s.Enqueue(ctx, st.chatID, []string{st.text}, "HTML", st.key)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if queued != st.queued {
			t.Errorf("step %d: queued = %v, want %v", i, queued, st.queued)
		}
	}
	got := texts(allOutbox(t, s))
	want := []string{"1:stopped web-1", "2:stopped web-1", "1:no key", "1:no key"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("outbox = %q, want %q", got, want)
	}

	// Still idempotent once the message went out.
	rows := allOutbox(t, s)
	if err := s.MarkSent(ctx, rows[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if queued, err := s.Enqueue(ctx, 1, []string{"stopped web-1"}, "HTML", "stop:web-1:2025-06"); err != nil || queued {
		t.Errorf("Enqueue after sent = %v, %v; want false, nil", queued, err)
	}
	if n, _ := s.PendingCount(ctx); n != 3 {
		t.Errorf("PendingCount = %d, want 3", n)
	}
}

func TestEnqueueAllIsOneTransactionWithPerChatDedup(t *testing.T) {
	ctx := context.Background()
	s := openOutboxStore(t)
	n, err := s.EnqueueAll(ctx, []int64{10, 20, 30}, []string{"<b>daily</b>"}, "HTML", "daily:2025-06-01")
	if err != nil || n != 3 {
		t.Fatalf("EnqueueAll = %d, %v; want 3", n, err)
	}
	n, err = s.EnqueueAll(ctx, []int64{10, 20, 30, 40}, []string{"<b>daily</b>"}, "HTML", "daily:2025-06-01")
	if err != nil || n != 1 {
		t.Fatalf("EnqueueAll again with a new chat = %d, %v; want 1", n, err)
	}
	got := texts(allOutbox(t, s))
	want := []string{"10:<b>daily</b>", "20:<b>daily</b>", "30:<b>daily</b>", "40:<b>daily</b>"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("outbox = %q, want %q", got, want)
	}

	// A failure part-way leaves nothing behind.
	if err := s.DB().Exec(`CREATE TRIGGER refuse_chat_60 BEFORE INSERT ON outbox WHEN NEW.chat_id = 60
		BEGIN SELECT RAISE(ABORT, 'refused'); END`).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnqueueAll(ctx, []int64{50, 60}, []string{"x"}, "", ""); err == nil {
		t.Fatal("EnqueueAll with a failing insert: no error")
	}
	if rows := allOutbox(t, s); len(rows) != 4 {
		t.Errorf("after a failed broadcast the outbox has %d rows, want 4", len(rows))
	}
}

func TestEnqueueQueuesPartsAsConsecutiveRows(t *testing.T) {
	ctx := context.Background()
	s := openOutboxStore(t)

	// A long report, cut by its sender into parts (tghtml.Split), then a message for
	// another chat.
	report := []string{"<b>Daily report</b>\n<blockquote>1</blockquote>", "<blockquote>2</blockquote>", "<blockquote>3</blockquote>", "<blockquote>4</blockquote>\n<i>end</i>"}
	if queued, err := s.Enqueue(ctx, 7, report, "HTML", "report:2025-06-01"); err != nil || !queued {
		t.Fatalf("Enqueue = %v, %v", queued, err)
	}
	mustEnqueue(t, s, 8, "other chat", "")
	rows := allOutbox(t, s)
	parts := rows[:len(rows)-1]
	if len(parts) != len(report) {
		t.Fatalf("%d parts, want %d", len(parts), len(report))
	}
	for i, p := range parts {
		if p.Text != report[i] {
			t.Errorf("part %d = %q, want %q", i, p.Text, report[i])
		}
		if p.ChatID != 7 || (i > 0 && p.ID != parts[i-1].ID+1) {
			t.Errorf("part %d: chat %d id %d: parts must be consecutive rows of chat 7", i, p.ChatID, p.ID)
		}
	}

	// Re-enqueueing the same report adds none of its parts.
	if queued, err := s.Enqueue(ctx, 7, report, "HTML", "report:2025-06-01"); err != nil || queued {
		t.Errorf("second Enqueue = %v, %v", queued, err)
	}
	if got := len(allOutbox(t, s)); got != len(rows) {
		t.Errorf("rows after second Enqueue = %d, want %d", got, len(rows))
	}
	if _, err := s.Enqueue(ctx, 7, nil, "HTML", ""); err == nil {
		t.Error("Enqueue of no parts: no error")
	}
}

func TestDueMessagesKeepPerChatOrder(t *testing.T) {
	ctx := context.Background()
	s := openOutboxStore(t)
	for _, m := range []struct {
		chat int64
		text string
	}{{1, "a1"}, {1, "a2"}, {2, "b1"}, {1, "a3"}, {2, "b2"}, {3, "c1"}} {
		mustEnqueue(t, s, m.chat, m.text, "")
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	due := func(at time.Time, limit int) string {
		t.Helper()
		msgs, err := s.DueMessages(ctx, at, limit)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(texts(msgs), " ")
	}
	idOf := map[string]uint{}
	for _, m := range allOutbox(t, s) {
		idOf[m.Text] = m.ID
	}

	// Heads first, then seconds, each chat in its own order.
	if got, want := due(now, 100), "1:a1 2:b1 3:c1 1:a2 2:b2 1:a3"; got != want {
		t.Errorf("due = %q, want %q", got, want)
	}
	if got, want := due(now, 2), "1:a1 2:b1"; got != want {
		t.Errorf("due with limit 2 = %q, want %q", got, want)
	}

	// Chat 1's head waits: nothing of chat 1 is due, other chats go on.
	if err := s.MarkRetry(ctx, idOf["a1"], now.Add(time.Minute), errors.New("502")); err != nil {
		t.Fatal(err)
	}
	if got, want := due(now, 100), "2:b1 3:c1 2:b2"; got != want {
		t.Errorf("due while a1 waits = %q, want %q", got, want)
	}
	if next, ok, err := s.NextDue(ctx); err != nil || !ok || !next.IsZero() {
		t.Errorf("NextDue = %v, %v, %v; want zero time (b1 is due)", next, ok, err)
	}
	if got, want := due(now.Add(time.Minute), 100), "1:a1 2:b1 3:c1 1:a2 2:b2 1:a3"; got != want {
		t.Errorf("due when a1's retry comes = %q, want %q", got, want)
	}

	// Sent and dropped messages leave; the next becomes the head.
	for _, name := range []string{"b1", "b2", "c1"} {
		if err := s.MarkSent(ctx, idOf[name], now); err != nil {
			t.Fatal(err)
		}
	}
	if next, ok, err := s.NextDue(ctx); err != nil || !ok || !next.Equal(now.Add(time.Minute)) {
		t.Errorf("NextDue = %v, %v, %v; want a1's retry %v", next, ok, err, now.Add(time.Minute))
	}
	if err := s.MarkDropped(ctx, idOf["a1"], errors.New("400 Bad Request: nope")); err != nil {
		t.Fatal(err)
	}
	if got, want := due(now, 100), "1:a2 1:a3"; got != want {
		t.Errorf("due after a1 dropped = %q, want %q", got, want)
	}
	a1, err := s.message(ctx, idOf["a1"])
	if err != nil {
		t.Fatal(err)
	}
	if !a1.Dropped || a1.Attempts != 2 || a1.LastError != "400 Bad Request: nope" || a1.SentAt != nil {
		t.Errorf("a1 = %+v; want dropped after 2 attempts with the error kept", a1)
	}
	if n, _ := s.PendingCount(ctx); n != 2 {
		t.Errorf("PendingCount = %d, want 2", n)
	}
}

func TestMarkingUnknownMessageFails(t *testing.T) {
	s := openOutboxStore(t)
	if err := s.MarkSent(context.Background(), 42, time.Now()); err == nil {
		t.Error("MarkSent of a missing message: no error")
	}
}

func TestReplaceTextAndDropChatPending(t *testing.T) {
	ctx := context.Background()
	s := openOutboxStore(t)
	mustEnqueue(t, s, 1, "<b>x</b", "")
	mustEnqueue(t, s, 1, "second", "")
	mustEnqueue(t, s, 2, "other", "")
	rows := allOutbox(t, s)

	if err := s.ReplaceText(ctx, rows[0].ID, "x", "", errors.New("can't parse entities")); err != nil {
		t.Fatal(err)
	}
	m, _ := s.message(ctx, rows[0].ID)
	if m.Text != "x" || m.ParseMode != "" || m.Attempts != 1 || m.LastError != "can't parse entities" {
		t.Errorf("after ReplaceText: %+v", m)
	}

	n, err := s.DropChatPending(ctx, 1, "403 Forbidden: bot was blocked by the user")
	if err != nil || n != 2 {
		t.Fatalf("DropChatPending = %d, %v; want 2", n, err)
	}
	due, _ := s.DueMessages(ctx, time.Now(), 10)
	if got := strings.Join(texts(due), " "); got != "2:other" {
		t.Errorf("due after dropping chat 1 = %q", got)
	}
	m, _ = s.message(ctx, rows[1].ID)
	if !m.Dropped || !strings.Contains(m.LastError, "blocked") {
		t.Errorf("dropped message keeps no reason: %+v", m)
	}
}

func TestChatBlockingAndSubscriptions(t *testing.T) {
	ctx := context.Background()
	s := openOutboxStore(t)
	configured := []int64{1, 2, 3, 2, 4}

	if err := s.SetChatLang(ctx, 1, "en"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetChatBlocked(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetChatBlocked(ctx, 2, true); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().Create(&Chat{ChatID: 3, Lang: "zh"}).Update("subscribed", false).Error; err != nil {
		t.Fatal(err)
	}
	if lang, _ := s.ChatLang(ctx, 1); lang != "en" {
		t.Errorf("blocking lost the chat's language: %q", lang)
	}

	blocked, err := s.BlockedChats(ctx)
	if err != nil || fmt.Sprint(blocked) != "[1 2]" {
		t.Errorf("BlockedChats = %v, %v; want [1 2]", blocked, err)
	}
	subs, err := s.SubscribedChats(ctx, configured)
	if err != nil || fmt.Sprint(subs) != "[4]" {
		t.Errorf("SubscribedChats = %v, %v; want [4]", subs, err)
	}

	if err := s.SetChatBlocked(ctx, 2, false); err != nil {
		t.Fatal(err)
	}
	subs, _ = s.SubscribedChats(ctx, configured)
	if fmt.Sprint(subs) != "[2 4]" {
		t.Errorf("SubscribedChats after unblocking 2 = %v; want [2 4]", subs)
	}
}
