package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// inDir runs the test in a fresh working directory holding .env with content and mode,
// with the variables it names (and ENV_FILE) unset for the test.
func inDir(t *testing.T, content string, mode os.FileMode, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, name := range append(names, EnvFileVar) {
		unsetForTest(t, name)
	}
	return path
}

func unsetForTest(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "") // restores the old value at the end
	os.Unsetenv(name)
}

// A syntax error in .env names the file and the line, and never prints what the file
// holds: godotenv's own message quotes the rest of the file, token and secrets included.
func TestEnvFileSyntaxErrorShowsNoValue(t *testing.T) {
	const token, secret = "987654321:AAsecretTOKENvalue_abcdefghijklmn", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET"
	cases := []struct {
		name, content string
		line          int
	}{
		{"a line that is not NAME=value", "BOT_LANG=en\nthis is not valid\nTELEGRAM_BOT_TOKEN=" + token + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n", 2},
		{"an unterminated quote", "BOT_LANG=en\n# note\nTELEGRAM_API_URL='https://x\nTELEGRAM_BOT_TOKEN=" + token + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n", 3},
		{"after a value over two lines", "BOT_LANG=en\nREPORT_TZ=\"UTC\n\"\n-BAD=1\nTELEGRAM_BOT_TOKEN=" + token + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n", 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := inDir(t, tc.content, 0o600, "BOT_LANG", "TELEGRAM_BOT_TOKEN", "AWS_SECRET_ACCESS_KEY", "TELEGRAM_API_URL", "REPORT_TZ")
			_, err := Load()
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want *Error", err)
			}
			msg := err.Error()
			for _, leak := range []string{token, "AAsecret", secret, "SECRET", "https://x"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q shows the file's content %q", msg, leak)
				}
			}
			if want := "line " + strconv.Itoa(tc.line) + " "; !strings.Contains(msg, want) || !strings.Contains(msg, filepath.Base(path)) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s and %q", msg, path, want)
			}
			if _, set := os.LookupEnv("BOT_LANG"); set {
				t.Errorf("a file with an error set variables anyway")
			}
		})
	}
}

// A .env in the working directory is read only when the running user owns it and
// nobody else may write it; ENV_FILE reads a file by name. The result names the file and
// the variables it set, never their values, and singles out those that redirect secrets.
func TestEnvFileTrust(t *testing.T) {
	content := "BOT_LANG=en\nTELEGRAM_API_URL=http://attacker.example\nAWS_ENDPOINT_URL_STS=http://attacker.example\n"
	names := []string{"BOT_LANG", "TELEGRAM_API_URL", "AWS_ENDPOINT_URL_STS"}
	cases := []struct {
		name      string
		mode      os.FileMode
		owner     int // -1: the running user
		named     bool
		wantRead  bool
		wantWhy   string
		wantNotes []string
	}{
		{"own file, private", 0o600, -1, false, true, "", []string{"settings read from", "AWS_ENDPOINT_URL_STS, BOT_LANG, TELEGRAM_API_URL", "warning:", "AWS_ENDPOINT_URL_STS, TELEGRAM_API_URL"}},
		{"writable by others", 0o666, -1, false, false, "others may write it", []string{"ignored", "chmod go-w", "ENV_FILE="}},
		{"writable by the group", 0o620, -1, false, false, "others may write it", []string{"ignored"}},
		{"someone else's file", 0o644, 65532, false, false, "belongs to UID 65532", []string{"ignored", "UID 65532"}},
		{"someone else's file named by ENV_FILE", 0o644, 65532, true, true, "", []string{"settings read from"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := inDir(t, content, tc.mode, names...)
			if tc.owner >= 0 {
				if os.Getuid() != 0 {
					t.Skip("changing a file's owner needs root")
				}
				if err := os.Chown(path, tc.owner, tc.owner); err != nil {
					t.Fatal(err)
				}
			}
			if tc.named {
				t.Setenv(EnvFileVar, path)
			}
			c, err := Load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			read := c.TelegramAPIURL == "http://attacker.example"
			if read != tc.wantRead || (c.Lang == "en") != tc.wantRead {
				t.Fatalf("file read = %v (api %q, lang %q), want %v", read, c.TelegramAPIURL, c.Lang, tc.wantRead)
			}
			if !strings.Contains(c.EnvFile.Ignored, tc.wantWhy) || (tc.wantWhy == "") != (c.EnvFile.Ignored == "") {
				t.Errorf("Ignored = %q, want %q", c.EnvFile.Ignored, tc.wantWhy)
			}
			notes := strings.Join(c.EnvFile.Notes(), "\n")
			for _, want := range tc.wantNotes {
				if !strings.Contains(notes, want) {
					t.Errorf("notes %q lack %q", notes, want)
				}
			}
			if strings.Contains(notes, "attacker.example") {
				t.Errorf("notes show a value: %q", notes)
			}
		})
	}
}

// Variables already in the environment win over the file and are not reported as set
// by it.
func TestEnvFileSetsOnlyWhatIsUnset(t *testing.T) {
	inDir(t, "BOT_LANG=en\nTELEGRAM_API_URL=http://file.example\n", 0o600, "BOT_LANG")
	t.Setenv("TELEGRAM_API_URL", "http://real.example")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramAPIURL != "http://real.example" || c.Lang != "en" {
		t.Errorf("api %q lang %q", c.TelegramAPIURL, c.Lang)
	}
	if !slices.Equal(c.EnvFile.Set, []string{"BOT_LANG"}) || len(c.EnvFile.Endpoints) != 0 {
		t.Errorf("Set %v Endpoints %v, want only BOT_LANG", c.EnvFile.Set, c.EnvFile.Endpoints)
	}
}

// ENV_FILE naming a file that is not there stops start-up, naming ENV_FILE.
func TestEnvFileNamedButMissing(t *testing.T) {
	inDir(t, "", 0o600)
	t.Setenv(EnvFileVar, filepath.Join(t.TempDir(), "nope.env"))
	_, err := Load()
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != EnvFileVar || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Load = %v, want an error naming ENV_FILE", err)
	}
}

// HTTP_ADDR unset listens on this host only; set but empty turns the server off; a
// value that is not host:port stops start-up.
func TestHTTPAddr(t *testing.T) {
	cases := []struct {
		name    string
		lookup  func(string) (string, bool)
		want    string
		wantErr bool
	}{
		{"unset is this host only", env(), "127.0.0.1:8080", false},
		{"set but empty is off", env("HTTP_ADDR", ""), "", false},
		{"blank is off", env("HTTP_ADDR", "  "), "", false},
		{"every interface when asked", env("HTTP_ADDR", ":9090"), ":9090", false},
		{"a host and port", env("HTTP_ADDR", "10.0.0.5:80"), "10.0.0.5:80", false},
		{"no port", env("HTTP_ADDR", "localhost"), "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.lookup)
			if tc.wantErr {
				var ce *Error
				if !errors.As(err, &ce) || ce.Var != "HTTP_ADDR" {
					t.Fatalf("Parse = %v, want an error naming HTTP_ADDR", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.HTTPAddr != tc.want {
				t.Errorf("HTTPAddr = %q, want %q", c.HTTPAddr, tc.want)
			}
		})
	}
}
