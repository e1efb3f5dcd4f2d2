package models

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

// csRecord is a cost record of one resource for one hour.
func csRecord(hour time.Time, service, region, id string, usd float64) CostRecord {
	return CostRecord{Hour: hour, Service: service, Region: region, ResourceID: id, Name: id + "-name", CostUSD: usd, PriceSource: SourceAPI}
}

func csWrite(t *testing.T, s *Store, hour time.Time, records ...CostRecord) CostHour {
	t.Helper()
	h, err := s.WriteHour(context.Background(), HourWrite{Hour: hour, CollectedAt: hour.Add(5 * time.Minute), Records: records})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func csClose(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRollupTurnsOldHoursIntoDailyRowsWithTheSameCost(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// A week of two resources; one of them changes its name on day 2.
	var want = map[string]float64{} // day|resource -> cost
	var records []CostRecord
	for h := 0; h < 7*24; h++ {
		hour := start.Add(time.Duration(h) * time.Hour)
		web := csRecord(hour, "ec2", "us-east-1", "i-web", 0.0104)
		if hour.Day() >= 2 {
			web.Name = "web-renamed"
		}
		vol := csRecord(hour, "ebs", "us-east-1", "vol-1", 0.001*float64(h%7))
		records = append(records, web, vol)
		want[hour.Format(time.DateOnly)+"|i-web"] += web.CostUSD
		want[hour.Format(time.DateOnly)+"|vol-1"] += vol.CostUSD
	}
	if err := s.DB().CreateInBatches(records, 500).Error; err != nil {
		t.Fatal(err)
	}
	summary := CostSummary{Hour: start, Service: "ec2", Region: "us-east-1", CostUSD: 0.0104, ResourceCount: 1}
	if err := s.DB().Create(&summary).Error; err != nil {
		t.Fatal(err)
	}
	var summaryBefore float64
	s.DB().Raw("SELECT SUM(cost_usd) FROM cost_summary").Scan(&summaryBefore)

	// At the end of day 7, a retention of 72h reaches back to the start of day 5: days
	// 1-4 roll up.
	const retention = 72 * time.Hour
	now := start.Add(7 * 24 * time.Hour)
	rolled, err := s.RollupCostRecords(ctx, now.Add(-retention))
	if err != nil {
		t.Fatal(err)
	}
	cutoff := now.Add(-retention).Truncate(24 * time.Hour)
	days := int(cutoff.Sub(start).Hours() / 24)
	if days != 4 || rolled != int64(days*24*2) {
		t.Fatalf("rolled %d rows over %d days, want %d", rolled, days, days*24*2)
	}
	daily, err := s.DailyCosts(ctx, start, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(daily) != days*2 {
		t.Fatalf("%d daily rows, want %d", len(daily), days*2)
	}
	for _, d := range daily {
		key := d.Day.Format(time.DateOnly) + "|" + d.ResourceID
		if !csClose(d.CostUSD, want[key]) || d.Hours != 24 || d.EstimatedHours != 0 {
			t.Errorf("%s: cost %.6f over %d hours, want %.6f over 24", key, d.CostUSD, d.Hours, want[key])
		}
		if d.ResourceID == "i-web" && d.Day.Day() >= 2 && d.Name != "web-renamed" {
			t.Errorf("%s name %q, want the day's last", key, d.Name)
		}
	}
	if oldest, ok, err := s.OldestCostRecordHour(ctx); err != nil || !ok || !oldest.Equal(cutoff) {
		t.Errorf("oldest hourly row %v %v %v, want %v", oldest, ok, err, cutoff)
	}
	var hourly, dailySum, summaryAfter, total float64
	for _, r := range records {
		total += r.CostUSD
	}
	s.DB().Raw("SELECT SUM(cost_usd) FROM cost_records").Scan(&hourly)
	s.DB().Raw("SELECT SUM(cost_usd) FROM cost_daily").Scan(&dailySum)
	s.DB().Raw("SELECT SUM(cost_usd) FROM cost_summary").Scan(&summaryAfter)
	if !csClose(hourly+dailySum, total) || summaryAfter != summaryBefore {
		t.Errorf("hourly %.6f + daily %.6f, want %.6f; summaries %.6f then %.6f (kept for good)", hourly, dailySum, total, summaryBefore, summaryAfter)
	}

	// Nothing left to do: nothing changes.
	if n, err := s.RollupCostRecords(ctx, now.Add(-retention)); err != nil || n != 0 {
		t.Fatalf("second rollup: %d rows, %v", n, err)
	}
	// An hour of a rolled day written late adds to its daily row.
	late := csRecord(start.Add(3*time.Hour), "ec2", "us-east-1", "i-web", 1)
	if err := s.DB().Create(&late).Error; err != nil {
		t.Fatal(err)
	}
	if n, err := s.RollupCostRecords(ctx, now.Add(-retention)); err != nil || n != 1 {
		t.Fatalf("late rollup: %d rows, %v", n, err)
	}
	firstDay, err := s.DailyCosts(ctx, start, start.Add(24*time.Hour))
	if err != nil || len(firstDay) != 2 || firstDay[1].ResourceID != "i-web" {
		t.Fatalf("first day = %+v, %v", firstDay, err)
	}
	first := firstDay[1]
	if !csClose(first.CostUSD, want[start.Format(time.DateOnly)+"|i-web"]+1) || first.Hours != 25 {
		t.Errorf("day with a late hour = %+v", first)
	}
}

func TestWriteHourReplacesTheHourAndRefreshesTheMonth(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	h := time.Date(2026, 5, 31, 22, 0, 0, 0, time.UTC)
	csWrite(t, s, h, csRecord(h, "ec2", "us-east-1", "i-1", 1), csRecord(h, "ec2", "us-east-1", "i-2", 2), csRecord(h, "s3", "us-east-1", "b", 4))
	csWrite(t, s, h.Add(time.Hour), csRecord(h, "ec2", "us-east-1", "i-1", 1))
	// Hour 22 again, without s3: its record, its summary and its share of the bill go.
	csWrite(t, s, h, csRecord(h, "ec2", "us-east-1", "i-1", 1), csRecord(h, "ec2", "us-east-1", "i-2", 2))
	rows, err := s.MonthlyRows(ctx, "2026-05")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Service != "ec2" || !csClose(rows[0].CostUSD, 4) || rows[0].Hours != 2 {
		t.Fatalf("May = %+v, want ec2 $4 over 2 hours", rows)
	}
	var summaries []CostSummary
	s.DB().Where("hour = ?", h).Find(&summaries)
	if len(summaries) != 1 || summaries[0].ResourceCount != 2 || !csClose(summaries[0].CostUSD, 3) {
		t.Errorf("summaries of 22:00 = %+v", summaries)
	}

	bills, err := s.CloseMonthsBefore(ctx, "2026-06", h.Add(3*time.Hour))
	if err != nil || len(bills) != 1 || bills[0].Month != "2026-05" || !csClose(bills[0].TotalUSD, 4) || bills[0].Hours != 2 {
		t.Fatalf("close = %+v, %v", bills, err)
	}
	if again, err := s.CloseMonthsBefore(ctx, "2026-06", h.Add(4*time.Hour)); err != nil || len(again) != 0 {
		t.Fatalf("closed again: %+v, %v", again, err)
	}
	// A late hour of May (a clock set back) is stored, but the closed bill stays.
	csWrite(t, s, h.Add(-time.Hour), csRecord(h, "ec2", "us-east-1", "i-1", 100))
	after, _ := s.MonthlyRows(ctx, "2026-05")
	if len(after) != 1 || !csClose(after[0].CostUSD, 4) || after[0].Hours != 2 || !after[0].Closed ||
		!after[0].ClosedAt.Equal(h.Add(3*time.Hour)) || !after[0].UpdatedAt.Equal(h.Add(3*time.Hour)) {
		t.Errorf("closed May rewritten: %+v", after)
	}
}

func TestCarryForwardFollowsTheTaskScope(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	h := time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)
	rows := []ResourceRow{
		{Key: "a/s3/us-east-1/logs", Service: "s3", Region: "us-east-1", ResourceID: "logs"},
		{Key: "a/s3/eu-west-1/media", Service: "s3", Region: "eu-west-1", ResourceID: "media"},
		{Key: "a/waf/global/edge", Service: "waf", Region: GlobalRegion, ResourceID: "edge"},
		{Key: "a/waf/us-east-1/api", Service: "waf", Region: "us-east-1", ResourceID: "api"},
	}
	records := []CostRecord{csRecord(h, "s3", "us-east-1", "logs", 1), csRecord(h, "s3", "eu-west-1", "media", 2),
		csRecord(h, "waf", GlobalRegion, "edge", 4), csRecord(h, "waf", "us-east-1", "api", 8)}
	s3 := TaskScope{Service: "s3", Region: GlobalRegion}
	wafGlobal := TaskScope{Service: "waf", Region: GlobalRegion, Except: []string{"us-east-1"}}
	wafUS := TaskScope{Service: "waf", Region: "us-east-1"}
	if _, err := s.WriteHour(ctx, HourWrite{Hour: h, CollectedAt: h, Records: records, Resources: rows,
		Listed: []TaskScope{s3, wafGlobal, wafUS}}); err != nil {
		t.Fatal(err)
	}
	// Next hour S3's one listing and WAF's global task fail; WAF us-east-1 lists nothing.
	total, err := s.WriteHour(ctx, HourWrite{Hour: h.Add(time.Hour), CollectedAt: h.Add(time.Hour),
		Listed: []TaskScope{wafUS}, Failed: []TaskScope{s3, wafGlobal}})
	if err != nil {
		t.Fatal(err)
	}
	if !csClose(total.TotalUSD, 1+2+4) || total.CarriedTasks != 2 || !total.Estimated {
		t.Errorf("hour total = %+v, want $7 carried from 2 tasks", total)
	}
	var active []ResourceRow
	s.DB().Where("active = ?", true).Order("resource_id").Find(&active)
	if len(active) != 3 || active[0].ResourceID != "edge" || active[1].ResourceID != "logs" || active[2].ResourceID != "media" {
		t.Errorf("active = %+v, want the failed tasks' three", active)
	}
}

func TestCostEventsAreQueuedOnce(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	at := time.Date(2026, 6, 1, 0, 5, 0, 0, time.UTC)
	ev := Event{Kind: EventBillClosed, Key: "2026-05", Data: BillClosed{Month: "2026-05", TotalUSD: 12.5}}
	for i, want := range []bool{true, false} {
		if queued, err := s.QueueCostEvent(ctx, ev, at); err != nil || queued != want {
			t.Fatalf("queue #%d = %v, %v; want %v", i+1, queued, err, want)
		}
	}
	pending, err := s.PendingCostEvents(ctx)
	if err != nil || len(pending) != 1 || pending[0].Data != `{"Month":"2026-05","TotalUSD":12.5,"Services":null,"Hours":0,"EstimatedHours":0}` {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	if err := s.MarkCostEventFailed(ctx, pending[0].ID, errors.New("telegram down"), false); err != nil {
		t.Fatal(err)
	}
	pending, _ = s.PendingCostEvents(ctx)
	if len(pending) != 1 || pending[0].Attempts != 1 || pending[0].LastError != "telegram down" {
		t.Fatalf("after a failure: %+v", pending)
	}
	if err := s.MarkCostEventRaised(ctx, pending[0].ID, at); err != nil {
		t.Fatal(err)
	}
	if pending, _ = s.PendingCostEvents(ctx); len(pending) != 0 {
		t.Errorf("raised event still pending: %+v", pending)
	}
	if queued, _ := s.QueueCostEvent(ctx, ev, at.Add(time.Hour)); queued {
		t.Error("a raised event was queued again")
	}
	if err := s.MarkCostEventRaised(ctx, 999, at); err == nil {
		t.Error("marking an unknown event succeeded")
	}
}

func TestMonthToDateIsTheStateBeforeTheHour(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	h := time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)
	if _, ok, err := s.MonthToDate(ctx, h); ok || err != nil {
		t.Fatalf("empty store: ok %v err %v", ok, err)
	}
	if err := s.PutMonthToDate(ctx, h, "before-10", "after-10"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		hour time.Time
		want string
		ok   bool
	}{
		{h, "before-10", true},                   // the hour again prices as it did
		{h.Add(3 * time.Hour), "after-10", true}, // a later hour starts where 10:00 ended
		{h.Add(-time.Hour), "", false},           // nothing before 10:00
		{h.AddDate(0, 1, 0), "after-10", true},   // the caller resets a new month
	} {
		got, ok, err := s.MonthToDate(ctx, tc.hour)
		if err != nil || ok != tc.ok || got != tc.want {
			t.Errorf("MonthToDate(%s) = %q %v %v, want %q %v", tc.hour.Format(time.RFC3339), got, ok, err, tc.want, tc.ok)
		}
	}
	// States before the previous month are forgotten.
	if err := s.PutMonthToDate(ctx, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), "b", "a"); err != nil {
		t.Fatal(err)
	}
	var n int64
	s.DB().Model(&MonthToDateState{}).Count(&n)
	if n != 1 {
		t.Errorf("%d states kept, want only July's", n)
	}
}

func TestTaskScopeCovers(t *testing.T) {
	wafGlobal := TaskScope{Service: "waf", Region: GlobalRegion, Except: []string{"us-east-1", "eu-west-1"}}
	tests := []struct {
		name            string
		scope           TaskScope
		service, region string
		want            bool
	}{
		{"regional, same region", TaskScope{Service: "ec2", Region: "us-east-1"}, "ec2", "us-east-1", true},
		{"regional, other region", TaskScope{Service: "ec2", Region: "us-east-1"}, "ec2", "eu-west-1", false},
		{"regional, other service", TaskScope{Service: "ec2", Region: "us-east-1"}, "ebs", "us-east-1", false},
		{"global covers every region", TaskScope{Service: "s3", Region: GlobalRegion}, "s3", "ap-east-1", true},
		{"global covers the global region", wafGlobal, "waf", GlobalRegion, true},
		{"global leaves its regional tasks' regions", wafGlobal, "waf", "eu-west-1", false},
		{"global covers regions nobody scans", wafGlobal, "waf", "sa-east-1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.scope.Covers(tt.service, tt.region); got != tt.want {
				t.Errorf("%v.Covers(%s, %s) = %v, want %v", tt.scope, tt.service, tt.region, got, tt.want)
			}
		})
	}
}

