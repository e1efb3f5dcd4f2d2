package figures

import (
	"fmt"
	"testing"
	"time"

	"costbot/models"
)

func TestMonthEndForecast(t *testing.T) {
	for _, tc := range []struct {
		name      string
		latest    time.Time
		now       time.Time
		soFar     float64
		hourly    float64
		hoursLeft float64
		forecast  float64
	}{
		// March has 744 hours; after the 12:00 hour of the 10th: 9×24 + 13 = 229 are done,
		// 515 left. 3.6296 + 0.1064 × 515 = 3.6296 + 54.796 = 58.4256.
		{"mid month", figUTC("2025-03-10 12:00"), figUTC("2025-03-10 12:30"), 3.6296, 0.1064, 515, 58.4256},
		// Nothing this month yet: the whole of March, 744 × 0.1064 = 79.1616.
		{"new month", figUTC("2025-02-28 23:00"), figUTC("2025-03-01 00:20"), 0, 0.1064, 744, 79.1616},
		// The month's last hour is in: nothing left to add.
		{"last hour", figUTC("2025-03-31 23:00"), figUTC("2025-03-31 23:40"), 80, 0.1064, 0, 80},
	} {
		if got := models.HoursLeftInMonth(tc.latest, tc.now); got != tc.hoursLeft {
			t.Errorf("%s: hours left = %v, want %v", tc.name, got, tc.hoursLeft)
		}
		if got := MonthEndForecast(tc.soFar, tc.hourly, tc.latest, tc.now); fmt.Sprintf("%.6f", got) != fmt.Sprintf("%.6f", tc.forecast) {
			t.Errorf("%s: forecast = %v, want %v", tc.name, got, tc.forecast)
		}
	}
}

func TestComputeTrend(t *testing.T) {
	latest := figUTC("2025-03-10 12:00")
	sameHour := []models.HourTotal{
		{Hour: latest.Add(-24 * time.Hour), USD: 0.0104},
		{Hour: latest.Add(-2 * time.Hour), USD: 0.5},
		{Hour: latest, USD: 0.1064},
	}
	if got := ComputeTrend(sameHour, latest); got != (Trend{Basis: TrendSameHour, BaseUSD: 0.0104}) {
		t.Errorf("with the same hour yesterday: %+v", got)
	}
	// Without it: the average of the other hours, 0.1 and 0.2, not counting the latest.
	avg := []models.HourTotal{{Hour: latest.Add(-5 * time.Hour), USD: 0.1}, {Hour: latest.Add(-time.Hour), USD: 0.2}, {Hour: latest, USD: 9}}
	if got := ComputeTrend(avg, latest); got.Basis != TrendAverage || fmt.Sprintf("%.4f", got.BaseUSD) != "0.1500" {
		t.Errorf("average: %+v", got)
	}
	if got := ComputeTrend([]models.HourTotal{{Hour: latest, USD: 1}}, latest); got.Basis != "" {
		t.Errorf("nothing to compare: %+v", got)
	}
}
