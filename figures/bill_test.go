package figures

import (
	"context"
	"testing"
	"time"

	"costbot/models"
)

// A month bill's lines: the priced services highest first with their share, then the
// services none of whose resources has a price, by name, never at $0; the resources
// without a price are counted apart from the total.
func TestMonthBillLines(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	h := figUTC("2026-12-10 12:00")
	unpriced := func(service, id string) (models.CostRecord, models.ResourceRow) {
		return models.CostRecord{Hour: h, Service: service, Region: "us-east-1", ResourceID: id, PriceSource: models.SourceUnpriced},
			models.ResourceRow{Key: service + "/us-east-1/" + id, Service: service, Region: "us-east-1", ResourceID: id, Active: true}
	}
	q, qRow := unpriced("q", "app-1")
	fsx1, fsx1Row := unpriced("fsx", "fs-1")
	fsx2, fsx2Row := unpriced("fsx", "fs-2")
	writeHour(t, s, h, []models.CostRecord{record(h, "ec2", "us-east-1", "i-1", 7.5), record(h, "s3", "us-east-1", "b-1", 2.5), q, fsx1, fsx2},
		qRow, fsx1Row, fsx2Row,
		models.ResourceRow{Key: "ec2/us-east-1/i-1", Service: "ec2", Region: "us-east-1", ResourceID: "i-1", HourlyUSD: 7.5, Priced: true, PriceSource: models.SourceAPI, Active: true})
	mb, err := newReader(t, s, nil).Bill(ctx, nil, "2026-12", h.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := []ServiceLine{
		{Service: "ec2", USD: 7.5, Priced: true, Percent: 75},
		{Service: "s3", USD: 2.5, Priced: true, Percent: 25},
		{Service: "fsx", Unpriced: 2},
		{Service: "q", Unpriced: 1},
	}
	if len(mb.Lines) != len(want) {
		t.Fatalf("lines %+v, want %+v", mb.Lines, want)
	}
	for i, w := range want {
		if l := mb.Lines[i]; l.Service != w.Service || !near(l.USD, w.USD) || l.Priced != w.Priced || l.Unpriced != w.Unpriced || !near(l.Percent, w.Percent) {
			t.Errorf("line %d = %+v, want %+v", i, l, w)
		}
	}
	if mb.Unpriced != 3 || !near(mb.Bill.TotalUSD, 10) || !mb.Current || mb.Status() != BillCurrent || mb.Empty() {
		t.Errorf("bill %+v: want the current month, $10 with 3 resources left out", mb)
	}
	if l, ok := mb.Line("fsx"); !ok || l.Priced || l.Unpriced != 2 {
		t.Errorf("fsx line %+v, %v", l, ok)
	}
	if _, ok := mb.Line("rds"); ok {
		t.Error("a line for a service the month never saw")
	}
	// A viewer of another account sees an empty month, nothing left out.
	other, err := newReader(t, s, nil).Bill(ctx, Scope{"999999999999"}, "2026-12", h)
	if err != nil || !other.Empty() || len(other.Lines) != 0 {
		t.Errorf("another account's bill = %+v (%v)", other, err)
	}
}
