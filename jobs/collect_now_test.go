package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"costbot/models"
)

func TestScheduleRunsAtStartOnlyWhenTheHourIsMissing(t *testing.T) {
	start := time.Date(2026, 5, 12, 10, 20, 0, 0, time.UTC)
	f := newCollectFixture(t, start, CollectorOptions{})
	f.scan(instance("i-web", "t3.micro"))
	schedule := func() (*Scheduler, chan time.Time) {
		s, err := NewScheduler(f.store, f.clock, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs := make(chan time.Time, 4)
		s.OnRunDone = func(job string, at time.Time, err error) {
			if err != nil {
				t.Errorf("%s: %v", job, err)
			}
			runs <- at
		}
		if err := f.collector.Schedule(s, time.Hour); err != nil {
			t.Fatal(err)
		}
		s.Start()
		return s, runs
	}

	due := func() bool {
		t.Helper()
		d, err := f.collector.dueAtStart(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Nothing collected yet: it runs at start-up.
	if !due() {
		t.Fatal("an empty store is not due at start-up")
	}
	s, runs := schedule()
	if at := waitRun(t, runs); !at.Equal(start) {
		t.Fatalf("first run at %v, want start-up %v", at, start)
	}
	s.Shutdown()

	// Restarted within the hour, which is collected: the next run is an interval later.
	if due() {
		t.Fatal("the collected hour is due again at start-up")
	}
	s, runs = schedule()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if at := waitRun(t, runs); !at.Equal(start.Add(time.Hour)) {
		t.Fatalf("run at %v, want %v and none at start-up", at, start.Add(time.Hour))
	}
	last, _, _ := f.store.LastCollectedHour(context.Background())
	if want := start.Add(time.Hour).Truncate(time.Hour); !last.Equal(want) {
		t.Errorf("last collected hour %v, want %v", last, want)
	}
	var recorded int64
	f.store.DB().Model(&models.JobRun{}).Where("job = ?", CollectJob).Count(&recorded)
	if recorded != 2 {
		t.Errorf("%d collect runs recorded, want 2 (start-up of the first scheduler, one interval of the second)", recorded)
	}
	// An hour later still, the new hour is due again.
	s.Shutdown()
	f.clock.Advance(time.Hour)
	if !due() {
		t.Error("a new hour is not due")
	}
}

func TestCollectNowSaysWhatItFound(t *testing.T) {
	f := newCollectFixture(t, time.Date(2026, 5, 12, 10, 5, 0, 0, time.UTC), CollectorOptions{})
	unknown := instance("i-odd", "x9.mega")
	f.scanner.set(scanResult(usEast1Tasks, []task{"ebs/us-east-1"}, instance("i-web", "t3.micro"), unknown))
	sum, err := f.collector.CollectNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Hour.Equal(time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)) || sum.Resources != 2 || sum.Unpriced != 1 ||
		len(sum.Errors) != 1 || !strings.HasPrefix(sum.Errors[0], "ebs us-east-1: ") {
		t.Errorf("summary = %+v", sum)
	}
	approx(t, "hourly", sum.HourlyUSD, t3MicroUSD)
	if run, err := f.store.LastFailedJobRun(context.Background(), CollectJob); err != nil || run != nil {
		t.Errorf("a failed collect run recorded: %+v, %v", run, err)
	}
	runs, _ := f.store.LastJobRuns(context.Background())
	if len(runs) != 1 || runs[0].Job != CollectJob || runs[0].Outcome != "partial" || !strings.Contains(runs[0].Counts, "resources=2 unpriced=1") ||
		!strings.Contains(runs[0].Error, "ebs us-east-1: access denied") {
		t.Errorf("job runs = %+v, want the /collect run recorded as partial with the failed task", runs)
	}
	if r := hourRecords(t, f.store, sum.Hour)["i-odd"]; r.PriceSource != models.SourceUnpriced || r.CostUSD != 0 {
		t.Errorf("unpriced record = %+v", r)
	}

	// A scan that cannot even identify the account writes nothing.
	f.scanner.err = errors.New("sts: get caller identity: expired token")
	f.clock.Advance(time.Hour)
	if _, err := f.collector.CollectNow(context.Background()); err == nil || !strings.Contains(err.Error(), "expired token") {
		t.Fatalf("err = %v", err)
	}
	if last, _, _ := f.store.LastCollectedHour(context.Background()); !last.Equal(sum.Hour) {
		t.Errorf("last collected hour %v after a failed scan, want %v", last, sum.Hour)
	}
	if run, _ := f.store.LastFailedJobRun(context.Background(), CollectJob); run == nil || !strings.Contains(run.Error, "expired token") {
		t.Errorf("failed run recorded as %+v", run)
	}
}

// A /collect while the hourly run is going makes no second scan: it waits for that run
// and says what it found, however many ask.
func TestCollectNowJoinsTheRunGoingOn(t *testing.T) {
	f := newCollectFixture(t, time.Date(2026, 5, 12, 10, 5, 0, 0, time.UTC), CollectorOptions{})
	f.scanner.set(scanResult(usEast1Tasks, nil, instance("i-web", "t3.micro")))
	f.scanner.entered, f.scanner.release = make(chan struct{}), make(chan struct{})
	ctx := context.Background()

	scheduled := make(chan error, 1)
	go func() {
		_, err := f.collector.Collect(ctx)
		scheduled <- err
	}()
	<-f.scanner.entered // the hourly run is scanning

	const asks = 3
	type answer struct {
		sum models.CollectSummary
		err error
	}
	answers := make(chan answer, asks)
	for range asks {
		go func() {
			sum, err := f.collector.CollectNow(ctx)
			answers <- answer{sum, err}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); f.collector.joined() < asks; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d /collect joined the run going on", f.collector.joined(), asks)
		}
		time.Sleep(time.Millisecond)
	}
	close(f.scanner.release)
	if err := <-scheduled; err != nil {
		t.Fatal(err)
	}
	for range asks {
		a := <-answers
		if a.err != nil || a.sum.Resources != 1 || !a.sum.Hour.Equal(time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("joined /collect answered %+v, %v; want the hourly run's summary", a.sum, a.err)
		}
	}
	f.scanner.mu.Lock()
	scans := f.scanner.scans
	f.scanner.mu.Unlock()
	if scans != 1 {
		t.Errorf("%d scans, want 1", scans)
	}
	if runs, _ := f.store.LastJobRuns(ctx); len(runs) != 0 {
		t.Errorf("job runs %+v: a /collect that joined recorded a run of its own", runs)
	}

	// With nothing going on, /collect scans.
	f.scanner.entered = nil
	f.clock.Advance(time.Hour)
	if _, err := f.collector.CollectNow(ctx); err != nil {
		t.Fatal(err)
	}
	if f.scanner.scans != 2 {
		t.Errorf("%d scans after a /collect with nothing going on, want 2", f.scanner.scans)
	}
}

// The bot's /collect needs exactly this method (bot.CollectNower).
var _ interface {
	CollectNow(context.Context) (models.CollectSummary, error)
} = (*Collector)(nil)
