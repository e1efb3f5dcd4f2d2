package bot

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// /status names the replica that leads on a shared database, in both languages, with
// the host escaped; says when none leads or the lease cannot be read; and says nothing
// of leaders for a single daemon.
func TestStatusShowsTheLeader(t *testing.T) {
	cat := testCatalog(t)
	since := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	cases := []struct {
		name   string
		leader *leaderView
		want   map[string][]string // language -> substrings
		absent []string
	}{
		{"a replica leads", &leaderView{Host: "db<1>&host", PID: 4711, Since: since, OK: true}, map[string][]string{
			"en": {"Leader: <code>db&lt;1&gt;&amp;host</code>, PID 4711, since 2026-03-04 05:06:07 UTC"},
			"zh": {"主节点：<code>db&lt;1&gt;&amp;host</code>，PID 4711，自 2026-03-04 05:06:07 UTC 起"},
		}, nil},
		{"none leads", &leaderView{}, map[string][]string{
			"en": {"Leader: none right now"}, "zh": {"主节点：暂无"},
		}, []string{"PID"}},
		{"lease unreadable", &leaderView{Err: errors.New("connection <refused>")}, map[string][]string{
			"en": {"Leader: unknown (<code>connection &lt;refused&gt;</code>)"}, "zh": {"主节点：未知（<code>connection &lt;refused&gt;</code>）"},
		}, nil},
		{"one daemon", nil, map[string][]string{"en": {"Database:"}, "zh": {"数据库："}}, []string{"Leader", "主节点"}},
	}
	for _, tc := range cases {
		for lang, wants := range tc.want {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				got := renderStatus(cat.translator(lang), statusView{Version: "v1", TZ: time.UTC, Leader: tc.leader})
				checkFragments(t, got, wants, tc.absent)
			})
		}
	}
}

// checkFragments fails the test for each of want that text lacks and each of absent it
// has.
func checkFragments(t *testing.T, text string, want, absent []string) {
	t.Helper()
	for _, f := range want {
		if !strings.Contains(text, f) {
			t.Errorf("missing %q in:\n%s", f, text)
		}
	}
	for _, f := range absent {
		if strings.Contains(text, f) {
			t.Errorf("unexpected %q in:\n%s", f, text)
		}
	}
}
