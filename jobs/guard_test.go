package jobs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/config"
	"costbot/internal/awstest"
	"costbot/models"
)

// eventLog is a Notifier that records events and can refuse them.
type eventLog struct {
	mu     sync.Mutex
	events []models.Event
	refuse int // refuse this many calls
}

func (l *eventLog) Notify(_ context.Context, ev models.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refuse > 0 {
		l.refuse--
		return errors.New("outbox unavailable")
	}
	l.events = append(l.events, ev)
	return nil
}

func (l *eventLog) of(kind string) []models.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []models.Event
	for _, ev := range l.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func (l *eventLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

const (
	east = "us-east-1"
	west = "eu-west-1"
)

type guardFixture struct {
	t      *testing.T
	ls     *awstest.Lightsail
	clock  *clockwork.FakeClock
	store  *models.Store
	cfg    *config.Config
	events *eventLog
	guard  *Guard
}

func guardConfig(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	// LIGHTSAIL_SELF=none: no test asks the real instance metadata service.
	all := map[string]string{"LIGHTSAIL_REGIONS": east + "," + west, "LIGHTSAIL_SELF": "none"}
	for k, v := range env {
		all[k] = v
	}
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := all[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newGuardFixture(t *testing.T, start time.Time, env map[string]string) *guardFixture {
	t.Helper()
	f := &guardFixture{
		t:      t,
		ls:     awstest.StartLightsail(t),
		clock:  clockwork.NewFakeClockAt(start),
		store:  openStore(t),
		cfg:    guardConfig(t, env),
		events: &eventLog{},
	}
	f.ls.SetClock(f.clock.Now)
	f.guard = NewGuard(f.cfg, f.store, f.ls.Config(east), f.events, nil, f.clock)
	return f
}

// check runs one check and fails the test on an error.
func (f *guardFixture) check() string {
	f.t.Helper()
	counts, err := f.guard.Check(awstest.Context(f.t))
	if err != nil {
		f.t.Fatalf("check at %v: %v (%s)", f.clock.Now(), err, counts)
	}
	return counts
}

func (f *guardFixture) advanceTo(at time.Time) { f.clock.Advance(at.Sub(f.clock.Now())) }

// segment spreads bytes evenly over the 5-minute slots of [from, to).
type segment struct {
	from, to time.Time
	bytes    float64
}

// ramp is a traffic series made of segments.
func ramp(segs ...segment) awstest.TrafficFunc {
	return func(slot time.Time) float64 {
		total := 0.0
		for _, s := range segs {
			if !slot.Before(s.from) && slot.Before(s.to) {
				total += s.bytes / float64(s.to.Sub(s.from)/awstest.LightsailResolution)
			}
		}
		return total
	}
}

// seed adds a running instance with allowanceGB created long before the month.
func (f *guardFixture) seed(region, name string, allowanceGB int, in, out awstest.TrafficFunc) {
	f.ls.AddInstance(region, awstest.LightsailInstance{Name: name, Bundle: "micro_3_0", AllowanceGB: allowanceGB,
		CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if in != nil {
		f.ls.SetTraffic(region, name, "NetworkIn", in)
	}
	if out != nil {
		f.ls.SetTraffic(region, name, "NetworkOut", out)
	}
}

// usedNow is what the fake says the instance used this month until the clock.
func (f *guardFixture) usedNow(region, name string) float64 {
	start, _ := cycleBounds(f.clock.Now())
	now := f.clock.Now()
	return f.ls.TrafficBetween(region, name, "NetworkIn", start, now) + f.ls.TrafficBetween(region, name, "NetworkOut", start, now)
}

func (f *guardFixture) latest(region, name string) models.LightsailUsage {
	f.t.Helper()
	rows, err := f.store.LatestLightsailUsage(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range rows {
		if r.Region == region && r.Instance == name {
			return r
		}
	}
	f.t.Fatalf("no stored check of %s/%s among %d rows", region, name, len(rows))
	return models.LightsailUsage{}
}

func (f *guardFixture) calls(op, name string) int {
	n := 0
	for _, c := range f.ls.Calls(op) {
		if name == "" || c.Str("instanceName") == name {
			n++
		}
	}
	return n
}

func (f *guardFixture) actions(region, name string) []models.LightsailAction {
	f.t.Helper()
	a, err := f.store.LightsailActions(context.Background(), region, name, CycleOf(f.clock.Now()))
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestProratedAllowance(t *testing.T) {
	const gb = 1024.0
	tests := []struct {
		name       string
		created    time.Time
		start, end time.Time
		want       float64
	}{
		{"created before the month", time.Date(2025, 2, 20, 0, 0, 0, 0, time.UTC),
			time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), gb},
		{"created at the first second of the month", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), gb},
		{"created one second into the month", time.Date(2025, 3, 1, 0, 0, 1, 0, time.UTC),
			time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), gb * (31*86400 - 1) / (31 * 86400)},
		{"created mid-month", time.Date(2025, 3, 16, 12, 0, 0, 0, time.UTC),
			time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), gb * 15.5 / 31},
		{"created on the last day", time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC),
			time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), gb / 30},
		{"created in February of a leap year", time.Date(2024, 2, 15, 0, 0, 0, 0, time.UTC),
			time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), gb * 15 / 29},
		{"an unknown creation time", time.Time{},
			time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), gb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			near(t, "allowance", ProratedAllowance(gb, tt.created, tt.start, tt.end), tt.want)
		})
	}
}

