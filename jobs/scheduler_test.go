package jobs

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/models"
)

func openStore(t *testing.T) *models.Store {
	t.Helper()
	s, err := models.Open(filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func waitRun(t *testing.T, ch <-chan time.Time) time.Time {
	t.Helper()
	select {
	case at := <-ch:
		return at
	case <-time.After(10 * time.Second):
		t.Fatal("job did not run")
		return time.Time{}
	}
}

func TestEveryRunsAtStartAndEachInterval(t *testing.T) {
	store := openStore(t)
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(start)
	s, err := NewScheduler(store, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := make(chan time.Time, 10)
	s.OnRunDone = func(job string, at time.Time, err error) { runs <- at }
	if err := s.Every("guard", 10*time.Minute, true, func(ctx context.Context) (string, error) {
		return "instances=2", nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { s.Shutdown() })

	if at := waitRun(t, runs); !at.Equal(start) {
		t.Fatalf("first run at %v, want start-up %v", at, start)
	}
	// Move the fake clock a minute at a time: the next run comes once ten minutes have
	// passed, not before. (gocron arms its timer asynchronously, so the test steps rather
	// than jumping straight to the due time.)
	var second time.Time
	for step := 1; step <= 30 && second.IsZero(); step++ {
		clock.Advance(time.Minute)
		select {
		case second = <-runs:
		case <-time.After(100 * time.Millisecond):
		}
	}
	if second.Before(start.Add(10*time.Minute)) || second.After(start.Add(12*time.Minute)) {
		t.Fatalf("second run at %v, want ten minutes after %v", second, start)
	}
	if next := s.NextRun("guard"); next.IsZero() {
		t.Error("NextRun unknown")
	}
}

func TestDailyAtFiresAt1558UTCForShanghai(t *testing.T) {
	store := openStore(t)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC))
	s, err := NewScheduler(store, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := make(chan time.Time, 4)
	if err := s.DailyAt("report", 23, 58, shanghai, func(ctx context.Context) (string, error) {
		runs <- clock.Now()
		return "", nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { s.Shutdown() })
	want := time.Date(2026, 11, 22, 15, 58, 0, 0, time.UTC)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Once the scheduler's timer exists, its next run is known.
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if next := s.NextRun("report"); !next.Equal(want) {
		t.Fatalf("next report at %v, want %v", next.UTC(), want)
	}
	clock.Advance(58 * time.Minute)
	if at := waitRun(t, runs); !at.Equal(want) {
		t.Fatalf("report ran at %v, want %v", at, want)
	}
}

func TestRunOnceRecordsOutcomeAndSurvivesPanic(t *testing.T) {
	store := openStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	s, err := NewScheduler(store, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.RunOnce(ctx, "collect", func(context.Context) (string, error) { return "resources=3", nil }); err != nil {
		t.Fatal(err)
	}
	_, err = s.RunOnce(ctx, "guard", func(context.Context) (string, error) { panic("boom") })
	if err == nil {
		t.Fatal("panic not turned into an error")
	}
	_, err = s.RunOnce(ctx, "report", func(context.Context) (string, error) { return "", errors.New("telegram down") })
	if err == nil {
		t.Fatal("error lost")
	}
	runs, err := store.LastJobRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]models.JobRun{}
	for _, r := range runs {
		got[r.Job] = r
	}
	if r := got["collect"]; r.Outcome != "ok" || r.Counts != "resources=3" || r.FinishedAt == nil {
		t.Errorf("collect run = %+v", r)
	}
	if r := got["guard"]; r.Outcome != "failed" || r.Error == "" {
		t.Errorf("guard run = %+v", r)
	}
	if r := got["report"]; r.Outcome != "failed" || r.Error != "telegram down" {
		t.Errorf("report run = %+v", r)
	}
}
