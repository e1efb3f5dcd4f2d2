package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/models"
)

// storeBilled stores AWS's bill of [from, to): EC2 at ec2 a day and 1 GB of Lightsail
// overage in Tokyo at $0.14.
func storeBilled(t *testing.T, s *models.Store, from, to time.Time, ec2 float64) {
	t.Helper()
	var lines []models.BilledCost
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		lines = append(lines,
			models.BilledCost{Day: d, Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "BoxUsage:t3.micro", Record: models.RecordUsage, UnblendedUSD: ec2, NetUSD: ec2, Estimated: true},
			models.BilledCost{Day: d, Service: "Amazon Lightsail", UsageType: "APN1-DataXfer-Out-Overage-Bytes", Record: models.RecordUsage, UnblendedUSD: 0.14, NetUSD: 0.14, Quantity: 1, Unit: "GB", Estimated: true})
	}
	if err := s.ReplaceBilled(t.Context(), models.MonthOf(from), from, to, lines, false, to); err != nil {
		t.Fatal(err)
	}
}

// The daily report carries AWS's bill beside the estimate and the Lightsail overage it
// billed, and its forecast counts the billed days in AWS's figures.
func TestReportCarriesWhatAWSBilled(t *testing.T) {
	store := openStore(t)
	cfg := guardConfig(t, nil)
	now := time.Date(2026, 2, 20, 15, 58, 0, 0, time.UTC)
	feb1 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for h := feb1; h.Before(time.Date(2026, 2, 20, 15, 0, 0, 0, time.UTC)); h = h.Add(time.Hour) {
		if _, err := store.WriteHour(t.Context(), models.HourWrite{Hour: h, CollectedAt: h, Records: []models.CostRecord{
			{Hour: h, Service: "ec2", Region: east, ResourceID: "i-1", CostUSD: 0.05, PriceSource: models.SourceAPI}}}); err != nil {
			t.Fatal(err)
		}
	}
	storeBilled(t, store, feb1, feb1.AddDate(0, 0, 19), 1.5)

	ev, err := NewReporter(cfg, store, &fakeNotifier{}, clockwork.NewFakeClockAt(now)).Report(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d := ev.Data.(models.DailyReport)
	if d.Billed == nil || d.Billed.Days != 19 || d.Billed.OverageGB() != 19 {
		t.Fatalf("report's bill %+v", d.Billed)
	}
	near(t, "billed gross", d.Billed.GrossUSD, 19*1.64)
	near(t, "estimate of the billed days", d.Billed.EstimatedUSD, 19*24*0.05)
	// The estimate's forecast is the whole of February at $0.05/h (33.60); the billed
	// days count at AWS's 31.16 instead of the estimate's 22.80.
	near(t, "forecast", d.ForecastUSD, 33.60-22.80+31.16)

	cfg.CostExplorerInterval = 0
	ev, err = NewReporter(cfg, store, &fakeNotifier{}, clockwork.NewFakeClockAt(now)).Report(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := ev.Data.(models.DailyReport); d.Billed != nil {
		t.Errorf("Cost Explorer off, the report still carries a bill: %+v", d.Billed)
	}
}

// The bill pushed when a month closes carries AWS's bill as known then.
func TestClosedBillCarriesWhatAWSBilled(t *testing.T) {
	f := newCollectFixture(t, time.Date(2026, 5, 31, 22, 10, 0, 0, time.UTC), CollectorOptions{CostExplorer: true, Estimated: []string{"ec2"}})
	f.scan(instance("i-web", "t3.micro"))
	f.collect(t)
	storeBilled(t, f.store, time.Date(2026, 5, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC), 0.25)
	f.advanceTo(time.Date(2026, 6, 1, 0, 10, 0, 0, time.UTC))
	f.collect(t)
	closed := f.notifier.of(models.EventBillClosed)
	if len(closed) != 1 {
		t.Fatalf("closed bills %v", closed)
	}
	b := closed[0].Data.(models.BillClosed)
	if b.Billed == nil || b.Billed.Days != 1 || len(b.Billed.Services) != 1 || b.Billed.Services[0].Service != "ec2" {
		t.Fatalf("closed bill's AWS bill %+v", b.Billed)
	}
	near(t, "billed ec2", b.Billed.Services[0].BilledUSD, 0.25)
}
