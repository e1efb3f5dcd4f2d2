package figures_test

import (
	"testing"

	"costbot/figures"
	"costbot/models"
)

// A job run's error, seen from some accounts, keeps the messages about those accounts
// and about none, and drops every message naming another account; the counts go.
func TestScopedRun(t *testing.T) {
	const a, b = "111111111111", "222222222222"
	for _, tc := range []struct {
		name, err, want string
		scope           models.AccountScope
	}{
		{"every account sees all", b + " rds: denied; " + a + " ec2: throttled", b + " rds: denied; " + a + " ec2: throttled", nil},
		{"another's message goes", b + " rds: denied; " + a + " ec2: throttled", a + " ec2: throttled", models.AccountScope{a}},
		{"lines too", b + " rds: denied\n" + a + " ec2: throttled\npricing: no answer", a + " ec2: throttled\npricing: no answer", models.AccountScope{a}},
		{"only another's: nothing", b + " rds: denied", "", models.AccountScope{a}},
		{"twelve digits inside a longer number are no account", "request 11122223333444455 failed", "request 11122223333444455 failed", models.AccountScope{a}},
	} {
		run := figures.ScopedRun(models.JobRun{Job: "collect", Outcome: "failed", Error: tc.err, Counts: "resources=2"}, tc.scope)
		if run.Error != tc.want {
			t.Errorf("%s: error %q, want %q", tc.name, run.Error, tc.want)
		}
		if wantCounts := tc.scope.All(); (run.Counts != "") != wantCounts {
			t.Errorf("%s: counts %q", tc.name, run.Counts)
		}
		if run.Outcome != "failed" {
			t.Errorf("%s: outcome %q, want failed", tc.name, run.Outcome)
		}
	}
}
