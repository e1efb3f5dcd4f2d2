package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"costbot/models"
)

// Page handlers: parse the request, read the store (through the queries and figures
// the chat uses), render.

// scanJob is the job whose last run the overview shows.
const scanJob = "collect"

// Table sizes.
const (
	topResources   = 20
	wasteShown     = 20
	servicePerPage = 50
	monthsCharted  = 12
	billMonthsMax  = 240 // every month of twenty years: in effect, all of them
	actionsShown   = 200 // the guard's latest actions on the Lightsail page
)

// overviewView is the overview page.
type overviewView struct {
	Cost     models.CostOverview
	Change   float64 // the trend, in percent
	HasTrend bool
	Shares   []serviceShare
	Hours    chartData
	Months   chartData
	Top      []models.ResourceRow
	Waste    []models.ResourceRow
	// Filter is the account filter (?account=), when the viewer sees two or more accounts.
	Filter      []accountChoice
	AllSelected bool
}

// AccountShare is an account's share of the month so far, in percent.
func (v overviewView) AccountShare(a models.AccountCost) float64 {
	return models.Share(a.MonthUSD, v.Cost.MonthUSD)
}

type serviceShare struct {
	Service string
	USD     float64
	Percent float64
}

func (s *Server) pageOverview(w http.ResponseWriter, r *http.Request, v *viewer) {
	ctx := r.Context()
	now := s.now()
	scope, filter, err := s.accountFilter(ctx, v, r.URL.Query().Get("account"))
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	ov, err := s.store.CostOverview(ctx, now, s.tz(), scanJob, s.billing(), scope)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	view := overviewView{Cost: ov, Filter: filter, AllSelected: !slices.ContainsFunc(filter, func(c accountChoice) bool { return c.Selected })}
	view.Change, view.HasTrend = ov.Trend.ChangePercent(ov.HourlyUSD)
	for _, sc := range ov.Services {
		view.Shares = append(view.Shares, serviceShare{sc.Service, sc.USD, models.Share(sc.USD, ov.HourlyUSD)})
	}
	if ov.HasData {
		hours, err := s.store.HourlyServiceCosts(ctx, ov.LatestHour.Add(-23*time.Hour), ov.LatestHour.Add(time.Hour), scope)
		if err != nil {
			s.fail(w, r, v, err)
			return
		}
		view.Hours = hourChart(v.tr, hours, ov.LatestHour, s.tz())
	}
	last := models.MonthOf(now)
	first := models.MonthOf(models.MonthStartOf(now).AddDate(0, 1-monthsCharted, 0))
	bills, err := s.store.MonthlyBills(ctx, first, last, scope)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	view.Months = monthChart(v.tr, bills)
	if view.Top, err = s.store.TopResources(ctx, topResources, scope); err != nil {
		s.fail(w, r, v, err)
		return
	}
	if view.Waste, err = s.store.WastedResources(ctx, wasteShown, scope); err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.render(w, r, v, http.StatusOK, "overview", pageData{Title: v.T("nav.overview"), Nav: "overview", Charts: true, Body: view})
}

// billing is whether costbot reads AWS's bill, and the services it estimates, as the
// chat's /cost and /bill read it.
func (s *Server) billing() models.BillingScope {
	return models.BillingScope{On: s.cfg.CostExplorerInterval > 0, Estimated: s.cfg.CostServices}
}

// serviceView is one page of a service's resource table.
type serviceView struct {
	Service string
	Query   models.ResourceQuery
	Regions []string
	Rows    []models.ResourceRow
	Total   int
	Page    int
	Pages   int
	Columns []sortColumn
	Prev    string // URL of the previous page, "" on the first
	Next    string
}

// sortColumn is a header of the resource table, with the URL that sorts by it.
type sortColumn struct {
	Key, Label, URL string
	Active, Desc    bool
	Numeric         bool
}

