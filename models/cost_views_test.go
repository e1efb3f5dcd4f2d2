package models

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// TestCostRecordsViewTakesInserts inserts rows into the cost_records view, as SQL
// written for the earlier table does: they land in cost_hourly, a second insert of the
// same resource and hour replaces the first, and the view reads them back.
func TestCostRecordsViewTakesInserts(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	h := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	first := CostRecord{Hour: h, Service: "ec2", Region: "us-east-1", ResourceID: "i-1", AccountID: "111122223333",
		Name: "web", Type: "t3.micro", CostUSD: 0.0104, PriceSource: SourceAPI}
	second := first
	second.CostUSD, second.Estimated, second.Name = 0.02, true, "web-renamed"
	other := first
	other.AccountID = "444455556666"
	for _, r := range []CostRecord{first, other, second} {
		if err := s.DB().Create(&r).Error; err != nil {
			t.Fatalf("insert into cost_records: %v", err)
		}
	}
	got, err := s.CostRecordsAt(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	want := []CostRecord{second, other}
	if len(got) == 2 && got[0].AccountID != second.AccountID {
		got[0], got[1] = got[1], got[0]
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CostRecordsAt = %+v\nwant %+v", got, want)
	}
	var n int64
	if err := s.DB().Model(&CostRecord{}).Where("estimated").Count(&n).Error; err != nil || n != 1 {
		t.Errorf("estimated rows in the view = %d, %v; want 1", n, err)
	}
}
