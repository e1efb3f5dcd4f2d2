package jobs

import (
	"testing"
	"time"

	"costbot/models"
)

func TestPoolCarries(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC) }
	const gb = models.GB
	tests := []struct {
		name    string
		members []poolMember
		want    map[string]float64 // receiving ID -> carried GB
		from    map[string][]string
		first   map[string]time.Time
	}{
		{
			// The example of AWS's docs: a $3.50 plan uses 500 GB and is deleted; a new
			// $3.50 plan created the next day, under another name, carries the 500 GB.
			name: "the docs' example",
			members: []poolMember{
				{ID: "a", Name: "blog", Bundle: "nano_3_0", Created: day(1).Add(-48 * time.Hour), Gone: true, LastSeen: day(10), Bytes: 500 * gb, OutBytes: 400 * gb},
				{ID: "b", Name: "blog-2", Bundle: "nano_3_0", Created: day(11)},
			},
			want:  map[string]float64{"b": 500},
			from:  map[string][]string{"b": {"blog"}},
			first: map[string]time.Time{"b": day(1).Add(-48 * time.Hour)},
		},
		{
			name: "two live instances of one plan and one of another: nothing shared",
			members: []poolMember{
				{ID: "a", Bundle: "micro_3_0", Created: day(2), Bytes: 700 * gb},
				{ID: "b", Bundle: "micro_3_0", Created: day(3), Bytes: 100 * gb},
				{ID: "c", Bundle: "small_3_0", Created: day(4), Bytes: 900 * gb},
			},
			want: map[string]float64{},
		},
		{
			name: "a deleted instance goes to the next of its bundle only, not to a bigger plan nor to later ones",
			members: []poolMember{
				{ID: "old", Name: "old", Bundle: "micro_3_0", Created: day(1), Gone: true, LastSeen: day(5), Bytes: 300 * gb},
				{ID: "big", Bundle: "small_3_0", Created: day(6)},
				{ID: "next", Bundle: "micro_3_0", Created: day(7)},
				{ID: "later", Bundle: "micro_3_0", Created: day(8)},
				{ID: "before", Bundle: "micro_3_0", Created: day(4)}, // existed beside it
			},
			want: map[string]float64{"next": 300},
			from: map[string][]string{"next": {"old"}},
		},
		{
			name: "a chain: what a deleted instance carried passes on with its own",
			members: []poolMember{
				{ID: "a", Name: "a", Bundle: "micro_3_0", Created: day(1), Gone: true, LastSeen: day(3), Bytes: 100 * gb},
				{ID: "b", Name: "b", Bundle: "micro_3_0", Created: day(4), Gone: true, LastSeen: day(6), Bytes: 50 * gb},
				{ID: "c", Name: "c", Bundle: "micro_3_0", Created: day(7), Bytes: 10 * gb},
			},
			want:  map[string]float64{"b": 100, "c": 150},
			from:  map[string][]string{"c": {"b", "a"}},
			first: map[string]time.Time{"c": day(1)},
		},
		{
			name: "a deleted instance with no successor yet carries to nobody",
			members: []poolMember{
				{ID: "a", Bundle: "micro_3_0", Created: day(1), Gone: true, LastSeen: day(3), Bytes: 100 * gb},
				{ID: "b", Bundle: "micro_3_0", Created: day(2)},
			},
			want: map[string]float64{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := poolCarries(tt.members)
			if len(got) != len(tt.want) {
				t.Fatalf("carries %+v, want %v GB", got, tt.want)
			}
			for id, gbs := range tt.want {
				near(t, id+" carried GB", got[id].Bytes/gb, gbs)
			}
			for id, names := range tt.from {
				var gotNames []string
				for _, f := range got[id].From {
					gotNames = append(gotNames, f.Instance)
				}
				if len(gotNames) != len(names) || (len(names) > 0 && gotNames[0] != names[0]) {
					t.Errorf("%s carries from %v, want %v", id, gotNames, names)
				}
			}
			for id, first := range tt.first {
				if !got[id].FirstCreated.Equal(first) {
					t.Errorf("%s first created %v, want %v", id, got[id].FirstCreated, first)
				}
			}
		})
	}
	// The docs' example carries the data out too: only data out is billed.
	got := poolCarries(tests[0].members)
	near(t, "carried out GB", got["b"].OutBytes/gb, 400)
}

