package figures

import (
	"context"
	"fmt"
	"time"

	"costbot/models"
)

// Report is the daily report of the scope's accounts as of now, dated date (YYYY-MM-DD in
// REPORT_TZ): the cost of today and of the month, the month-end forecast, AWS's bill, and
// every watched Lightsail instance's traffic. Its figures are the overview's and the month
// bill's, read by the same functions.
func (r *Reader) Report(ctx context.Context, scope Scope, now time.Time, date string) (models.DailyReport, error) {
	tz := r.tz()
	d := models.DailyReport{
		Date: date, TZ: tz.String(), GeneratedAt: now.UTC(), Month: models.MonthOf(now.UTC()),
		StopPercent: r.cfg.LightsailStopPercent, Scope: scope,
	}
	ov, err := r.Overview(ctx, scope, now)
	if err != nil {
		return d, fmt.Errorf("report: %w", err)
	}
	if ov.HasData {
		d.HasCost, d.LatestHour = true, ov.LatestHour.UTC()
		d.TodayUSD, d.MonthUSD, d.ForecastUSD = ov.TodayUSD, ov.MonthUSD, ov.Forecast()
		d.Unpriced = ov.UnpricedCount()
	}
	d.Billed = ov.Billed
	if d.Instances, err = r.LightsailInstances(ctx, scope); err != nil {
		return d, fmt.Errorf("report: %w", err)
	}
	return d, nil
}
