package bot

import (
	"strings"
	"time"

	costmodels "costbot/models"
)

// What the guard says about itself: usage carried from deleted instances, instances it
// cannot see, regions it cannot reach, the instance costbot runs on, and what a stop
// means for the bill and the address.

func init() {
	registerEvent(costmodels.EventLightsailBlind, renderLightsailBlind)
	registerEvent(costmodels.EventLightsailRegionDown, renderLightsailRegionDown)
	registerEvent(costmodels.EventLightsailRegionUp, renderLightsailRegionUp)
}

// carriedLines say how much of the usage came from deleted instances of the same plan,
// and which, and what is billable beyond the allowance.
func carriedLines(tr translator, t costmodels.LightsailTraffic) []string {
	var lines []string
	if t.CarriedBytes > 0 {
		lines = append(lines, tr.T(msgID{"lightsail.carried"}, map[string]any{"Carried": formatGB(t.CarriedBytes)}))
		for _, c := range t.CarriedFrom {
			lines = append(lines, tr.T(msgID{"lightsail.carried_from"}, map[string]any{
				"Name": c.Instance, "Bundle": c.Bundle, "Used": formatGB(c.Bytes), "Time": formatTime(c.DeletedBy, trafficTZ(t))}))
		}
	}
	if over := t.OverageBytes(); over > 0 {
		lines = append(lines, tr.T(msgID{"lightsail.overage"}, map[string]any{"Over": formatGB(over)}))
	}
	return lines
}

// watchLines say when the figures cannot be trusted (blind) and when costbot runs on
// the instance.
func watchLines(tr translator, t costmodels.LightsailTraffic) []string {
	var lines []string
	if t.Blind {
		if t.LastGoodAt.IsZero() {
			lines = append(lines, tr.T(msgID{"lightsail.blind_never"}))
		} else {
			lines = append(lines, tr.T(msgID{"lightsail.blind"}, map[string]any{"Time": formatTime(t.LastGoodAt, trafficTZ(t))}))
		}
	}
	if t.SelfHost {
		lines = append(lines, tr.T(msgID{"lightsail.self"}))
	}
	return lines
}

// stopMeaningLines say what a stop means: the plan is still billed, the address changes
// on start unless a static IP is attached (which one, when known), and, on costbot's own
// host, that costbot stops with it.
func stopMeaningLines(tr translator, s costmodels.LightsailStop) []string {
	lines := []string{tr.T(msgID{"event.ls_stop_bills"})}
	switch {
	case !s.StaticIPChecked:
		lines = append(lines, tr.T(msgID{"event.ls_ip_unknown"}))
	case s.StaticIPName != "":
		lines = append(lines, tr.T(msgID{"event.ls_ip_static"}, map[string]any{"Name": s.StaticIPName, "IP": s.StaticIP}))
	default:
		lines = append(lines, tr.T(msgID{"event.ls_ip_changes"}))
	}
	if s.SelfHost && !s.DryRun {
		lines = append(lines, tr.T(msgID{"event.ls_self_stop"}))
	}
	return lines
}

func renderLightsailBlind(tr translator, data any) (string, error) {
	b, err := eventData[costmodels.LightsailBlind](costmodels.EventLightsailBlind, data)
	if err != nil {
		return "", err
	}
	lines := eventHead(tr, msgID{"event.ls_blind"}, b.Traffic, nil)
	last := tr.T(msgID{"lightsail.never"})
	if !b.Traffic.LastGoodAt.IsZero() {
		last = formatTime(b.Traffic.LastGoodAt, trafficTZ(b.Traffic))
	}
	if b.Reason == costmodels.BlindReadFailed {
		lines = append(lines, tr.T(msgID{"event.ls_blind_read_failed"}, map[string]any{"Time": last, "Error": truncate(b.Error, 300)}))
	} else {
		lines = append(lines, tr.T(msgID{"event.ls_blind_no_data"}, map[string]any{"Time": last}))
	}
	lines = append(lines, usageLines(tr, b.Traffic)...)
	return strings.Join(lines, "\n"), nil
}

func regionTZ(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

func renderLightsailRegionDown(tr translator, data any) (string, error) {
	d, err := eventData[costmodels.LightsailRegionDown](costmodels.EventLightsailRegionDown, data)
	if err != nil {
		return "", err
	}
	return tr.T(msgID{"event.ls_region_down"}, map[string]any{"Region": d.Region, "Failures": d.Failures,
		"Time": formatTime(d.Since, regionTZ(d.TZ)), "Error": truncate(d.Error, 300)}), nil
}

func renderLightsailRegionUp(tr translator, data any) (string, error) {
	u, err := eventData[costmodels.LightsailRegionUp](costmodels.EventLightsailRegionUp, data)
	if err != nil {
		return "", err
	}
	return tr.T(msgID{"event.ls_region_up"}, map[string]any{"Region": u.Region,
		"Since": formatTime(u.DownSince, regionTZ(u.TZ)), "Time": formatTime(u.At, regionTZ(u.TZ))}), nil
}