func TestBlindness(t *testing.T) {
	now := time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	ptr := func(t time.Time) *time.Time { return &t }
	running := func(dataAt time.Time) *models.LightsailUsage {
		return &models.LightsailUsage{State: "running", DataAt: ptr(dataAt), LastGoodAt: ptr(dataAt)}
	}
	tests := []struct {
		name       string
		state      string
		latest     time.Time
		prev       *models.LightsailUsage
		readFailed bool
		blind      bool
		lastGood   time.Time
	}{
		{"a datapoint ten minutes old", "running", ago(10 * time.Minute), running(ago(20 * time.Minute)), false, false, ago(10 * time.Minute)},
		{"no datapoint for 30 minutes: not yet", "running", time.Time{}, running(ago(30 * time.Minute)), false, false, ago(30 * time.Minute)},
		{"no datapoint for 31 minutes: blind", "running", time.Time{}, running(ago(31 * time.Minute)), false, true, ago(31 * time.Minute)},
		{"first seen running: the clock starts now", "running", time.Time{}, nil, false, false, time.Time{}},
		{"just started after a stop", "running", time.Time{}, &models.LightsailUsage{State: "stopped", DataAt: ptr(ago(5 * time.Hour))}, false, false, time.Time{}},
		{"stopped: never blind", "stopped", time.Time{}, running(ago(5 * time.Hour)), false, false, ago(5 * time.Hour)},
		{"reads failed while running", "running", time.Time{}, running(ago(10 * time.Minute)), true, true, ago(10 * time.Minute)},
		{"first seen, and the read fails: blind at once", "running", time.Time{}, nil, true, true, time.Time{}},
		{"stopped and the read fails: not blind, nothing to see", "stopped", time.Time{}, running(ago(time.Hour)), true, false, ago(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := blindness(tt.state, now, tt.latest, tt.prev, tt.readFailed)
			if got.Blind != tt.blind || !got.LastGoodAt.Equal(tt.lastGood) {
				t.Errorf("blindness = %+v, want blind %v, last good %v", got, tt.blind, tt.lastGood)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	rules := guardRules{WarnPercents: []float64{80, 90}, StopPercent: 95}
	traffic := func(pct float64, state string) models.LightsailTraffic {
		return models.LightsailTraffic{Region: east, Instance: "web", Cycle: "2025-04", State: state, Percent: pct}
	}
	act := func(action, actor, result string, level float64) models.LightsailAction {
		return models.LightsailAction{Action: action, Actor: actor, Result: result, Level: level, Cycle: "2025-03"}
	}
	burst := &models.BurstProjection{ProjectedPercent: 99}
	type want struct {
		warns      []warnStep
		stop       string // "" none, else the reason
		restarted  bool
		dryRun     bool
		start      bool
		startSkip  bool
		pendingRow bool
	}
	tests := []struct {
		name string
		in   decisionInput
		want want
	}{
		{"below every level", decisionInput{Traffic: traffic(50, "running"), Rules: rules}, want{}},
		{"past 80 and 90 at once: only 90 pushes", decisionInput{Traffic: traffic(91, "running"), Rules: rules},
			want{warns: []warnStep{{80, false}, {90, true}}}},
		{"a level warned already is not warned again", decisionInput{Traffic: traffic(91, "running"), Rules: rules,
			Actions: []models.LightsailAction{act("warn", GuardActor, ResultOK, 80), act("warn", GuardActor, ResultOK, 90)}}, want{}},
		{"at the threshold: stop, and the levels recorded silently", decisionInput{Traffic: traffic(96, "running"), Rules: rules},
			want{stop: models.StopReasonThreshold, warns: []warnStep{{80, false}, {90, false}}}},
		{"the burst gate stops below the threshold", decisionInput{Traffic: traffic(85, "running"), Burst: burst, Rules: rules,
			Actions: []models.LightsailAction{act("warn", GuardActor, ResultOK, 80)}}, want{stop: models.StopReasonBurst}},
		{"stopped by the guard and started again: stopped again", decisionInput{Traffic: traffic(96, "running"), Rules: rules,
			Actions: []models.LightsailAction{act("warn", GuardActor, ResultSkipped, 80), act("warn", GuardActor, ResultSkipped, 90), act("stop", GuardActor, ResultOK, 95)}},
			want{stop: models.StopReasonThreshold, restarted: true}},
		{"a stop left pending by a crash is resolved", decisionInput{Traffic: traffic(96, "running"), Rules: rules,
			Actions: []models.LightsailAction{act("warn", GuardActor, ResultSkipped, 80), act("warn", GuardActor, ResultSkipped, 90), act("stop", GuardActor, ResultPending, 95)}},
			want{stop: models.StopReasonThreshold, pendingRow: true}},
		{"dry run: the stop is only alerted", decisionInput{Traffic: traffic(96, "running"), Rules: guardRules{WarnPercents: []float64{80, 90}, StopPercent: 95, DryRun: true},
			Actions: []models.LightsailAction{act("warn", GuardActor, ResultSkipped, 80), act("warn", GuardActor, ResultSkipped, 90)}},
			want{stop: models.StopReasonThreshold, dryRun: true}},
		{"dry run alerts once", decisionInput{Traffic: traffic(96, "running"), Rules: guardRules{WarnPercents: []float64{80, 90}, StopPercent: 95, DryRun: true},
			Actions: []models.LightsailAction{act("warn", GuardActor, ResultSkipped, 80), act("warn", GuardActor, ResultSkipped, 90), act("stop", GuardActor, ResultDryRun, 95)}}, want{}},
		{"auto-start what the guard stopped last cycle", decisionInput{Traffic: traffic(0, "stopped"),
			Rules:    guardRules{WarnPercents: []float64{80, 90}, StopPercent: 95, AutoStart: true},
			Previous: []models.LightsailAction{act("stop", GuardActor, ResultOK, 95)}}, want{start: true}},
		{"never auto-start what a person stopped", decisionInput{Traffic: traffic(0, "stopped"),
			Rules:    guardRules{WarnPercents: []float64{80, 90}, StopPercent: 95, AutoStart: true},
			Previous: []models.LightsailAction{act("stop", GuardActor, ResultOK, 95), act("stop", "1001", ResultOK, 0)}}, want{}},
		{"running already at the new cycle: recorded, not started", decisionInput{Traffic: traffic(0, "running"),
			Rules:    guardRules{WarnPercents: []float64{80, 90}, StopPercent: 95, AutoStart: true},
			Previous: []models.LightsailAction{act("stop", GuardActor, ResultOK, 95)}}, want{startSkip: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decide(tt.in)
			if len(got.Warn) != len(tt.want.warns) {
				t.Fatalf("warnings %+v, want %+v", got.Warn, tt.want.warns)
			}
			for i := range got.Warn {
				if got.Warn[i] != tt.want.warns[i] {
					t.Errorf("warning %d = %+v, want %+v", i, got.Warn[i], tt.want.warns[i])
				}
			}
			switch {
			case tt.want.stop == "" && got.Stop != nil:
				t.Errorf("stop %+v, want none", got.Stop)
			case tt.want.stop != "" && got.Stop == nil:
				t.Errorf("no stop, want one (%s)", tt.want.stop)
			case got.Stop != nil:
				if got.Stop.Reason != tt.want.stop || got.Stop.Restarted != tt.want.restarted || (got.Stop.Pending != nil) != tt.want.pendingRow || got.Stop.DryRun != tt.want.dryRun {
					t.Errorf("stop %+v, want reason %s restarted %v pending %v dry run %v", got.Stop, tt.want.stop, tt.want.restarted, tt.want.pendingRow, tt.want.dryRun)
				}
			}
			gotStart := got.Start != nil && got.Start.Skip == ""
			gotSkip := got.Start != nil && got.Start.Skip != ""
			if gotStart != tt.want.start || gotSkip != tt.want.startSkip {
				t.Errorf("start %+v, want start %v skip %v", got.Start, tt.want.start, tt.want.startSkip)
			}
		})
	}
}
