package bot

import (
	"math"
	"strings"
	"time"

	costmodels "costbot/models"
)

// Rendering: values in, Telegram HTML out; every value goes through translator.T, which
// escapes it.

// usageBar is a ten-cell bar and the percentage: ▓▓▓▓▓░░░░░ 52.3%.
func usageBar(percent float64) string {
	filled := int(math.Round(math.Max(0, math.Min(percent, 100)) / 10))
	return strings.Repeat("▓", filled) + strings.Repeat("░", 10-filled) + " " + formatUsagePercent(percent)
}

func trafficTZ(t costmodels.LightsailTraffic) *time.Location {
	if loc, err := time.LoadLocation(t.TZ); err == nil && t.TZ != "" {
		return loc
	}
	return time.UTC
}

// usageLines are an instance's used / allowance, bar, proration, carried usage and
// overage.
func usageLines(tr translator, t costmodels.LightsailTraffic) []string {
	lines := []string{
		tr.T(msgID{"lightsail.usage"}, map[string]any{"Used": formatGB(t.UsedBytes), "Allowance": formatGB(t.AllowanceBytes)}),
		tr.T(msgID{"lightsail.bar"}, map[string]any{"Bar": usageBar(t.Percent)}),
	}
	if t.Prorated() {
		lines = append(lines, tr.T(msgID{"lightsail.prorated"}, map[string]any{"Full": formatGB(t.FullAllowanceBytes)}))
	}
	return append(lines, carriedLines(tr, t)...)
}

// estimateLine says when the stop threshold will be reached.
func estimateLine(tr translator, t costmodels.LightsailTraffic, stopPercent float64) string {
	e := t.Estimate
	data := map[string]any{"Stop": formatUsagePercent(stopPercent), "Rate": formatGB(e.RateBytesPerHour)}
	switch e.Status {
	case costmodels.EstimateAt:
		data["Time"] = formatTime(e.At, trafficTZ(t))
		return tr.T(msgID{"estimate.at"}, data)
	case costmodels.EstimateAfterCycle:
		return tr.T(msgID{"estimate.after_cycle"}, data)
	case costmodels.EstimateIdle:
		return tr.T(msgID{"estimate.idle"}, data)
	case costmodels.EstimateReached:
		return tr.T(msgID{"estimate.reached"}, data)
	}
	return tr.T(msgID{"estimate.unknown"}, data)
}

// instanceBlock is one instance in /lightsail and the daily report.
func instanceBlock(tr translator, t costmodels.LightsailTraffic, stopPercent float64) string {
	lines := []string{tr.T(msgID{"lightsail.instance"}, map[string]any{"Name": t.Instance, "Region": t.Region, "State": t.State})}
	lines = append(lines, usageLines(tr, t)...)
	lines = append(lines, estimateLine(tr, t, stopPercent))
	lines = append(lines, watchLines(tr, t)...)
	if t.Error != "" {
		lines = append(lines, tr.T(msgID{"lightsail.read_error"}, map[string]any{
			"Error": truncate(t.Error, 200), "Time": formatTime(t.CheckedAt, trafficTZ(t))}))
	}
	return strings.Join(lines, "\n")
}

func renderLightsailList(tr translator, instances []costmodels.LightsailTraffic, stopPercent float64, dryRun bool) string {
	parts := []string{tr.T(msgID{"lightsail.title"}, map[string]any{"Stop": formatUsagePercent(stopPercent)})}
	if dryRun {
		parts = append(parts, tr.T(msgID{"lightsail.dry_run_note"}))
	}
	if len(instances) == 0 {
		return strings.Join(append(parts, tr.T(msgID{"lightsail.empty"})), "\n\n")
	}
	var latest time.Time
	for _, t := range instances {
		parts = append(parts, instanceBlock(tr, t, stopPercent))
		if t.CheckedAt.After(latest) {
			latest = t.CheckedAt
		}
	}
	parts = append(parts, tr.T(msgID{"lightsail.checked"}, map[string]any{"Time": formatTime(latest, trafficTZ(instances[0]))}))
	return strings.Join(parts, "\n\n")
}

