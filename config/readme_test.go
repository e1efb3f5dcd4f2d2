package config

import (
	"os"
	"strings"
	"testing"
)

// The README is where a user looks a setting up: every variable costbot reads is named
// there.
func TestREADMENamesEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Variables() {
		if !strings.Contains(string(readme), "`"+v+"`") {
			t.Errorf("README.md does not name %s", v)
		}
	}
}
