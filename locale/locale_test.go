package locale

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func messages(t *testing.T, lang string) map[string]string {
	t.Helper()
	raw, err := files.ReadFile("locales/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

func TestLanguagesHaveTheSameMessages(t *testing.T) {
	en, zh := messages(t, "en"), messages(t, "zh")
	for id := range en {
		if _, ok := zh[id]; !ok {
			t.Errorf("%q is in en.json but not in zh.json", id)
		}
	}
	for id := range zh {
		if _, ok := en[id]; !ok {
			t.Errorf("%q is in zh.json but not in en.json", id)
		}
	}
	// Same template fields in both: a translation must not drop a value.
	field := regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)
	for id, text := range en {
		got, want := field.FindAllString(zh[id], -1), field.FindAllString(text, -1)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%q: zh uses %v, en uses %v", id, got, want)
		}
	}
	if len(en) < 300 {
		t.Fatalf("only %d messages: are both faces' messages in the catalogue?", len(en))
	}
}

// languageNeutral are messages that read the same in every language.
var languageNeutral = map[string]bool{"col.id": true, "source.": true}

func TestChineseIsChinese(t *testing.T) {
	for id, text := range messages(t, "zh") {
		hasHan := strings.IndexFunc(text, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
		if !hasHan && !languageNeutral[id] {
			t.Errorf("zh %q has no Chinese: %q", id, text)
		}
	}
}

func TestTranslator(t *testing.T) {
	en := For("en")
	data := map[string]any{"Name": "<b>x</b> & y"}
	if got := en.HTML("lang.changed", data); got != "Language set to &lt;b&gt;x&lt;/b&gt; &amp; y." {
		t.Errorf("HTML = %q", got)
	}
	if got := en.T("lang.changed", data); got != "Language set to <b>x</b> & y." {
		t.Errorf("T = %q", got)
	}
	if got := For("zh").T("nav.bills"); got != "账单" {
		t.Errorf("zh T = %q", got)
	}
	if got := en.T("nav.bills"); got != "Bills" {
		t.Errorf("en T = %q", got)
	}
	if got := For("fr").Lang(); got != Fallback || Fallback != Languages()[0] {
		t.Errorf("unknown language fell back to %q", got)
	}
	if got := en.T("no.such.message"); got != "no.such.message" {
		t.Errorf("missing message = %q", got)
	}
	if got := en.HTML("no<such>"); got != "no&lt;such&gt;" {
		t.Errorf("missing message as HTML = %q", got)
	}
	if !Has("nav.bills") || !Has("web.status.jobs") || Has("no.such.message") {
		t.Error("Has does not answer from the catalogue")
	}
	for _, lang := range Languages() {
		if !Supported(lang) || LanguageName(lang) == "" {
			t.Errorf("%s: supported %v, name %q", lang, Supported(lang), LanguageName(lang))
		}
	}
	if Supported("fr") || LanguageName("fr") != "" {
		t.Error("fr is not spoken")
	}
}
