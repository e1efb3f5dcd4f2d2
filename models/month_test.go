package models

import (
	"testing"
	"time"
)

func TestMonthArithmetic(t *testing.T) {
	// 2025-03-01 02:30 in UTC+5 is still February in UTC: months are UTC months.
	plus5 := time.FixedZone("UTC+5", 5*3600)
	at := time.Date(2025, 3, 1, 2, 30, 0, 0, plus5)
	if got := MonthOf(at); got != "2025-02" {
		t.Errorf("MonthOf = %q, want 2025-02", got)
	}
	feb := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	mar := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	if got := MonthStartOf(at); !got.Equal(feb) || got.Location() != time.UTC {
		t.Errorf("MonthStartOf = %v, want %v", got, feb)
	}
	if start, end := MonthBounds(at); !start.Equal(feb) || !end.Equal(mar) {
		t.Errorf("MonthBounds = %v..%v, want %v..%v", start, end, feb, mar)
	}
	if got, err := MonthStart("2025-02"); err != nil || !got.Equal(feb) {
		t.Errorf("MonthStart = %v, %v", got, err)
	}
	for _, bad := range []string{"2025-13", "2025-2", "February", ""} {
		if _, err := MonthStart(bad); err == nil {
			t.Errorf("MonthStart(%q): no error", bad)
		}
	}
	if start, end, err := monthRange("2024-12"); err != nil || !start.Equal(time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)) || !end.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("monthRange = %v..%v, %v", start, end, err)
	}
}

func TestHoursLeftInMonth(t *testing.T) {
	at := func(s string) time.Time {
		h, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			panic(err)
		}
		return h
	}
	for _, tc := range []struct {
		name   string
		latest time.Time
		now    time.Time
		want   float64
	}{
		// March has 744 hours; after the 12:00 hour of the 10th: 9×24 + 13 = 229 are done.
		{"mid month", at("2025-03-10 12:00"), at("2025-03-10 12:30"), 515},
		{"new month", at("2025-02-28 23:00"), at("2025-03-01 00:20"), 744},
		{"last hour", at("2025-03-31 23:00"), at("2025-03-31 23:40"), 0},
	} {
		if got := HoursLeftInMonth(tc.latest, tc.now); got != tc.want {
			t.Errorf("%s: hours left = %v, want %v", tc.name, got, tc.want)
		}
	}
}
