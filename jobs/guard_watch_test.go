package jobs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"costbot/aws"
	"costbot/internal/awstest"
	"costbot/models"
)

func TestAPoolOfTheSameBundleStopsTheNextInstance(t *testing.T) {
	// The docs' example through the fake: a 1 TB plan deleted at 60 %, another of the
	// same bundle created under a new name; the guard stops the new one when the two
	// together reach 95 % of 1 TB.
	start := time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	monthStart, _ := models.MonthBounds(start)
	f.ls.AddInstance(east, awstest.LightsailInstance{Name: "blog", Bundle: "nano_3_0", AllowanceGB: 1000,
		CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	f.ls.SetTraffic(east, "blog", "NetworkOut", ramp(segment{monthStart, start, 600e9}))
	// Beside it, an instance of another plan that is not part of the pool.
	f.seed(east, "other", 1000, ramp(segment{monthStart, start, 100e9}), nil)
	f.check()
	if got := f.latest(east, "blog").UsedBytes; got < 599e9 {
		t.Fatalf("fixture: blog used %v", got)
	}

	f.ls.RemoveInstance(east, "blog")
	created := start.Add(24 * time.Hour)
	f.ls.AddInstance(east, awstest.LightsailInstance{Name: "blog-new", Bundle: "nano_3_0", AllowanceGB: 1000, CreatedAt: created})
	// 400 GB out over four hours: 90 % of the pool after three, 100 % after four.
	f.ls.SetTraffic(east, "blog-new", "NetworkOut", ramp(segment{created, created.Add(4 * time.Hour), 400e9}))

	steps := []struct {
		at       time.Duration
		stopped  bool
		carriedG float64
	}{
		{time.Hour, false, 600},
		{2 * time.Hour, false, 600},
		{3 * time.Hour, false, 600},
		{3*time.Hour + 50*time.Minute, true, 600},
	}
	for _, s := range steps {
		f.advanceTo(created.Add(s.at))
		f.check()
		row := f.latest(east, "blog-new")
		near(t, "carried GB", row.CarriedBytes/models.GB, s.carriedG)
		near(t, "allowance (the pool's, not prorated from the 11th)", row.AllowanceBytes, 1000e9)
		near(t, "used", row.UsedBytes, 600e9+f.usedNow(east, "blog-new"))
		if got := f.calls("StopInstance", "blog-new") == 1; got != s.stopped {
			t.Fatalf("at %v (%.1f%%): stopped %v, want %v", s.at, row.Percent, got, s.stopped)
		}
		tr := row.Traffic()
		if len(tr.CarriedFrom) != 1 || tr.CarriedFrom[0].Instance != "blog" {
			t.Errorf("carried from %+v, want blog", tr.CarriedFrom)
		}
	}
	if f.calls("StopInstance", "other") != 0 || f.latest(east, "other").CarriedBytes != 0 {
		t.Error("the instance of another bundle shares the pool")
	}
	// Carried once: a later instance of the bundle carries nothing.
	later := created.Add(5 * time.Hour)
	f.ls.AddInstance(east, awstest.LightsailInstance{Name: "blog-third", Bundle: "nano_3_0", AllowanceGB: 1000, CreatedAt: later})
	f.advanceTo(later.Add(10 * time.Minute))
	f.check()
	if c := f.latest(east, "blog-third").CarriedBytes; c != 0 {
		t.Errorf("a later instance of the bundle carries %v bytes; the deleted one is carried once", c)
	}
}

func TestBlindAfterThirtyMinutesWithoutDatapoints(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	quietFrom := start.Add(20 * time.Minute) // the last datapoint is the 08:15 one
	resume := start.Add(2 * time.Hour)
	f.seed(east, "web", 1000, func(slot time.Time) float64 {
		if !slot.Before(quietFrom) && slot.Before(resume) {
			return awstest.NoDatapoint
		}
		return 1e6
	}, nil)
	last := quietFrom.Add(-awstest.LightsailResolution)
	for i := range 16 {
		now := start.Add(time.Duration(i) * 10 * time.Minute)
		f.advanceTo(now)
		f.check()
		row := f.latest(east, "web")
		wantBlind := now.Sub(last) > 30*time.Minute && now.Before(resume.Add(5*time.Minute))
		if row.Blind != wantBlind {
			t.Fatalf("at %s (newest datapoint %s): blind %v, want %v", now.Format("15:04"), last.Format("15:04"), row.Blind, wantBlind)
		}
		if row.Blind && (row.UsedBytes == 0 || row.LastGoodAt == nil || !row.LastGoodAt.Equal(last)) {
			t.Errorf("a blind row shows used %v, last good %v; want the last reading and %v", row.UsedBytes, row.LastGoodAt, last)
		}
	}
	if n := len(f.events.of(models.EventLightsailBlind)); n != 1 {
		t.Errorf("%d blind pushes, want one for the spell", n)
	}
	b := f.events.of(models.EventLightsailBlind)[0].Data.(models.LightsailBlind)
	if b.Reason != models.BlindNoData || !b.Traffic.LastGoodAt.Equal(last) {
		t.Errorf("blind push %+v; want no data since %v", b, last)
	}
}

func TestAReadFailureIsBlindNotZero(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	growth(f, east, "web", start, 50, 50, 50)
	f.check()
	f.advanceTo(start.Add(10 * time.Minute))
	f.check()
	f.ls.InjectFault(awstest.LightsailFault{Op: "GetInstanceMetricData", Region: east, Code: "AccessDeniedException"})
	f.advanceTo(start.Add(20 * time.Minute))
	if _, err := f.guard.Check(context.Background()); err == nil {
		t.Fatal("a failed read must fail the check")
	}
	row := f.latest(east, "web")
	if !row.Blind || row.Error == "" || row.Percent < 49 {
		t.Errorf("row blind %v error %q percent %v; want blind with the last good 50%%", row.Blind, row.Error, row.Percent)
	}
	blind := f.events.of(models.EventLightsailBlind)
	if len(blind) != 1 || blind[0].Data.(models.LightsailBlind).Reason != models.BlindReadFailed {
		t.Errorf("blind pushes %+v; want one saying the reads failed", blind)
	}
}

func TestARegionFailingThreeChecksRunningIsPushedOnceAndOnRecovery(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	growth(f, west, "eu", start, 10)
	f.ls.Fail("GetInstances", "ServiceUnavailableException", "try later")
	want := []int{0, 0, 1, 1, 1} // region-down pushes after each failed check
	for i, w := range want {
		f.advanceTo(start.Add(time.Duration(i) * 10 * time.Minute))
		f.guard.Check(context.Background())
		downs := f.events.of(models.EventLightsailRegionDown)
		if len(downs) != 2*w { // both regions fail: one push each
			t.Fatalf("after failed check %d: %d region-down pushes, want %d", i+1, len(downs), 2*w)
		}
	}
	d := f.events.of(models.EventLightsailRegionDown)[0].Data.(models.LightsailRegionDown)
	if d.Failures != 3 || !d.Since.Equal(start) || !strings.Contains(d.Error, "try later") {
		t.Errorf("region-down push %+v", d)
	}
	if n := len(f.events.of(models.EventLightsailRegionUp)); n != 0 {
		t.Fatalf("%d recoveries pushed while down", n)
	}
	f.ls.ClearFaults()
	for i := range 2 {
		f.advanceTo(start.Add(time.Duration(5+i) * 10 * time.Minute))
		f.check()
	}
	if n := len(f.events.of(models.EventLightsailRegionUp)); n != 2 {
		t.Errorf("%d recoveries pushed, want one per region", n)
	}
}

// heartbeatServer records the paths it is asked for; hang makes it answer only when
// the test ends.
type heartbeatServer struct {
	*httptest.Server
	got     chan string
	release chan struct{}
}

func startHeartbeat(t *testing.T, hang bool) *heartbeatServer {
	t.Helper()
	h := &heartbeatServer{got: make(chan string, 16), release: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.got <- r.Method + " " + r.URL.Path
		if hang {
			<-h.release
		}
	}))
	t.Cleanup(func() { close(h.release); h.Close() })
	return h
}

