package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"costbot/figures"
	"costbot/models"
)

// writeBillsCSV sends bills as CSV, one row per month and service; the status says
// whether the month is final (closed) or provisional. Where AWS billed the month, each
// service row carries the billed amount and costbot's estimate of the same days, and
// the billed lines costbot does not estimate (kind not_estimated) and the credits
// (kind credit) follow as rows of their own, so gross and net add up from the file.
// unpriced_resources counts a service's resources the estimate leaves out (no price).
func writeBillsCSV(w http.ResponseWriter, filename string, bills []figures.MonthBill) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"month", "service", "estimated_usd", "status", "hours", "estimated_hours",
		"billed_usd", "billed_days_estimated_usd", "billed_from", "billed_through", "billed_status", "kind", "unpriced_resources"})
	money := func(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
	for _, mb := range bills {
		b, c := mb.Bill, mb.Billed
		status := "provisional"
		if b.Closed {
			status = "final"
		}
		hours, estHours := strconv.Itoa(b.Hours), strconv.Itoa(b.EstimatedHours)
		var billedSpan []string // billed_from, billed_through, billed_status
		compared := map[string]models.ServiceComparison{}
		if c != nil {
			state := "provisional"
			if c.Final {
				state = "final"
			}
			billedSpan = []string{c.From.Format(time.DateOnly), c.Through.Format(time.DateOnly), state}
			for _, sc := range c.Services {
				compared[sc.Service] = sc
			}
		}
		billedOf := func(service string) []string {
			sc, ok := compared[service]
			if !ok {
				if c == nil {
					return []string{"", "", "", "", ""}
				}
				return append([]string{"", ""}, billedSpan...)
			}
			delete(compared, service)
			return append([]string{money(sc.BilledUSD), money(sc.EstimatedUSD)}, billedSpan...)
		}
		for _, l := range mb.Lines {
			estimate := money(l.USD)
			if !l.Priced { // no price for any of its resources: unpriced, not $0
				estimate = "unpriced"
			}
			row := []string{b.Month, l.Service, estimate, status, hours, estHours}
			cw.Write(append(append(row, billedOf(l.Service)...), "service", strconv.Itoa(l.Unpriced)))
		}
		if c == nil {
			continue
		}
		for _, sc := range c.Services { // billed, but absent from the month's estimate
			if _, ok := compared[sc.Service]; ok {
				row := []string{b.Month, sc.Service, "", status, hours, estHours}
				cw.Write(append(append(row, billedOf(sc.Service)...), "service", "0"))
			}
		}
		lines := func(kind string, ls []models.BilledLine) {
			for _, l := range ls {
				row := []string{b.Month, l.Name, "", status, hours, estHours, money(l.USD), ""}
				cw.Write(append(append(row, billedSpan...), kind, ""))
			}
		}
		lines("not_estimated", c.Other)
		lines("credit", c.Credits)
	}
	cw.Flush()
}
