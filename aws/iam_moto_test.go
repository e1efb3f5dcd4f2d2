package aws

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"costbot/internal/awstest"
)

// iamCall makes one IAM query-protocol call to moto, before EnforceIAM (moto reads the
// service from the credential scope and checks no signature until then).
func iamCall(t *testing.T, m *awstest.Moto, action string, params map[string]string) []byte {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {"2010-05-08"}}
	for k, v := range params {
		form.Set(k, v)
	}
	req, err := http.NewRequest(http.MethodPost, m.URL+"/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("iam %s: %d %s", action, resp.StatusCode, body)
	}
	return body
}

// iamUser creates an IAM user in moto allowed policy (a JSON document; "" for none) and
// returns its access key.
func iamUser(t *testing.T, m *awstest.Moto, name, policy string) (keyID, secret string) {
	t.Helper()
	iamCall(t, m, "CreateUser", map[string]string{"UserName": name})
	if policy != "" {
		iamCall(t, m, "PutUserPolicy", map[string]string{"UserName": name, "PolicyName": "costbot", "PolicyDocument": policy})
	}
	var out struct {
		Key struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
		} `xml:"CreateAccessKeyResult>AccessKey"`
	}
	if err := xml.Unmarshal(iamCall(t, m, "CreateAccessKey", map[string]string{"UserName": name}), &out); err != nil {
		t.Fatal(err)
	}
	if out.Key.AccessKeyID == "" {
		t.Fatal("moto gave no access key")
	}
	return out.Key.AccessKeyID, out.Key.SecretAccessKey
}

// readOnlyWithout is deploy/iam-policy.json's read-only statement without the actions
// that start with any of the prefixes, as a policy document.
func readOnlyWithout(t *testing.T, prefixes ...string) string {
	t.Helper()
	raw, err := os.ReadFile("../deploy/iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Statement []struct {
			Action   []string
			Resource any
		}
	}
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, s := range policy.Statement {
		if s.Resource != "*" {
			continue
		}
		for _, a := range s.Action {
			if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(a, p) }) {
				keep = append(keep, a)
			}
		}
	}
	doc, err := json.Marshal(map[string]any{"Version": "2012-10-17",
		"Statement": []any{map[string]any{"Effect": "Allow", "Action": keep, "Resource": "*"}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}
