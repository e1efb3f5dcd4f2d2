package bot

import (
	"fmt"

	"costbot/locale"
)

// The bot's words and figures come from locale, shared with the dashboard; these names
// keep the bot's code reading as it did.

// Languages the bot speaks; the first is the fallback when a message is missing.
var languages = locale.Languages()

// langNames are shown in each language's own words, as language pickers do.
var langNames = func() map[string]string {
	m := make(map[string]string, len(languages))
	for _, l := range languages {
		m[l] = locale.LanguageName(l)
	}
	return m
}()

// msgID names a catalog message. It is a struct so that every ID used in code is a
// msgID{"..."} literal, which the catalog test finds and checks against both files.
type msgID struct{ id string }

// catalog hands out translators; the messages themselves are locale's.
type catalog struct{}

func newCatalog() (*catalog, error) { return &catalog{}, nil }

// translator renders messages in one language.
type translator struct {
	lang string
	loc  locale.Translator
}

func (c *catalog) translator(lang string) translator {
	loc := locale.For(lang)
	return translator{lang: loc.Lang(), loc: loc}
}

// T renders a message as Telegram HTML. Every data value is HTML-escaped, and stripped
// of invisible characters that reorder a line: catalogs hold HTML markup, data is
// always plain text.
func (t translator) T(id msgID, data ...map[string]any) string {
	if len(data) == 0 {
		return t.loc.HTML(id.id)
	}
	clean := make(map[string]any, len(data[0]))
	for k, v := range data[0] {
		clean[k] = stripInvisible(fmt.Sprint(v))
	}
	return t.loc.HTML(id.id, clean)
}

// Figures are written as on every face.
var (
	formatUSD          = locale.USD
	formatRate         = locale.Rate
	formatDiff         = locale.Diff
	formatPercent      = locale.Percent
	formatUsagePercent = locale.Percent
	formatChange       = locale.Change
	formatGB           = locale.GB
	formatBytes        = locale.Bytes
	serviceName        = locale.DisplayName
)
