package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"costbot/internal/tgtest"
)

// writeEnvFile writes .env into dir with mode, past the umask.
func writeEnvFile(t *testing.T, dir, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// A syntax error in .env, above the token and the AWS secret, stops every command with
// the file and the line number; no output of any command shows a value of the file.
func TestEnvFileSyntaxErrorPrintsNoValue(t *testing.T) {
	const token, secret = "987654321:AAsecretTOKENvalue_abcdefghijklmn", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET"
	dir := t.TempDir()
	writeEnvFile(t, dir, "BOT_LANG=en\nthis line is wrong\nTELEGRAM_BOT_TOKEN="+token+"\nAWS_SECRET_ACCESS_KEY="+secret+"\n", 0o600)
	cases := []struct {
		args     []string
		wantCode int
	}{
		{[]string{"run"}, 2},
		{[]string{"scan"}, 2},
		{[]string{"lightsail"}, 2},
		{[]string{"report"}, 2},
		{[]string{"clear-cache"}, 2},
		{[]string{"doctor"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.args[0], func(t *testing.T) {
			out, errOut, code := runBinary(t, dir, cleanEnv(), tc.args...)
			all := out + errOut
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tc.wantCode, all)
			}
			for _, leak := range []string{token, "AAsecret", secret, "SECRET", "this line"} {
				if strings.Contains(all, leak) {
					t.Errorf("output shows the file's content %q:\n%s", leak, all)
				}
			}
			if !strings.Contains(all, ".env") || !strings.Contains(all, "line 2 ") {
				t.Errorf("output does not name the file and line 2:\n%s", all)
			}
		})
	}
}

// A .env in a folder someone else controls (their file, or one others may write) is not
// read: it cannot send the token to a server of its choosing. One that is read says which
// variables it set, by name, and warns about those that redirect where secrets go.
func TestEnvFileOfSomeoneElseIsIgnored(t *testing.T) {
	attacker := tgtest.New(t) // the Bot API the planted .env names
	planted := "TELEGRAM_API_URL=" + attacker.URL() + "\n"
	cases := []struct {
		name       string
		mode       os.FileMode
		owner      int // -1: the user running costbot
		wantRead   bool
		wantOutput []string
	}{
		{"writable by others", 0o666, -1, false, []string{"ignored", "others may write it"}},
		{"another user's file", 0o644, 65532, false, []string{"ignored", "UID 65532"}},
		{"the user's own file", 0o600, -1, true, []string{"settings read from", "TELEGRAM_API_URL", "warning:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeEnvFile(t, dir, planted, tc.mode)
			if tc.owner >= 0 {
				if os.Getuid() != 0 {
					t.Skip("changing a file's owner needs root")
				}
				if err := os.Chown(path, tc.owner, tc.owner); err != nil {
					t.Fatal(err)
				}
			}
			before := len(attacker.Calls("getMe"))
			// The user sets no TELEGRAM_API_URL: the default, Telegram's, is meant.
			env := cleanEnv("TELEGRAM_BOT_TOKEN="+attacker.Token(), "TELEGRAM_CHAT_IDS=4242", "DB_PATH="+filepath.Join(dir, "cost.db"),
				"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
				"AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_MAX_ATTEMPTS=1")
			out, errOut, _ := runBinary(t, dir, env, "doctor")
			all := out + errOut
			if got := len(attacker.Calls("getMe")) > before; got != tc.wantRead {
				t.Errorf("the .env's server was asked: %v, want %v\n%s", got, tc.wantRead, all)
			}
			for _, want := range tc.wantOutput {
				if !strings.Contains(all, want) {
					t.Errorf("output lacks %q:\n%s", want, all)
				}
			}
			if strings.Contains(all, attacker.URL()) {
				t.Errorf("output shows a value of the file:\n%s", all)
			}
		})
	}
}
