package deploy_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"testing"
)

// memberRoleTemplate is the part of deploy/cloudformation-member-role.json the tests read.
type memberRoleTemplate struct {
	Parameters map[string]struct {
		Type    string
		Default *string
	}
	Conditions map[string]any
	Resources  map[string]struct {
		Type       string
		Properties struct {
			RoleName                 any
			AssumeRolePolicyDocument struct {
				Statement []struct {
					Effect    string
					Principal map[string]any
					Action    any
					Condition any
				}
			}
			Policies []struct {
				PolicyName     string
				PolicyDocument any
			}
		}
	}
}

// regexpAccountID matches a 12-digit account ID.
var regexpAccountID = regexp.MustCompile(`\b[0-9]{12}\b`)

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// The member-account role's template grants exactly deploy/iam-policy.json but its
// CostbotAccounts statement (so the two cannot drift), trusts the account given as a parameter, asks for the external ID only
// when one is given, and names no account of its own, so a StackSet can roll it out.
func TestMemberRoleTemplate(t *testing.T) {
	const name = "cloudformation-member-role.json"
	var tpl memberRoleTemplate
	readJSON(t, name, &tpl)
	var want any
	readJSON(t, "iam-policy.json", &want)
	// The member role needs neither to list the organization nor to assume other roles:
	// the CostbotAccounts statement is for costbot's own (management account) credentials.
	if doc, ok := want.(map[string]any); ok {
		stmts, _ := doc["Statement"].([]any)
		doc["Statement"] = slices.DeleteFunc(slices.Clone(stmts), func(s any) bool {
			m, _ := s.(map[string]any)
			return m["Sid"] == "CostbotAccounts"
		})
	}

	params := map[string]string{}
	for p, v := range tpl.Parameters {
		params[p] = ""
		if v.Default != nil {
			params[p] = *v.Default
		}
	}
	if _, ok := tpl.Parameters["ManagementAccountId"]; !ok {
		t.Fatalf("%s has no ManagementAccountId parameter: %v", name, params)
	}
	if tpl.Parameters["ManagementAccountId"].Default != nil {
		t.Errorf("ManagementAccountId has a default (%q): the trusted account must be given", params["ManagementAccountId"])
	}
	if params["RoleName"] != "CostbotReadOnly" {
		t.Errorf("RoleName defaults to %q, want CostbotReadOnly", params["RoleName"])
	}
	if d, ok := params["ExternalId"]; !ok || d != "" {
		t.Errorf("ExternalId: present %v, default %q; want an optional parameter defaulting to empty", ok, d)
	}
	wantHasExternalID := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "ExternalId"}, ""}}}}
	if got := tpl.Conditions["HasExternalId"]; !reflect.DeepEqual(got, wantHasExternalID) {
		t.Errorf("condition HasExternalId = %v, want %v", got, wantHasExternalID)
	}

	if len(tpl.Resources) != 1 {
		t.Fatalf("%s has %d resources, want the one role", name, len(tpl.Resources))
	}
	for id, r := range tpl.Resources {
		if r.Type != "AWS::IAM::Role" {
			t.Fatalf("resource %s is %s, want AWS::IAM::Role", id, r.Type)
		}
		if got := r.Properties.RoleName; !reflect.DeepEqual(got, map[string]any{"Ref": "RoleName"}) {
			t.Errorf("RoleName = %v, want the RoleName parameter", got)
		}
		if len(r.Properties.Policies) != 1 {
			t.Fatalf("the role has %d inline policies, want 1", len(r.Properties.Policies))
		}
		if got := r.Properties.Policies[0].PolicyDocument; !reflect.DeepEqual(got, want) {
			gotJSON, _ := json.MarshalIndent(got, "", "  ")
			t.Errorf("the role's policy differs from deploy/iam-policy.json:\n%s", gotJSON)
		}

		trust := r.Properties.AssumeRolePolicyDocument.Statement
		if len(trust) != 1 {
			t.Fatalf("trust policy has %d statements, want 1", len(trust))
		}
		s := trust[0]
		if s.Effect != "Allow" || s.Action != "sts:AssumeRole" {
			t.Errorf("trust statement: effect %q action %v, want Allow sts:AssumeRole", s.Effect, s.Action)
		}
		wantPrincipal := map[string]any{"AWS": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${ManagementAccountId}:root"}}
		if !reflect.DeepEqual(s.Principal, wantPrincipal) {
			t.Errorf("trust principal = %v, want the ManagementAccountId parameter's account %v", s.Principal, wantPrincipal)
		}
		wantCondition := map[string]any{"Fn::If": []any{"HasExternalId",
			map[string]any{"StringEquals": map[string]any{"sts:ExternalId": map[string]any{"Ref": "ExternalId"}}},
			map[string]any{"Ref": "AWS::NoValue"}}}
		if !reflect.DeepEqual(s.Condition, wantCondition) {
			t.Errorf("trust condition = %v, want sts:ExternalId = the ExternalId parameter when it is set: %v", s.Condition, wantCondition)
		}
	}

	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if m := regexpAccountID.Find(raw); m != nil {
		t.Errorf("%s names an account (%s): a StackSet template must take it as a parameter", name, m)
	}
}
