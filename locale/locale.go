// Package locale holds what every face of costbot says and how it writes a figure: one
// translation catalogue (go-i18n) for the chat and the dashboard, the money, percent and
// size formats, and the services' display names.
//
// The catalogue's messages are Telegram HTML: the chat sends them as they are, with its
// data escaped (Translator.HTML). The dashboard uses messages without markup and lets
// html/template escape them (Translator.T). Messages only the dashboard shows, where the
// chat has a message of the same id that says something else, are under "web.".
package locale

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
var files embed.FS

// languages costbot speaks; the first is the fallback for any other.
var languages = []string{"zh", "en"}

// names are the languages in their own words, as language pickers show them.
var names = map[string]string{"zh": "中文", "en": "English"}

// Fallback is the language of a viewer whose language costbot does not speak.
const Fallback = "zh"

// Languages are the languages costbot speaks, the fallback first.
func Languages() []string { return slices.Clone(languages) }

// Supported says whether costbot speaks lang.
func Supported(lang string) bool { return slices.Contains(languages, lang) }

// LanguageName is lang in its own words ("中文", "English"), or "" for a language
// costbot does not speak.
func LanguageName(lang string) string { return names[lang] }

// bundle holds every language's messages. The files are embedded, so a broken one is
// a broken build: the package's tests load them.
var bundle = mustLoad()

func mustLoad() *i18n.Bundle {
	b := i18n.NewBundle(language.Chinese)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, lang := range languages {
		if _, err := b.LoadMessageFileFS(files, "locales/"+lang+".json"); err != nil {
			panic(fmt.Sprintf("locale: load %s messages: %v", lang, err))
		}
	}
	return b
}

// Has says whether the catalogue has a message id.
func Has(id string) bool {
	_, err := For(Fallback).loc.Localize(&i18n.LocalizeConfig{MessageID: id})
	return err == nil
}

// Translator renders the catalogue's messages in one language.
type Translator struct {
	lang string
	loc  *i18n.Localizer
}

// For is the translator of lang, or of the fallback language when costbot does not
// speak lang.
func For(lang string) Translator {
	if !Supported(lang) {
		lang = Fallback
	}
	return Translator{lang: lang, loc: i18n.NewLocalizer(bundle, lang)}
}

// Lang is the translator's language.
func (t Translator) Lang() string { return t.lang }

// T is message id with data filled in as it is: plain text, for a face that escapes
// what it shows (html/template). A missing message shows as its id.
func (t Translator) T(id string, data ...map[string]any) string {
	var fields map[string]any
	if len(data) > 0 {
		fields = data[0]
	}
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: fields})
	if err != nil {
		return id
	}
	return s
}

// HTML is message id as HTML with every data value escaped: the message's own markup
// stays, the data is always text. A missing message shows as its id, escaped.
func (t Translator) HTML(id string, data ...map[string]any) string {
	var escaped map[string]string
	if len(data) > 0 {
		escaped = make(map[string]string, len(data[0]))
		for k, v := range data[0] {
			escaped[k] = html.EscapeString(fmt.Sprint(v))
		}
	}
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: escaped})
	if err != nil {
		return html.EscapeString(id)
	}
	return s
}
