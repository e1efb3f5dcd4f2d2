package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"costbot/models"
	"costbot/pricing"
)

func TestCollectAcrossAMonthChangeClosesTheBillOnce(t *testing.T) {
	ctx := context.Background()
	f := newCollectFixture(t, time.Date(2026, 5, 31, 21, 10, 0, 0, time.UTC), CollectorOptions{})
	f.scan(instance("i-web", "t3.micro"), function("fn-api", 1000, 200_000))

	for range 3 { // 21:00, 22:00, 23:00
		f.collect(t)
		f.clock.Advance(time.Hour)
	}
	may := monthRows(t, f.store, "2026-05")
	approx(t, "May ec2 after 3 hours", may["ec2"].CostUSD, 3*t3MicroUSD)
	if may["ec2"].Hours != 3 || may["ec2"].Closed || may["lambda"].Hours != 3 {
		t.Fatalf("May running bill = %+v", may)
	}
	if got := f.notifier.all(); len(got) != 0 {
		t.Fatalf("events before the month ended: %v", got)
	}
	var lambda []models.LambdaRecord
	f.store.DB().Order("hour").Find(&lambda)
	if len(lambda) != 3 || lambda[0].Invocations != 1000 || lambda[0].DurationMS != 200_000 {
		t.Fatalf("lambda records = %+v", lambda)
	}
	approx(t, "GB-s of 200 s at 512 MB", lambda[0].GBSeconds, 100)

	// 2026-06-01 00:10: the first hour of June closes May, but the notifier is down.
	f.notifier.setFail(errors.New("telegram down"))
	_, err := f.collector.Collect(ctx)
	if err == nil || !strings.Contains(err.Error(), "telegram down") {
		t.Fatalf("collect with the notifier down: err = %v", err)
	}
	may = monthRows(t, f.store, "2026-05")
	for _, r := range may {
		if !r.Closed || r.ClosedAt == nil || !r.ClosedAt.Equal(f.clock.Now()) {
			t.Fatalf("May not closed at %v: %+v", f.clock.Now(), r)
		}
	}
	approx(t, "closed May ec2", may["ec2"].CostUSD, 3*t3MicroUSD)
	closedMay := monthDump(t, f.store, "2026-05")
	june := monthRows(t, f.store, "2026-06")
	approx(t, "June ec2 from zero", june["ec2"].CostUSD, t3MicroUSD)
	if june["ec2"].Hours != 1 || june["ec2"].Closed {
		t.Fatalf("June = %+v", june["ec2"])
	}

	// The month-to-date meters start June from zero.
	var mayLast, juneFirst pricing.MonthToDate
	state, _, _ := f.store.MonthToDate(ctx, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err := json.Unmarshal([]byte(state), &juneFirst); err != nil {
		t.Fatal(err)
	}
	var row models.MonthToDateState
	f.store.DB().Where("hour = ?", time.Date(2026, 5, 31, 23, 0, 0, 0, time.UTC)).Take(&row)
	if err := json.Unmarshal([]byte(row.After), &mayLast); err != nil {
		t.Fatal(err)
	}
	if mayLast.Month != "2026-05" || mayLast.Get("free:lambda-requests") != 3000 {
		t.Errorf("May's meters after 23:00 = %+v, want 3000 requests", mayLast)
	}
	if juneFirst.Month != "2026-06" || len(juneFirst.Usage) != 0 {
		t.Errorf("June's meters before 00:00 = %+v, want an empty June", juneFirst)
	}

	// 01:10: the notifier is back; the bill goes out once, and never again.
	f.notifier.setFail(nil)
	for range 2 {
		f.clock.Advance(time.Hour)
		f.collect(t)
	}
	bills := f.notifier.of(models.EventBillClosed)
	if len(bills) != 1 {
		t.Fatalf("bill closed raised %d times, want once: %v", len(bills), bills)
	}
	bill := bills[0].Data.(models.BillClosed)
	if bills[0].Key != "2026-05" || bill.Month != "2026-05" || bill.Hours != 3 || bill.EstimatedHours != 0 {
		t.Errorf("bill event = %+v", bills[0])
	}
	approx(t, "bill total", bill.TotalUSD, 3*t3MicroUSD)
	if len(bill.Services) != 2 || bill.Services[0].Service != "ec2" {
		t.Errorf("bill services = %+v, want ec2 first", bill.Services)
	}
	if after := monthDump(t, f.store, "2026-05"); !reflect.DeepEqual(closedMay, after) {
		t.Errorf("closed May rewritten:\n was %v\n now %v", closedMay, after)
	}
	approx(t, "June ec2 after 3 hours", monthRows(t, f.store, "2026-06")["ec2"].CostUSD, 3*t3MicroUSD)
}

func TestCollectingAnHourTwiceLeavesTheSameRows(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 5, 12, 10, 5, 0, 0, time.UTC)
	hour := at.Truncate(time.Hour)
	f := newCollectFixture(t, at, CollectorOptions{})
	f.withoutPriceCache()
	// The account's Lambda requests this month are 500 short of the free million, so
	// this hour's 1000 requests are half free: re-pricing the hour from the state after
	// it would make all of them billable.
	before := `{"month":"2026-05","usage":{"free:lambda-requests":999500}}`
	if err := f.store.PutMonthToDate(ctx, hour.Add(-time.Hour), before, before); err != nil {
		t.Fatal(err)
	}
	f.scan(instance("i-web", "t3.micro"), instance("i-db", "m5.large"), volume("vol-1", 100),
		function("fn-api", 1000, 0), bucket("logs", 10))

	f.collect(t)
	first := dumpTables(t, f.store, historyTables...)
	f.collect(t)
	sameTables(t, "same hour, same instant", first, dumpTables(t, f.store, historyTables...))

	recs := hourRecords(t, f.store, hour)
	approx(t, "half-free lambda hour", recs["fn-api"].CostUSD, 500*lambdaReq)
	approx(t, "gp3 100 GB hour", recs["vol-1"].CostUSD, 100*gp3GBMonth/models.HoursPerMonth)
	if len(recs) != 5 {
		t.Fatalf("records = %v", recs)
	}

	// Later in the same hour: the hour's cost rows are the same again (same IDs too).
	f.clock.Advance(35 * time.Minute)
	f.collect(t)
	for _, table := range []string{"cost_records", "cost_summary", "lambda_records", "month_to_date", "cost_events"} {
		if now := dumpTables(t, f.store, table)[table]; !reflect.DeepEqual(first[table], now) {
			t.Errorf("same hour, 35 minutes later: table %s differs:\n before %v\n after  %v", table, first[table], now)
		}
	}

	// A resource gone by the last scan of the hour leaves the hour and goes inactive.
	f.clock.Advance(10 * time.Minute)
	f.scan(instance("i-web", "t3.micro"), volume("vol-1", 100), function("fn-api", 1000, 0), bucket("logs", 10))
	f.collect(t)
	recs = hourRecords(t, f.store, hour)
	if _, ok := recs["i-db"]; ok || len(recs) != 4 {
		t.Errorf("records after i-db went = %v", recs)
	}
	res := resourceRows(t, f.store)
	if res["i-db"].Active || !res["i-web"].Active {
		t.Errorf("i-db active %v, i-web active %v", res["i-db"].Active, res["i-web"].Active)
	}
	var summaries []models.CostSummary
	f.store.DB().Where("hour = ? AND service = ?", hour, "ec2").Find(&summaries)
	if len(summaries) != 1 || summaries[0].ResourceCount != 1 {
		t.Fatalf("ec2 summary = %+v", summaries)
	}
	approx(t, "ec2 summary", summaries[0].CostUSD, t3MicroUSD)
	approx(t, "ec2 bill", monthRows(t, f.store, "2026-05")["ec2"].CostUSD, t3MicroUSD)
}

