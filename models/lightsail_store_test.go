package models

import (
	"context"
	"testing"
	"time"
)

func TestLatestLightsailUsageIsEachRegionsLastCheck(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	save := func(region string, at time.Time, rows ...LightsailUsage) {
		t.Helper()
		if err := s.SaveLightsailChecks(ctx, "", region, "2025-03", at, rows); err != nil {
			t.Fatal(err)
		}
	}
	save("us-east-1", t0, LightsailUsage{Instance: "a", Percent: 10}, LightsailUsage{Instance: "gone", Percent: 5})
	save("eu-west-1", t0, LightsailUsage{Instance: "b", Percent: 20})
	save("us-east-1", t0.Add(10*time.Minute), LightsailUsage{Instance: "a", Percent: 11})
	save("ap-south-1", t0, LightsailUsage{Instance: "c", Percent: 1})
	save("ap-south-1", t0.Add(10*time.Minute)) // listed, nothing watched left

	rows, err := s.LatestLightsailUsage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, r := range rows {
		got[r.Region+"/"+r.Instance] = r.Percent
	}
	want := map[string]float64{"us-east-1/a": 11, "eu-west-1/b": 20}
	if len(got) != len(want) || got["us-east-1/a"] != 11 || got["eu-west-1/b"] != 20 {
		t.Errorf("latest %v, want %v", got, want)
	}
}

func TestLightsailCycleInstancesIsEachInstancesLastCheck(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	save := func(region, cycle string, at time.Time, rows ...LightsailUsage) {
		t.Helper()
		if err := s.SaveLightsailChecks(ctx, "", region, cycle, at, rows); err != nil {
			t.Fatal(err)
		}
	}
	save("us-east-1", "2025-03", t0, LightsailUsage{Instance: "old", InstanceID: "arn:1", OwnBytes: 100},
		LightsailUsage{Instance: "web", InstanceID: "arn:2", OwnBytes: 5})
	save("us-east-1", "2025-03", t0.Add(time.Hour), LightsailUsage{Instance: "web", InstanceID: "arn:2", OwnBytes: 7},
		LightsailUsage{Instance: "web", InstanceID: "arn:3", OwnBytes: 1})
	save("eu-west-1", "2025-03", t0, LightsailUsage{Instance: "eu", InstanceID: "arn:9", OwnBytes: 50})
	save("us-east-1", "2025-04", t0.AddDate(0, 1, 0), LightsailUsage{Instance: "web", InstanceID: "arn:2", OwnBytes: 1})

	rows, err := s.LightsailCycleInstances(ctx, "", "us-east-1", "2025-03")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, r := range rows {
		got[r.InstanceID] = r.OwnBytes
	}
	want := map[string]float64{"arn:1": 100, "arn:2": 7, "arn:3": 1}
	if len(got) != len(want) || got["arn:1"] != 100 || got["arn:2"] != 7 || got["arn:3"] != 1 {
		t.Errorf("instances %v, want %v (each one's last check, this region and cycle only)", got, want)
	}
}

func TestLightsailNoticesStayPendingUntilTaken(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a := &LightsailAction{At: time.Now(), Cycle: "2025-03", Region: "us-east-1", Instance: "web", Action: "warn",
		EventKind: EventLightsailWarn, EventKey: "k", EventData: "{}"}
	if err := s.AddLightsailAction(ctx, "", a); err != nil {
		t.Fatal(err)
	}
	if err := s.AddLightsailAction(ctx, "", &LightsailAction{Cycle: "2025-03", Action: "warn", Result: "skipped"}); err != nil {
		t.Fatal(err)
	}
	pending := func() int {
		p, err := s.PendingLightsailNotices(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(p)
	}
	if pending() != 1 {
		t.Fatalf("pending %d, want only the action with a push", pending())
	}
	if err := s.MarkLightsailNotice(ctx, a.ID, false, time.Now(), false); err != nil || pending() != 1 {
		t.Fatalf("a refused push must stay pending (%v)", err)
	}
	if err := s.MarkLightsailNotice(ctx, a.ID, true, time.Now(), false); err != nil || pending() != 0 {
		t.Fatalf("a taken push must leave (%v)", err)
	}
	ev, err := DecodeLightsailEvent(EventLightsailStop, "k", `{"StopPercent":95,"Accepted":true}`)
	if err != nil || ev.Data.(LightsailStop).StopPercent != 95 {
		t.Errorf("decode: %+v %v", ev, err)
	}
}
