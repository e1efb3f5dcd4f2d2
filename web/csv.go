package web

import (
	"encoding/csv"
	"net/http"
	"strconv"

	"costbot/models"
)

// writeBillsCSV sends bills as CSV, one row per month and service; the status says
// whether the month is final (closed) or provisional.
func writeBillsCSV(w http.ResponseWriter, filename string, bills []models.Bill) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"month", "service", "estimated_usd", "status", "hours", "estimated_hours"})
	for _, b := range bills {
		status := "provisional"
		if b.Closed {
			status = "final"
		}
		for _, sc := range b.Services {
			cw.Write([]string{b.Month, sc.Service, strconv.FormatFloat(sc.USD, 'f', 6, 64), status, strconv.Itoa(b.Hours), strconv.Itoa(b.EstimatedHours)})
		}
	}
	cw.Flush()
}