func TestCheckMeasuresThroughTheRealClient(t *testing.T) {
	// The last hour of March: a whole month of 5-minute datapoints (8,916 of them, far
	// over the 1440 one answer may hold), which the fake answers out of order.
	now := time.Date(2025, 3, 31, 23, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, now, map[string]string{"LIGHTSAIL_WARN_PERCENTS": "99.5", "LIGHTSAIL_STOP_PERCENT": "99.9"})
	monthStart := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	f.seed(east, "busy_<web>", 1024, awstest.ConstantTraffic(1e6), ramp(segment{monthStart, now, 300e9}))
	f.seed(east, "quiet", 2048, nil, nil) // no datapoints at all: metricData is left out
	created := time.Date(2025, 3, 16, 12, 0, 0, 0, time.UTC)
	f.ls.AddInstance(west, awstest.LightsailInstance{Name: "young", AllowanceGB: 1024, CreatedAt: created})
	f.ls.SetTraffic(west, "young", "NetworkOut", awstest.ConstantTraffic(2e6))

	f.check()

	busy := f.latest(east, "busy_<web>")
	wantBusy := f.usedNow(east, "busy_<web>")
	if wantBusy < 300e9 {
		t.Fatalf("fixture: busy used %v", wantBusy)
	}
	near(t, "busy used", busy.UsedBytes, wantBusy)
	near(t, "busy allowance", busy.AllowanceBytes, 1024e9)
	near(t, "busy percent", busy.Percent, wantBusy/1024e9*100)

	quiet := f.latest(east, "quiet")
	if quiet.UsedBytes != 0 || quiet.Error != "" {
		t.Errorf("quiet: used %v, error %q; want 0 and no error", quiet.UsedBytes, quiet.Error)
	}
	near(t, "quiet allowance", quiet.AllowanceBytes, 2048e9)

	young := f.latest(west, "young")
	near(t, "young allowance (prorated)", young.AllowanceBytes, 1024e9*15.5/31)
	near(t, "young full allowance", young.FullAllowanceBytes, 1024e9)
	near(t, "young used (since its creation)", young.UsedBytes, f.usedNow(west, "young"))
	if f.calls("StopInstance", "") != 0 || f.events.count() != 0 {
		t.Errorf("nothing is over a threshold, yet stops=%d events=%d", f.calls("StopInstance", ""), f.events.count())
	}
	// By the hour from the month's start to the hour before this one, then at the native
	// 5 minutes (so the newest datapoint's time is known).
	tail := now.Truncate(time.Hour).Add(-time.Hour)
	for _, c := range f.ls.Calls("GetInstanceMetricData") {
		want := map[float64]time.Time{3600: monthStart, 300: tail}[c.Num("period")]
		if c.Str("unit") != "Bytes" || want.IsZero() || !c.Time("startTime").Equal(want) {
			t.Errorf("metric request unit %q period %v from %v; want Bytes by the hour from the month's start or by 5 minutes from %v",
				c.Str("unit"), c.Num("period"), c.Time("startTime"), tail)
		}
	}
}

// growth seeds one instance whose usage is pct[i] percent of 1000 GB at check i, one
// check every 10 minutes from start.
func growth(f *guardFixture, region, name string, start time.Time, pct ...float64) {
	growthEvery(f, region, name, start, 10*time.Minute, pct...)
}

