package web

import "costbot/locale"

// The dashboard's words come from locale's catalogue, shared with the bot. Its messages
// are plain text (html/template escapes them); those the bot has under the same id with
// another meaning are under "web.".

// translator speaks one language.
type translator struct {
	lang string
	loc  locale.Translator
}

func translatorFor(lang string) *translator {
	loc := locale.For(lang)
	return &translator{lang: loc.Lang(), loc: loc}
}

// T is the text of key.
func (t *translator) T(key string) string { return t.loc.T(key) }

// Service is a service's display name.
func (t *translator) Service(name string) string { return locale.DisplayName(name) }
