package models

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
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
	queued, err := s.Enqueue(context.Background(), chatID, text, "HTML", key)
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
		queued, err := s.Enqueue(ctx, st.chatID, st.text, "HTML", st.key)
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
	if queued, err := s.Enqueue(ctx, 1, "stopped web-1", "HTML", "stop:web-1:2025-06"); err != nil || queued {
		t.Errorf("Enqueue after sent = %v, %v; want false, nil", queued, err)
	}
	if n, _ := s.PendingCount(ctx); n != 3 {
		t.Errorf("PendingCount = %d, want 3", n)
	}
}

func TestEnqueueAllIsOneTransactionWithPerChatDedup(t *testing.T) {
	ctx := context.Background()
	s := openOutboxStore(t)
	n, err := s.EnqueueAll(ctx, []int64{10, 20, 30}, "<b>daily</b>", "HTML", "daily:2025-06-01")
	if err != nil || n != 3 {
		t.Fatalf("EnqueueAll = %d, %v; want 3", n, err)
	}
	n, err = s.EnqueueAll(ctx, []int64{10, 20, 30, 40}, "<b>daily</b>", "HTML", "daily:2025-06-01")
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
	if _, err := s.EnqueueAll(ctx, []int64{50, 60}, "x", "", ""); err == nil {
		t.Fatal("EnqueueAll with a failing insert: no error")
	}
	if rows := allOutbox(t, s); len(rows) != 4 {
		t.Errorf("after a failed broadcast the outbox has %d rows, want 4", len(rows))
	}
}

// checkTelegramHTML reports what in s would not parse alone: unbalanced tags, a cut
// tag, a cut entity.
func checkTelegramHTML(s string) error {
	var stack []string
	tag := regexp.MustCompile(`^<(/?)([a-z-]+)[^<>]*>`)
	entity := regexp.MustCompile(`^&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);`)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			m := tag.FindStringSubmatch(s[i:])
			if m == nil {
				return fmt.Errorf("broken tag at %d: %.20q", i, s[i:])
			}
			if m[1] == "/" {
				if len(stack) == 0 || stack[len(stack)-1] != m[2] {
					return fmt.Errorf("</%s> at %d closes nothing open (open: %v)", m[2], i, stack)
				}
				stack = stack[:len(stack)-1]
			} else {
				stack = append(stack, m[2])
			}
			i += len(m[0]) - 1
		case '>':
			return fmt.Errorf("stray > at %d", i)
		case '&':
			if entity.FindString(s[i:]) == "" {
				return fmt.Errorf("broken entity at %d: %.12q", i, s[i:])
			}
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("tags left open: %v", stack)
	}
	return nil
}

func utf16Units(s string) int { return len(utf16.Encode([]rune(s))) }

func TestEnqueueSplitsLongMessagesOnLineBoundaries(t *testing.T) {
	ctx := context.Background()
	s := openOutboxStore(t)

	// A report of 300 lines inside <b>…</b>, each with entities, links and emoji:
	// about 3.5 times the limit.
	var b strings.Builder
	b.WriteString("<b>Daily report</b>\n<blockquote>")
	for i := range 300 {
		fmt.Fprintf(&b, "🖥 <a href=\"https://example.com/i/%d\">web-%03d</a> &lt;us-east-1&gt; <b>%d.%02d%%</b> &amp; $%d.00\n", i, i, i%100, i%7, i)
	}
	b.WriteString("</blockquote>\n<i>end</i>")
	text := b.String()
	if utf16Units(text) < 3*MaxMessageLen {
		t.Fatalf("test text too short: %d", utf16Units(text))
	}

	mustEnqueue(t, s, 7, text, "report:2025-06-01")
	mustEnqueue(t, s, 8, "other chat", "")
	rows := allOutbox(t, s)
	parts := rows[:len(rows)-1]
	if len(parts) < 4 {
		t.Fatalf("%d parts, want at least 4", len(parts))
	}
	var plain []string
	for i, p := range parts {
		if p.ChatID != 7 || (i > 0 && p.ID != parts[i-1].ID+1) {
			t.Errorf("part %d: chat %d id %d: parts must be consecutive rows of chat 7", i, p.ChatID, p.ID)
		}
		if n := utf16Units(p.Text); n > MaxMessageLen {
			t.Errorf("part %d has %d UTF-16 units", i, n)
		}
		if err := checkTelegramHTML(p.Text); err != nil {
			t.Errorf("part %d: %v", i, err)
		}
		// Cut at line boundaries: every report line is whole in one part.
		for _, line := range strings.Split(PlainText(p.Text), "\n") {
			if strings.HasPrefix(line, "🖥") && !strings.HasSuffix(line, ".00") {
				t.Errorf("part %d cuts a line: %q", i, line)
			}
		}
		plain = append(plain, PlainText(p.Text))
	}
	if got, want := strings.Fields(strings.Join(plain, "\n")), strings.Fields(PlainText(text)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the parts do not read as the original")
	}
	if !strings.HasPrefix(parts[1].Text, "<blockquote>") {
		t.Errorf("part 2 does not reopen the blockquote: %.40q", parts[1].Text)
	}

	// Re-enqueueing the same report adds none of its parts.
	if queued, err := s.Enqueue(ctx, 7, text, "HTML", "report:2025-06-01"); err != nil || queued {
		t.Errorf("second Enqueue = %v, %v", queued, err)
	}
	if got := len(allOutbox(t, s)); got != len(rows) {
		t.Errorf("rows after second Enqueue = %d, want %d", got, len(rows))
	}
}

