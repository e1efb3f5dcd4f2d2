package models

import "testing"

func TestStateBesideCost(t *testing.T) {
	for _, tc := range []struct {
		row  ResourceRow
		want string
	}{
		{ResourceRow{Priced: true, State: "stopped"}, "stopped"},
		{ResourceRow{Priced: true, State: "running"}, ""},
		{ResourceRow{Priced: true, State: "available"}, ""},
		{ResourceRow{Priced: true, State: "stopped", HourlyUSD: 0.01}, ""},
		{ResourceRow{State: "stopped"}, ""}, // unpriced: it says "unpriced", not a state beside $0
	} {
		if got := tc.row.StateBesideCost(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.row, got, tc.want)
		}
	}
}
