package web

import (
	"context"
	"errors"
	"html"
	"net/http"
	"strings"
	"testing"
)

// The status page of a viewer limited to account A names A's errors and not B's, and
// shows no run's counts (they sum every account); the owner, who sees both, gets all.
func TestStatusPageShowsOnlyTheViewersAccounts(t *testing.T) {
	d := newAccountsDash(t)
	ctx := context.Background()
	run, err := d.store.StartJobRun(ctx, "collect", utc("2025-03-10 12:00"))
	if err != nil {
		t.Fatal(err)
	}
	runErr := errors.New(acctB + " rds eu-west-1: AccessDenied; " + acctA + " ec2 us-east-1: Throttling")
	if err := d.store.FinishJobRun(ctx, run, utc("2025-03-10 12:01"), "resources=2 errors=2", runErr); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"zh", "en"} {
		status, body := d.get(d.loggedInFrom(3003, -2002, lang), "/status")
		if status != http.StatusOK {
			t.Fatalf("%s: group's status page: %d", lang, status)
		}
		body = html.UnescapeString(body)
		for _, unwanted := range []string{acctB, "AccessDenied", "resources=2"} {
			if strings.Contains(body, unwanted) {
				t.Errorf("%s: the group's status page shows %q", lang, unwanted)
			}
		}
		if !strings.Contains(body, "Throttling") {
			t.Errorf("%s: the group's status page lacks its own account's error", lang)
		}
		_, owner := d.get(d.loggedInFrom(1001, 1001, lang), "/status")
		owner = html.UnescapeString(owner)
		for _, w := range []string{acctB, "AccessDenied", "Throttling", "resources=2"} {
			if !strings.Contains(owner, w) {
				t.Errorf("%s: the owner's status page lacks %q", lang, w)
			}
		}
	}
}