func TestMissedHoursAreFilledEstimatedAndCounted(t *testing.T) {
	f := newCollectFixture(t, time.Date(2026, 5, 10, 10, 0, 0, 0, time.UTC), CollectorOptions{})
	f.scan(instance("i-web", "t3.micro"), volume("vol-1", 50))
	f.collect(t)

	// costbot was down from 11:00 to 14:59.
	f.advanceTo(time.Date(2026, 5, 10, 15, 20, 0, 0, time.UTC))
	counts := f.collect(t)
	if !strings.Contains(counts, "filled=4") {
		t.Errorf("counts %q, want filled=4", counts)
	}
	hourly := t3MicroUSD + 50*gp3GBMonth/models.HoursPerMonth
	for h := 11; h <= 14; h++ {
		hour := time.Date(2026, 5, 10, h, 0, 0, 0, time.UTC)
		ch := costHour(t, f.store, hour)
		if !ch.Filled || !ch.Estimated || ch.ResourceCount != 2 {
			t.Errorf("%02d:00 = %+v, want filled and estimated", h, ch)
		}
		approx(t, fmt.Sprintf("%02d:00 total", h), ch.TotalUSD, hourly)
		for id, r := range hourRecords(t, f.store, hour) {
			if !r.Estimated {
				t.Errorf("%02d:00 %s not estimated", h, id)
			}
		}
	}
	if ch := costHour(t, f.store, time.Date(2026, 5, 10, 15, 0, 0, 0, time.UTC)); ch.Filled || ch.Estimated {
		t.Errorf("15:00 was collected, not estimated: %+v", ch)
	}
	bill := monthRows(t, f.store, "2026-05")
	approx(t, "ec2 over 6 hours", bill["ec2"].CostUSD, 6*t3MicroUSD)
	approx(t, "ebs over 6 hours", bill["ebs"].CostUSD, 6*50*gp3GBMonth/models.HoursPerMonth)
	if bill["ec2"].Hours != 6 || bill["ec2"].EstimatedHours != 4 {
		t.Errorf("bill hours %d estimated %d, want 6 and 4", bill["ec2"].Hours, bill["ec2"].EstimatedHours)
	}
}