// growthEvery is growth with checks every step.
func growthEvery(f *guardFixture, region, name string, start time.Time, step time.Duration, pct ...float64) {
	monthStart, _ := cycleBounds(start)
	var segs []segment
	prev := 0.0
	for i, p := range pct {
		end := start.Add(time.Duration(i) * step)
		from := monthStart
		if i > 0 {
			from = start.Add(time.Duration(i-1) * step)
		}
		segs = append(segs, segment{from, end, (p - prev) / 100 * 1000e9})
		prev = p
	}
	f.seed(region, name, 1000, ramp(segs...), nil)
}

func TestWarnsOnceAtEachLevelAndStopsOncePerCycle(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	// Six hours apart, the growth is too slow for the burst gate: only the levels act.
	const step = 6 * time.Hour
	growthEvery(f, east, "web_1", start, step, 81, 85, 91, 93, 96, 97, 98)

	type want struct{ warns, stops, stopCalls int }
	wants := []want{{1, 0, 0}, {1, 0, 0}, {2, 0, 0}, {2, 0, 0}, {2, 1, 1}, {2, 1, 1}, {2, 1, 1}}
	for i, w := range wants {
		f.advanceTo(start.Add(time.Duration(i) * step))
		f.check()
		got := want{len(f.events.of(models.EventLightsailWarn)), len(f.events.of(models.EventLightsailStop)), f.calls("StopInstance", "web_1")}
		if got != w {
			t.Fatalf("after check %d (%.1f%%): warns, stops, StopInstance calls = %+v, want %+v",
				i, f.latest(east, "web_1").Percent, got, w)
		}
	}
	warns := f.events.of(models.EventLightsailWarn)
	for i, level := range []float64{80, 90} {
		w := warns[i].Data.(models.LightsailWarn)
		if w.Level != level || w.Traffic.Instance != "web_1" {
			t.Errorf("warning %d: level %v for %s, want %v for web_1", i, w.Level, w.Traffic.Instance, level)
		}
		if wantKey := fmt.Sprintf("us-east-1/web_1/2025-03/warn/%g", level); warns[i].Key != wantKey {
			t.Errorf("warning key %q, want %q", warns[i].Key, wantKey)
		}
	}
	stop := f.events.of(models.EventLightsailStop)[0].Data.(models.LightsailStop)
	if !stop.Accepted || stop.DryRun || stop.Reason != models.StopReasonThreshold || stop.Restarted {
		t.Errorf("stop event %+v; want an accepted threshold stop", stop)
	}
	near(t, "stop event percent", stop.Traffic.Percent, f.ls.TrafficBetween(east, "web_1", "NetworkIn", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), start.Add(4*step))/1000e9*100)
	if f.ls.State(east, "web_1") != "stopped" {
		t.Errorf("state %q, want stopped", f.ls.State(east, "web_1"))
	}
	var stops []models.LightsailAction
	for _, a := range f.actions(east, "web_1") {
		if a.Action == "stop" {
			stops = append(stops, a)
		}
	}
	if len(stops) != 1 || stops[0].Actor != GuardActor || stops[0].Result != ResultOK || stops[0].NotifiedAt == nil || !strings.Contains(stops[0].Reason, "95") {
		t.Errorf("stop actions %+v; want one guard stop, ok, pushed, saying why", stops)
	}
}

func TestAJumpPastSeveralLevelsPushesOnlyTheHighest(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	growth(f, east, "jumpy", start, 92)
	f.check()
	warns := f.events.of(models.EventLightsailWarn)
	if len(warns) != 1 || warns[0].Data.(models.LightsailWarn).Level != 90 {
		t.Fatalf("warnings %+v; want only the 90%% one", warns)
	}
	f.advanceTo(start.Add(10 * time.Minute))
	f.check()
	if n := len(f.events.of(models.EventLightsailWarn)); n != 1 {
		t.Errorf("%d warnings after a second check; the 80%% level must not push later", n)
	}
}

