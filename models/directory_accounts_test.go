package models

import (
	"context"
	"testing"
	"time"
)

func TestSaveAccountsMarksTheRestGone(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := s.SaveAccounts(ctx, []Account{{ID: "111111111111", Name: "prod"}, {ID: "222222222222"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAccountProblem(ctx, "222222222222", "collect", "role cannot be assumed", at); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAccounts(ctx, []Account{{ID: "222222222222", Name: "dev"}, {ID: "333333333333"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id, label, problem string
		gone               bool
	}{
		{"222222222222", "dev (222222222222)", "role cannot be assumed", false},
		{"333333333333", "333333333333", "", false},
		{"111111111111", "prod (111111111111)", "", true},
	}
	if len(got) != len(want) {
		t.Fatalf("accounts = %+v", got)
	}
	for i, w := range want {
		if got[i].ID != w.id || got[i].Label() != w.label || got[i].Problem != w.problem || got[i].Gone != w.gone {
			t.Errorf("account %d = %+v (label %q), want %+v", i, got[i], got[i].Label(), w)
		}
	}
	if v := VisibleAccounts(got, []string{"333333333333"}); len(v) != 1 || v[0].ID != "333333333333" {
		t.Errorf("visible = %+v", v)
	}
	if v := VisibleAccounts(got, nil); len(v) != 3 {
		t.Errorf("visible with no limit = %+v", v)
	}
}
