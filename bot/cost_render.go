package bot

import (
	"html"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"costbot/figures"
	costmodels "costbot/models"
)

// Pure rendering of the cost views: values in, Telegram HTML out. Every dynamic value
// goes through translator.T, which escapes it.

// formatTime shows an instant in the report time zone: 2025-03-10 20:00 CST.
func formatTime(t time.Time, tz *time.Location) string {
	if tz == nil {
		tz = time.UTC
	}
	return t.In(tz).Format("2006-01-02 15:04 MST")
}

// trend is the burn rate's comparison base (see figures.ComputeTrend).
type trend = figures.Trend

const (
	trendSameHour = figures.TrendSameHour
	trendAverage  = figures.TrendAverage
)

func renderTrend(tr translator, t trend, current float64) string {
	change, ok := t.ChangePercent(current)
	if !ok {
		return ""
	}
	arrow := "➡️"
	switch {
	case change >= 1:
		arrow = "📈"
	case change <= -1:
		arrow = "📉"
	}
	data := map[string]any{"Arrow": arrow, "Change": formatChange(change), "Base": formatRate(t.BaseUSD)}
	if t.Basis == trendSameHour {
		return tr.T(msgID{"cost.trend.same_hour"}, data)
	}
	return tr.T(msgID{"cost.trend.average"}, data)
}

// costView is what /cost shows.
type costView = figures.Overview

func renderCost(tr translator, v costView) string {
	lines := []string{tr.T(msgID{"cost.title"})}
	if !v.HasData {
		lines = append(lines, tr.T(msgID{"cost.no_data"}))
		return strings.Join(lines, "\n")
	}
	burn := tr.T(msgID{"cost.burn"}, map[string]any{"Rate": formatRate(v.HourlyUSD)})
	if t := renderTrend(tr, v.Trend, v.HourlyUSD); t != "" {
		burn += "\n" + t
	}
	lines = append(lines,
		burn,
		tr.T(msgID{"cost.today"}, map[string]any{"Zone": v.TZ.String(), "Amount": formatUSD(v.TodayUSD)}),
		tr.T(msgID{"cost.month"}, map[string]any{"Month": v.Month, "Amount": formatUSD(v.MonthUSD)}),
	)
	if v.Billed != nil && !v.Billed.Empty() {
		lines = append(lines, billedSoFarLine(tr, *v.Billed))
	}
	lines = append(lines, forecastLine(tr, v))
	lines = append(lines, accountLines(tr, v.Accounts, v.MonthUSD)...)
	if len(v.Services) > 0 {
		lines = append(lines, "", tr.T(msgID{"cost.by_service"}))
		for _, s := range v.Services {
			lines = append(lines, tr.T(msgID{"cost.service_line"}, map[string]any{
				"Service": serviceName(s.Service), "Rate": formatRate(s.USD), "Percent": formatPercent(figures.Share(s.USD, v.HourlyUSD)),
			}))
		}
	}
	lines = append(lines, "")
	if v.LastScan != nil {
		lines = append(lines, tr.T(msgID{"cost.last_scan"}, map[string]any{
			"Time": formatTime(v.LastScan.StartedAt, v.TZ), "Outcome": stripTags(outcomeText(tr, v.LastScan.Outcome)),
		}))
	}
	lines = append(lines,
		tr.T(msgID{"cost.latest_hour"}, map[string]any{"Time": formatTime(v.LatestHour, v.TZ)}),
		tr.T(msgID{"cost.sources"}, map[string]any{"API": v.Sources.API, "Cache": v.Sources.Cache, "Fallback": v.Sources.Fallback}),
	)
	if v.Sources.Unpriced > 0 {
		lines = append(lines, tr.T(msgID{"cost.unpriced"}, map[string]any{"Count": v.Sources.Unpriced}))
		lines = append(lines, unpricedLines(tr, v.Unpriced)...)
	}
	return strings.Join(lines, "\n")
}