func (h *heartbeatServer) next(t *testing.T) string {
	t.Helper()
	select {
	case p := <-h.got:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("the heartbeat was not called")
		return ""
	}
}

func TestHeartbeatAfterEachCheck(t *testing.T) {
	hb := startHeartbeat(t, false)
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, map[string]string{"GUARD_HEARTBEAT_URL": hb.URL + "/ping/abc"})
	growth(f, east, "web", start, 10, 10, 10)
	f.check()
	if got := hb.next(t); got != "GET /ping/abc" {
		t.Errorf("after a complete check: %q, want GET /ping/abc", got)
	}
	f.ls.InjectFault(awstest.LightsailFault{Op: "GetInstances", Region: west, Times: 1})
	f.advanceTo(start.Add(10 * time.Minute))
	if _, err := f.guard.Check(context.Background()); err == nil {
		t.Fatal("fixture: the check should fail")
	}
	if got := hb.next(t); got != "GET /ping/abc/fail" {
		t.Errorf("after a failed check: %q, want GET /ping/abc/fail", got)
	}
	f.advanceTo(start.Add(20 * time.Minute))
	f.check()
	if got := hb.next(t); got != "GET /ping/abc" {
		t.Errorf("after a complete check again: %q", got)
	}
	select {
	case extra := <-hb.got:
		t.Errorf("an extra heartbeat %q: want one per check", extra)
	default:
	}
}

