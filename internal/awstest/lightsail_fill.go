package awstest

import "time"

// AddUsedInstance adds an instance of a 1000 GB plan, created long before now, that has
// sent pct percent of its allowance by now, evenly since the month began.
func (l *Lightsail) AddUsedInstance(region, name string, now time.Time, pct float64) {
	l.AddInstance(region, LightsailInstance{Name: name, AllowanceGB: 1000, Bundle: "small_3_0",
		CreatedAt: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)})
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	slots := float64(now.Sub(start) / LightsailResolution)
	per := pct / 100 * 1000e9 / slots
	l.SetTraffic(region, name, "NetworkOut", func(slot time.Time) float64 {
		if slot.Before(now) {
			return per
		}
		return 0
	})
}