// accountLines are the per-account breakdown of a month's total: each account's month
// so far, share and latest hourly rate (none for fewer than two accounts).
func accountLines(tr translator, accounts []figures.AccountCost, total float64) []string {
	if len(accounts) < 2 {
		return nil
	}
	lines := []string{"", tr.T(msgID{"cost.by_account"})}
	for _, a := range accounts {
		label := a.Label
		if label == "" {
			label = "—"
		}
		lines = append(lines, tr.T(msgID{"cost.account_line"}, map[string]any{
			"Account": truncate(label, 60), "Amount": formatUSD(a.MonthUSD),
			"Percent": formatPercent(figures.Share(a.MonthUSD, total)), "Rate": formatRate(a.HourlyUSD),
		}))
	}
	return lines
}

// unpricedLines names each service with unpriced resources, how many, and why.
func unpricedLines(tr translator, unpriced map[string]costmodels.UnpricedService) []string {
	var lines []string
	for _, s := range slices.Sorted(maps.Keys(unpriced)) {
		u := unpriced[s]
		reason := strings.TrimSpace(u.Reason)
		if reason == "" {
			reason = stripTags(tr.T(msgID{"service.unpriced_unknown"}))
		}
		lines = append(lines, tr.T(msgID{"cost.unpriced_line"}, map[string]any{"Service": serviceName(s), "Count": u.Count, "Reason": truncate(reason, 120)}))
	}
	return lines
}

// costKeyboard has a button per service present, then Refresh and the menu.
func costKeyboard(tr translator, services []string) *models.InlineKeyboardMarkup {
	rows := gridOf(services, 3, func(s string) models.InlineKeyboardButton {
		return button(serviceName(s), "sv", servicePayload(s, "", 1))
	})
	rows = append(rows, []models.InlineKeyboardButton{
		button(tr.T(msgID{"cost.refresh"}), "c", "r"),
		backButton(tr),
	})
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// gridOf lays buttons out perRow to a row.
func gridOf[T any](items []T, perRow int, mk func(T) models.InlineKeyboardButton) [][]models.InlineKeyboardButton {
	var rows [][]models.InlineKeyboardButton
	for i, it := range items {
		if i%perRow == 0 {
			rows = append(rows, nil)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], mk(it))
	}
	return rows
}

// servicePageSize is how many resources one /service page lists.
const servicePageSize = 10

// serviceView is one page of /service.
type serviceView struct {
	Service string
	Region  string // "" for all regions
	Regions []string
	Page    int // 1-based, within 1..Pages
	Pages   int
	Total   int
	Offset  int
	Rows    []costmodels.ResourceRow
	// Unpriced is how many of the service's active resources have no price, and why.
	Unpriced costmodels.UnpricedService
}

func renderServicePage(tr translator, v serviceView) string {
	region := v.Region
	if region == "" {
		region = stripTags(tr.T(msgID{"service.all_regions"}))
	}
	lines := []string{tr.T(msgID{"service.title"}, map[string]any{"Service": serviceName(v.Service), "Count": v.Total, "Region": region})}
	if v.Total == 0 {
		lines = append(lines, tr.T(msgID{"service.empty"}))
		return strings.Join(lines, "\n")
	}
	if v.Pages > 1 {
		lines = append(lines, tr.T(msgID{"service.page"}, map[string]any{"Page": v.Page, "Pages": v.Pages}))
	}
	for i, r := range v.Rows {
		lines = append(lines, "", renderResource(tr, v.Offset+i+1, r))
	}
	return strings.Join(lines, "\n")
}

