package jobs

import (
	"context"
	"errors"
	"math"
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
	start, _ := models.MonthBounds(f.clock.Now())
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
	a, err := f.store.LightsailActions(context.Background(), "", region, name, CycleOf(f.clock.Now()))
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

// growth seeds one instance whose usage is pct[i] percent of 1000 GB at check i, one
// check every 10 minutes from start.
func growth(f *guardFixture, region, name string, start time.Time, pct ...float64) {
	growthEvery(f, region, name, start, 10*time.Minute, pct...)
}

// growthEvery is growth with checks every step.
func growthEvery(f *guardFixture, region, name string, start time.Time, step time.Duration, pct ...float64) {
	monthStart, _ := models.MonthBounds(start)
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
