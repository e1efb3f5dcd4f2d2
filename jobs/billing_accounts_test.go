package jobs

import (
	"fmt"
	"testing"
	"time"

	"costbot/internal/awstest"
)

// accountDays is a by-account answer for every day of [from, to): each account billed
// its amount a day for EC2.
func accountDays(from, to time.Time, estimated bool, perDay map[string]float64) []awstest.CEDay {
	var out []awstest.CEDay
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		day := awstest.CEDay{Day: d.Format(time.DateOnly), Estimated: estimated}
		for account, usd := range perDay {
			day.Groups = append(day.Groups, awstest.CEGroup{Keys: []string{account, "Amazon Elastic Compute Cloud - Compute"},
				Unblended: fmt.Sprint(usd), Net: fmt.Sprint(usd)})
		}
		out = append(out, day)
	}
	return out
}

// With several accounts the billing job asks the management account once more per
// month, for the bill by linked account, and keeps each account's share; the request
// budget stays the one global budget.
func TestBillingSplitsTheBillByAccount(t *testing.T) {
	f := newBillingFixture(t, time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC), 20)
	f.biller.ce.ByAccount = true
	mar5 := mar1.AddDate(0, 0, 4)
	const dev, prod = "111111111111", "222222222222"
	f.moto.QueueCostAndUsage(t,
		awstest.CostAndUsage(ceDays(feb1, mar1, true, 3), ""), noCredits(feb1, mar1, true),
		awstest.CostAndUsage(accountDays(feb1, mar1, true, map[string]float64{dev: 1, prod: 2}), ""),
		awstest.CostAndUsage(ceDays(mar1, mar5, true, 3), ""), noCredits(mar1, mar5, true),
		awstest.CostAndUsage(accountDays(mar1, mar5, true, map[string]float64{dev: 0.5, prod: 2.5}), ""))
	if counts, err := f.run(t); err != nil {
		t.Fatalf("run: %v (%s)", err, counts)
	}
	for month, want := range map[string]map[string]float64{"2026-02": {dev: 28, prod: 56}, "2026-03": {dev: 2, prod: 10}} {
		totals, err := f.store.BilledAccountTotals(t.Context(), month)
		if err != nil {
			t.Fatal(err)
		}
		if len(totals) != 2 {
			t.Fatalf("%s: totals = %+v, want two accounts", month, totals)
		}
		for _, tot := range totals {
			approx(t, month+" "+tot.AccountID, tot.NetUSD, want[tot.AccountID])
			if !tot.Estimated {
				t.Errorf("%s %s: not estimated, though Cost Explorer said so", month, tot.AccountID)
			}
		}
		if got := f.requests(t, month); got != 3 {
			t.Errorf("%s: %d requests counted against the budget, want 3 (usage, credits, accounts)", month, got)
		}
	}
}
