package bot

import (
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"slices"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var localeFS embed.FS

// Languages the bot speaks; the first is the fallback when a message is missing.
var languages = []string{"zh", "en"}

// langNames are shown in each language's own words, as language pickers do.
var langNames = map[string]string{"zh": "中文", "en": "English"}

// msgID names a catalog message. It is a struct so that every ID used in code is a
// msgID{"..."} literal, which the catalog test finds and checks against both files.
type msgID struct{ id string }

// catalog holds every language's messages.
type catalog struct {
	bundle *i18n.Bundle
}

func newCatalog() (*catalog, error) {
	bundle := i18n.NewBundle(language.Chinese)
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, lang := range languages {
		if _, err := bundle.LoadMessageFileFS(localeFS, "locales/"+lang+".json"); err != nil {
			return nil, fmt.Errorf("bot: load %s messages: %w", lang, err)
		}
	}
	return &catalog{bundle: bundle}, nil
}

// translator renders messages in one language.
type translator struct {
	lang string
	loc  *i18n.Localizer
}

func (c *catalog) translator(lang string) translator {
	if !slices.Contains(languages, lang) {
		lang = languages[0]
	}
	return translator{lang: lang, loc: i18n.NewLocalizer(c.bundle, lang)}
}

// T renders a message. Every data value is HTML-escaped, and stripped of invisible
// characters that reorder a line: catalogs hold HTML markup, data is always plain text.
func (t translator) T(id msgID, data ...map[string]any) string {
	var escaped map[string]string
	if len(data) > 0 {
		escaped = make(map[string]string, len(data[0]))
		for k, v := range data[0] {
			escaped[k] = html.EscapeString(stripInvisible(fmt.Sprint(v)))
		}
	}
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: id.id, TemplateData: escaped})
	if err != nil {
		return html.EscapeString(id.id)
	}
	return s
}
