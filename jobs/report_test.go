package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/models"
)

// outboxNotifier queues an event for each chat the way the bot does: one outbox row per
// chat, de-duplicated by kind and key.
type outboxNotifier struct {
	store *models.Store
	chats []int64
}

func (n outboxNotifier) Notify(ctx context.Context, ev models.Event) error {
	for _, chat := range n.chats {
		if _, err := n.store.Enqueue(ctx, chat, []string{fmt.Sprintf("%s %s", ev.Kind, ev.Key)}, "HTML", ev.Kind+"/"+ev.Key); err != nil {
			return err
		}
	}
	return nil
}

func outboxRows(t *testing.T, s *models.Store) []models.OutboxMessage {
	t.Helper()
	var rows []models.OutboxMessage
	if err := s.DB().Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func newReportScheduler(t *testing.T, store *models.Store, clock clockwork.Clock, r *Reporter) (*Scheduler, chan time.Time) {
	t.Helper()
	s, err := NewScheduler(store, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := make(chan time.Time, 4)
	s.OnRunDone = func(job string, at time.Time, err error) {
		if err != nil {
			t.Errorf("%s failed: %v", job, err)
		}
		runs <- at
	}
	if err := r.Schedule(s); err != nil {
		t.Fatal(err)
	}
	s.Start()
	return s, runs
}

func TestDailyReportAt1558UTCOncePerDayAcrossARestart(t *testing.T) {
	store := openStore(t)
	cfg := guardConfig(t, nil) // REPORT_TIME 23:58, REPORT_TZ Asia/Shanghai by default
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC))
	notifier := outboxNotifier{store: store, chats: []int64{1001, -100500}}

	first := NewReporter(cfg, store, notifier, clock)
	s, runs := newReportScheduler(t, store, clock, first)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(58 * time.Minute)
	if at := waitRun(t, runs); !at.Equal(time.Date(2026, 11, 22, 15, 58, 0, 0, time.UTC)) {
		t.Fatalf("report ran at %v, want 15:58 UTC", at)
	}
	rows := outboxRows(t, store)
	if len(rows) != 2 || *rows[0].DedupKey != "1001:report.daily/2026-11-22" {
		t.Fatalf("outbox %+v; want the 2026-11-22 report once per chat", rows)
	}
	s.Shutdown()

	// costbot restarts a minute later: a new reporter over the same database.
	clock.Advance(time.Minute)
	second := NewReporter(cfg, store, notifier, clock)
	s2, _ := newReportScheduler(t, store, clock, second)
	defer s2.Shutdown()
	if counts, err := second.Send(context.Background()); err != nil {
		t.Fatalf("send after the restart: %v (%s)", err, counts)
	}
	if n := len(outboxRows(t, store)); n != 2 {
		t.Fatalf("%d outbox rows after the restart, want still 2", n)
	}
	if next := s2.NextRun(ReportJob); !next.Equal(time.Date(2026, 11, 23, 15, 58, 0, 0, time.UTC)) {
		t.Errorf("next report at %v, want tomorrow 15:58 UTC", next.UTC())
	}
}

func TestAReportTooLateForItsDayIsNotSent(t *testing.T) {
	store := openStore(t)
	cfg := guardConfig(t, nil)
	// 08:00 in Shanghai the next morning: yesterday's 23:58 report is over.
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	events := &eventLog{}
	counts, err := NewReporter(cfg, store, events, clock).Send(context.Background())
	if err != nil || events.count() != 0 {
		t.Fatalf("late send: %q, %v, %d events; want nothing sent", counts, err, events.count())
	}
	// Just after midnight in Shanghai, two minutes late: still the previous day's report.
	clock = clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 16, 0, 0, 0, time.UTC))
	if _, err := NewReporter(cfg, store, events, clock).Send(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := events.of(models.EventReportDaily); len(got) != 1 || got[0].Key != "2026-11-22" {
		t.Fatalf("events %+v; want the 2026-11-22 report", got)
	}
}

func TestReportFigures(t *testing.T) {
	store := openStore(t)
	cfg := guardConfig(t, map[string]string{"LIGHTSAIL_INSTANCES": "web"})
	now := time.Date(2026, 11, 22, 15, 58, 0, 0, time.UTC) // 23:58 in Shanghai
	clock := clockwork.NewFakeClockAt(now)
	ctx := context.Background()

	// Hourly costs: 1.00 per hour from the 21st 10:00 UTC to 15:00 UTC today.
	latest := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	first := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	hours := 0
	for h := first; !h.After(latest); h = h.Add(time.Hour) {
		if err := store.DB().Create(&models.CostSummary{Hour: h, Service: "ec2", Region: east, CostUSD: 1}).Error; err != nil {
			t.Fatal(err)
		}
		hours++
	}
	shanghaiMidnight := time.Date(2026, 11, 21, 16, 0, 0, 0, time.UTC)
	wantToday := float64(latest.Sub(shanghaiMidnight)/time.Hour + 1)
	wantForecast := float64(hours) + time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Sub(latest.Add(time.Hour)).Hours()

	// The guard's latest checks: a watched instance, and one no longer watched.
	if err := store.SaveLightsailChecks(ctx, "", east, "2026-11", now.Add(-5*time.Minute), []models.LightsailUsage{
		{Instance: "web", UsedBytes: 500e9, AllowanceBytes: 1000e9, Percent: 50, EstimateStatus: models.EstimateIdle},
		{Instance: "old", UsedBytes: 1, AllowanceBytes: 1000e9},
	}); err != nil {
		t.Fatal(err)
	}

	ev, err := NewReporter(cfg, store, &fakeNotifier{}, clock).Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := ev.Data.(models.DailyReport)
	if ev.Kind != models.EventReportDaily || ev.Key != "2026-11-22" || d.Date != "2026-11-22" || !d.HasCost {
		t.Fatalf("report %s %s %+v", ev.Kind, ev.Key, d)
	}
	near(t, "today", d.TodayUSD, wantToday)
	near(t, "month", d.MonthUSD, float64(hours))
	near(t, "forecast", d.ForecastUSD, wantForecast)
	if len(d.Instances) != 1 || d.Instances[0].Instance != "web" || d.Instances[0].Percent != 50 {
		t.Errorf("instances %+v; want only the watched one", d.Instances)
	}
}