// eventHead is the name line of a guard push.
func eventHead(tr translator, title msgID, t costmodels.LightsailTraffic, extra map[string]any) []string {
	data := map[string]any{"Name": t.Instance, "Region": t.Region, "State": t.State}
	for k, v := range extra {
		data[k] = v
	}
	return []string{tr.T(title, data), tr.T(msgID{"lightsail.instance"}, data)}
}

func renderLightsailWarn(tr translator, data any) (string, error) {
	w, err := eventData[costmodels.LightsailWarn](costmodels.EventLightsailWarn, data)
	if err != nil {
		return "", err
	}
	lines := eventHead(tr, msgID{"event.ls_warn"}, w.Traffic, map[string]any{"Level": formatUsagePercent(w.Level)})
	lines = append(lines, usageLines(tr, w.Traffic)...)
	lines = append(lines, estimateLine(tr, w.Traffic, w.StopPercent),
		tr.T(msgID{"event.ls_warn_stop_at"}, map[string]any{"Stop": formatUsagePercent(w.StopPercent)}))
	return strings.Join(lines, "\n"), nil
}

func renderLightsailStop(tr translator, data any) (string, error) {
	s, err := eventData[costmodels.LightsailStop](costmodels.EventLightsailStop, data)
	if err != nil {
		return "", err
	}
	title := msgID{"event.ls_stop"}
	if s.DryRun {
		title = msgID{"event.ls_stop_dry_run"}
	}
	lines := eventHead(tr, title, s.Traffic, nil)
	lines = append(lines, usageLines(tr, s.Traffic)...)
	stop := formatUsagePercent(s.StopPercent)
	if s.Reason == costmodels.StopReasonBurst && s.Burst != nil {
		lines = append(lines, tr.T(msgID{"event.ls_reason_burst"}, map[string]any{
			"Rate": formatGB(s.Burst.RateBytesPerHour), "Stop": stop, "Projected": formatUsagePercent(s.Burst.ProjectedPercent),
			"Time": formatTime(s.Burst.NextCheck, trafficTZ(s.Traffic)),
		}))
	} else {
		lines = append(lines, tr.T(msgID{"event.ls_reason_threshold"}, map[string]any{"Stop": stop}))
	}
	switch {
	case s.DryRun:
		lines = append(lines, tr.T(msgID{"event.ls_dry_run"}))
	case s.Accepted:
		lines = append(lines, tr.T(msgID{"event.ls_accepted"}))
	}
	if s.Restarted {
		lines = append(lines, tr.T(msgID{"event.ls_restarted"}))
	}
	if s.Recovered {
		lines = append(lines, tr.T(msgID{"event.ls_recovered"}))
	}
	lines = append(lines, stopMeaningLines(tr, s)...)
	return strings.Join(lines, "\n"), nil
}

func renderLightsailStopFailed(tr translator, data any) (string, error) {
	f, err := eventData[costmodels.LightsailStopFailed](costmodels.EventLightsailStopFailed, data)
	if err != nil {
		return "", err
	}
	lines := eventHead(tr, msgID{"event.ls_stop_failed"}, f.Traffic, nil)
	lines = append(lines, usageLines(tr, f.Traffic)...)
	lines = append(lines, tr.T(msgID{"event.ls_error"}, map[string]any{"Error": truncate(f.Error, 500)}),
		tr.T(msgID{"event.ls_retry"}, map[string]any{"Attempt": f.Attempt, "Time": formatTime(f.Retry, trafficTZ(f.Traffic))}))
	return strings.Join(lines, "\n"), nil
}

func renderLightsailStart(tr translator, data any) (string, error) {
	s, err := eventData[costmodels.LightsailStart](costmodels.EventLightsailStart, data)
	if err != nil {
		return "", err
	}
	title := msgID{"event.ls_start"}
	if !s.Accepted {
		title = msgID{"event.ls_start_failed"}
	}
	lines := eventHead(tr, title, s.Traffic, nil)
	lines = append(lines, tr.T(msgID{"event.ls_start_why"}, map[string]any{
		"Previous": s.PreviousCycle, "Time": formatTime(s.StoppedAt, trafficTZ(s.Traffic))}))
	if !s.Accepted {
		lines = append(lines, tr.T(msgID{"event.ls_error"}, map[string]any{"Error": truncate(s.Error, 500)}),
			tr.T(msgID{"event.ls_start_retry"}))
	}
	return strings.Join(lines, "\n"), nil
}
