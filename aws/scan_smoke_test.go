package aws

import (
	"testing"

	"costbot/internal/awstest"
)

func TestAccountIDFromMoto(t *testing.T) {
	m := awstest.StartMoto(t)
	id, err := AccountID(awstest.Context(t), m.Config("us-east-1"))
	if err != nil || id == "" {
		t.Fatalf("account id = %q, %v", id, err)
	}
}