func TestAFailedStopIsPushedAndTriedAgain(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	growth(f, east, "web", start, 96, 96.5, 97)
	f.ls.InjectFault(awstest.LightsailFault{Op: "StopInstance", Times: 1, Code: "AccessDeniedException", Message: "not allowed <today>"})

	if _, err := f.guard.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("check error %v; want the stop's failure", err)
	}
	failed := f.events.of(models.EventLightsailStopFailed)
	if len(failed) != 1 || !strings.Contains(failed[0].Data.(models.LightsailStopFailed).Error, "not allowed <today>") {
		t.Fatalf("stop_failed events %+v; want one with the error", failed)
	}
	if f.ls.State(east, "web") != "running" {
		t.Fatal("the failed stop stopped it")
	}

	f.advanceTo(start.Add(10 * time.Minute))
	f.check()
	if n := f.calls("StopInstance", "web"); n != 2 {
		t.Errorf("StopInstance calls %d, want 2 (the failed one and the retry)", n)
	}
	if stops := f.events.of(models.EventLightsailStop); len(stops) != 1 || !stops[0].Data.(models.LightsailStop).Accepted {
		t.Errorf("stop events %+v; want one accepted", stops)
	}
	f.advanceTo(start.Add(20 * time.Minute))
	f.check()
	if n := f.calls("StopInstance", "web"); n != 2 {
		t.Errorf("StopInstance calls %d after the stop went through, want still 2", n)
	}
}

func TestDryRunAlertsOnceAndNeverStops(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, map[string]string{"LIGHTSAIL_DRY_RUN": "true"})
	growth(f, east, "web", start, 96, 97, 99)
	for i := range 3 {
		f.advanceTo(start.Add(time.Duration(i) * 10 * time.Minute))
		f.check()
	}
	if n := f.calls("StopInstance", ""); n != 0 {
		t.Fatalf("dry run called StopInstance %d times", n)
	}
	stops := f.events.of(models.EventLightsailStop)
	if len(stops) != 1 || !stops[0].Data.(models.LightsailStop).DryRun || stops[0].Data.(models.LightsailStop).Accepted {
		t.Fatalf("stop events %+v; want one dry-run alert", stops)
	}
	if f.ls.State(east, "web") != "running" {
		t.Error("dry run stopped the instance")
	}
}

func TestAnUnlistedInstanceIsNeverTouched(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, map[string]string{"LIGHTSAIL_INSTANCES": "web"})
	growth(f, east, "web", start, 96)
	growth(f, east, "db", start, 120)
	growth(f, west, "web-eu", start, 120)
	f.check()

	if f.calls("StopInstance", "web") != 1 {
		t.Errorf("the watched instance was not stopped once")
	}
	for _, name := range []string{"db", "web-eu"} {
		for _, op := range []string{"StopInstance", "GetInstance", "GetInstanceMetricData"} {
			if n := f.calls(op, name); n != 0 {
				t.Errorf("%s called %d times for the unlisted %s", op, n, name)
			}
		}
		if err := f.guard.Stop(context.Background(), east, name, "1001"); !errors.Is(err, ErrNotWatched) {
			t.Errorf("Stop(%s) = %v, want ErrNotWatched", name, err)
		}
	}
	if f.calls("StopInstance", "db")+f.calls("StopInstance", "web-eu") != 0 || f.ls.State(east, "db") != "running" {
		t.Error("an unlisted instance was stopped")
	}
}

func TestBurstGateStopsBeforeTheThreshold(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	// 50% at 08:00, 90% at 08:50: 48%/h, so 98% by the 09:00 check.
	monthStart, _ := cycleBounds(start)
	f.seed(east, "bursty", 1000, ramp(segment{monthStart, start, 500e9}, segment{start, start.Add(50 * time.Minute), 400e9}), nil)
	// Slow and steady: 50% then 60% — never near 95% by the next check.
	f.seed(east, "steady", 1000, ramp(segment{monthStart, start, 500e9}, segment{start, start.Add(50 * time.Minute), 100e9}), nil)
	f.check()
	f.advanceTo(start.Add(50 * time.Minute))
	f.check()

	if f.calls("StopInstance", "bursty") != 1 || f.calls("StopInstance", "steady") != 0 {
		t.Fatalf("StopInstance bursty=%d steady=%d, want 1 and 0", f.calls("StopInstance", "bursty"), f.calls("StopInstance", "steady"))
	}
	stops := f.events.of(models.EventLightsailStop)
	if len(stops) != 1 {
		t.Fatalf("stop events %d, want 1", len(stops))
	}
	s := stops[0].Data.(models.LightsailStop)
	if s.Reason != models.StopReasonBurst || s.Burst == nil || s.Traffic.Percent >= 95 || s.Burst.ProjectedPercent < 95 {
		t.Errorf("stop %+v (burst %+v); want a burst stop below 95%% projecting past it", s, s.Burst)
	}
	near(t, "burst rate (bytes/h)", s.Burst.RateBytesPerHour, 400e9/(50.0/60))
}

