package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"costbot/internal/awstest"
)

// TestLightsailGuardIssue13DoneWhen is issue 13's acceptance scenario through the bot:
// an instance deleted at 60 % and another of the same bundle created under a new name is
// stopped when the two reach 95 %; an instance without datapoints shows as blind in
// /lightsail; the heartbeat hears of every check.
func TestLightsailGuardIssue13DoneWhen(t *testing.T) {
	beats := make(chan string, 64)
	hb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { beats <- r.URL.Path }))
	t.Cleanup(hb.Close)
	now := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	w := newLightsailWorld(t, now)
	w.cfg.GuardHeartbeatURL = hb.URL + "/hb"
	w.ls.AddUsedInstance("us-east-1", "blog", now, 60)
	w.ls.AddInstance("us-east-1", awstest.LightsailInstance{Name: "quiet", Bundle: "nano_3_0", AllowanceGB: 500,
		CreatedAt: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}) // running, no datapoints ever
	w.check()

	w.ls.RemoveInstance("us-east-1", "blog")
	created := now.Add(5 * time.Minute)
	w.ls.AddInstance("us-east-1", awstest.LightsailInstance{Name: "blog-new", Bundle: "small_3_0", AllowanceGB: 1000, CreatedAt: created})
	// 40 % of 1000 GB over 80 minutes: the pool reaches 95 % after 70.
	w.ls.SetTraffic("us-east-1", "blog-new", "NetworkOut", func(slot time.Time) float64 {
		if slot.Before(created) || !slot.Before(created.Add(80*time.Minute)) {
			return 0
		}
		return 400e9 / 16
	})
	checks := 1
	for w.stopCalls("blog-new") == 0 && checks < 12 {
		w.clock.Advance(10 * time.Minute)
		w.check()
		checks++
	}
	if n := w.stopCalls("blog-new"); n != 1 {
		t.Fatalf("the new instance of the bundle was not stopped (%d checks)", checks)
	}
	stoppedAt := w.clock.Now()
	if own := w.ls.TrafficBetween("us-east-1", "blog-new", "NetworkOut", created, stoppedAt); own > 360e9 {
		t.Errorf("stopped after it used %.0f GB of its own: the 600 GB of the deleted one were not counted", own/1e9)
	}

	text := w.say(lsGroup, lsMember, "/lightsail").Params["text"]
	for _, s := range []string{"blog-new", "deleted instances of the same plan", "blog (small_3_0", "quiet", "Blind"} {
		if !strings.Contains(text, s) {
			t.Errorf("/lightsail lacks %q:\n%s", s, text)
		}
	}
	for i := range checks { // the heartbeat runs apart from the check: await each
		select {
		case path := <-beats:
			if path != "/hb" {
				t.Errorf("heartbeat %d asked %q, want /hb", i+1, path)
			}
		case <-time.After(lsWait):
			t.Fatalf("the heartbeat heard %d calls for %d checks", i, checks)
		}
	}
	select {
	case extra := <-beats:
		t.Errorf("an extra heartbeat %q: want one per check", extra)
	default:
	}
}
