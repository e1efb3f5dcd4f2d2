package models

import (
	"testing"
	"time"
)

// The overview reads AWS's bill only when billing is on, and its forecast then counts
// the billed days in AWS's figures and the estimate for the rest: the one forecast /cost
// and the dashboard show.
func TestCostOverviewCountsTheBilledDays(t *testing.T) {
	s := openTestStore(t)
	ctx := t.Context()
	at := time.Date(2026, 2, 10, 12, 30, 0, 0, time.UTC)
	day := func(n int) time.Time { return time.Date(2026, 2, n, 0, 0, 0, 0, time.UTC) }
	for h := day(1); !h.After(day(10).Add(12 * time.Hour)); h = h.Add(time.Hour) {
		w := HourWrite{Hour: h, CollectedAt: at, Records: []CostRecord{{Hour: h, Service: "ec2", Region: "us-east-1", ResourceID: "i-1", CostUSD: 0.05, PriceSource: SourceAPI}}}
		if _, err := s.WriteHour(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	// AWS billed $1.50 a day for the 1st and 2nd; costbot estimated 24 × 0.05 = $1.20.
	var lines []BilledCost
	for n := 1; n <= 2; n++ {
		lines = append(lines, BilledCost{Day: day(n), Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "BoxUsage:t3.micro", Record: RecordUsage, UnblendedUSD: 1.5, NetUSD: 1.5, Estimated: true})
	}
	if err := s.ReplaceBilled(ctx, "2026-02", day(1), day(3), lines, false, at); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		scope      BillingScope
		wantBilled bool
		extra      float64 // what the billed days add to the estimate's forecast
	}{
		{"billing on", BillingScope{On: true, Estimated: []string{"ec2"}}, true, 3.0 - 2.4},
		{"billing off", BillingScope{Estimated: []string{"ec2"}}, false, 0},
	} {
		v, err := s.CostOverview(ctx, at, time.UTC, "collect", tc.scope, nil)
		if err != nil {
			t.Fatal(err)
		}
		if HasBilled(v.Billed) != tc.wantBilled {
			t.Fatalf("%s: billed %+v", tc.name, v.Billed)
		}
		// 9 days and 13 hours at 0.05 so far, then 0.05 for each of the 11 × 24 + 11 hours left.
		estimate := 0.05*float64(9*24+13) + 0.05*float64(18*24+11)
		if !near(v.EstimateForecast(), estimate) {
			t.Errorf("%s: estimate's forecast %v, want %v", tc.name, v.EstimateForecast(), estimate)
		}
		if !near(v.Forecast(), estimate+tc.extra) {
			t.Errorf("%s: forecast %v, want %v", tc.name, v.Forecast(), estimate+tc.extra)
		}
		if got := ForecastCounted(v.EstimateForecast(), v.Billed); !near(got, v.Forecast()) {
			t.Errorf("%s: ForecastCounted %v differs from the overview's %v", tc.name, got, v.Forecast())
		}
	}
	if got := ForecastCounted(10, &BillComparison{}); got != 10 {
		t.Errorf("an empty bill changed the forecast: %v", got)
	}
}

func TestStateBesideCost(t *testing.T) {
	for _, tc := range []struct {
		row  ResourceRow
		want string
	}{
		{ResourceRow{Priced: true, State: "stopped"}, "stopped"},
		{ResourceRow{Priced: true, State: "running"}, ""},
		{ResourceRow{Priced: true, State: "available"}, ""},
		{ResourceRow{Priced: true, State: "stopped", HourlyUSD: 0.01}, ""},
		{ResourceRow{State: "stopped"}, ""}, // unpriced: it says "unpriced", not a state beside $0
	} {
		if got := tc.row.StateBesideCost(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.row, got, tc.want)
		}
	}
}
