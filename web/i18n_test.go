package web

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"costbot/locale"
	"costbot/models"
)

// keyPrefixes are the ids the dashboard builds from a prefix and a value, with every
// value the prefix is given.
var keyPrefixes = map[string][]string{
	"col.":          {"name", "region", "type", "state", "hourly", "monthly", "source", "waste"},
	"source.":       {models.SourceAPI, models.SourceCache, models.SourceFallback, ""},
	"outcome.":      {"ok", "partial", "failed", "running"},
	"web.estimate.": {models.EstimateUnknown, models.EstimateIdle, models.EstimateAt, models.EstimateAfterCycle, models.EstimateReached},
}

// TestMessagesUsedExist finds every message id the dashboard names, in its templates
// (T "id", T (print "prefix." value)) and in its code (a string literal shaped like an
// id of one of the catalogue's namespaces), and checks the catalogue has it in every
// language, as plain text: html/template escapes what T returns, and T passes no data.
func TestMessagesUsedExist(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "locale", "locales", "en.json"))
	if err != nil {
		t.Fatal(err)
	}
	var en map[string]string
	if err := json.Unmarshal(raw, &en); err != nil {
		t.Fatal(err)
	}
	namespaces := map[string]bool{}
	for id := range en {
		ns, _, _ := strings.Cut(id, ".")
		namespaces[ns] = true
	}
	ids := map[string]string{}      // id -> where it is used
	prefixes := map[string]string{} // prefix -> where it is used
	use := func(id, where string) {
		if strings.HasSuffix(id, ".") {
			prefixes[id] = where
		} else {
			ids[id] = where
		}
	}

	literal := regexp.MustCompile(`\bT "([^"]+)"`)
	printed := regexp.MustCompile(`\bT \(print "([^"]+)"`)
	anyT := regexp.MustCompile(`\bT [("]`)
	templates, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range templates {
		body, err := fs.ReadFile(templateFiles, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(body), -1) {
			use(m[1], name)
		}
		for _, m := range printed.FindAllStringSubmatch(string(body), -1) {
			use(m[1], name)
		}
		if got, want := len(anyT.FindAllString(string(body), -1)), len(literal.FindAllString(string(body), -1))+len(printed.FindAllString(string(body), -1)); got != want {
			t.Errorf("%s: %d calls of T with an id this test cannot read", name, got-want)
		}
	}

	shaped := regexp.MustCompile(`^[a-z_]+(\.[a-z_]*)+$`)
	sources, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range sources {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !shaped.MatchString(s) {
				return true
			}
			if ns, _, _ := strings.Cut(s, "."); namespaces[ns] {
				use(s, fset.Position(lit.Pos()).String())
			}
			return true
		})
	}

	for prefix, where := range prefixes {
		values, ok := keyPrefixes[prefix]
		if !ok {
			t.Errorf("%s: ids built on %q: list its values in keyPrefixes", where, prefix)
		}
		for _, v := range values {
			ids[prefix+v] = where
		}
	}
	if len(ids) < 100 {
		t.Fatalf("found only %d ids; is the scan broken?", len(ids))
	}
	for id, where := range ids {
		if !locale.Has(id) {
			t.Errorf("%s: %q is not in the catalogue", where, id)
			continue
		}
		for _, lang := range locale.Languages() {
			if text := locale.For(lang).T(id); strings.ContainsAny(text, "<>&") || strings.Contains(text, "{{") || text == "" {
				t.Errorf("%s: %s %q is not plain text: %q", where, lang, id, text)
			}
		}
	}
	for _, want := range []string{"login.bad_link", "bill.final", "billed.line.tax", "web.estimate.after_cycle", "col.hourly", "source."} {
		if _, ok := ids[want]; !ok {
			t.Errorf("the scan missed %q", want)
		}
	}
}
