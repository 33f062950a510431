package dynamolocal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/store"
)

// RunTests is a TestMain body for packages whose tests need DynamoDB: it uses
// DYNAMODB_ENDPOINT when set (make test starts one for the whole run), else
// starts DynamoDB Local for this package and stops it afterwards. It fails the
// run loudly when neither works: a storage test never passes without storage.
func RunTests(m *testing.M) int {
	if os.Getenv("DYNAMODB_ENDPOINT") == "" {
		srv, err := Start(context.Background(), Options{})
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: these tests need DynamoDB Local and it could not start: %v\n", err)
			return 1
		}
		defer srv.Stop()
		os.Setenv("DYNAMODB_ENDPOINT", srv.Endpoint)
	}
	return m.Run()
}

// NewTable creates a fresh table shaped like store.Table for one test and
// returns a client and the table's name; the table is deleted afterwards.
func NewTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Fatal("DYNAMODB_ENDPOINT is not set: call dynamolocal.RunTests from TestMain")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test-" + hex.EncodeToString(b[:])
	db := store.NewClient(store.Config{TableName: name, Region: "cn-northwest-1", Endpoint: endpoint})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := store.CreateTable(ctx, db, name); err != nil {
		t.Fatalf("create test table: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return db, name
}

// SeedCommunity creates a street with its admin (on adminPhone) and one
// community in it: what most storage tests start from.
func SeedCommunity(t testing.TB, st *store.Store, streetID, communityID, adminPhone string) {
	t.Helper()
	ctx := context.Background()
	admin := registry.Staff{ID: "admin-" + streetID, Name: "管理员", Phone: adminPhone, CreatedAt: time.Now()}
	if err := st.CreateStreetWithAdmin(ctx, registry.Street{ID: streetID, Name: streetID}, admin, false, false); err != nil {
		t.Fatalf("seed street: %v", err)
	}
	if err := st.CreateCommunity(ctx, registry.Community{ID: communityID, StreetID: streetID, Name: communityID}); err != nil {
		t.Fatalf("seed community: %v", err)
	}
}
