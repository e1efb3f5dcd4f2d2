package models

import "strings"

// StateBesideCost is the state a view shows beside a resource that costs nothing this
// hour (a stopped instance beside its $0.0000/h), so the zero reads as the state's and
// not as a missing price; "" for an unpriced resource, one that costs something, and
// the states a resource is billed in.
func (r ResourceRow) StateBesideCost() string {
	if !r.Priced || r.HourlyUSD != 0 {
		return ""
	}
	switch strings.ToLower(r.State) {
	case "", "running", "available", "active", "in-use", "associated", "completed":
		return ""
	}
	return r.State
}