func TestAHangingHeartbeatNeverDelaysTheCheck(t *testing.T) {
	hb := startHeartbeat(t, true)
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, map[string]string{"GUARD_HEARTBEAT_URL": hb.URL})
	growth(f, east, "web", start, 10, 10)
	for i := range 2 {
		f.advanceTo(start.Add(time.Duration(i) * 10 * time.Minute))
		done := make(chan error, 1)
		go func() { _, err := f.guard.Check(context.Background()); done <- err }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(heartbeatTimeout / 2):
			t.Fatal("the check waited for a hanging heartbeat")
		}
		hb.next(t) // the heartbeat was made, and hangs still
	}
}

// recordingFlusher records, when the outbox is flushed, what was pushed and whether the
// instance was stopped already.
type recordingFlusher struct {
	mu           sync.Mutex
	f            *guardFixture
	stopsAtFlush []int
	pushedStop   []bool
}

func (r *recordingFlusher) DeliverDue(context.Context) (int, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopsAtFlush = append(r.stopsAtFlush, r.f.calls("StopInstance", ""))
	r.pushedStop = append(r.pushedStop, len(r.f.events.of(models.EventLightsailStop)) == 1)
	return 1, 0, nil
}

func TestSelfHostIsDetectedAndToldBeforeItsStop(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, map[string]string{"LIGHTSAIL_SELF": ""})
	growth(f, east, "host", start, 96)
	growth(f, east, "other", start, 10)
	insts, err := aws.ListLightsailInstances(context.Background(), f.ls.Config(east))
	if err != nil {
		t.Fatal(err)
	}
	var hostID string
	for _, in := range insts {
		if in.Name == "host" {
			hostID = aws.SupportCodeInstanceID(in.SupportCode)
		}
	}
	flush := &recordingFlusher{f: f}
	f.guard = NewGuard(f.cfg, f.store, f.ls.Config(east), f.events, flush, f.clock)
	f.guard.SetMetadataEndpoint(awstest.StartInstanceMetadata(t, hostID).URL)
	f.check()

	if !f.latest(east, "host").SelfHost || f.latest(east, "other").SelfHost {
		t.Fatalf("self host: host %v other %v; want only host", f.latest(east, "host").SelfHost, f.latest(east, "other").SelfHost)
	}
	if len(flush.stopsAtFlush) != 1 || flush.stopsAtFlush[0] != 0 || !flush.pushedStop[0] {
		t.Fatalf("flushes %v (stop pushed first: %v); want one flush, after the push and before StopInstance", flush.stopsAtFlush, flush.pushedStop)
	}
	if f.calls("StopInstance", "host") != 1 {
		t.Fatal("costbot's own host was not stopped")
	}
	stops := f.events.of(models.EventLightsailStop)
	if len(stops) != 1 || !stops[0].Data.(models.LightsailStop).SelfHost {
		t.Errorf("stop pushes %+v; want one saying costbot stops with it", stops)
	}
}

func TestSelfHostByName(t *testing.T) {
	tests := []struct {
		self string
		want map[string]bool
	}{
		{"web", map[string]bool{"web": true, "db": false}},
		{east + "/db", map[string]bool{"web": false, "db": true}},
		{"none", map[string]bool{"web": false, "db": false}},
	}
	for _, tt := range tests {
		t.Run(tt.self, func(t *testing.T) {
			start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
			f := newGuardFixture(t, start, map[string]string{"LIGHTSAIL_SELF": tt.self})
			growth(f, east, "web", start, 10)
			growth(f, east, "db", start, 10)
			f.check()
			for name, want := range tt.want {
				if got := f.latest(east, name).SelfHost; got != want {
					t.Errorf("%s self host %v, want %v", name, got, want)
				}
			}
		})
	}
}

