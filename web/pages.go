package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"costbot/figures"
	"costbot/models"
)

// Page handlers: parse the request, read the store (through the queries and figures
// the chat uses), render.

// Table sizes.
const (
	topResources   = 20
	wasteShown     = 20
	servicePerPage = 50
	billMonthsMax  = 240 // every month of twenty years: in effect, all of them
)

// overviewView is the overview page.
type overviewView struct {
	Cost     figures.Overview
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
func (v overviewView) AccountShare(a figures.AccountCost) float64 { return v.Cost.AccountShare(a) }

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
	ov, err := s.figures.Overview(ctx, scope, now)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	view := overviewView{Cost: ov, Filter: filter, AllSelected: !slices.ContainsFunc(filter, func(c accountChoice) bool { return c.Selected })}
	view.Change, view.HasTrend = ov.Trend.ChangePercent(ov.HourlyUSD)
	for _, sc := range ov.Services {
		view.Shares = append(view.Shares, serviceShare{sc.Service, sc.USD, figures.Share(sc.USD, ov.HourlyUSD)})
	}
	if ov.HasData {
		hours, err := s.figures.HourlySeries(ctx, scope, ov.LatestHour.Add(time.Hour))
		if err != nil {
			s.fail(w, r, v, err)
			return
		}
		view.Hours = chartOf(v.tr, hours, func(t time.Time) string { return t.Format("15:04") })
	}
	months, err := s.figures.MonthlySeries(ctx, scope, now)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	view.Months = chartOf(v.tr, months, func(t time.Time) string { return t.Format("2006-01") })
	if view.Top, err = s.figures.TopResources(ctx, scope, topResources); err != nil {
		s.fail(w, r, v, err)
		return
	}
	if view.Waste, err = s.figures.WastedResources(ctx, scope, wasteShown); err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.render(w, r, v, http.StatusOK, "overview", pageData{Title: v.T("nav.overview"), Nav: "overview", Charts: true, Body: view})
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
	sp, err := s.figures.Service(r.Context(), v.Accounts, query, page)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	page = sp.Page
	view := serviceView{Service: name, Query: sp.Query, Regions: sp.Regions, Rows: sp.Rows, Total: sp.Total, Page: page, Pages: sp.Pages}
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

func (s *Server) pageLightsail(w http.ResponseWriter, r *http.Request, v *viewer) {
	view, err := s.figures.Lightsail(r.Context(), v.Accounts, s.now())
	if err != nil {
		s.fail(w, r, v, err)
		return
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
	st, err := s.figures.Status(r.Context(), v.Accounts)
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
	for _, j := range st.Jobs {
		js := jobStatus{Run: j.Run, Next: next[j.Run.Job], LastFailed: j.LastFailed}
		if j.Run.FinishedAt != nil {
			js.Duration = j.Run.FinishedAt.Sub(j.Run.StartedAt).Round(time.Millisecond).String()
		}
		view.Jobs = append(view.Jobs, js)
	}
	s.render(w, r, v, http.StatusOK, "status", pageData{Title: v.T("nav.status"), Nav: "status", Body: view})
}