func TestALongGapFillsBackToThePreviousMonthAndRollsUp(t *testing.T) {
	ctx := context.Background()
	f := newCollectFixture(t, time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC), CollectorOptions{HourlyRetention: 48 * time.Hour})
	f.scan(instance("i-web", "t3.micro"))
	f.collect(t)

	// Down until 2 May: hours are filled from 1 April (the previous month) only.
	f.advanceTo(time.Date(2026, 5, 2, 3, 30, 0, 0, time.UTC))
	counts := f.collect(t)
	if want := fmt.Sprintf("filled=%d", 30*24+27); !strings.Contains(counts, want) {
		t.Errorf("counts %q, want %s", counts, want)
	}
	if hs, _ := f.store.CostHours(ctx, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); len(hs) != 0 {
		t.Errorf("March got %d hours, want none", len(hs))
	}

	bills := f.notifier.of(models.EventBillClosed)
	if len(bills) != 2 || bills[0].Key != "2026-02" || bills[1].Key != "2026-04" {
		t.Fatalf("bills closed = %v, want February and April", bills)
	}
	feb, apr := bills[0].Data.(models.BillClosed), bills[1].Data.(models.BillClosed)
	approx(t, "February", feb.TotalUSD, t3MicroUSD)
	approx(t, "April", apr.TotalUSD, 720*t3MicroUSD)
	if feb.Hours != 1 || apr.Hours != 720 || apr.EstimatedHours != 720 {
		t.Errorf("hours: February %d, April %d (%d estimated)", feb.Hours, apr.Hours, apr.EstimatedHours)
	}
	may := monthRows(t, f.store, "2026-05")["ec2"]
	approx(t, "May so far", may.CostUSD, 28*t3MicroUSD)
	if may.Hours != 28 || may.EstimatedHours != 27 {
		t.Errorf("May hours %d estimated %d", may.Hours, may.EstimatedHours)
	}

	// Hourly rows of whole days older than 48h are now daily rows with the same cost.
	if oldest, _, err := f.store.OldestCostRecordHour(ctx); err != nil || oldest.Before(time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("oldest hourly record %v (%v), want none before 30 April", oldest, err)
	}
	daily, err := f.store.DailyCosts(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(daily) != 1+29 {
		t.Fatalf("%d daily rows, want 30 (10 February, 1-29 April)", len(daily))
	}
	if daily[0].Hours != 1 || daily[1].Hours != 24 || daily[1].EstimatedHours != 24 || daily[1].Name != "i-web" {
		t.Errorf("daily rows start %+v %+v", daily[0], daily[1])
	}
	var rolled, hourly, summaries float64
	for _, d := range daily {
		rolled += d.CostUSD
	}
	f.store.DB().Raw("SELECT SUM(cost_usd) FROM cost_records").Scan(&hourly)
	f.store.DB().Raw("SELECT SUM(cost_usd) FROM cost_summary").Scan(&summaries)
	approx(t, "daily", rolled, (1+29*24)*t3MicroUSD)
	approx(t, "daily + hourly", rolled+hourly, summaries)
	if !strings.Contains(counts, fmt.Sprintf("rolled=%d", 1+29*24)) {
		t.Errorf("counts %q", counts)
	}

	// Nothing more to roll up or to close in the next hour.
	f.clock.Advance(time.Hour)
	counts = f.collect(t)
	if !strings.Contains(counts, "rolled=0") || !strings.Contains(counts, "filled=0") || len(f.notifier.of(models.EventBillClosed)) != 2 {
		t.Errorf("next hour: %q, %d bills", counts, len(f.notifier.of(models.EventBillClosed)))
	}
}

