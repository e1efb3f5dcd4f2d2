package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"costbot/figures"
	costmodels "costbot/models"
)

// The daily report of every account reaches the chats that see every account; the report
// of account A reaches the chat limited to A, with A's figures alone: every chat gets the
// report of exactly its accounts.
func TestDailyReportReachesEachChatForItsAccounts(t *testing.T) {
	h, _ := newAccountsHarness(t) // the group sees account A only
	ctx := context.Background()
	n := h.notifier(nil)
	r := figures.New(h.store, h.cfg)
	now := h.clock.Now()
	for _, scope := range []costmodels.AccountScope{nil, {acctA}} {
		d, err := r.Report(ctx, scope, now, "2025-03-10")
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Notify(ctx, costmodels.Event{Kind: costmodels.EventReportDaily, Key: "2025-03-10", Data: d}); err != nil {
			t.Fatal(err)
		}
	}
	due, err := h.store.DueMessages(ctx, now.Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	byChat := map[int64][]string{}
	for _, m := range due {
		byChat[m.ChatID] = append(byChat[m.ChatID], m.Text)
	}
	if len(byChat[ownerID]) != 1 || len(byChat[groupID]) != 1 {
		t.Fatalf("reports per chat: owner %d, group %d; want one each", len(byChat[ownerID]), len(byChat[groupID]))
	}
	// Today (since midnight in REPORT_TZ) A ran $0.10 an hour for three hours, B $0.30.
	group, owner := byChat[groupID][0], byChat[ownerID][0]
	mustLack(t, "the group's report", group, acctB, "web-b", formatUSD(1.2))
	for _, want := range []string{formatUSD(0.3), "web-a"} {
		if !strings.Contains(group, want) {
			t.Errorf("the group's report lacks %q:\n%s", want, group)
		}
	}
	for _, want := range []string{formatUSD(1.2), "web-a", "web-b"} {
		if !strings.Contains(owner, want) {
			t.Errorf("the owner's report lacks %q:\n%s", want, owner)
		}
	}
}
