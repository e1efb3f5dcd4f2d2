package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// The dashboard's words, in zh and en (locales/*.json: flat key -> text). Service
// display names are words too ("service.<name>").

//go:embed locales/*.json
var localeFiles embed.FS

// catalogs maps a language to its words; both have the same keys (tested).
var catalogs = mustLoadCatalogs()

func mustLoadCatalogs() map[string]map[string]string {
	out := map[string]map[string]string{}
	entries, err := localeFiles.ReadDir("locales")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		raw, err := localeFiles.ReadFile("locales/" + e.Name())
		if err != nil {
			panic(err)
		}
		words := map[string]string{}
		if err := json.Unmarshal(raw, &words); err != nil {
			panic(fmt.Sprintf("web: locales/%s: %v", e.Name(), err))
		}
		out[strings.TrimSuffix(e.Name(), path.Ext(e.Name()))] = words
	}
	return out
}

// translator speaks one language, falling back to English, then to the key itself.
type translator struct {
	lang  string
	words map[string]string
}

func translatorFor(lang string) *translator {
	words, ok := catalogs[lang]
	if !ok {
		lang, words = "en", catalogs["en"]
	}
	return &translator{lang: lang, words: words}
}

// T is the text of key.
func (t *translator) T(key string) string {
	if s, ok := t.words[key]; ok {
		return s
	}
	if s, ok := catalogs["en"][key]; ok {
		return s
	}
	return key
}

// Service is a service's display name.
func (t *translator) Service(name string) string {
	if s, ok := t.words["service."+name]; ok {
		return s
	}
	return name
}