// Lambda's hourly records are kept as long as the hourly cost rows, not for ever.
func TestRollupDropsLambdaRecordsWithTheHoursRolledUp(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var records []LambdaRecord
	for h := 0; h < 5*24; h++ {
		hour := start.Add(time.Duration(h) * time.Hour)
		for _, fn := range []string{"resize", "thumbs"} {
			records = append(records, LambdaRecord{Hour: hour, Region: "us-east-1", FunctionName: fn, Invocations: float64(h), CostUSD: 0.001})
		}
	}
	if err := s.DB().CreateInBatches(records, 100).Error; err != nil {
		t.Fatal(err)
	}
	// Before the middle of day 4: days 1-3 go.
	if _, err := s.RollupCostRecords(ctx, start.Add(3*24*time.Hour+12*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var kept []LambdaRecord
	if err := s.DB().Order("hour").Find(&kept).Error; err != nil {
		t.Fatal(err)
	}
	if len(kept) != 2*2*24 {
		t.Fatalf("%d lambda records kept, want %d (days 4 and 5, two functions)", len(kept), 2*2*24)
	}
	if first := kept[0].Hour.UTC(); !first.Equal(start.Add(3 * 24 * time.Hour)) {
		t.Fatalf("oldest lambda record kept is of %v, want %v", first, start.Add(3*24*time.Hour))
	}
}
