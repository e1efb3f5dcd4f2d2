package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"costbot/locale"
	"costbot/models"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pageData is what every page's template gets: the frame (title, navigation, language)
// and the page's own view in Body.
type pageData struct {
	Title    string
	Nav      string // the navigation entry shown as current
	Lang     string
	Path     string // the page's own path, to come back to after a language switch
	Services []navService
	Charts   bool // the page draws charts: load the chart library
	Body     any

	tr *translator
	tz *time.Location
}

// navService is a service in the navigation.
type navService struct {
	Key, Name string
	Count     int
}

// T is the text of key in the page's language.
func (p pageData) T(key string) string { return p.tr.T(key) }

// Service is a service's display name.
func (p pageData) Service(name string) string { return p.tr.Service(name) }

// BilledLine names a billed line costbot does not estimate: one of costbot's own groups
// in the page's language, else as Cost Explorer names it.
func (p pageData) BilledLine(name string) string {
	key, ok := billedLineKeys[name]
	if !ok {
		return name
	}
	return p.tr.T(key)
}

var billedLineKeys = map[string]string{
	models.LineDataTransfer: "billed.line.data_transfer", models.LineSnapshots: "billed.line.snapshots",
	models.LineTax: "billed.line.tax", models.LineSupport: "billed.line.support",
	models.LineCredits: "billed.line.credits", models.LineRefunds: "billed.line.refunds",
}

// When shows an instant in REPORT_TZ; the zero time shows as a dash.
func (p pageData) When(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	tz := p.tz
	if tz == nil {
		tz = time.UTC
	}
	return t.In(tz).Format("2006-01-02 15:04 MST")
}

// WhenPtr is When of an optional instant.
func (p pageData) WhenPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return p.When(*t)
}

var funcs = template.FuncMap{
	"usd": locale.USD, "rate": locale.Rate, "pct": locale.Percent, "gb": locale.GB, "bytes": locale.Bytes,
	"asset":     assetURL,
	"add":       func(a, b int) int { return a + b },
	"diff":      locale.Diff,
	"hasBilled": func(c *models.BillComparison) bool { return c != nil && !c.Empty() },
}

// pageSet holds each page's template, parsed with the layout.
type pageSet struct {
	pages map[string]*template.Template
}

func parsePages() (*pageSet, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	set := &pageSet{pages: map[string]*template.Template{}}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", name)
		if err != nil {
			return nil, err
		}
		set.pages[base] = t
	}
	return set, nil
}

// render writes a page in the site's frame, compressed when the browser accepts gzip.
func (s *Server) render(w http.ResponseWriter, r *http.Request, v *viewer, status int, page string, data pageData) {
	data.Lang, data.tr, data.tz = v.Lang, v.tr, s.tz()
	data.Path = r.URL.RequestURI()
	counts := s.navCounts(r, v.Accounts)
	for _, name := range s.cfg.CostServices {
		data.Services = append(data.Services, navService{Key: name, Name: v.tr.Service(name), Count: counts[name]})
	}
	s.write(w, r, status, page, "layout", data)
}

// renderPlain writes a page outside the frame (login, entered).
func (s *Server) renderPlain(w http.ResponseWriter, status int, page string, data pageData) {
	if data.tr == nil {
		data.tr = translatorFor(s.cfg.Lang)
	}
	data.Lang = data.tr.lang
	s.write(w, nil, status, page, "plain", data)
}

// renderLogin is the page a browser without a session gets, whatever it asked for: no
// data, only how to get in.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, problem string) {
	tr := translatorFor(s.cfg.Lang)
	s.write(w, r, status, "login", "plain", pageData{Title: tr.T("login.title"), Lang: tr.lang, tr: tr, Body: problem})
}

// navCountsTTL is how long the navigation's resource counts are reused: they change
// once a scan, and counting every page view would be most of its cost.
const navCountsTTL = 15 * time.Second

// navCounts are the active resources per service of the scope's accounts, for the
// navigation; those of every account are cached.
func (s *Server) navCounts(r *http.Request, scope models.AccountScope) map[string]int {
	if !scope.All() {
		counts, err := s.figures.ActiveCounts(r.Context(), scope)
		if err != nil {
			s.log.Warn("navigation counts", "error", err)
		}
		return counts
	}
	s.navMu.Lock()
	defer s.navMu.Unlock()
	if s.navCounted.IsZero() || time.Since(s.navCounted) > navCountsTTL {
		counts, err := s.figures.ActiveCounts(r.Context(), nil)
		if err != nil {
			s.log.Warn("navigation counts", "error", err)
			return s.navCache
		}
		s.navCache, s.navCounted = counts, time.Now()
	}
	return s.navCache
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, page, frame string, data pageData) {
	t, ok := s.pages.pages[page]
	if !ok {
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.ExecuteTemplate(buf, frame, data); err != nil {
		s.log.Error("template failed", "page", page, "error", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	writeBody(w, r, status, buf.Bytes())
}

// writeBody sends body gzipped when the request accepts it.
func writeBody(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	w.Header().Add("Vary", "Accept-Encoding")
	if r == nil || !acceptsGzip(r) || len(body) < 512 {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		w.Write(body)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.WriteHeader(status)
	gz := gzipPool.Get().(*gzip.Writer)
	gz.Reset(w)
	gz.Write(body)
	gz.Close()
	gzipPool.Put(gz)
}

var gzipPool = sync.Pool{New: func() any { gz, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression); return gz }}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if name, _, _ := strings.Cut(strings.TrimSpace(part), ";"); name == "gzip" {
			return true
		}
	}
	return false
}

// staticAsset is an embedded file, with its hash (for URLs that can be cached for ever)
// and its gzipped bytes.
type staticAsset struct {
	body, gzipped []byte
	hash, ctype   string
}

var assets = mustLoadAssets()

func mustLoadAssets() map[string]*staticAsset {
	out := map[string]*staticAsset{}
	entries, err := staticFiles.ReadDir("static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := staticFiles.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		ctype := mime.TypeByExtension(path.Ext(e.Name()))
		if ctype == "" {
			ctype = "text/plain; charset=utf-8"
		}
		out[e.Name()] = &staticAsset{body: body, gzipped: gz.Bytes(), hash: hex.EncodeToString(sum[:])[:12], ctype: ctype}
	}
	return out
}

// assetURL is an embedded file's URL, with its hash so it may be cached for a year.
func assetURL(name string) string {
	a, ok := assets[name]
	if !ok {
		panic("web: no static file " + name)
	}
	return "/static/" + name + "?v=" + a.hash
}

// serveStatic serves an embedded file; it holds no data, so it needs no session.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", `"`+a.hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+a.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}
