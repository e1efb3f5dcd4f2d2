package models

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"
)

// The unpriced resources are counted per service with their reason, and a month's bill
// knows how many it leaves out.
func TestUnpricedCounts(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	h := time.Date(2026, 12, 20, 10, 0, 0, 0, time.UTC)
	priced := csRecord(h, "ec2", "us-east-1", "i-1", 0.0104)
	lustre := csRecord(h, "fsx", "eu-west-1", "fs-1", 0)
	lustre.PriceSource = SourceUnpriced
	rows := []ResourceRow{
		{Key: "a/ec2/us-east-1/i-1", Service: "ec2", Region: "us-east-1", ResourceID: "i-1", Priced: true, PriceSource: SourceAPI, HourlyUSD: 0.0104},
		{Key: "a/fsx/eu-west-1/fs-1", Service: "fsx", Region: "eu-west-1", ResourceID: "fs-1", PriceNote: "no price for storage"},
	}
	for i := range 3 { // the same resource three hours: counted once
		hr := h.Add(time.Duration(i) * time.Hour)
		p, l := priced, lustre
		p.Hour, l.Hour = hr, hr
		if _, err := s.WriteHour(ctx, HourWrite{Hour: hr, CollectedAt: hr, Records: []CostRecord{p, l}, Resources: rows,
			Listed: []TaskScope{{Service: "ec2", Region: "us-east-1"}, {Service: "fsx", Region: "eu-west-1"}}}); err != nil {
			t.Fatal(err)
		}
	}
	active, err := s.UnpricedActive(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]UnpricedService{"fsx": {Count: 1, Reason: "no price for storage"}}; !maps.Equal(active, want) {
		t.Errorf("active unpriced = %v, want %v", active, want)
	}
	month, err := s.UnpricedBetween(ctx, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"fsx": 1}; !maps.Equal(month, want) {
		t.Errorf("unpriced in December = %v, want %v", month, want)
	}
	if before, _ := s.UnpricedBetween(ctx, h.Add(-48*time.Hour), h, nil); len(before) != 0 {
		t.Errorf("unpriced before the first hour = %v, want none", before)
	}
}

// Every month's unpriced counts read at once are each month's UnpricedBetween.
func TestUnpricedPerMonthIsUnpricedBetween(t *testing.T) {
	s := openTestStore(t)
	ctx := t.Context()
	at := func(m, d int) time.Time { return time.Date(2026, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	rows := []ResourceRow{
		{Key: "a/fsx/1", Service: "fsx", ResourceID: "fs-1", FirstSeen: at(1, 20), LastSeen: at(3, 2), Active: true},
		{Key: "a/q/1", Service: "q", ResourceID: "app-1", FirstSeen: at(2, 1), LastSeen: at(2, 28), Active: true},
		{Key: "a/q/2", Service: "q", ResourceID: "app-2", FirstSeen: at(2, 10), LastSeen: at(4, 1)},
		{Key: "a/ec2/1", Service: "ec2", ResourceID: "i-1", FirstSeen: at(1, 1), LastSeen: at(4, 1), Priced: true, HourlyUSD: 1, Active: true},
	}
	if err := s.DB().Create(&rows).Error; err != nil {
		t.Fatal(err)
	}
	months := []string{"2025-12", "2026-01", "2026-02", "2026-03", "2026-04"}
	all, err := s.UnpricedPerMonth(ctx, months)
	if err != nil {
		t.Fatal(err)
	}
	if all["2026-02"]["q"] != 2 || all["2026-02"]["fsx"] != 1 || all["2026-01"]["q"] != 0 || len(all["2025-12"]) != 0 || all["2026-04"]["q"] != 1 {
		t.Errorf("per month: %v", all)
	}
	for _, m := range months {
		start, _ := MonthStart(m)
		one, err := s.UnpricedBetween(ctx, start, start.AddDate(0, 1, 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(one) != fmt.Sprint(all[m]) && !(len(one) == 0 && len(all[m]) == 0) {
			t.Errorf("%s: UnpricedBetween %v, UnpricedPerMonth %v", m, one, all[m])
		}
	}
}
