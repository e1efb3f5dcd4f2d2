package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"costbot/internal/awstest"
	"costbot/models"
)

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
	if err := f.store.AddLightsailAction(context.Background(), "", &models.LightsailAction{
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
