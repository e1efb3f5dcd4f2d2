package bot

import (
	"net/http"
	"strings"
	"testing"
)

// Another process polling the same token (a second costbot on another database) makes
// Telegram end this bot's poll with 409 Conflict: the log says so as an error naming the
// cause, not as a passing client error.
func TestAnotherPollerIsLoggedAsConflict(t *testing.T) {
	h := newHarness(t)
	h.start()
	resp, err := http.Post(h.srv.URL()+"/bot"+h.srv.Token()+"/getUpdates", "application/x-www-form-urlencoded", strings.NewReader("timeout=0"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h.logs.waitFor(t, "409 Conflict: another process polls this bot token")
	if n := h.srv.Conflicts(); n != 1 {
		t.Errorf("Conflicts() = %d, want the bot's poll ended once", n)
	}
}