func TestAStopUndoneByAPersonIsStoppedAgain(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	growth(f, east, "web", start, 96, 96, 96)
	f.check()
	f.ls.SetState(east, "web", "running") // someone started it in the console
	f.advanceTo(start.Add(10 * time.Minute))
	f.check()
	if n := f.calls("StopInstance", "web"); n != 2 {
		t.Fatalf("StopInstance %d times, want 2", n)
	}
	stops := f.events.of(models.EventLightsailStop)
	if len(stops) != 2 || !stops[1].Data.(models.LightsailStop).Restarted || stops[0].Key == stops[1].Key {
		t.Fatalf("stop events %+v; want a second one saying it was started again, with its own key", stops)
	}
}

func TestAutoStartAtTheNewCycleOnlyWhatTheGuardStopped(t *testing.T) {
	start := time.Date(2025, 3, 31, 23, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, map[string]string{"LIGHTSAIL_AUTO_START": "true"})
	growth(f, east, "guarded", start, 96)
	growth(f, east, "manual", start, 10)
	f.check()
	if err := f.guard.Stop(context.Background(), east, "manual", "1001"); err != nil {
		t.Fatal(err)
	}
	if f.ls.State(east, "guarded") != "stopped" || f.ls.State(east, "manual") != "stopped" {
		t.Fatal("fixture: both should be stopped")
	}
	f.advanceTo(start.Add(50 * time.Minute)) // still March
	f.check()
	if n := f.calls("StartInstance", ""); n != 0 {
		t.Fatalf("started %d instances before the new cycle", n)
	}

	f.advanceTo(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC))
	f.check()
	f.advanceTo(time.Date(2025, 4, 1, 0, 10, 0, 0, time.UTC))
	f.check()
	if f.calls("StartInstance", "guarded") != 1 || f.calls("StartInstance", "manual") != 0 {
		t.Fatalf("StartInstance guarded=%d manual=%d, want 1 and 0", f.calls("StartInstance", "guarded"), f.calls("StartInstance", "manual"))
	}
	starts := f.events.of(models.EventLightsailStart)
	if len(starts) != 1 {
		t.Fatalf("start events %d, want 1", len(starts))
	}
	s := starts[0].Data.(models.LightsailStart)
	if !s.Accepted || s.PreviousCycle != "2025-03" || s.Traffic.Instance != "guarded" {
		t.Errorf("start event %+v", s)
	}
	if f.ls.State(east, "manual") != "stopped" {
		t.Error("the instance a person stopped was started")
	}
}

func TestARegionThatFailsDoesNotSpoilTheOthers(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	growth(f, east, "web", start, 96, 96)
	growth(f, west, "eu", start, 50, 50)
	f.ls.InjectFault(awstest.LightsailFault{Op: "GetInstances", Region: west, Code: "ServiceUnavailableException", Status: 400})

	counts, err := f.guard.Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), west) {
		t.Fatalf("check error %v; want the failing region named", err)
	}
	if !strings.Contains(counts, "regions_failed=1") || f.calls("StopInstance", "web") != 1 {
		t.Fatalf("counts %q, web stops %d; want the other region checked and enforced", counts, f.calls("StopInstance", "web"))
	}
	f.ls.ClearFaults()
	f.advanceTo(start.Add(10 * time.Minute))
	f.check()
	if f.latest(west, "eu").Percent < 49 {
		t.Error("the region was not checked again after it recovered")
	}
}

