package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"costbot/internal/tgtest"
	costmodels "costbot/models"
)

// A chat limited to account A sees, after a /collect, A's resources and burn rate alone
// and the scan errors about A, never B's ID or rate; its /status names A's errors and not
// B's, and shows no run's counts (they sum every account). The owner, who sees both,
// gets everything.
func TestCollectAndStatusShowOnlyTheChatsAccounts(t *testing.T) {
	h, _ := newAccountsHarness(t)
	ctx := context.Background()
	run, err := h.store.StartJobRun(ctx, "collect", utc("2025-03-10 12:00"))
	if err != nil {
		t.Fatal(err)
	}
	runErr := errors.New(acctB + " rds eu-west-1: AccessDenied; " + acctA + " ec2 us-east-1: Throttling")
	if err := h.store.FinishJobRun(ctx, run, utc("2025-03-10 12:01"), "resources=2 errors=2", runErr); err != nil {
		t.Fatal(err)
	}
	scan := &gatedCollector{started: make(chan struct{}, 10), gate: make(chan struct{}),
		summary: costmodels.CollectSummary{Hour: utc("2025-03-10 12:00"), Resources: 2, HourlyUSD: 0.40, Duration: time.Second,
			Errors: []string{acctB + " rds eu-west-1: AccessDenied", acctA + " ec2 us-east-1: Throttling"}}}
	h.bot.deps.Collector = scan
	h.start()
	en := setLang(t, h, groupID, "en")
	setLang(t, h, ownerID, "en")

	group := h.say(groupID, ownerID, "/collect")
	select {
	case <-scan.started:
	case <-time.After(wait):
		t.Fatalf("/collect in the group started no scan; it said %q", group.Params["text"])
	}
	close(scan.gate)
	scoped := costmodels.CollectSummary{Hour: scan.summary.Hour, Resources: 1, HourlyUSD: 0.10, Duration: time.Second,
		Errors: []string{acctA + " ec2 us-east-1: Throttling"}}
	want := renderCollect(en, scoped)
	h.srv.WaitCall(t, "editMessageText", func(c tgtest.Call) bool {
		return c.Int("message_id") == int64(group.MessageID()) && c.Params["text"] == want
	}, wait)
	for _, c := range h.srv.Calls("editMessageText") {
		if c.Params["chat_id"] == group.Params["chat_id"] {
			mustLack(t, "the group's /collect", c.Params["text"], acctB, formatRate(0.40), "AccessDenied")
		}
	}

	status := h.say(groupID, memberID, "/status").Params["text"]
	mustLack(t, "the group's /status", status, acctB, "AccessDenied", "resources=2")
	if !strings.Contains(status, "Throttling") {
		t.Errorf("the group's /status lacks its own account's error:\n%s", status)
	}
	owner := h.say(ownerID, ownerID, "/status").Params["text"]
	for _, w := range []string{acctB, "AccessDenied", "Throttling"} {
		if !strings.Contains(owner, w) {
			t.Errorf("the owner's /status lacks %q:\n%s", w, owner)
		}
	}
}

// A run that failed only in an account the chat does not see is said to have failed
// elsewhere, in the chat's language, without the other account's ID or error.
func TestStatusSaysARunFailedElsewhere(t *testing.T) {
	inBothLanguages(t, groupID, func(t *testing.T, h *harness, _ *recordingLightsail, tr translator) {
		ctx := context.Background()
		run, err := h.store.StartJobRun(ctx, "guard", utc("2025-03-10 12:00"))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.store.FinishJobRun(ctx, run, utc("2025-03-10 12:01"), "", errors.New(acctB+" us-east-1: AccessDenied")); err != nil {
			t.Fatal(err)
		}
		status := h.say(groupID, memberID, "/status").Params["text"]
		mustLack(t, "the group's /status", status, acctB, "AccessDenied")
		if want := tr.T(msgID{"status.error_elsewhere"}); !strings.Contains(status, want) {
			t.Errorf("the group's /status lacks %q:\n%s", want, status)
		}
	})
}