func (s *Server) pageService(w http.ResponseWriter, r *http.Request, v *viewer) {
	name := r.PathValue("name")
	if !slices.Contains(s.cfg.CostServices, name) {
		s.notFound(w, r, v)
		return
	}
	q := r.URL.Query()
	query := models.ResourceQuery{
		Service: name,
		Region:  q.Get("region"),
		Search:  strings.TrimSpace(q.Get("q")),
		Sort:    q.Get("sort"),
		Desc:    q.Get("dir") == "desc",
		Limit:   servicePerPage,
	}
	if !models.ResourceSortable(query.Sort) {
		query.Sort, query.Desc = "", false
	}
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	query.Offset = (page - 1) * servicePerPage
	ctx := r.Context()
	query.Accounts = v.Accounts
	regions, err := s.store.ActiveResourceRegions(ctx, name, v.Accounts)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	res, err := s.store.ResourceTable(ctx, query)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	view := serviceView{Service: name, Query: query, Regions: regions, Rows: res.Rows, Total: res.Total, Page: page}
	view.Pages = max((res.Total+servicePerPage-1)/servicePerPage, 1)
	link := func(change func(url.Values)) string {
		u := url.Values{}
		for _, k := range []string{"region", "q", "sort", "dir"} {
			if val := q.Get(k); val != "" {
				u.Set(k, val)
			}
		}
		change(u)
		if enc := u.Encode(); enc != "" {
			return "/service/" + name + "?" + enc
		}
		return "/service/" + name
	}
	for _, c := range []struct {
		key     string
		numeric bool
	}{{"name", false}, {"region", false}, {"type", false}, {"state", false}, {"hourly", true}, {"monthly", true}, {"source", false}, {"waste", false}} {
		col := sortColumn{Key: c.key, Label: v.T("col." + c.key), Numeric: c.numeric, Active: query.Sort == c.key, Desc: query.Desc}
		dir := "asc"
		if c.numeric {
			dir = "desc" // costs read best highest first
		}
		if col.Active {
			dir = map[bool]string{true: "asc", false: "desc"}[query.Desc]
		}
		col.URL = link(func(u url.Values) { u.Set("sort", c.key); u.Set("dir", dir); u.Del("page") })
		view.Columns = append(view.Columns, col)
	}
	if page > 1 {
		view.Prev = link(func(u url.Values) { u.Set("page", strconv.Itoa(page-1)) })
	}
	if page < view.Pages {
		view.Next = link(func(u url.Values) { u.Set("page", strconv.Itoa(page+1)) })
	}
	s.render(w, r, v, http.StatusOK, "service", pageData{Title: v.tr.Service(name), Nav: "service:" + name, Body: view})
}

// lightsailView is every watched instance and the guard's latest actions.
type lightsailView struct {
	Instances   []models.LightsailTraffic
	Actions     []models.LightsailAction
	Cycle       string
	StopPercent float64
	WarnPercent float64
	DryRun      bool
	// Billed is AWS's bill of the cycle's month so far, for the overage it billed per
	// region (nil when costbot holds none).
	Billed *models.BillComparison
}

func (s *Server) pageLightsail(w http.ResponseWriter, r *http.Request, v *viewer) {
	ctx := r.Context()
	rows, err := s.store.LatestLightsailUsage(ctx)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	view := lightsailView{Cycle: models.MonthOf(s.now()), StopPercent: s.cfg.LightsailStopPercent, DryRun: s.cfg.LightsailDryRun}
	if n := len(s.cfg.LightsailWarnPercents); n > 0 {
		view.WarnPercent = slices.Min(s.cfg.LightsailWarnPercents)
	}
	for _, u := range rows {
		if s.cfg.Watches(u.Instance) && slices.Contains(s.cfg.LightsailRegions, u.Region) && v.Accounts.Covers(u.AccountID) {
			view.Instances = append(view.Instances, u.Traffic())
		}
	}
	if view.Actions, err = s.store.LatestLightsailActions(ctx, actionsShown); err != nil {
		s.fail(w, r, v, err)
		return
	}
	if !v.Accounts.All() { // the guard's history in the accounts the viewer sees
		view.Actions = slices.DeleteFunc(view.Actions, func(a models.LightsailAction) bool { return !v.Accounts.Covers(a.AccountID) })
	} else if view.Billed, err = s.store.Billed(ctx, view.Cycle, s.billing()); err != nil {
		s.fail(w, r, v, err)
		return
	}
	if !models.HasBilled(view.Billed) {
		view.Billed = nil
	}
	s.render(w, r, v, http.StatusOK, "lightsail", pageData{Title: v.T("nav.lightsail"), Nav: "lightsail", Body: view})
}

// statusView is the jobs' runs and the process.
type statusView struct {
	Version string
	Uptime  string
	DBBytes int64
	Jobs    []jobStatus
}

type jobStatus struct {
	Run        models.JobRun
	Duration   string
	Next       time.Time
	LastFailed *models.JobRun
}

func (s *Server) pageStatus(w http.ResponseWriter, r *http.Request, v *viewer) {
	ctx := r.Context()
	runs, err := s.store.LastJobRuns(ctx)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	var next map[string]time.Time
	if s.opts.Schedule != nil {
		next = s.opts.Schedule.NextRuns()
	}
	view := statusView{Version: s.opts.Version, DBBytes: s.store.SizeBytes()}
	if !s.opts.StartedAt.IsZero() {
		view.Uptime = s.now().Sub(s.opts.StartedAt).Truncate(time.Second).String()
	}
	for _, run := range runs {
		js := jobStatus{Run: run, Next: next[run.Job]}
		if run.FinishedAt != nil {
			js.Duration = run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond).String()
		}
		if js.LastFailed, err = s.store.LastFailedJobRun(ctx, run.Job); err != nil {
			s.fail(w, r, v, err)
			return
		}
		view.Jobs = append(view.Jobs, js)
	}
	s.render(w, r, v, http.StatusOK, "status", pageData{Title: v.T("nav.status"), Nav: "status", Body: view})
}
