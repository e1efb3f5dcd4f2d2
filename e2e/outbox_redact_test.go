package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	tgbot "github.com/go-telegram/bot"

	"costbot/bot"
	"costbot/jobs"
	"costbot/models"
)

// A send that fails behind a proxy whose error page quotes the request path, token
// included (the library puts a body it cannot decode into its error), is stored in
// outbox.last_error redacted, as the logs are: for a token of the usual shape and for
// one a local Bot API server accepts.
func TestOutboxStoresSendErrorsRedacted(t *testing.T) {
	for _, token := range []string{"123456789:AAHk3-redactMeInTheOutbox_0123456789", "local-server-token-redact-me"} {
		t.Run(token, func(t *testing.T) {
			store, err := models.Open(filepath.Join(t.TempDir(), "outbox.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprintf(w, "<html><body>502 Bad Gateway: no upstream for POST %s</body></html>", r.URL.Path)
			}))
			defer proxy.Close()
			api, err := tgbot.New(token, tgbot.WithServerURL(proxy.URL), tgbot.WithSkipGetMe())
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
			if !strings.Contains(lastError, "Bad Gateway") {
				t.Fatalf("last_error = %q, want the proxy's answer", lastError)
			}
			if strings.Contains(lastError, token) || !strings.Contains(lastError, "<redacted>") {
				t.Errorf("last_error holds the token: %q", lastError)
			}
		})
	}
}
