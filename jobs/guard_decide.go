package jobs

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"costbot/models"
)

// The guard's decisions, as pure functions of readings and history: the allowance pool,
// blindness, and what to do about one instance at one check. Nothing here calls AWS or
// the store; guard_act.go carries the plan out.

// poolMember is one instance of a region this cycle as the pool rule sees it.
type poolMember struct {
	ID, Name, Bundle string
	Created          time.Time
	Bytes, OutBytes  float64   // its own NetworkIn + NetworkOut (and the Out part) this cycle
	Gone             bool      // deleted: stored this cycle, no longer listed
	LastSeen         time.Time // for a gone one: the last check that listed it
}

// poolCarry is what an instance carries from deleted ones.
type poolCarry struct {
	Bytes, OutBytes float64
	From            []models.CarriedUsage
	FirstCreated    time.Time // the creation of the first instance of the chain
}

// poolCarries applies AWS's rule (Lightsail docs issue 64): the data transfer of an
// instance deleted this cycle counts against the allowance of the next instance created
// with the same bundle in the same region, whatever its name — the earliest created
// after the deleted one was last seen. Each deleted instance is carried once, to that one
// instance; bundles of different sizes never share. A deleted instance that had carried
// usage itself passes it on with its own (a chain). The result is keyed by the
// receiving instance's ID.
func poolCarries(members []poolMember) map[string]poolCarry {
	gone := slices.DeleteFunc(slices.Clone(members), func(p poolMember) bool { return !p.Gone })
	slices.SortStableFunc(gone, func(a, b poolMember) int {
		return cmp.Or(a.LastSeen.Compare(b.LastSeen), a.Created.Compare(b.Created))
	})
	out := map[string]poolCarry{}
	for _, g := range gone {
		next := -1
		for i, p := range members {
			if p.ID == g.ID || p.Bundle != g.Bundle || !p.Created.After(g.LastSeen) {
				continue
			}
			if next < 0 || p.Created.Before(members[next].Created) {
				next = i
			}
		}
		if next < 0 {
			continue // nothing created after it yet: the next one will carry it
		}
		passed := out[g.ID] // what the deleted one carried itself
		c := out[members[next].ID]
		c.Bytes += g.Bytes + passed.Bytes
		c.OutBytes += g.OutBytes + passed.OutBytes
		c.From = append(c.From, models.CarriedUsage{Instance: g.Name, Bundle: g.Bundle, Bytes: g.Bytes, DeletedBy: g.LastSeen})
		c.From = append(c.From, passed.From...)
		first := g.Created
		if !passed.FirstCreated.IsZero() && passed.FirstCreated.Before(first) {
			first = passed.FirstCreated
		}
		if c.FirstCreated.IsZero() || first.Before(c.FirstCreated) {
			c.FirstCreated = first
		}
		out[members[next].ID] = c
	}
	return out
}

// poolFigures is an instance's cycle so far as AWS counts it: its own traffic plus what
// it carries from deleted instances, against its allowance prorated from the first
// creation of the chain it continues (as if the first instance still ran). The guard and
// the scan's overage both come from here.
func poolFigures(own, ownOut, fullAllowance float64, created time.Time, c poolCarry, start, end time.Time) (used, out, allowance float64) {
	first := created
	if !c.FirstCreated.IsZero() && c.FirstCreated.Before(created) {
		first = c.FirstCreated
	}
	return own + c.Bytes, ownOut + c.OutBytes, ProratedAllowance(fullAllowance, first, start, end)
}

// blindAfter is how long a running instance may go without a datapoint before the guard
// calls it blind.
const blindAfter = 30 * time.Minute

// blindState is what the guard can see of an instance.
type blindState struct {
	DataAt     time.Time // the blind clock: the newest datapoint, or when it was seen running
	LastGoodAt time.Time // the newest datapoint ever seen
	Blind      bool
}

// blindness decides whether a reading can be trusted: a running instance is blind when
// its reads failed, or when no datapoint came for blindAfter. The clock starts at the
// newest datapoint, and restarts when the instance is first seen running (just started,
// or first seen by this costbot), so a fresh start is never blind at once. prev is the
// instance's previous stored check (nil for none).
func blindness(state string, now, latest time.Time, prev *models.LightsailUsage, readFailed bool) blindState {
	var b blindState
	if prev != nil && prev.LastGoodAt != nil {
		b.LastGoodAt = prev.LastGoodAt.UTC()
	}
	if latest.After(b.LastGoodAt) {
		b.LastGoodAt = latest
	}
	b.DataAt = latest
	if prev != nil && prev.DataAt != nil && prev.DataAt.After(b.DataAt) {
		b.DataAt = prev.DataAt.UTC()
	}
	running := state == "running"
	if !running || prev == nil || prev.State != "running" {
		if now.After(b.DataAt) {
			b.DataAt = now // not running, or its clock starts now
		}
	}
	b.Blind = running && (readFailed || now.Sub(b.DataAt) > blindAfter)
	return b
}

// guardRules are the settings the decision reads.
type guardRules struct {
	WarnPercents []float64 // ascending
	StopPercent  float64
	DryRun       bool
	AutoStart    bool
}

