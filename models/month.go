package models

import (
	"fmt"
	"time"
)

// Month arithmetic, in one place. costbot's months are UTC calendar months, AWS's
// billing calendar: a month is named YYYY-MM, and the Lightsail allowance cycle is the
// same month.

// MonthOf is the YYYY-MM (UTC) month of t.
func MonthOf(t time.Time) string { return t.UTC().Format("2006-01") }

// MonthStart is the first instant of a YYYY-MM month in UTC.
func MonthStart(month string) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01", month, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("month %q: expected YYYY-MM", month)
	}
	return t, nil
}

// MonthStartOf is the first instant of t's UTC month.
func MonthStartOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// MonthBounds is t's UTC month, [start, end): also the Lightsail allowance cycle that
// holds t.
func MonthBounds(t time.Time) (start, end time.Time) {
	start = MonthStartOf(t)
	return start, start.AddDate(0, 1, 0)
}

// monthRange is the first instant of a YYYY-MM month and of the next.
func monthRange(month string) (start, end time.Time, err error) {
	if start, err = MonthStart(month); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return start, start.AddDate(0, 1, 0), nil
}

// HoursLeftInMonth counts the hours of now's UTC month after the hour that starts at
// latestHour (all of them when the latest data is from an earlier month).
func HoursLeftInMonth(latestHour, now time.Time) float64 {
	start, end := MonthBounds(now)
	from := latestHour.UTC().Add(time.Hour)
	if from.Before(start) {
		from = start
	}
	if !from.Before(end) {
		return 0
	}
	return end.Sub(from).Hours()
}