// renderResource is one resource: name and ID, then type, region, cost and source; waste
// on a third line.
func renderResource(tr translator, n int, r costmodels.ResourceRow) string {
	head := strconv.Itoa(n) + ". "
	if name := strings.TrimSpace(stripInvisible(r.Name)); name != "" && name != r.ResourceID {
		head += "<b>" + html.EscapeString(truncate(name, 60)) + "</b> "
	}
	head += "<code>" + html.EscapeString(truncate(stripInvisible(r.ResourceID), 80)) + "</code>"
	typ := r.Type
	if typ == "" {
		typ = r.Kind
	}
	if st := r.StateBesideCost(); st != "" {
		typ += " (" + st + ")"
	}
	var detail string
	if r.Priced {
		detail = tr.T(msgID{"service.item_cost"}, map[string]any{
			"Type": typ, "Region": r.Region, "Rate": formatRate(r.HourlyUSD), "Monthly": formatUSD(r.MonthlyUSD),
			"Source": stripTags(sourceText(tr, r.PriceSource)),
		})
	} else {
		reason := strings.TrimSpace(r.PriceNote)
		if reason == "" {
			reason = stripTags(tr.T(msgID{"service.unpriced_unknown"}))
		}
		detail = tr.T(msgID{"service.item_unpriced"}, map[string]any{"Type": typ, "Region": r.Region, "Reason": truncate(reason, 160)})
	}
	out := head + "\n" + detail
	if w := strings.TrimSpace(r.PriceWarning); w != "" {
		out += "\n" + tr.T(msgID{"service.warning"}, map[string]any{"Warning": truncate(w, 200)})
	}
	if r.Waste {
		reason := strings.TrimSpace(r.WasteReason)
		if reason == "" {
			reason = stripTags(tr.T(msgID{"service.waste_unknown"}))
		}
		out += "\n" + tr.T(msgID{"service.waste"}, map[string]any{"Reason": truncate(reason, 120)})
	}
	return out
}

func sourceText(tr translator, source string) string {
	switch source {
	case costmodels.SourceAPI:
		return tr.T(msgID{"source.api"})
	case costmodels.SourceCache:
		return tr.T(msgID{"source.cache"})
	case costmodels.SourceFallback:
		return tr.T(msgID{"source.fallback"})
	}
	return source
}

// servicePayload is a /service button's data: service:region:page (region "" is all).
func servicePayload(service, region string, page int) string {
	return service + ":" + region + ":" + strconv.Itoa(page)
}

// parseServicePayload reverses servicePayload; a bad page reads as 1.
func parseServicePayload(p string) (service, region string, page int) {
	parts := strings.SplitN(p, ":", 3)
	service = parts[0]
	if len(parts) > 1 {
		region = parts[1]
	}
	page = 1
	if len(parts) > 2 {
		if n, err := strconv.Atoi(parts[2]); err == nil && n > 0 {
			page = n
		}
	}
	return service, region, page
}

