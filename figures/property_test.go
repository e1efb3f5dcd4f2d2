package figures_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"costbot/config"
	"costbot/figures"
	"costbot/internal/randhist"
	"costbot/models"
)

// near is equality to a thousandth of a cent: the store and the oracle add the same
// numbers in other orders.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-5 }

func propertyConfig(t *testing.T) *config.Config {
	t.Helper()
	vars := map[string]string{"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_CHAT_IDS": "1", "REPORT_TZ": "Asia/Shanghai", "COST_EXPLORER_INTERVAL": "12h"}
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestScreensAgreeForEveryScope fills stores with random histories (several accounts,
// unpriced resources, AWS's bill of a day, a closed and an open month) and, for every
// account alone, a pair and all of them, holds the overview, the month bills, the bills
// history, the chart series and the daily report against one oracle summed in Go.
func TestScreensAgreeForEveryScope(t *testing.T) {
	cfg := propertyConfig(t)
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 21))
		h := randhist.New(rng)
		store, err := models.Open(filepath.Join(t.TempDir(), "p.db"))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(t, store)
		r := figures.New(store, cfg)
		for _, scope := range h.Scopes(rng) {
			checkScope(t, r, h, scope, seed)
		}
		store.Close()
	}
}

func checkScope(t *testing.T, r *figures.Reader, h randhist.History, scope models.AccountScope, seed uint64) {
	t.Helper()
	ctx := context.Background()
	want := h.Oracle(scope)
	ov, err := r.Overview(ctx, scope, h.Now)
	if err != nil {
		t.Fatal(err)
	}
	bill, err := r.Bill(ctx, scope, h.Month(), h.Now)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := r.Bill(ctx, scope, h.Previous(), h.Now)
	if err != nil {
		t.Fatal(err)
	}
	report, err := r.Report(ctx, scope, h.Now, "day")
	if err != nil {
		t.Fatal(err)
	}
	bills, err := r.Bills(ctx, scope, h.Now, 24)
	if err != nil {
		t.Fatal(err)
	}
	months, err := r.MonthlySeries(ctx, scope, h.Now)
	if err != nil {
		t.Fatal(err)
	}
	fail := func(what string, got, want any) {
		t.Helper()
		t.Errorf("seed %d, scope %v: %s = %v, want %v", seed, scope, what, got, want)
	}
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"overview month", ov.MonthUSD, want.MonthUSD},
		{"overview hourly", ov.HourlyUSD, want.HourlyUSD},
		{"bill total", bill.Bill.TotalUSD, want.MonthUSD},
		{"closed bill total", prev.Bill.TotalUSD, want.PreviousUSD},
		{"report month", report.MonthUSD, want.MonthUSD},
		{"report forecast", report.ForecastUSD, ov.Forecast()},
		{"bill forecast", bill.Forecast, ov.Forecast()},
		{"chart's month", months.Total() - sumBefore(months, h), want.MonthUSD},
	} {
		if !near(c.got, c.want) {
			fail(c.what, c.got, c.want)
		}
	}
	if !prev.Bill.Closed {
		fail("previous month closed", prev.Bill.Closed, true)
	}
	if len(bills) != 2 || bills[0].Month != h.Month() || !near(bills[0].Bill.TotalUSD, want.MonthUSD) || !near(bills[1].Bill.TotalUSD, want.PreviousUSD) {
		t.Errorf("seed %d, scope %v: bills history %+v", seed, scope, bills)
	}
	if ov.UnpricedCount() != want.UnpricedCount() || bill.Unpriced != want.UnpricedCount() || report.Unpriced != want.UnpricedCount() {
		fail("unpriced (overview, bill, report)", []int{ov.UnpricedCount(), bill.Unpriced, report.Unpriced}, want.UnpricedCount())
	}
	for svc, usd := range want.Services {
		l, ok := bill.Line(svc)
		if !ok || !l.Priced || !near(l.USD, usd) {
			fail("bill line "+svc, l, usd)
		}
	}
	for _, svc := range want.UnpricedOnly {
		l, ok := bill.Line(svc)
		if !ok || l.Priced || l.Unpriced != want.Unpriced[svc] {
			fail("unpriced line "+svc, l, want.Unpriced[svc])
		}
	}
	for _, l := range bill.Lines {
		if _, priced := want.Services[l.Service]; !priced && l.Priced {
			fail("line of a service the viewer has no priced resource of", l, "unpriced or absent")
		}
	}
	// AWS's bill is every account's: a viewer of some accounts never sees it.
	if (ov.Billed != nil || bill.Billed != nil || report.Billed != nil) != (scope.All() && len(h.Billed) > 0) {
		fail("AWS's bill shown", []bool{ov.Billed != nil, bill.Billed != nil, report.Billed != nil}, scope.All() && len(h.Billed) > 0)
	}
	for _, a := range ov.Accounts {
		if !slices.Contains(want.Accounts, a.ID) {
			fail("account in the breakdown", a.ID, want.Accounts)
		}
	}
}

// sumBefore is the part of a monthly series before now's month.
func sumBefore(s figures.Series, h randhist.History) float64 {
	var t float64
	for j, b := range s.Buckets {
		if models.MonthOf(b) != h.Month() {
			for i := range s.Services {
				t += s.Values[i][j]
			}
		}
	}
	return t
}
