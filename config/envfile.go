package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/joho/godotenv"
)

// EnvFileVar names a settings file to read instead of ./.env.
const EnvFileVar = "ENV_FILE"

// EnvFile says which settings file Load read and what it did, so the caller can log it
// (names only: the file holds the token and AWS secrets).
type EnvFile struct {
	Path      string   // the file read; "" when none was
	Set       []string // variables it set (those already in the environment win and are not listed)
	Endpoints []string // of Set: variables that choose where the token, credentials or traffic go
	Ignored   string   // why ./.env was not read (owner, permissions); "" when it was or there is none
}

// Notes are the lines a command prints about the settings file: which file, which
// variables, and a warning for those that redirect where secrets are sent.
func (e EnvFile) Notes() []string {
	var out []string
	if e.Ignored != "" {
		out = append(out, e.Ignored)
	}
	if e.Path == "" {
		return out
	}
	names := "no variable not already set"
	if len(e.Set) > 0 {
		names = strings.Join(e.Set, ", ")
	}
	out = append(out, fmt.Sprintf("settings read from %s: %s", e.Path, names))
	if len(e.Endpoints) > 0 {
		out = append(out, fmt.Sprintf("warning: %s sets %s, which decide where the bot token, AWS credentials or requests are sent", e.Path, strings.Join(e.Endpoints, ", ")))
	}
	return out
}

// redirects reports whether a variable decides where the bot token, the AWS credentials
// or any HTTP request is sent.
func redirects(name string) bool {
	switch strings.ToUpper(name) {
	case "TELEGRAM_API_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "AWS_CA_BUNDLE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_EC2_METADATA_SERVICE_ENDPOINT":
		return true
	}
	return strings.HasPrefix(strings.ToUpper(name), "AWS_ENDPOINT_URL")
}

// loadEnvFile reads the file ENV_FILE names, or else ./.env when the running user owns
// it and nobody else may write it: a .env in a folder someone else controls must not
// choose the Bot API server the token is sent to. Variables already set win.
func loadEnvFile() (EnvFile, error) {
	var info EnvFile
	path, named := os.LookupEnv(EnvFileVar)
	path = strings.TrimSpace(path)
	if !named || path == "" {
		path = ".env"
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return info, nil
		}
		if err != nil {
			return info, &Error{Var: ".env", Msg: "cannot be read: " + describeFSError(err)}
		}
		if why := untrusted(fi); why != "" {
			abs, _ := filepath.Abs(path)
			info.Ignored = fmt.Sprintf("ignored %s: %s; fix that, or name the file with %s=%s", abs, why, EnvFileVar, abs)
			return info, nil
		}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		name := ".env"
		if named {
			name = EnvFileVar
		}
		return info, &Error{Var: name, Msg: fmt.Sprintf("cannot read %s: %s", path, describeFSError(err))}
	}
	vars, err := godotenv.UnmarshalBytes(src)
	if err != nil {
		// The parser's message quotes the file from the bad line on, secrets included:
		// only the file and the line number leave this function.
		return info, &Error{Var: path, Msg: fmt.Sprintf("line %d is not NAME=value (the file was not read; fix that line)", badLine(src))}
	}
	info.Path, _ = filepath.Abs(path)
	for name, value := range vars {
		if _, set := os.LookupEnv(name); set {
			continue
		}
		os.Setenv(name, value)
		info.Set = append(info.Set, name)
		if redirects(name) {
			info.Endpoints = append(info.Endpoints, name)
		}
	}
	slices.Sort(info.Set)
	slices.Sort(info.Endpoints)
	return info, nil
}

// describeFSError is an os error without the path it repeats.
func describeFSError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// badLine is the first line the .env parser cannot get past: the line after the
// longest prefix of whole lines that parses (a quoted value may span lines, so one line
// alone cannot be judged).
func badLine(src []byte) int {
	lines := bytes.SplitAfter(src, []byte("\n"))
	for n := len(lines) - 1; n > 0; n-- {
		if _, err := godotenv.UnmarshalBytes(bytes.Join(lines[:n], nil)); err == nil {
			return n + 1
		}
	}
	return 1
}

// untrusted says why a file found in the working directory may not be read as settings:
// another user owns it, or others may write it.
func untrusted(fi fs.FileInfo) string {
	if uid, ok := fileOwner(fi); ok && uid != os.Getuid() {
		return fmt.Sprintf("it belongs to UID %d, not to the user running costbot (UID %d)", uid, os.Getuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Sprintf("others may write it (mode %04o; chmod go-w)", fi.Mode().Perm())
	}
	return ""
}

// Variables is every variable Parse reads, in its order: what a settings file may set.
func Variables() []string {
	var names []string
	Parse(func(name string) (string, bool) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		return "", false
	})
	return names
}