func serviceKeyboard(tr translator, v serviceView) *models.InlineKeyboardMarkup {
	var rows [][]models.InlineKeyboardButton
	if v.Pages > 1 {
		var nav []models.InlineKeyboardButton
		if v.Page > 1 {
			nav = append(nav, button("◀", "sv", servicePayload(v.Service, v.Region, v.Page-1)))
		}
		nav = append(nav, button(strconv.Itoa(v.Page)+"/"+strconv.Itoa(v.Pages), "sv", servicePayload(v.Service, v.Region, v.Page)))
		if v.Page < v.Pages {
			nav = append(nav, button("▶", "sv", servicePayload(v.Service, v.Region, v.Page+1)))
		}
		rows = append(rows, nav)
	}
	if len(v.Regions) > 1 || (v.Region != "" && len(v.Regions) > 0) {
		filters := append([]string{""}, v.Regions...)
		rows = append(rows, gridOf(filters, 3, func(region string) models.InlineKeyboardButton {
			label := region
			if region == "" {
				label = stripTags(tr.T(msgID{"service.all"}))
			}
			if region == v.Region {
				label = "✓ " + label
			}
			return button(label, "sv", servicePayload(v.Service, region, 1))
		})...)
	}
	rows = append(rows, []models.InlineKeyboardButton{button(tr.T(msgID{"service.back"}), "sv", ""), backButton(tr)})
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// servicePicker has a button per service with its count of active resources.
func servicePicker(tr translator, services []string, counts map[string]int) *models.InlineKeyboardMarkup {
	rows := gridOf(services, 3, func(s string) models.InlineKeyboardButton {
		return button(serviceName(s)+" ("+strconv.Itoa(counts[s])+")", "sv", servicePayload(s, "", 1))
	})
	rows = append(rows, []models.InlineKeyboardButton{backButton(tr)})
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// renderBill is /bill's month: the total (so far, with the forecast, for the current
// month), each priced service's part, and the services and resources left out of the
// total for want of a price, never shown as $0.00.
func renderBill(tr translator, v figures.MonthBill, tz *time.Location) string {
	b := v.Bill
	if v.Empty() {
		return tr.T(msgID{"bill.no_data"}, map[string]any{"Month": v.Month})
	}
	var lines []string
	switch v.Status() {
	case figures.BillCurrent:
		lines = append(lines,
			tr.T(msgID{"bill.title_current"}, map[string]any{"Month": b.Month}),
			tr.T(msgID{"bill.so_far"}, map[string]any{"Amount": formatUSD(b.TotalUSD), "Forecast": formatUSD(v.Forecast)}),
		)
	case figures.BillClosed:
		lines = append(lines,
			tr.T(msgID{"bill.title_closed"}, map[string]any{"Month": b.Month}),
			tr.T(msgID{"bill.total"}, map[string]any{"Amount": formatUSD(b.TotalUSD)}),
		)
	default:
		lines = append(lines,
			tr.T(msgID{"bill.title_open"}, map[string]any{"Month": b.Month}),
			tr.T(msgID{"bill.total"}, map[string]any{"Amount": formatUSD(b.TotalUSD)}),
		)
	}
	lines = append(lines, tr.T(msgID{"bill.hours"}, map[string]any{"Hours": b.Hours, "Estimated": b.EstimatedHours}), "")
	for _, l := range v.Lines {
		if l.Priced {
			lines = append(lines, tr.T(msgID{"bill.line"}, map[string]any{
				"Service": serviceName(l.Service), "Amount": formatUSD(l.USD), "Percent": formatPercent(l.Percent),
			}))
		}
	}
	for _, l := range slices.SortedFunc(slices.Values(v.Lines), func(a, b figures.ServiceLine) int { return strings.Compare(a.Service, b.Service) }) {
		if l.Unpriced > 0 {
			lines = append(lines, tr.T(msgID{"bill.unpriced_line"}, map[string]any{"Service": serviceName(l.Service), "Count": l.Unpriced}))
		}
	}
	if v.Unpriced > 0 {
		lines = append(lines, tr.T(msgID{"bill.unpriced"}, map[string]any{"Count": v.Unpriced}))
	}
	if b.Closed && b.ClosedAt != nil {
		lines = append(lines, "", tr.T(msgID{"bill.closed_at"}, map[string]any{"Time": formatTime(*b.ClosedAt, tz)}))
	}
	return strings.Join(lines, "\n")
}

// billKeyboard has a button per other month with data, newest first.
func billKeyboard(tr translator, shown string, months []string) *models.InlineKeyboardMarkup {
	var others []string
	for _, m := range months {
		if m != shown {
			others = append(others, m)
		}
	}
	rows := gridOf(others, 4, func(m string) models.InlineKeyboardButton { return button(m, "b", m) })
	rows = append(rows, []models.InlineKeyboardButton{backButton(tr)})
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// maxErrorsShown bounds the scan errors a /collect reply lists.
const maxErrorsShown = 10

func renderCollect(tr translator, s costmodels.CollectSummary) string {
	lines := []string{tr.T(msgID{"collect.done"}, map[string]any{
		"Duration": formatDuration(s.Duration), "Resources": s.Resources, "Unpriced": s.Unpriced, "Rate": formatRate(s.HourlyUSD),
	})}
	if len(s.Errors) > 0 {
		lines = append(lines, "", tr.T(msgID{"collect.errors"}, map[string]any{"Count": len(s.Errors)}))
		for i, e := range s.Errors {
			if i == maxErrorsShown {
				lines = append(lines, tr.T(msgID{"collect.more_errors"}, map[string]any{"Count": len(s.Errors) - maxErrorsShown}))
				break
			}
			lines = append(lines, "• <code>"+html.EscapeString(truncate(e, 200))+"</code>")
		}
	}
	return strings.Join(lines, "\n")
}
