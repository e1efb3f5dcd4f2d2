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

func TestScopedBillsAndResources(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	latest := seedTwoAccounts(t, s)
	for _, tc := range []struct {
		name    string
		scope   AccountScope
		total   float64
		top     []string
		waste   []string
		regions []string // of rds
	}{
		{"every account", nil, 1.20, []string{"db-b", "i-a"}, []string{"db-b"}, []string{"eu-west-1"}},
		{"account A", AccountScope{acctA}, 0.30, []string{"i-a"}, nil, nil},
		{"account B", AccountScope{acctB}, 0.90, []string{"db-b"}, []string{"db-b"}, []string{"eu-west-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bill, err := s.MonthBill(ctx, "2026-03", tc.scope)
			if err != nil {
				t.Fatal(err)
			}
			if money4(bill.TotalUSD) != money4(tc.total) || bill.Hours != 3 {
				t.Errorf("bill %+v, want total %v over 3 hours", bill, tc.total)
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