func TestARecreatedInstanceKeepsTheMonthsUsage(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	growth(f, east, "web", start, 60)
	f.check()
	first := f.latest(east, "web")

	f.ls.RemoveInstance(east, "web")
	recreated := start.Add(5 * time.Minute)
	f.ls.AddInstance(east, awstest.LightsailInstance{Name: "web", Bundle: "micro_3_0", AllowanceGB: 1000, CreatedAt: recreated})
	f.ls.SetTraffic(east, "web", "NetworkIn", ramp(segment{recreated, recreated.Add(time.Hour), 200e9}))
	f.advanceTo(recreated.Add(time.Hour))
	f.check()

	second := f.latest(east, "web")
	own := f.usedNow(east, "web")
	if second.InstanceID == first.InstanceID {
		t.Fatal("fixture: the recreated instance has the same identity")
	}
	near(t, "carried bytes", second.CarriedBytes, first.OwnBytes)
	near(t, "used bytes", second.UsedBytes, first.OwnBytes+own)
	// One allowance for the name: the first instance's (it existed all month), not the
	// recreated one's prorated share.
	near(t, "allowance", second.AllowanceBytes, 1000e9)
	near(t, "percent", second.Percent, (first.OwnBytes+own)/1000e9*100)
}

func TestAPushTheNotifierRefusedIsRaisedAgain(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	growth(f, east, "web", start, 82, 83)
	f.events.refuse = 1
	if _, err := f.guard.Check(context.Background()); err == nil {
		t.Fatal("a refused push must make the check report an error")
	}
	if f.events.count() != 0 {
		t.Fatal("fixture: the push was taken")
	}
	f.advanceTo(start.Add(10 * time.Minute))
	f.check()
	warns := f.events.of(models.EventLightsailWarn)
	if len(warns) != 1 || warns[0].Key != "us-east-1/web/2025-03/warn/80" {
		t.Fatalf("warnings %+v; want the refused one raised again, once", warns)
	}
	f.advanceTo(start.Add(20 * time.Minute))
	f.check()
	if n := len(f.events.of(models.EventLightsailWarn)); n != 1 {
		t.Errorf("%d warnings; a taken push must not be raised again", n)
	}
}

func TestAStopInterruptedByARestartIsPushedWhenFoundDone(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	growth(f, east, "web", start, 97)
	// The previous costbot recorded the stop as under way, sent it and died.
	if err := f.store.AddLightsailAction(context.Background(), &models.LightsailAction{
		At: start.Add(-10 * time.Minute), Cycle: "2025-03", Region: east, Instance: "web", Action: "stop", Actor: GuardActor, Result: ResultPending,
	}); err != nil {
		t.Fatal(err)
	}
	f.ls.SetState(east, "web", "stopped")
	f.check()
	if n := f.calls("StopInstance", ""); n != 0 {
		t.Fatalf("StopInstance called %d times for an instance already stopped", n)
	}
	stops := f.events.of(models.EventLightsailStop)
	if len(stops) != 1 || !stops[0].Data.(models.LightsailStop).Recovered {
		t.Fatalf("stop events %+v; want the interrupted stop pushed once", stops)
	}
}

func TestEstimateStop(t *testing.T) {
	now := time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)
	end := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	at := func(ago time.Duration, used float64) models.LightsailUsage {
		return models.LightsailUsage{CheckedAt: now.Add(-ago), UsedBytes: used}
	}
	tests := []struct {
		name    string
		history []models.LightsailUsage
		used    float64
		want    models.StopEstimate
	}{
		{"no history", nil, 10, models.StopEstimate{Status: models.EstimateUnknown}},
		{"history too short", []models.LightsailUsage{at(10*time.Minute, 5)}, 10, models.StopEstimate{Status: models.EstimateUnknown}},
		{"idle", []models.LightsailUsage{at(24*time.Hour, 10)}, 10, models.StopEstimate{Status: models.EstimateIdle}},
		{"reached", []models.LightsailUsage{at(24*time.Hour, 90)}, 100, models.StopEstimate{Status: models.EstimateReached, RateBytesPerHour: 10.0 / 24}},
		{"in ten hours", []models.LightsailUsage{at(24*time.Hour, 40), at(time.Hour, 60)}, 64, models.StopEstimate{Status: models.EstimateAt, At: now.Add(10 * time.Hour), RateBytesPerHour: 1}},
		{"after the cycle", []models.LightsailUsage{at(24*time.Hour, 23)}, 24, models.StopEstimate{Status: models.EstimateAfterCycle, RateBytesPerHour: 1.0 / 24}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EstimateStop(tt.history, now, tt.used, 74, end)
			if got.Status != tt.want.Status || !got.At.Equal(tt.want.At) || math.Abs(got.RateBytesPerHour-tt.want.RateBytesPerHour) > 1e-9 {
				t.Errorf("EstimateStop = %+v, want %+v", got, tt.want)
			}
		})
	}
}
