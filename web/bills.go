package web

import (
	"net/http"
	"slices"
	"strings"

	"costbot/figures"
	"costbot/models"
)

// The bills pages: every month's estimate, and beside it what AWS billed (the same
// models.BillComparison /bill shows) where the billing job has read it.

// billsView is every month's bill, newest first, with a column per service found in
// any of them.
type billsView struct {
	Services []string
	Rows     []billRow
	Billing  bool // costbot reads AWS's bill
}

// billRow is one month of the bills table.
type billRow struct {
	Bill   models.Bill
	Status string                 // a words key: bill.current, bill.final or bill.provisional
	Cells  []billCell             // per billsView.Services
	Billed *models.BillComparison // AWS's bill of the month's billed days (nil when none)
}

// billCell is one service of one month: its estimate (nil when the month has none), what
// AWS billed for it (nil when nothing), and how many of its resources the estimate
// leaves out for want of a price.
type billCell struct {
	USD      *float64
	Billed   *float64
	Unpriced int
}

// OnlyUnpriced reports whether the estimate is nothing but resources without a price:
// the cell says "unpriced" rather than $0.00.
func (c billCell) OnlyUnpriced() bool { return c.Unpriced > 0 && (c.USD == nil || *c.USD == 0) }

// billStatus is the words key of a month's state: this month (so far), final (closed) or
// provisional.
func billStatus(b figures.MonthBill) string {
	switch b.Status() {
	case figures.BillCurrent:
		return "bill.current"
	case figures.BillClosed:
		return "bill.final"
	}
	return "bill.provisional"
}

func (s *Server) pageBills(w http.ResponseWriter, r *http.Request, v *viewer) {
	bills, err := s.figures.Bills(r.Context(), v.Accounts, s.now(), billMonthsMax)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	view := billsView{Billing: s.cfg.CostExplorerInterval > 0}
	addService := func(name string) {
		if !slices.Contains(view.Services, name) {
			view.Services = append(view.Services, name)
		}
	}
	for _, b := range bills {
		for _, l := range b.Lines {
			addService(l.Service)
		}
		if b.Billed != nil {
			for _, sc := range b.Billed.Services {
				addService(sc.Service)
			}
		}
	}
	for _, b := range bills {
		row := billRow{Bill: b.Bill, Status: billStatus(b), Cells: make([]billCell, len(view.Services)), Billed: b.Billed}
		for _, l := range b.Lines {
			cell := &row.Cells[slices.Index(view.Services, l.Service)]
			cell.Unpriced = l.Unpriced
			if l.Priced {
				usd := l.USD
				cell.USD = &usd
			}
		}
		if b.Billed != nil {
			for _, sc := range b.Billed.Services {
				usd := sc.BilledUSD
				row.Cells[slices.Index(view.Services, sc.Service)].Billed = &usd
			}
		}
		view.Rows = append(view.Rows, row)
	}
	s.render(w, r, v, http.StatusOK, "bills", pageData{Title: v.T("nav.bills"), Nav: "bills", Body: view})
}

// billMonthView is one month's bill by service, and AWS's bill of it.
type billMonthView struct {
	figures.MonthBill
	StatusKey string // words key of the month's state
}

func (s *Server) pageBillMonth(w http.ResponseWriter, r *http.Request, v *viewer) {
	month := r.PathValue("month")
	csv := strings.HasSuffix(month, ".csv")
	month = strings.TrimSuffix(month, ".csv")
	if _, err := models.MonthStart(month); err != nil || len(month) != 7 {
		s.notFound(w, r, v)
		return
	}
	mb, err := s.figures.Bill(r.Context(), v.Accounts, month, s.now())
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	if csv {
		writeBillsCSV(w, "costbot-bill-"+month+".csv", []figures.MonthBill{mb})
		return
	}
	view := billMonthView{MonthBill: mb, StatusKey: billStatus(mb)}
	s.render(w, r, v, http.StatusOK, "bill", pageData{Title: v.T("nav.bills") + " " + month, Nav: "bills", Body: view})
}

func (s *Server) billsCSV(w http.ResponseWriter, r *http.Request, v *viewer) {
	bills, err := s.figures.Bills(r.Context(), v.Accounts, s.now(), billMonthsMax)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	writeBillsCSV(w, "costbot-bills.csv", bills)
}