// decisionInput is what the decision sees of one instance at one check.
type decisionInput struct {
	Traffic models.LightsailTraffic
	Burst   *models.BurstProjection
	Actions []models.LightsailAction // this cycle's, oldest first
	// Previous is the previous cycle's actions (for auto-start), oldest first.
	Previous []models.LightsailAction
	Rules    guardRules
}

// warnStep is a warning level passed for the first time this cycle; only the highest
// of a check pushes, and none while the instance is being stopped.
type warnStep struct {
	Level float64
	Push  bool
}

// stopStep is a stop to carry out (or, in dry run, to alert about).
type stopStep struct {
	Reason     string // models.StopReasonThreshold or StopReasonBurst
	ReasonText string
	Burst      *models.BurstProjection
	DryRun     bool
	Restarted  bool                    // the guard stopped it this cycle and someone started it
	Pending    *models.LightsailAction // a stop left under way by a crash, to be resolved
	Stops      int                     // the guard's successful stops this cycle
	Failures   int                     // failed attempts since the last success
}

// startStep is an auto-start at a new cycle; Skip says why it is recorded but not done.
type startStep struct {
	PreviousCycle string
	StoppedAt     time.Time
	Failures      int
	Skip          string
}

// guardPlan is what to do about one instance at one check.
type guardPlan struct {
	Start *startStep
	Stop  *stopStep
	Warn  []warnStep
}

// decide is the guard's rule book: auto-start at a new cycle what the guard itself
// stopped in the last one; stop at the threshold, or earlier when the burst gate sees it
// reached before the next check; warn once per cycle at each level passed.
func decide(in decisionInput) guardPlan {
	var plan guardPlan
	t := in.Traffic
	if in.Rules.AutoStart && !in.Rules.DryRun {
		plan.Start = decideStart(in)
	}
	over := t.Percent >= in.Rules.StopPercent
	if over || in.Burst != nil {
		plan.Stop = decideStop(in, over)
	}
	stopping := over || in.Burst != nil
	var levels []float64
	for _, lvl := range in.Rules.WarnPercents {
		if t.Percent < lvl {
			continue
		}
		done := slices.ContainsFunc(in.Actions, func(a models.LightsailAction) bool { return a.Action == "warn" && a.Level == lvl })
		if !done {
			levels = append(levels, lvl)
		}
	}
	for i, lvl := range levels {
		plan.Warn = append(plan.Warn, warnStep{Level: lvl, Push: !stopping && i == len(levels)-1})
	}
	return plan
}

// decideStop is the stop, once per cycle: nil when dry run has alerted already.
func decideStop(in decisionInput, over bool) *stopStep {
	t := in.Traffic
	s := &stopStep{Reason: models.StopReasonThreshold, DryRun: in.Rules.DryRun,
		ReasonText: fmt.Sprintf("usage %.1f%% reached %g%%", t.Percent, in.Rules.StopPercent)}
	if !over {
		s.Reason, s.Burst = models.StopReasonBurst, in.Burst
		s.ReasonText = fmt.Sprintf("burst: %.1f%% now, %.1f%% expected by the next check", t.Percent, in.Burst.ProjectedPercent)
	}
	dryRunDone := false
	for i := range in.Actions {
		a := &in.Actions[i]
		if a.Action != "stop" || a.Actor != GuardActor {
			continue
		}
		switch a.Result {
		case ResultOK:
			s.Restarted, s.Pending, s.Failures = true, nil, 0
			s.Stops++
		case ResultPending:
			s.Pending = a
		case ResultFailed:
			s.Failures++
		case ResultDryRun:
			dryRunDone = true
		}
	}
	if s.DryRun && dryRunDone {
		return nil
	}
	if s.Restarted {
		s.ReasonText += "; started again after the guard's stop"
	}
	return s
}

// decideStart is the auto-start: only at a cycle where nothing was decided yet (failed
// auto-starts aside), only for an instance whose last stop or start of the previous cycle
// was the guard's stop.
func decideStart(in decisionInput) *startStep {
	failures := 0
	for _, a := range in.Actions {
		if a.Action != "start" && a.Action != "stop" {
			continue
		}
		if a.Action == "start" && a.Actor == GuardActor && a.Result == ResultFailed {
			failures++
			continue
		}
		return nil // decided already this cycle
	}
	var last *models.LightsailAction
	for i := range in.Previous {
		a := &in.Previous[i]
		if (a.Action == "start" || a.Action == "stop") && (a.Result == ResultOK || a.Result == ResultPending) {
			last = a
		}
	}
	if last == nil || last.Action != "stop" || last.Actor != GuardActor {
		return nil
	}
	s := &startStep{PreviousCycle: last.Cycle, StoppedAt: last.At.UTC(), Failures: failures}
	switch in.Traffic.State {
	case "stopped":
		return s
	case "stopping":
		return nil // not yet; the next check starts it
	}
	s.Skip = fmt.Sprintf("new cycle: was %s already, not started", in.Traffic.State)
	return s
}
