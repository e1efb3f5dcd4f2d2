package awstest

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
)

// iamCall makes one IAM query-protocol call to moto, before EnforceIAM (moto reads the
// service from the credential scope and checks no signature until then).
func (m *Moto) iamCall(t testing.TB, action string, params map[string]string) []byte {
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

// CreateUser creates an IAM user in moto allowed policy (a JSON document; "" for none)
// and returns its access key: call it before EnforceIAM.
func (m *Moto) CreateUser(t testing.TB, name, policy string) (keyID, secret string) {
	t.Helper()
	m.iamCall(t, "CreateUser", map[string]string{"UserName": name})
	if policy != "" {
		m.iamCall(t, "PutUserPolicy", map[string]string{"UserName": name, "PolicyName": "costbot", "PolicyDocument": policy})
	}
	var out struct {
		Key struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
		} `xml:"CreateAccessKeyResult>AccessKey"`
	}
	if err := xml.Unmarshal(m.iamCall(t, "CreateAccessKey", map[string]string{"UserName": name}), &out); err != nil {
		t.Fatal(err)
	}
	if out.Key.AccessKeyID == "" {
		t.Fatal("moto gave no access key")
	}
	return out.Key.AccessKeyID, out.Key.SecretAccessKey
}

// ReadOnlyPolicyWithout is the read-only statement (Resource "*") of the IAM policy in
// file (deploy/iam-policy.json) without the actions that start with any of prefixes, as
// a policy document.
func ReadOnlyPolicyWithout(t testing.TB, file string, prefixes ...string) string {
	t.Helper()
	raw, err := os.ReadFile(file)
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
