package jobs

import (
	"context"
	"slices"
	"testing"
	"time"

	"costbot/models"
)

func in(r models.Resource, region string) models.Resource {
	r.Region = region
	return r
}

func TestNewResourceAlertOnceAndNeverForABaseline(t *testing.T) {
	ctx := context.Background()
	f := newCollectFixture(t, time.Date(2026, 5, 12, 8, 5, 0, 0, time.UTC),
		CollectorOptions{NewResourceUSD: 20, BurnJumpPercent: 30, MonthlyBudgetUSD: 1000})
	tasks := []task{"ec2/us-east-1", "ec2/ap-northeast-1", "ebs/us-east-1"}
	old, tokyo := instance("i-old", "m5.large"), in(instance("i-tokyo", "m5.large"), "ap-northeast-1")

	// The first collection of an empty store is a baseline: the m5.large ($70/month)
	// raises nothing. Tokyo fails this time.
	f.scanner.set(scanResult(tasks, []task{"ec2/ap-northeast-1"}, old, tokyo))
	f.collect(t)
	if got := f.notifier.all(); len(got) != 0 {
		t.Fatalf("the baseline raised %v", got)
	}

	// Tokyo answers for the first time: its instance is a baseline too. In us-east-1 a
	// c5.xlarge ($124/month) and a t3.micro ($7.59/month, under $20) appear.
	f.clock.Advance(time.Hour)
	f.scanner.set(scanResult(tasks, nil, old, tokyo, instance("i-new", "c5.xlarge"), instance("i-small", "t3.micro")))
	f.collect(t)
	alerts := f.notifier.of(models.EventNewResource)
	if len(alerts) != 1 {
		t.Fatalf("new resource alerts = %v, want one for i-new", alerts)
	}
	a := alerts[0].Data.(models.NewResourceAlert)
	if alerts[0].Key != account+"/ec2/us-east-1/i-new" || a.ID != "i-new" || a.Type != "c5.xlarge" || a.Threshold != 20 ||
		a.Source != models.SourceAPI || !a.SeenAt.Equal(f.clock.Now()) {
		t.Errorf("alert = %+v (key %s)", a, alerts[0].Key)
	}
	approx(t, "alert monthly", a.MonthlyUSD, c5XLargeUSD*models.HoursPerMonth)

	// Collected again in the same hour and in the next: no second alert.
	f.collect(t)
	f.clock.Advance(time.Hour)
	f.collect(t)
	if n := len(f.notifier.of(models.EventNewResource)); n != 1 {
		t.Errorf("%d new resource alerts, want 1", n)
	}
	var queued int64
	f.store.DB().Model(&models.CostEvent{}).Where("kind = ?", models.EventNewResource).Count(&queued)
	if queued != 1 {
		t.Errorf("%d new resource events stored, want 1", queued)
	}
	if pending, _ := f.store.PendingCostEvents(ctx); len(pending) != 0 {
		t.Errorf("pending events %v", pending)
	}
}

