package models

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

// seedTwoAccounts writes three hours (10:00-12:00 of 2026-03-10) of two accounts: A runs
// an EC2 instance at $0.10/h, B an RDS database at $0.30/h; B's database is unpriced in
// the resources table's counts only through its own row.
func seedTwoAccounts(t *testing.T, s *Store) (latest time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := s.SaveAccounts(ctx, []Account{{ID: acctA, Name: "prod"}, {ID: acctB}}); err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	for h := 0; h < 3; h++ {
		hour := first.Add(time.Duration(h) * time.Hour)
		a := csRecord(hour, "ec2", "us-east-1", "i-a", 0.10)
		a.AccountID = acctA
		b := csRecord(hour, "rds", "eu-west-1", "db-b", 0.30)
		b.AccountID = acctB
		_, err := s.WriteHour(ctx, HourWrite{Hour: hour, CollectedAt: hour.Add(5 * time.Minute), Records: []CostRecord{a, b},
			Resources: []ResourceRow{
				{Key: acctA + "/ec2/us-east-1/i-a", AccountID: acctA, Service: "ec2", Region: "us-east-1", ResourceID: "i-a", Name: "web", HourlyUSD: 0.10, Priced: true, PriceSource: SourceAPI, Active: true},
				{Key: acctB + "/rds/eu-west-1/db-b", AccountID: acctB, Service: "rds", Region: "eu-west-1", ResourceID: "db-b", Name: "db", HourlyUSD: 0.30, Priced: true, PriceSource: SourceAPI, Active: true, Waste: true},
			},
			Listed: []TaskScope{{Service: "ec2", Region: "us-east-1"}, {Service: "rds", Region: "eu-west-1"}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return first.Add(2 * time.Hour)
}

func money4(v float64) string { return fmt.Sprintf("%.4f", v) }

func TestCostOverviewPerAccount(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	latest := seedTwoAccounts(t, s)
	now := latest.Add(30 * time.Minute)
	// March has 744 hours; after the 12:00 hour of the 10th, 515 are left.
	const left = 515.0
	for _, tc := range []struct {
		name                 string
		scope                AccountScope
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
		{name: "both named", scope: AccountScope{acctA, acctB}, hourly: 0.40, month: 1.20, today: 1.20, services: []string{"rds", "ec2"},
			accounts: []AccountCost{
				{ID: acctB, Label: acctB, MonthUSD: 0.90, HourlyUSD: 0.30, ForecastUSD: 0.90 + 0.30*left},
				{ID: acctA, Label: "prod (" + acctA + ")", MonthUSD: 0.30, HourlyUSD: 0.10, ForecastUSD: 0.30 + 0.10*left},
			},
			active: map[string]int{"ec2": 1, "rds": 1}, trendBase: 0.40},
		{name: "account A alone", scope: AccountScope{acctA}, hourly: 0.10, month: 0.30, today: 0.30, services: []string{"ec2"},
			active: map[string]int{"ec2": 1}, trendBase: 0.10},
		{name: "account B alone", scope: AccountScope{acctB}, hourly: 0.30, month: 0.90, today: 0.90, services: []string{"rds"},
			active: map[string]int{"rds": 1}, trendBase: 0.30},
		{name: "no account", scope: AccountScope{}, active: map[string]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.CostOverview(ctx, now, time.UTC, "collect", BillingScope{}, tc.scope)
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

func TestScopedBillsAndResources(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	latest := seedTwoAccounts(t, s)
	now := latest.Add(30 * time.Minute)
	for _, tc := range []struct {
		name     string
		scope    AccountScope
		total    float64
		forecast float64
		top      []string
		waste    []string
		regions  []string // of rds
	}{
		{"every account", nil, 1.20, 1.20 + 0.40*515, []string{"db-b", "i-a"}, []string{"db-b"}, []string{"eu-west-1"}},
		{"account A", AccountScope{acctA}, 0.30, 0.30 + 0.10*515, []string{"i-a"}, nil, nil},
		{"account B", AccountScope{acctB}, 0.90, 0.90 + 0.30*515, []string{"db-b"}, []string{"db-b"}, []string{"eu-west-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bill, err := s.MonthBill(ctx, "2026-03", tc.scope)
			if err != nil {
				t.Fatal(err)
			}
			if money4(bill.TotalUSD) != money4(tc.total) || bill.Hours != 3 {
				t.Errorf("bill %+v, want total %v over 3 hours", bill, tc.total)
			}
			forecast, err := s.BillForecast(ctx, bill, now, tc.scope)
			if err != nil || money4(forecast) != money4(tc.forecast) {
				t.Errorf("forecast %v (%v), want %v", forecast, err, tc.forecast)
			}
			ids := func(rows []ResourceRow) []string {
				var out []string
				for _, r := range rows {
					out = append(out, r.ResourceID)
				}
				return out
			}
			top, err := s.TopResources(ctx, 10, tc.scope)
			if err != nil || !slices.Equal(ids(top), tc.top) {
				t.Errorf("top %v (%v), want %v", ids(top), err, tc.top)
			}
			waste, err := s.WastedResources(ctx, 10, tc.scope)
			if err != nil || !slices.Equal(ids(waste), tc.waste) {
				t.Errorf("waste %v (%v), want %v", ids(waste), err, tc.waste)
			}
			page, err := s.ActiveResources(ctx, ResourceFilter{Service: "rds"}, tc.scope)
			if err != nil || page.Total != len(tc.regions) {
				t.Errorf("rds page %+v (%v), want %d rows", page, err, len(tc.regions))
			}
			regions, err := s.ActiveResourceRegions(ctx, "rds", tc.scope)
			if err != nil || !slices.Equal(regions, tc.regions) {
				t.Errorf("rds regions %v (%v), want %v", regions, err, tc.regions)
			}
			hours, err := s.HourlyServiceCosts(ctx, latest, latest.Add(time.Hour), tc.scope)
			var sum float64
			for _, h := range hours {
				sum += h.USD
				if !h.Hour.Equal(latest) {
					t.Errorf("hour %v, want %v", h.Hour, latest)
				}
			}
			if err != nil || money4(sum*3) != money4(tc.total) {
				t.Errorf("latest hour's services %+v (%v), want a third of %v", hours, err, tc.total)
			}
			days, err := s.DailyServiceCosts(ctx, latest.Add(-12*time.Hour), latest.Add(time.Hour), time.UTC, tc.scope)
			sum = 0
			for _, d := range days {
				sum += d.USD
			}
			if err != nil || len(days) == 0 || money4(sum) != money4(tc.total) {
				t.Errorf("days %+v (%v), want %v in all", days, err, tc.total)
			}
		})
	}
}

func TestChatAccount(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	if got, err := s.ChatAccount(ctx, 42); err != nil || got != "" {
		t.Fatalf("unset: %q, %v", got, err)
	}
	if err := s.SetChatLang(ctx, 42, "en"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetChatAccount(ctx, 42, acctA); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ChatAccount(ctx, 42); got != acctA {
		t.Errorf("account %q, want %s", got, acctA)
	}
	if lang, _ := s.ChatLang(ctx, 42); lang != "en" {
		t.Errorf("setting the account changed the language to %q", lang)
	}
	if err := s.SetChatAccount(ctx, 42, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ChatAccount(ctx, 42); got != "" {
		t.Errorf("after reset: %q", got)
	}
}
