package jobs

import (
	"fmt"
	"testing"

	"costbot/config"
)

// The daily report is built once for every account and once per distinct set of
// accounts a chat is limited to, whatever the order they are written in.
func TestReportScopes(t *testing.T) {
	vars := map[string]string{"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_CHAT_IDS": "1,2,3,4",
		"TELEGRAM_CHAT_ACCOUNTS": "2:111111111111|222222222222;3:222222222222|111111111111;4:333333333333"}
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(reportScopes(cfg))
	if want := "[[] [111111111111 222222222222] [333333333333]]"; got != want {
		t.Errorf("report scopes %s, want %s", got, want)
	}
	if s := reportScopes(cfg); s[0] != nil {
		t.Errorf("the first scope is %v, want every account (nil)", s[0])
	}
}