func TestBurnJumpAlertsOncePerJump(t *testing.T) {
	f := newCollectFixture(t, time.Date(2026, 5, 12, 0, 5, 0, 0, time.UTC), CollectorOptions{BurnJumpPercent: 30})
	small := []models.Resource{instance("i-web", "t3.micro")}
	big := []models.Resource{instance("i-web", "t3.micro"), instance("i-batch", "m5.large")}
	hours := [][]models.Resource{small, small, small, small, small, // 00-04
		big,   // 05: only 5 hours known, too few to judge
		small, // 06
		big,   // 07: a jump, alerted
		big,   // 08: the same jump, not again
		small, // 09: back to normal
		big,   // 10: a new jump
	}
	var keys []string
	for i, rs := range hours {
		f.scan(rs...)
		f.collect(t)
		jumps := f.notifier.of(models.EventBurnJump)
		if len(jumps) > len(keys) {
			keys = append(keys, jumps[len(jumps)-1].Key)
			if len(jumps) != len(keys) {
				t.Fatalf("hour %02d raised %d jumps at once", i, len(jumps)-len(keys)+1)
			}
		}
		f.clock.Advance(time.Hour)
	}
	want := []string{"2026-05-12T07:00:00Z", "2026-05-12T10:00:00Z"}
	if !slices.Equal(keys, want) {
		t.Fatalf("burn jumps at %v, want %v", keys, want)
	}
	j := f.notifier.of(models.EventBurnJump)[0].Data.(models.BurnJumpAlert)
	approx(t, "median", j.MedianUSD, t3MicroUSD)
	approx(t, "hourly", j.HourlyUSD, t3MicroUSD+m5LargeUSD)
	approx(t, "jump %", j.JumpPercent, ((t3MicroUSD+m5LargeUSD)/t3MicroUSD-1)*100)
	if j.Threshold != 30 || !j.Hour.Equal(time.Date(2026, 5, 12, 7, 0, 0, 0, time.UTC)) ||
		len(j.TopServices) != 1 || j.TopServices[0].Service != "ec2" {
		t.Errorf("alert = %+v", j)
	}
}

func TestBudgetAlertsOncePerCrossing(t *testing.T) {
	const budget = 1.0
	start := time.Date(2026, 5, 30, 12, 5, 0, 0, time.UTC)
	f := newCollectFixture(t, start, CollectorOptions{MonthlyBudgetUSD: budget})
	small := []models.Resource{instance("i-web", "t3.micro")}
	big := []models.Resource{instance("i-web", "t3.micro"), instance("i-build", "c5.xlarge")}
	rate := func(rs []models.Resource) float64 {
		if len(rs) == 2 {
			return t3MicroUSD + c5XLargeUSD
		}
		return t3MicroUSD
	}
	steps := []struct {
		rs      []models.Resource
		wantKey string // the budget alert this hour raises, "" for none
	}{
		{small, ""},        // 12:00 forecast $0.37
		{big, "2026-05#1"}, // 13:00 forecast above $1
		{big, ""},          // 14:00 still above: not again
		{small, ""},        // 15:00 back below
		{big, "2026-05#2"}, // 16:00 above again: once more
		{big, ""},          // 17:00
	}
	soFar := 0.0
	for i, st := range steps {
		f.scan(st.rs...)
		before := len(f.notifier.of(models.EventBudget))
		f.collect(t)
		hour := f.clock.Now().Truncate(time.Hour)
		soFar += rate(st.rs)
		got := f.notifier.of(models.EventBudget)
		switch {
		case st.wantKey == "" && len(got) != before:
			t.Fatalf("step %d (%s): unexpected budget alert %v", i, hour.Format(time.RFC3339), got[before:])
		case st.wantKey != "":
			if len(got) != before+1 || got[before].Key != st.wantKey {
				t.Fatalf("step %d (%s): alerts %v, want %s", i, hour.Format(time.RFC3339), got[before:], st.wantKey)
			}
			a := got[before].Data.(models.BudgetAlert)
			left := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).Sub(hour.Add(time.Hour)).Hours()
			approx(t, "so far", a.SoFarUSD, soFar)
			approx(t, "forecast", a.ForecastUSD, soFar+rate(st.rs)*left)
			if a.Month != "2026-05" || a.BudgetUSD != budget || a.ForecastUSD <= budget {
				t.Errorf("alert = %+v", a)
			}
		}
		f.clock.Advance(time.Hour)
	}

	// A new month is judged on its own: June's first hour is above the budget too.
	f.advanceTo(time.Date(2026, 6, 1, 0, 5, 0, 0, time.UTC))
	f.collect(t)
	got := f.notifier.of(models.EventBudget)
	if len(got) != 3 || got[2].Key != "2026-06#1" {
		t.Fatalf("budget alerts %v, want a third for June", got)
	}
	approx(t, "June forecast", got[2].Data.(models.BudgetAlert).ForecastUSD, (t3MicroUSD+c5XLargeUSD)*30*24)
}
