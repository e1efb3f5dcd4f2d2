package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	tgbot "github.com/go-telegram/bot"

	"costbot/bot"
	"costbot/jobs"
	"costbot/models"
)

// A send that fails with the library's transport error, whose text carries the request
// URL and so the token, is stored in outbox.last_error redacted, as the logs are: for a
// token of the usual shape and for one a local Bot API server accepts.
func TestOutboxStoresSendErrorsRedacted(t *testing.T) {
	for _, token := range []string{"123456789:AAHk3-redactMeInTheOutbox_0123456789", "local-server-token-redact-me"} {
		t.Run(token, func(t *testing.T) {
			store, err := models.Open(filepath.Join(t.TempDir(), "outbox.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			api, err := tgbot.New(token, tgbot.WithServerURL("http://127.0.0.1:1"), tgbot.WithSkipGetMe())
			if err != nil {
				t.Fatal(err)
			}
			deliverer := jobs.NewDeliverer(store, bot.NewSender(api, token), jobs.DelivererOptions{})
			ctx := context.Background()
			if _, err := deliverer.Push(ctx, 4242, "hello", "HTML", "k1"); err != nil {
				t.Fatal(err)
			}
			if _, failed, err := deliverer.DeliverDue(ctx); err != nil || failed != 1 {
				t.Fatalf("DeliverDue: %d failed, %v; want the one send to fail", failed, err)
			}
			var lastError string
			if err := store.DB().Raw("SELECT last_error FROM outbox").Scan(&lastError).Error; err != nil {
				t.Fatal(err)
			}
			if lastError == "" || !strings.Contains(lastError, "127.0.0.1:1") {
				t.Fatalf("last_error = %q, want the transport error", lastError)
			}
			if strings.Contains(lastError, token) || strings.Contains(lastError, "redact") {
				t.Errorf("last_error holds the token: %q", lastError)
			}
		})
	}
}
