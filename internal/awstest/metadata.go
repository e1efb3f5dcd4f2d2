package awstest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// StartInstanceMetadata starts an instance metadata service (IMDSv2) that answers
// instanceID: a session token from PUT /latest/api/token (which must ask a TTL), then
// latest/meta-data/instance-id for a request carrying that token. Point the SDK at it
// with AWS_EC2_METADATA_SERVICE_ENDPOINT, or pass its URL.
func StartInstanceMetadata(t testing.TB, instanceID string) *httptest.Server {
	t.Helper()
	const token = "costbot-test-token"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			if r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") == "" {
				http.Error(w, "a token TTL is required", http.StatusBadRequest)
				return
			}
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			w.Write([]byte(token))
		case r.Method == http.MethodGet && r.URL.Path == "/latest/meta-data/instance-id":
			if r.Header.Get("X-Aws-Ec2-Metadata-Token") != token {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			w.Write([]byte(instanceID))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}
