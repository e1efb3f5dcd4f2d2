package bot

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// loadCatalog reads the shared catalogue's messages in lang; that both languages have
// the same messages, with the same fields, is locale's test.
func loadCatalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "locale", "locales", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

// TestCatalogsAreValidTelegramHTML checks every message, rendered with sample data,
// uses only tags Telegram accepts, balanced, and escapes its own <, > and &.
func TestCatalogsAreValidTelegramHTML(t *testing.T) {
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	sample := map[string]any{"UserID": 1, "ChatID": -2, "Valid": "zh|en", "Current": "<x>", "Name": "a&b",
		"Version": "v1", "Uptime": "1h", "Size": "1 KiB", "Job": "collect", "Outcome": "ok", "Start": "now", "Duration": "1s", "Error": "<boom>"}
	// A field the sample does not name gets a value that needs escaping, too.
	field := regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)
	for _, lang := range languages {
		for id, raw := range loadCatalog(t, lang) {
			data := maps.Clone(sample)
			for _, m := range field.FindAllStringSubmatch(raw, -1) {
				if _, ok := data[m[1]]; !ok {
					data[m[1]] = "<v&" + m[1] + ">"
				}
			}
			text := cat.translator(lang).T(msgID{id}, data)
			if err := checkTelegramHTML(text); err != nil {
				t.Errorf("%s %q: %v\n%s", lang, id, err, text)
			}
		}
	}
}

// TestMessagesUsedInCodeExist finds every msgID{"..."} literal in the package's code
// and checks that both catalogs have it.
func TestMessagesUsedInCodeExist(t *testing.T) {
	en, zh := loadCatalog(t, "en"), loadCatalog(t, "zh")
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if ident, ok := lit.Type.(*ast.Ident); !ok || ident.Name != "msgID" {
				return true
			}
			if len(lit.Elts) != 1 {
				t.Errorf("%s: msgID literal must hold one string literal", fset.Position(lit.Pos()))
				return true
			}
			str, ok := lit.Elts[0].(*ast.BasicLit)
			if !ok || str.Kind != token.STRING {
				t.Errorf("%s: msgID must be built from a string literal so this test can check it", fset.Position(lit.Pos()))
				return true
			}
			id, _ := strconv.Unquote(str.Value)
			used++
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %q is missing from en.json", fset.Position(lit.Pos()), id)
			}
			if _, ok := zh[id]; !ok {
				t.Errorf("%s: %q is missing from zh.json", fset.Position(lit.Pos()), id)
			}
			return true
		})
	}
	if used < 20 {
		t.Fatalf("found only %d msgID literals; is the scan broken?", used)
	}
}

func TestTranslatorEscapesDataAndFallsBack(t *testing.T) {
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	en := cat.translator("en")
	got := en.T(msgID{"lang.changed"}, map[string]any{"Name": "<b>x</b> & y"})
	if got != "Language set to &lt;b&gt;x&lt;/b&gt; &amp; y." {
		t.Fatalf("T = %q", got)
	}
	if got := cat.translator("fr").lang; got != languages[0] {
		t.Fatalf("unknown language fell back to %q", got)
	}
	if got := en.T(msgID{"no.such.message"}); got != "no.such.message" {
		t.Fatalf("missing message = %q", got)
	}
}

var allowedTags = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "code": true, "pre": true, "a": true, "blockquote": true,
	"tg-spoiler": true, "span": true}

// checkTelegramHTML is a small validator for Telegram's HTML subset.
func checkTelegramHTML(s string) error {
	var stack []string
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return fmt.Errorf("unclosed tag at %d", i)
			}
			tag := s[i+1 : i+end]
			if closing, ok := strings.CutPrefix(tag, "/"); ok {
				if len(stack) == 0 || stack[len(stack)-1] != closing {
					return fmt.Errorf("</%s> does not close %v", closing, stack)
				}
				stack = stack[:len(stack)-1]
			} else {
				name := tagName(tag)
				if !allowedTags[name] {
					return fmt.Errorf("tag <%s> is not allowed", name)
				}
				stack = append(stack, name)
			}
			i += end + 1
		case '>':
			return fmt.Errorf("bare > at %d", i)
		case '&':
			end := strings.IndexByte(s[i:], ';')
			if end < 0 || !slices.Contains([]string{"&lt;", "&gt;", "&amp;", "&quot;", "&#34;", "&#39;"}, s[i:i+end+1]) {
				return fmt.Errorf("bare & at %d", i)
			}
			i += end + 1
		default:
			i++
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed %v", stack)
	}
	return nil
}

// tagName is the lowercase name of the tag whose text (after "<" or "</") starts s.
func tagName(s string) string {
	end := strings.IndexAny(s, " >\t\n/")
	if end < 0 {
		end = len(s)
	}
	return strings.ToLower(s[:end])
}
