package web

import (
	"maps"
	"net/http"
	"slices"
	"strings"

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

// billStatus says whether a month is this one (so far), final (closed) or provisional.
func billStatus(b models.Bill, current string) string {
	switch {
	case b.Month == current:
		return "bill.current"
	case b.Closed:
		return "bill.final"
	}
	return "bill.provisional"
}

// monthBill is a month's estimate, the resources per service its totals leave out (no
// price), and AWS's bill of it (nil when costbot holds none).
type monthBill struct {
	Bill     models.Bill
	Unpriced map[string]int
	Billed   *models.BillComparison
}

// monthBill reads month's bill, AWS's, and the resources its totals leave out.
func (s *Server) monthBill(r *http.Request, v *viewer, month string) (monthBill, error) {
	ctx := r.Context()
	bill, err := s.store.MonthBill(ctx, month, v.Accounts)
	if err != nil {
		return monthBill{}, err
	}
	var billed *models.BillComparison
	if v.Accounts.All() { // AWS's bill is read for every account together
		if billed, err = s.store.Billed(ctx, month, s.billing()); err != nil {
			return monthBill{}, err
		}
	}
	start, err := models.MonthStart(month)
	if err != nil {
		return monthBill{}, err
	}
	unpriced, err := s.store.UnpricedBetween(ctx, start, start.AddDate(0, 1, 0), v.Accounts)
	if err != nil {
		return monthBill{}, err
	}
	return newMonthBill(bill, billed, unpriced), nil
}

func newMonthBill(bill models.Bill, billed *models.BillComparison, unpriced map[string]int) monthBill {
	if !models.HasBilled(billed) {
		billed = nil
	}
	if unpriced == nil {
		unpriced = map[string]int{}
	}
	return monthBill{Bill: bill, Unpriced: unpriced, Billed: billed}
}

// allBills is every month's bill, newest first: AWS's bills and the unpriced counts of
// all months are read at once.
func (s *Server) allBills(r *http.Request, v *viewer) ([]monthBill, error) {
	ctx := r.Context()
	months, err := s.store.BillMonths(ctx, s.now(), billMonthsMax)
	if err != nil {
		return nil, err
	}
	if !v.Accounts.All() {
		return s.scopedBills(r, v, months)
	}
	unpriced, err := s.store.UnpricedPerMonth(ctx, months)
	if err != nil {
		return nil, err
	}
	var compared map[string]models.BillComparison
	if scope := s.billing(); scope.On {
		if compared, err = s.store.BillComparisons(ctx, months, scope.Estimated); err != nil {
			return nil, err
		}
	}
	bills := make([]monthBill, 0, len(months))
	for _, m := range months {
		bill, err := s.store.MonthBill(ctx, m, nil)
		if err != nil {
			return nil, err
		}
		var billed *models.BillComparison
		if c, ok := compared[m]; ok {
			billed = &c
		}
		bills = append(bills, newMonthBill(bill, billed, unpriced[m]))
	}
	return bills, nil
}

// scopedBills is allBills of the viewer's accounts, month by month, without AWS's
// bills (read for every account together).
func (s *Server) scopedBills(r *http.Request, v *viewer, months []string) ([]monthBill, error) {
	bills := make([]monthBill, 0, len(months))
	for _, m := range months {
		mb, err := s.monthBill(r, v, m)
		if err != nil {
			return nil, err
		}
		if !mb.Bill.Empty() {
			bills = append(bills, mb)
		}
	}
	return bills, nil
}

func (s *Server) pageBills(w http.ResponseWriter, r *http.Request, v *viewer) {
	bills, err := s.allBills(r, v)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	view := billsView{Billing: s.billing().On}
	addService := func(name string) {
		if !slices.Contains(view.Services, name) {
			view.Services = append(view.Services, name)
		}
	}
	for _, b := range bills {
		for _, sc := range b.Bill.Services {
			addService(sc.Service)
		}
		for _, svc := range slices.Sorted(maps.Keys(b.Unpriced)) {
			addService(svc)
		}
		if b.Billed != nil {
			for _, sc := range b.Billed.Services {
				addService(sc.Service)
			}
		}
	}
	current := models.MonthOf(s.now())
	for _, b := range bills {
		row := billRow{Bill: b.Bill, Status: billStatus(b.Bill, current), Cells: make([]billCell, len(view.Services)), Billed: b.Billed}
		for i, svc := range view.Services {
			row.Cells[i].Unpriced = b.Unpriced[svc]
		}
		for _, sc := range b.Bill.Services {
			usd := sc.USD
			row.Cells[slices.Index(view.Services, sc.Service)].USD = &usd
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
	Bill     models.Bill
	Status   string
	Current  bool
	Forecast float64 // the month-end forecast as /bill counts it (billed days in AWS's figures)
	Shares   []serviceShare
	Billed   *models.BillComparison
	// Unpriced are the resources per service the totals leave out; LeftOut their sum.
	Unpriced map[string]int
	LeftOut  int
}

func (s *Server) pageBillMonth(w http.ResponseWriter, r *http.Request, v *viewer) {
	month := r.PathValue("month")
	csv := strings.HasSuffix(month, ".csv")
	month = strings.TrimSuffix(month, ".csv")
	if _, err := models.MonthStart(month); err != nil || len(month) != 7 {
		s.notFound(w, r, v)
		return
	}
	mb, err := s.monthBill(r, v, month)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	if csv {
		writeBillsCSV(w, "costbot-bill-"+month+".csv", []monthBill{mb})
		return
	}
	bill := mb.Bill
	current := models.MonthOf(s.now())
	view := billMonthView{Bill: bill, Status: billStatus(bill, current), Current: month == current, Billed: mb.Billed, Unpriced: mb.Unpriced}
	for _, n := range mb.Unpriced {
		view.LeftOut += n
	}
	if view.Current && !bill.Empty() {
		if view.Forecast, err = s.store.BillForecast(r.Context(), bill, s.now(), v.Accounts); err != nil {
			s.fail(w, r, v, err)
			return
		}
		view.Forecast = models.ForecastCounted(view.Forecast, mb.Billed)
	}
	for _, sc := range bill.Services {
		view.Shares = append(view.Shares, serviceShare{sc.Service, sc.USD, models.Share(sc.USD, bill.TotalUSD)})
	}
	s.render(w, r, v, http.StatusOK, "bill", pageData{Title: v.T("nav.bills") + " " + month, Nav: "bills", Body: view})
}

func (s *Server) billsCSV(w http.ResponseWriter, r *http.Request, v *viewer) {
	bills, err := s.allBills(r, v)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	writeBillsCSV(w, "costbot-bills.csv", bills)
}