func TestAStopSaysWhichStaticIPKeepsTheAddress(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, nil)
	growth(f, east, "pinned", start, 96)
	growth(f, east, "loose", start, 96)
	f.ls.AddStaticIP(east, awstest.LightsailStaticIP{Name: "pinned-ip", IP: "203.0.113.7", AttachedTo: "pinned"})
	f.ls.AddStaticIP(east, awstest.LightsailStaticIP{Name: "spare-ip", IP: "203.0.113.8"})
	f.check()
	got := map[string]models.LightsailStop{}
	for _, ev := range f.events.of(models.EventLightsailStop) {
		s := ev.Data.(models.LightsailStop)
		got[s.Traffic.Instance] = s
	}
	if p := got["pinned"]; !p.StaticIPChecked || p.StaticIPName != "pinned-ip" || p.StaticIP != "203.0.113.7" {
		t.Errorf("pinned stop %+v; want its static IP named", p)
	}
	if l := got["loose"]; !l.StaticIPChecked || l.StaticIPName != "" {
		t.Errorf("loose stop %+v; want checked, with no static IP", l)
	}
}

func TestAFailedStopOfTheSelfHostIsPushedAndTriedAgain(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, map[string]string{"LIGHTSAIL_SELF": "host"})
	growth(f, east, "host", start, 96, 96, 96)
	flush := &recordingFlusher{f: f}
	f.guard = NewGuard(f.cfg, f.store, f.ls.Config(east), f.events, flush, f.clock)
	f.ls.InjectFault(awstest.LightsailFault{Op: "StopInstance", Times: 1, Code: "InternalFailure"})
	if _, err := f.guard.Check(context.Background()); err == nil {
		t.Fatal("the failed stop must fail the check")
	}
	if len(f.events.of(models.EventLightsailStop)) != 1 || len(f.events.of(models.EventLightsailStopFailed)) != 1 {
		t.Fatalf("stops %d, failures %d: want the early push and the failure", len(f.events.of(models.EventLightsailStop)), len(f.events.of(models.EventLightsailStopFailed)))
	}
	f.advanceTo(start.Add(10 * time.Minute))
	f.check()
	f.advanceTo(start.Add(20 * time.Minute))
	f.check()
	stops := f.events.of(models.EventLightsailStop)
	if f.calls("StopInstance", "host") != 2 || len(stops) != 2 || stops[0].Key == stops[1].Key || len(flush.stopsAtFlush) != 2 {
		t.Errorf("StopInstance %d, stop pushes %+v, flushes %d: want the retry told again, under its own key, before it",
			f.calls("StopInstance", "host"), stops, len(flush.stopsAtFlush))
	}
	if n := len(f.events.of(models.EventLightsailStopFailed)); n != 1 {
		t.Errorf("%d failure pushes, want 1", n)
	}
}

func TestSelfHostIsAskedAgainAnHourAfterTheMetadataFailed(t *testing.T) {
	start := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	f := newGuardFixture(t, start, map[string]string{"LIGHTSAIL_SELF": ""})
	growth(f, east, "host", start, 10, 10, 10)
	insts, err := aws.ListLightsailInstances(context.Background(), f.ls.Config(east))
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(awstest.StartInstanceMetadata(t, aws.SupportCodeInstanceID(insts[0].SupportCode)).URL)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	down.Store(true)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "metadata service unavailable", http.StatusInternalServerError)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	f.guard.SetMetadataEndpoint(front.URL)

	steps := []struct {
		at   time.Duration
		down bool
		want bool
	}{
		{0, true, false},
		{10 * time.Minute, false, false}, // not asked again yet
		{61 * time.Minute, false, true},
	}
	for _, s := range steps {
		down.Store(s.down)
		f.advanceTo(start.Add(s.at))
		f.check()
		if got := f.latest(east, "host").SelfHost; got != s.want {
			t.Errorf("at +%v: self host %v, want %v", s.at, got, s.want)
		}
	}
}
