package figures

import (
	"context"
	"slices"
	"testing"
	"time"

	"costbot/models"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

// seedTwoAccounts writes three hours (10:00-12:00 of 2026-03-10) of two accounts: A runs
// an EC2 instance at $0.10/h, B an RDS database at $0.30/h.
func seedTwoAccounts(t *testing.T, s *models.Store) (latest time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := s.SaveAccounts(ctx, []models.Account{{ID: acctA, Name: "prod"}, {ID: acctB}}); err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	for h := 0; h < 3; h++ {
		hour := first.Add(time.Duration(h) * time.Hour)
		a := record(hour, "ec2", "us-east-1", "i-a", 0.10)
		a.AccountID = acctA
		b := record(hour, "rds", "eu-west-1", "db-b", 0.30)
		b.AccountID = acctB
		_, err := s.WriteHour(ctx, models.HourWrite{Hour: hour, CollectedAt: hour.Add(5 * time.Minute), Records: []models.CostRecord{a, b},
			Resources: []models.ResourceRow{
				{Key: acctA + "/ec2/us-east-1/i-a", AccountID: acctA, Service: "ec2", Region: "us-east-1", ResourceID: "i-a", Name: "web", HourlyUSD: 0.10, Priced: true, PriceSource: models.SourceAPI, Active: true},
				{Key: acctB + "/rds/eu-west-1/db-b", AccountID: acctB, Service: "rds", Region: "eu-west-1", ResourceID: "db-b", Name: "db", HourlyUSD: 0.30, Priced: true, PriceSource: models.SourceAPI, Active: true, Waste: true},
			},
			Listed: []models.TaskScope{{Service: "ec2", Region: "us-east-1"}, {Service: "rds", Region: "eu-west-1"}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return first.Add(2 * time.Hour)
}

func TestOverviewPerAccount(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	latest := seedTwoAccounts(t, s)
	now := latest.Add(30 * time.Minute)
	r := newReader(t, s, nil)
	// March has 744 hours; after the 12:00 hour of the 10th, 515 are left.
	const left = 515.0
	for _, tc := range []struct {
		name                 string
		scope                Scope
		hourly, month, today float64
		services             []string
		accounts             []AccountCost // nil: no breakdown
		active               map[string]int
		trendBase            float64
	}{
		{name: "every account", scope: nil, hourly: 0.40, month: 1.20, today: 1.20, services: []string{"rds", "ec2"},
			accounts: []AccountCost{
				{ID: acctB, Label: acctB, MonthUSD: 0.90, HourlyUSD: 0.30, ForecastUSD: 0.90 + 0.30*left},
				{ID: acctA, Label: "prod (" + acctA + ")", MonthUSD: 0.30, HourlyUSD: 0.10, ForecastUSD: 0.30 + 0.10*left},
			},
			active: map[string]int{"ec2": 1, "rds": 1}, trendBase: 0.40},
		{name: "both named", scope: Scope{acctA, acctB}, hourly: 0.40, month: 1.20, today: 1.20, services: []string{"rds", "ec2"},
			accounts: []AccountCost{
				{ID: acctB, Label: acctB, MonthUSD: 0.90, HourlyUSD: 0.30, ForecastUSD: 0.90 + 0.30*left},
				{ID: acctA, Label: "prod (" + acctA + ")", MonthUSD: 0.30, HourlyUSD: 0.10, ForecastUSD: 0.30 + 0.10*left},
			},
			active: map[string]int{"ec2": 1, "rds": 1}, trendBase: 0.40},
		{name: "account A alone", scope: Scope{acctA}, hourly: 0.10, month: 0.30, today: 0.30, services: []string{"ec2"},
			active: map[string]int{"ec2": 1}, trendBase: 0.10},
		{name: "account B alone", scope: Scope{acctB}, hourly: 0.30, month: 0.90, today: 0.90, services: []string{"rds"},
			active: map[string]int{"rds": 1}, trendBase: 0.30},
		{name: "no account", scope: Scope{}, active: map[string]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := r.Overview(ctx, tc.scope, now)
			if err != nil {
				t.Fatal(err)
			}
			if money4(v.HourlyUSD) != money4(tc.hourly) || money4(v.MonthUSD) != money4(tc.month) || money4(v.TodayUSD) != money4(tc.today) {
				t.Errorf("hourly %v month %v today %v, want %v %v %v", v.HourlyUSD, v.MonthUSD, v.TodayUSD, tc.hourly, tc.month, tc.today)
			}
			var services []string
			for _, sc := range v.Services {
				services = append(services, sc.Service)
			}
			if !slices.Equal(services, tc.services) {
				t.Errorf("services %v, want %v", services, tc.services)
			}
			if len(v.Accounts) != len(tc.accounts) {
				t.Fatalf("accounts %+v, want %+v", v.Accounts, tc.accounts)
			}
			var sum float64
			for i, a := range v.Accounts {
				w := tc.accounts[i]
				if a.ID != w.ID || a.Label != w.Label || money4(a.MonthUSD) != money4(w.MonthUSD) ||
					money4(a.HourlyUSD) != money4(w.HourlyUSD) || money4(a.ForecastUSD) != money4(w.ForecastUSD) {
					t.Errorf("account %d = %+v, want %+v", i, a, w)
				}
				sum += a.MonthUSD
			}
			if len(v.Accounts) > 0 && money4(sum) != money4(v.MonthUSD) {
				t.Errorf("accounts sum to %v, the total is %v", sum, v.MonthUSD)
			}
			if len(v.Active) != len(tc.active) {
				t.Errorf("active %v, want %v", v.Active, tc.active)
			}
			for k, n := range tc.active {
				if v.Active[k] != n {
					t.Errorf("active %v, want %v", v.Active, tc.active)
				}
			}
			if tc.trendBase > 0 && (v.Trend.Basis != TrendAverage || money4(v.Trend.BaseUSD) != money4(tc.trendBase)) {
				t.Errorf("trend %+v, want the average %v", v.Trend, tc.trendBase)
			}
		})
	}
}

// The month bill's forecast of each scope is its total so far plus its own latest hour
// for every hour left.
func TestMonthBillForecastPerScope(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	latest := seedTwoAccounts(t, s)
	now := latest.Add(30 * time.Minute)
	r := newReader(t, s, nil)
	for _, tc := range []struct {
		name     string
		scope    Scope
		total    float64
		forecast float64
	}{
		{"every account", nil, 1.20, 1.20 + 0.40*515},
		{"account A", Scope{acctA}, 0.30, 0.30 + 0.10*515},
		{"account B", Scope{acctB}, 0.90, 0.90 + 0.30*515},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mb, err := r.Bill(ctx, tc.scope, "2026-03", now)
			if err != nil {
				t.Fatal(err)
			}
			if !mb.Current || money4(mb.Bill.TotalUSD) != money4(tc.total) || mb.Bill.Hours != 3 {
				t.Errorf("bill %+v, want the current one, total %v over 3 hours", mb, tc.total)
			}
			if money4(mb.Forecast) != money4(tc.forecast) {
				t.Errorf("forecast %v, want %v", mb.Forecast, tc.forecast)
			}
		})
	}
}

// The overview reads AWS's bill only when billing is on, and its forecast then counts
// the billed days in AWS's figures and the estimate for the rest: the one forecast /cost
// and the dashboard show.
func TestOverviewCountsTheBilledDays(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	at := time.Date(2026, 2, 10, 12, 30, 0, 0, time.UTC)
	day := func(n int) time.Time { return time.Date(2026, 2, n, 0, 0, 0, 0, time.UTC) }
	for h := day(1); !h.After(day(10).Add(12 * time.Hour)); h = h.Add(time.Hour) {
		w := models.HourWrite{Hour: h, CollectedAt: at, Records: []models.CostRecord{{Hour: h, Service: "ec2", Region: "us-east-1", ResourceID: "i-1", CostUSD: 0.05, PriceSource: models.SourceAPI}}}
		if _, err := s.WriteHour(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	// AWS billed $1.50 a day for the 1st and 2nd; costbot estimated 24 × 0.05 = $1.20.
	var lines []models.BilledCost
	for n := 1; n <= 2; n++ {
		lines = append(lines, models.BilledCost{Day: day(n), Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "BoxUsage:t3.micro", Record: models.RecordUsage, UnblendedUSD: 1.5, NetUSD: 1.5, Estimated: true})
	}
	if err := s.ReplaceBilled(ctx, "2026-02", day(1), day(3), lines, false, at); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		env        map[string]string
		wantBilled bool
		extra      float64 // what the billed days add to the estimate's forecast
	}{
		{"billing on", map[string]string{"COST_EXPLORER_INTERVAL": "12h", "COST_SERVICES": "ec2"}, true, 3.0 - 2.4},
		{"billing off", map[string]string{"COST_EXPLORER_INTERVAL": "off", "COST_SERVICES": "ec2"}, false, 0},
	} {
		v, err := newReader(t, s, tc.env).Overview(ctx, nil, at)
		if err != nil {
			t.Fatal(err)
		}
		if hasBilled := v.Billed != nil && !v.Billed.Empty(); hasBilled != tc.wantBilled {
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
	if got := ForecastCounted(10, &models.BillComparison{}); got != 10 {
		t.Errorf("an empty bill changed the forecast: %v", got)
	}
}