func TestFailedTaskIsCarriedForwardEstimated(t *testing.T) {
	ctx := context.Background()
	f := newCollectFixture(t, time.Date(2026, 5, 12, 10, 5, 0, 0, time.UTC), CollectorOptions{})
	web, db, vol, logs := instance("i-web", "t3.micro"), instance("i-db", "m5.large"), volume("vol-1", 100), bucket("logs", 10)
	f.scan(web, db, vol, logs)
	f.collect(t)
	hour10 := time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)
	first := hourRecords(t, f.store, hour10)
	resourcesBefore := dumpTables(t, f.store, "resources")

	// 11:05: EC2 and the (global) S3 listing are denied; EBS answers.
	f.clock.Advance(time.Hour)
	f.scanner.set(scanResult(usEast1Tasks, []task{"ec2/us-east-1", "s3/global"}, web, db, vol, logs))
	counts := f.collect(t)
	if !strings.Contains(counts, "carried=3") || !strings.Contains(counts, "errors=2") {
		t.Errorf("counts %q", counts)
	}
	hour11 := hour10.Add(time.Hour)
	recs := hourRecords(t, f.store, hour11)
	for _, id := range []string{"i-web", "i-db", "logs"} {
		if !recs[id].Estimated || recs[id].CostUSD != first[id].CostUSD || recs[id].PriceSource != first[id].PriceSource {
			t.Errorf("%s at 11:00 = %+v, want carried from %+v", id, recs[id], first[id])
		}
	}
	if recs["vol-1"].Estimated || len(recs) != 4 {
		t.Errorf("records at 11:00 = %+v", recs)
	}
	ch := costHour(t, f.store, hour11)
	if !ch.Estimated || ch.Filled || ch.CarriedTasks != 2 {
		t.Errorf("11:00 = %+v", ch)
	}
	approx(t, "11:00 total", ch.TotalUSD, costHour(t, f.store, hour10).TotalUSD)
	// The failed tasks' resources are as they were.
	if now := dumpTables(t, f.store, "resources"); !reflect.DeepEqual(resourcesBefore["resources"][:2], now["resources"][:2]) ||
		!reflect.DeepEqual(resourcesBefore["resources"][3], now["resources"][3]) {
		t.Errorf("resources of failed tasks changed:\n was %v\n now %v", resourcesBefore, now)
	}
	bill := monthRows(t, f.store, "2026-05")
	approx(t, "ec2 bill does not drop", bill["ec2"].CostUSD, 2*(t3MicroUSD+m5LargeUSD))
	if bill["ec2"].Hours != 2 || bill["ec2"].EstimatedHours != 1 {
		t.Errorf("ec2 bill = %+v", bill["ec2"])
	}
	var summaries []models.CostSummary
	f.store.DB().Where("hour = ?", hour11).Order("service").Find(&summaries)
	for _, s := range summaries {
		if s.Estimated != (s.Service != "ebs") {
			t.Errorf("summary %s estimated = %v", s.Service, s.Estimated)
		}
	}

	// 12:05: EC2 lists only i-web, S3 no bucket: i-db and the bucket are gone.
	f.clock.Advance(time.Hour)
	f.scan(web, vol)
	f.collect(t)
	res := resourceRows(t, f.store)
	if res["i-db"].Active || res["logs"].Active || !res["i-web"].Active || !res["vol-1"].Active {
		t.Errorf("active: i-db %v logs %v i-web %v vol-1 %v", res["i-db"].Active, res["logs"].Active, res["i-web"].Active, res["vol-1"].Active)
	}
	if recs := hourRecords(t, f.store, hour11.Add(time.Hour)); len(recs) != 2 || recs["i-web"].Estimated {
		t.Errorf("records at 12:00 = %+v", recs)
	}
	if h, ok, err := f.store.LastCollectedHour(ctx); err != nil || !ok || !h.Equal(hour11.Add(time.Hour)) {
		t.Errorf("last collected hour = %v %v %v", h, ok, err)
	}
}
