package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"costbot/bot"
	"costbot/config"
	"costbot/internal/tgtest"
	"costbot/jobs"
	"costbot/models"
)

// TestPushesSurviveTelegramOutage is issue 7's delivery promise through the real
// Telegram client: while the Bot API answers 429 (with retry_after) and then 502, every
// push raised meanwhile is delivered afterwards, in order per chat, exactly once, and
// nothing is sent to a chat before its retry_after has passed.
func TestPushesSurviveTelegramOutage(t *testing.T) {
	srv := tgtest.New(t)
	cfg, err := config.Parse(func(k string) (string, bool) {
		v, ok := map[string]string{
			"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.URL(),
			"TELEGRAM_CHAT_IDS": "101,202", "BOT_LANG": "en",
		}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	store, err := models.Open(filepath.Join(t.TempDir(), "cost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	api, err := bot.NewAPI(cfg)
	if err != nil {
		t.Fatal(err)
	}

	// The outage: 3 answers 429 retry_after=1, then 5 answers 502, then Telegram is back.
	var mu sync.Mutex
	failures, limitedAt := 0, map[string]time.Time{}
	srv.SetHandler(func(c tgtest.Call) (bool, int, string) {
		if c.Method != "sendMessage" {
			return false, 0, ""
		}
		mu.Lock()
		defer mu.Unlock()
		failures++
		switch {
		case failures <= 3:
			limitedAt[c.Params["chat_id"]] = time.Now()
			return true, 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`
		case failures <= 8:
			return true, 502, `<html><body>502 Bad Gateway</body></html>`
		}
		return false, 0, ""
	})

	deliverer := jobs.NewDeliverer(store, bot.NewSender(api), jobs.DelivererOptions{
		PerChatInterval: 5 * time.Millisecond, GlobalInterval: time.Millisecond,
		BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond, Tick: 50 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { deliverer.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	const perChat = 6
	for i := range perChat {
		for _, chat := range []int64{101, 202} {
			text := fmt.Sprintf("alert %d for chat %d", i, chat)
			if _, err := deliverer.Push(ctx, chat, text, "HTML", fmt.Sprintf("alert-%d", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Raising the same pushes again (a job retried) must not duplicate them.
	for i := range perChat {
		deliverer.Push(ctx, 101, fmt.Sprintf("alert %d for chat 101", i), "HTML", fmt.Sprintf("alert-%d", i))
	}

	delivered := func(chat string) []tgtest.Call {
		var out []tgtest.Call
		for _, c := range srv.Calls("sendMessage") {
			if c.Params["chat_id"] == chat && c.Status == 200 {
				out = append(out, c)
			}
		}
		return out
	}
	for _, chat := range []string{"101", "202"} {
		srv.WaitCall(t, "sendMessage", func(c tgtest.Call) bool {
			return c.Status == 200 && c.Params["chat_id"] == chat && strings.HasPrefix(c.Params["text"], fmt.Sprintf("alert %d ", perChat-1))
		}, 30*time.Second)
	}
	for _, chat := range []string{"101", "202"} {
		calls := delivered(chat)
		if len(calls) != perChat {
			t.Errorf("chat %s got %d messages, want %d exactly once each", chat, len(calls), perChat)
		}
		for i, c := range calls {
			if want := fmt.Sprintf("alert %d for chat %s", i, chat); c.Params["text"] != want {
				t.Errorf("chat %s message %d = %q, want %q (in order)", chat, i, c.Params["text"], want)
			}
		}
		mu.Lock()
		limited, ok := limitedAt[chat]
		mu.Unlock()
		if ok && len(calls) > 0 && calls[0].At.Before(limited.Add(time.Second-50*time.Millisecond)) {
			t.Errorf("chat %s sent at %v, before its retry_after (429 at %v)", chat, calls[0].At, limited)
		}
	}
	// Marking the last message sent follows Telegram's answer: give it a moment.
	deadline := time.Now().Add(5 * time.Second)
	for {
		pending, err := store.PendingCount(context.Background())
		if err != nil || pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still pending", pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
