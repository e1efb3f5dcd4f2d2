package aws

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Every AWS client shares the configuration's one HTTP client, frozen so that no
// service client copies it into a pool of its own, and with what the configuration was
// given: a custom CA bundle (AWS_CA_BUNDLE) still verifies the server.
func TestLoadConfigSharesOneHTTPClientWithItsCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	cfg, err := LoadConfig(context.Background())
	if err != nil {
		t.Fatalf("LoadConfig with AWS_CA_BUNDLE: %v", err)
	}
	if _, buildable := cfg.HTTPClient.(*awshttp.BuildableClient); buildable {
		t.Fatalf("HTTPClient is %T: each service client would copy it into a pool of its own", cfg.HTTPClient)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		t.Fatalf("a request to a server the CA bundle vouches for: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("status %d", resp.StatusCode)
	}
}