func TestSplitMessage(t *testing.T) {
	long := func(line string, n int) string { return strings.TrimSuffix(strings.Repeat(line+"\n", n), "\n") }
	tests := []struct {
		name      string
		text      string
		parseMode string
		limit     int
		check     func(t *testing.T, parts []string)
	}{
		{
			name: "short text is one part", text: "<b>hi</b> &amp; bye", parseMode: "HTML", limit: 4096,
			check: wantParts("<b>hi</b> &amp; bye"),
		},
		{
			name: "cuts after whole lines", text: long("0123456789", 10), parseMode: "", limit: 35,
			check: wantParts("0123456789\n0123456789\n0123456789", "0123456789\n0123456789\n0123456789",
				"0123456789\n0123456789\n0123456789", "0123456789"),
		},
		{
			name: "a long line is cut at spaces", text: "alpha beta gamma delta epsilon zeta", parseMode: "", limit: 12,
			check: wantParts("alpha beta", "gamma delta", "epsilon zeta"),
		},
		{
			name: "a word longer than the limit is cut anywhere", text: "abcdefghij", parseMode: "", limit: 4,
			check: wantParts("abcd", "efgh", "ij"),
		},
		{
			name: "open tags are closed and reopened", text: "<b>one two</b> <i>three <u>four five</u></i>", parseMode: "HTML", limit: 20,
			check: func(t *testing.T, parts []string) {
				for _, p := range parts {
					if err := checkTelegramHTML(p); err != nil {
						t.Errorf("part %q: %v", p, err)
					}
					if utf16Units(p) > 20 {
						t.Errorf("part %q longer than 20", p)
					}
				}
				if got := strings.Join(strings.Fields(PlainText(strings.Join(parts, " "))), " "); got != "one two three four five" {
					t.Errorf("reads %q", got)
				}
			},
		},
		{
			name: "entities are never cut", text: "&lt;&lt;&lt;&lt;&lt;&lt;&gt;&gt;&gt;", parseMode: "HTML", limit: 10,
			check: wantParts("&lt;&lt;", "&lt;&lt;", "&lt;&lt;", "&gt;&gt;", "&gt;"),
		},
		{
			name: "plain text has no tags to keep", text: "<b>abcdef</b>", parseMode: "", limit: 5,
			check: wantParts("<b>ab", "cdef<", "/b>"),
		},
		{
			name: "emoji count as two UTF-16 units", text: "😀😀😀😀😀", parseMode: "", limit: 4,
			check: wantParts("😀😀", "😀😀", "😀"),
		},
		{
			name: "no empty trailing part", text: "<b>aaaa\n\n\n</b>", parseMode: "HTML", limit: 12,
			check: wantParts("<b>aaaa</b>"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, SplitMessage(tt.text, tt.parseMode, tt.limit))
		})
	}
}

func wantParts(want ...string) func(t *testing.T, parts []string) {
	return func(t *testing.T, parts []string) {
		t.Helper()
		if strings.Join(parts, "|") != strings.Join(want, "|") {
			t.Errorf("parts = %q, want %q", parts, want)
		}
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<b>web-1</b> stopped at <i>95.2%</i>", "web-1 stopped at 95.2%"},
		{`<a href="https://x.test/?a=1&amp;b=2">link</a> &lt;tag&gt; &amp; &#36;5 &quot;q&quot;`, `link <tag> & $5 "q"`},
		// What made Telegram refuse the HTML stays as text.
		{"instance <my-server> costs < $5 & more", "instance <my-server> costs < $5 & more"},
		{"<blockquote expandable>x</blockquote><tg-spoiler>y</tg-spoiler>", "xy"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
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
	a1, err := s.OutboxMessage(ctx, idOf["a1"])
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
	m, _ := s.OutboxMessage(ctx, rows[0].ID)
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
	m, _ = s.OutboxMessage(ctx, rows[1].ID)
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
