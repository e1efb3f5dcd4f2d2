package bot

import (
	"context"
	"strings"
	"time"

	costmodels "costbot/models"
)

func init() {
	registerEvent(costmodels.EventReportDaily, renderDailyReportEvent)
}

// cmdReport sends the daily report now, to the asking chat only, of the accounts it sees.
func (b *Bot) cmdReport(ctx context.Context, r *Request) error {
	now := b.now()
	d, err := b.figures.Report(ctx, b.cfg.ChatAccounts.Of(r.ChatID), now, now.In(b.cfg.ReportTZ).Format(time.DateOnly))
	if err != nil {
		return err
	}
	_, err = b.send(ctx, r.ChatID, renderDailyReport(r.tr, d), nil)
	return err
}

func renderDailyReportEvent(tr translator, data any) (string, error) {
	d, err := eventData[costmodels.DailyReport](costmodels.EventReportDaily, data)
	if err != nil {
		return "", err
	}
	return renderDailyReport(tr, d), nil
}

// renderDailyReport: the cost of today and the month, the forecast, then every watched
// instance's traffic.
func renderDailyReport(tr translator, d costmodels.DailyReport) string {
	loc := time.UTC
	if l, err := time.LoadLocation(d.TZ); err == nil && d.TZ != "" {
		loc = l
	}
	parts := []string{tr.T(msgID{"report.title"}, map[string]any{"Date": d.Date, "Zone": d.TZ})}
	if d.HasCost {
		forecast := tr.T(msgID{"report.forecast"}, map[string]any{"Amount": formatUSD(d.ForecastUSD)})
		if d.Billed != nil && !d.Billed.Empty() {
			forecast = tr.T(msgID{"billed.forecast"}, map[string]any{"Amount": formatUSD(d.ForecastUSD), "Through": d.Billed.Through.Format(time.DateOnly)})
		}
		parts = append(parts, strings.Join([]string{
			tr.T(msgID{"report.today"}, map[string]any{"Amount": formatUSD(d.TodayUSD)}),
			tr.T(msgID{"report.month"}, map[string]any{"Month": d.Month, "Amount": formatUSD(d.MonthUSD)}),
			forecast,
			tr.T(msgID{"report.latest_hour"}, map[string]any{"Time": formatTime(d.LatestHour, loc)}),
		}, "\n"))
		if d.Unpriced > 0 {
			parts[len(parts)-1] += "\n" + tr.T(msgID{"cost.unpriced"}, map[string]any{"Count": d.Unpriced})
		}
	} else {
		parts = append(parts, tr.T(msgID{"report.no_cost"}))
	}
	if d.Billed != nil && !d.Billed.Empty() {
		parts = append(parts, renderComparison(tr, *d.Billed))
	}
	parts = append(parts, tr.T(msgID{"report.lightsail"}))
	if len(d.Instances) == 0 {
		parts = append(parts, tr.T(msgID{"report.no_instances"}))
	}
	for _, t := range d.Instances {
		parts = append(parts, instanceBlock(tr, t, d.StopPercent))
	}
	if d.Billed != nil {
		if line := overageLine(tr, *d.Billed); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, "\n\n")
}

// RenderPlain renders an event as plain text in lang (zh or en), for the command line
// (`costbot report`, `costbot lightsail --enforce`).
func RenderPlain(lang string, ev costmodels.Event) (string, error) {
	eventRenderersMu.RLock()
	render, ok := eventRenderers[ev.Kind]
	eventRenderersMu.RUnlock()
	if !ok {
		return "", errNoRenderer(ev.Kind)
	}
	cat, err := newCatalog()
	if err != nil {
		return "", err
	}
	html, err := render(cat.translator(lang), ev.Data)
	if err != nil {
		return "", err
	}
	return stripTags(html), nil
}

type errNoRenderer string

func (e errNoRenderer) Error() string { return "bot: no renderer for event kind " + string(e) }
